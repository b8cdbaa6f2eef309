"""`kb check` as a user runs it: the seed note, claim forms, exit codes, JSON, --watch."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kb.cli import main

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "notes"
FORMS = Path(__file__).parent / "check_vaults" / "forms"


def run(capsys, *argv):
    code = main(["check", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def claims_by_place(data):
    return {(c["file"], c["line"], c["subject"], c["attribute"]): c for c in data["claims"]}


@pytest.fixture(scope="module")
def seed():
    """The seed note checked on its own, with the notes folder as its vault."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exit_code = main(["check", str(NOTES / "ResNet.md"), "--vault", str(NOTES), "--format", "json"])
    return exit_code, json.loads(buffer.getvalue())


def test_seed_acceptance_cases(seed):
    exit_code, data = seed
    claims = claims_by_place(data)
    top5 = claims[("ResNet.md", 86, "ResNet-152", "top5_error")]
    assert (top5["stated"], top5["verdict"]) == ("6.2%", "contradicted")
    considered = {e["value"] for e in [top5["evidence"], *top5["alternatives"]]}
    assert {5.71, 4.49, 5.954, 3.998} <= considered
    ratio = claims[("ResNet.md", 16, "ResNet", "ratio")]
    assert (ratio["stated"], ratio["verdict"], ratio["expected"]) == ("8× deeper than VGG", "verified", 8.0)
    params = claims[("ResNet.md", 84, "ResNet-50", "params")]
    assert (params["stated"], params["verdict"], params["expected"]) == ("25M", "approximate", 25_557_032)
    assert params["evidence"]["kind"] == "measured"
    depth = claims[("ResNet.md", 16, "ResNet", "layers")]
    assert (depth["stated"], depth["verdict"], depth["expected"]) == ("Up to 152 layers", "verified", 152)
    error = claims[("ResNet.md", 17, "ResNet", "top5_error")]
    assert (error["verdict"], error["expected"]) == ("verified", 3.57)
    assert exit_code == 1


def test_seed_lineage_rows_are_claims_about_the_architectures_they_name(seed):
    claims = claims_by_place(seed[1])
    assert claims[("ResNet.md", 122, "AlexNet", "year")]["verdict"] == "verified"
    assert claims[("ResNet.md", 122, "AlexNet", "layers")]["verdict"] == "verified"
    vgg = claims[("ResNet.md", 123, "VGGNet", "layers")]
    assert (vgg["verdict"], vgg["evidence"]["subject"]) == ("verified", "vgg19")
    assert claims[("ResNet.md", 124, "GoogLeNet", "layers")]["expected"] == 22
    assert ("ResNet.md", 126, "Transformer", "layers") not in claims      # N/A states nothing


def test_seed_prose_and_text_cells_are_not_claims(seed):
    lines = {c["line"] for c in seed[1]["claims"]}
    assert 5 not in lines            # the intro's "**3.6% error**" is prose
    assert not lines & set(range(27, 33))   # the degradation table names no architecture
    assert not lines & set(range(95, 102))  # "1st place (3.6% error)"


def test_only_the_named_notes_claims_are_reported(seed):
    assert {c["file"] for c in seed[1]["claims"]} == {"ResNet.md"}
    assert data_summary_matches(seed[1])


def data_summary_matches(data):
    counted = {kind: 0 for kind in ("verified", "approximate", "contradicted", "unverifiable")}
    for claim in data["claims"]:
        counted[claim["verdict"]] += 1
    return counted == data["summary"]


