"""`kb new`: notes in the seed's style, filled from reference models, never over anything."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kb.cli import main
from kb.new import NoteRequest, _yaml_flow, format_macs, format_params, render_note, title_problem
from kb.parse import parse_note

SEED = Path(__file__).resolve().parent.parent / "notes" / "ResNet.md"

ALEXNET = """---
aliases: [SuperVision]
year: 2012
---
#architecture

**AlexNet** won ImageNet 2012.
"""


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / "CNN").mkdir(parents=True)
    shutil.copyfile(SEED, root / "ResNet.md")
    (root / "CNN" / "AlexNet.md").write_text(ALEXNET, encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()}


def kb_new(root: Path, *args: str) -> int:
    return main(["new", *args, "--vault", str(root)])


def read(root: Path, title: str):
    path = root / f"{title}.md"
    return parse_note(path.read_text(encoding="utf-8"), path.name)


def table(note, section: str):
    found = [t for t in note.tables if t.section == section]
    assert found, f"no table under {section!r}: {[t.section for t in note.tables]}"
    return found[0]


def rows(tab) -> list[list[str]]:
    return [[cell.text for cell in row] for row in tab.rows]


# --- what gets written -----------------------------------------------------------------------------

def test_plain_note_has_the_seed_layout(vault, capsys):
    assert kb_new(vault, "VGG") == 0
    assert f"created {vault / 'VGG.md'}" in capsys.readouterr().out
    note = read(vault, "VGG")
    assert note.frontmatter == {"aliases": [], "tags": ["architecture"]}
    assert [t.name for t in note.tags if t.line > note.frontmatter_end] == ["architecture"]
    assert [h.text for h in note.headings] == [
        "Key facts", "Architecture variants", "Lineage position", "Related", "Sources"]
    assert [c.text for c in table(note, "Key facts").header] == ["Metric", "Value"]
    assert [c.text for c in table(note, "Architecture variants").header] == [
        "Model", "Layers", "Parameters", "Multiply-adds"]
    assert rows(table(note, "Lineage position")) == [["", "**VGG**", ""]]


def test_year_goes_to_frontmatter_key_facts_and_lineage(vault):
    assert kb_new(vault, "VGG", "--year", "2014") == 0
    note = read(vault, "VGG")
    assert note.frontmatter["year"] == 2014
    assert ["Year", "2014"] in rows(table(note, "Key facts"))
    assert rows(table(note, "Lineage position")) == [["**2014**", "**VGG**", ""]]


def test_predecessors_are_quoted_wikilinks_with_roles(vault):
    assert kb_new(vault, "VGG", "--year", "2014", "--predecessor", "alexnet",
                  "--predecessor", "[[LeNet]]") == 0
    note = read(vault, "VGG")
    # "alexnet" is linked by the file name of the note it names, which is how Obsidian resolves it
    assert note.frontmatter["predecessors"] == ["[[AlexNet]]", "[[LeNet]]"]
    text = (vault / "VGG.md").read_text(encoding="utf-8")
    assert 'predecessors: ["[[AlexNet]]", "[[LeNet]]"]' in text
    assert "- [[AlexNet]] — predecessor\n- [[LeNet]] — predecessor\n" in text
    body_links = [(link.target, link.key) for link in note.links]
    assert ("AlexNet", "predecessors") in body_links and ("AlexNet", None) in body_links
    # the lineage table is in year order; AlexNet's year comes from its note
    lineage = rows(table(note, "Lineage position"))
    assert lineage[0][:2] == ["2012", "[[AlexNet]]"]
    assert lineage[-1][:2] == ["**2014**", "**VGG**"]


def test_predecessor_without_a_note_is_linked_and_reported(vault, capsys):
    assert kb_new(vault, "VGG", "--predecessor", "LeNet") == 0
    assert "[[LeNet]] names no note yet" in capsys.readouterr().err


def test_tags_with_or_without_hash(vault):
    assert kb_new(vault, "VGG", "--tag", "#cnn", "--tag", "area/vision", "--tag", "cnn") == 0
    note = read(vault, "VGG")
    assert note.frontmatter["tags"] == ["cnn", "area/vision"]
    assert "\n#cnn #area/vision\n" in (vault / "VGG.md").read_text(encoding="utf-8")


def test_default_vault_is_notes_folder(vault, monkeypatch):
    monkeypatch.chdir(vault.parent)
    vault.rename(vault.parent / "notes")
    assert main(["new", "VGG"]) == 0
    assert (vault.parent / "notes" / "VGG.md").is_file()


def test_unicode_title(vault):
    assert kb_new(vault, "Réseau à convolution") == 0
    assert read(vault, "Réseau à convolution").title == "Réseau à convolution"


# --- refusals leave the vault as it was --------------------------------------------------------------

@pytest.mark.parametrize("title, expected", [
    ("ResNet", "ResNet.md already exists"),
    ("RESNET", "ResNet.md already exists"),
    ("alexnet", "CNN/AlexNet.md already exists"),
    ("Residual Network", "ResNet.md already has the alias 'Residual Network'"),
    ("supervision", "CNN/AlexNet.md already has the alias 'SuperVision'"),
    ("../x", "outside the vault"),
    ("CNN/../../x", "outside the vault"),
    ("/etc/x", "absolute path"),
    ("C:\\x", "absolute path"),
    ("CNN/VGG", "'/'"),
    ("a\\b", "'\\\\'"),
    ("", "empty"),
    ("   ", "empty"),
    ("a\x00b", "U+0000"),
    ("a\nb", "U+000A"),
    ("a\x1bb", "U+001B"),
    ("a#b", "heading"),
    ("a|b", "label"),
    ("a^b", "block"),
    ("a:b", "':'"),
    ("a%%b", "comment"),
    ("[[x]]", "wikilinks"),
    ("a?", "'?'"),
    ("x.", "ends with '.'"),
    ("x ", "white space"),
    (" x", "white space"),
    (".hidden", "hidden"),
    ("CON", "reserved device name"),
    ("lpt1.draft", "reserved device name"),
    ("x" * 201, "201 bytes"),
    ("é" * 101, "202 bytes"),
])
def test_refused_titles_write_nothing(vault, capsys, title, expected):
    before = snapshot(vault)
    assert kb_new(vault, title) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert snapshot(vault) == before
    assert not any(vault.parent.glob("*.md")), "nothing may land beside the vault either"


def test_title_limit_is_inclusive():
    assert title_problem("x" * 200) is None
    assert title_problem("Inception v1 (GoogLeNet)") is None


def test_existing_file_that_is_not_a_note_is_not_replaced(vault, capsys):
    hidden = vault / ".archive"
    hidden.mkdir()
    (vault / "VGG.md").mkdir()  # a folder named like the note
    before = snapshot(vault)
    assert kb_new(vault, "VGG") == 2
    assert "VGG.md already exists" in capsys.readouterr().err
    assert snapshot(vault) == before


@pytest.mark.parametrize("args, expected", [
    (["--year", "1850"], "between 1940 and"),
    (["--year", "15"], "four-digit year"),
    (["--tag", "two words"], "tag 'two words'"),
    (["--tag", "2015"], "not only digits"),
    (["--predecessor", "AlexNet|x"], "cannot contain '|'"),
    (["--predecessor", ""], "expected a note name"),
    (["--template", "missing.j2"], "no such file"),
])
def test_refused_options_write_nothing(vault, capsys, args, expected):
    before = snapshot(vault)
    with_exit = _exit_code(lambda: kb_new(vault, "VGG", *args))
    assert with_exit == 2
    assert expected in capsys.readouterr().err
    assert snapshot(vault) == before


def test_missing_vault_is_a_usage_error(tmp_path, capsys):
    assert main(["new", "VGG", "--vault", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def _exit_code(call) -> int:
    """argparse ends bad option values with SystemExit(2) before the command runs."""
    try:
        return call()
    except SystemExit as exit_:
        return exit_.code


# --- templates -------------------------------------------------------------------------------------

def test_vault_template_overrides_builtin(vault):
    (vault / "templates").mkdir()
    (vault / "templates" / "note.md.j2").write_text(
        "---\naliases: {{ aliases | yaml }}\n---\n# {{ title }}\n\n| A | B |\n|---|---|\n| {{ 'x|y' | cell }} | {{ year | cell }} |\n",
        encoding="utf-8")
    assert kb_new(vault, "VGG", "--year", "2014") == 0
    text = (vault / "VGG.md").read_text(encoding="utf-8")
    assert text == "---\naliases: []\n---\n# VGG\n\n| A | B |\n|---|---|\n| x\\|y | 2014 |\n"
    assert rows(read(vault, "VGG").tables[0]) == [["x|y", "2014"]]


def test_template_option_overrides_vault_template(vault, tmp_path, capsys):
    (vault / "templates").mkdir()
    (vault / "templates" / "note.md.j2").write_text("vault template\n", encoding="utf-8")
    own = tmp_path / "mine.md.j2"
    own.write_text("# {{ title }} from my template\n", encoding="utf-8")
    assert kb_new(vault, "VGG", "--template", str(own)) == 0
    assert (vault / "VGG.md").read_text(encoding="utf-8") == "# VGG from my template\n"
    assert f"template: {own}" in capsys.readouterr().out


def test_undefined_name_in_template_names_file_and_line(vault, capsys):
    (vault / "templates").mkdir()
    template = vault / "templates" / "note.md.j2"
    template.write_text("---\naliases: []\n---\n\n# {{ title }}\n{{ modle.name }}\n", encoding="utf-8")
    before = snapshot(vault)
    assert kb_new(vault, "VGG") == 2
    err = capsys.readouterr().err
    assert f"{template}:6: 'modle' is undefined" in err
    assert "the context has: aliases, created, family" in err
    assert snapshot(vault) == before


def test_template_syntax_error_names_file_and_line(vault, capsys):
    own = vault.parent / "broken.md.j2"
    own.write_text("# {{ title }}\n\n{% if year %}\nno end\n", encoding="utf-8")
    before = snapshot(vault)
    assert kb_new(vault, "VGG", "--template", str(own)) == 2
    err = capsys.readouterr().err
    assert f"{own}:" in err and "template syntax error" in err
    assert snapshot(vault) == before


def test_template_cannot_reach_outside_the_sandbox(vault, capsys):
    own = vault.parent / "hostile.md.j2"
    own.write_text("{{ title.__class__.__mro__[1].__subclasses__() }}\n", encoding="utf-8")
    assert kb_new(vault, "VGG", "--template", str(own)) == 2
    assert "unsafe" in capsys.readouterr().err
    assert not (vault / "VGG.md").exists()


def test_template_producing_broken_frontmatter_is_refused(vault, capsys):
    own = vault.parent / "bad.md.j2"
    own.write_text("---\naliases: [{{ title }}\n---\n", encoding="utf-8")
    before = snapshot(vault)
    assert kb_new(vault, "VGG", "--template", str(own)) == 2
    assert "would not parse" in capsys.readouterr().err
    assert snapshot(vault) == before


names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(names, max_size=4))
@example(["\x85"]).via("YAML reads NEL as a line break")
@example(["x\u2028y", "Réseau"])
def test_yaml_filter_round_trips_any_text(values):
    assert yaml.safe_load(f"key: {_yaml_flow(values)}\n")["key"] == values
    assert yaml.safe_load(f"key: {_yaml_flow(values, quoted=True)}\n")["key"] == values


def test_frontmatter_values_with_yaml_syntax_stay_text(vault):
    tricky = "Note: yes, no"
    assert kb_new(vault, "VGG", "--predecessor", tricky) == 0
    assert read(vault, "VGG").frontmatter["predecessors"] == [f"[[{tricky}]]"]


def test_render_note_is_deterministic_for_a_date(tmp_path):
    from kb.new import BUILTIN_TEMPLATES, TEMPLATE_NAME, note_context
    from kb.vault import load_vault

    (tmp_path / "v").mkdir()
    context, _ = note_context(NoteRequest(title="VGG"), load_vault(tmp_path / "v"), today=dt.date(2026, 1, 27))
    text = render_note(BUILTIN_TEMPLATES / TEMPLATE_NAME, context)
    assert text.endswith("*Created 2026-01-27*\n")


# --- reference models --------------------------------------------------------------------------------

def test_format_params_rounds_to_the_stated_unit():
    assert format_params(25_557_032) == "25.6M"
    assert format_params(138_357_544) == "138.4M"
    assert format_params(269_722) == "0.27M"
    assert format_macs(4_089_184_256) == "4.1G"
    assert format_macs(40_551_040) == "40.6M"


def test_unknown_model_suggests_close_matches(vault, capsys):
    before = snapshot(vault)
    assert kb_new(vault, "VGG", "--model", "resnet5") == 2
    err = capsys.readouterr().err
    assert "no such reference model" in err and "resnet50" in err
    assert snapshot(vault) == before


@pytest.fixture(scope="module")
def measured():
    from kb.measure import load_measurements

    return load_measurements()


@pytest.mark.parametrize("model_id", ["resnet50", "vgg16", "googlenet", "alexnet", "transformer_base", "resnet56"])
def test_note_from_a_model_comes_out_all_verified(tmp_path, capsys, measured, model_id):
    from kb.check import check_vault
    from kb.models import FAMILIES, MODELS
    from kb.vault import load_vault

    root = tmp_path / "vault"
    root.mkdir()
    assert kb_new(root, "My note", "--model", model_id) == 0
    report = check_vault(load_vault(root))
    spec = MODELS[model_id]
    family = FAMILIES[spec.family]
    assert {v.verdict for v in report.verdicts} == {"verified"}, capsys.readouterr().out
    # the key facts, every variant's params and layers, and the years are all checked claims
    assert report.summary["verified"] >= 2 * len(family.variants) + 4
    assert f"{report.summary['verified']} verified, 0 approximate" in capsys.readouterr().out

    note = read(root, "My note")
    assert note.frontmatter["model"] == model_id
    assert note.frontmatter["year"] == family.year
    facts = dict(rows(table(note, "Key facts")))
    assert facts["Parameters"] == format_params(measured[model_id].params)
    assert facts["Layers"] == str(measured[model_id].depth)
    variants = rows(table(note, "Architecture variants"))
    assert [row[0].strip("*") for row in variants] == [MODELS[v].name for v in family.variants]
    sources = (root / "My note.md").read_text(encoding="utf-8").split("## Sources", 1)[1]
    assert spec.paper.title in sources


def test_resnet50_key_facts_match_the_published_count(tmp_path):
    # torchvision's ResNet-50 has 25,557,032 parameters; 25.6M is that count to 0.1M
    root = tmp_path / "vault"
    root.mkdir()
    assert kb_new(root, "ResNet", "--model", "ResNet-50") == 0
    facts = dict(rows(table(read(root, "ResNet"), "Key facts")))
    assert (facts["Reference model"], facts["Parameters"], facts["Layers"]) == ("ResNet-50", "25.6M", "50")


def test_model_names_that_other_notes_answer_to_are_not_aliased(vault, capsys):
    assert kb_new(vault, "Deep residual nets", "--model", "resnet50") == 0
    err = capsys.readouterr().err
    assert "alias 'ResNet' left out: ResNet.md already exists" in err
    assert "alias 'ResNet-50' left out: ResNet.md already has the alias 'ResNet-50'" in err
    assert read(vault, "Deep residual nets").aliases == ()


def test_explicit_year_wins_over_the_family_year_and_is_checked(vault, capsys):
    assert kb_new(vault, "Deep residual nets", "--model", "resnet50", "--year", "2016") == 1
    out = capsys.readouterr().out
    assert "year  2016 → contradicted" in out
    assert read(vault, "Deep residual nets").frontmatter["year"] == 2016


def test_symlink_named_like_the_note_is_not_followed(vault, tmp_path, capsys):
    outside = tmp_path / "outside.md"
    (vault / "VGG.md").symlink_to(outside)  # dangling: writing through it would create a file outside
    before = snapshot(vault)
    assert kb_new(vault, "VGG") == 2
    assert "VGG.md already exists" in capsys.readouterr().err
    assert not outside.exists()
    assert snapshot(vault) == before


def test_clash_ignores_unicode_normalisation(vault, capsys):
    import unicodedata

    (vault / "Réseau.md").write_text("# Réseau\n", encoding="utf-8")
    before = snapshot(vault)
    assert kb_new(vault, unicodedata.normalize("NFD", "RÉSEAU")) == 2
    assert "Réseau.md already exists" in capsys.readouterr().err
    assert snapshot(vault) == before


@settings(max_examples=80, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_title_is_refused_or_lands_in_the_vault_under_its_name(tmp_path_factory, title):
    from kb.errors import KbError
    from kb.new import create_note

    root = tmp_path_factory.mktemp("vault")
    try:
        created = create_note(root, NoteRequest(title=title))
    except KbError as error:
        assert title_problem(title) is not None and title_problem(title) in str(error)
        assert list(root.iterdir()) == []
        return
    assert title_problem(title) is None
    assert [p.name for p in root.iterdir()] == [f"{title}.md"]
    assert created.path == root / f"{title}.md"
    assert read(root, title).title == title


def test_a_note_created_meanwhile_is_never_replaced(vault, monkeypatch, capsys):
    import kb.new

    render = kb.new.render_note

    def render_while_someone_saves(template, context):
        text = render(template, context)
        (vault / "VGG.md").write_text("written by someone else\n", encoding="utf-8")
        return text

    monkeypatch.setattr(kb.new, "render_note", render_while_someone_saves)
    assert kb_new(vault, "VGG") == 2
    assert "appeared in the vault while the note was being written" in capsys.readouterr().err
    assert (vault / "VGG.md").read_text(encoding="utf-8") == "written by someone else\n"
    assert not [p for p in vault.iterdir() if p.name.endswith(".tmp")]
