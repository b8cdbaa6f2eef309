"""Factual claims a note makes: who, what attribute, what value, where.

What is read as a claim:

- **Entity tables**: a table with a column naming architectures (header
  `Model`, `Architecture`, `Network`, `Variant`, `Name`, or any column whose
  cells mostly name known architectures) and attribute columns recognised by
  their header (see below). Each number in an attribute column is a claim
  about the architecture named in its row: in `| 2012 | [[AlexNet]] | 8 |`
  under `Year | Architecture | Layers`, AlexNet's year is 2012 and its depth 8,
  whichever note the table stands in.
- **Key-value tables** (`Metric | Value`, `Property | Value`, ...): each row
  whose key names an attribute is a claim about the note's own subject.
- **Dataview inline fields** (`params:: 25.6M`) and **frontmatter keys** of
  the same names, about the note's own subject.
- **Ratio phrases** inside those cells and fields: `8× deeper than VGG`,
  `12× fewer parameters than AlexNet`, `2x more FLOPs than X`.

The note's own subject is its frontmatter `model:` (a reference variant) or
`family:`, else whatever its title, then its aliases, name.

What is not a claim: prose (the seed's "**3.6% error**" in a paragraph is
not read; put figures in a table or a field to have them checked), code
blocks, cells that state no number (`N/A`, `—`, `Good`, `1st place`), and
numbers in parentheses other than ratio phrases: in
`**3.6%** (superhuman ~5%)` the claim is 3.6%; "~5%" describes humans, not
the row's subject, and is not read.

Attribute headers and keys (case-insensitive; a unit in the header such as
`Params (M)`, `FLOPs (G)`, `GFLOPs`, `Top-5 err. (%)` applies to the cells):

| header / key contains                         | attribute                         |
|-----------------------------------------------|-----------------------------------|
| `layers`, `depth`                             | `layers`                          |
| `params`, `parameters`, `#params`             | `params`                          |
| `FLOPs`, `GFLOPs`, `MACs`, `multiply-adds`    | `flops`                           |
| `top-1` (error) / `top-5` (error)             | `top1_error` / `top5_error`       |
| `top-1 accuracy` / `top-5 accuracy`           | converted: error = 100 − accuracy |
| `accuracy` without top-1/top-5                | top-1 accuracy, converted         |
| `error` without top-1/top-5 (`ImageNet error`)| `top5_error`: ILSVRC ranks entries by top-5 error, and the figures quoted for it (3.57% for ResNet) are top-5 |
| `year`                                        | `year`                            |
| `BLEU`                                        | `bleu`                            |

A header naming a benchmark narrows the evidence to it: `BLEU (EN-DE)` /
`BLEU (EN-FR)` are checked against WMT 2014 English-German / English-French
results only; `CIFAR-10 error` is a top-1 error on CIFAR-10.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from kb.parse.note import Cell, Link, ParsedNote, Table
from kb.quantity import MULTIPLIERS, Quantity, parse_quantity, strip_emphasis

Attribute = Literal["params", "layers", "flops", "top1_error", "top5_error", "year", "bleu", "ratio"]


@dataclass(frozen=True, slots=True)
class Subject:
    """What a claim is about: a reference variant (`resnet50`) or a family (`resnet`)."""

    text: str                       # as written: "ResNet-50", "[[GoogLeNet]]", "VGGNet"
    model: str | None = None        # registry id of a variant, when it names one
    family: str | None = None       # family id, when it names a family (or the variant's family)

    @property
    def key(self) -> str | None:
        """The id the claim is about: the variant when one is named, else the family."""
        return self.model or self.family


# Read-only, but not declared frozen: a frozen dataclass takes several times as long to
# build (see kb.parse.note), and a large vault makes a claim per table cell. Hashable
# by value all the same, as a frozen one is.
@dataclass(slots=True, unsafe_hash=True)
class Claim:
    file: str                       # relative to the vault, POSIX
    line: int
    column: int | None              # table column of the cell the value stands in, None outside tables
    subject: Subject
    attribute: Attribute
    stated: Quantity
    text: str                       # the cell or field text the claim was read from
    ratio_of: Attribute | None = None   # for `ratio`: the compared attribute ("layers" for "8x deeper")
    ratio_reference: Subject | None = None  # for `ratio`: the other side ("VGG" in "8x deeper than VGG")
    ratio_direction: Literal["more", "fewer"] | None = None
    dataset: str | None = None      # when the header names one: "wmt14_en_de" for `BLEU (EN-DE)`


# (name as written, links in that text) -> the architecture it names, or None.
Identify = Callable[[str, Sequence[Link]], "Subject | None"]


@dataclass(frozen=True, slots=True)
class Label:
    """What a column header or key names: an attribute, and how to read its cells."""

    attribute: Attribute
    scale: float = 1.0              # `Params (M)` -> 1e6
    accuracy: bool = False          # cells are accuracies; claims are 100 - accuracy, with unit "accuracy"
    dataset: str | None = None      # the benchmark the header names, in kb/data/published.yaml's terms


NAME_HEADERS = frozenset({"model", "models", "architecture", "architectures", "arch", "network", "networks",
                          "net", "variant", "variants", "name", "system", "entry"})
KEY_HEADERS = frozenset({"metric", "property", "attribute", "key", "fact", "stat", "statistic", "field",
                         "characteristic", "feature", "spec", "specification", "item", "quantity"})
VALUE_HEADERS = frozenset({"value", "values", "result", "figure", "number", "amount", "detail", "details"})

_WIKILINK = re.compile(r"!?\[\[([^\]|#^]*)(?:[#^][^\]|]*)?(?:\|([^\]]*))?\]\]")
_MDLINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_UNIT_IN_HEADER = re.compile(r"[(\[]\s*([^)\]]*?)\s*[)\]]")
_RATIO = re.compile(
    r"(?P<hedge>~|≈|about\s+|roughly\s+|nearly\s+|almost\s+)?"
    r"(?P<number>\d+(?:\.\d+)?)\s*(?:×|x|X|times)\s*"
    r"(?P<what>deeper|shallower|more\s+param(?:eter)?s|fewer\s+param(?:eter)?s|less\s+param(?:eter)?s|"
    r"larger|bigger|smaller|more\s+(?:flops|compute|multiply-adds|macs)|fewer\s+(?:flops|multiply-adds|macs)|"
    r"less\s+compute)"
    r"\s+than\s+(?:the\s+)?(?P<reference>\[\[[^\]]+\]\]|[^,;:()]+?)\s*(?=[,;:()]|\.(?:\s|$)|$)",
    re.IGNORECASE,
)
_RATIO_MEANING: tuple[tuple[str, Attribute, Literal["more", "fewer"]], ...] = (
    ("deeper", "layers", "more"), ("shallower", "layers", "fewer"),
    ("more param", "params", "more"), ("larger", "params", "more"), ("bigger", "params", "more"),
    ("fewer param", "params", "fewer"), ("less param", "params", "fewer"), ("smaller", "params", "fewer"),
    ("more", "flops", "more"), ("fewer", "flops", "fewer"), ("less", "flops", "fewer"),
)


@lru_cache(maxsize=65536)
def plain_name(text: str) -> str:
    """A cell's text as a name: `**[[GoogLeNet|Inception]]**` -> `Inception`."""
    text = _WIKILINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _MDLINK.sub(lambda m: m.group(1), text)
    return strip_emphasis(text).strip()


