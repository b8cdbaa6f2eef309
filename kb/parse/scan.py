"""Block structure of a note body: which lines are code, headings, tables, text.

A line-oriented scanner, not a markdown parser: it answers only the questions
kb asks (where code is, so nothing inside it becomes a link, tag or field;
where headings and tables are) and it answers them the way CommonMark with
GFM tables does. markdown-it-py (`MarkdownIt("commonmark").enable("table")`)
is the oracle the tests hold it to, at about a hundredth of its cost.

What is followed exactly, at the top level of a note:
  fenced code (``` and ~~~, any longer run, info strings, unclosed fences that
  run to the end), indented code (not interrupting a paragraph), ATX headings
  with closing sequences, setext headings (`===` / `---` under a paragraph),
  thematic breaks, GFM tables (the delimiter-row rules, escaped pipes, rows
  padded or cut to the header's width, the blocks that end a table), code
  spans of any backtick length across the lines of a paragraph, backslash
  escaped backticks.

Where the scanner deliberately simplifies CommonMark:
  - List items: headings, fences, tables and indented code inside an item are
    found relative to the item's content column (the oracle tests cover one
    level of nesting); deeper structures (a quote inside a list inside a
    quote...) are approximated by the innermost open list column.
  - Block quotes (and callouts) are scanned as documents of their own, so
    headings, tables, code and nested quotes inside them are found; lazy
    continuation lines of a quote (no `>`) are read as ordinary text after it.
  - Raw HTML blocks are read as text (their lines still end paragraphs and
    tables where CommonMark says they do); link reference definitions are
    read as text.
These corners are left out of the generated documents the oracle tests use,
by name, in the test module.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import repeat

# A thematic break: three or more of one of `-*_`, spaces allowed between.
_THEMATIC_BREAK = re.compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_SETEXT_UNDERLINE = re.compile(r"(?:=+|-+)[ \t]*$")
_LIST_MARKER = re.compile(r"(?:[-+*]|([0-9]{1,9})[.)])(?=[ \t]|$)")
_FENCE_OPEN = re.compile(r"(`{3,}|~{3,})(.*)$")
_DELIMITER_CELL = re.compile(r":?-+:?$")
# HTML blocks of kinds 1-6, the ones that may interrupt a paragraph or a table.
_HTML_BLOCK_START = re.compile(
    r"<(?:(?:script|pre|style|textarea)(?:[\s>]|$)|!--|\?|![A-Za-z]|!\[CDATA\[|/?(?:"
    r"address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|"
    r"details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|"
    r"h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|"
    r"optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|"
    r"tr|track|ul)(?:[ \t]|/?>|$))",
    re.IGNORECASE,
)
_BACKTICK_RUN = re.compile(r"`+")
# The `>` markers before a line of a block quote, as the scanner takes them off, level by level.
QUOTE_MARKS = re.compile(r"(?:[ ]{0,3}>[ \t]?)*")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
# Characters that cannot start a block: a line starting with one (and holding
# no `|`) is paragraph text, whatever came before it.
_PLAIN_START = frozenset(ch for ch in map(chr, range(0x21, 0x7F)) if ch not in "`~>#-*_+=<|0123456789")
# What may follow a leading `**` in a line that is not a list item or a thematic break.
_NOT_BOLD = ("", "*", " ", "\t")
# The whitespace markdown-it trims around table rows and cells.
_MD_TRIM = "".join(map(chr, (0x9, 0xA, 0xB, 0xC, 0xD, 0x20, *range(0x2000, 0x200B), 0x2028, 0x2029)))
# Autocompleted (missing) cells allowed before a table stops, as in markdown-it.
_MAX_AUTOCOMPLETED_CELLS = 0x10000


@dataclass(slots=True)
class RawHeading:
    index: int          # 0-based body line of the heading (first line of a setext paragraph)
    level: int
    text: str


@dataclass(slots=True)
class RawTable:
    index: int                                   # header line
    header: list[str]                            # cell texts, see `row_cells`
    rows: list[tuple[int, list[str]]]            # (line index, cell texts as written)


@dataclass(slots=True)
class Layout:
    """The scanner's view of a body. Line numbers are 0-based body indexes."""

    text: list[tuple[int, str]] = field(default_factory=list)   # lines carrying inline content, code spans blanked
    headings: list[RawHeading] = field(default_factory=list)
    tables: list[RawTable] = field(default_factory=list)
    code_blocks: list[tuple[int, int, str]] = field(default_factory=list)  # (first, end exclusive, "fence"|"indented")
    code_spans: list[tuple[int, str]] = field(default_factory=list)        # (line index of the opening run, content)


