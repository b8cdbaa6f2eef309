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

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

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
    line: int
    column: int                     # 0-based column index
    links: tuple[Link, ...] = ()


class Table:
    """A GFM table: its header row and body rows, every cell with its line and links.

    `line` is the line of the header row; `section` the text of the nearest
    heading above, if any. A table read back from the parse cache keeps its
    cells packed until `header` or `rows` is first read: most stages look at
    few tables, and a large vault holds hundreds of thousands of cells.
    """

    __slots__ = ("line", "section", "_header", "_rows", "_unpack")

    def __init__(self, line: int, header: tuple[Cell, ...], rows: tuple[tuple[Cell, ...], ...],
                 section: str | None = None) -> None:
        self.line = line
        self.section = section
        self._header = header
        self._rows = rows
        self._unpack: Callable[[], tuple[tuple[Cell, ...], tuple[tuple[Cell, ...], ...]]] | None = None

    @classmethod
    def packed(cls, line: int, section: str | None,
               unpack: Callable[[], tuple[tuple[Cell, ...], tuple[tuple[Cell, ...], ...]]]) -> Table:
        """A table whose (header, rows) `unpack()` makes on first use."""
        table = cls(line, (), (), section)
        table._unpack = unpack
        return table

    def _cells(self) -> None:
        unpack, self._unpack = self._unpack, None
        self._header, self._rows = unpack()

    @property
    def header(self) -> tuple[Cell, ...]:
        if self._unpack is not None:
            self._cells()
        return self._header

    @property
    def rows(self) -> tuple[tuple[Cell, ...], ...]:
        if self._unpack is not None:
            self._cells()
        return self._rows

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return (self.line, self.section, self.header, self.rows) == \
            (other.line, other.section, other.header, other.rows)

    __hash__ = None     # mutable, like the other records

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


@dataclass(frozen=True, slots=True)
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