@lru_cache(maxsize=4096)
def read_label(label: str) -> Label | None:
    """The attribute a header or key names, with the unit it gives its cells."""
    text = plain_name(label).lower()
    scale = 1.0
    for unit in _UNIT_IN_HEADER.findall(text):
        word = unit.strip().lower()
        if word in MULTIPLIERS:
            scale = MULTIPLIERS[word]
    name = _UNIT_IN_HEADER.sub(" ", text)
    name = re.sub(r"[_\-]+(?!\d)", " ", name).replace("top ", "top-")
    name = re.sub(r"top[\s-]?([15])", r"top-\1", name)
    glued = re.search(r"(?<![a-z])([kmgbt])(flops?|macs?|params?)(?![a-z])", name)
    if glued:
        scale = MULTIPLIERS[glued.group(1)]
    words = set(re.findall(r"[a-z#]+", name))
    if "bleu" in name:
        return Label("bleu", scale, dataset=_language_pair(text))
    accuracy = bool({"accuracy", "acc"} & words)
    error = bool({"error", "err", "errors"} & words) or "error rate" in name
    if "cifar" in name and (accuracy or error):
        # CIFAR-10 results are top-1: ten classes leave nothing for a top-5 figure to say.
        return Label("top1_error", scale, accuracy, dataset="cifar10")
    if "top-1" in name and (accuracy or error or name.strip() == "top-1"):
        return Label("top1_error", scale, accuracy)
    if "top-5" in name and (accuracy or error or name.strip() == "top-5"):
        return Label("top5_error", scale, accuracy)
    if accuracy:
        return Label("top1_error", scale, True)
    if error:
        return Label("top5_error", scale)
    if re.search(r"flops?|multiply[\s-]?adds?|mult[\s-]?adds|macs?|madds", name):
        return Label("flops", scale)
    if re.search(r"#\s*params|param(?:eter)?s?\b|param count", name):
        return Label("params", scale)
    if re.search(r"\blayers?\b|\bdepth\b", name):
        return Label("layers", scale)
    if re.search(r"\byear\b", name):
        return Label("year", scale)
    return None


