"""Every case of Obsidian-flavoured markdown kb reads: links, tags, fields, code, tables."""

from __future__ import annotations

import pytest

from kb.parse import find_heading, parse_note
from kb.parse.note import Link


def parse(text: str):
    return parse_note(text, "dir/Note.md")


def only_link(text: str) -> Link:
    links = parse(text).links
    assert len(links) == 1, links
    return links[0]


def targets(text: str) -> list[str]:
    return [link.target for link in parse(text).links]


def tag_names(text: str) -> list[str]:
    return [tag.name for tag in parse(text).tags]


# -- code is never parsed ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "see `[[note]]` here",
    "``[[note]] with ` inside``",
    "```\n[[note]]\n```",
    "~~~\n[[note]]\n~~~",
    "````\n```\n[[note]]\n```\n````",
    "text\n\n    [[note]] in indented code",
    "```r\ntibble[['column_name']]\n```",
    "```python\nnp.array([[200, 17]])\n```",
    "- item\n  ```\n  [[note]]\n  ```",
    "> ```\n> [[note]]\n> ```",
    "```\nunclosed fence runs to the end\n[[note]]",
])
def test_nothing_inside_code_is_a_link(text: str) -> None:
    assert parse(text).links == ()


def test_nothing_inside_code_is_a_tag_or_field() -> None:
    note = parse("```bash\n# #code_comment\nkey:: value\n```\n`#inline` and `k:: v`\n\n    #indented")
    assert note.tags == () and note.fields == ()


def test_code_span_needs_a_matching_backtick_run() -> None:
    # a lone backtick is literal text, so the link after it counts
    assert targets("a ` lone backtick [[Real]]") == ["Real"]
    # an escaped backtick opens nothing
    assert targets("\\`[[Real]]`") == ["Real"]


# -- wikilinks ----------------------------------------------------------------------

def test_plain_link_with_line_and_context() -> None:
    link = only_link("first line\n  Built on [[AlexNet]] in 2012.  ")
    assert (link.target, link.line, link.context, link.syntax) == ("AlexNet", 2, "Built on [[AlexNet]] in 2012.", "wikilink")


@pytest.mark.parametrize("text, target, label, heading, block", [
    ("[[Target]]", "Target", None, None, None),
    ("[[Target|label]]", "Target", "label", None, None),
    ("[[Target#Heading]]", "Target", None, "Heading", None),
    ("[[Target#H1#H2]]", "Target", None, "H1#H2", None),
    ("[[Target##Heading]]", "Target", None, "Heading", None),
    ("[[Target#^block-id]]", "Target", None, None, "block-id"),
    ("[[#Heading]]", "", None, "Heading", None),
    ("[[#^id]]", "", None, None, "id"),
    ("[[Target#Heading|shown]]", "Target", "shown", "Heading", None),
    ("[[   foo   |foo]]", "foo", "foo", None, None),
    ("[[foo#^abc ]]", "foo", None, None, "abc"),
    ("[[Quick Switcher ]]", "Quick Switcher", None, None, None),
    ("[[Git Flow|Title [with] square [brackets]]]", "Git Flow", "Title [with] square [brackets]", None, None),
    ("[[Clustering Models|Clustering Model|]]", "Clustering Models", "Clustering Model", None, None),
    ("[[Note.md]]", "Note", None, None, None),
    ("[[ Note.md ]]", "Note", None, None, None),
    ("[[Note.MD |shown]]", "Note", "shown", None, None),
    ("[[yes, no, and maybe]]", "yes, no, and maybe", None, None, None),
    ("[[AI/ML/README|Read me]]", "AI/ML/README", "Read me", None, None),
    ("[[ML/README]]", "ML/README", None, None, None),
    ("[[A/B Testing]]", "A/B Testing", None, None, None),
    ("[[Nöte with 'quotes']]", "Nöte with 'quotes'", None, None, None),
    ("[[Странные Аттракторы]]", "Странные Аттракторы", None, None, None),
    ("[[Naïve Bayes]]", "Naïve Bayes", None, None, None),
    ("[[Board.canvas]]", "Board.canvas", None, None, None),
])
def test_wikilink_parts(text, target, label, heading, block) -> None:
    link = only_link(f"Text {text} after.")
    assert (link.target, link.label, link.heading, link.block, link.embed) == (target, label, heading, block, False)


