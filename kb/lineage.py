"""Lineage: which architecture came before which, read from the notes themselves.

Three kinds of statement make a predecessor -> successor edge:

* a lineage table: a table with a "Year" column and a column of architectures
  (headed Architecture, Model, Network or Name; else the first column holding
  a wikilink). Rows are taken in year order (stable for equal years), and each
  row succeeds the row before it. Cells are wikilinks or plain names
  ("VGGNet"); plain names resolve like links (aliases included), then through
  the model registry's family names when `kb.models` is available;
* a Related-list item with a role: `- [[AlexNet]] — predecessor (2012)` in
  ResNet.md means AlexNet -> ResNet; "successor" means the reverse;
* frontmatter `predecessors:` / `successors:` (also singular), as wikilinks or
  plain names.

An architecture's year is, first found: its note's frontmatter `year:`; the
row naming it in its own note's lineage table; a `Year | 2015` row of a
two-column table in its own note; the row naming it in another note's lineage
table. Node ids are those of `kb.graph` (a note's path without ".md"; for an
architecture without a note, its name as written).

Findings, each at the file:line of the statement: a cycle; a successor dated
before its predecessor; another note's lineage table giving a year that the
architecture's own note contradicts.
"""

from __future__ import annotations

import functools
import marshal
import re
from itertools import starmap
from operator import attrgetter, itemgetter
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Literal, NamedTuple

import networkx as nx

from kb.diagnostics import Diagnostic
from kb.parse.note import ParsedNote, first_targets
from kb.resolve import Index, build_index, encoded_index, match_target, node_id
from kb.vault import paused_gc

Evidence = Literal["table", "related", "frontmatter"]
YearEvidence = Literal["frontmatter", "lineage table", "fact table", "other note"]

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_ROLE = re.compile(r"\b(predecessor|successor)s?\b", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_FORMATTING = re.compile(r"[*_~`]+")
# What a table cell writes for "no architecture here".
_NO_NAMES = ("n/a", "-", "—", "?")
# A name that is its own key in the index's table of exact names: no formatting to take
# off, no spaces to trim, no folder or file extension.
_PLAIN_NAME = re.compile(r"[^\s*_~`/.](?:[^*_~`/.]*[^\s*_~`/.])?")
_ARCHITECTURE_HEADERS = ("architecture", "architectures", "model", "models", "network", "networks",
                         "name")
_PREDECESSOR_KEYS = ("predecessor", "predecessors")
_SUCCESSOR_KEYS = ("successor", "successors")
_TARGET = attrgetter("target")


@dataclass(slots=True)  # read-only; not frozen, see kb.parse.note
class LineageEdge:
    """One statement that `predecessor` came before `successor` (graph node ids)."""

    predecessor: str
    successor: str
    file: str           # the note making the statement
    line: int
    evidence: Evidence


@dataclass(slots=True)  # read-only
class StatedYear:
    year: int
    file: str
    line: int
    evidence: YearEvidence


Pair = tuple[str, str, str, int, str, int]


class Lineage:
    """Every lineage statement, the years kb uses and the findings.

    `edges`: every statement, in (file, line) order. `years`: node id -> the year kb uses
    for it. `pairs`: each (predecessor, successor) once, in the order of its first
    statement, as (predecessor, successor, that statement's file, line and evidence, how
    many statements make the pair): the graph has one lineage edge per pair.

    The statements are kept as marshal bytes of their columns until `edges` is first
    read: the graph needs only the pairs, and a 50,000-note vault states about 400,000
    lineage edges (35 MB as objects). A lineage inferred in another process may come in
    two parts (see `from_parts`): then `rest` gives the statements and the diagnostics
    when either is first read.
    """

    __slots__ = ("years", "pairs", "_edges", "_diagnostics", "_rest")

    def __init__(self, edges: tuple[LineageEdge, ...] | bytes, years: dict[str, StatedYear],
                 diagnostics: tuple[Diagnostic, ...], pairs: tuple[Pair, ...],
                 rest: Callable[[], tuple[bytes, tuple[Diagnostic, ...]]] | None = None) -> None:
        self._edges = edges         # or bytes: `_EDGE_COLUMNS` marshalled
        self.years = years
        self._diagnostics = diagnostics
        self.pairs = pairs
        self._rest = rest

    def _arrived(self) -> None:
        rest = self._rest
        if rest is not None:
            self._edges, self._diagnostics = rest()
            self._rest = None

    @property
    def edges(self) -> tuple[LineageEdge, ...]:
        self._arrived()
        edges = self._edges
        if type(edges) is bytes:
            edges = self._edges = tuple(map(LineageEdge, *marshal.loads(edges)))
        return edges

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        self._arrived()
        return self._diagnostics

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lineage):
            return NotImplemented
        return (self.edges, self.years, self.diagnostics, self.pairs) == \
            (other.edges, other.years, other.diagnostics, other.pairs)

    __hash__ = None

    def __repr__(self) -> str:
        return (f"Lineage(edges={self.edges!r}, years={self.years!r}, diagnostics={self.diagnostics!r}, "
                f"pairs={self.pairs!r})")


