"""Factual claims a note makes: who, what attribute, what value, where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kb.quantity import Quantity

Attribute = Literal["params", "layers", "flops", "top1_error", "top5_error", "year", "bleu", "ratio"]


@dataclass(frozen=True, slots=True)
class Subject:
    """What a claim is about: a reference variant (`resnet50`) or a family (`resnet`)."""

    text: str                       # as written: "ResNet-50", "[[GoogLeNet]]", "VGGNet"
    model: str | None = None        # registry id of a variant, when it names one
    family: str | None = None       # family id, when it names a family (or the variant's family)


@dataclass(frozen=True, slots=True)
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
