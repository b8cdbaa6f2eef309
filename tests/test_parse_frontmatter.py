"""Frontmatter: where it is, what kb reads from it, and what happens when it is broken."""

from __future__ import annotations

import pytest

from kb.parse import parse_note


def parse(text: str):
    return parse_note(text, "Note.md")


@pytest.mark.parametrize("block, aliases", [
    ("aliases:\n  - Residual Network\n  - ResNet-50", ("Residual Network", "ResNet-50")),
    ("aliases: [Residual Network, ResNet-50]", ("Residual Network", "ResNet-50")),
    ("aliases: Fold", ("Fold",)),
    ("aliases:", ()),
    ("aliases: []", ()),
    ("alias: Old style", ("Old style",)),
    ("aliases: [2015, null]", ("2015",)),
])
def test_aliases_in_every_form(block: str, aliases: tuple[str, ...]) -> None:
    assert parse(f"---\n{block}\n---\nBody").aliases == aliases


@pytest.mark.parametrize("block, names", [
    ("tags: [a, B]", ["a", "b"]),
    ("tags:\n  - architecture\n  - area/ml", ["architecture", "area/ml"]),
    ('tag: "hello goodbye"', ["hello", "goodbye"]),
    ("tags: one, two", ["one", "two"]),
    ("tags: ['#hashed', 1984]", ["hashed"]),
    ("tags:", []),
])
def test_frontmatter_tags(block: str, names: list[str]) -> None:
    note = parse(f"---\ntitle: x\n{block}\n---\nBody #inline")
    assert [t.name for t in note.tags] == [*names, "inline"]
    assert all(t.line == 3 for t in note.tags[:-1])
    assert note.tags[-1].line == 5 + block.count("\n")


def test_cssclass_is_kept_as_data_and_means_nothing_else() -> None:
    note = parse("---\ncssclass: wide\n---\n")
    assert note.frontmatter == {"cssclass": "wide"} and note.tags == () and note.aliases == ()


def test_lines_count_the_frontmatter() -> None:
    note = parse("---\naliases: [A]\n---\n\n# Heading\n[[Target]]")
    assert note.frontmatter_end == 3
    assert note.headings[0].line == 5 and note.links[0].line == 6


@pytest.mark.parametrize("text", [
    "___\naliases: [A]\n___\n",
    "***\naliases: [A]\n***\n",
    "<hr>\naliases: [A]\n<hr>\n",
    "\n---\naliases: [A]\n---\n",
    "---\naliases: [A]\nno closing line",
])
def test_only_a_first_line_dashes_opens_a_closed_frontmatter(text: str) -> None:
    note = parse(text)
    assert note.frontmatter == {} and note.aliases == () and note.frontmatter_end == 0


def test_closed_by_dots_and_blank_first_line_inside() -> None:
    note = parse("---\n\nexcalidraw-plugin: parsed\ntags: [excalidraw]\n...\n# Body")
    assert note.frontmatter == {"excalidraw-plugin": "parsed", "tags": ["excalidraw"]}
    assert note.frontmatter_end == 5 and note.headings[0].line == 6


def test_links_in_frontmatter_values() -> None:
    note = parse('---\nlink: "[[Episode IV]]"\nreferences: [[[A (film)]], B]\npredecessors:\n'
                 '  - "[[AlexNet]]"\n  - "[[VGGNet|VGG]]"\nplain: "no link"\n---\nBody [[Other]]')
    got = [(link.target, link.label, link.key, link.line, link.syntax) for link in note.links]
    assert got == [
        ("Episode IV", None, "link", 2, "frontmatter"),
        ("A (film)", None, "references", 3, "frontmatter"),
        ("AlexNet", None, "predecessors", 5, "frontmatter"),
        ("VGGNet", "VGG", "predecessors", 6, "frontmatter"),
        ("Other", None, None, 9, "wikilink"),
    ]
    assert note.links[2].context == '- "[[AlexNet]]"'


@pytest.mark.parametrize("block, line", [
    ("{{ foo }}: bar", 2),
    ("title: ok\nkey:\n\t- tabbed", 4),
    ("title: ok\nlist: [unclosed", 4),
    ("a: b: c", 2),
])
def test_invalid_yaml_is_a_diagnostic_and_the_body_is_still_read(block: str, line: int) -> None:
    note = parse(f"---\n{block}\n---\n# Heading\n[[Link]] #tag")
    (problem,) = note.diagnostics
    assert (problem.code, problem.file, problem.line) == ("yaml", "Note.md", line)
    assert "YAML" in problem.message and "expected" in problem.message
    assert note.frontmatter == {}
    assert [h.text for h in note.headings] == ["Heading"]
    assert [link.target for link in note.links] == ["Link"] and [t.name for t in note.tags] == ["tag"]


@pytest.mark.parametrize("block, kind", [("- a\n- b", "list"), ("just text", "plain string"), ("42", "int")])
def test_frontmatter_that_is_not_a_mapping(block: str, kind: str) -> None:
    note = parse(f"---\n{block}\n---\n[[Body]]")
    (problem,) = note.diagnostics
    assert problem.code == "yaml" and f"found a {kind}" in problem.message
    assert note.frontmatter == {} and note.links[0].target == "Body"


