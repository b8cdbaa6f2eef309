"""`check_vault` end to end over hand-built notes, with known reference values.

Reference values: parameter counts as torchvision's implementations count them
(the paper layouts have the same counts); depths in weight layers as the papers
give them; errors from He et al. 2015, Tables 3-5.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kb.check import check_vault, registry_identify
from kb.claims import Subject
from kb.data import Source
from kb.evidence import References
from kb.models import FAMILIES, MODELS
from kb.parse import parse_note
from kb.parse.note import Cell, ParsedNote, Table
from kb.vault import Vault


def measured(id, params, depth, macs=None):
    return SimpleNamespace(id=id, params=params, depth=depth, depth_unit="weight layers", depth_detail={},
                           macs=macs, flops=2 * macs if macs else None, input_shape=(1, 3, 224, 224))


MEASUREMENTS = {
    "resnet18": measured("resnet18", 11_689_512, 18),
    "resnet50": measured("resnet50", 25_557_032, 50),
    "resnet152": measured("resnet152", 60_192_808, 152),
    "vgg16": measured("vgg16", 138_357_544, 16),
    "vgg19": measured("vgg19", 143_667_240, 19),
    "googlenet": measured("googlenet", 6_624_904, 22),
}
HE2015 = Source("he2015", "Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun",
                "Deep Residual Learning for Image Recognition", 2015, "arXiv:1512.03385 (CVPR 2016)")


def result(subject, attribute, value, where, protocol="", split="val"):
    return SimpleNamespace(subject=subject, attribute=attribute, value=value, source="he2015", where=where,
                           protocol=protocol, split=split, note="")


PUBLISHED = (
    result("resnet152", "top5_error", 5.71, "Table 3", "10-crop"),
    result("resnet152", "top5_error", 4.49, "Table 4", "single model"),
    result("resnet", "top5_error", 3.57, "Table 5", "ensemble", "test"),
    result("resnet", "year", 2015, "arXiv v1"),
    result("resnet50", "params", 25.5e6, "Section 3.3"),
)
REFERENCES = References(models=MODELS, families=FAMILIES, measurements=MEASUREMENTS,
                        published=PUBLISHED, sources={"he2015": HE2015})


def row(line, *texts):
    return tuple(Cell(text, line, column) for column, text in enumerate(texts))


def table(line, header, *rows):
    return Table(line, row(line, *header), tuple(row(line + 2 + i, *r) for i, r in enumerate(rows)))


def check(*notes, **kwargs):
    vault = Vault(root=kwargs.pop("root", None), notes=tuple(sorted(notes, key=lambda n: n.path)))
    return check_vault(vault, resolutions=(), references=REFERENCES, identify=registry_identify(), **kwargs)


def outcome(report):
    return [(v.claim.line, v.claim.subject.text, v.claim.attribute, v.claim.stated.text, v.verdict)
            for v in report.verdicts]


RESNET = ParsedNote(path="ResNet.md", title="ResNet", tables=(
    table(12, ("Metric", "Value"),
          ("Depth", "Up to **152 layers** (8× deeper than VGG)"),
          ("ImageNet error", "**3.6%** (superhuman ~5%)")),
    table(40, ("Model", "Layers", "Parameters", "Top-5 error"),
          ("**ResNet-50**", "50", "25M", "—"),
          ("ResNet-152", "152", "60M", "**6.2%**"),
          ("ResNet-18", "18", "11.7M", "")),
))


def test_seed_claims_get_the_verdicts_the_rules_give():
    assert outcome(check(RESNET)) == [
        (14, "ResNet", "layers", "Up to 152 layers", "verified"),
        (14, "ResNet", "ratio", "8× deeper than VGG", "verified"),
        (15, "ResNet", "top5_error", "3.6%", "verified"),
        (42, "ResNet-50", "layers", "50", "verified"),
        (42, "ResNet-50", "params", "25M", "approximate"),
        (43, "ResNet-152", "layers", "152", "verified"),
        (43, "ResNet-152", "params", "60M", "verified"),
        (43, "ResNet-152", "top5_error", "6.2%", "contradicted"),
        (44, "ResNet-18", "layers", "18", "verified"),
        (44, "ResNet-18", "params", "11.7M", "verified"),
    ]


def test_evidence_names_what_decided_and_lists_the_rest():
    verdicts = {(v.claim.line, v.claim.attribute): v for v in check(RESNET).verdicts}
    ratio = verdicts[(14, "ratio")]
    assert ratio.expected == 8.0 and ratio.evidence.kind == "derived"
    assert "152" in ratio.evidence.source and "19" in ratio.evidence.source
    top5 = verdicts[(43, "top5_error")]
    assert (top5.expected, top5.evidence.source) == (5.71, "He et al. 2015, Table 3")
    assert [e.value for e in top5.alternatives] == [4.49]
    params = verdicts[(42, "params")]
    assert params.evidence.kind == "measured" and params.expected == 25_557_032
    assert [(e.kind, e.value) for e in params.alternatives] == [("cited", 25.5e6)]   # the paper's figure, beside
    family_error = verdicts[(15, "top5_error")]
    assert family_error.evidence.subject == "resnet" and family_error.expected == 3.57


def test_popular_wrong_claims_are_contradicted():
    note = ParsedNote(path="Myths.md", title="Myths", tables=(
        table(3, ("Network", "Layers", "Params"),
              ("ResNet-152", "over 200", "~50M"),
              ("VGG-16", "19", "138M"),
              ("VGG", "up to 16", "")),))
    assert [v.verdict for v in check(note).verdicts] == ["contradicted", "contradicted", "contradicted",
                                                         "verified", "contradicted"]


def test_family_claims_hold_through_any_variant_and_bounds_through_the_largest():
    note = ParsedNote(path="Families.md", title="Families", tables=(
        table(3, ("Architecture", "Layers", "Year"),
              ("VGGNet", "16", ""), ("VGGNet", "19", ""), ("VGGNet", "over 18", ""), ("ResNet", "", "2015"),
              ("ResNet", "", "2016")),))
    assert [v.verdict for v in check(note).verdicts] == ["verified", "verified", "verified", "verified",
                                                         "contradicted"]


def test_unknown_subjects_and_attributes_without_evidence_are_unverifiable():
    note = ParsedNote(path="Other.md", title="Other", tables=(
        table(3, ("Model", "Params", "Top-1 error"), ("DenseNet-121", "8M", ""), ("ResNet-50", "", "23.9%")),))
    report = check(note)
    assert [v.verdict for v in report.verdicts] == ["unverifiable", "unverifiable"]
    assert report.verdicts[0].evidence is None and report.verdicts[0].expected is None
    assert report.summary == {"verified": 0, "approximate": 0, "contradicted": 0, "unverifiable": 2}
    assert not report.failed() and report.failed(strict=True)


def test_two_notes_stating_different_values_is_a_conflict_reported_at_both():
    other = ParsedNote(path="Nets/Big nets.md", title="Big nets", tables=(
        table(5, ("Model", "Top-5 error"), ("ResNet-152", "4.5%")),))
    report = check(RESNET, other)
    conflicts = [d for d in report.diagnostics if d.code == "conflict"]
    assert [(d.file, d.line) for d in conflicts] == [("Nets/Big nets.md", 7), ("ResNet.md", 43)]
    assert "Nets/Big nets.md:7" in conflicts[1].message and "6.2%" in conflicts[1].message
    six_two = next(v for v in report.verdicts if v.claim.stated.text == "6.2%")
    assert ("note", 4.5, "Nets/Big nets.md:7") in [(e.kind, e.value, e.source) for e in six_two.alternatives]


def test_only_reports_one_notes_claims_with_the_vault_as_context():
    other = ParsedNote(path="Big nets.md", title="Big nets", tables=(
        table(5, ("Model", "Top-5 error"), ("ResNet-152", "4.5%")),))
    report = check(RESNET, other, only="Big nets.md")
    assert {v.claim.file for v in report.verdicts} == {"Big nets.md"}
    assert [(d.file, d.code) for d in report.diagnostics] == [("Big nets.md", "conflict")]


def test_frontmatter_claims_stand_at_their_key_line(tmp_path):
    text = "---\naliases: [Inception v1]\nyear: 2014\nparams: 6.6M\n---\n# GoogLeNet\n"
    (tmp_path / "GoogLeNet.md").write_text(text, encoding="utf-8")
    note = parse_note(text, "GoogLeNet.md")
    verdicts = check(note, root=tmp_path).verdicts
    assert [(v.claim.line, v.claim.attribute, v.verdict) for v in verdicts] == \
        [(3, "year", "verified"), (4, "params", "verified")]


def test_flops_are_checked_as_multiply_adds_and_as_twice_that():
    refs = References(models=MODELS, families=FAMILIES, published=(), measurements={
        "resnet50": measured("resnet50", 25_557_032, 50, macs=4_089_184_256)})
    note = ParsedNote(path="F.md", title="F", tables=(
        table(3, ("Model", "GFLOPs"), ("ResNet-50", "4.1"), ("ResNet-50", "8.2"), ("ResNet-50", "6")),))
    vault = Vault(root=None, notes=(note,))
    verdicts = check_vault(vault, resolutions=(), references=refs, identify=registry_identify()).verdicts
    assert [(v.verdict, v.evidence.detail.split(" at")[0]) for v in verdicts] == [
        ("verified", "multiply-adds"), ("verified", "FLOPs = 2 × multiply-adds"),
        ("contradicted", "multiply-adds")]


def test_identify_prefers_variants_then_families():
    identify = registry_identify()
    assert identify("ResNet-50") == Subject("ResNet-50", "resnet50", "resnet")
    assert identify("VGGNet") == Subject("VGGNet", None, "vgg")
    assert identify("Kaiming He") is None


@pytest.mark.parametrize("bad", ["Nope.md"])
def test_only_must_name_a_note_of_the_vault(bad):
    with pytest.raises(KeyError):
        check(RESNET, only=bad)


def test_published_results_decide_error_claims():
    from kb.data import load_published

    published = load_published()
    refs = References(models=MODELS, families=FAMILIES, measurements=MEASUREMENTS,
                      published=published.results, sources=published.sources)
    vault = Vault(root=None, notes=(RESNET,))
    verdicts = check_vault(vault, resolutions=(), references=refs, identify=registry_identify()).verdicts
    top5 = next(v for v in verdicts if v.claim.stated.text == "6.2%")
    assert top5.verdict == "contradicted"
    assert {e.value for e in (top5.evidence, *top5.alternatives)} >= {5.71, 4.49, 5.954, 3.998}
    ensemble = next(v for v in verdicts if v.claim.stated.text == "3.6%")
    assert (ensemble.verdict, ensemble.expected) == ("verified", 3.57)
    assert ensemble.evidence.source.startswith("He et al. 2015, Table 5")


def test_json_report_has_exactly_the_documented_fields():
    from kb.report import to_json

    data = to_json(check(RESNET))
    assert set(data) == {"claims", "summary", "diagnostics"}
    assert data["summary"] == {"verified": 8, "approximate": 1, "contradicted": 1, "unverifiable": 0}
    first = data["claims"][0]
    assert list(first) == ["file", "line", "subject", "attribute", "stated", "verdict", "expected", "evidence",
                           "alternatives"]
    assert (first["file"], first["line"], first["attribute"], first["stated"], first["verdict"]) == \
        ("ResNet.md", 14, "layers", "Up to 152 layers", "verified")
    assert set(first["evidence"]) == {"kind", "value", "subject", "source", "detail"}


def test_text_report_is_grouped_by_file_with_a_summary_and_colour_only_when_asked():
    from kb.report import to_text

    report = check(RESNET)
    text = to_text(report)
    lines = text.splitlines()
    assert lines[0] == "ResNet.md"
    assert "  ResNet.md:43  ResNet-152  top5_error  6.2% → contradicted (He et al. 2015, Table 3 [10-crop; val]: 5.71)" \
        in lines
    assert lines[-1] == "10 claims: 8 verified, 1 approximate, 1 contradicted, 0 unverifiable"
    assert "\033[" not in text
    assert "\033[31mcontradicted\033[0m" in to_text(report, colour=True)


def test_colour_needs_a_terminal_and_no_NO_COLOR(monkeypatch):
    from kb.report import use_colour

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Terminal())
    import io
    monkeypatch.delenv("NO_COLOR")
    assert not use_colour(io.StringIO())


def test_different_values_the_evidence_verifies_both_are_no_conflict():
    ten_crop = ParsedNote(path="A.md", title="A", tables=(
        table(3, ("Model", "Top-5 error", "Layers"), ("ResNet-152", "5.71%", ""), ("VGGNet", "", "16")),))
    single = ParsedNote(path="B.md", title="B", tables=(
        table(3, ("Model", "Top-5 error", "Layers"), ("ResNet-152", "4.49%", ""), ("VGGNet", "", "19")),))
    report = check(ten_crop, single)
    assert [v.verdict for v in report.verdicts] == ["verified"] * 4
    assert not [d for d in report.diagnostics if d.code == "conflict"]


def test_notes_disagreeing_about_an_unknown_architecture_conflict():
    a = ParsedNote(path="A.md", title="A", tables=(table(3, ("Model", "Params"), ("DenseNet-121", "8.0M")),))
    b = ParsedNote(path="B.md", title="B", tables=(table(3, ("Model", "Params"), ("**densenet 121**", "7.0M")),))
    report = check(a, b)
    assert [v.verdict for v in report.verdicts] == ["unverifiable", "unverifiable"]
    assert [(d.file, d.line, d.code) for d in report.diagnostics] == [("A.md", 5, "conflict"), ("B.md", 5, "conflict")]
    assert "7.0M in B.md:5" in report.diagnostics[0].message


def test_a_figure_repeated_in_many_notes_is_named_a_few_times_then_counted():
    notes = [ParsedNote(path=f"N{i}.md", title=f"N{i}", tables=(
        table(3, ("Model", "Params"), ("DenseNet-121", f"{i + 1}M")),)) for i in range(8)]
    report = check(*notes, only="N0.md")
    (conflict,) = report.diagnostics
    assert conflict.message.startswith("DenseNet-121 params: 1M here, but 2M in N1.md:5, 3M in N2.md:5")
    assert conflict.message.endswith("6M in N5.md:5 and 2 more")
    (verdict,) = report.verdicts
    assert [e.source for e in verdict.alternatives] == [f"N{i}.md:5" for i in range(1, 6)]


def test_a_family_flops_bound_is_checked_in_each_convention():
    refs = References(models=MODELS, families=FAMILIES, published=(), measurements={
        "resnet50": measured("resnet50", 25_557_032, 50, macs=4_089_184_256),
        "resnet18": measured("resnet18", 11_689_512, 18, macs=1_814_073_344)})
    note = ParsedNote(path="F.md", title="F", tables=(
        table(3, ("Architecture", "FLOPs"), ("ResNet", "up to 5 billion"), ("ResNet", "up to 3 billion")),))
    vault = Vault(root=None, notes=(note,))
    verdicts = check_vault(vault, resolutions=(), references=refs, identify=registry_identify()).verdicts
    assert [(v.verdict, v.expected, v.evidence.detail.split(" at")[0]) for v in verdicts] == [
        ("verified", 4_089_184_256, "multiply-adds"), ("contradicted", 4_089_184_256, "multiply-adds")]


def random_vault(seed: int, count: int = 25):
    """Notes that state figures about a few architectures, known and unknown, often disagreeing."""
    import random

    rng = random.Random(seed)
    names = ("ResNet-152", "VGGNet", "DenseNet-121", "Foo Net", "foo-net", "ResNet")
    notes = []
    for i in range(count):
        rows = [(rng.choice(names), rng.choice(("", "16", "19", "152", "~150", "over 100", str(rng.randint(1, 9)))),
                 rng.choice(("", "4.5%", "5.71%", "6.2%", "4.49%")), rng.choice(("", "60M", "8.0M", "7M", "60.2M")))
                for _ in range(rng.randint(1, 5))]
        folder = rng.choice(("", "a/", "b/"))
        notes.append(ParsedNote(path=f"{folder}N{i}.md", title=f"N{i}", tables=(
            table(3, ("Model", "Layers", "Top-5 error", "Params"), *rows),)))
    return notes


@pytest.mark.parametrize("seed", range(6))
def test_other_notes_and_conflicts_follow_their_definitions(seed):
    """Checked against the definitions, spelled out claim by claim on random vaults."""
    from kb.check import MAX_PLACES, _disagree
    from kb.evidence import same_statements

    report = check(*random_vault(seed))
    claims = [v.claim for v in report.verdicts]
    kind = {id(v.claim): v.verdict for v in report.verdicts}
    expected_alternatives, expected_conflicts = {}, []
    for members in same_statements(claims).values():
        if len(members) < 2:
            continue
        buckets = {}
        for claim in members:
            buckets.setdefault((claim.stated.value, claim.stated.step, claim.stated.hedged), []).append(claim)
        for key, bucket in buckets.items():
            for claim in bucket:
                # each statement, by its first place outside the claim's file
                shown = [next((c for c in other if c.file != claim.file), None) for other in buckets.values()]
                shown = [(c.stated.value, f"{c.file}:{c.line}") for c in shown if c is not None][:MAX_PLACES]
                if shown:
                    expected_alternatives[id(claim)] = shown
                verified = kind[id(bucket[0])] == "verified"
                places = list(dict.fromkeys(
                    (o.file, o.line, o.stated.text) for k, other in buckets.items() if k != key
                    and not (verified and kind[id(other[0])] == "verified") and _disagree(bucket[0], other[0])
                    for o in other if o.file != claim.file))
                if places:
                    named = ", ".join(f"{text} in {file}:{line}" for file, line, text in places[:MAX_PLACES])
                    more = f" and {len(places) - MAX_PLACES} more" if len(places) > MAX_PLACES else ""
                    expected_conflicts.append((claim.file, claim.line, f"{claim.stated.text} here, but {named}{more}"))
    for verdict in report.verdicts:
        notes = [(e.value, e.source) for e in verdict.alternatives if e.kind == "note"]
        assert notes == expected_alternatives.get(id(verdict.claim), [])
    conflicts = [(d.file, d.line, d.message.split(": ", 1)[1]) for d in report.diagnostics if d.code == "conflict"]
    assert sorted(conflicts) == sorted(expected_conflicts)
    assert expected_conflicts


def test_json_text_is_the_json_modules_text_of_the_report():
    import json

    from kb.report import to_json, to_json_text
    from kb.verdicts import Evidence, Verdict

    for report in (check(RESNET), check(*random_vault(1, 30))):
        assert to_json_text(report) == json.dumps(to_json(report), ensure_ascii=False)
    # values json writes its own way (an int where a float is usual, a NaN, text outside ASCII)
    report = check(RESNET)
    odd = Verdict(report.verdicts[0].claim, "verified", 152, Evidence("measured", float("nan"), "résnet", "→", ""))
    report = type(report)((odd, *report.verdicts[1:]), report.diagnostics, report.summary)
    assert to_json_text(report) == json.dumps(to_json(report), ensure_ascii=False)
