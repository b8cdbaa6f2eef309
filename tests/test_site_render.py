"""Note markdown -> site markdown, on small vaults parsed and resolved by kb itself."""

from __future__ import annotations

import re

import markdown
import pytest

from kb.claims import Claim, Subject
from kb.quantity import Quantity
from kb.resolve import build_index, resolve_vault
from kb.site import svg
from kb.site.render import BadgeIndex, Linker, by_link, cell_spans, plain_text, rewrite_lines, sentence_around
from kb.vault import load_vault
from kb.verdicts import Evidence, Verdict

NOTES = {
    "ResNet.md": """---
aliases: [Residual Network]
---
#concept #ai/vision
# ResNet

Builds on [[AlexNet]], [[AlexNet|the 2012 net]], [[AlexNet#Training details]] and [[Krizhevsky net]].
Dangling: [[Kaiming He]] and [[Nowhere|somewhere]]. Same note: [[#ResNet]].
Hostile: [[AlexNet|<script>alert(1)</script>]].
Quoted: [[AlexNet#^gpus]], and a block of its own: [[#^own]], a block that is not there: [[AlexNet#^none]].
This line is a block. ^own
Shown %%a private remark with [[AlexNet]]%% and shown again.
%%
A hidden paragraph.
%%
Code: `[[AlexNet]]` and `#notatag`.

```
[[AlexNet]] #fenced
```

| Model | Parameters |
|-------|------------|
| [[AlexNet\\|Alex]] | 60M |

![[figure.png|300]]

![[AlexNet#Training details]]
""",
    "AlexNet.md": """---
aliases: [Krizhevsky net]
---
AlexNet won ILSVRC 2012. It links back to [[ResNet]] here.

## Training details

Two GPUs for [[ResNet|six days]]. ^gpus

## Results

Not embedded.
""",
    "people/Kaiming.md": "A person note, not named like the link.\n",
}


