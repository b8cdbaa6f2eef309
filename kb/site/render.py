"""Note markdown -> site markdown: wikilinks, embeds, inline tags and fact badges, line by line.

The parser is the authority on what is a link or a tag: a `[[...]]` span is
rewritten only when the parser reported a wikilink on that line (so nothing
inside code blocks is touched), and spans are paired with the parser's links
in order. Line numbers are the note file's own, so the checker's
`file:line:column` lands on the right table cell.

Everything an author wrote that is emitted as HTML here (labels of dangling
links, badge titles) is escaped; labels that stay markdown have their HTML
characters escaped, so `[[X|<script>]]` renders as text.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence
from urllib.parse import quote

from kb.parse.note import Link, ParsedNote
from kb.parse.scan import QUOTE_MARKS
from kb.site.svg import human_count

if TYPE_CHECKING:  # the resolver is another stage; only its Resolution shape is used here
    from kb.resolve import Resolution
    from kb.verdicts import Verdict

WIKILINK = re.compile(r"(!?)\[\[(.+?)\]\](?!\])")
CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
INLINE_TAG = re.compile(r"(?<![\w&/#\\])#([^\s#`,.;:!?()\[\]{}<>\"'|*]+)")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".bmp"}
EMBED_DEPTH = 3

SYMBOLS = {"verified": "✓", "approximate": "≈", "contradicted": "✗", "unverifiable": "?"}
ATTRIBUTE_NAMES = {"params": "parameters", "layers": "layers", "flops": "FLOPs", "top1_error": "top-1 error",
                   "top5_error": "top-5 error", "year": "year", "bleu": "BLEU", "ratio": "ratio"}


# --------------------------------------------------------------------------- escaping

def markdown_text(text: str) -> str:
    """Author text placed into markdown: HTML characters and link brackets neutralised, emphasis kept."""
    return escape(text, quote=False).replace("[", r"\[").replace("]", r"\]")


def html_attribute(text: str) -> str:
    """An attribute value that survives Python-Markdown's inline processors and GFM table splitting.

    Backslash escapes, code spans and emphasis are processed before inline HTML
    is stashed, and `|` splits table cells, so those characters become entities.
    """
    value = escape(text, quote=True)
    for char in "\\`*_|[]":
        value = value.replace(char, f"&#{ord(char)};")
    return value


def plain_text(markdown_line: str) -> str:
    """A source line as a reader sees it: wikilinks by their labels, table pipes and emphasis gone."""
    def label(match: re.Match) -> str:
        inner = match.group(2).replace(r"\|", "|")
        target, _, text = inner.partition("|")
        return text or target.split("#")[0] or target.lstrip("#")

    text = WIKILINK.sub(label, markdown_line)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    cells = [cell.strip() for cell in text.strip().strip("|").split("|")] if text.lstrip().startswith("|") else [text]
    text = " · ".join(cell for cell in cells if cell)
    text = re.sub(r"[*_`]{1,3}", "", text)
    text = re.sub(r"^\s*(?:[-+*]|\d+[.)]|#{1,6})\s+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def sentence_around(context: str, needle: str) -> str:
    """The sentence of `context` (plain text) that mentions `needle`, or the whole of it."""
    text = plain_text(context)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\[*])", text)
    for sentence in sentences:
        if needle and needle.lower() in sentence.lower():
            return sentence
    return text


# --------------------------------------------------------------------------- links

def relative_href(from_path: str, to_path: str, anchor: str | None = None) -> str:
    """A relative link from one docs file to another, percent-encoded; MkDocs turns `.md` into URLs."""
    base = posixpath.dirname(from_path)
    href = posixpath.relpath(to_path, base or ".") if to_path != from_path else ""
    href = quote(href, safe="/")
    if anchor:
        href += "#" + quote(anchor, safe=":")
    return href or "#"


def heading_anchor(note: ParsedNote | None, heading: str | None) -> str | None:
    """The id MkDocs gives the heading a link names (`H1#H2` names the last), if the note has it."""
    if not note or not heading:
        return None
    wanted = _comparable(heading.split("#")[-1])
    for candidate in note.headings:
        if _comparable(candidate.text) == wanted:
            return candidate.anchor
    return None


def _comparable(text: str) -> str:
    return re.sub(r"[*_`]", "", text).strip().casefold()


def default_label(link: Link) -> str:
    """What Obsidian shows for a link without `|label`: the target, `Target > Heading`, or the heading."""
    if link.label:
        return link.label
    part = link.heading or (f"^{link.block}" if link.block else None)
    if not link.target:
        return part or ""
    return f"{link.target} > {part}" if part else link.target


def by_link(resolutions: Iterable["Resolution"]) -> dict[tuple[str, int], "Resolution"]:
    """Resolutions by (source note path, id of the Link object the parser made): the Linker's index."""
    return {(resolution.source, id(resolution.link)): resolution for resolution in resolutions}


