"""Link resolution over hand-built notes: Obsidian's rules, kb's alias rule, and every reason."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from kb.parse.note import Heading, Link, ParsedNote
from kb.resolve import (build_index, decoded_index, diagnostics, encoded_index, index_tables, node_id,
                        resolve_link, resolve_name, resolve_vault)
from kb.vault import Vault


def make_note(path: str, *, aliases=(), headings=(), links=()) -> ParsedNote:
    title = path.rsplit("/", 1)[-1][:-3]
    return ParsedNote(path=path, title=title, aliases=tuple(aliases), links=tuple(links),
                      headings=tuple(Heading(2, text, text.lower().replace(" ", "-"), 1)
                                     for text in headings))


@pytest.fixture(scope="module")
def index():
    notes = [
        make_note("ResNet.md", aliases=["Residual Network", "ResNet-50"],
                  headings=["Lineage position", "Estimator of $\\sigma^{2}$:"]),
        make_note("Embed files.md"),
        make_note("AI/ML/README.md"),
        make_note("Other/README.md"),
        make_note("cnn/Security and privacy.md"),
        make_note("nlp/Security and privacy.md"),
        make_note("deep/er/Security and privacy.md"),
        make_note("Странные Аттракторы.md"),
        # macOS writes names decomposed (NFD); links are typed composed (NFC).
        make_note(unicodedata.normalize("NFD", "Naïve Bayes.md")),
        make_note("Nöte with 'quotes'.md"),
        make_note("people/Kaiming He.md"),
    ]
    vault = Vault(Path("vault"), tuple(sorted(notes, key=lambda n: n.path)),
                  files=("img/white.png", "paper.pdf", "Board.canvas"))
    return build_index(vault)


def resolve(index, target: str, source: str = "ResNet.md", **fields):
    return resolve_link(index, Link(target=target, line=7, **fields), source)


def test_exact_name_resolves_ok(index):
    r = resolve(index, "ResNet")
    assert (r.status, r.target, r.reason) == ("ok", "ResNet.md", "")


def test_name_differing_in_case_resolves_but_says_so(index):
    r = resolve(index, "Embed Files")
    assert (r.status, r.target) == ("case", "Embed files.md")
    assert "ignoring case" in r.reason


@pytest.mark.parametrize("target", ["AI/ML/README", "ML/README", "ai/ml/readme"])
def test_full_and_partial_folder_paths(index, target):
    assert resolve(index, target).target == "AI/ML/README.md"


def test_name_shared_by_two_folders_is_ambiguous_with_documented_tie_break(index):
    # From a note in nlp/, the same-folder candidate wins; elsewhere the shortest path, then
    # alphabetical order.
    same_folder = resolve(index, "Security and privacy", source="nlp/Intro.md")
    assert same_folder.status == "ambiguous"
    assert same_folder.target == "nlp/Security and privacy.md"
    assert set(same_folder.candidates) == {"cnn/Security and privacy.md",
                                           "nlp/Security and privacy.md",
                                           "deep/er/Security and privacy.md"}
    assert "linking note's folder" in same_folder.reason

    from_root = resolve(index, "Security and privacy", source="ResNet.md")
    assert from_root.candidates == ("cnn/Security and privacy.md", "nlp/Security and privacy.md",
                                    "deep/er/Security and privacy.md")
    assert from_root.target == "cnn/Security and privacy.md"
    assert "alphabetically" in from_root.reason


def test_folder_path_disambiguates_a_duplicate_name(index):
    r = resolve(index, "nlp/Security and privacy")
    assert (r.status, r.target) == ("ok", "nlp/Security and privacy.md")


def test_alias_is_a_target_and_is_flagged(index):
    r = resolve(index, "residual network")
    assert (r.status, r.target) == ("alias", "ResNet.md")
    assert "alias of ResNet.md" in r.reason


def test_punctuation_near_miss_is_not_followed_but_named(index):
    r = resolve(index, "Resnet 50")
    assert (r.status, r.target) == ("punctuation", None)
    assert r.candidates == ("ResNet.md",)
    assert "punctuation" in r.reason


def test_path_pointing_elsewhere_names_where_the_note_is(index):
    r = resolve(index, "archive/Kaiming He")
    assert (r.status, r.target) == ("path-elsewhere", None)
    assert r.candidates == ("people/Kaiming He.md",)
    assert "people/Kaiming He.md" in r.reason


def test_slash_in_a_missing_name_is_just_missing(index):
    r = resolve(index, "A/B Testing")
    assert (r.status, r.target, r.reason) == ("missing", None, "no note named 'A/B Testing'")


def test_missing_note_says_so(index):
    r = resolve(index, "Microsoft")
    assert (r.status, r.target, r.candidates) == ("missing", None, ())
    assert r.reason == "no note named 'Microsoft'"


@pytest.mark.parametrize("target, path", [
    ("Странные Аттракторы", "Странные Аттракторы.md"),
    ("Naïve Bayes", unicodedata.normalize("NFD", "Naïve Bayes.md")),
    ("Nöte with 'quotes'", "Nöte with 'quotes'.md"),
])
def test_unicode_names(index, target, path):
    r = resolve(index, unicodedata.normalize("NFC", target))
    assert (r.status, r.target) == ("ok", path)


@pytest.mark.parametrize("target, path", [("white.png", "img/white.png"),
                                          ("img/white.png", "img/white.png"),
                                          ("paper.pdf", "paper.pdf"), ("Board.canvas", "Board.canvas")])
def test_links_to_files(index, target, path):
    r = resolve(index, target, embed=True)
    assert (r.status, r.target) == ("file", path)


def test_missing_file_is_reported_as_a_file(index):
    r = resolve(index, "black.png", embed=True)
    assert (r.status, r.reason) == ("missing", "no file named 'black.png'")


def test_heading_links_checked_loosely(index):
    assert resolve(index, "ResNet", heading="lineage position").anchor_found is True
    # Obsidian writes LaTeX headings with the symbols stripped.
    assert resolve(index, "ResNet", heading="Estimator of $ sigma {2}$:").anchor_found is True
    r = resolve(index, "ResNet", heading="Nowhere")
    assert (r.status, r.anchor_found) == ("ok", False)
    assert "no heading 'Nowhere' in ResNet.md" in r.reason


def test_same_note_heading_link(index):
    r = resolve(index, "", heading="Lineage position")
    assert (r.status, r.target, r.anchor_found) == ("self", "ResNet.md", True)
    assert resolve(index, "", heading="Gone").anchor_found is False


def test_resolve_name_for_plain_text(index):
    assert resolve_name(index, " ResNet-50 ").target == "ResNet.md"
    assert resolve_name(index, "VGGNet").status == "missing"


def test_resolve_vault_orders_by_source_and_line_and_reports_diagnostics():
    notes = (
        make_note("A.md", links=[Link("B", 9), Link("Nope", 2)]),
        make_note("B.md", links=[Link("a", 1), Link("A", 3, heading="Missing")]),
    )
    vault = Vault(Path("v"), notes)
    resolutions = resolve_vault(vault)
    assert [(r.source, r.link.line) for r in resolutions] == [("A.md", 2), ("A.md", 9),
                                                              ("B.md", 1), ("B.md", 3)]
    found = [str(d) for d in diagnostics(resolutions)]
    assert found == ["A.md:2: [[Nope]]: no note named 'Nope'",
                     "B.md:1: [[a]]: matches A.md only ignoring case",
                     "B.md:3: [[A#Missing]]: no heading 'Missing' in A.md"]


def test_node_id():
    assert node_id("AI/ML/README.md") == "AI/ML/README"
    assert node_id("img/white.png") == "img/white.png"


def test_an_index_handed_over_serves_the_notes_it_was_built_from(index):
    vault = Vault(Path("vault"), tuple(index.notes.values()), ("img/figure.png",))
    handed = decoded_index(encoded_index(index), vault)
    assert index_tables(handed) == index_tables(index)
    assert all(handed.notes[path] is note for path, note in index.notes.items())
    for target in ("Residual Network", "README", "security and privacy", "white.png", "Nowhere"):
        assert resolve(handed, target, "nlp/x.md") == resolve(index, target, "nlp/x.md")
    # not an index, or one of another vault: the receiver builds its own
    fewer = Vault(Path("vault"), tuple(index.notes.values())[1:], ())
    for encoded, of in ((b"\x00not marshal", vault), (encoded_index(index)[:-3], vault), (b"N", vault),
                        (encoded_index(index), fewer)):
        assert decoded_index(encoded, of) is None
