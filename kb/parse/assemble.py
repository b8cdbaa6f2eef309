"""Assemble a `ParsedNote` from the stages of `kb.parse`: read the bytes, the
frontmatter, the block scan, then links, tags, fields and block ids per line of
text, headings with their anchors, and tables with the links in their cells."""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import replace
from operator import attrgetter
from sys import intern

from kb.diagnostics import Diagnostic
from kb.parse.anchors import anchors
from kb.parse.fields import find_fields
from kb.parse.frontmatter import read_frontmatter
from kb.parse.links import locate_links
from kb.parse.note import Field, Heading, Link, ParsedNote, Table, Tag, link_positions, pack_cells
from kb.parse.scan import _MD_TRIM, QUOTE_MARKS, Layout, scan, split_lines, split_row
from kb.parse.tags import find_tags

# An Obsidian block id: `^id` at the end of a line, after whitespace.
_BLOCK_ID = re.compile(r"(?<!\S)\^([A-Za-z0-9][A-Za-z0-9-]*)\s*$")

_LINE = attrgetter("line")


def read_note(data: bytes, path: str, *, content_hash: str | None = None) -> ParsedNote:
    """Parse a note from its bytes: UTF-8 with or without BOM, any line endings.

    Bytes that are not UTF-8 are replaced (U+FFFD) so the rest of the note is
    still read, and an "encoding" diagnostic names the first bad byte.
    `content_hash` is the sha256 of `data` when the caller has it already.
    """
    digest = content_hash or hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
        problem = None
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        before = data[:exc.start].decode("utf-8", errors="replace")
        line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
        problem = Diagnostic(
            path, line, f"expected UTF-8 text, found the byte 0x{data[exc.start]:02x} at byte offset {exc.start} "
            "(line read with the bad bytes replaced); re-save the file as UTF-8", "encoding")
    note = parse_note(text, path, content_hash=digest)
    if problem is None:
        return note
    return _with_diagnostics(note, [problem])


def parse_note(text: str, path: str, *, content_hash: str | None = None) -> ParsedNote:
    """Parse a note's text; `path` is vault-relative, POSIX style, with `.md`.

    Any line endings; a leading BOM is ignored. `content_hash` defaults to the
    sha256 of the text as UTF-8 (`read_note` passes the hash of the bytes).
    """
    if content_hash is None:
        content_hash = hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = split_lines(text)
    front = read_frontmatter(lines, path)
    offset = front.end                       # body line index i is file line i + offset + 1
    body = lines[offset:] if offset else lines
    layout = scan(body)
    base = offset + 1
    visible: dict[int, str] = {}
    comments = tuple((a + base, b, c + base, d) for a, b, c, d in
                     _hide_comments(layout, body, visible)) if "%%" in text else ()

    # the scanner hands out lines in order, so only the frontmatter's links may need sorting
    links: list[Link] = sorted(front.links, key=_LINE) if front.links else []
    tags: list[Tag] = list(front.tags)
    fields: list[Field] = []
    diagnostics: list[Diagnostic] = list(front.diagnostics)
    raw_headings = layout.headings
    heading_lines = {h.index for h in raw_headings} if raw_headings else ()
    row_links: dict[int, list[tuple[int, int, Link]]] = {}
    blocks: list[str] = []
    block_lines: list[int] = []
    for index, masked in layout.text:
        has_bracket = "[" in masked
        has_hash = "#" in masked
        has_colons = "::" in masked
        if "^" in masked:
            block = _BLOCK_ID.match(masked, masked.rfind("^"))     # an id holds no `^`: only the last can end the line
            if block is not None:
                blocks.append(block.group(1))
                block_lines.append(index + base)
        if not (has_bracket or has_hash or has_colons):
            continue
        number = index + base
        keyed = None
        source = visible.get(index, lines[index + offset]) if visible else lines[index + offset]
        if has_colons and index not in heading_lines:
            found, keyed = find_fields(masked, number, source)
            fields.extend(found)
        if has_bracket:
            located = locate_links(masked, number, source.strip(), keyed)
            if located:
                links.extend([link for _, _, link in located])
                row_links[index] = located      # read back only for table rows
        if has_hash:
            tags.extend(find_tags(masked, number))

    headings = tuple(
        Heading(h.level, intern(h.text), intern(anchor), h.index + base)
        for h, anchor in zip(raw_headings, anchors([h.text for h in raw_headings]))
    ) if raw_headings else ()
    links_found = tuple(links)
    tables = _tables(path, layout, base, lines, row_links, diagnostics, links_found) if layout.tables else ()

    return ParsedNote(
        path=path,
        title=posixpath.splitext(posixpath.basename(path))[0],
        frontmatter=front.data,
        frontmatter_end=front.end,
        aliases=front.aliases,
        tags=tuple(tags),
        links=links_found,
        headings=headings,
        tables=tables,
        fields=tuple(fields),
        diagnostics=tuple(diagnostics),
        content_hash=content_hash,
        blocks=tuple(blocks),
        block_lines=tuple(block_lines),
        comments=comments,
        frontmatter_lines=front.lines,
    )