@pytest.mark.parametrize("text, target, size", [
    ("![[white.png]]", "white.png", None),
    ("![[bulb.svg]]", "bulb.svg", None),
    ("![[paper.pdf]]", "paper.pdf", None),
    ("![[audio.flac]]", "audio.flac", None),
    ("![[image.png|300]]", "image.png", "300"),
    ("![[image.png|300x200]]", "image.png", "300x200"),
    ("![[Other note]]", "Other note", None),
    ("![[Other note#Section]]", "Other note", None),
])
def test_embeds(text, target, size) -> None:
    link = only_link(text)
    assert (link.target, link.embed, link.size, link.label) == (target, True, size, None)


def test_a_number_after_the_pipe_of_a_plain_link_is_a_label() -> None:
    link = only_link("[[Chapter|300]]")
    assert (link.label, link.size) == ("300", None)


@pytest.mark.parametrize("text", ["[[unclosed", "![[Not an embed.]", "![[Partial", "[[]]", "[ [spaced] ]", "[[|label]]"])
def test_not_links(text: str) -> None:
    assert parse(f"before {text} after").links == ()


def test_several_links_on_a_line_keep_their_order() -> None:
    assert targets("[[B]] then [x](A.md) then ![[c.png]] then [[D|d]]") == ["B", "A", "c.png", "D"]


# -- markdown links ------------------------------------------------------------------

@pytest.mark.parametrize("text, target, heading, label", [
    ("[Label](Note.md)", "Note", None, "Label"),
    ("[Label](Note%20Name.md)", "Note Name", None, "Label"),
    ("[L](folder/Note.md#heading)", "folder/Note", "heading", "L"),
    ("[L](<Note Name.md>)", "Note Name", None, "L"),
    ("[L](Note.md \"title\")", "Note", None, "L"),
])
def test_markdown_links_to_notes(text, target, heading, label) -> None:
    link = only_link(f"See {text}.")
    assert (link.target, link.heading, link.label, link.syntax) == (target, heading, label, "markdown")


@pytest.mark.parametrize("text", ["[site](https://example.com/page.md)", "[x](http://a.md)", "[img](pic.png)",
                                  "[mail](mailto:a@b.md)", "[anchor](#heading)", "`[code](Note.md)`"])
def test_markdown_links_that_are_not_note_links(text: str) -> None:
    assert parse(text).links == ()


# -- tables ----------------------------------------------------------------------------

TABLE = """## Lineage position

| Year | Architecture | Note |
|------|:------------:|------|
| 2012 | [[AlexNet]] | first |
| 2015 | [[Basic formatting\\|Markdown syntax]] | ![[image.png \\| 300]] |
| 2017 | plain | `[[code]]` \\| pipe |
"""


def test_table_cells_lines_columns_and_links() -> None:
    note = parse(TABLE)
    (table,) = note.tables
    assert table.line == 3 and table.section == "Lineage position"
    assert [c.text for c in table.header] == ["Year", "Architecture", "Note"]
    assert [[c.text for c in row] for row in table.rows] == [
        ["2012", "[[AlexNet]]", "first"],
        ["2015", "[[Basic formatting|Markdown syntax]]", "![[image.png | 300]]"],
        ["2017", "plain", "`[[code]]` | pipe"],
    ]
    first, second, third = table.rows
    assert [(c.line, c.column) for c in second] == [(6, 0), (6, 1), (6, 2)]
    assert [link.target for link in first[1].links] == ["AlexNet"]
    (escaped,) = second[1].links
    assert (escaped.target, escaped.label) == ("Basic formatting", "Markdown syntax")
    (image,) = second[2].links
    assert (image.target, image.size, image.embed) == ("image.png", "300", True)
    assert third[2].links == ()
    assert [link.target for link in note.links] == ["AlexNet", "Basic formatting", "image.png"]


