"""Evidence for a claim: what the reference models measure and what the papers report.

| attribute                  | deciding evidence                                   | shown beside it                 |
|----------------------------|-----------------------------------------------------|---------------------------------|
| `params`, `layers`         | the reference model's measurement                   | the paper's own printed figure  |
| `flops`                    | measured multiply-adds, and 2 × multiply-adds       | the paper's printed figure      |
| `ratio` (`8× deeper than`) | derived: the ratio of the two measurements          |                                 |
| `top1_error`, `top5_error`, `bleu` | published results (kb/data/published.yaml)  |                                 |
| `year`                     | the year the architecture was first published       |                                 |

A claim about a family is checked against each of its variants, and the best
verdict wins (`VGGNet: 19 layers` holds because VGG-19 has 19). Bounds
(`up to 152 layers`, `over 100 layers`) are checked against the family's
largest value, and in a ratio a family stands for its largest variant
(`8× deeper than VGG` is 152 / 19 for ResNet against VGG). Error rates and
BLEU of a family are any published result of the family or its variants;
those of a variant are the results published for that variant. When a model
could not be measured, the paper's printed figure decides instead, and the
evidence says so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kb.claims import Claim, Subject
from kb.quantity import format_value
from kb.verdicts import Evidence

MEASURABLE = frozenset({"params", "layers", "flops"})
# published.yaml names multiply-adds "macs"; claims call any compute figure "flops".
_PUBLISHED_ATTRIBUTE = {"params": "params", "layers": "layers", "flops": "macs"}


@dataclass(frozen=True)
class References:
    """Everything claims are checked against, loaded once per check."""

    models: Mapping[str, Any]                 # id -> kb.models.ModelSpec
    families: Mapping[str, Any]               # id -> kb.models.FamilySpec
    measurements: Mapping[str, Any]           # id -> kb.measure.Measurement
    published: Sequence[Any] = ()             # kb.data published results
    sources: Mapping[str, Any] = field(default_factory=dict)
    _results: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        results: dict[tuple[str, str], list] = defaultdict(list)
        for result in self.published:
            results[(result.subject, result.attribute)].append(result)
        object.__setattr__(self, "_results", dict(results))

    def results(self, subject: str, attribute: str) -> list:
        return self._results.get((subject, attribute), [])

    def variants(self, family: str) -> tuple[str, ...]:
        spec = self.families.get(family)
        return tuple(spec.variants) if spec is not None else ()

    def name(self, model_or_family: str) -> str:
        spec = self.models.get(model_or_family) or self.families.get(model_or_family)
        return spec.name if spec is not None else model_or_family


def gather(claim: Claim, refs: References) -> tuple[list[Evidence], list[Evidence]]:
    """(deciding, beside) evidence for a claim; both empty when nothing is known."""
    subject = claim.subject
    if subject.key is None:
        return [], []
    if claim.attribute == "ratio":
        return _ratio(claim, refs), []
    if claim.attribute in MEASURABLE:
        return _measurable(claim, refs)
    if claim.attribute == "year":
        return _year(subject, refs), []
    return _cited(subject, claim.attribute, refs, claim.dataset), []


def _ids(subject: Subject, refs: References) -> tuple[str, ...]:
    """The variants a subject stands for: itself, or every variant of its family."""
    if subject.model is not None:
        return (subject.model,)
    return refs.variants(subject.family or "")


def _measured(model: str, attribute: str, refs: References) -> list[Evidence]:
    m = refs.measurements.get(model)
    if m is None:
        return []
    source = f"measured: {refs.name(model)} reference model"
    if attribute == "params" and m.params is not None:
        return [Evidence("measured", float(m.params), model, source, "trainable parameters")]
    if attribute == "layers" and m.depth is not None:
        return [Evidence("measured", float(m.depth), model, source, _depth_detail(m))]
    if attribute == "flops" and m.macs is not None:
        flops = m.flops if m.flops is not None else 2 * m.macs
        shape = tuple(m.input_shape or ())[1:]          # one sample: without the batch dimension
        at = f" at {'×'.join(str(d) for d in shape)}" if shape else ""
        return [Evidence("measured", float(m.macs), model, source, f"multiply-adds{at}"),
                Evidence("measured", float(flops), model, source, f"FLOPs = 2 × multiply-adds{at}")]
    return []


def _depth_detail(m) -> str:
    """"weight layers: 49 conv + 1 fc", "encoder/decoder layers: encoder 6 + decoder 6"."""
    from kb.measure import depth_breakdown

    detail = m.depth_detail if isinstance(m.depth_detail, Mapping) else {}
    return ": ".join(filter(None, (m.depth_unit or "", depth_breakdown(m.depth_unit or "", detail))))


def _cite(result, refs: References) -> Evidence:
    source = refs.sources.get(result.source)
    who = source.cite() if source is not None else result.source
    where = f", {result.where}" if getattr(result, "where", "") else ""
    measured_on = " ".join(filter(None, (getattr(result, "dataset", ""), getattr(result, "split", ""))))
    detail = "; ".join(filter(None, (getattr(result, "protocol", ""), measured_on)))
    return Evidence("cited", float(result.value), result.subject, f"{who}{where}", detail)


def _measurable(claim: Claim, refs: References) -> tuple[list[Evidence], list[Evidence]]:
    subject = claim.subject
    ids = _ids(subject, refs)
    published_attribute = _PUBLISHED_ATTRIBUTE[claim.attribute]
    owners = dict.fromkeys((subject.key, *ids))       # the subject itself, then its variants, once each
    printed = [_cite(r, refs) for i in owners for r in refs.results(i, published_attribute)]
    measured = [e for i in ids for e in _measured(i, claim.attribute, refs)]
    deciding = measured or printed
    beside = printed if measured else []
    if subject.model is None and claim.stated.bound is not None and deciding:
        # "up to 152 layers", "over 100 layers": about the family's largest variant,
        # in each convention (FLOPs are read as multiply-adds and as twice that).
        top: dict[str, Evidence] = {}
        for e in deciding:
            convention = e.detail.split(" at ")[0] if claim.attribute == "flops" else ""
            if convention not in top or e.value > top[convention].value:
                top[convention] = e
        largest_ones = set(map(id, top.values()))
        beside = [e for e in deciding if id(e) not in largest_ones] + beside
        deciding = list(top.values())
    return deciding, beside


def _cited(subject: Subject, attribute: str, refs: References, dataset: str | None = None) -> list[Evidence]:
    ids = (subject.key,) if subject.model is not None else (subject.family, *_ids(subject, refs))
    return [_cite(r, refs) for i in ids if i for r in refs.results(i, attribute)
            if dataset is None or getattr(r, "dataset", "") == dataset]


def _year(subject: Subject, refs: References) -> list[Evidence]:
    family = subject.family or (refs.models[subject.model].family if subject.model in refs.models else None)
    found = [_cite(r, refs) for i in (family, subject.model) if i for r in refs.results(i, "year")]
    if not found and family in refs.families:
        spec = refs.families[family]
        paper = spec.paper
        found = [Evidence("cited", float(spec.year), family, f"{paper.cite()}, {paper.venue}", "first published")]
    return found


def largest(subject: Subject, attribute: str, refs: References) -> tuple[str, float] | None:
    """The measured value a subject stands for in a ratio: its own, or its family's largest."""
    values = [(e.subject, e.value) for i in _ids(subject, refs) for e in _measured(i, attribute, refs)[:1]]
    return max(values, key=lambda item: item[1]) if values else None


