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
import re
from operator import attrgetter
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Literal

import networkx as nx

from kb.diagnostics import Diagnostic
from kb.parse.note import Link, ParsedNote
from kb.resolve import Index, build_index, match_target, node_id, resolve_link
from kb.vault import paused_gc

Evidence = Literal["table", "related", "frontmatter"]
YearEvidence = Literal["frontmatter", "lineage table", "fact table", "other note"]

_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
_ROLE = re.compile(r"\b(predecessor|successor)s?\b", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_FORMATTING = re.compile(r"[*_~`]+")
_ARCHITECTURE_HEADERS = ("architecture", "architectures", "model", "models", "network", "networks",
                         "name")
_PREDECESSOR_KEYS = ("predecessor", "predecessors")
_SUCCESSOR_KEYS = ("successor", "successors")


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


@dataclass(frozen=True)
class Lineage:
    edges: tuple[LineageEdge, ...]          # every statement, in (file, line) order
    years: dict[str, StatedYear]            # node id -> the year kb uses for it
    diagnostics: tuple[Diagnostic, ...]


def to_tuples(lineage: Lineage) -> tuple:
    """The lineage as tuples of str and int (marshal's types): for the snapshot, and for a
    lineage inferred in another process."""
    return ([(e.predecessor, e.successor, e.file, e.line, e.evidence) for e in lineage.edges],
            {node: (y.year, y.file, y.line, y.evidence) for node, y in lineage.years.items()},
            [(d.file, d.line, d.message, d.code, d.severity) for d in lineage.diagnostics])


def from_tuples(encoded: tuple) -> Lineage:
    """The lineage `to_tuples` gave."""
    edges, years, diagnostics = encoded
    return Lineage(tuple(LineageEdge(*edge) for edge in edges),
                   {node: StatedYear(*year) for node, year in years.items()},
                   tuple(Diagnostic(*d) for d in diagnostics))


def infer_lineage(vault, index: Index | None = None) -> Lineage:
    """Edges, years and findings of the vault's lineage (see the module docstring).

    It needs the index, not the resolved links: the few links it reads (in
    Related lists) it names itself, so it can run beside resolution.
    """
    with paused_gc():
        return _infer_lineage(vault, index if index is not None else build_index(vault))


def _infer_lineage(vault, index: Index) -> Lineage:
    namer = _Namer(index)
    edges: list[LineageEdge] = []
    related: list[LineageEdge] = []
    role_of_line: dict[str, str | None] = {}     # links on one line share its context string
    own_years: dict[str, StatedYear] = {}
    table_years: dict[str, list[StatedYear]] = defaultdict(list)

    for note in vault.notes:
        self_id = node_id(note.path)
        frontmatter_year = _year_of(note.frontmatter.get("year"))
        if frontmatter_year is not None:
            own_years[self_id] = StatedYear(frontmatter_year, note.path, _key_line(note, "year"), "frontmatter")
        for table in note.tables:
            grid = table.grid()
            rows = _lineage_rows(grid, note.path, namer)
            if rows is None:
                year = _fact_table_year(grid)
                if year is not None and self_id not in own_years:
                    own_years[self_id] = StatedYear(year[0], note.path, year[1], "fact table")
                continue
            rows.sort(key=lambda row: row[0])   # stable: equal years keep the table's order
            for year, arch, line in rows:
                stated = StatedYear(year, note.path, line, "lineage table")
                if arch == self_id:
                    if own_years.get(self_id, stated).evidence != "frontmatter":
                        own_years[self_id] = stated
                else:
                    table_years[arch].append(stated)
            for (_, before, _), (_, after, line) in zip(rows, rows[1:]):
                if before != after:
                    edges.append(LineageEdge(before, after, note.path, line, "table"))
        edges.extend(_frontmatter_edges(note, namer))
        for link in note.links:
            context = link.context
            if context[:1] not in _LIST_MARKS:     # most links stand in paragraphs and tables
                continue
            role = role_of_line.get(context, _UNREAD)
            if role is _UNREAD:
                role = role_of_line[context] = _role(context)
            if role is None or link.syntax == "frontmatter":
                continue
            other = namer.of_link(link, note.path)
            if other == self_id:
                continue
            pair = (other, self_id) if role == "predecessor" else (self_id, other)
            related.append(LineageEdge(*pair, note.path, link.line, "related"))

    edges += related
    edges.sort(key=_EDGE_ORDER)
    years = dict(own_years)
    for arch, stated in table_years.items():
        years.setdefault(arch, StatedYear(stated[0].year, stated[0].file, stated[0].line, "other note"))
    diagnostics = _year_conflicts(table_years, own_years) + _order_findings(edges, years)
    diagnostics.sort(key=lambda d: (d.file, d.line, d.message))
    return Lineage(tuple(edges), years, tuple(diagnostics))


_UNREAD = object()
_LIST_MARKS = frozenset("-*+0123456789")      # what a list item's line (stripped) starts with
_EDGE_ORDER = attrgetter("file", "line", "predecessor", "successor")


def _role(context: str) -> str | None:
    """"predecessor" or "successor" when a list item names exactly one of the two roles."""
    if not _LIST_ITEM.match(context):
        return None
    roles = {match.lower() for match in _ROLE.findall(context)}
    # no role, or both named on one line: not a statement kb can read
    return roles.pop() if len(roles) == 1 else None


class _Namer:
    """Maps a link or a plain name to the node id the graph gives it."""

    def __init__(self, index: Index) -> None:
        self.index = index
        # Names and cells by their text, or by (text, folder) when several notes answer them
        # (ranked by the folder of the note they stand in, see `kb.resolve`).
        self._names: dict[str | tuple[str, str], str | None] = {}
        self._cells: dict[str | tuple[str, str], str | None] = {}
        self._ranked = False        # whether the node being named depends on the folder
        try:
            from kb.models import find_family
        except ImportError:  # the registry is optional here: names then resolve through notes only
            find_family = None
        self.find_family = find_family

    def of_link(self, link: Link, source: str) -> str:
        if not link.target:     # into the linking note itself
            return self._node(resolve_link(self.index, link, source).target, link.target)
        return self._node(self._match(link.target, source)[1], link.target)

    def _match(self, target: str, source: str) -> tuple:
        found = match_target(self.index, target, source)
        if len(found[2]) > 1:
            self._ranked = True
        return found

    def _cached(self, cache: dict, text: str, folder: str, name: Callable[[], str | None]) -> str | None:
        """What `name()` gives, remembered for `text` (in `folder` when it depends on it)."""
        found = cache.get(text, _UNREAD)
        if found is not _UNREAD:
            return found
        key = (text, folder)
        found = cache.get(key, _UNREAD)
        if found is not _UNREAD:
            self._ranked = True     # a caller naming through this depends on the folder too
            return found
        self._ranked = False
        found = name()
        cache[key if self._ranked else text] = found
        return found

    def _node(self, target: str | None, written: str) -> str:
        """The node a link leads to: its note's, else (a file, or nothing) the target as written."""
        return node_id(target) if target is not None and target in self.index.notes else written

    def of_name(self, name: str, source: str) -> str | None:
        return self._cached(self._names, name, source.rpartition("/")[0],
                            functools.partial(self._of_name, name, source))

    def _of_name(self, name: str, source: str) -> str | None:
        name = _FORMATTING.sub("", name).strip()
        if not name or name.casefold() in ("n/a", "-", "—", "?"):
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

    def of_cell(self, text: str, links: tuple[Link, ...], source: str, folder: str) -> str | None:
        """The node a table cell names (its `text`, the `links` in it); `folder` is that of `source`."""
        if links and not links[0].target:       # into the note it stands in
            return self.of_link(links[0], source)
        # A cell's links come from its text: the same text names the same node.
        return self._cached(self._cells, text, folder,
                            functools.partial(self.of_link, links[0], source) if links
                            else functools.partial(self.of_name, text, source))


@functools.lru_cache(maxsize=4096)  # headers repeat from note to note ("Year", "Metric", ...)
def _plain_lower(text: str) -> str:
    return _FORMATTING.sub("", text).strip().casefold()


Grid = tuple[list[tuple[int, list[str]]], dict[tuple[int, int], tuple[Link, ...]]]   # see Table.grid


def _lineage_rows(grid: Grid, source: str, namer: _Namer) -> list[tuple[int, str, int]] | None:
    """(year, node id, line) per row of a lineage table; None when the table is not one."""
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
    folder = source.rpartition("/")[0]
    for r in range(1, len(texts)):
        line, row = texts[r]
        if max(year_column, column) >= len(row):
            continue
        year = _year_of(row[year_column])
        arch = namer.of_cell(row[column], links.get((r, column), ()), source, folder)
        if year is not None and arch is not None:
            rows.append((year, arch, line))
    return rows


def _fact_table_year(grid: Grid) -> tuple[int, int] | None:
    """(year, line) from a two-column key-value table's `Year | 2015` row."""
    texts, _ = grid
    if len(texts[0][1]) != 2:
        return None
    for line, row in texts:
        if len(row) == 2 and _plain_lower(row[0]) == "year":
            year = _year_of(row[1])
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


def _frontmatter_edges(note: ParsedNote, namer: _Namer) -> list[LineageEdge]:
    this = node_id(note.path)
    edges = []
    linked_keys = set()
    for link in note.links:
        if link.line > note.frontmatter_end:
            break               # links come in line order: the frontmatter's come first
        key = (link.key or "").casefold()
        if link.syntax != "frontmatter" or key not in _PREDECESSOR_KEYS + _SUCCESSOR_KEYS:
            continue
        linked_keys.add(key)
        other = namer.of_link(link, note.path)
        if other != this:
            pair = (other, this) if key in _PREDECESSOR_KEYS else (this, other)
            edges.append(LineageEdge(*pair, note.path, link.line, "frontmatter"))
    for key, value in note.frontmatter.items():
        folded = _folded_key(key)
        if folded not in _LINEAGE_KEYS:
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str) or "[[" in item:
                continue  # wikilinks arrive as frontmatter links, handled above
            other = namer.of_name(item, note.path)
            if other is None or other == this:
                continue
            pair = (other, this) if folded in _PREDECESSOR_KEYS else (this, other)
            edges.append(LineageEdge(*pair, note.path, _key_line(note, key), "frontmatter"))
    return edges