def test_short_rows_are_padded_and_long_rows_cut_to_the_header() -> None:
    (table,) = parse("| a | b |\n|---|---|\n| 1 |\n| 1 | 2 | 3 |").tables
    assert [[c.text for c in row] for row in table.rows] == [["1", ""], ["1", "2"]]


def test_unescaped_pipe_in_a_table_wikilink_is_reported() -> None:
    note = parse("| Model | Link |\n|---|---|\n| ResNet | [[ResNet|the paper]] |")
    assert [d.code for d in note.diagnostics] == ["table"]
    assert note.diagnostics[0].line == 3
    assert "[[ResNet|the paper]]" in note.diagnostics[0].message
    assert "[[ResNet\\|the paper]]" in note.diagnostics[0].message
    assert [link.target for link in note.links] == ["ResNet"]     # the link itself still counts


def test_not_a_table_without_a_delimiter_row() -> None:
    assert parse("a | b\nc | d").tables == ()
    assert parse("| a | b |\n|---|").tables == ()          # the delimiter row must have the header's width


# -- tags ----------------------------------------------------------------------------------

def test_inline_tags_nested_and_case_folded() -> None:
    note = parse("#concept and #Area/ML\ntext #ML, #y1984.")
    assert [(t.name, t.line) for t in note.tags] == [("concept", 1), ("area/ml", 1), ("ml", 2), ("y1984", 2)]


@pytest.mark.parametrize("text", ["#1984", "\\#escaped", "(#y1985 )", "# Heading", "page.html#part", "`#code`",
                                  "a#b", "#", "##", "#2023-01"])
def test_not_tags(text: str) -> None:
    assert parse(text).tags == ()


def test_tags_in_headings_and_lists() -> None:
    assert tag_names("## Heading #tagged\n- item #listed\n> quote #quoted") == ["tagged", "listed", "quoted"]


# -- dataview inline fields -------------------------------------------------------------------

def test_field_on_its_own_line_and_in_a_list_item() -> None:
    fields = parse("Rating:: 9\n- status:: done\n").fields
    assert [(f.key, f.raw_key, f.value, f.line) for f in fields] == [("rating", "Rating", "9", 1), ("status", "status", "done", 2)]


def test_bold_key() -> None:
    (field,) = parse("**Bold Key**:: Nice!").fields
    assert (field.key, field.value) == ("bold-key", "Nice!")


def test_bracketed_fields_inside_a_sentence() -> None:
    fields = parse("I'd rate it [rating:: 9] and (long key:: some value) today, [key:: [value]].").fields
    assert [(f.key, f.value) for f in fields] == [("rating", "9"), ("long-key", "some value"), ("key", "[value]")]


@pytest.mark.parametrize("text", ["[key:value]", "(key:value)", "`key:: value`", "    key:: value", "# Heading:: no"])
def test_not_fields(text: str) -> None:
    assert parse(text).fields == ()


def test_links_in_field_values_carry_the_key() -> None:
    note = parse("predecessor:: [[AlexNet]]\nSee [successor:: [[ResNet]]] and [[Other]].")
    assert [(link.target, link.key) for link in note.links] == [("AlexNet", "predecessor"), ("ResNet", "successor"),
                                                              ("Other", None)]


def test_field_value_keeps_inline_code() -> None:
    (field,) = parse("shape:: `224x224` input").fields
    assert field.value == "`224x224` input"


# -- headings ---------------------------------------------------------------------------------

def test_headings_atx_and_setext_with_anchors_and_lines() -> None:
    note = parse("---\ntags: [a]\n---\n# Title #\nIntro\n\nSetext one\n===\n\nSetext two\n---\n## Title\n## Title")
    assert [(h.level, h.text, h.anchor, h.line) for h in note.headings] == [
        (1, "Title", "title", 4), (1, "Setext one", "setext-one", 7), (2, "Setext two", "setext-two", 10),
        (2, "Title", "title_1", 12), (2, "Title", "title_2", 13)]


