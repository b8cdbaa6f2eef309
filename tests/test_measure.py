"""Measurements of the reference models, pinned to the papers they come from.

Every model is measured once per test session (cold, no cache); the cache and
the command line are then exercised against that run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from kb import measure
from kb.cli import main
from kb.measure import Measurement, cache_key, cache_path, layer_table, load_measurements
from kb.models import MODELS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def measured() -> dict[str, Measurement]:
    return load_measurements(use_cache=False)


# id: (params exact, depth, multiply-adds exact), from the measurement run; what each checks
# against in the paper is tested below with the paper's rounding.
PINNED = {
    "alexnet": (60_965_224, 8, 724_406_816),
    "alexnet_onetower": (62_378_344, 8, 1_135_256_096),
    "alexnet_owt": (61_100_840, 8, 714_188_480),          # torchvision's AlexNet: 61,100,840 parameters
    "vgg11": (132_863_336, 11, 7_609_090_048),
    "vgg11_lrn": (132_863_336, 11, 7_609_090_048),        # LRN has neither weights nor multiply-adds
    "vgg13": (133_047_848, 13, 11_308_466_176),
    "vgg16_c": (133_638_952, 16, 11_770_888_192),
    "vgg16": (138_357_544, 16, 15_470_264_320),
    "vgg19": (143_667_240, 19, 19_632_062_464),
    "googlenet": (6_998_552, 22, 1_582_671_872),
    "resnet18": (11_689_512, 18, 1_814_073_344),
    "resnet34": (21_797_672, 34, 3_663_761_408),
    "resnet50": (25_557_032, 50, 3_857_973_248),
    "resnet101": (44_549_160, 101, 7_570_194_432),
    "resnet152": (60_192_808, 152, 11_282_415_616),
    "resnet18_v1_5": (11_689_512, 18, 1_814_073_344),     # basic blocks: same network as the paper's
    "resnet34_v1_5": (21_797_672, 34, 3_663_761_408),
    "resnet50_v1_5": (25_557_032, 50, 4_089_184_256),     # torchvision documents 4.09 GFLOPS (multiply-adds)
    "resnet101_v1_5": (44_549_160, 101, 7_801_405_440),
    "resnet152_v1_5": (60_192_808, 152, 11_513_626_624),
    "resnet20": (269_722, 20, 40_551_040),
    "resnet32": (464_154, 32, 68_862_592),
    "resnet44": (658_586, 44, 97_174_144),
    "resnet56": (853_018, 56, 125_485_696),
    "resnet110": (1_727_962, 110, 252_887_680),
    "resnet1202": (19_421_274, 1202, 2_829_238_912),
    "transformer_base": (63_045_632, 12, 2_034_368_512),  # 32 source + 32 target tokens
    "transformer_big": (214_171_648, 12, 6_887_309_312),
}


def test_every_model_is_measured(measured):
    assert list(measured) == list(PINNED)


@pytest.mark.parametrize("model_id", PINNED)
def test_pinned_measurement(measured, model_id):
    m = measured[model_id]
    assert (m.params, m.depth, m.macs) == PINNED[model_id]
    assert m.flops == 2 * m.macs


# --- against the papers, with the paper's own rounding ----------------------------------------


@pytest.mark.parametrize("model_id, table2_millions", [
    ("vgg11", 133), ("vgg11_lrn", 133), ("vgg13", 133), ("vgg16_c", 134), ("vgg16", 138), ("vgg19", 144),
])
def test_vgg_parameters_match_table_2(measured, model_id, table2_millions):
    # Simonyan & Zisserman, Table 2 "Number of parameters (in millions)", whole millions.
    assert round(measured[model_id].params / 1e6) == table2_millions


@pytest.mark.parametrize("model_id, table1_giga", [
    ("resnet18", 1.8), ("resnet34", 3.6), ("resnet50", 3.8), ("resnet101", 7.6), ("resnet152", 11.3),
])
def test_resnet_multiply_adds_match_table_1(measured, model_id, table1_giga):
    # He et al., Table 1 "FLOPs" (multiply-adds) x10^9, one decimal: every figure is within
    # the last digit of the measurement. 18, 101 and 152 round to it; 34 (3.66) and 50 (3.86)
    # would round up, so the paper truncated them (documented in the builders).
    macs = measured[model_id].macs / 1e9
    assert abs(macs - table1_giga) < 0.1
    rounds = round(macs, 1) == table1_giga
    assert rounds == (model_id not in ("resnet34", "resnet50"))


@pytest.mark.parametrize("model_id, table6_millions", [
    ("resnet20", 0.27), ("resnet32", 0.46), ("resnet44", 0.66), ("resnet56", 0.85), ("resnet110", 1.7),
    ("resnet1202", 19.4),
])
def test_cifar_resnet_parameters_match_table_6(measured, model_id, table6_millions):
    # He et al., Table 6 "# params", in millions with the digits given there.
    digits = len(str(table6_millions).split(".")[1])
    assert round(measured[model_id].params / 1e6, digits) == table6_millions


def test_resnet_depth_is_the_name_and_projections_do_not_count(measured):
    # Table 1: ResNet-50 has 49 convolutions on the main path and one fc layer; its four
    # projection shortcuts are convolutions too, but on a shorter path.
    assert measured["resnet50"].depth_detail == {"conv": 49, "fc": 1}
    assert measured["resnet50"].depth_text() == "50 weight layers (49 conv + 1 fc)"


def test_alexnet_paper_figures(measured):
    # Krizhevsky et al., Section 3.5: "60 million parameters", five conv and three fc layers.
    alexnet = measured["alexnet"]
    assert alexnet.params // 1_000_000 == 60 and round(alexnet.params / 1e6) == 61
    assert alexnet.depth_detail == {"conv": 5, "fc": 3}


def test_alexnet_224_input_is_found_inconsistent(measured):
    # The paper's text says 224x224; only 227x227 reaches fc6's 9,216 = 256x6x6 inputs.
    assert measured["alexnet"].input_shape == (1, 3, 227, 227)
    (note,) = measured["alexnet"].notes
    assert note.startswith("a 3×224×224 input does not run: classifier.1 (Linear) receives 1×6400 "
                           "but expects 9216 features; the last feature map is 256×5×5")


def test_googlenet_against_table_1(measured):
    # Szegedy et al.: "22 layers deep when counting only layers with parameters"; Table 1's
    # parameter column sums to 6,797.7 K and its ops column to 1,502 M without biases.
    # The definition measures more (biases, LRN placement do not explain all of it).
    googlenet = measured["googlenet"]
    assert googlenet.depth == 22
    assert 6.8e6 < googlenet.params < 7.0e6 and 1.5e9 < googlenet.macs < 1.6e9
    assert googlenet.notes == ("6,379,728 parameters in modules the inference forward does not use "
                               "(aux1, aux2) are not counted",)


def test_googlenet_auxiliary_classifiers_run_in_training_only():
    import torch

    model = MODELS["googlenet"].build()
    model.to(device="meta")
    with torch.no_grad():
        outputs = model.train()(torch.zeros(1, 3, 224, 224, device="meta"))
        assert [tuple(o.shape) for o in outputs] == [(1, 1000)] * 3
        assert tuple(model.eval()(torch.zeros(1, 3, 224, 224, device="meta")).shape) == (1, 1000)


def test_transformer_cannot_reproduce_table_3(measured):
    # Vaswani et al., Table 3: 65 M (base) and 213 M (big) parameters. With the shared
    # 37,000-token embedding the definitions give 63.0 M and 214.2 M (see the builders).
    base, big = measured["transformer_base"], measured["transformer_big"]
    assert round(base.params / 1e6) == 63 and round(big.params / 1e6) == 214
    assert base.depth_detail == {"encoder": 6, "decoder": 6}
    assert base.depth_text() == "encoder 6 + decoder 6 layers"
    assert "32 source and 32 target tokens" in base.notes[0]


def test_depth_detail_reads_the_same_in_evidence_and_depth_text(measured):
    from kb.evidence import References, _measured
    from kb.measure import depth_breakdown
    from kb.models import FAMILIES

    refs = References(models=MODELS, families=FAMILIES, measurements=measured)
    assert depth_breakdown("weight layers", {"conv": 151, "fc": 1}) == "151 conv + 1 fc"
    assert depth_breakdown("encoder/decoder layers", {"encoder": 6, "decoder": 0}) == "encoder 6"
    for model_id in ("resnet152", "transformer_base"):
        m = measured[model_id]
        (evidence,) = _measured(model_id, "layers", refs)
        assert evidence.detail == f"{m.depth_unit}: {depth_breakdown(m.depth_unit, m.depth_detail)}"
        assert depth_breakdown(m.depth_unit, m.depth_detail) in m.depth_text()
        assert "{" not in evidence.detail and "{" not in m.depth_text()
    (evidence,) = _measured("transformer_base", "layers", refs)
    assert evidence.detail == "encoder/decoder layers: encoder 6 + decoder 6"


@pytest.mark.parametrize("model_id, output_shape", [
    ("alexnet", (1, 1000)), ("vgg16", (1, 1000)), ("googlenet", (1, 1000)), ("resnet50", (1, 1000)),
    ("resnet1202", (1, 10)), ("transformer_big", (1, 32, 37000)),
])
def test_forward_output_shapes(measured, model_id, output_shape):
    assert measured[model_id].output_shape == output_shape


def test_every_forward_run_agrees_with_the_meta_run(measured):
    assert not [m.id for m in measured.values() if any("CPU run" in note for note in m.notes)]


# --- layer tables -----------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", ["alexnet", "googlenet", "resnet50", "transformer_base"])
def test_layer_table_totals_equal_the_model_totals(measured, model_id):
    table = layer_table(model_id)
    assert sum(row.params for row in table.rows) == table.params == measured[model_id].params
    assert sum(row.macs for row in table.rows) == table.macs == measured[model_id].macs


def test_layer_table_rows():
    rows = {row.name: row for row in layer_table("ResNet-50").rows}
    assert rows["conv1"].type == "Conv2d" and rows["conv1"].output_shape == (1, 64, 112, 112)
    assert rows["conv1"].params == 64 * 3 * 7 * 7 and rows["conv1"].macs == 64 * 3 * 7 * 7 * 112 * 112
    assert rows["fc"].params == 2048 * 1000 + 1000
    transformer = {row.name: row for row in layer_table("transformer_base").rows}
    assert transformer[""].macs == 32 * 512 * 37000  # the tied pre-softmax projection


# --- the cache --------------------------------------------------------------------------------


def test_warm_measurements_do_not_import_torch(measured):
    code = ("import sys; from kb.measure import load_measurements; m = load_measurements(); "
            "print(len(m), m['resnet50'].params, 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stdout.split() == [str(len(PINNED)), "25557032", "False"]


def test_warm_kb_models_command_does_not_import_torch(measured):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "kb", "models", "--format", "json"],
                            cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line]
    assert "kb.measure" in imported and not [name for name in imported if name.split(".")[0] == "torch"]
    assert len(json.loads(result.stdout)) == len(PINNED)


def test_corrupt_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CACHE_DIR", str(tmp_path))
    cache_path().write_text("{not json", encoding="utf-8")
    assert load_measurements(["resnet20"])["resnet20"].params == 269_722
    entries = json.loads(cache_path().read_text(encoding="utf-8"))["entries"]
    assert list(entries) == ["resnet20"]

    entries["resnet20"]["measurement"] = {"id": "resnet20"}    # right key, unusable entry
    cache_path().write_text(json.dumps({"format": measure.CACHE_FORMAT, "entries": entries}), encoding="utf-8")
    assert load_measurements(["resnet20"])["resnet20"].depth == 20


def test_models_the_helper_process_does_not_know_are_measured_here(monkeypatch):
    # Specs registered only in this process: the helper answers that it does not know
    # them, and this process measures each itself (and reports a broken one as usual).
    monkeypatch.setenv("KB_MEASURE_HELPER", "1")
    base = MODELS["resnet20"]
    specs = [replace(base, id=f"local{i}", input_shape=(3, 16 + 8 * i, 16 + 8 * i))
             for i in range(measure.HELPER_MIN_MODELS)]
    specs.append(replace(base, id="local_broken", builder="kb.models.resnet_cifar:no_such_builder"))
    taken = []
    outcomes = measure._measure_all(specs, {spec.id: cache_key(spec) for spec in specs}, taken.append)
    assert list(outcomes) == specs and sorted(s.id for s in taken) == sorted(s.id for s in specs)
    assert [outcomes[spec].params for spec in specs[:-1]] == [269_722] * measure.HELPER_MIN_MODELS
    assert [outcomes[spec].output_shape for spec in specs[:-1]] == [(1, 10)] * measure.HELPER_MIN_MODELS
    assert outcomes[specs[-1]].startswith("AttributeError: ")


def test_helper_process_measures_like_this_one(monkeypatch):
    monkeypatch.setenv("KB_MEASURE_HELPER", "1")
    specs = [MODELS[i] for i in ("resnet20", "resnet32", "resnet44", "resnet56", "alexnet", "googlenet")]
    assert len(specs) >= measure.HELPER_MIN_MODELS
    here = []
    measure_here = measure.measure_model
    monkeypatch.setattr(measure, "measure_model", lambda spec: here.append(spec.id) or measure_here(spec))
    together = measure._measure_all(specs, {spec.id: cache_key(spec) for spec in specs}, None)
    assert len(here) < len(specs)      # the helper measured the rest (at least the first it was handed)
    monkeypatch.setenv("KB_MEASURE_HELPER", "0")
    alone = measure._measure_all(specs, {spec.id: cache_key(spec) for spec in specs}, None)
    assert together == alone and all(isinstance(m, Measurement) for m in alone.values())


def test_cache_key_follows_spec_and_torch_version():
    spec = MODELS["resnet20"]
    assert cache_key(spec, "2.13.0") == cache_key(spec, "2.13.0")
    assert cache_key(spec, "2.13.0") != cache_key(spec, "2.14.0")
    assert cache_key(spec, "2.13.0") != cache_key(replace(spec, input_shape=(3, 64, 64)), "2.13.0")


def test_unknown_model_id_is_a_usage_error():
    with pytest.raises(measure.KbError, match=r"unknown model 'resnt50'; did you mean resnet50"):
        load_measurements(["resnt50"])


# --- kb models --------------------------------------------------------------------------------


def test_kb_models_json(measured, capsys):
    assert main(["models", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in records] == list(PINNED)
    resnet50 = records[list(PINNED).index("resnet50")]
    assert set(resnet50) == {"id", "name", "family", "aliases", "params", "depth", "depth_unit", "depth_detail",
                             "macs", "flops", "input_shape", "output_shape", "paper", "notes"}
    assert resnet50["params"] == 25_557_032 and resnet50["depth_unit"] == "weight layers"
    assert resnet50["input_shape"] == [1, 3, 224, 224] and resnet50["output_shape"] == [1, 1000]
    assert resnet50["paper"]["key"] == "he2015" and resnet50["paper"]["where"] == "Table 1, 50-layer column"


def test_kb_models_table(measured, capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "resnet50          ResNet-50                   25,557,032                     50   3.86 G" in out
    assert "transformer_base  Transformer (base)          63,045,632  encoder 6 + decoder 6   2.03 G" in out


def test_kb_models_one_model(measured, capsys):
    assert main(["models", "AlexNet"]) == 0
    out = capsys.readouterr().out
    assert "depth:   8 weight layers (5 conv + 3 fc)" in out
    assert "note:    a 3×224×224 input does not run" in out


def test_kb_models_layers_json_totals(measured, capsys):
    assert main(["models", "resnet18", "--layers", "--format", "json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["params"] == sum(row["params"] for row in table["layers"]) == 11_689_512
    assert table["macs"] == sum(row["macs"] for row in table["layers"]) == 1_814_073_344


def test_kb_models_layers_text_ends_with_totals(capsys):
    assert main(["models", "resnet20", "--layers"]) == 0
    last = capsys.readouterr().out.splitlines()[-1].split()
    assert last == ["total", "269,722", "40,551,040"]


@pytest.mark.parametrize("argv, message", [
    (["models", "resnt50"], "unknown model 'resnt50'; did you mean resnet50"),
    (["models", "--layers"], "--layers needs a model ID"),
])
def test_kb_models_usage_errors(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


# kb's CLI with numpy unimportable, as where it is not installed (kb does not depend on it)
WITHOUT_NUMPY = "import sys; sys.modules['numpy'] = None; from kb.cli import main; sys.exit(main(sys.argv[1:]))"


def test_measuring_without_numpy_prints_no_warning_from_torch(tmp_path):
    # torch warns as it is imported where numpy is missing; kb hands it no arrays
    env = {**os.environ, "KB_CACHE_DIR": str(tmp_path), "PYTHONWARNINGS": "default"}
    done = subprocess.run([sys.executable, "-c", WITHOUT_NUMPY, "models", "resnet20"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "params:  269,722" in done.stdout
    assert "NumPy" not in done.stderr and "Warning" not in done.stderr