_LINEAGE_KEYS = frozenset(_PREDECESSOR_KEYS + _SUCCESSOR_KEYS)


@functools.lru_cache(maxsize=1024, typed=True)  # the same few keys in every note; 1 and True apart
def _folded_key(key) -> str:
    return str(key).casefold()


def _year_conflicts(table_years: dict[str, list[StatedYear]],
                    own_years: dict[str, StatedYear]) -> list[Diagnostic]:
    found = []
    for arch, stated_list in table_years.items():
        own = own_years.get(arch)
        for stated in stated_list:
            if own is not None and stated.year != own.year:
                found.append(Diagnostic(
                    stated.file, stated.line,
                    f"lineage table dates {arch} to {stated.year}, but {own.file}:{own.line} "
                    f"({own.evidence}) says {own.year}", code="lineage-year", severity="warning"))
    return found


def _order_findings(edges: list[LineageEdge], years: dict[str, StatedYear]) -> list[Diagnostic]:
    found = []
    first_statement: dict[tuple[str, str], LineageEdge] = {}
    for edge in edges:
        first_statement.setdefault((edge.predecessor, edge.successor), edge)
        before, after = years.get(edge.predecessor), years.get(edge.successor)
        if before is not None and after is not None and before.year > after.year:
            found.append(Diagnostic(
                edge.file, edge.line,
                f"lineage: {edge.successor} ({after.year}) follows {edge.predecessor} "
                f"({before.year}), which is dated later", code="lineage-order", severity="warning"))
    graph = nx.DiGraph(_on_cycles(first_statement))
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        cycle = nx.find_cycle(graph.subgraph(component))
        where = [first_statement[(u, v)] for u, v in cycle]
        path = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
        stated = ", ".join(f"{e.file}:{e.line}" for e in where)
        first = min(where, key=lambda e: (e.file, e.line))
        found.append(Diagnostic(first.file, first.line, f"lineage cycle: {path} (stated at {stated})",
                                code="lineage-cycle", severity="warning"))
    return found


def _on_cycles(pairs) -> list[tuple[str, str]]:
    """The (before, after) pairs left once every node with no predecessor left is peeled
    off, over and over (Kahn's algorithm): a cycle's edges and those below one. A lineage
    is nearly always acyclic, and this leaves networkx nothing to search."""
    successors: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for before, after in pairs:
        successors.setdefault(before, []).append(after)
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
