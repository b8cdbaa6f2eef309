"""Which numbers in a note are claims, about whom, and where they stand."""

from __future__ import annotations

import pytest

from kb.claims import Subject, extract_claims, note_subject, read_label, read_ratios
from kb.parse.note import Cell, Field, Link, ParsedNote, Table

# A small stand-in for the model registry: these tests are about reading notes, not about names.
NAMES = {
    "resnet": Subject("ResNet", family="resnet"),
    "resnet-50": Subject("ResNet-50", model="resnet50", family="resnet"),
    "resnet-152": Subject("ResNet-152", model="resnet152", family="resnet"),
    "resnet-18": Subject("ResNet-18", model="resnet18", family="resnet"),
    "vgg": Subject("VGG", family="vgg"),
    "vggnet": Subject("VGGNet", family="vgg"),
    "alexnet": Subject("AlexNet", family="alexnet"),
    "googlenet": Subject("GoogLeNet", family="googlenet"),
    "inception v1": Subject("Inception v1", family="googlenet"),
    "transformer": Subject("Transformer", family="transformer"),
}


def identify(name, links=()):
    found = NAMES.get(name.lower())
    return Subject(name, found.model, found.family) if found else None


def row(line, *texts):
    cells = []
    for column, text in enumerate(texts):
        links = tuple(Link(target=part.split("]]")[0].split("|")[0], line=line)
                      for part in text.split("[[")[1:])
        cells.append(Cell(text, line, column, links))
    return tuple(cells)


def table(line, header, *rows, section=None):
    return Table(line, row(line, *header), tuple(row(line + 2 + i, *r) for i, r in enumerate(rows)), section)


def note(path="ResNet.md", title="ResNet", tables=(), fields=(), frontmatter=None, aliases=(),
         frontmatter_lines=None):
    return ParsedNote(path=path, title=title, frontmatter=frontmatter or {}, aliases=aliases,
                      tables=tuple(tables), fields=tuple(fields), frontmatter_lines=frontmatter_lines or {})


def summary(claims):
    return [(c.line, c.column, c.subject.key, c.attribute, c.stated.value, c.stated.step, c.stated.bound)
            for c in claims]


SEED_KEY_FACTS = table(
    12, ("Metric", "Value"),
    ("Paper", '"Deep Residual Learning" (2015)'),
    ("Authors", "Kaiming He et al. (Microsoft Research)"),
    ("Depth", "Up to **152 layers** (8× deeper than VGG)"),
    ("ImageNet error", "**3.6%** (superhuman ~5%)"),
    ("Key innovation", "Skip connections"),
)
SEED_VARIANTS = table(
    80, ("Model", "Layers", "Parameters", "Top-5 error"),
    ("ResNet-18", "18", "11M", "10.9%"),
    ("**ResNet-50**", "50", "25M", "**6.7%**"),
    ("ResNet-152", "152", "60M", "**6.2%**"),
)
SEED_LINEAGE = table(
    120, ("Year", "Architecture", "Layers", "Innovation"),
    ("2012", "[[AlexNet]]", "8", "Deep CNNs work"),
    ("2014", "VGGNet", "19", "Deeper, simpler"),
    ("2014", "GoogLeNet", "22", "Inception modules"),
    ("**2015**", "**ResNet**", "**152**", "**Skip connections**"),
    ("2017", "[[Transformer]]", "N/A", "Attention (uses residuals)"),
)


def test_key_value_table_claims_are_about_the_notes_subject():
    claims = extract_claims(note(tables=[SEED_KEY_FACTS]), identify)
    assert summary(claims) == [
        (16, 1, "resnet", "layers", 152, 1, "<="),
        (16, 1, "resnet", "ratio", 8, 1, None),
        (17, 1, "resnet", "top5_error", 3.6, 0.1, None),
    ]
    ratio = claims[1]
    assert (ratio.ratio_of, ratio.ratio_direction, ratio.ratio_reference.key) == ("layers", "more", "vgg")
    assert claims[2].text == "**3.6%** (superhuman ~5%)"


