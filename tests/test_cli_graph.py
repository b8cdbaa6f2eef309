"""`kb graph`, `kb links`, `kb lineage`: output shapes, paths, stderr and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb.cli import main

REPO = Path(__file__).parent.parent
FIXTURE = Path(__file__).parent / "vaults" / "lineage"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def clean_vault(tmp_path):
    (tmp_path / "A.md").write_text("# A\n\n[[B]]\n", encoding="utf-8")
    (tmp_path / "B.md").write_text("---\nyear: 2014\n---\n- [[A]] — predecessor\n", encoding="utf-8")
    return tmp_path


def test_help_documents_the_three_commands(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("graph", "links", "lineage"):
        assert command in out
    for command in ("graph", "links", "lineage"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "VAULT" in capsys.readouterr().out


def test_links_json_shape_and_vault_relative_paths(capsys):
    code, out, err = run(capsys, "links", str(FIXTURE), "--format", "json")
    assert code == 0 and err == ""
    report = json.loads(out)
    assert set(report) == {"dangling", "ambiguous", "orphans", "doubtful", "anchors"}
    assert [(d["file"], d["line"], d["target"]) for d in report["dangling"]] == [
        ("ResNet.md", 6, "Kaiming He"), ("ResNet.md", 6, "Microsoft")]
    assert all(set(d) == {"file", "line", "target", "reason"} for d in report["dangling"])
    assert report["orphans"] == ["people/Yann.md"]
    [doubtful] = report["doubtful"]
    assert (doubtful["file"], doubtful["status"], doubtful["target"]) == (
        "Transformer.md", "alias", "residual network")
    [anchor] = report["anchors"]
    assert (anchor["file"], anchor["heading"]) == ("GoogLeNet.md", "No such heading")
    assert report["ambiguous"] == []


def test_links_reports_ambiguous_with_candidates(tmp_path, capsys):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "Dup.md").write_text("[[Index]]\n", encoding="utf-8")
    (tmp_path / "Index.md").write_text("[[Dup]]\n", encoding="utf-8")
    code, out, _ = run(capsys, "links", str(tmp_path), "--format", "json", "--strict")
    assert code == 1
    [entry] = json.loads(out)["ambiguous"]
    assert entry["candidates"] == ["x/Dup.md", "y/Dup.md"]
    assert (entry["file"], entry["line"], entry["target"]) == ("Index.md", 1, "Dup")


def test_links_text_is_file_line_and_strict_sets_exit_code(capsys):
    code, out, _ = run(capsys, "links", str(FIXTURE))
    assert code == 0
    assert "ResNet.md:6: [[Microsoft]]: no note named 'Microsoft'" in out
    assert "GoogLeNet.md:5: [[ResNet#No such heading]]" in out
    assert "  people/Yann.md" in out
    code, _, _ = run(capsys, "links", str(FIXTURE), "--strict")
    assert code == 1


def test_clean_vault_exits_zero_even_when_strict(clean_vault, capsys):
    code, out, _ = run(capsys, "links", str(clean_vault), "--strict")
    assert (code, out.strip()) == (0, "No link problems and no orphan notes.")
    code, _, _ = run(capsys, "lineage", str(clean_vault), "--strict")
    assert code == 0


def test_seed_vault_lists_its_dangling_targets_and_lineage(tmp_path, capsys):
    shutil.copy(REPO / "notes" / "ResNet.md", tmp_path / "ResNet.md")
    _, out, _ = run(capsys, "links", str(tmp_path), "--format", "json")
    dangling = {d["target"] for d in json.loads(out)["dangling"]}
    assert {"Microsoft", "Kaiming He"} <= dangling
    _, out, _ = run(capsys, "lineage", str(tmp_path), "--format", "json")
    timeline = json.loads(out)["timeline"]
    assert [entry["year"] for entry in timeline] == [2012, 2014, 2014, 2015, 2017]
    assert timeline[3] == {"id": "ResNet", "title": "ResNet", "year": 2015, "kind": "note",
                           "path": "ResNet.md"}


def test_lineage_text_timeline_and_one_note(capsys):
    code, out, _ = run(capsys, "lineage", str(FIXTURE))
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()] == [
        ["2012", "AlexNet"], ["2014", "VGGNet"], ["2014", "GoogLeNet"], ["2015", "ResNet"],
        ["2017", "Transformer"]]
    code, out, _ = run(capsys, "lineage", str(FIXTURE), "Residual Network", "--format", "json")
    data = json.loads(out)
    assert data["note"]["id"] == "ResNet"
    assert [e["id"] for e in data["ancestors"]] == ["AlexNet", "VGGNet", "GoogLeNet"]
    assert [e["id"] for e in data["descendants"]] == ["Transformer"]


def test_lineage_of_unknown_note_is_a_usage_error(capsys):
    code, out, err = run(capsys, "lineage", str(FIXTURE), "LeNet")
    assert (code, out) == (2, "")
    assert "no note or architecture named 'LeNet'" in err


def test_lineage_findings_go_to_stderr_and_strict_fails(tmp_path, capsys):
    (tmp_path / "Old.md").write_text("---\nyear: 2020\n---\n- [[New]] — successor\n", encoding="utf-8")
    (tmp_path / "New.md").write_text("---\nyear: 2015\n---\n", encoding="utf-8")
    code, _, err = run(capsys, "lineage", str(tmp_path), "--strict")
    assert code == 1
    assert err.startswith("Old.md:4: lineage: New (2015) follows Old (2020)")


@pytest.mark.parametrize("fmt, start", [("json", "{"), ("graphml", "<graphml"), ("gexf", "<gexf"),
                                        ("dot", "digraph vault {")])
def test_graph_formats(capsys, fmt, start):
    code, out, _ = run(capsys, "graph", str(FIXTURE), "--format", fmt)
    assert code == 0 and out.lstrip().startswith(start)


def test_graph_json_nodes_and_output_file(tmp_path, capsys):
    target = tmp_path / "out" / "graph.json"
    code, out, _ = run(capsys, "graph", str(FIXTURE), "-o", str(target))
    assert (code, out) == (0, "")
    data = json.loads(target.read_text(encoding="utf-8"))
    nodes = {node["id"]: node for node in data["nodes"]}
    assert nodes["people/Yann"]["path"] == "people/Yann.md"
    assert nodes["Microsoft"]["kind"] == "missing"
    assert {"lineage", "link", "embed"} <= {link["kind"] for link in data["links"]}


def test_parse_problems_go_to_stderr_as_file_line(tmp_path, capsys):
    (tmp_path / "Bad.md").write_text("---\n{{ foo }}: bar\n---\n[[Good]]\n", encoding="utf-8")
    (tmp_path / "Good.md").write_text("[[Bad]]\n", encoding="utf-8")
    code, out, err = run(capsys, "links", str(tmp_path), "--format", "json")
    assert code == 0
    assert json.loads(out)["dangling"] == []
    assert err.startswith("Bad.md:2: frontmatter is not valid YAML")


@pytest.mark.parametrize("command", ["graph", "links", "lineage"])
def test_missing_vault_is_exit_2_without_traceback(tmp_path, capsys, command):
    code, out, err = run(capsys, command, str(tmp_path / "nowhere"))
    assert (code, out) == (2, "")
    assert "no such folder" in err and "Traceback" not in err


def test_bad_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main(["graph", str(FIXTURE), "--format", "svg"])
    assert done.value.code == 2


def test_python_dash_m_kb_smoke(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), KB_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-m", "kb", "links", str(FIXTURE), "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["orphans"] == ["people/Yann.md"]


def test_command_ends_with_its_exit_code_all_output_written_and_exit_handlers_run(tmp_path):
    """`kb` leaves without freeing its objects (kb.cli.leave): nothing written may be lost."""
    script = tmp_path / "run_kb.py"
    marker = tmp_path / "exit-handler-ran"
    script.write_text(
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
        "sys.argv = ['kb', *sys.argv[1:]]\n"
        "from kb.cli import run\n"
        "run()\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO), KB_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, str(script), "check", str(REPO / "notes"), "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert done.returncode == 1, done.stderr           # the seed's contradicted claim
    report = json.loads(done.stdout)                   # complete: parses to the end
    assert sum(report["summary"].values()) == len(report["claims"]) > 100
    assert marker.exists()
    # a reader that stops early: no traceback, and the process still ends
    shell = subprocess.run(f"{sys.executable} -m kb graph {REPO / 'notes'} --format json | head -c 10",
                           shell=True, capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    assert shell.stdout == '{\n  "direc' and "Traceback" not in shell.stderr
