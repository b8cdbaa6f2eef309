"""The verdict rules, one documented case each."""

from __future__ import annotations

import pytest

from kb.claims import Claim, Subject
from kb.quantity import parse_quantity
from kb.verdicts import Evidence, compare, judge


@pytest.mark.parametrize(
    ("stated", "reference", "verdict"),
    [
        ("25.6M", 25_557_032, "verified"),
        ("60M", 60_192_808, "verified"),
        ("25M", 25_557_032, "approximate"),        # truncation
        ("24M", 25_557_032, "contradicted"),
        ("26M", 25_557_032, "verified"),           # 25.56M rounds to 26M
        ("~25M", 25_557_032, "verified"),          # hedged: |s - v| < u
        ("~24M", 25_557_032, "contradicted"),
        ("6.2%", 5.71, "contradicted"),
        ("3.6%", 3.57, "verified"),
        ("6.7%", 6.71, "verified"),
        ("6.71%", 6.71, "verified"),
        ("6.8%", 6.71, "approximate"),
        ("6.0", 5.95, "verified"),                 # half up
        ("5.9", 5.95, "approximate"),
        ("2015", 2015, "verified"),
        ("2014", 2015, "contradicted"),
        ("up to 152 layers", 152, "verified"),
        ("up to 152 layers", 101, "verified"),
        ("up to 150 layers", 152, "contradicted"),
        ("up to 25M", 25_557_032, "approximate"),  # fails by less than the unit
        ("over 100 layers", 152, "verified"),
        ("over 152 layers", 152, "approximate"),   # strict bound fails only at the boundary
        ("over 160 layers", 152, "contradicted"),
        ("152+ layers", 152, "verified"),
        ("< 5%", 4.49, "verified"),
        ("< 5%", 5.71, "approximate"),
        ("< 5%", 7.0, "contradicted"),
    ],
)
def test_compare(stated, reference, verdict):
    assert compare(parse_quantity(stated), reference) == verdict


def claim(stated, attribute="top5_error"):
    return Claim("ResNet.md", 84, 3, Subject("ResNet-152", "resnet152", "resnet"), attribute,
                 parse_quantity(stated), stated)


TEN_CROP = Evidence("cited", 5.71, "resnet152", "He et al. 2015, Table 3", "10-crop, val")
SINGLE = Evidence("cited", 4.49, "resnet152", "He et al. 2015, Table 4", "single model, val")
ENSEMBLE = Evidence("cited", 3.57, "resnet", "He et al. 2015, Table 5", "ensemble, test")


def test_best_verdict_wins_and_the_others_are_alternatives():
    verdict = judge(claim("4.5%"), [TEN_CROP, SINGLE, ENSEMBLE])
    assert (verdict.verdict, verdict.expected, verdict.evidence) == ("verified", 4.49, SINGLE)
    assert verdict.alternatives == (ENSEMBLE, TEN_CROP)   # next closest first


def test_no_published_figure_matches_the_seed_resnet152_top5():
    verdict = judge(claim("6.2%"), [TEN_CROP, SINGLE])
    assert verdict.verdict == "contradicted"
    assert verdict.evidence == TEN_CROP and verdict.expected == 5.71
    assert "differs from 5.71" in verdict.explanation


def test_no_evidence_is_unverifiable_and_paper_figures_stay_beside():
    printed = Evidence("cited", 25.5e6, "resnet50", "He et al. 2015", "paper's own figure")
    verdict = judge(claim("25M", "params"), [], [printed])
    assert (verdict.verdict, verdict.expected, verdict.evidence, verdict.alternatives) == \
        ("unverifiable", None, None, (printed,))


def test_measurement_decides_even_when_the_paper_figure_would_agree():
    measured = Evidence("measured", 25_557_032, "resnet50", "measured: ResNet-50 reference model")
    printed = Evidence("cited", 25e6, "resnet50", "paper")
    verdict = judge(claim("25M", "params"), [measured], [printed])
    assert verdict.verdict == "approximate" and verdict.evidence == measured
    assert verdict.alternatives == (printed,)