@pytest.fixture(scope="module")
def vault(tmp_path_factory):
    root = tmp_path_factory.mktemp("render-vault")
    for path, text in NOTES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    (root / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return load_vault(root, use_cache=False)


def make_linker(vault, tags_page="kb/tags.md") -> Linker:
    notes = {note.path: note for note in vault.notes}
    resolutions = resolve_vault(vault, build_index(vault))

    def read_body(path):
        lines = (vault.root / path).read_text(encoding="utf-8").split("\n")
        start = notes[path].frontmatter_end
        return lines[start:], start + 1

    return Linker(notes=notes, resolutions=by_link(resolutions),
                  tags_page=tags_page, read_body=read_body)


def rewritten(vault, path="ResNet.md", badges=None, page=None) -> str:
    linker = make_linker(vault)
    lines, first = linker.read_body(path)
    return rewrite_lines(lines, first, path, page or path, linker, badges=badges)


def test_wikilinks_become_relative_links_keeping_labels_aliases_and_heading_anchors(vault):
    text = rewritten(vault)
    assert "[AlexNet](AlexNet.md)" in text
    assert "[the 2012 net](AlexNet.md)" in text
    assert "[AlexNet &gt; Training details](AlexNet.md#training-details)" in text
    assert "[Krizhevsky net](AlexNet.md)" in text          # an alias leads to its note
    assert "[ResNet](#resnet)" in text                     # a heading of the same note


def test_block_links_lead_to_the_block_and_its_marker_becomes_its_target(vault):
    text = rewritten(vault)
    assert "[AlexNet &gt; ^gpus](AlexNet.md#%5Egpus)" in text
    assert "[^own](#%5Eown)" in text
    assert "[AlexNet &gt; ^none](AlexNet.md)" in text       # no such block: the page
    assert 'This line is a block. <span class="kb-block" id="^own"></span>' in text
    assert 'for [six days](ResNet.md). <span class="kb-block" id="^gpus"></span>' in rewritten(vault, "AlexNet.md")
    assert "^own" not in text.replace('id="^own"', "").replace("#%5Eown", "").replace("[^own]", "")


def test_comments_are_not_published(vault):
    text = rewritten(vault)
    assert "Shown  and shown again." in text
    assert "private remark" not in text and "hidden paragraph" not in text and "%%" not in text


def test_links_from_a_subfolder_page_climb_out_of_it(vault):
    linker = make_linker(vault)
    lines, first = linker.read_body("ResNet.md")
    text = rewrite_lines(lines, first, "ResNet.md", "people/Kaiming.md", linker, badges=None)
    assert "[AlexNet](../AlexNet.md)" in text


def test_dangling_links_are_visibly_missing_and_not_links(vault):
    text = rewritten(vault)
    spans = re.findall(r'<span class="kb-missing" title="([^"]*)">([^<]*)</span>', text)
    assert [label for _, label in spans] == ["Kaiming He", "somewhere"]
    assert all("Missing note" in title for title, _ in spans)
    assert "](Kaiming" not in text and "Nowhere.md" not in text


def test_a_label_with_markup_is_shown_as_text(vault):
    html = markdown.markdown(rewritten(vault), extensions=["tables", "attr_list", "md_in_html"])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_code_spans_and_fenced_code_are_left_as_written(vault):
    text = rewritten(vault)
    assert "Code: `[[AlexNet]]` and `#notatag`." in text
    assert "\n[[AlexNet]] #fenced\n" in text


def test_inline_tags_link_to_the_tag_index_and_a_tag_line_is_not_a_heading(vault):
    text = rewritten(vault)
    assert "[#concept](kb/tags.md#tag:concept){ .kb-tag }" in text
    assert "[#ai/vision](kb/tags.md#tag:ai-vision){ .kb-tag }" in text
    html = markdown.markdown(text, extensions=["tables", "attr_list", "md_in_html"])
    assert '<h1>concept' not in html and "<h1>#" not in html
    assert re.search(r'<a class="kb-tag" href="kb/tags.md#tag:concept">#concept</a>', html)


def test_a_link_with_an_escaped_pipe_in_a_table_cell_keeps_the_table(vault):
    text = rewritten(vault)
    assert "| [Alex](AlexNet.md) | 60M |" in text
    html = markdown.markdown(text, extensions=["tables"])
    assert re.search(r"<td><a href=\"AlexNet.md\">Alex</a></td>\s*<td>60M</td>", html)


def test_image_embeds_show_the_image_and_note_embeds_transclude_the_section(vault):
    text = rewritten(vault)
    assert '![figure.png](figure.png){ width="300" }' in text
    embed = text[text.index('<div class="kb-embed"'):]
    assert "Two GPUs for [six days](#)" in embed            # its own links, rewritten for this page
    assert "Not embedded." not in embed                     # only the named section
    html = markdown.markdown(text, extensions=["tables", "attr_list", "md_in_html"])
    assert '<p class="kb-embed-title"><a href="AlexNet.md#training-details">AlexNet &gt; Training details</a></p>' \
        in html


def verdict(line: int, column: int | None, kind: str, stated: str, expected: float, source: str) -> Verdict:
    claim = Claim(file="ResNet.md", line=line, column=column, subject=Subject("AlexNet", model="alexnet"),
                  attribute="params", stated=Quantity(60e6, 1e6, stated), text=stated)
    evidence = Evidence("measured", expected, "alexnet", source, "a | b")
    return Verdict(claim, kind, expected, evidence, explanation="off by more than one unit")


def test_badges_land_in_the_claimed_cell_with_their_evidence_in_words(vault):
    note = next(n for n in vault.notes if n.path == "ResNet.md")
    row = next(table for table in note.tables).rows[0]
    badges = BadgeIndex.of([verdict(row[1].line, 1, "contradicted", "60M", 61_100_840,
                                    "measured: AlexNet reference model")])
    text = rewritten(vault, badges=badges)
    html = markdown.markdown(text, extensions=["tables", "attr_list", "md_in_html"])
    cells = re.findall(r"<td>(.*?)</td>", html, flags=re.S)
    assert len(cells) == 2                                   # a `|` in the evidence did not split the row
    assert cells[0] == '<a href="AlexNet.md">Alex</a>'
    badge = re.search(r'<span class="kb-badge kb-badge-contradicted" id="(kb-claim-\d+-1-0)"[^>]*'
                      r'aria-label="([^"]*)"[^>]*>.*?contradicted</span>', cells[1])
    assert badge, cells[1]
    assert 'data-search-exclude="1"' in badge.group(0)          # kb's reading stays out of the search index
    assert cells[1].startswith("60M ")
    label = badge.group(2)
    assert "stated 60M" in label and "reference 61.1M (61,100,840)" in label
    assert "measured: AlexNet reference model" in label


def test_cells_of_a_table_in_a_callout_start_after_the_quote_markers():
    for row in ("> | Depth | 152 |", ">| Depth | 152 |", "> > | Depth | 152 |"):
        assert [row[a:b].strip() for a, b in cell_spans(row)] == ["Depth", "152"]


def test_cell_spans_skip_escaped_pipes_and_pipes_in_code():
    row = r"| a \| b | `x|y` | c |"
    assert [row[s:e].strip() for s, e in cell_spans(row)] == [r"a \| b", "`x|y`", "c"]
    bare = "a | b"
    assert [bare[s:e].strip() for s, e in cell_spans(bare)] == ["a", "b"]


def test_backlink_context_is_the_sentence_around_the_link():
    line = "AlexNet won ILSVRC 2012. It links back to [[ResNet]] here. Then more."
    assert sentence_around(line, "ResNet") == "It links back to ResNet here."
    assert plain_text("| 2012 | [[AlexNet]] | **8** |") == "2012 · AlexNet · 8"


def test_pictures_escape_labels_and_draw_missing_notes_apart():
    hostile = "<script>alert(1)</script>"
    picture = svg.local_graph_svg(svg.LocalGraph(
        svg.GraphNode("A", hostile, center=True),
        incoming=[svg.GraphNode("B", "B", href="../B/")],
        outgoing=[svg.GraphNode("C", hostile, missing=True)]))
    assert "<script>" not in picture
    assert 'class="kb-node kb-node-missing"' in picture and "(missing note)" in picture
    assert '<a href="../B/">' in picture
    timeline = svg.timeline_svg([svg.TimelineEntry("a", hostile, 2012, depth=8, params=61e6),
                                 svg.TimelineEntry("b", "B", 2015, depth=152)], [("a", "b")])
    assert "<script>" not in timeline and "61M params" in timeline and "marker-end" in timeline
    plot = svg.scatter_svg([svg.Point(2012, 8, hostile), svg.Point(2015, 152, "ResNet-152")],
                           title=hostile, x_label="year", y_label="depth", log_y=True)
    assert "<script>" not in plot and "ResNet-152" in plot


def test_compact_html_keeps_the_whitespace_a_reader_sees():
    from kb.site.plugin import compact_html

    page = ("<div>\n    <p>one\n      two</p>\n\n  <pre><code>x\n    y</code></pre>\n"
            "  <p>an <code>inline\n   span</code> and <span>text</span>\n  <span>next</span></p>\n"
            "  <script>var s = `\n   kept`;</script>\n  <textarea>\n  as typed</textarea>\n"
            "\u00a0<b>after a no-break space</b>\n</div>\n")
    compact = compact_html(page)
    assert compact == ("<div>\n<p>one\ntwo</p>\n<pre><code>x\n    y</code></pre>\n"
                       "<p>an <code>inline\n   span</code> and <span>text</span>\n<span>next</span></p>\n"
                       "<script>var s = `\n   kept`;</script>\n<textarea>\n  as typed</textarea>\n"
                       "\u00a0<b>after a no-break space</b>\n</div>\n")


def test_local_graph_draws_edges_under_the_nodes_in_one_path():
    picture = svg.local_graph_svg(svg.LocalGraph(
        svg.GraphNode("A", "A", center=True),
        incoming=[svg.GraphNode("B", "B", href="../B/"), svg.GraphNode("C", "C", href="../C/")],
        outgoing=[svg.GraphNode("D", "D", href="../D/")]))
    assert picture.count("<path") == 1 and picture.count("M300 ") == 3
    assert picture.index("<path") < picture.index("<circle")
    assert '<g text-anchor="end">' in picture and '<g text-anchor="start">' in picture