def test_heading_anchor_for_a_link() -> None:
    note = parse("## Heading 1\n## Estimator of $\\sigma^{2}$:\n")
    assert note.headings[0].anchor == "heading-1"
    assert find_heading(note, "Heading 1") is note.headings[0]
    assert find_heading(note, "heading 1") is note.headings[0]
    assert find_heading(note, "Estimator of $ sigma {2}$") is note.headings[1]
    assert find_heading(note, "No such heading") is None


def test_nested_heading_link_prefers_the_named_parent() -> None:
    note = parse("# A\n## Setup\n# B\n## Setup\n")
    assert find_heading(note, "B#Setup") is note.headings[3]
    assert find_heading(note, "A#Setup") is note.headings[1]


def test_a_thematic_break_after_a_blank_line_is_not_a_heading() -> None:
    assert parse("Text\n\n---\n").headings == ()


def test_block_ids_are_collected_outside_code() -> None:
    note = parse("A paragraph. ^para-1\n- item ^item2\n\n```\ncode ^in-code\n```\nnot^glued\n`^code-span`")
    assert note.blocks == ("para-1", "item2")


# -- block quotes and callouts hold the same structures as the top level -------------------

CALLOUT = """# Facts

> [!info] Key facts
> | Metric | Value |
> |---|---|
> | Depth | [[ResNet\\|152]] layers |
> | Model | [[AlexNet]] |
>
> ## Quoted heading
>
>     indented code [[not a link]] #nottag
>
> > nested `[[span]]` and [[Nested]]
"""


def test_a_table_in_a_callout_is_a_table_with_its_cells_and_links() -> None:
    note = parse(CALLOUT)
    (table,) = note.tables
    assert table.line == 4 and table.section == "Facts"
    assert [[c.text for c in row] for row in table.rows] == [["Depth", "[[ResNet|152]] layers"],
                                                            ["Model", "[[AlexNet]]"]]
    depth, model = table.rows
    assert [(link.target, link.label) for link in depth[1].links] == [("ResNet", "152")]
    assert [link.target for link in model[1].links] == ["AlexNet"] and model[1].line == 7


def test_headings_code_and_nested_quotes_inside_a_quote() -> None:
    note = parse(CALLOUT)
    assert [(h.level, h.text, h.line) for h in note.headings] == [(1, "Facts", 1), (2, "Quoted heading", 9)]
    assert [link.target for link in note.links] == ["ResNet", "AlexNet", "Nested"]
    assert [tag.name for tag in note.tags] == []
    assert note.links[-1].context == "> > nested `[[span]]` and [[Nested]]"     # the line as written


def test_a_tab_after_the_quote_marker_counts_from_the_margin() -> None:
    assert targets("> \t[[Short indent]]\n") == ["Short indent"]          # 2 columns: text
    assert targets(">\t\t[[Code]]\n") == []                                 # 5 columns: indented code


# -- Obsidian comments hide what they hold ---------------------------------------------------

COMMENTS = """# Note

Visible [[A]] %%hidden [[B]] #hidtag%% and [[C]] #shown
%%
## Hidden heading
| x | y |
|---|---|
| [[D]] | 1 |
key:: value
%%
After [[E]] `%%` is code, not a comment: [[F]] ^kept

%% never closed [[G]]
[[H]] ^gone
"""


def test_nothing_inside_a_comment_counts() -> None:
    note = parse(COMMENTS)
    assert [link.target for link in note.links] == ["A", "C", "E", "F"]
    assert [tag.name for tag in note.tags] == ["shown"]
    assert [h.text for h in note.headings] == ["Note"]
    assert note.tables == () and note.fields == ()
    assert note.blocks == ("kept",) and note.block_lines == (11,)


def test_comments_are_located_and_left_out_of_link_contexts() -> None:
    note = parse(COMMENTS)
    assert note.comments == ((3, 14, 3, 38), (4, 0, 10, 2), (13, 0, 14, -1))
    assert note.links[0].context == "Visible [[A]]  and [[C]] #shown"      # what a reader sees
    (field,) = parse("key:: value %%not part of it%%").fields
    assert field.value == "value"
