"""Verdicts: how a claim compares with its evidence, by the documented rules.

With `v` the reference value and `u` the unit of the stated value's last digit
(`25M` -> u = 1M, `6.71%` -> u = 0.01):

| verdict        | plain value `s`                          | hedged `~s`        | bound (`up to s`, `over s`, `s+`, ...)       |
|----------------|------------------------------------------|--------------------|----------------------------------------------|
| `verified`     | `s` equals `v` rounded to `u` (half up)  | `abs(s - v) < u`   | the inequality holds                         |
| `approximate`  | not verified, but `abs(s - v) < u`       | —                  | it fails, but by less than `u`               |
| `contradicted` | `abs(s - v) >= u`                        | `abs(s - v) >= u`  | it fails by `u` or more                      |
| `unverifiable` | no evidence for that subject and attribute                                                         |

Examples: `25.6M` for 25,557,032 parameters is verified; `25M` is
approximate (a truncation); `6.2%` against 5.71 is contradicted; `~25M` is
verified; `up to 152 layers` is verified when the family's deepest variant has
152 layers or fewer.

With several pieces of deciding evidence (the variants of a family, several
published error rates, FLOPs read as multiply-adds and as 2x multiply-adds)
the best verdict wins (verified, then approximate, then contradicted; among
equals the closest value). The verdict names the piece it used; the others,
and the paper figures shown beside a measurement, are its `alternatives`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from kb.claims import Claim
from kb.quantity import Quantity, format_value

VerdictKind = Literal["verified", "approximate", "contradicted", "unverifiable"]
EvidenceKind = Literal["measured", "cited", "derived", "note"]

VERDICTS: tuple[VerdictKind, ...] = ("verified", "approximate", "contradicted", "unverifiable")
_RANK = {kind: rank for rank, kind in enumerate(VERDICTS)}


# Evidence and verdicts are read-only, but not declared frozen, for the reason kb.claims.Claim is not.
@dataclass(slots=True, unsafe_hash=True)
class Evidence:
    kind: EvidenceKind
    value: float
    subject: str                    # registry id or family the value belongs to
    source: str                     # "measured: ResNet-50 reference model", "He et al. 2015, Table 4", "notes/X.md:12"
    detail: str = ""                # protocol, split, convention ("10-crop, val", "multiply-adds")


@dataclass(slots=True, unsafe_hash=True)
class Verdict:
    claim: Claim
    verdict: VerdictKind
    expected: float | None          # the reference value the verdict was decided on
    evidence: Evidence | None       # the deciding piece
    alternatives: tuple[Evidence, ...] = ()   # the other pieces of the deciding kind, and paper figures beside measurements
    explanation: str = ""           # one human sentence: "25M truncates 25,557,032 (unit 1M)"


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def compare(stated: Quantity, reference: float) -> VerdictKind:
    """The verdict for one stated quantity against one reference value (never `unverifiable`)."""
    s, v, u = _dec(stated.value), _dec(reference), _dec(stated.step)
    if stated.bound is not None:
        shortfall = {
            "<=": v - s, "<": v - s,
            ">=": s - v, ">": s - v,
        }[stated.bound]
        strict = stated.bound in ("<", ">")
        if shortfall < 0 or (shortfall == 0 and not strict):
            return "verified"
        return "approximate" if shortfall < u else "contradicted"
    off = abs(s - v)
    if stated.hedged:
        return "verified" if off < u else "contradicted"
    if u > 0 and (v / u).quantize(Decimal(1), rounding=ROUND_HALF_UP) * u == s:
        return "verified"
    return "approximate" if off < u else "contradicted"


def explain(stated: Quantity, reference: float, kind: VerdictKind) -> str:
    """One sentence a reader can check by hand."""
    ref = format_value(reference)
    unit = format_value(stated.step)
    if kind == "unverifiable":
        return f"no evidence for {stated.text}"
    if stated.bound is not None:
        holds = "holds" if kind == "verified" else "does not hold"
        return f"{stated.text} {holds} for {ref}"
    if kind == "verified":
        return f"{stated.text} matches {ref} at unit {unit}"
    if kind == "approximate":
        return f"{stated.text} is within {unit} of {ref} but {ref} rounds differently"
    return f"{stated.text} differs from {ref} by {format_value(abs(stated.value - reference))} (unit {unit})"


def judge(claim: Claim, deciding: Sequence[Evidence], beside: Sequence[Evidence] = ()) -> Verdict:
    """The verdict on a claim: the best verdict among the deciding evidence wins.

    `beside` holds figures shown next to the deciding ones without deciding
    (a paper's printed parameter count beside the measured one).
    """
    if not deciding:
        return Verdict(claim, "unverifiable", None, None, tuple(beside),
                       f"no reference value for {claim.subject.text} {claim.attribute}")
    stated = claim.stated
    scored = sorted(
        deciding,
        key=lambda e: (_RANK[compare(stated, e.value)], abs(_dec(stated.value) - _dec(e.value))),
    )
    best = scored[0]
    kind = compare(stated, best.value)
    return Verdict(claim, kind, best.value, best, tuple(scored[1:]) + tuple(beside),
                   explain(stated, best.value, kind))