def test_variant_table_rows_are_claims_about_each_variant():
    claims = extract_claims(note(tables=[SEED_VARIANTS]), identify)
    assert summary(claims)[:3] == [
        (82, 1, "resnet18", "layers", 18, 1, None),
        (82, 2, "resnet18", "params", 11e6, 1e6, None),
        (82, 3, "resnet18", "top5_error", 10.9, 0.1, None),
    ]
    assert [c.subject.text for c in claims if c.attribute == "params"] == ["ResNet-18", "ResNet-50", "ResNet-152"]


def test_lineage_rows_are_claims_about_other_architectures_and_na_is_none():
    claims = extract_claims(note(tables=[SEED_LINEAGE]), identify)
    by_subject = {(c.subject.key, c.attribute): c.stated.value for c in claims}
    assert by_subject == {
        ("alexnet", "year"): 2012, ("alexnet", "layers"): 8,
        ("vgg", "year"): 2014, ("vgg", "layers"): 19,
        ("googlenet", "year"): 2014, ("googlenet", "layers"): 22,
        ("resnet", "year"): 2015, ("resnet", "layers"): 152,
        ("transformer", "year"): 2017,
    }


def test_key_value_rows_without_a_subject_state_nothing():
    claims = extract_claims(note(path="ImageNet.md", title="ImageNet", tables=[SEED_KEY_FACTS]), identify)
    assert claims == ()


def test_tables_without_attribute_columns_or_names_state_nothing():
    degradation = table(30, ("Depth", "Expected", "Actual (pre-ResNet)"),
                        ("20 layers", "Good", "Good"), ("56 layers", "Better", "**Worse**"))
    competition = table(90, ("Task", "Result"), ("ImageNet classification", "**1st place** (3.6% error)"))
    team = table(60, ("Person", "Role", "Later"), ("**Kaiming He**", "Lead author", "Facebook AI (FAIR)"))
    assert extract_claims(note(tables=[degradation, competition, team]), identify) == ()


def test_unknown_architectures_in_an_entity_table_are_claims_with_an_unknown_subject():
    claims = extract_claims(note(tables=[table(5, ("Model", "Params"), ("DenseNet-121", "8M"))]), identify)
    assert [(c.subject.text, c.subject.key, c.stated.value) for c in claims] == [("DenseNet-121", None, 8e6)]


def test_name_column_is_found_by_its_cells_when_the_header_does_not_say():
    claims = extract_claims(note(tables=[table(5, ("", "Params"), ("[[AlexNet]]", "60M"), ("VGG", "138M"))]),
                            identify)
    assert [(c.subject.key, c.stated.value) for c in claims] == [("alexnet", 60e6), ("vgg", 138e6)]


def test_header_units_apply_to_bare_cells_and_accuracy_is_converted():
    claims = extract_claims(note(tables=[table(
        5, ("Network", "Params (M)", "GFLOPs", "Top-1 acc. (%)", "BLEU (EN-DE)"),
        ("ResNet-50", "25.6", "4.1", "76.1", "—"),
        ("ResNet-152", "60.2M", "11.6", "~78.3", "n/a"))]), identify)
    assert summary(claims) == [
        (7, 1, "resnet50", "params", 25.6e6, 1e5, None),
        (7, 2, "resnet50", "flops", 4.1e9, 1e8, None),
        (7, 3, "resnet50", "top1_error", pytest.approx(23.9), 0.1, None),
        (8, 1, "resnet152", "params", 60.2e6, 1e5, None),
        (8, 2, "resnet152", "flops", 11.6e9, 1e8, None),
        (8, 3, "resnet152", "top1_error", pytest.approx(21.7), 0.1, None),
    ]
    assert claims[-1].stated.hedged


