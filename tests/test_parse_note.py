"""Whole notes: bytes and encodings, the seed note, huge files, and properties of parse_note."""

from __future__ import annotations

import hashlib
from pathlib import Path

import markdown
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.parse import parse_note, read_note
from kb.parse.anchors import anchors

SEED = Path(__file__).resolve().parent.parent / "notes" / "ResNet.md"
BODY = "---\naliases: [Résumé]\n---\n# Heading\nSee [[Target]] #tag\n"


def test_utf8_bom_crlf_and_cr_read_alike() -> None:
    plain = read_note(BODY.encode("utf-8"), "n/Note.md")
    for data in (b"\xef\xbb\xbf" + BODY.encode("utf-8"), BODY.replace("\n", "\r\n").encode("utf-8"),
                 BODY.replace("\n", "\r").encode("utf-8")):
        note = read_note(data, "n/Note.md")
        assert (note.aliases, note.links, note.tags, note.headings, note.frontmatter_end) == \
            (plain.aliases, plain.links, plain.tags, plain.headings, plain.frontmatter_end)
        assert note.content_hash == hashlib.sha256(data).hexdigest()
        assert note.diagnostics == ()
    assert plain.title == "Note" and plain.path == "n/Note.md"
    assert plain.aliases == ("Résumé",) and plain.links[0].line == 5


def test_invalid_utf8_is_a_diagnostic_and_the_rest_is_read() -> None:
    data = b"# Title\nfine line\nbad \xff byte [[Still]]\n[[After]]"
    note = read_note(data, "Bad.md")
    (problem,) = note.diagnostics
    assert (problem.code, problem.file, problem.line) == ("encoding", "Bad.md", 3)
    assert "0xff" in problem.message and "offset 22" in problem.message and "UTF-8" in problem.message
    assert [link.target for link in note.links] == ["Still", "After"]
    assert note.content_hash == hashlib.sha256(data).hexdigest()


def test_invalid_utf8_line_counts_any_line_ending() -> None:
    for newline in (b"\n", b"\r\n", b"\r"):
        note = read_note(newline.join([b"one", b"two", b"three \xc3("]), "Bad.md")
        assert [d.line for d in note.diagnostics] == [3]


def test_latin1_file_is_reported_not_fatal() -> None:
    note = read_note("---\naliases: [Café]\n---\n[[Noël]]".encode("latin-1"), "Latin.md")
    assert [d.code for d in note.diagnostics] == ["encoding"] and note.diagnostics[0].line == 2
    assert len(note.links) == 1


def test_the_seed_note() -> None:
    note = read_note(SEED.read_bytes(), "ResNet.md")
    assert note.diagnostics == ()
    assert note.aliases == ("Residual Network", "ResNet-50", "ResNet-152", "Skip connections")
    assert {t.name for t in note.tags} == {"concept", "ai", "architecture"}
    targets = {link.target for link in note.links}
    assert {"AlexNet", "Transformer", "Microsoft", "Kaiming He", "ImageNet"} <= targets
    lineage = next(t for t in note.tables if t.section == "Lineage position")
    assert [c.text for c in lineage.header][:2] == ["Year", "Architecture"]
    assert any(link.target == "AlexNet" for row in lineage.rows for cell in row for link in cell.links)
    # the ASCII diagram in the fenced block is not read as links or tags
    assert all(link.line > 0 and "─" not in link.context for link in note.links)


def test_huge_excalidraw_note_is_read_whole() -> None:
    payload = "\n".join(f'    {{"id": "el{i}", "text": "[[NotALink{i}]] #notatag", "points": [[{i}, 17]]}},'
                        for i in range(20_000))
    text = ("---\nexcalidraw-plugin: parsed\ntags: [excalidraw]\n---\n# Excalidraw Data\n## Text Elements\n"
            "Label linking [[Real Note]] ^abc\n\n%%\n## Drawing\n```json\n" + payload + "\n```\n%%\n[[After Drawing]]\n")
    assert len(text) > 1_500_000
    note = parse_note(text, "Drawing 2023-09-12.excalidraw.md")
    assert [link.target for link in note.links] == ["Real Note", "After Drawing"]
    assert [t.name for t in note.tags] == ["excalidraw"]
    assert note.links[-1].line == text.count("\n")