def _hide_comments(layout: Layout, body: list[str], visible: dict[int, str]) -> list[tuple[int, int, int, int]]:
    """Blank Obsidian comments (`%%hidden%%`, within a line or across lines, to the end of
    the note when never closed) in the text lines, as code spans are blanked: nothing in a
    comment is a link, tag, inline field or block id, as in Obsidian. Headings and tables
    on lines a comment covers whole are dropped. Returns each comment's (first line,
    column, last line, end column), markers included, in body line indexes; the last
    line and -1 for one never closed. `visible` gets each line holding a `%%` as a reader
    sees it, comments left out (the context of its links)."""
    inside = False
    covered = set()
    regions = []
    opened = (0, 0)
    text = layout.text
    for k, (index, line) in enumerate(text):
        if "%%" not in line:
            if inside:
                covered.add(index)
                text[k] = (index, " " * len(line))
            continue
        hidden = []             # (start, end) columns of this line inside comments
        start = 0               # column of the comment open on this line (0: open from the line before)
        column = line.find("%%")
        while column >= 0:
            if inside:
                regions.append((*opened, index, column + 2))
                hidden.append((start, column + 2))
            else:
                opened, start = (index, column), column
            inside = not inside
            column = line.find("%%", column + 2)
        if inside:
            hidden.append((start, len(line)))
        original = body[index]
        masked, shown, previous = [], [], 0
        for a, b in hidden:
            masked += [line[previous:a], " " * (b - a)]
            shown.append(original[previous:a])
            previous = b
        text[k] = (index, "".join(masked) + line[previous:])
        visible[index] = "".join(shown) + original[previous:]
    if inside:
        regions.append((*opened, len(body) - 1, -1))
    if covered:
        layout.headings = [h for h in layout.headings if h.index not in covered]
        layout.tables = [t for t in layout.tables if t.index not in covered]
    return regions


def _tables(path: str, layout: Layout, base: int, lines: list[str],
            row_links: dict[int, list[tuple[int, int, Link]]], diagnostics: list[Diagnostic],
            links: tuple[Link, ...]) -> tuple[Table, ...]:
    """The layout's tables, packed (see `kb.parse.note.pack_cells`), each under the heading above it."""
    tables = []
    section = None
    raw_headings = layout.headings
    above = 0                               # raw_headings[:above] stand above the current table
    where = None                            # id(link) -> its position in `links`
    for raw in layout.tables:
        while above < len(raw_headings) and raw_headings[above].index < raw.index:
            section = intern(raw_headings[above].text)     # the heading's own text, see parse_note
            above += 1
        width = len(raw.header)
        rows = []
        linked = []
        for r, (index, texts) in enumerate(((raw.index, raw.header), *raw.rows)):
            if len(texts) >= width and index not in row_links:     # the common row, as the scanner cut it
                rows.append((index + base, texts if len(texts) == width else texts[:width]))
                continue
            texts, inside = _row(path, index, base, lines, texts, width, row_links, diagnostics)
            rows.append((index + base, texts))
            if inside:
                if where is None:
                    where = {id(link): k for k, link in enumerate(links)}
                linked += [(r, column, link_positions(found, where)) for column, found in inside.items()]
        tables.append(Table.packed(raw.index + base, section, pack_cells(rows, linked), links))
    return tuple(tables)