@dataclass
class Linker:
    """Everything needed to turn one page's links into site links.

    `resolutions` maps (source note path, id of the parsed Link) to its Resolution (`by_link`): links are
    read-only records compared by value, not hashable, and the resolver keeps the parser's objects;
    `read_body` returns the lines of a note below its frontmatter and the file
    line of the first of them (for transclusion). Ambiguous links and missing
    headings are followed as the resolver decided; its diagnostics report them.
    """

    notes: Mapping[str, ParsedNote]
    resolutions: Mapping[tuple[str, int], "Resolution"]
    tags_page: str | None
    read_body: Callable[[str], tuple[list[str], int]]
    tag_slug: Callable[[str], str] = lambda name: re.sub(r"[^\w-]+", "-", name.lower()).strip("-")

    def link_markdown(self, page: str, source: str, link: Link) -> str:
        """`[[T#H|label]]` written in `source`, shown on `page` (they differ inside transclusions)."""
        resolution = self.resolutions.get((source, id(link)))
        label = default_label(link)
        if resolution is None or resolution.target is None:
            why = resolution.reason if resolution is not None else "the link could not be resolved"
            return (f'<span class="kb-missing" title="{html_attribute(f"Missing note: {link.target} — {why}")}">'
                    f"{html_attribute(label)}</span>")
        target = resolution.target
        if resolution.status == "file" or not target.endswith(".md"):
            return f"[{markdown_text(label)}]({relative_href(page, target)})"
        anchor = heading_anchor(self.notes.get(target), link.heading)
        if anchor is None and link.block and link.block in getattr(self.notes.get(target), "blocks", ()):
            anchor = block_anchor(link.block)
        if target == page and anchor:
            return f"[{markdown_text(label)}](#{quote(anchor, safe='')})"
        return f"[{markdown_text(label)}]({relative_href(page, target, anchor)})"

    def embed_markdown(self, page: str, source: str, link: Link, whole_line: bool,
                       depth: int, badges: "BadgeIndex | None") -> str:
        resolution = self.resolutions.get((source, id(link)))
        target = resolution.target if resolution is not None else None
        if target and posixpath.splitext(target)[1].lower() in IMAGE_SUFFIXES:
            alt = markdown_text(link.label if link.label and not link.size else posixpath.basename(target))
            image = f"![{alt}]({relative_href(page, target)})"
            if link.size:
                width, _, height = link.size.partition("x")
                sizes = f'width="{width}"' + (f' height="{height}"' if height else "")
                image += "{ " + sizes + " }"
            return image
        if not (target and target.endswith(".md") and whole_line and depth < EMBED_DEPTH):
            return self.link_markdown(page, source, link)
        lines, first = self.read_body(target)
        section = _section(lines, first, self.notes.get(target), link.heading)
        if section is None:
            return self.link_markdown(page, source, link)
        body_lines, body_first = section
        inner = rewrite_lines(body_lines, body_first, target, page, self, badges=None, depth=depth + 1)
        title = self.link_markdown(page, source, link)
        return ('<div class="kb-embed" markdown="1">\n\n'
                f'{title}\n{{: .kb-embed-title }}\n\n{inner}\n\n</div>')


def _section(lines: list[str], first: int, note: ParsedNote | None,
             heading: str | None) -> tuple[list[str], int] | None:
    """The lines under `heading` (up to the next heading of the same or a higher level), or all of them."""
    if not heading:
        return lines, first
    if note is None:
        return None
    wanted = _comparable(heading.split("#")[-1])
    headings = sorted(note.headings, key=lambda h: h.line)
    for index, candidate in enumerate(headings):
        if _comparable(candidate.text) != wanted:
            continue
        end = next((h.line for h in headings[index + 1:] if h.level <= candidate.level), first + len(lines))
        start = candidate.line + 1
        return lines[start - first:end - first], start
    return None


# --------------------------------------------------------------------------- badges

def format_value(attribute: str, value: float | None) -> str:
    if value is None:
        return "no reference value"
    if attribute in ("top1_error", "top5_error", "bleu"):
        return f"{value:g}" + ("%" if attribute != "bleu" else " BLEU")
    if attribute in ("params", "flops"):
        return f"{human_count(value)} ({value:,.0f})"
    if attribute == "ratio":
        return f"{value:.3g}×"
    return f"{value:g}"


def badge_id(line: int, column: int | None, index: int) -> str:
    return f"kb-claim-{line}-{'x' if column is None else column}-{index}"


