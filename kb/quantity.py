"""Numbers as people write them in notes: `25.6M`, `~60 million`, `up to 152 layers`, `6.7%`."""

from __future__ import annotations

from dataclasses import dataclass
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
