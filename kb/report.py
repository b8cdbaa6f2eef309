"""Rendering a CheckReport: text for people, JSON for CI.

Text, grouped by file, one line per claim, then the file's diagnostics:

    ResNet.md
      ResNet.md:84  ResNet-152  top5_error  6.2% → contradicted (He et al. 2015, Table 3 [10-crop, val]: 5.71)
    17 claims: 9 verified, 4 approximate, 3 contradicted, 1 unverifiable; 2 link diagnostics

Colour is used only on a terminal, and never when NO_COLOR is set.

JSON (`--format json`):

    {"claims": [{"file", "line", "subject", "attribute", "stated", "verdict", "expected",
                 "evidence", "alternatives"}, ...],
     "summary": {"verified", "approximate", "contradicted", "unverifiable"},
     "diagnostics": [{"file", "line", "code", "severity", "message"}, ...]}

`evidence` is null (unverifiable) or `{"kind", "value", "subject", "source", "detail"}`;
`alternatives` is a list of the same. `stated` is the value as the note writes
it; an accuracy, which is checked as an error, says so: `76.1 (accuracy: error 23.9)`.
"""

from __future__ import annotations

import json
import math
import os
from typing import TextIO

from kb.quantity import format_value
from kb.verdicts import VERDICTS, Evidence, Verdict

_COLOURS = {"verified": "32", "approximate": "33", "contradicted": "31", "unverifiable": "2"}


def use_colour(stream: TextIO) -> bool:
    """Colour on a terminal unless NO_COLOR is set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def evidence_dict(evidence: Evidence) -> dict:
    return {"kind": evidence.kind, "value": evidence.value, "subject": evidence.subject,
            "source": evidence.source, "detail": evidence.detail}


def verdict_dict(verdict: Verdict) -> dict:
    claim = verdict.claim
    return {
        "file": claim.file,
        "line": claim.line,
        "subject": claim.subject.text,
        "attribute": claim.attribute,
        "stated": stated(claim),
        "verdict": verdict.verdict,
        "expected": verdict.expected,
        "evidence": evidence_dict(verdict.evidence) if verdict.evidence else None,
        "alternatives": [evidence_dict(e) for e in verdict.alternatives],
    }


def to_json(report) -> dict:
    return {
        "claims": [verdict_dict(v) for v in report.verdicts],
        "summary": {kind: report.summary.get(kind, 0) for kind in VERDICTS},
        "diagnostics": [d.to_dict() for d in report.diagnostics],
    }


# The string escaping json.dumps(..., ensure_ascii=False) applies, in C.
_string = json.encoder.encode_basestring


def _scalar(value) -> str:
    """One number, string or null as json.dumps writes it."""
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)


def to_json_text(report) -> str:
    """`json.dumps(to_json(report), ensure_ascii=False)`, the same text, built directly.

    A large vault's report holds hundreds of thousands of evidence entries, most
    of them the same few objects shared between claims (a note's figure shown
    beside every other note's claim about it); each is written out once here
    and reused, where the dict route builds and encodes it at every use.
    """
    return "".join(json_text_parts(report))


def json_text_parts(report) -> list[str]:
    """`to_json_text(report)` in pieces, to be joined or written one after another
    (a large report need not be held twice, as pieces and as one string)."""
    try:
        return _json_parts(report)
    except TypeError:       # a field of an unexpected type: let json decide how it is written
        return [json.dumps(to_json(report), ensure_ascii=False)]


def _json_parts(report) -> list[str]:
    written: dict[int, str] = {}     # id of an evidence -> its JSON

    def evidence_text(evidence: Evidence) -> str:
        text = written[id(evidence)] = (
            f'{{"kind": {_string(evidence.kind)}, "value": {_scalar(evidence.value)}, '
            f'"subject": {_string(evidence.subject)}, "source": {_string(evidence.source)}, '
            f'"detail": {_string(evidence.detail)}}}')
        return text

    def list_text(evidences: tuple[Evidence, ...]) -> str:
        texts = list(map(written.get, map(id, evidences)))
        if None in texts:
            texts = [text or evidence_text(evidence) for text, evidence in zip(texts, evidences)]
        return ", ".join(texts)

    parts = ['{"claims": [']
    separator = ""
    for verdict in report.verdicts:
        claim = verdict.claim
        evidence = verdict.evidence
        if evidence is not None:
            evidence = written.get(id(evidence)) or evidence_text(evidence)
        parts.append(
            f'{separator}{{"file": {_string(claim.file)}, "line": {_scalar(claim.line)}, '
            f'"subject": {_string(claim.subject.text)}, "attribute": {_string(claim.attribute)}, '
            f'"stated": {_string(stated(claim))}, "verdict": {_string(verdict.verdict)}, '
            f'"expected": {_scalar(verdict.expected)}, "evidence": {evidence or "null"}, '
            f'"alternatives": [{list_text(verdict.alternatives)}]}}')
        separator = ", "
    summary = ", ".join(f"{_string(kind)}: {_scalar(report.summary.get(kind, 0))}" for kind in VERDICTS)
    parts.append(f'], "summary": {{{summary}}}, "diagnostics": [')
    separator = ""
    for d in report.diagnostics:
        parts.append(f'{separator}{{"file": {_string(d.file)}, "line": {_scalar(d.line)}, "code": {_string(d.code)}, '
                     f'"severity": {_string(d.severity)}, "message": {_string(d.message)}}}')
        separator = ", "
    parts.append("]}")
    return parts


def describe_evidence(verdict: Verdict) -> str:
    evidence = verdict.evidence
    if evidence is None:
        return "no evidence"
    detail = f" [{evidence.detail}]" if evidence.detail else ""
    return f"{evidence.source}{detail}: {format_value(evidence.value)}"


def stated(claim) -> str:
    """The stated text, with the error it was read as when the note gives an accuracy."""
    if claim.stated.unit == "accuracy":
        return f"{claim.stated.text} (accuracy: error {format_value(claim.stated.value)})"
    return claim.stated.text


def summary_line(report) -> str:
    total = sum(report.summary.values())
    counts = ", ".join(f"{report.summary.get(kind, 0)} {kind}" for kind in VERDICTS)
    line = f"{total} claim{'s' if total != 1 else ''}: {counts}"
    if report.diagnostics:
        n = len(report.diagnostics)
        line += f"; {n} diagnostic{'s' if n != 1 else ''}"
    return line


def to_text(report, *, colour: bool = False) -> str:
    def paint(text: str, kind: str) -> str:
        return f"\033[{_COLOURS[kind]}m{text}\033[0m" if colour else text

    by_file: dict[str, list] = {}
    for verdict in report.verdicts:
        by_file.setdefault(verdict.claim.file, []).append(("claim", verdict.claim.line, verdict))
    for diagnostic in report.diagnostics:
        by_file.setdefault(diagnostic.file, []).append(("diagnostic", diagnostic.line, diagnostic))
    lines = []
    for file in sorted(by_file):
        lines.append(f"\033[1m{file}\033[0m" if colour else file)
        for kind, _, item in sorted(by_file[file], key=lambda entry: (entry[1], entry[0])):
            if kind == "claim":
                claim = item.claim
                lines.append(f"  {claim.file}:{claim.line}  {claim.subject.text}  {claim.attribute}  "
                             f"{stated(claim)} → {paint(item.verdict, item.verdict)} "
                             f"({describe_evidence(item)})")
            else:
                lines.append(f"  {item}  [{item.code or item.severity}]")
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


__all__ = ["describe_evidence", "json_text_parts", "summary_line", "to_json", "to_json_text", "to_text", "use_colour",
           "verdict_dict"]