def test_huge_paragraph_of_unmatched_backticks_and_brackets() -> None:
    # every opener is unmatched: a naive scanner would be quadratic here
    text = " ".join("`" * (i % 50 + 1) + "[[x" for i in range(30_000)) + " [[End]]"
    note = parse_note(text, "Huge.md")
    assert [link.target for link in note.links] == ["End"]


def test_many_code_spans_over_many_lines_of_one_paragraph() -> None:
    text = "\n".join(f"`[[hidden{i}]]` and [[shown{i}]] ``#x`` #t{i}" for i in range(5_000))
    note = parse_note(text, "Long.md")
    assert [link.target for link in note.links] == [f"shown{i}" for i in range(5_000)]
    assert [tag.name for tag in note.tags] == [f"t{i}" for i in range(5_000)]


def test_hostile_lines_stay_linear() -> None:
    # one table row of 20,000 cells with a link each; one line of 20,000 nested fields
    header = "|" + "|".join(f"h{i}" for i in range(20_000)) + "|"
    delimiter = "|" + "|".join("-" for _ in range(20_000)) + "|"
    row = "|" + "|".join(f"[[N{i}]]" for i in range(20_000)) + "|"
    fields = "".join(f"[k{i}:: v [[F{i}]] " for i in range(20_000)) + "]" * 20_000
    note = parse_note("\n".join([header, delimiter, row, "", fields]), "Hostile.md")
    (table,) = note.tables
    assert [cell.links[0].target for cell in table.rows[0]] == [f"N{i}" for i in range(20_000)]
    assert [f.key for f in note.fields] == ["k0"]          # the rest are inside its value
    assert {link.key for link in note.links if link.line == 5} == {"k0"}


# -- anchors: the oracle is Python-Markdown's own toc extension, as MkDocs runs it -----------

HEADINGS = [
    "Why ResNet matters", "The solution: Skip connections", "Competition dominance (2015)",
    "Estimator of $\\sigma^{2}$:", "`torch.nn` and **bold** *em*", "[Link text](http://x.org) & more",
    "Ünïcödé naïve café", "snake_case_name and _emphasis_", "Title", "Title", "Title_1", "C++ / C#",
    "3.6% error", "Heading with <b>html</b>", "Escaped \\*stars\\* and \\_under\\_", "  spaced   out  ", "日本語",
    "A -- B --- C", "[[Wiki Link]] heading", "&amp; entity &copy;",
]


def test_anchors_match_python_markdown_toc() -> None:
    md = markdown.Markdown(extensions=["toc"])
    source = "\n\n".join("## " + h for h in HEADINGS)
    md.convert(source)
    expected = []

    def walk(tokens):
        for token in tokens:
            expected.append(token["id"])
            walk(token["children"])
    walk(md.toc_tokens)
    assert anchors(HEADINGS) == expected


def test_many_repeated_headings_get_python_markdown_ids() -> None:
    headings = ["Setup", "Setup_2", "Setup"] + ["Setup"] * 3_000 + ["Setup_1", "Setup_3005"]
    md = markdown.Markdown(extensions=["toc"])
    md.convert("\n\n".join("## " + h for h in headings))
    assert anchors(headings) == [token["id"] for token in md.toc_tokens]


# -- properties -------------------------------------------------------------------------------

markdownish = st.text(alphabet=st.sampled_from(list("ab #[]|!`~-=*>:\\\n\t ^.()_/1\u00e9\ufeff\r")), max_size=300)


@settings(max_examples=250, deadline=None)
@given(st.one_of(st.text(max_size=300), markdownish, markdownish.map(lambda s: "---\n" + s)))
def test_parse_note_never_raises_and_is_deterministic(text: str) -> None:
    first = parse_note(text, "Fuzz.md")
    assert parse_note(text, "Fuzz.md") == first
    lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    assert all(1 <= item.line <= lines for item in (*first.links, *first.tags, *first.headings, *first.fields))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_read_note_never_raises_on_bytes(data: bytes) -> None:
    note = read_note(data, "Bytes.md")
    assert note.content_hash == hashlib.sha256(data).hexdigest()
