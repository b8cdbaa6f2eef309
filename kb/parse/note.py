"""What the parser sees in one note: the typed interface between parse and vault.

Every item carries the 1-based line of the file it stands on (frontmatter
lines included), so every later stage can report `file:line`.

The items a note holds in the thousands (links, cells, tags...) are slotted
dataclasses that later stages treat as read-only. They are not declared
frozen: a frozen dataclass takes three times as long to build (its `__init__`
goes through `object.__setattr__` per field), and a 10,000-note vault builds
about a million of them, parsed or loaded from the cache.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass, field, fields
from itertools import repeat
from operator import attrgetter
from typing import Any, Iterable, Literal, Sequence

from kb.diagnostics import Diagnostic

LinkSyntax = Literal["wikilink", "markdown", "frontmatter"]


@dataclass(slots=True)
class Link:
    """A reference from a note to a note or file, as written (not yet resolved).

    `target` is the path part, trimmed, without a `.md` suffix and with
    markdown-link percent-escapes decoded: "AlexNet", "AI/ML/README",
    "image.png", or "" for a link into the same note (`[[#Heading]]`).
    """

    target: str
    line: int
    label: str | None = None        # text after `|`, formatting kept
    heading: str | None = None      # "Heading" or "H1#H2" for nested headings
    block: str | None = None        # block id without `^`
    embed: bool = False             # `![[...]]`
    syntax: LinkSyntax = "wikilink"
    size: str | None = None         # embed size such as "300" or "300x200"
    key: str | None = None          # frontmatter key or inline-field key the link stands in
    context: str = ""               # the source line, stripped: shown with backlinks, read by lineage


@dataclass(slots=True)
class Tag:
    name: str                       # lower-cased, without '#': "area/ml"
    line: int


@dataclass(slots=True)
class Heading:
    level: int
    text: str                       # inline markdown as written, trimmed
    anchor: str                     # the id MkDocs (toc slugify) gives it
    line: int


@dataclass(slots=True)
class Cell:
    text: str                       # raw cell markdown, trimmed, `\|` unescaped to `|`
    line: int                       # its row's line
    column: int                     # 0-based: its place in its row
    links: tuple[Link, ...] = ()


# A packed table keeps its cells as one marshal string of (rows, linked) until they are
# first read: rows are (line, [text, ...]) from the header down, a cell's line being its
# row's and its column its place in the row; linked are (row, column, links) for the few
# cells holding links, each link its position in the note's links (or, for a link that
# is not one of them, its fields). Cells are more than half of a vault's records and
# most stages read few tables; the parser packs them as it finds them, and the parse
# cache stores them as packed.
if tuple(f.name for f in fields(Cell)) != ("text", "line", "column", "links"):
    raise ImportError("kb.parse.note packs a Cell as its text, its row's line and its place in the "
                      "row; a field added to Cell must be packed too")
_LINK_FIELDS = attrgetter(*(f.name for f in fields(Link)))


def pack_cells(rows: list[tuple[int, list[str]]], linked: list[tuple[int, int, tuple]]) -> bytes:
    """Packed cells (see above) from rows of (line, texts) and (row, column, link positions)."""
    return marshal.dumps((rows, linked))


def unpack_cells(cells: bytes, links: tuple[Link, ...]) -> tuple[tuple[Cell, ...], tuple[tuple[Cell, ...], ...]]:
    """The header and rows of packed cells whose links point into `links`."""
    packed_rows, linked = marshal.loads(cells)
    rows = [tuple(map(Cell, texts, repeat(line), range(len(texts)))) for line, texts in packed_rows]
    for r, c, cell_links in linked:
        rows[r][c].links = _links_at(cell_links, links)
    return rows[0], tuple(rows[1:])


def link_positions(cell_links: Iterable[Link], where: dict[int, int]) -> tuple:
    """A cell's links as packed: each its position in the note's links (`where`: id of a
    link -> its position), or its own fields for a link that is not one of them."""
    return tuple(where[id(link)] if id(link) in where else _LINK_FIELDS(link) for link in cell_links)


def first_targets(cells: bytes, targets: Sequence[str]) -> tuple[list[tuple[int, list[str]]], dict[tuple[int, int], str]]:
    """Packed cells read without a Cell or Link made: their rows as (line, texts) from the
    header down, and the target of the first link of each (row, column) holding links.
    `targets` are those of the note's links, in order, which the cells' links point into."""
    text_rows, linked = marshal.loads(cells)
    return text_rows, {(r, c): targets[k] if isinstance(k := cell_links[0], int) else Link(*k).target
                       for r, c, cell_links in linked}


def _links_at(positions: tuple, links: tuple[Link, ...]) -> tuple[Link, ...]:
    """A packed cell's links: positions in the note's `links`, or a link's own fields."""
    return tuple(links[k] if isinstance(k, int) else Link(*k) for k in positions)