def describe_verdict(verdict: "Verdict") -> str:
    """One paragraph in words: the verdict, what was stated, the reference value and where it comes from."""
    claim = verdict.claim
    words = [f"{verdict.verdict.capitalize()}: {claim.subject.text} {ATTRIBUTE_NAMES[claim.attribute]} "
             f"stated {claim.stated.text}"]
    if verdict.expected is not None:
        words.append(f"reference {format_value(claim.attribute, verdict.expected)}")
    if verdict.evidence is not None:
        source = verdict.evidence.source + (f" ({verdict.evidence.detail})" if verdict.evidence.detail else "")
        words.append(f"evidence: {source}")
    text = "; ".join(words) + "."
    if verdict.explanation:
        text += " " + verdict.explanation.rstrip(".") + "."
    if verdict.alternatives:
        others = "; ".join(f"{format_value(claim.attribute, e.value)} ({e.source}"
                           + (f", {e.detail}" if e.detail else "") + ")" for e in verdict.alternatives[:4])
        text += f" Also: {others}."
    return text


def badge_html(verdict: "Verdict", element_id: str) -> str:
    """The verdict as a word (its symbol, `SYMBOLS`, is drawn by kb.css) with the evidence in words.

    The badge stays out of the search index (`data-search-exclude`): it is kb's reading of the note,
    not the note's text. It holds no other element, for the theme's indexer ends an excluded element
    at the first closing tag of the same name."""
    kind = verdict.verdict
    description = html_attribute(describe_verdict(verdict))
    return (f'<span class="kb-badge kb-badge-{kind}" id="{element_id}" tabindex="0" '
            f'title="{description}" aria-label="{description}" data-search-exclude="1">{kind}</span>')


@dataclass
class BadgeIndex:
    """The verdicts of one note, by the line and table column of the claim."""

    by_cell: dict[tuple[int, int | None], list["Verdict"]] = field(default_factory=dict)

    @classmethod
    def of(cls, verdicts: Sequence["Verdict"]) -> "BadgeIndex":
        index = cls()
        for verdict in verdicts:
            index.by_cell.setdefault((verdict.claim.line, verdict.claim.column), []).append(verdict)
        return index

    def on_line(self, line: int) -> dict[int | None, list["Verdict"]]:
        return {column: verdicts for (at, column), verdicts in self.by_cell.items() if at == line}


def cell_spans(row: str) -> list[tuple[int, int]]:
    """(start, end) of each cell's content in a GFM table row; `\\|` and pipes in code spans do not split.
    A row of a table in a block quote or callout has its cells after the `>` markers."""
    margin = QUOTE_MARKS.match(row).end()
    if margin:
        return [(start + margin, end + margin) for start, end in cell_spans(row[margin:])]
    code = [m.span() for m in CODE_SPAN.finditer(row)]
    pipes = [i for i, char in enumerate(row) if char == "|" and (i == 0 or row[i - 1] != "\\")
             and not any(start <= i < end for start, end in code)]
    stripped_start = len(row) - len(row.lstrip())
    bounds = [-1] + pipes + [len(row)]
    spans = []
    for left, right in zip(bounds, bounds[1:]):
        start, end = left + 1, right
        if not row[start:end].strip() and (left == -1 and start <= stripped_start or right == len(row)):
            continue   # the empty outside of a leading or trailing pipe
        spans.append((start, end))
    return spans


def _with_badges(row: str, line: int, cells: dict[int | None, list["Verdict"]]) -> str:
    spans = cell_spans(row) if row.lstrip().startswith("|") or "|" in row else []
    inserts: list[tuple[int, str]] = []
    for column, verdicts in cells.items():
        marks = " ".join(badge_html(v, badge_id(line, column, i)) for i, v in enumerate(verdicts))
        if column is not None and column < len(spans):
            start, end = spans[column]
            content_end = start + len(row[start:end].rstrip())
            inserts.append((content_end, " " + marks))
        else:
            inserts.append((len(row.rstrip()), " " + marks))
    for position, text in sorted(inserts, reverse=True):
        row = row[:position] + text + row[position:]
    return row


# --------------------------------------------------------------------------- the rewrite

def _outside_code(spans: list[tuple[int, int]], position: int) -> bool:
    return not any(start <= position < end for start, end in spans)