def test_duplicate_keys_are_reported_and_the_last_value_kept() -> None:
    note = parse("---\naliases: [First]\ntitle: t\naliases: [Second]\n---\n")
    (problem,) = note.diagnostics
    assert (problem.code, problem.line) == ("yaml", 4) and "'aliases'" in problem.message
    assert note.aliases == ("Second",)


def test_nested_duplicate_keys_are_reported_and_same_names_in_different_mappings_are_not() -> None:
    fine = parse("---\na:\n  name: x\nb:\n  name: y\n---\n")
    assert fine.diagnostics == ()
    nested = parse("---\na:\n  name: x\n  name: y\n---\n")
    assert [(d.code, d.line) for d in nested.diagnostics] == [("yaml", 4)]


def test_an_impossible_date_is_a_diagnostic() -> None:
    note = parse("---\ndate: 2023-02-30\n---\nBody")
    assert [d.code for d in note.diagnostics] == ["yaml"] and note.frontmatter == {}


def test_unsafe_tags_are_refused() -> None:
    note = parse("---\nx: !!python/object/apply:os.system ['echo hi']\n---\n")
    assert [d.code for d in note.diagnostics] == ["yaml"] and note.frontmatter == {}


def test_yaml_alias_bomb_is_read_once() -> None:
    levels = ['a0: &a0 ["[[Target]]", "[[Target]]"]']
    levels += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    note = parse("---\n" + "\n".join(levels) + "\n---\n")
    assert note.diagnostics == ()
    # 4**29 paths lead to the two links under each key: each shared list is read once per key
    assert len(note.links) == 2 * 30 and {link.key for link in note.links} == {f"a{i}" for i in range(30)}


def test_control_characters_in_yaml_are_a_diagnostic() -> None:
    note = parse("---\ntitle: a\x01b\n---\n[[Body]]")
    assert [d.code for d in note.diagnostics] == ["yaml"] and note.links[0].target == "Body"


# -- the line of each key: where later stages point at a frontmatter value -----------------

@pytest.mark.parametrize("block, lines", [
    # read by the fast reader
    ("aliases: [A]\ntags:\n  - x\n  - y\n# a comment\n\nyear: 2006", {"aliases": 2, "tags": 3, "year": 8}),
    ("up: \"[[AlexNet]]\"\ntitle: Plain words", {"up": 2, "title": 3}),
    # read by libyaml: a date, a quoted key, a block scalar, a nested mapping
    ("date: 2015-12-10\n'quoted key': 1\n\"double\": 2\nabout: |\n  not: a key\nyear: 2015",
     {"date": 2, "quoted key": 3, "double": 4, "about": 5, "year": 7}),
    ("# leading comment\nmodel:\n  name: x\n  depth: 3\naliases:\n- A\n- B\nyear: yes",
     {"model": 3, "aliases": 6, "year": 9}),
])
def test_frontmatter_key_lines(block: str, lines: dict[str, int]) -> None:
    note = parse(f"---\n{block}\n---\nBody")
    assert note.diagnostics == ()
    assert note.frontmatter_lines == lines
    assert set(note.frontmatter) == set(lines)


@pytest.mark.parametrize("prefix, newline", [("", "\n"), ("", "\r\n"), ("\ufeff", "\n"), ("\ufeff", "\r\n"), ("", "\r")])
def test_frontmatter_key_lines_with_any_line_ending_and_a_bom(prefix: str, newline: str) -> None:
    text = prefix + newline.join(["---", "aliases: [A]", "tags:", "  - x", "year: 2006", "---", "Body"])
    assert parse(text).frontmatter_lines == {"aliases": 2, "tags": 3, "year": 5}


def test_frontmatter_key_lines_of_a_repeated_key_and_of_no_frontmatter() -> None:
    repeated = parse("---\nyear: 2001\ntitle: t\nyear: 2002\n---\n")
    assert repeated.frontmatter == {"year": 2002, "title": "t"}
    assert repeated.frontmatter_lines == {"year": 4, "title": 3}       # the line of the value kept
    assert parse("No frontmatter").frontmatter_lines == {}
    assert parse("---\n---\nEmpty").frontmatter_lines == {}
    assert parse("---\n- a\n- b\n---\nA list").frontmatter_lines == {}
    assert parse("---\na: [unclosed\n---\nBroken").frontmatter_lines == {}


def test_frontmatter_tags_and_links_carry_the_key_lines() -> None:
    note = parse("---\ntitle: t\nup: \"[[A]]\"\ntags: [x]\n---\n")
    assert note.frontmatter_lines == {"title": 2, "up": 3, "tags": 4}
    assert [(link.target, link.line) for link in note.links] == [("A", 3)]
    assert [(tag.name, tag.line) for tag in note.tags] == [("x", 4)]
