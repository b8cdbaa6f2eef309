"""Reading the numbers notes state, with the precision they were stated with."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.quantity import Quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "value", "step"),
    [
        ("25M", 25e6, 1e6),
        ("25.6 M", 25.6e6, 1e5),
        ("25,557,032", 25_557_032, 1),
        ("60 million", 60e6, 1e6),
        ("138M", 138e6, 1e6),
        ("3.8×10^9", 3.8e9, 1e8),
        ("3.8 x 10^9", 3.8e9, 1e8),
        ("3.8·10⁹", 3.8e9, 1e8),
        ("3.8e9", 3.8e9, 1e8),
        ("3.8 GFLOPs", 3.8e9, 1e8),
        ("724 MFLOPs", 724e6, 1e6),
        ("1.5 billion", 1.5e9, 1e8),
        ("1.5B", 1.5e9, 1e8),
        ("6.7%", 6.7, 0.1),
        ("6.71%", 6.71, 0.01),
        ("0.85M", 0.85e6, 1e4),
        ("152 layers", 152, 1),
        ("152-layer", 152, 1),
        ("2015", 2015, 1),
        ("28.4 BLEU", 28.4, 0.1),
        ("**6.2%**", 6.2, 0.1),
        ("*60M*", 60e6, 1e6),
        ("`25.6M`", 25.6e6, 1e5),
    ],
)
def test_reads_value_and_the_unit_of_the_last_digit(text, value, step):
    quantity = parse_quantity(text)
    assert quantity is not None
    assert quantity.value == pytest.approx(value)
    assert quantity.step == pytest.approx(step)
    assert quantity.bound is None and not quantity.hedged


@pytest.mark.parametrize("text", ["~25M", "≈ 25M", "about 25 million", "roughly 25M", "approx. 25M", "**~25M**"])
def test_hedges_are_recognised(text):
    quantity = parse_quantity(text)
    assert quantity.hedged and quantity.value == 25e6 and quantity.step == 1e6


@pytest.mark.parametrize(
    ("text", "bound", "value"),
    [
        ("Up to **152 layers**", "<=", 152),
        ("up to 152 layers", "<=", 152),
        ("≤ 152", "<=", 152),
        ("over 100 layers", ">", 100),
        ("more than 100 layers", ">", 100),
        ("> 100", ">", 100),
        ("100+ layers", ">=", 100),
        ("100+", ">=", 100),
        ("at least 100", ">=", 100),
        ("< 5%", "<", 5),
        ("less than 5%", "<", 5),
    ],
)
def test_bounds_are_recognised(text, bound, value):
    quantity = parse_quantity(text)
    assert quantity.bound == bound and quantity.value == value


def test_seed_cells_read_their_main_value_not_the_parenthetical():
    depth = parse_quantity("Up to **152 layers** (8× deeper than VGG)")
    assert (depth.value, depth.bound, depth.unit, depth.text) == (152, "<=", "layers", "Up to 152 layers")
    error = parse_quantity("**3.6%** (superhuman ~5%)")
    assert (error.value, error.step, error.unit, error.hedged) == (3.6, 0.1, "%", False)


@pytest.mark.parametrize(
    "text",
    ["N/A", "—", "-", "", "?", "1st place", "Good", "**Worse**", "Skip connections", "ResNet-50",
     "12×", "Kaiming He et al.", "over 100+", "Deep CNNs work", "3.6 apples", "11–19 layers", "11-19",
     "18/34/50"],
)
def test_cells_that_state_no_number(text):
    assert parse_quantity(text) is None


def test_units_are_named():
    assert parse_quantity("3.8 GFLOPs").unit == "flops"
    assert parse_quantity("3.8 G multiply-adds").unit == "macs"
    assert parse_quantity("25.6M params").unit == "params"
    assert parse_quantity("19 weight layers").unit == "layers"


def test_scaling_by_a_header_unit_keeps_decimal_exactness():
    quantity = parse_quantity("25.6").scaled(1e6)
    assert (quantity.value, quantity.step) == (25_600_000.0, 100_000.0)


SUFFIXES = {"": 1.0, "K": 1e3, "M": 1e6, " million": 1e6, "B": 1e9, " billion": 1e9, "G": 1e9, "%": 1.0}


@settings(max_examples=150, deadline=None)
@given(
    value=st.floats(min_value=0, max_value=99_999, allow_nan=False, allow_infinity=False),
    decimals=st.integers(min_value=0, max_value=4),
    suffix=st.sampled_from(sorted(SUFFIXES)),
    thousands=st.booleans(),
    prefix=st.sampled_from(["", "~", "**", "about "]),
)
def test_round_trip_any_formatted_number(value, decimals, suffix, thousands, prefix):
    written = f"{value:{',' if thousands else ''}.{decimals}f}"
    closing = "**" if prefix == "**" else ""
    quantity = parse_quantity(f"{prefix}{written}{suffix}{closing}")
    scale = SUFFIXES[suffix]
    assert quantity is not None
    assert quantity.value == pytest.approx(float(written.replace(",", "")) * scale, rel=1e-12, abs=1e-12)
    assert quantity.step == pytest.approx(10.0 ** -decimals * scale, rel=1e-12)
    assert quantity.hedged == (prefix.strip() in {"~", "about"})
    assert isinstance(quantity, Quantity) and math.isfinite(quantity.value)