_EDGE_COLUMNS = ("predecessor", "successor", "file", "line", "evidence")


def _columns(edges: tuple[LineageEdge, ...] | bytes) -> bytes:
    if type(edges) is bytes:
        return edges
    return marshal.dumps(tuple(tuple(map(attrgetter(name), edges)) for name in _EDGE_COLUMNS))


def to_tuples(lineage: Lineage) -> tuple:
    """The lineage in marshal's types, the form `encoded_lineage` sends too: for the
    snapshot. The statements go as marshal bytes of five columns (predecessors,
    successors, files, lines, evidence), which `from_tuples` keeps as they are until
    they are read."""
    lineage._arrived()
    return (_columns(lineage._edges),
            {node: (y.year, y.file, y.line, y.evidence) for node, y in lineage.years.items()},
            [(d.file, d.line, d.message, d.code, d.severity) for d in lineage.diagnostics],
            lineage.pairs)


def from_tuples(encoded: tuple, shared: dict[str, str] | None = None) -> Lineage:
    """The lineage `to_tuples` gave. `shared`: strings to use for the equal ones the pairs and
    years name (node ids and files), rather than copies of them."""
    edges, years, diagnostics, pairs = encoded
    if type(edges) is not bytes:
        raise TypeError("the statements of an encoded lineage are marshal bytes")
    if shared is not None:
        get = shared.get
        pairs = [(get(before, before), get(after, after), get(file, file), line, evidence, count)
                 for before, after, file, line, evidence, count in pairs]
        years = {get(node, node): (year, get(file, file), line, evidence)
                 for node, (year, file, line, evidence) in years.items()}
    return Lineage(edges, {node: StatedYear(*year) for node, year in years.items()},
                   tuple(starmap(Diagnostic, diagnostics)), tuple(pairs))


def infer_lineage(vault, index: Index | None = None) -> Lineage:
    """Edges, years and findings of the vault's lineage (see the module docstring).

    It needs the index, not the resolved links: the few links it reads (in
    Related lists) it names itself, so it can run beside resolution.
    """
    with paused_gc():
        # each note's statements taken as they are read, not held together: 36 MB at 50,000 notes
        return infer_from(map(statements_of, vault.notes), index if index is not None else build_index(vault))


# The lineage is read in two steps. `statements_of` takes from one note what it says about
# the lineage, no name resolved yet, in marshal's types: it needs that note alone, so it
# can run in whichever process parsed the note (see `kb.vault.Beside`). `infer_from` then
# names the architectures, which needs the whole vault's index, and orders them.