def test_text_output_of_a_vault(capsys):
    code, out, err = run(capsys, FORMS)
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == "AlexNet.md"
    assert ("  GoogLeNet.md:12  GoogLeNet  ratio  12× fewer parameters than [[AlexNet]] → contradicted "
            "(derived: AlexNet 60,965,224 / GoogLeNet 6,998,552 [measured params]: 8.71112)") in lines
    assert "  GoogLeNet.md:14: [[Inceptionv3]]: no note named 'Inceptionv3'  [missing]" in lines
    assert any(line.startswith("  Comparison.md:7: GoogLeNet layers: 27 here, but 22 layers in GoogLeNet.md:11")
               for line in lines)
    assert lines[-1] == "33 claims: 22 verified, 1 approximate, 6 contradicted, 4 unverifiable; 4 diagnostics"
    assert "\033[" not in out                 # not a terminal: no colour
    assert "99M" not in out                   # the table in a code block states nothing


def test_json_output_of_a_vault(capsys):
    code, out, _ = run(capsys, FORMS, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data_summary_matches(data)
    claims = claims_by_place(data)
    assert claims[("Comparison.md", 6, "ResNet-18", "year")]["verdict"] == "contradicted"   # first published 2015
    accuracy = claims[("Comparison.md", 5, "ResNet-50", "top1_error")]
    assert (accuracy["stated"], accuracy["expected"]) == ("76.1 (accuracy: error 23.9)", pytest.approx(23.87))
    assert claims[("AlexNet.md", 3, "AlexNet", "params")]["verdict"] == "approximate"       # frontmatter
    assert claims[("GoogLeNet.md", 16, "GoogLeNet", "layers")]["verdict"] == "verified"     # inline field
    assert claims[("Comparison.md", 8, "DenseNet-121", "params")]["evidence"] is None
    assert {d["code"] for d in data["diagnostics"]} == {"missing", "conflict"}


def test_a_papers_own_figure_is_shown_beside_the_measurement_that_decides(capsys):
    code, out, _ = run(capsys, FORMS / "Transformer.md", "--vault", FORMS, "--format", "json")
    claims = claims_by_place(json.loads(out))
    base = claims[("Transformer.md", 8, "Transformer (base)", "params")]
    assert (base["verdict"], base["expected"], base["evidence"]["kind"]) == ("contradicted", 63_045_632, "measured")
    assert [(e["kind"], e["value"]) for e in base["alternatives"]] == [("cited", 65_000_000)]
    bleu = [c for c in json.loads(out)["claims"] if c["attribute"] == "bleu" and c["line"] == 9]
    assert [(c["stated"], c["verdict"]) for c in bleu] == [("41.8", "contradicted"), ("41.8", "verified")]
    assert {c["file"] for c in json.loads(out)["claims"]} == {"Transformer.md"}


def test_strict_fails_on_approximate_or_unverifiable(capsys, tmp_path):
    (tmp_path / "R.md").write_text("| Model | Params |\n|---|---|\n| ResNet-50 | 25.6M |\n", encoding="utf-8")
    assert run(capsys, tmp_path)[0] == 0
    assert run(capsys, tmp_path, "--strict")[0] == 0
    (tmp_path / "R.md").write_text("| Model | Params |\n|---|---|\n| ResNet-50 | 25M |\n", encoding="utf-8")
    assert run(capsys, tmp_path)[0] == 0
    assert run(capsys, tmp_path, "--strict")[0] == 1


def test_figures_in_a_callout_are_checked_and_figures_in_a_comment_are_not(capsys, tmp_path, cache):
    (tmp_path / "R.md").write_text(
        "# R\n\n> [!info] Key facts\n> | Model | Params |\n> |---|---|\n> | ResNet-50 | 25.6M |\n\n"
        "%%\n| Model | Params |\n|---|---|\n| ResNet-50 | 99M |\n%%\n", encoding="utf-8")
    code, out, _ = run(capsys, tmp_path, "--format", "json")
    claims = json.loads(out)["claims"]
    assert code == 0
    assert [(c["line"], c["subject"], c["attribute"], c["verdict"]) for c in claims] == [
        (6, "ResNet-50", "params", "verified")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no/such/folder"], "no such file or folder"),
        (["{forms}/GoogLeNet.md", "--vault", "no/such/vault"], "no such folder"),
        (["{notes}/ResNet.md", "--vault", "{forms}"], "is not inside the vault"),
        (["{forms}", "--vault", "{notes}"], "only used when PATH is a note"),
        (["{readme}"], "not a note"),
    ],
)
def test_usage_errors_exit_2_with_a_message(capsys, argv, message):
    paths = {"forms": FORMS, "notes": NOTES, "readme": ROOT / "pyproject.toml"}
    code, out, err = run(capsys, *[a.format(**paths) for a in argv])
    assert code == 2 and message in err and "Traceback" not in err and out == ""