def _row(path: str, index: int, base: int, lines: list[str], texts: list[str], width: int,
         row_links: dict[int, list[tuple[int, int, Link]]], diagnostics: list[Diagnostic]
         ) -> tuple[list[str], dict[int, list[Link]]]:
    """A table row's `width` cell texts (missing cells empty, extra ones dropped, as markdown
    renders it), and the links inside each column that holds some.

    A link that spans two cells had its `|` taken as a cell separator:
    markdown renders it broken, so say so.
    """
    located = row_links.get(index)
    if located is None:
        found = texts[:width]
        inside: dict[int, list[Link]] = {}
    else:
        number = index + base
        source = lines[index + base - 1]
        marks = QUOTE_MARKS.match(source)          # it matches the empty string: never None
        quoted = marks.end() if marks is not None else 0
        if quoted:          # a row of a table in a block quote: columns count from the quote's margin
            source = source[quoted:]
            located = [(start - quoted, end - quoted, link) for start, end, link in located]
        if "\\|" in source:
            found, inside = _linked_cells(path, number, source, width, located, diagnostics)
        else:
            found = texts[:width]
            inside = _bordered_links(path, number, source, len(found), located, diagnostics)
    if len(found) < width:
        found = found + [""] * (width - len(found))
    return found, inside


def _bordered_links(path: str, number: int, source: str, width: int,
                    located: list[tuple[int, int, Link]], diagnostics: list[Diagnostic]) -> dict[int, list[Link]]:
    """The links of a row without escaped pipes, by column (of the first `width`): every
    `|` is a border, so a link holding one is split, and the borders before a link give
    its column."""
    lead = 1 if source.lstrip(_MD_TRIM)[:1] == "|" else 0
    inside: dict[int, list[Link]] = {}
    for start, end, link in located:
        if source.find("|", start, end) >= 0:
            _split_link(path, number, source, (start, end, link), diagnostics)
        else:
            column = source.count("|", 0, start) - lead
            if 0 <= column < width:
                inside.setdefault(column, []).append(link)
    return inside


def _linked_cells(path: str, number: int, source: str, width: int, located: list[tuple[int, int, Link]],
                  diagnostics: list[Diagnostic]) -> tuple[list[str], dict[int, list[Link]]]:
    """The cell texts (the first `width`) of a row with escaped pipes, and the links inside
    each column that holds some."""
    # links and cells both run left to right: one merge pass places every link
    texts = []
    inside: dict[int, list[Link]] = {}
    k = 0
    for column, (text, start, end) in enumerate(split_row(source)):
        while k < len(located) and located[k][0] < start:
            _split_link(path, number, source, located[k], diagnostics)
            k += 1
        found = []
        while k < len(located) and located[k][1] <= end:
            found.append(located[k][2])
            k += 1
        if column < width:
            texts.append(text)
            if found:
                inside[column] = found
    for rest in located[k:]:
        _split_link(path, number, source, rest, diagnostics)
    return texts, inside


def _split_link(path: str, number: int, source: str, located: tuple[int, int, Link],
                diagnostics: list[Diagnostic]) -> None:
    written = source[located[0]:located[1]]
    diagnostics.append(Diagnostic(
        path, number, f"table row: the `|` inside {written} is read as a cell border, so the link "
        f"is split across cells; inside tables write {written.replace('|', chr(92) + '|')}", "table"))


def _with_diagnostics(note: ParsedNote, extra: list[Diagnostic]) -> ParsedNote:
    return replace(note, diagnostics=tuple(sorted(extra + list(note.diagnostics), key=lambda d: d.line)))