def rewrite_lines(lines: Sequence[str], first_line: int, source: str, page: str, linker: Linker,
                  *, badges: BadgeIndex | None, depth: int = 0) -> str:
    """Rewrite the lines of note `source` (file line `first_line` onwards) for display on `page`."""
    note = linker.notes.get(source)
    links_by_line: dict[int, list[Link]] = {}
    tags_by_line: dict[int, set[str]] = {}
    if note is not None:
        for link in note.links:
            if link.syntax == "wikilink":
                links_by_line.setdefault(link.line, []).append(link)
        for tag in note.tags:
            tags_by_line.setdefault(tag.line, set()).add(tag.name.casefold())
    blocks = dict(zip(note.block_lines, note.blocks)) if note is not None and note.blocks else {}
    hidden = _comment_spans(note.comments) if note is not None and note.comments else {}
    out: list[str] = []
    for offset, text in enumerate(lines):
        number = first_line + offset
        if number in hidden:
            text = _without(text, hidden[number])
        cells = badges.on_line(number) if badges else {}
        if cells:
            text = _with_badges(text, number, cells)
        parsed_links = links_by_line.get(number)
        line_tags = tags_by_line.get(number)
        if parsed_links or line_tags:
            text = _rewrite_line(text, number, source, page, linker, parsed_links or [], line_tags or set(),
                                 depth, badges)
        if number in blocks:
            text = _block_target(text, blocks[number])
        out.append(text)
    return "\n".join(out)


def _comment_spans(comments) -> dict[int, list[tuple[int, int]]]:
    """file line -> the (start, end) column ranges `%% comments %%` take on it (end -1: to the
    end of the line); a published page hides them, as Obsidian's reading view does."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for first, column, last, end in comments:
        for line in range(first, last + 1):
            spans.setdefault(line, []).append((column if line == first else 0, end if line == last else -1))
    return spans


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """The line with the column ranges taken out; blank when nothing else is left."""
    kept = []
    previous = 0
    for start, end in sorted(spans):
        kept.append(text[previous:start])
        previous = len(text) if end < 0 else max(previous, end)
    kept.append(text[previous:])
    result = "".join(kept)
    return result if result.strip() else ""


def _block_target(text: str, block: str) -> str:
    """The line's closing `^id` (hidden, as Obsidian hides it) made the target of `[[Note#^id]]`."""
    marker = text.rfind("^" + block)
    if marker < 0:
        return text
    return f'{text[:marker].rstrip()} <span class="kb-block" id="{html_attribute(block_anchor(block))}"></span>'


def block_anchor(block: str) -> str:
    """The id of the element a `[[Note#^block]]` link leads to (Obsidian Publish writes `#^block` too)."""
    return "^" + block


def _rewrite_line(text: str, number: int, source: str, page: str, linker: Linker, links: list[Link],
                  tags: set[str], depth: int, badges: BadgeIndex | None) -> str:
    code = [m.span() for m in CODE_SPAN.finditer(text)]
    pieces: list[str] = []
    cursor = 0
    pending = list(links)
    link_spans: list[tuple[int, int]] = []
    for match in WIKILINK.finditer(text):
        if not pending or not _outside_code(code, match.start()):
            continue
        embed = bool(match.group(1))
        link = _pair(pending, match.group(2), embed)
        if link is None:
            continue
        whole_line = embed and not text[:match.start()].strip() and not text[match.end():].strip()
        rendered = (linker.embed_markdown(page, source, link, whole_line, depth, badges) if embed
                    else linker.link_markdown(page, source, link))
        pieces.append(_rewrite_tags(text[cursor:match.start()], page, linker, tags, code, cursor))
        pieces.append(rendered)
        link_spans.append(match.span())
        cursor = match.end()
    pieces.append(_rewrite_tags(text[cursor:], page, linker, tags, code, cursor))
    return "".join(pieces)


def _pair(pending: list[Link], inner: str, embed: bool) -> Link | None:
    """The parser's link for this span: the next one with the same target and kind, else the next one."""
    target = inner.replace(r"\|", "|").split("|")[0].split("#")[0].strip()
    if target.lower().endswith(".md"):
        target = target[:-3]
    for index, link in enumerate(pending):
        if link.embed == embed and link.target.casefold() == target.casefold():
            return pending.pop(index)
    return pending.pop(0) if pending and pending[0].embed == embed else None


def _rewrite_tags(segment: str, page: str, linker: Linker, tags: set[str],
                  code: list[tuple[int, int]], offset: int) -> str:
    if not tags:
        return segment

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name.casefold() not in tags or not _outside_code(code, offset + match.start()):
            return match.group(0)
        label = markdown_text("#" + name)
        if linker.tags_page is None:
            return f'<span class="kb-tag">{html_attribute("#" + name)}</span>'
        href = relative_href(page, linker.tags_page, "tag:" + linker.tag_slug(name.casefold()))
        return f"[{label}]({href}){{ .kb-tag }}"

    return INLINE_TAG.sub(replace, segment)