def test_fields_and_frontmatter_about_the_notes_subject():
    parsed = note(path="GoogLeNet.md", title="GoogLeNet",
                  frontmatter={"aliases": ["Inception v1"], "year": 2014, "params": "6.8M", "tags": ["cnn"]},
                  fields=[Field("layers", "Layers", "22", 14),
                          Field("params", "params", "~6.8M (12x fewer parameters than [[AlexNet]])", 15),
                          Field("venue", "venue", "CVPR 2015", 16)],
                  frontmatter_lines={"aliases": 2, "year": 3, "params": 4, "tags": 5})
    claims = extract_claims(parsed, identify)
    assert summary(claims) == [
        (3, None, "googlenet", "year", 2014, 1, None),
        (4, None, "googlenet", "params", 6.8e6, 1e5, None),
        (14, None, "googlenet", "layers", 22, 1, None),
        (15, None, "googlenet", "params", 6.8e6, 1e5, None),
        (15, None, "googlenet", "ratio", 12, 1, None),
    ]
    assert (claims[-1].ratio_of, claims[-1].ratio_direction, claims[-1].ratio_reference.key) == \
        ("params", "fewer", "alexnet")


def test_frontmatter_model_key_names_the_subject_before_the_title():
    parsed = note(path="My favourite net.md", title="My favourite net", frontmatter={"model": "ResNet-50"})
    assert note_subject(parsed, identify).key == "resnet50"
    assert note_subject(note(title="Inception", aliases=("Inception v1",)), identify).key == "googlenet"
    assert note_subject(note(title="Kaiming He"), identify) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8× deeper than VGG", [(8, "layers", "more", "VGG")]),
        ("**8x deeper than VGG**", [(8, "layers", "more", "VGG")]),
        ("12× fewer parameters than [[AlexNet]]", [(12, "params", "fewer", "[[AlexNet]]")]),
        ("uses 2.5 times more FLOPs than ResNet-50, and more", [(2.5, "flops", "more", "ResNet-50")]),
        ("3x smaller than VGG-16.", [(3, "params", "fewer", "VGG-16")]),
        ("8× deeper", []),
        ("152 layers", []),
    ],
)
def test_ratio_phrases(text, expected):
    assert [(q.value, a, d, r) for q, a, d, r in read_ratios(text)] == expected


@pytest.mark.parametrize(
    ("label", "attribute", "scale", "accuracy"),
    [
        ("Layers", "layers", 1, False), ("Max depth", "layers", 1, False), ("Weight layers", "layers", 1, False),
        ("#Params", "params", 1, False), ("Params (M)", "params", 1e6, False), ("Parameters", "params", 1, False),
        ("GFLOPs", "flops", 1e9, False), ("Multiply-adds (B)", "flops", 1e9, False), ("MACs", "flops", 1, False),
        ("Top-1 error", "top1_error", 1, False), ("top5 err. (%)", "top5_error", 1, False),
        ("Top-5 accuracy", "top5_error", 1, True), ("Accuracy", "top1_error", 1, True),
        ("ImageNet error", "top5_error", 1, False), ("Year", "year", 1, False), ("BLEU (EN-FR)", "bleu", 1, False),
    ],
)
def test_labels(label, attribute, scale, accuracy):
    read = read_label(label)
    assert (read.attribute, read.scale, read.accuracy) == (attribute, scale, accuracy)


@pytest.mark.parametrize("label", ["Paper", "Authors", "Key innovation", "Innovation", "Expected", "Standard variant",
                                   "Institution", "Model", "Role"])
def test_labels_that_name_no_attribute(label):
    assert read_label(label) is None


@pytest.mark.parametrize(
    ("label", "attribute", "dataset"),
    [("BLEU (EN-DE)", "bleu", "wmt14_en_de"), ("BLEU en→fr", "bleu", "wmt14_en_fr"),
     ("English-German BLEU", "bleu", "wmt14_en_de"), ("BLEU", "bleu", None),
     ("CIFAR-10 error (%)", "top1_error", "cifar10"), ("ImageNet error", "top5_error", None)],
)
def test_headers_naming_a_benchmark(label, attribute, dataset):
    read = read_label(label)
    assert (read.attribute, read.dataset) == (attribute, dataset)
