"""Published results the fact-checker cites: `published.yaml`, read into typed records and validated.

    >>> from kb.data import load_published
    >>> published = load_published()
    >>> [r.value for r in published.about("resnet152", "top5_error") if r.source == "he2015"]
    [5.71, 4.49]

Every figure names its source, where in the source it is printed, and how it was
obtained (protocol, split, dataset), so that a verdict can say exactly which
published number a note's claim was compared with. A malformed file is a
`PublishedDataError` (a `KbError`: exit code 2) listing every problem at once,
each naming the result by position, subject and attribute.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from kb.errors import KbError

PUBLISHED_PATH = Path(__file__).with_name("published.yaml")

ATTRIBUTES = ("params", "layers", "macs", "top1_error", "top5_error", "year", "bleu", "human_top5_error")
SPLITS = ("val", "test", "")
DATASETS = ("imagenet", "ilsvrc2010", "cifar10", "wmt14_en_de", "wmt14_en_fr")
# Subjects that are benchmarks rather than models: only benchmark-level attributes apply to them.
BENCHMARKS = ("imagenet",)
BENCHMARK_ATTRIBUTES = ("human_top5_error",)
# Attributes measured on a dataset: a figure without its dataset and split cannot be compared.
EVALUATED = ("top1_error", "top5_error", "bleu", "human_top5_error")

# Plausible ranges, to catch a figure typed in the wrong unit (0.0449 for 4.49 %, 25.6 for 25.6e6).
_RANGES: Mapping[str, tuple[float, float]] = {
    "params": (1e3, 1e12),
    "layers": (1, 10_000),
    "macs": (1e6, 1e14),
    "top1_error": (0.0, 100.0),
    "top5_error": (0.0, 100.0),
    "human_top5_error": (0.0, 100.0),
    "bleu": (0.0, 100.0),
    "year": (1950, 2100),
}
_COUNTS = ("params", "layers", "macs", "year")     # whole numbers

_SOURCE_FIELDS = ("authors", "title", "year", "venue")
_RESULT_REQUIRED = ("subject", "attribute", "value", "source", "where")
_RESULT_OPTIONAL = ("protocol", "split", "dataset", "note")


class PublishedDataError(KbError):
    """The published-results file is unreadable or breaks its schema."""


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    authors: str
    title: str
    year: int
    venue: str

    def cite(self) -> str:
        """Short citation: "He et al. 2015", "Simonyan and Zisserman 2014" (as `kb.models.Paper.cite`)."""
        from kb.models.registry import short_citation

        return short_citation(self.authors, self.year, self.key)


@dataclass(frozen=True, slots=True)
class Result:
    """One published figure. Errors and BLEU in percentage points; params and macs as counts."""

    number: int                 # 1-based position in the file's `results` list
    subject: str                # kb.models model id or family id; "imagenet" for benchmark figures
    attribute: str              # one of ATTRIBUTES
    value: float | int
    source: str                 # key into Published.sources
    where: str                  # table / section
    protocol: str = ""          # "single model, 10-crop", "ensemble of 6 models", ...
    split: str = ""             # "val" | "test" | ""
    dataset: str = ""           # one of DATASETS, "" for properties of the network itself
    note: str = ""

    @property
    def label(self) -> str:
        return f"result {self.number} ({self.subject} {self.attribute})"


@dataclass(frozen=True)
class Published:
    sources: dict[str, Source]
    results: tuple[Result, ...]
    _by_subject: dict[str, tuple[Result, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[Result]] = {}
        for result in self.results:
            index.setdefault(result.subject, []).append(result)
        object.__setattr__(self, "_by_subject", {subject: tuple(found) for subject, found in index.items()})

    def about(self, subject: str, attribute: str | None = None) -> tuple[Result, ...]:
        """The figures published for one model or family id, in file order, optionally one attribute."""
        found = self._by_subject.get(subject, ())
        return found if attribute is None else tuple(r for r in found if r.attribute == attribute)

    def cite(self, result: Result) -> str:
        """"He et al. 2015, Table 4" for a result."""
        return f"{self.sources[result.source].cite()}, {result.where}"


def load_published(path: Path | str | None = None, *, subjects: Iterable[str] | None = None) -> Published:
    """Read and validate the published-results file (the package's own by default; cached).

    `subjects` are the ids a result may name besides BENCHMARKS; by default every model
    and family id in `kb.models`.
    """
    if path is None and subjects is None:
        return _load_default()
    target = PUBLISHED_PATH if path is None else Path(path)
    return parse_published(_read(target), origin=target.name,
                           subjects=_registry_subjects() if subjects is None else frozenset(subjects))


@lru_cache(maxsize=1)
def _load_default() -> Published:
    return parse_published(_read(PUBLISHED_PATH), origin=PUBLISHED_PATH.name, subjects=_registry_subjects())


def _registry_subjects() -> frozenset[str]:
    from kb.models import FAMILIES, MODELS

    return frozenset(MODELS) | frozenset(FAMILIES)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise PublishedDataError(f"{path.name}: cannot read published results: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise PublishedDataError(f"{path.name}: not valid UTF-8 (byte {error.start})") from None


def parse_published(text: str, *, origin: str = "published.yaml", subjects: Iterable[str]) -> Published:
    """Validate the text of a published-results file; raise PublishedDataError naming every problem."""
    try:
        document = yaml.load(text, Loader=_UniqueKeyLoader)   # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise PublishedDataError(f"{origin}{where}: invalid YAML: {problem}") from None

    problems: list[str] = []
    if not isinstance(document, dict):
        raise PublishedDataError(f"{origin}: expected a mapping with 'sources' and 'results', "
                                 f"found {_kind(document)}")
    for key in document:
        if key not in ("sources", "results"):
            problems.append(f"unknown top-level key {key!r} (expected 'sources' and 'results')")

    sources = _parse_sources(document.get("sources"), problems)
    known = frozenset(subjects)
    results = _parse_results(document.get("results"), sources, known, problems)

    # Counted over every entry, so that a rejected result does not also report its source as unused.
    entries = document.get("results") if isinstance(document.get("results"), list) else []
    cited = {entry.get("source") for entry in entries if isinstance(entry, dict)}
    for key in sources:
        if key not in cited:
            problems.append(f"source {key!r} is not cited by any result")
    if problems:
        raise PublishedDataError(f"{origin}: {len(problems)} problem{'s' if len(problems) > 1 else ''}:\n  "
                                 + "\n  ".join(problems))
    return Published(sources=sources, results=tuple(results))


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A safe loader that rejects a key given twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} in one entry", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse_sources(raw: object, problems: list[str]) -> dict[str, Source]:
    if not isinstance(raw, dict) or not raw:
        problems.append(f"'sources' must be a non-empty mapping of source key to details, found {_kind(raw)}")
        return {}
    sources: dict[str, Source] = {}
    for key, entry in raw.items():
        label = f"source {key!r}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: expected a mapping with {', '.join(_SOURCE_FIELDS)}, found {_kind(entry)}")
            continue
        before = len(problems)
        _unknown_fields(label, entry, _SOURCE_FIELDS, problems)
        for name in ("authors", "title", "venue"):
            _text(label, entry, name, problems, required=True)
        year = entry.get("year")
        if not _is_int(year) or not _RANGES["year"][0] <= year <= _RANGES["year"][1]:
            problems.append(f"{label}: 'year' must be a year such as 2015, found {year!r}")
        if len(problems) == before:
            sources[str(key)] = Source(key=str(key), authors=entry["authors"], title=entry["title"],
                                       year=year, venue=entry["venue"])
    return sources


def _parse_results(raw: object, sources: Mapping[str, Source], subjects: frozenset[str],
                   problems: list[str]) -> list[Result]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"'results' must be a non-empty list, found {_kind(raw)}")
        return []
    results: list[Result] = []
    seen: dict[tuple, int] = {}
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            problems.append(f"result {number}: expected a mapping, found {_kind(entry)}")
            continue
        subject, attribute = entry.get("subject"), entry.get("attribute")
        label = f"result {number} ({subject} {attribute})" if subject and attribute else f"result {number}"
        before = len(problems)
        _unknown_fields(label, entry, _RESULT_REQUIRED + _RESULT_OPTIONAL, problems)
        for name in ("subject", "attribute", "source", "where"):
            _text(label, entry, name, problems, required=True)
        for name in _RESULT_OPTIONAL:
            _text(label, entry, name, problems, required=False)
        if len(problems) > before:
            continue

        if attribute not in ATTRIBUTES:
            problems.append(f"{label}: unknown attribute {attribute!r} (expected one of {', '.join(ATTRIBUTES)})")
        elif attribute in BENCHMARK_ATTRIBUTES:
            if subject not in BENCHMARKS:
                problems.append(f"{label}: {attribute} belongs to a benchmark "
                                f"({', '.join(BENCHMARKS)}), not {subject!r}")
        elif subject in BENCHMARKS or subject not in subjects:
            problems.append(f"{label}: unknown subject {subject!r} (expected a kb.models model or family id)")
        if entry["source"] not in sources:
            problems.append(f"{label}: unknown source {entry['source']!r}")
        value = entry.get("value")
        if attribute in ATTRIBUTES:
            _check_value(label, attribute, value, problems)
        split, dataset = entry.get("split", ""), entry.get("dataset", "")
        if split not in SPLITS:
            problems.append(f"{label}: split must be 'val', 'test' or empty, found {split!r}")
        if dataset and dataset not in DATASETS:
            problems.append(f"{label}: unknown dataset {dataset!r} (expected one of {', '.join(DATASETS)})")
        if attribute in EVALUATED and (not dataset or not split):
            problems.append(f"{label}: an evaluated figure needs its dataset and split (val or test)")
        if len(problems) > before:
            continue

        result = Result(number=number, subject=subject, attribute=attribute, value=value,
                        source=entry["source"], where=entry["where"],
                        **{name: entry.get(name, "") for name in _RESULT_OPTIONAL})
        identity = (subject, attribute, value, result.source, result.where, result.protocol, split, dataset)
        if identity in seen:
            problems.append(f"{label}: repeats result {seen[identity]}")
            continue
        seen[identity] = number
        results.append(result)
    return results


def _check_value(label: str, attribute: str, value: object, problems: list[str]) -> None:
    low, high = _RANGES[attribute]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(f"{label}: 'value' must be a number, found {value!r}")
    elif not low <= value <= high:
        unit = "percentage points" if high == 100.0 else ("a plain count" if attribute in ("params", "macs")
                                                          else "a whole number")
        problems.append(f"{label}: value {value!r} is outside the plausible range {low:g} to {high:g} "
                        f"for {attribute} ({unit})")
    elif attribute in _COUNTS and value != int(value):
        problems.append(f"{label}: {attribute} must be a whole number, found {value!r}")


def _text(label: str, entry: Mapping, name: str, problems: list[str], *, required: bool) -> None:
    if name not in entry:
        if required:
            problems.append(f"{label}: missing {name!r}")
        return
    value = entry[name]
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(f"{label}: {name!r} must be {'non-empty ' if required else ''}text, found {value!r}")


def _unknown_fields(label: str, entry: Mapping, allowed: tuple[str, ...], problems: list[str]) -> None:
    for name in entry:
        if name not in allowed:
            problems.append(f"{label}: unknown field {name!r} (expected {', '.join(allowed)})")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "text"}.get(type(value), type(value).__name__)
