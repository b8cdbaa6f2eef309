"""The model registry: ids, names as people write them, papers, plugins; all without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kb.models
from kb.models import FAMILIES, MODELS, KbPluginWarning, find_family, find_model

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = Path(__file__).resolve().parent / "plugins"

# The ids other stages (published.yaml, the checker, the site) refer to.
MODEL_IDS = [
    "alexnet", "alexnet_onetower", "alexnet_owt",
    "vgg11", "vgg11_lrn", "vgg13", "vgg16_c", "vgg16", "vgg19",
    "googlenet",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnet18_v1_5", "resnet34_v1_5", "resnet50_v1_5", "resnet101_v1_5", "resnet152_v1_5",
    "resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202",
    "transformer_base", "transformer_big",
]


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT), **env}, check=True)


def test_builtin_ids_and_families():
    assert list(MODELS)[:len(MODEL_IDS)] == MODEL_IDS
    assert list(FAMILIES)[:6] == ["alexnet", "vgg", "googlenet", "resnet", "resnet_cifar", "transformer"]
    for family in FAMILIES.values():
        assert family.variants and all(MODELS[v].family == family.id for v in family.variants)


@pytest.mark.parametrize("family, year, venue", [
    ("alexnet", 2012, "NIPS 2012"),
    ("vgg", 2014, "arXiv:1409.1556 (ICLR 2015)"),
    ("googlenet", 2014, "arXiv:1409.4842 (CVPR 2015)"),
    ("resnet", 2015, "arXiv:1512.03385 (CVPR 2016)"),
    ("transformer", 2017, "arXiv:1706.03762 (NIPS 2017)"),
])
def test_family_first_published(family, year, venue):
    assert FAMILIES[family].year == year
    assert FAMILIES[family].paper.venue == venue


def test_every_model_names_its_source_and_input():
    for spec in MODELS.values():
        assert spec.paper.authors and spec.paper.title and spec.where, spec.id
        assert spec.input_shape and ":" in spec.builder, spec.id
    assert MODELS["alexnet"].input_shape == (3, 227, 227)
    assert MODELS["resnet110"].input_shape == (3, 32, 32)
    assert MODELS["vgg16"].where == "Table 1, configuration D"
    assert MODELS["transformer_big"].depth_unit == "encoder/decoder layers"


@pytest.mark.parametrize("text, model_id", [
    ("ResNet-50", "resnet50"), ("ResNet50", "resnet50"), ("resnet 50", "resnet50"), ("resnet50", "resnet50"),
    ("**ResNet-152**", "resnet152"), ("[[ResNet-152|the deepest one]]", "resnet152"), ("ResNet‑101", "resnet101"),
    ("ResNet-50 v1.5", "resnet50_v1_5"), ("ResNet-110", "resnet110"), ("CIFAR ResNet-20", "resnet20"),
    ("VGG-16", "vgg16"), ("VGG16", "vgg16"), ("VGG-19", "vgg19"), ("VGG-16 (C)", "vgg16_c"), ("VGG A-LRN", "vgg11_lrn"),
    ("GoogLeNet", "googlenet"), ("Inception v1", "googlenet"), ("Inception-v1", "googlenet"),
    ("AlexNet", "alexnet"), ("AlexNet OWT", "alexnet_owt"),
    ("Transformer (base)", "transformer_base"), ("Transformer base", "transformer_base"),
    ("Transformer-big", "transformer_big"), ("transformer_big", "transformer_big"),
])
def test_find_model_tolerates_how_people_write_names(text, model_id):
    assert find_model(text).id == model_id


@pytest.mark.parametrize("text", ["ResNet", "[[ResNet]]", "Transformer", "VGG", "VGGNet", "DenseNet", "ResNet-51", "", "**"])
def test_find_model_refuses_families_and_unknown_names(text):
    assert find_model(text) is None


@pytest.mark.parametrize("text, family", [
    ("ResNet", "resnet"), ("[[ResNet]]", "resnet"), ("Residual Network", "resnet"), ("ResNets", "resnet"),
    ("VGG", "vgg"), ("VGGNet", "vgg"), ("VGG-Net", "vgg"), ("OxfordNet", "vgg"),
    ("GoogLeNet", "googlenet"), ("Inception", "googlenet"), ("Inception v1", "googlenet"),
    ("AlexNet", "alexnet"), ("Transformer", "transformer"),
    ("ResNet-50", "resnet"), ("ResNet-110", "resnet_cifar"), ("Transformer-big", "transformer"),
])
def test_find_family(text, family):
    assert find_family(text).id == family


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_gives_a_model_or_none(text):
    spec = find_model(text)
    assert spec is None or kb.models.name_key(text) in {kb.models.name_key(n) for n in spec.names()}
    family = find_family(text)
    assert family is None or family.id in FAMILIES


def test_find_family_unknown():
    assert find_family("DenseNet") is None
    assert find_family("") is None


def test_registry_and_docs_never_import_torch():
    result = run_python("""
        import sys
        from kb.models import MODELS, FAMILIES, find_model, find_family
        assert find_model("ResNet-50").id == "resnet50" and find_family("VGGNet").id == "vgg"
        assert "65 M" in MODELS["transformer_base"].doc()
        print(len(MODELS), "torch" in sys.modules)
    """)
    assert result.stdout.split() == [str(len(MODEL_IDS)), "False"]


def test_docstrings_document_paper_discrepancies():
    assert "9,216" in MODELS["alexnet"].doc() and "227x227" in MODELS["alexnet"].doc()
    assert "213 M" in MODELS["transformer_big"].doc()
    assert "6.8 M" in MODELS["googlenet"].doc()
    assert "3.8x10^9" in MODELS["resnet50"].doc()


# --- third-party models through the `kb.models` entry point group ---------------------------------


@pytest.fixture
def plugin_dist(tmp_path, monkeypatch):
    """An installed distribution (a dist-info on sys.path) with one good and one broken entry point."""
    dist = tmp_path / "kb_tinynet-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: kb-tinynet\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[kb.models]\ntinynet = kb_tinynet:models\nbroken = kb_no_such_module:models\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(PLUGINS))
    kb.models.reload_plugins()
    yield tmp_path
    monkeypatch.undo()
    kb.models.reload_plugins()


def test_plugin_model_is_registered_and_broken_plugin_warns(plugin_dist):
    with pytest.warns(KbPluginWarning, match=r"'broken' \(kb_no_such_module:models\) failed to load: "
                                             r"ModuleNotFoundError"):
        spec = find_model("TinyNet 3")
    assert spec is not None and spec.id == "tinynet" and spec.family == "tinynet"
    assert FAMILIES["tinynet"].variants == ("tinynet",)
    assert find_family("Tiny Net").id == "tinynet"
    assert "resnet50" in MODELS   # built-ins stay


def test_plugins_are_forgotten_on_reload():
    kb.models.reload_plugins()
    assert "tinynet" not in MODELS


def test_plugin_model_is_measured_by_kb_models(plugin_dist, capsys):
    from kb.cli import main

    assert main(["models", "tinynet", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert "warning: kb.models entry point 'broken' (kb_no_such_module:models) failed to load" in err
    record = json.loads(out)
    # TinyNet-3: conv 1->4 (40) + conv 4->4 (148) + fc 256->4 (1,028) parameters;
    # multiply-adds 8*8*4*9 + 8*8*4*36 + 256*4.
    assert record["params"] == 1216
    assert record["depth"] == 3 and record["depth_detail"] == {"conv": 2, "fc": 1}
    assert record["macs"] == 2304 + 9216 + 1024
    assert record["output_shape"] == [1, 4]
    assert record["paper"]["title"] == "A Tiny Network"


def test_plugin_clashing_with_a_builtin_is_skipped(tmp_path, monkeypatch):
    package = tmp_path / "kb_clash"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent("""
        from dataclasses import replace
        from kb.models.catalog import MODELS
        MODEL = replace(MODELS[0], builder="kb_clash:nothing")
    """))
    dist = tmp_path / "kb_clash-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: kb-clash\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[kb.models]\nclash = kb_clash:MODEL\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    kb.models.reload_plugins()
    try:
        with pytest.warns(KbPluginWarning, match="model id 'alexnet' is already registered"):
            assert MODELS["alexnet"].builder == "kb.models.alexnet:alexnet"
    finally:
        monkeypatch.undo()
        kb.models.reload_plugins()


def test_paper_cite_is_the_short_citation_published_sources_use():
    from kb.data import Source
    from kb.models import Paper

    assert MODELS["resnet50"].paper.cite() == "He et al. 2015"
    assert MODELS["vgg16"].paper.cite() == "Simonyan and Zisserman 2014"
    assert MODELS["alexnet_owt"].paper.cite() == "Krizhevsky 2014"
    densenet = Paper(key="huang2017", authors="Gao Huang, Zhuang Liu, Laurens van der Maaten, Kilian Q. Weinberger",
                     title="Densely Connected Convolutional Networks", year=2016, venue="arXiv:1608.06993")
    assert densenet.cite() == "Huang et al. 2016"
    for paper in (densenet, MODELS["vgg16"].paper, MODELS["alexnet_owt"].paper):
        assert Source(paper.key, paper.authors, paper.title, paper.year, paper.venue).cite() == paper.cite()


def test_year_evidence_cites_the_family_paper_like_everything_else():
    # No published year result for GoogLeNet here: the family's own paper and year decide.
    from kb.claims import Subject
    from kb.evidence import References, _year

    refs = References(models=MODELS, families=FAMILIES, measurements={})
    (evidence,) = _year(Subject("GoogLeNet", family="googlenet"), refs)
    assert evidence.value == 2014 and evidence.detail == "first published"
    assert evidence.source == "Szegedy et al. 2014, arXiv:1409.4842 (CVPR 2015)"
