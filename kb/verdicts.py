"""Verdicts: how a claim compares with its evidence, by the documented rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kb.claims import Claim

VerdictKind = Literal["verified", "approximate", "contradicted", "unverifiable"]
EvidenceKind = Literal["measured", "cited", "derived", "note"]


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: EvidenceKind
    value: float
    subject: str                    # registry id or family the value belongs to
    source: str                     # "measured: ResNet-50 reference model", "He et al. 2015, Table 4", "notes/X.md:12"
    detail: str = ""                # protocol, split, convention ("10-crop, val", "multiply-adds")


@dataclass(frozen=True, slots=True)
class Verdict:
    claim: Claim
    verdict: VerdictKind
    expected: float | None          # the reference value the verdict was decided on
    evidence: Evidence | None       # the deciding piece
    alternatives: tuple[Evidence, ...] = ()   # the other pieces of the deciding kind, and paper figures beside measurements
    explanation: str = ""           # one human sentence: "25M truncates 25,557,032 (unit 1M)"