def _indent(line: str) -> tuple[int, str]:
    """Indentation in columns (tabs to the next multiple of 4) and the rest of the line."""
    rest = line.lstrip(" \t")
    lead = len(line) - len(rest)
    if "\t" not in line[:lead]:
        return lead, rest
    column = 0
    for ch in line[:lead]:
        column = column + 4 - column % 4 if ch == "\t" else column + 1
    return column, rest


def _list_item(rest: str) -> tuple[int, bool, int] | None:
    """(width up to the content, content is empty, ordered start number or -1) for a list-item line."""
    m = _LIST_MARKER.match(rest)
    if m is None:
        return None
    marker_end = m.end()
    after = rest[marker_end:]
    content = after.lstrip(" \t")
    if not content:
        return marker_end + 1, True, int(m.group(1)) if m.group(1) else -1
    gap = len(after) - len(content)
    if "\t" in after[:gap]:
        gap = max(1, len(after[:gap].expandtabs(4)))
    if gap > 4:             # five or more spaces: the content is indented code, one space belongs to the marker
        gap = 1
    return marker_end + gap, False, int(m.group(1)) if m.group(1) else -1


def _fence_open(rest: str) -> tuple[str, int] | None:
    """(fence character, run length) when `rest` opens a fenced code block."""
    if rest[:3] not in ("```", "~~~"):
        return None
    m = _FENCE_OPEN.match(rest)
    if m is None:
        return None
    run = m.group(1)
    if run[0] == "`" and "`" in m.group(2):
        return None
    return run[0], len(run)


def _fence_closes(rest: str, char: str, length: int) -> bool:
    if not rest.startswith(char * length):
        return False
    return not rest.lstrip(char).strip(" \t")


def _atx_heading(rest: str) -> tuple[int, str] | None:
    level = len(rest) - len(rest.lstrip("#"))
    if level == 0 or level > 6:
        return None
    body = rest[level:]
    if body and body[0] not in " \t":
        return None
    body = body.rstrip(" \t")
    unclosed = body.rstrip("#")
    if len(unclosed) < len(body) and unclosed and unclosed[-1] in " \t":
        body = unclosed
    return level, body.strip()


def split_row(line: str) -> list[tuple[str, int, int]]:
    """Split a table row into cells exactly as markdown-it's escapedSplit does.

    Each cell is (text, start, end): its text trimmed, and its column span in
    the line. A `|` right after a backslash does not separate cells; the
    backslash is dropped from the cell's text.
    """
    stripped = line.lstrip(_MD_TRIM)
    offset = len(line) - len(stripped)
    stripped = stripped.rstrip(_MD_TRIM)
    if "\\|" in stripped:
        pieces = _UNESCAPED_PIPE.split(stripped)
    else:
        pieces = stripped.split("|")
    if not pieces[0]:
        offset += 1
        del pieces[0]
    if pieces and not pieces[-1]:
        pieces.pop()
    cells = []
    for piece in pieces:
        text = piece.replace("\\|", "|") if "\\" in piece else piece
        cells.append((text.strip(_MD_TRIM), offset, offset + len(piece)))
        offset += len(piece) + 1
    return cells


def row_cells(line: str) -> list[str]:
    """The cell texts of a table row: `split_row` without the spans, which few rows need."""
    if "\\|" in line:
        return [text for text, _, _ in split_row(line)]
    if line.isprintable():
        # no tab, control character or space other than ' ': plain `strip()` trims
        # what markdown-it trims, at half the cost of stripping a set of characters
        pieces = line.strip().split("|")
        if not pieces[0]:
            del pieces[0]
        if pieces and not pieces[-1]:
            pieces.pop()
        return list(map(str.strip, pieces))
    pieces = line.strip(_MD_TRIM).split("|")
    if not pieces[0]:
        del pieces[0]
    if pieces and not pieces[-1]:
        pieces.pop()
    return list(map(str.strip, pieces, repeat(_MD_TRIM, len(pieces))))