def _ratio(claim: Claim, refs: References) -> list[Evidence]:
    reference = claim.ratio_reference
    if reference is None or reference.key is None or claim.ratio_of is None:
        return []
    ours = largest(claim.subject, claim.ratio_of, refs)
    theirs = largest(reference, claim.ratio_of, refs)
    if ours is None or theirs is None or not ours[1] or not theirs[1]:
        return []
    (a_id, a), (b_id, b) = ours, theirs
    value = a / b if claim.ratio_direction == "more" else b / a
    what = "multiply-adds" if claim.ratio_of == "flops" else claim.ratio_of
    source = (f"derived: {refs.name(a_id)} {format_value(a)} / {refs.name(b_id)} {format_value(b)}"
              if claim.ratio_direction == "more" else
              f"derived: {refs.name(b_id)} {format_value(b)} / {refs.name(a_id)} {format_value(a)}")
    return [Evidence("derived", round(value, 6), claim.subject.key or "", source, f"measured {what}")]


def models_needed(claims: Iterable[Claim], families: Mapping[str, Any]) -> set[str]:
    """The reference models whose measurements the claims' verdicts depend on."""
    needed: set[str] = set()
    for claim in claims:
        if claim.attribute not in MEASURABLE and claim.attribute != "ratio":
            continue
        for subject in (claim.subject, claim.ratio_reference):
            if subject is None:
                continue
            if subject.model is not None:
                needed.add(subject.model)
            elif subject.family in families:
                needed.update(families[subject.family].variants)
    return needed


def _same(subject: Subject) -> str:
    """Who a claim is about, for comparing notes: the registry id, else the name as written, loosely."""
    return subject.model or subject.family or _loosely(subject.text)


@lru_cache(maxsize=65536)
def _loosely(name: str) -> str:
    return "?" + _NOT_ALNUM.sub("", name.casefold())


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def same_statements(claims: Iterable[Claim]) -> dict[tuple, list[Claim]]:
    """Claims grouped by what they are about (`statement_about`), in order."""
    groups: dict[tuple, list[Claim]] = defaultdict(list)
    for claim in claims:
        about = statement_about(claim)
        if about is not None:
            groups[about].append(claim)
    return groups


def statement_about(claim: Claim) -> tuple | None:
    """What a claim states a value of, for comparing notes: (subject, attribute, compared-with, benchmark).

    Architectures the registry does not know are told by name, so two notes
    disagreeing about one are found too. None for a bound, which states no single value.
    """
    if claim.stated.bound is not None:
        return None
    reference = claim.ratio_reference
    return (_same(claim.subject), claim.attribute, claim.ratio_of,
            _same(reference) if reference else None, claim.ratio_direction, claim.dataset)


def note_evidence(claim: Claim) -> Evidence:
    """What a note states, as evidence shown beside a claim about the same thing elsewhere."""
    return Evidence("note", claim.stated.value, claim.subject.key or claim.subject.text,
                    f"{claim.file}:{claim.line}", claim.stated.text)
