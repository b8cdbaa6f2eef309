"""Numbers as people write them in notes: `25.6M`, `~60 million`, `up to 152 layers`, `6.7%`.

`parse_quantity(text)` reads the one value a table cell or field states and
keeps its stated precision: `step` is the unit of the last digit written.

| written                      | value        | step   | hedged | bound |
|------------------------------|--------------|--------|--------|-------|
| `25M`, `25 million`          | 25e6         | 1e6    |        |       |
| `25.6 M`                     | 25.6e6       | 1e5    |        |       |
| `25,557,032`                 | 25557032     | 1      |        |       |
| `3.8×10^9`, `3.8e9`          | 3.8e9        | 1e8    |        |       |
| `3.8 GFLOPs`                 | 3.8e9        | 1e8    |        |       |
| `1.5 billion`, `1.5B`        | 1.5e9        | 1e8    |        |       |
| `6.71%`                      | 6.71         | 0.01   |        |       |
| `~25M`, `≈25M`, `about 25M`  | 25e6         | 1e6    | yes    |       |
| `up to 152 layers`, `≤ 152`  | 152          | 1      |        | `<=`  |
| `152-layer`                  | 152          | 1      |        |       |
| `over 100`, `more than 100`, `> 100` | 100  | 1      |        | `>`   |
| `at least 100`, `100+`, `≥ 100` | 100       | 1      |        | `>=`  |
| `under 5`, `less than 5`, `< 5` | 5         | 1      |        | `<`   |

Markdown emphasis (`**25M**`, `*25M*`, `` `25M` ``) is ignored. A cell
states a quantity only when, apart from the number, its unit words, a hedge or
a bound, and any parenthetical remark, it has no other words: `1st place`,
`Good`, `N/A` and `—` state nothing. Parenthetical remarks are not read here
(`kb.claims` reads the ratio phrases in them). Ranges (`11–19 layers`) and
lists (`18/34/50`) state no single value and are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Literal

Bound = Literal["<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Quantity:
    """A stated value in base units (a count of parameters, a percentage, a year).

    `step` is the unit of the last stated digit, in the same base units:
    `25M` -> value 25e6, step 1e6; `25.6M` -> step 1e5; `6.71%` -> value 6.71, step 0.01.
    """

    value: float
    step: float
    text: str                       # the matched text as written, emphasis stripped
    hedged: bool = False            # `~`, `≈`, `about`, `roughly`
    bound: Bound | None = None      # `up to` -> "<=", `over`/`more than`/`N+` -> ">" / ">="
    unit: str = ""                  # "", "%", "layers", ... as recognised
    multiplier: float = 1.0         # the scale word written with the number: 1e6 for `25M`, 1 for `25`

    def scaled(self, factor: float) -> Quantity:
        """The same statement in a larger unit: a `Params (M)` column scales `25.6` by 1e6."""
        return replace(self, value=_times(self.value, factor), step=_times(self.step, factor),
                       multiplier=_times(self.multiplier, factor))


MULTIPLIERS: dict[str, float] = {
    "k": 1e3, "thousand": 1e3,
    "m": 1e6, "mil": 1e6, "mio": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "g": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9,
    "t": 1e12, "trillion": 1e12,
}

# Unit words a number may carry; the value is the same whichever is used.
UNITS: dict[str, str] = {
    "%": "%", "percent": "%", "pct": "%",
    "layers": "layers", "layer": "layers", "weight layers": "layers", "deep": "layers",
    "parameters": "params", "params": "params", "param": "params", "weights": "params",
    "flops": "flops", "flop": "flops", "macs": "macs", "mac": "macs",
    "multiply-adds": "macs", "mult-adds": "macs", "multiply-accumulates": "macs", "madds": "macs",
    "bleu": "bleu",
}

_HEDGES = r"~|≈|∼|about|around|roughly|approximately|approx\.?|ca\.|circa|nearly|almost|some"
_BOUND_WORDS: dict[str, Bound] = {
    "up to": "<=", "at most": "<=", "≤": "<=", "<=": "<=", "no more than": "<=",
    "over": ">", "more than": ">", "above": ">", "greater than": ">", ">": ">", "beyond": ">",
    "at least": ">=", "≥": ">=", ">=": ">=",
    "under": "<", "less than": "<", "fewer than": "<", "below": "<", "<": "<",
}
_BOUNDS = "|".join(re.escape(word) for word in sorted(_BOUND_WORDS, key=len, reverse=True))
_MULTIPLIER_WORDS = "|".join(sorted(MULTIPLIERS, key=len, reverse=True))
_UNIT_WORDS = "|".join(re.escape(word) for word in sorted(UNITS, key=len, reverse=True) if word != "%")

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")

_QUANTITY = re.compile(
    rf"""
    ^\s*
    (?P<hedge1>(?:{_HEDGES})\s*)?
    (?P<bound>(?:{_BOUNDS})(?=[\s\d.~≈∼])\s*)?
    (?P<hedge2>(?:{_HEDGES})\s*)?
    (?P<number>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
    (?:\s*(?:[×x*·]\s*10\s*\^?\s*(?P<exp>[-+]?\d+)|[eE](?P<eexp>[-+]?\d+)))?
    (?P<plus>\+)?
    \s*(?P<mult>(?:{_MULTIPLIER_WORDS})(?![a-z]))?
    (?P<plus2>\+)?
    \s*(?P<unit>%|-?\s*(?:(?:{_UNIT_WORDS}))(?![a-z]))?
    (?P<plus3>\+)?
    \s*$
    """,
    re.VERBOSE | re.IGNORECASE,
)

# `GFLOPs`, `MFLOPs`, `GMACs`, `Mparams`: a multiplier glued to its unit word.
_GLUED = re.compile(r"(?<![a-z])([kmgbt])(flops?|macs?|params?)(?![a-z])", re.IGNORECASE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|(?<![\w])_|_(?![\w])|`|~~|==)")
_PARENTHETICAL = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_NOTHING = {"", "n/a", "na", "-", "—", "–", "?", "tbd", "unknown", "none", "n.a."}


def strip_emphasis(text: str) -> str:
    """`**25M**` -> `25M`; strike-through and highlight marks go too."""
    return _EMPHASIS.sub("", text).strip()


@lru_cache(maxsize=65536)
def parse_quantity(text: str) -> Quantity | None:
    """The quantity a cell or field states, or None when it states no number.

    Parenthetical remarks are ignored: `**3.6%** (superhuman ~5%)` is 3.6%.
    Cached: a vault repeats the same cells (`2015`, `N/A`) many times.
    """
    plain = strip_emphasis(text)
    main = _PARENTHETICAL.sub(" ", plain).strip()
    if main.lower() in _NOTHING:
        return None
    main = _GLUED.sub(lambda m: f"{m.group(1)} {m.group(2)}", main.translate(_SUPERSCRIPTS))
    match = _QUANTITY.match(main)
    if match is None:
        return None
    number = match["number"].replace(",", "")
    mantissa = Decimal(number)
    step = Decimal(1).scaleb(mantissa.as_tuple().exponent)
    scale = Decimal(1)
    exponent = match["exp"] or match["eexp"]
    if exponent is not None:
        scale = scale.scaleb(int(exponent))
    if match["mult"]:
        scale *= Decimal(repr(MULTIPLIERS[match["mult"].lower()]))
    bound = _BOUND_WORDS[match["bound"].strip().lower()] if match["bound"] else None
    if match["plus"] or match["plus2"] or match["plus3"]:
        if bound is not None:
            return None     # "over 100+" says two different things
        bound = ">="
    unit = UNITS.get((match["unit"] or "").lstrip("- ").lower(), "")
    return Quantity(
        value=float(mantissa * scale),
        step=float(step * scale),
        text=" ".join(_PARENTHETICAL.sub(" ", plain).split()),
        hedged=bool(match["hedge1"] or match["hedge2"]),
        bound=bound,
        unit=unit,
        multiplier=float(scale),
    )


def format_value(value: float) -> str:
    """A reference value as a reader expects it: `25,557,032`, `5.71`, `2015`, `8`, `2.375`."""
    if float(value).is_integer() and abs(value) < 1e15:
        number = int(value)
        return f"{number:,}" if abs(number) >= 10_000 else str(number)
    return f"{value:.6g}"


def _times(a: float, b: float) -> float:
    # Decimal keeps 25.6 * 1e6 at 25600000.0, not 25600000.000000004.
    return float(Decimal(repr(a)) * Decimal(repr(b)))