def test_bad_input_is_reported_not_raised(capsys, tmp_path):
    (tmp_path / "Broken yaml.md").write_text("---\naliases: [unclosed\n---\n| Model | Params |\n|---|---|\n"
                                             "| ResNet-50 | 25.6M |\n", encoding="utf-8")
    (tmp_path / "Latin-1.md").write_bytes("| Model | Params |\n|---|---|\n| ResNet-50 | 25,6 Mio. caf\xe9 |\n"
                                          .encode("latin-1"))
    (tmp_path / "Hostile.md").write_text(
        "| Model | Params | Layers |\n|---|---|---|\n| <script>alert(1)</script> | 25M | 50 |\n"
        "| ResNet-50 | <img src=x onerror=alert(1)> | 50 |\n| ResNet-18 |\n", encoding="utf-8")
    code, out, err = run(capsys, tmp_path, "--format", "json")
    data = json.loads(out)
    assert code == 0 and "Traceback" not in err
    claims = [(c["file"], c["subject"], c["attribute"], c["verdict"]) for c in data["claims"]]
    assert ("Broken yaml.md", "ResNet-50", "params", "verified") in claims
    assert ("Hostile.md", "<script>alert(1)</script>", "params", "unverifiable") in claims
    assert ("Hostile.md", "ResNet-50", "layers", "verified") in claims
    assert not [c for c in claims if c[0] == "Hostile.md" and c[1] == "ResNet-50" and c[2] == "params"]
    assert {d["file"] for d in data["diagnostics"]} >= {"Broken yaml.md", "Latin-1.md"}


def test_a_warm_check_does_not_import_torch(tmp_path):
    vault = tmp_path / "vault"
    shutil.copytree(FORMS, vault)
    assert main(["check", str(vault), "--format", "json"]) == 1          # warms the model cache
    script = ("import sys; from kb.cli import main; code = main(['check', sys.argv[1], '--format', 'json']); "
              "print('torch' in sys.modules, code, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", script, str(vault)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stderr.strip().splitlines()[-1] == "False 1"
    assert json.loads(done.stdout)["summary"]["contradicted"] == 6


def test_watch_rechecks_a_note_when_it_changes(tmp_path):
    from kb.check import load_references, watch_vault

    vault = tmp_path / "vault"
    vault.mkdir()
    note = vault / "R.md"
    note.write_text("| Model | Params |\n|---|---|\n| ResNet-50 | 25.6M |\n", encoding="utf-8")
    (vault / "Other.md").write_text("# Other\n", encoding="utf-8")
    reports = []
    arrived = threading.Event()
    stop = threading.Event()

    def on_report(report):
        reports.append(report)
        arrived.set()

    references = load_references(ids=["resnet50"])
    worker = threading.Thread(target=watch_vault, args=(vault,),
                              kwargs=dict(on_report=on_report, stop=stop, max_reports=2, references=references))
    worker.start()
    try:
        assert arrived.wait(60), "no first report"
        arrived.clear()
        note.write_text("| Model | Params |\n|---|---|\n| ResNet-50 | 30M |\n", encoding="utf-8")
        assert arrived.wait(60), "the change was not re-checked"
    finally:
        stop.set()
        worker.join(60)
    first, second = reports
    assert [v.verdict for v in first.verdicts] == ["verified"]
    assert [(v.claim.file, v.claim.stated.text, v.verdict) for v in second.verdicts] == \
        [("R.md", "30M", "contradicted")]
    assert not worker.is_alive()
