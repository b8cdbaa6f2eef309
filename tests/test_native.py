"""The compiled parser (setup.py, kb.native): used where it was built from the sources
beside it, replaced by those sources where not, and parsing exactly as they do."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings

import kb
from kb import native

REPO = Path(__file__).resolve().parent.parent
PURE = {**os.environ, "KB_PURE_PYTHON": "1"}
COMPILED = {k: v for k, v in os.environ.items() if k != "KB_PURE_PYTHON"}

# Prints how kb.parse was imported and, for each note given, everything the parser read.
PARSE_ALL = """
import json, sys
from pathlib import Path
import kb.parse, kb.parse.scan
from kb import native
print(json.dumps({"compiled": native.compiled, "because": native.not_compiled_because,
                  "scan": kb.parse.scan.__file__}))
for name in sys.argv[1:]:
    path = Path(name)
    print(name, repr(kb.parse.read_note(path.read_bytes(), path.name)))
"""


def parse_all(env: dict, *paths: Path) -> tuple[dict, list[str], str]:
    done = subprocess.run([sys.executable, "-c", PARSE_ALL, *map(str, paths)], env=env, cwd=REPO,
                          capture_output=True, text=True, check=True)
    first, *parsed = done.stdout.splitlines()
    return json.loads(first), parsed, done.stderr


def notes_under(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (REPO / folder).rglob("*.md"))


def test_the_parser_runs_compiled_unless_told_not_to() -> None:
    # the install compiles the parser (setup.py); a compiler missing or failing shows here
    how, _, stderr = parse_all(COMPILED if not os.environ.get("KB_PURE_PYTHON") else PURE)
    if os.environ.get("KB_PURE_PYTHON"):
        assert (how["compiled"], how["because"]) == (False, "KB_PURE_PYTHON is set")
        assert how["scan"].endswith("scan.py")
    else:
        assert how["compiled"], f"kb.parse is not compiled: {how['because'] or 'no compiled modules installed'}"
        assert not how["scan"].endswith(".py") and stderr == ""


# Bytes no generator writes: what the parser must survive, compiled or not.
HOSTILE = {
    "latin1.md": "caf\xe9 [[Link]] #tag\n".encode("latin-1"),
    "bom-crlf.md": "\ufeff---\r\naliases: [A]\r\n---\r\n# H\r\n[[B|b]]\r\n".encode("utf-8"),
    "bad-yaml.md": b"---\naliases: [unclosed\n---\n[[C]]\n",
    "list-yaml.md": b"---\n- a\n- b\n---\n[[D]]\n",
    "repeated-key.md": b"---\naliases: [First]\naliases: [Second]\ndate: 2023-02-30\n---\n",
    "html.md": b"<script>alert('[[E]]')</script>\n<div>\n| a | b |\n|---|---|\n| [[F\\|f]] | `[[G]]` |\n</div>\n",
    "comments.md": b"%% [[H]] %% text %%\nopen [[I]]\n",
    "nul.md": b"[[J\x00]] \x00#tag\n",
}


def test_compiled_and_uncompiled_parsers_read_every_note_alike(tmp_path: Path) -> None:
    from tools.gen_vault import generate
    from tests.test_parse_oracle import documents

    generate(200, tmp_path / "generated")
    drawn = []

    @settings(max_examples=200, database=None, derandomize=True, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(documents())
    def draw(text: str) -> None:
        drawn.append(text)

    draw()
    for k, text in enumerate(drawn):
        (tmp_path / f"drawn-{k}.md").write_text(text, encoding="utf-8")
    for name, data in HOSTILE.items():
        (tmp_path / name).write_bytes(data)
    notes = notes_under("notes", "tests/parse_corpus", "tests/vaults", "tests/check_vaults") + \
        sorted(tmp_path.rglob("*.md"))
    assert len(notes) > 400
    _, compiled, _ = parse_all(COMPILED, *notes)
    pure_how, pure, stderr = parse_all(PURE, *notes)
    assert pure_how["scan"].endswith("scan.py") and stderr == ""     # set on purpose: nothing to say
    assert len(compiled) == len(notes) and compiled == pure


def test_a_source_changed_after_the_build_is_what_runs(tmp_path: Path) -> None:
    # a copy of the installed package, compiled modules and all, with one source edited
    copy = tmp_path / "kb"
    shutil.copytree(REPO / "kb", copy, ignore=shutil.ignore_patterns("__pycache__"))
    tags = copy / "parse" / "tags.py"
    tags.write_text(tags.read_text(encoding="utf-8") + "\nEDITED = True\n", encoding="utf-8")
    script = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
              f"sys.path.insert(0, {str(tmp_path)!r}); " + PARSE_ALL.replace("import kb.parse, kb.parse.scan",
                                                                            "import kb.parse, kb.parse.scan, kb.parse.tags"))
    done = subprocess.run([sys.executable, "-c", script + "\nprint(kb.parse.tags.EDITED)"], env=COMPILED,
                          capture_output=True, text=True, check=True)
    how = json.loads(done.stdout.splitlines()[0])
    assert done.stdout.splitlines()[-1] == "True"
    assert how["scan"] == str(copy / "parse" / "scan.py") and not how["compiled"]
    if native._compiled_modules():          # built compiled: the edit is noticed and said
        assert how["because"] == "kb/parse/tags.py changed after the parser was compiled"
        assert "kb/parse/tags.py changed after the parser was compiled" in done.stderr
        assert "Reinstall kb" in done.stderr


def test_a_record_that_does_not_match_names_the_first_changed_source() -> None:
    built = native.source_hashes(["scan", "tags"])
    assert native._stale(built, ["scan", "tags"]) is None
    assert native._stale({**built, "tags": "0" * 64}, ["scan", "tags"]) == \
        "kb/parse/tags.py changed after the parser was compiled"
    assert native._stale({"scan": built["scan"]}, ["scan", "links"]) == \
        "kb/parse/links was compiled by another build"


def test_the_sources_finder_finds_sources_only() -> None:
    spec = native._FromSources().find_spec("kb.parse.scan")
    assert spec is not None and spec.origin == str(Path(kb.__file__).parent / "parse" / "scan.py")
    assert native._FromSources().find_spec("kb.graph") is None
