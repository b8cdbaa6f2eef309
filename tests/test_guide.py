"""The guide shows only commands that work, with the output they really print.

Every `kb ...` command in a ```console or ```bash block of `kb/guide/*.md` runs,
in order, in a folder holding a copy of the repository's `notes/` (so `notes/`
itself is never written). In a console block:

- `$ kb ...` is a command; the lines up to the next `$ ` line are its output,
  compared line by line with what it printed (stdout, then stderr); a line `...`
  stands for any number of lines the guide leaves out;
- `$ echo $?` shows the previous command's exit code; without it, the command
  must exit 0;
- `$ pip install -e DIR` installs the package the guide wrote in DIR the way pip
  would for kb: its folder goes on sys.path and its entry points are registered
  (a dist-info folder beside it), so `kb.models` plugins load.

A fenced block with `title="PATH"` in its info string (a note, a package
module, a pyproject.toml) is a file the guide asks the reader to write: it is
written at PATH before the commands after it run.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

import kb.models
from kb.cli import main

REPO = Path(__file__).resolve().parent.parent
GUIDE = REPO / "kb" / "guide"
PAGES = sorted(GUIDE.glob("*.md"))
FENCE = re.compile(r"^(?P<fence>```+|~~~+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.M | re.S)


@dataclass
class Command:
    page: str
    line: int
    argv: list[str]
    output: list[str] | None = None         # None: the guide shows no output
    exit_code: int = 0

    def where(self) -> str:
        return f"{self.page}:{self.line}: kb {shlex.join(self.argv)}"


@dataclass
class GuideFile:
    page: str
    line: int
    path: str                               # relative to the folder the commands run in
    text: str


@dataclass
class Install:
    page: str
    line: int
    path: str                               # the project folder (with a pyproject.toml)


Step = Command | GuideFile | Install


def guide_steps(path: Path) -> list[Step]:
    """The files to write and the commands to run, in the order the page shows them."""
    text = path.read_text(encoding="utf-8")
    steps: list[Step] = []
    for block in FENCE.finditer(text):
        info = block["info"].split()
        language = info[0] if info else ""
        title = re.search(r'title="([^"]+)"', block["info"])
        if title:
            steps.append(GuideFile(path.name, text.count("\n", 0, block.start()) + 1, title[1], block["body"]))
            continue
        if language not in ("console", "bash", "sh", "shell"):
            continue
        first_line = text.count("\n", 0, block.start("body")) + 1
        current: Command | None = None
        awaiting_exit_code = False
        for offset, line in enumerate(line.rstrip() for line in block["body"].splitlines()):
            where = f"{path.name}:{first_line + offset}"
            if language != "console":
                words = shlex.split(line, comments=True)
                if words and words[0] == "kb":
                    steps.append(Command(path.name, first_line + offset, words[1:]))
            elif line.startswith("$ "):
                words = shlex.split(line[2:])
                awaiting_exit_code = words == ["echo", "$?"]
                if awaiting_exit_code:
                    assert current is not None, f"{where}: `echo $?` follows no kb command"
                    continue
                current = None
                if words[:1] == ["kb"]:
                    current = Command(path.name, first_line + offset, words[1:])
                    steps.append(current)
                elif words[:3] == ["pip", "install", "-e"] and len(words) == 4:
                    steps.append(Install(path.name, first_line + offset, words[3]))
            elif awaiting_exit_code:
                current.exit_code = int(line)
                awaiting_exit_code, current = False, None
            elif current is not None:
                current.output = (current.output or []) + [line]
    return steps


def guide_commands(path: Path) -> list[Command]:
    return [step for step in guide_steps(path) if isinstance(step, Command)]


def install_editable(project: Path, site: Path) -> None:
    """What `pip install -e` does that kb sees: the modules importable, the entry points registered."""
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dist = site / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {meta['version']}\n")
    groups = meta.get("entry-points", {})
    (dist / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
        for group, entries in groups.items()))
    sys.path[:0] = [str(project), str(site)]


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line-by-line equality where an expected `...` line stands for any run of lines."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(matches(rest, actual[start:]) for start in range(len(actual) + 1))
    return bool(actual) and actual[0].rstrip() == head and matches(rest, actual[1:])


def run_kb(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse usage errors
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def test_guide_has_its_pages():
    assert {page.stem for page in PAGES} >= {"index", "adding-a-note", "claims", "verdicts", "adding-a-model", "ci"}


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_guide_links_between_pages_resolve(page):
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+\.md)(?:#[^)]*)?\)", text):
        assert (GUIDE / target).is_file(), f"{page.name}: link to missing page {target}"


@pytest.fixture
def isolated_imports(tmp_path):
    """Packages a page installs are forgotten afterwards: sys.path, their modules, kb.models plugins."""
    path = list(sys.path)
    yield
    sys.path[:] = path
    for name, module in list(sys.modules.items()):
        if Path(getattr(module, "__file__", None) or "/").is_relative_to(tmp_path):
            del sys.modules[name]
    kb.models.reload_plugins()


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_guide_commands_run_as_shown(page, tmp_path, monkeypatch, isolated_imports):
    shutil.copytree(REPO / "notes", tmp_path / "notes")
    monkeypatch.chdir(tmp_path)
    for step in guide_steps(page):
        if isinstance(step, GuideFile):
            target = tmp_path / step.path
            assert not target.exists(), f"{step.page}:{step.line}: {step.path} exists already"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text, encoding="utf-8")
            continue
        if isinstance(step, Install):
            install_editable(tmp_path / step.path, tmp_path / "site-packages")
            kb.models.reload_plugins()
            continue
        code, out, err = run_kb(step.argv)
        printed = (out + err).splitlines()
        assert code == step.exit_code, (
            f"{step.where()} exited {code}, the guide says {step.exit_code}\n{out}{err}")
        if step.output is not None:
            assert matches(step.output, printed), (
                f"{step.where()} printed:\n{out}{err}\nthe guide shows:\n" + "\n".join(step.output))


def test_extraction_reads_commands_outputs_and_exit_codes(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "Text\n\n```console\n$ kb new VGG\ncreated notes/VGG.md\n...\n$ kb new VGG\n$ echo $?\n2\n```\n\n"
        "```bash\n# a comment\nkb check notes  # exits 0\npip install kb\n```\n\n```yaml\nrun: kb check\n```\n"
        '```markdown title="notes/Demo.md"\n| Metric | Value |\n```\n',
        encoding="utf-8")
    assert [(s.line, s.path, s.text) for s in guide_steps(page) if isinstance(s, GuideFile)] == [
        (21, "notes/Demo.md", "| Metric | Value |\n")]
    commands = guide_commands(page)
    assert [(c.line, c.argv, c.output, c.exit_code) for c in commands] == [
        (4, ["new", "VGG"], ["created notes/VGG.md", "..."], 0),
        (7, ["new", "VGG"], None, 2),
        (14, ["check", "notes"], None, 0),
    ]


def test_output_matching_with_elision():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["...", "c"], ["a", "b", "c"])
    assert not matches(["a", "c"], ["a", "b", "c"])
    assert not matches(["a", "...", "x"], ["a", "b"])