def _text_rows(rows: tuple[tuple[Cell, ...], ...]) -> list[tuple[int, list[str]]]:
    """Rows of cells as packed: (line, texts) each."""
    return [(row[0].line if row else 0, [cell.text for cell in row]) for row in rows]


class Table:
    """A GFM table: its header row and body rows, every cell with its line and links.

    `line` is the line of the header row; `section` the text of the nearest
    heading above, if any. A packed table (as the parser and the parse cache
    make them) unpacks its cells when `header` or `rows` is first read.
    """

    __slots__ = ("line", "section", "_header", "_rows", "_cells", "_links")

    def __init__(self, line: int, header: tuple[Cell, ...], rows: tuple[tuple[Cell, ...], ...],
                 section: str | None = None) -> None:
        self.line = line
        self.section = section
        self._header = header
        self._rows = rows
        self._cells: bytes | None = None        # packed, until unpacked
        self._links: tuple[Link, ...] = ()      # the note's links, which packed cells point into

    @classmethod
    def packed(cls, line: int, section: str | None, cells: bytes, links: tuple[Link, ...]) -> Table:
        """A table of packed `cells` (see `pack_cells`) whose links point into `links`, the
        links of the note it stands in."""
        table = cls(line, (), (), section)
        table._cells = cells
        table._links = links
        return table

    def _unpack(self, cells: bytes) -> None:
        # cells first, the packed form dropped last: a thread reading the table meanwhile
        # unpacks it too rather than finding it empty
        self._header, self._rows = unpack_cells(cells, self._links)
        self._cells = None

    @property
    def header(self) -> tuple[Cell, ...]:
        cells = self._cells
        if cells is not None:
            self._unpack(cells)
        return self._header

    @property
    def rows(self) -> tuple[tuple[Cell, ...], ...]:
        cells = self._cells
        if cells is not None:
            self._unpack(cells)
        return self._rows

    def packed_cells(self, links: tuple[Link, ...]) -> bytes:
        """The cells packed (see `pack_cells`), their links as positions in `links` (the note's)."""
        cells = self._cells
        if cells is not None and self._links is links:
            return cells                    # as the parser or the cache packed them: nothing to do
        where = {id(link): k for k, link in enumerate(links)}
        rows = (self.header, *self.rows)
        linked = [(r, c, link_positions(cell.links, where))
                  for r, row in enumerate(rows) for c, cell in enumerate(row) if cell.links]
        return pack_cells(_text_rows(rows), linked)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return (self.line, self.section, self.header, self.rows) == \
            (other.line, other.section, other.header, other.rows)

    __hash__ = None     # type: ignore[assignment]  # mutable, like the other records

    def __reduce__(self):
        return Table, (self.line, self.header, self.rows, self.section)

    def __repr__(self) -> str:
        return f"Table(line={self.line!r}, header={self.header!r}, rows={self.rows!r}, section={self.section!r})"


@dataclass(slots=True)
class Field:
    """A Dataview inline field: `key:: value`, `[key:: value]`, `(key:: value)`."""

    key: str                        # normalised: lower-case, spaces -> '-', formatting stripped
    raw_key: str
    value: str
    line: int


# Read-only too, and not frozen either: one is built per note parsed or read from the cache,
# and frozen, its 16 fields took 3.5 µs to set (0.9 µs now), over 1 % of parsing a note.
@dataclass(slots=True)
class ParsedNote:
    path: str                       # relative to the vault root, POSIX style, with ".md"
    title: str                      # file stem
    frontmatter: dict[str, Any] = field(default_factory=dict)
    frontmatter_end: int = 0        # line of the closing `---`, 0 when there is none
    aliases: tuple[str, ...] = ()
    tags: tuple[Tag, ...] = ()      # frontmatter tags (line of the key) and inline tags
    links: tuple[Link, ...] = ()    # body links, table-cell links and frontmatter links, in line order
    headings: tuple[Heading, ...] = ()
    tables: tuple[Table, ...] = ()
    fields: tuple[Field, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    content_hash: str = ""          # sha256 of the raw bytes: the parse-cache key
    blocks: tuple[str, ...] = ()    # block ids (`^id` ending a paragraph or list item), targets of `[[Note#^id]]`
    # 1-based file line of each top-level frontmatter key, as written ("aliases" -> 2);
    # a key written twice has the line of the last one, whose value YAML keeps
    frontmatter_lines: dict[str, int] = field(default_factory=dict)
    block_lines: tuple[int, ...] = ()   # the file line of each of `blocks`
    # `%% comments %%`: (first file line, column, last file line, end column), the `%%`
    # included; end column -1 for a comment never closed (it runs to the end of the note)
    comments: tuple[tuple[int, int, int, int], ...] = ()