def _delimiter_columns(rest: str) -> int:
    """Number of columns of a GFM delimiter row (`|---|:-:|`), 0 when `rest` is not one."""
    if len(rest) < 2 or rest[0] not in "|-:":
        return 0
    second = rest[1]
    if second not in "|-: \t" or (rest[0] == "-" and second in " \t"):
        return 0
    if rest.strip("|-: \t"):
        return 0
    columns = rest.split("|")
    count = 0
    last = len(columns) - 1
    for i, column in enumerate(columns):
        column = column.strip(_MD_TRIM)
        if not column:
            if i == 0 or i == last:
                continue
            return 0
        if not _DELIMITER_CELL.match(column):
            return 0
        count += 1
    return count


def _table_header(line: str, nxt: str, base: int) -> list[str] | None:
    """Header cell texts when `line` followed by `nxt` opens a GFM table."""
    n_indent, n_rest = _indent(nxt)
    if not base <= n_indent < base + 4:
        return None
    columns = _delimiter_columns(n_rest)
    if not columns:
        return None
    cells = row_cells(line)
    if len(cells) != columns:
        return None
    return cells


def _ends_table(indent: int, rest: str) -> bool:
    """Whether a line ends the rows of a table (markdown-it's blockquote terminators)."""
    if indent >= 4:
        return True
    ch = rest[0]
    if ch in "`~" and _fence_open(rest):
        return True
    if ch == ">" or (ch == "#" and _atx_heading(rest)):
        return True
    if ch in "-*_" and _THEMATIC_BREAK.match(rest):
        return True
    if (ch in "-+*" or "0" <= ch <= "9") and _LIST_MARKER.match(rest):
        return True
    return ch == "<" and _HTML_BLOCK_START.match(rest) is not None