def statements_of(note: ParsedNote) -> tuple:
    """What `note` states about the lineage: (path, aliases, frontmatter year or None, its
    line, table statements, frontmatter statements, Related-list statements).

    A table statement is a lineage table's rows (see `_table_statements`) or a fact table's
    year; a frontmatter statement is ("link" or "name", target or name, line, whether it
    names a predecessor); a Related-list statement (target, line, "predecessor" or
    "successor").
    """
    path = note.path
    links = note.links
    tables = _table_statements(note) if note.tables else ()
    front = []
    related = []
    roles: dict[str, str | None] = {}      # links on one line share its context string
    end = note.frontmatter_end
    for link in links:
        if link.syntax == "frontmatter":
            key = (link.key or "").casefold()
            if link.line <= end and key in _LINEAGE_KEYS:
                front.append(("link", link.target, link.line, key in _PREDECESSOR_KEYS))
            continue
        context = link.context
        if context[:1] not in _LIST_MARKS:     # most links stand in paragraphs and tables
            continue
        role = roles.get(context, _UNREAD)
        if role is _UNREAD:
            role = roles[context] = _role(context)
        if role is not None:
            related.append((link.target, link.line, role))
    frontmatter = note.frontmatter
    for key, value in frontmatter.items():
        folded = _folded_key(key)
        if folded not in _LINEAGE_KEYS:
            continue
        line = _key_line(note, key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and "[[" not in item:   # wikilinks arrive as frontmatter links
                front.append(("name", item, line, folded in _PREDECESSOR_KEYS))
    year = _year_of(frontmatter.get("year"))
    return (path, note.aliases, year, _key_line(note, "year") if year is not None else 0, tables, front, related)


def _table_statements(note: ParsedNote) -> list:
    """What the note's tables state, in order, nothing named yet: a lineage table's rows (a
    list, see `_lineage_rows`), a two-column table's `Year | 2015` row (a tuple: year, line).
    Read in whichever process parsed the note, so that once every note is read only the
    naming is left, which needs the whole vault's index (see `_stated`). Read there too,
    they took `_stated` 397 million instructions at 2,000 notes, against 209 million so."""
    links = note.links
    targets = tuple(map(_TARGET, links))
    found: list = []
    for table in note.tables:
        grid = first_targets(table.packed_cells(links), targets)
        rows = _lineage_rows(grid)
        if rows is None:
            year = _fact_table_year(grid)
            if year is not None:
                found.append(year)
        elif rows:
            found.append(rows)
    return found


def infer_from(statements: Iterable[tuple], index: Index) -> Lineage:
    """The lineage of a vault from every note's `statements_of`, in path order (read once);
    `index` names what they name (any index over the same notes, see `encoded_lineage`)."""
    # Made again from its encoding, as a process it is sent to makes it: made among the
    # working objects, its strings and tuples kept the memory those freed from going back to
    # the system. At 50,000 notes that left the peak of the first run with nothing changed,
    # inferred in one process, at 1,028 MB, against 995 MB made again (0.6 s more of 34 s).
    return from_tuples(marshal.loads(marshal.dumps(_inferred(statements, index))))


# Inferred as tuples, `to_tuples`' form: a lineage inferred in another process is sent as
# it was built. An edge is built as (file, line, predecessor, successor, evidence), which
# sorts as the edges are ordered; a year as (year, file, line, evidence).

def _inferred(statements: Iterable[tuple], index: Index) -> tuple:
    stated = _stated(statements, index)
    edges, diagnostics = _found(stated)
    return edges, stated.years, diagnostics, stated.pairs


class _Stated(NamedTuple):
    """A lineage as read from the statements, before its findings: the graph takes the
    years and the pairs."""

    edges: list[tuple[str, int, str, str, str]]     # in order
    years: dict[str, tuple[int, str, int, str]]
    pairs: tuple[Pair, ...]
    table_years: dict[str, list[tuple[int, str, int]]]     # what other notes' tables state
    own_years: dict[str, tuple[int, str, int, str]]


def _found(stated: _Stated) -> tuple:
    """The rest of the lineage: (statements as `_EDGE_COLUMNS` marshalled, diagnostics). The
    findings take longer to make than all the graph takes."""
    edges = stated.edges
    diagnostics = _year_conflicts(stated.table_years, stated.own_years) + \
        _order_findings(edges, stated.pairs, stated.years)
    diagnostics.sort(key=_DIAGNOSTIC_ORDER)
    files, lines, befores, afters, evidence = zip(*edges) if edges else ((),) * 5
    return marshal.dumps((befores, afters, files, lines, evidence)), diagnostics


def _stated(statements: Iterable[tuple], index: Index) -> _Stated:
    namer = _Namer(index)
    edges: list[tuple[str, int, str, str, str]] = []
    related: list[tuple[str, int, str, str, str]] = []
    own_years: dict[str, tuple[int, str, int, str]] = {}
    table_years: dict[str, list[tuple[int, str, int]]] = defaultdict(list)   # from other notes' tables

    of_target, of_name = namer.of_target, namer.of_name
    for path, _, frontmatter_year, year_line, tables, front, links in statements:
        self_id = node_id(path)
        if frontmatter_year is not None:
            own_years[self_id] = (frontmatter_year, path, year_line, "frontmatter")
        for table in tables:
            if type(table) is tuple:        # a fact table's year
                if self_id not in own_years:
                    own_years[self_id] = (table[0], path, table[1], "fact table")
                continue
            rows = []
            for year, line, target, text in table:
                arch = of_target(target, path) if target is not None else of_name(text, path)
                if arch is not None:
                    rows.append((year, arch, line))
            rows.sort(key=_YEAR_FIRST)      # stable: equal years keep the table's order
            for year, arch, line in rows:
                if arch != self_id:
                    table_years[arch].append((year, path, line))
                elif own_years.get(self_id, _UNDATED)[3] != "frontmatter":
                    own_years[self_id] = (year, path, line, "lineage table")
            for (_, before, _), (_, after, line) in zip(rows, rows[1:]):
                if before != after:
                    edges.append((path, line, before, after, "table"))
        for named_by, text, line, names_predecessor in front:
            other = namer.of_target(text, path) if named_by == "link" else namer.of_name(text, path)
            if other is not None and other != self_id:
                edges.append((path, line, other, self_id, "frontmatter") if names_predecessor
                             else (path, line, self_id, other, "frontmatter"))
        for target, line, role in links:
            other = namer.of_target(target, path)
            if other != self_id:
                related.append((path, line, other, self_id, "related") if role == "predecessor"
                               else (path, line, self_id, other, "related"))

    edges += related
    edges.sort()        # by file, line, predecessor, successor: one line states one kind of statement
    years = dict(own_years)
    for arch, stated in table_years.items():
        if arch not in years:
            years[arch] = (*stated[0], "other note")
    return _Stated(edges, years, _pairs(edges), table_years, own_years)


_UNDATED = (None, None, None, None)
_YEAR_FIRST = itemgetter(0)
_DIAGNOSTIC_ORDER = itemgetter(0, 1, 2)     # file, line, message


class _Named(NamedTuple):
    """A note as `build_index` reads it: its path and aliases."""

    path: str
    aliases: tuple[str, ...]


class _Names(NamedTuple):
    """A vault as `build_index` reads it: its notes' names and its other files."""

    notes: list[_Named]
    files: tuple[str, ...]


def encoded_lineage(statements: list[tuple], files: tuple[str, ...], index: Index | None = None) -> bytes:
    """`infer_from` every note's statements, in path order, for `from_tuples(marshal.loads(...))`:
    for another process. Without the vault's `index` (a process that holds the statements,
    not the notes), the notes' names and aliases and the vault's other `files` (a link may
    name one) are indexed here."""
    with paused_gc():
        if index is None:
            index = _names_index(statements, files)
        return marshal.dumps(_inferred(statements, index))


def _names_index(statements: list[tuple], files: tuple[str, ...]) -> Index:
    """The index of the notes' names and aliases that `statements` hold, and the vault's other `files`."""
    return build_index(_Names([_Named(s[0], s[1]) for s in statements], files))


def index_and_lineage(statements: list[tuple], files: tuple[str, ...]) -> Iterator[bytes]:
    """`encoded_lineage` in a process that holds the statements, not the notes (the child that
    read part of a vault, see `kb.vault.Beside`), as three answers: the index it builds of
    the notes' names and the vault's other `files` (`kb.resolve.encoded_index`), which the
    process holding the notes then need not build again; what the graph takes of the
    lineage; the rest of it (see `from_parts`)."""
    with paused_gc():
        index = _names_index(statements, files)
        yield encoded_index(index)
        stated = _stated(statements, index)
        yield marshal.dumps((stated.years, stated.pairs))
        yield marshal.dumps(_found(stated))


def from_parts(graphed: bytes | None, rest_of: Callable[[], bytes | None], otherwise: Callable[[], Lineage]) -> Lineage:
    """The lineage `index_and_lineage` sends as two answers: what the graph takes
    (`graphed`), then the rest, which `rest_of` gives, taken when first read. `otherwise`
    gives the whole lineage when an answer is missing or is not one."""
    try:
        years, pairs = marshal.loads(graphed)
        years = {node: StatedYear(*year) for node, year in years.items()}
    except (ValueError, EOFError, TypeError, AttributeError):
        return otherwise()

    def rest() -> tuple[bytes, tuple[Diagnostic, ...]]:
        try:
            edges, diagnostics = marshal.loads(rest_of())
            if type(edges) is bytes:
                return edges, tuple(starmap(Diagnostic, diagnostics))
        except (ValueError, EOFError, TypeError):
            pass
        whole = otherwise()
        whole._arrived()
        return whole._edges, whole.diagnostics
    return Lineage(b"", years, (), tuple(pairs), rest)


_UNREAD = object()
_LIST_MARKS = frozenset("-*+0123456789")      # what a list item's line (stripped) starts with


def _role(context: str) -> str | None:
    """"predecessor" or "successor" when a list item names exactly one of the two roles."""
    # most list items name no role: a substring test spares them the case-blind search
    if "cessor" not in context.casefold() or not _LIST_ITEM.match(context):
        return None
    roles = {match.lower() for match in _ROLE.findall(context)}
    # no role, or both named on one line: not a statement kb can read
    return roles.pop() if len(roles) == 1 else None


class _Namer:
    """Maps a link or a plain name to the node id the graph gives it."""

    def __init__(self, index: Index) -> None:
        self.index = index
        # The node of a link target, and of a plain name, by its text; by (text, folder) when
        # several notes answer it (ranked by the folder of the note it stands in, see `kb.resolve`).
        self._targets: dict[str | tuple[str, str], str] = {}
        self._names: dict[str | tuple[str, str], str | None] = {}
        self._ranked = False        # whether the node being named depends on the folder
        try:
            from kb.models import find_family
        except ImportError:  # the registry is optional here: names then resolve through notes only
            find_family = None
        self.find_family = find_family

    def of_target(self, target: str, source: str) -> str:
        """The node a link to `target` written in `source` leads to ("" for one into `source` itself)."""
        found = self._targets.get(target, _UNREAD)     # most targets are named again and again
        if found is not _UNREAD:
            return found
        if not target:
            return node_id(source) if source in self.index.notes else ""
        return self._cached(self._targets, target, source, self._of_target)

    def of_name(self, name: str, source: str) -> str | None:
        found = self._names.get(name, _UNREAD)
        if found is not _UNREAD:
            return found
        # Most plain names in lineage tables are a note's file name as written, or the note's
        # own in bold, and most are named once or twice in a vault: answer those from the
        # index, without a full match. (ASCII is NFC already; a name with no `/`, `.`,
        # formatting or edge spaces is its own lookup key and names no file, and when one
        # note answers it, it does wherever it is written.)
        plain = name[2:-2] if name[:2] == "**" and name[-2:] == "**" else name
        if plain.isascii() and _PLAIN_NAME.fullmatch(plain) is not None and plain not in _NO_NAMES:
            paths = self.index.exact.get(plain)
            if paths is not None and len(paths) == 1:
                found = self._names[name] = node_id(paths[0])
                return found
        return self._cached(self._names, name, source, self._of_name)

    def _cached(self, cache: dict, text: str, source: str,
                name: Callable[[str, str], str | None]) -> str | None:
        """`name(text, source)`, remembered for `text` (in the folder of `source` when it depends on it)."""
        found = cache.get(text, _UNREAD)
        if found is not _UNREAD:
            return found
        key = (text, source.rpartition("/")[0])
        found = cache.get(key, _UNREAD)
        if found is not _UNREAD:
            self._ranked = True     # a caller naming through this depends on the folder too
            return found
        self._ranked = False
        found = name(text, source)
        cache[key if self._ranked else text] = found
        return found

    def _match(self, target: str, source: str) -> tuple:
        found = match_target(self.index, target, source)
        if len(found[2]) > 1:
            self._ranked = True
        return found

    def _node(self, target: str | None, written: str) -> str:
        """The node a link leads to: its note's, else (a file, or nothing) the target as written."""
        return node_id(target) if target is not None and target in self.index.notes else written

    def _of_target(self, target: str, source: str) -> str:
        return self._node(self._match(target, source)[1], target)

    def _of_name(self, name: str, source: str) -> str | None:
        name = _FORMATTING.sub("", name).strip()
        if not name or name.casefold() in _NO_NAMES:
            return None
        found = self._note_named(name, source)
        if found is not None:
            return found
        family = self.find_family(name) if self.find_family is not None else None
        if family is None:
            return name
        for known in (family.name, *family.aliases):
            found = self._note_named(known, source)
            if found is not None:
                return found
        return family.name

    def _note_named(self, name: str, source: str) -> str | None:
        status, target, candidates, _ = self._match(name.strip(), source)
        if target is not None and target in self.index.notes:
            return node_id(target)
        if status == "punctuation" and len(candidates) == 1:
            return node_id(candidates[0])  # plain text, not a link: "VGG Net" means VGGNet.md
        return None


@functools.lru_cache(maxsize=4096)  # headers repeat from note to note ("Year", "Metric", ...)
def _plain_lower(text: str) -> str:
    return _FORMATTING.sub("", text).strip().casefold()


Grid = tuple[list[tuple[int, list[str]]], dict[tuple[int, int], str]]   # see kb.parse.note.first_targets


def _lineage_rows(grid: Grid) -> list[tuple[int, int, str | None, str | None]] | None:
    """(year, line, target, text) per dated row of a lineage table, None when the table is
    not one: the target of the first link in the row's architecture cell, else None and the
    cell's text (a plain name)."""
    texts, links = grid
    headers = [_plain_lower(text) for text in texts[0][1]]
    if "year" not in headers or len(headers) < 2:
        return None
    year_column = headers.index("year")
    named = [i for i, h in enumerate(headers) if h in _ARCHITECTURE_HEADERS and i != year_column]
    if named:
        column = named[0]
    else:
        linked = [c for (r, c) in links if r > 0 and c != year_column]
        if not linked:
            return None
        column = min(linked)
    rows = []
    widest = max(year_column, column)
    for r in range(1, len(texts)):
        line, row = texts[r]
        if widest >= len(row):
            continue
        year = _year_in(row[year_column])       # a cell is text: `_year_of` reads any YAML value
        if year is not None:
            target = links.get((r, column))    # a cell names its first link's target, else its text
            rows.append((year, line, target, row[column] if target is None else None))
    return rows


def _fact_table_year(grid: Grid) -> tuple[int, int] | None:
    """(year, line) from a two-column key-value table's `Year | 2015` row."""
    texts, _ = grid
    if len(texts[0][1]) != 2:
        return None
    for line, row in texts:
        if len(row) == 2 and _plain_lower(row[0]) == "year":
            year = _year_in(row[1])      # a cell is text, as in `_lineage_rows`
            if year is not None:
                return year, line
    return None


def _year_of(value) -> int | None:
    if isinstance(value, str):
        return _year_in(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1800 <= value <= 2099 else None
    if hasattr(value, "year"):  # YAML reads `year: 2015-12-10` as a date
        return value.year
    return None


@functools.lru_cache(maxsize=4096)  # table cells repeat years ("2015") from row to row
def _year_in(text: str) -> int | None:
    match = _YEAR.search(text)
    return int(match.group(1)) if match else None


def _key_line(note: ParsedNote, key) -> int:
    """The line of a frontmatter key; 1 (the frontmatter's start) when YAML could not read it."""
    return note.frontmatter_lines.get(key, 1) if isinstance(key, str) else 1


_LINEAGE_KEYS = frozenset(_PREDECESSOR_KEYS + _SUCCESSOR_KEYS)


@functools.lru_cache(maxsize=1024, typed=True)  # the same few keys in every note; 1 and True apart
def _folded_key(key) -> str:
    return str(key).casefold()


def _year_conflicts(table_years: dict[str, list[tuple[int, str, int]]],
                    own_years: dict[str, tuple[int, str, int, str]]) -> list[tuple]:
    found = []
    for arch, stated_list in table_years.items():
        own = own_years.get(arch)
        if own is None:
            continue
        for year, file, line in stated_list:
            if year != own[0]:
                found.append((file, line, f"lineage table dates {arch} to {year}, but {own[1]}:{own[2]} "
                              f"({own[3]}) says {own[0]}", "lineage-year", "warning"))
    return found


def _pairs(edges: list[tuple[str, int, str, str, str]]) -> tuple[Pair, ...]:
    """(predecessor, successor, the first statement's file, line and evidence, statements)
    per pair, in order."""
    first: dict[tuple[str, str], int] = {}
    count: dict[tuple[str, str], int] = {}
    for place, (_, _, before, after, _) in enumerate(edges):
        pair = (before, after)
        if pair in first:
            count[pair] += 1
        else:
            first[pair] = place
            count[pair] = 1
    pairs = []
    for pair, place in first.items():
        file, line, _, _, evidence = edges[place]
        pairs.append((*pair, file, line, evidence, count[pair]))
    return tuple(pairs)


def _order_findings(edges: list[tuple[str, int, str, str, str]], pairs: tuple[Pair, ...],
                    years: dict[str, tuple[int, str, int, str]]) -> list[tuple]:
    found = []
    for file, line, before, after, _ in edges:
        earlier, later = years.get(before), years.get(after)
        if earlier is not None and later is not None and earlier[0] > later[0]:
            found.append((file, line, f"lineage: {after} ({later[0]}) follows {before} "
                          f"({earlier[0]}), which is dated later", "lineage-order", "warning"))
    graph = nx.DiGraph(_on_cycles(pairs))
    if not graph:
        return found
    first_statement = {(before, after): (file, line) for before, after, file, line, _, _ in pairs}
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        cycle = nx.find_cycle(graph.subgraph(component))
        where = [first_statement[(u, v)] for u, v in cycle]
        path = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
        stated = ", ".join(f"{file}:{line}" for file, line in where)
        file, line = min(where)
        found.append((file, line, f"lineage cycle: {path} (stated at {stated})", "lineage-cycle", "warning"))
    return found


def _on_cycles(pairs) -> list[tuple[str, str]]:
    """The (before, after) pairs left once every node with no predecessor left is peeled
    off, over and over (Kahn's algorithm): a cycle's edges and those below one. A lineage
    is nearly always acyclic, and this leaves networkx nothing to search."""
    successors: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    # each field named: `before, after, *_` builds a list per pair (223,630 pairs: 0.68 s, 0.58 s so)
    for before, after, _, _, _, _ in pairs:
        if before in successors:
            successors[before].append(after)
        else:
            successors[before] = [after]
        waiting[after] = waiting.get(after, 0) + 1
    ready = [node for node in successors if node not in waiting]
    while ready:
        node = ready.pop()
        for after in successors.pop(node, ()):
            waiting[after] -= 1
            if not waiting[after]:
                ready.append(after)
    return [(before, after) for before, afters in successors.items() for after in afters]


def _lineage_view(G: nx.MultiDiGraph) -> nx.DiGraph:
    view = nx.DiGraph()
    view.add_edges_from((u, v) for u, v, kind in G.edges(data="kind") if kind == "lineage")
    return view


def _order_key(G: nx.MultiDiGraph, lineage: nx.DiGraph):
    """Sort key: year (undated last), then lineage order (cycles kept together), then name."""
    def year(node):
        value = G.nodes[node].get("year")
        return value if value is not None else 10_000

    def name(node):
        return str(G.nodes[node].get("title") or node).casefold()

    condensed = nx.condensation(lineage)
    members = condensed.graph["mapping"]
    first = {c: min(((year(n), name(n)) for n in data["members"]))
             for c, data in condensed.nodes(data=True)}
    rank = {c: i for i, c in enumerate(nx.lexicographical_topological_sort(condensed, key=first.get))}
    return lambda node: (year(node), rank.get(members.get(node), 0), name(node), node)


def timeline(G: nx.MultiDiGraph) -> list[str]:
    """Node ids of every architecture in a lineage statement, in year order.

    Equal years keep lineage order (a predecessor first), then go by name.
    """
    lineage = _lineage_view(G)
    return sorted(lineage.nodes, key=_order_key(G, lineage))


def ancestors(G: nx.MultiDiGraph, node: str) -> list[str]:
    """Every architecture that `node` descends from, in year order."""
    lineage = _lineage_view(G)
    if node not in lineage:
        return []
    return sorted(nx.ancestors(lineage, node) - {node}, key=_order_key(G, lineage))


def descendants(G: nx.MultiDiGraph, node: str) -> list[str]:
    """Every architecture that descends from `node`, in year order."""
    lineage = _lineage_view(G)
    if node not in lineage:
        return []
    return sorted(nx.descendants(lineage, node) - {node}, key=_order_key(G, lineage))