def _language_pair(header: str) -> str | None:
    """`BLEU (EN-DE)`, `BLEU en→fr`, `English-German BLEU` -> the WMT 2014 task they name."""
    text = header.lower()
    if re.search(r"\ben\s*(?:-|→|->|–|/)\s*de\b|english[\s-]+(?:to[\s-]+)?german", text):
        return "wmt14_en_de"
    if re.search(r"\ben\s*(?:-|→|->|–|/)\s*fr\b|english[\s-]+(?:to[\s-]+)?french", text):
        return "wmt14_en_fr"
    return None


def read_value(text: str, label: Label) -> Quantity | None:
    """The quantity a cell states under a label: header units applied, accuracy turned into error."""
    quantity = parse_quantity(text)
    if quantity is None:
        return None
    if label.scale != 1.0 and quantity.multiplier == 1.0:
        quantity = quantity.scaled(label.scale)
    if label.accuracy:
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
        quantity = replace(quantity, value=float(round(100 - quantity.value, 10)), unit="accuracy",
                           bound=flipped.get(quantity.bound) if quantity.bound else None)
    return quantity


def read_ratios(text: str) -> Iterable[tuple[Quantity, Attribute, Literal["more", "fewer"], str]]:
    """Ratio phrases: `8× deeper than VGG` -> (8, "layers", "more", "VGG")."""
    if "than" not in text.lower():
        return
    for match in _RATIO.finditer(strip_emphasis(text)):
        what = " ".join(match["what"].lower().split())
        attribute, direction = next((a, d) for prefix, a, d in _RATIO_MEANING if what.startswith(prefix))
        number = match["number"]
        decimals = len(number.partition(".")[2])
        quantity = Quantity(value=float(number), step=10.0 ** -decimals, text=" ".join(match[0].split()),
                            hedged=bool(match["hedge"]), unit="×")
        yield quantity, attribute, direction, match["reference"].strip()


def note_subject(note: ParsedNote, identify: Identify) -> Subject | None:
    """What the note is about: frontmatter `model:`/`family:`, else its title, else an alias."""
    front = note.frontmatter if isinstance(note.frontmatter, dict) else {}
    for key in ("model", "family"):
        value = front.get(key)
        if isinstance(value, str) and value.strip():
            subject = identify(value.strip(), ())
            if subject is not None:
                return Subject(note.title, subject.model, subject.family)
    for name in (note.title, *note.aliases):
        subject = identify(name, ())
        if subject is not None:
            return Subject(note.title, subject.model, subject.family)
    return None


def extract_claims(note: ParsedNote, identify: Identify) -> tuple[Claim, ...]:
    """Every claim the note states, in line order.

    `identify` names the architecture a cell names (kb.check builds it from
    the model registry and the vault's notes).
    """
    own = note_subject(note, identify)
    claims: list[Claim] = []
    for table in note.tables:
        _table_claims(note.path, table, own, identify, claims)
    if own is not None:
        claims.extend(_field_claims(note, own, identify))
    claims.sort(key=_position)
    return tuple(claims)


def _position(claim: Claim) -> tuple[int, int]:
    return claim.line, claim.column if claim.column is not None else -1