def code_spans(text: str) -> list[tuple[int, int, int]]:
    """CommonMark code spans in one inline run: (start, end, backtick count), end exclusive.

    An opening run must not start with a backslash-escaped backtick; the
    closing run is the next run of exactly the same length.
    """
    if text.count("`") == 2 and "\\" not in text:
        # the common `code`: two single backticks (or one run of two, which nothing closes)
        a = text.index("`")
        b = text.index("`", a + 1)
        return [] if b == a + 1 else [(a, b + 1, 1)]
    runs = [(m.start(), m.end()) for m in _BACKTICK_RUN.finditer(text)]
    if not runs:
        return []
    by_length: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(runs):
        by_length.setdefault(b - a, []).append(k)
    cursor: dict[int, int] = {}
    spans = []
    pos = 0                 # text before pos is consumed (inside an earlier span)
    k = 0
    while k < len(runs):
        a, b = runs[k]
        if a < pos:
            k += 1
            continue
        backslashes = 0
        while a - backslashes - 1 >= pos and text[a - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2:
            a += 1          # the first backtick is literal; the rest of the run may open
            if a == b:
                k += 1
                continue
        length = b - a
        same = by_length.get(length, [])
        j = cursor.get(length, 0)
        while j < len(same) and runs[same[j]][0] < b:
            j += 1
        cursor[length] = j
        if j < len(same):
            close = same[j]
            spans.append((a, runs[close][1], length))
            pos = runs[close][1]
            k = close + 1
        else:
            k += 1
    return spans


def _span_content(text: str, start: int, end: int, ticks: int) -> str:
    content = text[start + ticks:end - ticks].replace("\n", " ")
    if content.startswith(" ") and content.endswith(" ") and content.strip():
        content = content[1:-1]
    return content


class _Scanner:
    __slots__ = ("lines", "layout", "masked", "para", "para_base", "lists", "origins")

    def __init__(self, lines: list[str], origins: list[int] | None = None):
        self.lines = lines
        self.origins = origins      # per line, the column of the file where it starts (a quote's content)
        self.layout = Layout()
        self.masked: dict[int, str] = {}
        self.para: list[tuple[int, int]] = []     # (line index, column where inline content starts)
        self.para_base = 0
        self.lists: list[int] = []                # content columns of the open list items, innermost last

    # -- inline runs --------------------------------------------------------

    def _inline(self, segments: list[tuple[int, int, int]]) -> None:
        """Record and blank out the code spans of one inline run.

        The run is made of (line, start column, end column) segments, joined
        with newlines as markdown-it joins a paragraph's lines. Linear in the
        run's length, however many spans and lines it has.
        """
        if not segments:
            return
        lines = self.lines
        masked = self.masked
        starts = []
        pieces = []
        offset = 0
        for i, a, b in segments:
            starts.append(offset)
            piece = masked.get(i, lines[i])[a:b]
            pieces.append(piece)
            offset += len(piece) + 1
        joined = "\n".join(pieces)
        layout_spans = self.layout.code_spans
        cuts: dict[int, list[tuple[int, int]]] = {}
        for start, end, ticks in code_spans(joined):
            n = bisect_right(starts, start) - 1
            layout_spans.append((segments[n][0], _span_content(joined, start, end, ticks)))
            while n < len(segments) and starts[n] < end:
                i, a, _b = segments[n]
                lo, hi = max(start, starts[n]), min(end, starts[n] + len(pieces[n]))
                if lo < hi:
                    cuts.setdefault(i, []).append((a + lo - starts[n], a + hi - starts[n]))
                n += 1
        for i, spans in cuts.items():
            line = masked.get(i, lines[i])
            out = []
            previous = 0
            for a, b in spans:
                out.append(line[previous:a])
                out.append(" " * (b - a))
                previous = b
            out.append(line[previous:])
            masked[i] = "".join(out)

    def _flush_para(self) -> None:
        para = self.para
        if para:
            lines = self.lines
            for i, _ in para:
                if "`" in lines[i]:
                    self._inline([(i, a, len(lines[i])) for i, a in para])
                    break
            self.para = []

    # -- blocks --------------------------------------------------------------

    def run(self) -> Layout:
        lines = self.lines
        n = len(lines)
        text = self.layout.text
        plain = _PLAIN_START
        para = self.para
        i = 0
        while i < n:
            line = lines[i]
            if not line:
                if para:
                    self._flush_para()
                    para = self.para
                i += 1
                continue
            first = line[0]
            if (first in plain or first > "\x7f" or (first == "*" and line[1:2] == "*" and line[2:3] not in _NOT_BOLD)) \
                    and "|" not in line:
                # the common case: a line of prose at the left margin (`**bold` starts no block either)
                if not para:
                    self.lists.clear()
                    self.para_base = 0
                para.append((i, 0))
                text.append((i, line))
                i += 1
                continue
            if first in "-+*" and line[1:2] == " " and "|" not in line:
                after = line[2:3]
                if after and after not in " \t`~#" and after != first:
                    # `- item` at the left margin: neither a thematic break nor a setext
                    # underline, and its content is paragraph text (what `_list_item` would do)
                    if para:
                        self._flush_para()
                        para = self.para
                    lists = self.lists
                    lists.clear()
                    lists.append(2)
                    self.para_base = 2
                    para.append((i, 2))
                    text.append((i, line))
                    i += 1
                    continue
            if first == "#" and "|" not in line:
                # an ATX heading at the left margin: what `_block` would find, with fewer checks
                heading = _atx_heading(line)
                if heading is not None:
                    if para:
                        self._flush_para()
                        para = self.para
                    self.lists.clear()
                    self._heading(i, heading[0], heading[1], heading[0])
                    i += 1
                    continue
            indent, rest = _indent(line)
            if not rest:
                self._flush_para()
                para = self.para
                i += 1
                continue
            base = 0
            for col in reversed(self.lists):
                if indent >= col:
                    base = col
                    break
            consumed = self._block(i, indent, indent - base, rest, base)
            para = self.para
            if consumed:
                i = consumed
                continue
            # paragraph text, or a continuation line of the open paragraph
            lead = len(line) - len(rest)
            if not self.para:
                self._close_lists(indent)
                self.para_base = base
                self.para.append((i, lead))
            else:
                # continuation lines keep their indentation beyond the container's (code spans see it)
                self.para.append((i, min(lead, self.para_base)))
            text.append((i, line))
            i += 1
        self._flush_para()
        if self.masked:
            # `text` is in line order, one entry a line: put each masked line in its place
            for i, line in self.masked.items():
                k = bisect_left(text, (i,))
                if k < len(text) and text[k][0] == i:
                    text[k] = (i, line)
        return self.layout

    def _close_lists(self, indent: int) -> None:
        lists = self.lists
        while lists and indent < lists[-1]:
            lists.pop()

    def _block(self, i: int, indent: int, rel: int, rest: str, base: int) -> int:
        """Handle a block starting at line i; return the next line index, or 0 for paragraph text."""
        lines = self.lines
        ch = rest[0]
        in_para = bool(self.para)
        # A table comes first, as in markdown-it, and may interrupt a paragraph.
        if "|" in rest and rel < 4 and i + 1 < len(lines):
            # inside a paragraph the table belongs to the paragraph's container (no lazy tables)
            header = _table_header(lines[i], lines[i + 1], max(base, self.para_base) if in_para else base)
            if header is not None:
                self._flush_para()
                self._close_lists(indent)
                return self._table(i, header, base)
        if rel >= 4:
            if in_para:
                return 0
            self._close_lists(indent)
            return self._indented_code(i, base)
        if ch in "`~":
            fence = _fence_open(rest)
            if fence is not None:
                self._flush_para()
                self._close_lists(indent)
                return self._fenced_code(i, fence, base)
        if ch == ">":
            self._flush_para()
            self._close_lists(indent)
            return self._blockquote(i)
        if in_para and ch in "=-" and indent >= self.para_base and _SETEXT_UNDERLINE.match(rest):
            return self._setext(i, 1 if ch == "=" else 2)
        if ch in "-*_" and _THEMATIC_BREAK.match(rest):
            self._flush_para()
            self._close_lists(indent)
            return i + 1
        if ch in "-+*" or "0" <= ch <= "9":
            item = _list_item(rest)
            if item is not None:
                width, empty, number = item
                # Only a non-empty item (numbered 1 if ordered) interrupts a paragraph of its own container.
                restricted = in_para and indent >= self.para_base
                if not (restricted and (empty or number not in (-1, 1))):
                    self._flush_para()
                    return self._list_item(i, rest, width, indent)
        if ch == "#":
            heading = _atx_heading(rest)
            if heading is not None:
                self._flush_para()
                self._close_lists(indent)
                self._heading(i, heading[0], heading[1], len(lines[i]) - len(rest) + heading[0])
                return i + 1
        if ch == "<" and in_para and _HTML_BLOCK_START.match(rest):
            self._flush_para()
        return 0

    def _heading(self, i: int, level: int, text: str, column: int) -> None:
        line = self.lines[i]
        self.layout.headings.append(RawHeading(i, level, text))
        self.layout.text.append((i, line))
        if "`" in line:
            self._inline([(i, column, len(line))])

    def _setext(self, i: int, level: int) -> int:
        para = self.para
        lines = self.lines
        base = self.para_base
        first, *more = para
        content = "\n".join([lines[first[0]][first[1]:], *(lines[j][min(a, base):] for j, a in more)]).strip()
        self.layout.headings.append(RawHeading(para[0][0], level, content))
        self._flush_para()
        return i + 1

    def _table(self, i: int, header: list[str], base: int) -> int:
        lines = self.lines
        n = len(lines)
        rows: list[tuple[int, list[str]]] = []
        self.layout.tables.append(RawTable(i, header, rows))
        text = self.layout.text
        text.append((i, lines[i]))
        columns = len(header)
        if "`" in lines[i]:
            self._cells(i, columns)
        autocompleted = 0
        j = i + 2
        while j < n:
            line = lines[j]
            if line[:1] != "|" or base:         # rows starting with a pipe end nothing: skip the checks
                indent, rest = _indent(line)
                if not rest.strip(_MD_TRIM) or indent < base or _ends_table(indent - base, rest):
                    break
            cells = row_cells(line)
            autocompleted += columns - len(cells)
            if autocompleted > _MAX_AUTOCOMPLETED_CELLS:
                break
            rows.append((j, cells))
            text.append((j, line))
            if "`" in line:
                self._cells(j, columns)
            j += 1
        return j

    def _cells(self, i: int, columns: int) -> None:
        """Blank the code spans of a row's first `columns` cells (each cell is its own inline run)."""
        for _text, start, end in split_row(self.lines[i])[:columns]:
            self._inline([(i, start, end)])

    def _indented_code(self, i: int, base: int) -> int:
        lines = self.lines
        n = len(lines)
        last = i
        j = i + 1
        while j < n:
            indent, rest = _indent(lines[j])
            if rest:
                if indent - base < 4:
                    break
                last = j
            j += 1
        self.layout.code_blocks.append((i, last + 1, "indented"))
        return last + 1

    def _fenced_code(self, i: int, fence: tuple[str, int], base: int) -> int:
        lines = self.lines
        n = len(lines)
        char, length = fence
        j = i + 1
        while j < n:
            indent, rest = _indent(lines[j])
            if rest:
                if base and indent < base:
                    break           # the list item holding the fence has ended
                if indent - base < 4 and rest[0] == char and _fence_closes(rest, char, length):
                    j += 1
                    break
            j += 1
        self.layout.code_blocks.append((i, j, "fence"))
        return j

    def _blockquote(self, i: int) -> int:
        """A block quote (a callout too): its lines, one `>` and the space after it taken off,
        are scanned as a document of their own, so headings, tables, code and nested quotes
        inside it are found as at the top level, at the same line numbers."""
        lines = self.lines
        n = len(lines)
        inner = []
        margins = []        # per line: (characters of it before the content, spaces put in for tabs)
        origins = []        # per line: the file's column where the content starts
        j = i
        while j < n:
            line = lines[j]
            indent, rest = _indent(line)
            if not rest or indent >= 4 or rest[0] != ">":
                break
            content = rest[1:]
            spaced = content[:1] == " "             # the one space a `>` may take
            if spaced:
                content = content[1:]
            margin = len(line) - len(rest) + 1 + spaced
            column = (self.origins[j] if self.origins else 0) + indent + 1 + spaced
            padding = 0
            space = content[:len(content) - len(content.lstrip(" \t"))]
            if "\t" in space:
                # tabs stop every 4 columns of the file, not of the quote's content; without a
                # space after the `>`, the space it may take comes out of the tab
                end = column
                for ch in space:
                    end = end + 4 - end % 4 if ch == "\t" else end + 1
                taken = not spaced
                padding = end - column - taken
                column += taken
                content = " " * padding + content[len(space):]
                margin += len(space)
            inner.append(content)
            margins.append((margin, padding))
            origins.append(column)
            j += 1
        quoted = _Scanner(inner, origins).run()
        layout = self.layout
        layout.text.extend((i + k, lines[i + k][:margins[k][0]] + line[margins[k][1]:]) for k, line in quoted.text)
        layout.headings.extend(RawHeading(i + h.index, h.level, h.text) for h in quoted.headings)
        layout.tables.extend(RawTable(i + t.index, t.header, [(i + k, cells) for k, cells in t.rows])
                             for t in quoted.tables)
        layout.code_blocks.extend((i + a, i + b, kind) for a, b, kind in quoted.code_blocks)
        layout.code_spans.extend((i + k, content) for k, content in quoted.code_spans)
        return j

    def _list_item(self, i: int, rest: str, width: int, indent: int) -> int:
        lines = self.lines
        content_column = indent + width
        lists = self.lists
        while lists and lists[-1] > indent:
            lists.pop()
        content = rest[width:] if width <= len(rest) else ""
        body = content.lstrip(" \t")
        if body or (i + 1 < len(lines) and lines[i + 1].strip(" \t")):
            lists.append(content_column)        # an empty item followed by a blank line holds nothing more
        if body:
            fence = _fence_open(body) if body[0] in "`~" else None
            if fence is not None:
                return self._fenced_code(i, fence, content_column)
            heading = _atx_heading(body) if body[0] == "#" else None
            if heading is not None:
                self._heading(i, heading[0], heading[1], len(lines[i]) - len(body) + heading[0])
                return i + 1
            self.para_base = content_column
            self.para.append((i, len(lines[i]) - len(body)))
            self.layout.text.append((i, lines[i]))
        return i + 1


def split_lines(text: str) -> list[str]:
    """Lines of a text with `\n` endings; a final newline ends the last line, it does not start another."""
    lines = text.split("\n")
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


def scan(lines: list[str]) -> Layout:
    """Scan body lines (no line terminators) into a Layout."""
    return _Scanner(lines).run()