@lru_cache(maxsize=65536)
def _cell_reading(text: str, label_text: str | None) -> tuple[Quantity | None, tuple]:
    """What a cell states under the header or key `label_text`: its quantity, and its ratio phrases.

    Cached: a vault repeats the same cells under the same headers many times.
    """
    label = read_label(label_text) if label_text is not None else None
    stated = read_value(text, label) if label is not None else None
    return stated, tuple(read_ratios(text))


@lru_cache(maxsize=65536)
def _unknown(name: str) -> Subject:
    """A subject neither the registry nor the vault knows, by name (vaults name the same ones often)."""
    return Subject(name)


def _cell_claims(path: str, cell: Cell, subject: Subject, label: Label | None, label_text: str | None,
                 identify: Identify, claims: list[Claim]) -> None:
    """Add what `cell` states under the header or key `label_text` (read as `label`) to `claims`."""
    stated, ratios = _cell_reading(cell.text, label_text if label is not None else None)
    if stated is not None:
        claims.append(Claim(path, cell.line, cell.column, subject, label.attribute, stated, cell.text,
                            dataset=label.dataset))
    if ratios:
        claims.extend(_ratio_claims(path, cell.line, cell.column, cell.text, cell.links, subject, identify, ratios))


def _ratio_claims(path: str, line: int, column: int | None, text: str, links: Sequence[Link],
                  subject: Subject, identify: Identify, ratios=None) -> Iterable[Claim]:
    for stated, attribute, direction, reference_text in read_ratios(text) if ratios is None else ratios:
        name = plain_name(reference_text)
        reference = identify(name, [link for link in links if link.target and link.target in reference_text])
        yield Claim(path, line, column, subject, "ratio", stated, text,
                    ratio_of=attribute, ratio_direction=direction,
                    ratio_reference=reference or Subject(name))


def _is_key_value(table: Table) -> bool:
    if len(table.header) < 2:
        return False
    first = plain_name(table.header[0].text).lower()
    second = plain_name(table.header[1].text).lower()
    return first in KEY_HEADERS or second in VALUE_HEADERS


def _name_column(table: Table, identify: Identify) -> int | None:
    for cell in table.header:
        if plain_name(cell.text).lower() in NAME_HEADERS:
            return cell.column
    for cell in table.header:
        named = [row[cell.column] for row in table.rows
                 if cell.column < len(row) and plain_name(row[cell.column].text)]
        if named and sum(identify(plain_name(c.text), c.links) is not None for c in named) * 2 > len(named):
            return cell.column
    return None


def _table_claims(path: str, table: Table, own: Subject | None, identify: Identify, claims: list[Claim]) -> None:
    if _is_key_value(table):
        if own is None:
            return
        for row in table.rows:
            if len(row) < 2:
                continue
            key = row[0].text
            label = read_label(key)
            for cell in row[1:]:
                _cell_claims(path, cell, own, label, key, identify, claims)
        return
    labels = {cell.column: read_label(cell.text) for cell in table.header}
    if not any(labels.values()):
        return
    name_column = _name_column(table, identify)
    if name_column is None:
        return
    header_texts = {cell.column: cell.text for cell in table.header}
    for row in table.rows:
        if name_column >= len(row):
            continue
        name_cell = row[name_column]
        name = plain_name(name_cell.text)
        if not name or parse_quantity(name) is not None:
            continue
        subject = identify(name, name_cell.links) or _unknown(name)
        for cell in row:
            if cell.column != name_column:
                _cell_claims(path, cell, subject, labels.get(cell.column), header_texts.get(cell.column), identify,
                             claims)


def _field_claims(note: ParsedNote, own: Subject, identify: Identify) -> Iterable[Claim]:
    for item in note.fields:
        label = read_label(item.key)
        if label is not None:
            stated = read_value(item.value, label)
            if stated is not None:
                yield Claim(note.path, item.line, None, own, label.attribute, stated, item.value,
                            dataset=label.dataset)
        yield from _ratio_claims(note.path, item.line, None, item.value, (), own, identify)
    front = note.frontmatter if isinstance(note.frontmatter, dict) else {}
    for key, value in front.items():
        if not isinstance(key, str) or isinstance(value, (bool, dict, list)) or value is None:
            continue
        label = read_label(key)
        if label is None:
            continue
        stated = read_value(str(value), label)
        if stated is not None:
            line = note.frontmatter_lines.get(key, 1)  # 1: a frontmatter YAML could not read
            yield Claim(note.path, line, None, own, label.attribute, stated, str(value))
