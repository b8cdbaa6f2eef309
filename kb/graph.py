"""The vault as a networkx MultiDiGraph, its queries, and its serialisations.

Nodes:
* every note, id = its path without ".md" ("ML/README"); kind "note";
* every file a note links or embeds, id = its path ("img/fig.png"); kind "file";
* every target no link reaches, id = the target as first written (later
  spellings that differ only in case join it); kind "missing", path None.
  Architectures named in lineage statements without a note are such nodes too.

Every node has `id`, `kind`, `title` and `path`; notes also `aliases`, `tags`,
`frontmatter` and `year` (see `kb.lineage` for where a year comes from).

Edges: kind "link" or "embed" (one per written link, with `line`, the
resolution's `status`, the source line as `context`, and, when the link has
them, `key` for links in frontmatter or inline fields, `label`, `heading`,
`block`), and kind "lineage" from predecessor to successor (one per pair, at
the first statement's `file` and `line`, `statements` counting them all).
"""

from __future__ import annotations

import functools
import json
import marshal
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import networkx as nx

from kb import forked, snapshot
from kb.lineage import (Lineage, encoded_lineage, from_parts, from_tuples, index_and_lineage, infer_lineage,
                        statements_of)
from kb.resolve import Index, Resolution, build_index, decoded_index, node_id, resolve_vault
from kb.vault import Beside, beside_result, load_vault, paused_gc

FORMATS = ("json", "graphml", "gexf", "dot")


@dataclass(frozen=True)
class VaultGraph:
    """Every stage from a loaded vault to its graph, each run once."""

    vault: Any
    index: Index
    resolutions: tuple[Resolution, ...]
    lineage: Lineage
    graph: nx.MultiDiGraph


def load_graph(root: Path) -> VaultGraph:
    """`vault_graph(load_vault(root))`, the lineage inferred by the child that reads part of a
    large vault, from what each process read (see `kb.vault.Beside`), while this process
    decodes the notes and resolves their links. The child indexes the notes' names first,
    for itself, and hands that index over too."""
    return vault_graph(load_vault(root, beside=Beside(statements_of, index_and_lineage)))


def vault_graph(vault) -> VaultGraph:
    """Index, resolve, infer the lineage of and build the graph of a loaded vault.

    A vault unchanged since the runs before is served from their snapshot (see `kb.snapshot`).
    Otherwise, on a large vault with a second core free, the lineage is inferred in another
    process (the child that read part of the vault, see `load_graph`, or a child forked now)
    while this process resolves the links and builds the graph of them.
    """
    with paused_gc():
        stages = snapshot.load(vault)       # an earlier snapshot may still serve most links
    if stages is not None and stages.graph is not None:
        return VaultGraph(vault, stages.index, stages.resolutions, stages.lineage, stages.graph)
    noted = None
    if stages is not None:
        index, resolutions = stages.index, stages.resolutions
        # the child that read part of the vault answers its index first, not needed now
        lineage_of = _lineage_beside(vault, index, index_taken=False) if _read_beside(vault) \
            else _inferred_now(vault, index)
    else:
        indexed = None
        if _read_beside(vault):
            # the notes' nodes need no index: made while the child builds it, not after
            with paused_gc():
                noted = _note_nodes(vault)
            indexed = _beside_index(vault)
        index = indexed if indexed is not None else build_index(vault)
        lineage_of = _lineage_beside(vault, index, index_taken=True)
        resolutions = resolve_vault(vault, index)
    graph, lineage = _graph(vault, resolutions, lineage_of, noted)
    snapshot.save(vault, index, resolutions, lineage, graph)
    return VaultGraph(vault, index, resolutions, lineage, graph)


# Below this many notes, forking costs more than inferring the lineage here.
PARALLEL_MIN_NOTES = 2000


def _read_beside(vault) -> bool:
    """Whether a child that read part of the vault does `load_graph`'s work beside it."""
    return getattr(vault, "beside", None) is not None


def _beside_index(vault) -> Index | None:
    """The index of the vault's names that the child that read part of it built, its first
    answer (see `load_graph`); None when it answered none."""
    encoded = beside_result(vault)
    return decoded_index(encoded, vault) if encoded is not None else None


def _lineage_beside(vault, index: Index, *, index_taken: bool) -> Callable[[], Lineage]:
    """What gives the vault's lineage, on the call: the one the child that read part of the
    vault sends (see `load_graph`; past its index unless `index_taken`), else one inferred
    in a child forked now when that pays, else one inferred here now (and here when the
    child failed)."""
    here = functools.partial(infer_lineage, vault, index)
    if _read_beside(vault):
        def sent() -> Lineage:
            if not index_taken:
                beside_result(vault)
            return from_parts(beside_result(vault), functools.partial(beside_result, vault), here)
        return sent
    if forked.pays(len(vault.notes), PARALLEL_MIN_NOTES):
        child = forked.start(lambda: encoded_lineage(list(map(statements_of, vault.notes)), vault.files, index))
        if child is not None:
            def collect() -> Lineage:
                payload = forked.result(child)
                try:
                    return from_tuples(marshal.loads(payload)) if payload is not None else here()
                except (ValueError, EOFError, TypeError):
                    return here()
            return collect
    return _inferred_now(vault, index)


def _inferred_now(vault, index: Index) -> Callable[[], Lineage]:
    """The lineage inferred here and now, before the links are resolved and their graph built:
    those then reuse the memory its working objects took and freed. Inferred after them, it
    left the peak of a 50,000-note vault's first run with nothing changed 1,040 MB, against
    995 MB inferred first (see `kb.lineage.infer_lineage`)."""
    lineage = infer_lineage(vault, index)
    return lambda: lineage


def build_graph(vault, resolutions: tuple[Resolution, ...], *, lineage: Lineage | None = None,
                index: Index | None = None) -> nx.MultiDiGraph:
    """The graph of a loaded vault and its resolved links (lineage is inferred unless given)."""
    return _graph(vault, resolutions, (lambda: lineage) if lineage is not None
                  else functools.partial(infer_lineage, vault, index))[0]


def _graph(vault, resolutions: tuple[Resolution, ...], lineage_of: Callable[[], Lineage],
           noted: tuple[nx.MultiDiGraph, dict[str, str]] | None = None) -> tuple[nx.MultiDiGraph, Lineage]:
    """The graph and the lineage, on `noted` (see `_note_nodes`) when given. `lineage_of` is
    called once the links' graph is built: a lineage inferred in a forked child has that long
    to arrive."""
    with paused_gc():
        graph, missing = _link_graph(vault, resolutions, noted if noted is not None else _note_nodes(vault))
        lineage = lineage_of()
        _add_lineage(graph, missing, lineage)
    return graph, lineage


# The data of a note's node and of an edge is the `__dict__` of one of these classes, never
# used otherwise: instance dicts share one table of keys per class (PEP 412), so a vault's
# million edge dicts hold their values alone, 40 to 80 bytes an edge less than dict displays.
# The snapshot stores them as rows of their values (`data_row`) and makes them again.

class _NoteData:
    def __init__(self, title: str, path: str, aliases: list[str], tags: list[str], frontmatter: dict,
                 year: int | None) -> None:
        self.kind = "note"
        self.title = title
        self.path = path
        self.aliases = aliases
        self.tags = tags
        self.frontmatter = frontmatter
        self.year = year


class _PlainLinkData:
    """A link with no key, label, heading or block: most of them, with a smaller table of keys."""

    def __init__(self, kind: str, line: int, status: str, context: str) -> None:
        self.kind = kind
        self.line = line
        self.status = status
        self.context = context


class _LinkData:
    def __init__(self, kind: str, line: int, status: str, context: str, key: str | None, label: str | None,
                 heading: str | None, block: str | None) -> None:
        self.kind = kind
        self.line = line
        self.status = status
        self.context = context
        # Attributes most links lack are left out rather than stored as None;
        # `G.edges(data="key")` still reads them as None.
        if key is not None:
            self.key = key
        if label is not None:
            self.label = label
        if heading is not None:
            self.heading = heading
        if block is not None:
            self.block = block


class _LineageData:
    def __init__(self, line: int, file: str, evidence: str, statements: int) -> None:
        self.kind = "lineage"
        self.line = line
        self.file = file
        self.evidence = evidence
        self.statements = statements


def _note_data(note, tags: list[str], year: int | None) -> dict:
    """A note node's data: its note's own title, path, frontmatter and aliases (a list of them)."""
    return _NoteData(note.title, note.path, list(note.aliases), tags, note.frontmatter, year).__dict__


def _link_data(kind: str, line: int, status: str, context: str, key: str | None, label: str | None,
               heading: str | None, block: str | None) -> dict:
    if key is None and label is None and heading is None and block is None:
        return _PlainLinkData(kind, line, status, context).__dict__
    return _LinkData(kind, line, status, context, key, label, heading, block).__dict__


_LINK_KEYS = ("kind", "line", "status", "context", "key", "label", "heading", "block")
_ROW_KEYS = {"note": ("kind", "title", "path", "aliases", "tags", "frontmatter", "year"),
             "lineage": ("kind", "line", "file", "evidence", "statements"),
             "link": _LINK_KEYS, "embed": _LINK_KEYS}


def data_row(data: dict, line_places: dict[int, int] | None = None) -> tuple | None:
    """A note node's or an edge's data as a row of its values, which `from_row` makes it from
    again (a link's absent attributes None); None for data of another kind or shape.

    With `line_places` (the id of a link's source line -> the place of a link holding it
    among the notes' links, in path order), the row leaves out what `from_row` given the
    notes sets back: a note's frontmatter is None, a link's source line its place.
    """
    keys = _ROW_KEYS.get(data.get("kind"))
    if keys is None:
        return None
    present = tuple(data)
    if keys is _LINK_KEYS:
        # the four every link has, in order, then those of the others it has, in order
        if present[:4] != keys[:4] or None in (row := tuple(map(data.get, keys)))[:4]:
            return None
        if len(present) > 4 and present[4:] != tuple(k for k, v in zip(keys[4:], row[4:]) if v is not None):
            return None
        place = line_places.get(id(row[3])) if line_places is not None else None
        return row if place is None else (*row[:3], place, *row[4:])
    if present != keys:
        return None
    row = tuple(data.values())
    return (*row[:5], None, row[6]) if keys[0] == "note" and line_places is not None else row


def from_row(row: tuple, notes: dict[str, Any] | None = None, lines: Sequence[str] = ()) -> dict:
    """The data `data_row` gave the row of. Given the notes (path -> note) and the source
    lines of their links (in path order), what the row left out is theirs again, and a
    note node's title, path and aliases and the note a lineage statement stands in are
    their strings, not copies."""
    kind = row[0]
    if kind == "lineage":
        stated_in = notes.get(row[2]) if notes is not None else None
        return _LineageData(row[1], stated_in.path if stated_in is not None else row[2], *row[3:]).__dict__
    if kind == "note":
        return _note_data(notes[row[2]], row[4], row[6]) if notes is not None else _NoteData(*row[1:]).__dict__
    context = row[3]
    if type(context) is int:
        context = lines[context]
    return _link_data(kind, row[1], row[2], context, *row[4:])


def _note_nodes(vault) -> tuple[nx.MultiDiGraph, dict[str, str]]:
    """A graph of the vault's notes, no edges, years not yet set; and each note's node id by path."""
    G = nx.MultiDiGraph()
    ids = {note.path: node_id(note.path) for note in vault.notes}
    # as `G.add_nodes_from` would add them, but keeping each data dict as made (networkx copies it)
    for note in vault.notes:
        node = ids[note.path]
        G._succ[node] = {}
        G._pred[node] = {}
        G._node[node] = _note_data(note, sorted({tag.name for tag in note.tags}), None)
    return G, ids


def _link_graph(vault, resolutions: tuple[Resolution, ...], noted: tuple[nx.MultiDiGraph, dict[str, str]]
                ) -> tuple[nx.MultiDiGraph, dict[str, str]]:
    """`noted`'s graph of the notes (see `_note_nodes`) with the files, missing targets and
    links added, years not yet set; and the missing nodes (case-folded name -> node id)."""
    G, ids = noted
    missing: dict[str, str] = {}
    files = set(vault.files)

    # Each edge goes in as `G.add_edges_from` would put it (keyed 0, 1, ... per node pair), at
    # a third of its cost: networkx adds each edge through `add_edge` (a key search, a fresh
    # attribute dict, a cache clear), about 5 µs an edge, and a 10,000-note vault has 200,000
    # links. The data dicts are stored as made, not copied. Both ends are nodes by then: the
    # source a note, the target added just above.
    succ, pred = G._succ, G._pred
    written_in = None       # a note's links come together: its node and successors are looked up once
    for r in resolutions:
        status = r.status
        if status == "self":
            continue
        link = r.link
        path = r.target
        if path is None:
            target = _missing_node(G, missing, link.target)
        else:
            target = ids.get(path)
            if target is None:
                target = node_id(path)
                if path in files and target not in G:
                    G.add_node(target, kind="file", title=posixpath.basename(path), path=path)
        if r.source is not written_in:
            written_in = r.source
            source = ids[written_in]
            successors = succ[source]
        keydict = successors.get(target)
        if keydict is None:
            keydict = successors[target] = pred[target][source] = {}
        keydict[len(keydict)] = _link_data("embed" if link.embed else "link", link.line, status,
                                           link.context, link.key, link.label, link.heading, link.block)
    nx._clear_cache(G)
    return G, missing


def _missing_node(G: nx.MultiDiGraph, missing: dict[str, str], name: str) -> str:
    """The node of a target no note or file answers: one per name, case aside."""
    key = name.casefold()
    found = missing.get(key)
    if found is None:
        found = missing[key] = name
        if found in G:  # a name clashing with a note or file id keeps both apart
            found = missing[key] = f"{name} (missing)"
        G.add_node(found, kind="missing", title=name, path=None, year=None)
    return found


def _add_lineage(G: nx.MultiDiGraph, missing: dict[str, str], lineage: Lineage) -> None:
    """Lineage edges (one per pair, at its first statement) and the years of notes and missing nodes."""
    nodes = G._node
    succ, pred = G._succ, G._pred
    # as the links went in (see `_link_graph`): through a generator and a loader checking
    # both ends, the 44,563 pairs of 10,000 notes took 365 million instructions, so 309
    for before, after, file, line, evidence, count in lineage.pairs:
        if before not in nodes:
            before = _missing_node(G, missing, before)
        if after not in nodes:
            after = _missing_node(G, missing, after)
        keydict = succ[before].get(after)
        if keydict is None:
            keydict = succ[before][after] = pred[after][before] = {}
        keydict[len(keydict)] = _LineageData(line, file, evidence, count).__dict__
    nx._clear_cache(G)
    years = lineage.years
    for node, stated in years.items():
        data = nodes.get(node)
        if data is not None and data["kind"] == "note":
            data["year"] = stated.year
    for node in missing.values():
        stated = years.get(nodes[node]["title"])
        if stated is not None:
            nodes[node]["year"] = stated.year


def backlinks(G: nx.MultiDiGraph, node: str) -> list[tuple[str, int, str]]:
    """(source, line, context) of every link or embed into `node`, by source and line."""
    found = [(source, data["line"], data.get("context", ""))
             for source, _, data in G.in_edges(node, data=True) if data["kind"] in ("link", "embed")]
    return sorted(found)


def orphans(G: nx.MultiDiGraph) -> list[str]:
    """Notes no link or embed reaches and that link to nothing (lineage edges do not count)."""
    linked = set()
    for source, target, kind in G.edges(data="kind"):
        if kind in ("link", "embed"):
            linked.update((source, target))
    return sorted(n for n, kind in G.nodes(data="kind") if kind == "note" and n not in linked)


def dangling(G: nx.MultiDiGraph) -> list[tuple[str, int, str]]:
    """(source, line, missing target) of every link or embed that reaches no note or file."""
    found = [(source, data["line"], target) for source, target, data in G.edges(data=True)
             if data["kind"] in ("link", "embed") and G.nodes[target]["kind"] == "missing"]
    return sorted(found)


def to_json(G: nx.MultiDiGraph) -> dict[str, Any]:
    """networkx node-link data. The multigraph's own edge key goes in "edge_key", because
    "key" is the frontmatter key a link stands in; `from_json` reads it back."""
    return nx.node_link_data(G, edges="links", key="edge_key")


def from_json(data: dict[str, Any]) -> nx.MultiDiGraph:
    """The graph `to_json` wrote. (`nx.node_link_graph` cannot: it passes every edge attribute
    as a keyword to `add_edge`, where "key" names the edge key.)"""
    G = nx.MultiDiGraph()
    G.add_nodes_from((node["id"], {k: v for k, v in node.items() if k != "id"})
                     for node in data["nodes"])
    G.add_edges_from((link["source"], link["target"], link.get("edge_key"),
                      {k: v for k, v in link.items() if k not in ("source", "target", "edge_key")})
                     for link in data["links"])
    return G


def dumps(G: nx.MultiDiGraph, fmt: str) -> str:
    """The graph as text in one of FORMATS."""
    if fmt == "json":
        return json.dumps(to_json(G), indent=2, ensure_ascii=False, default=_json_default) + "\n"
    if fmt == "dot":
        return to_dot(G)
    writers: dict[str, Callable] = {"graphml": nx.generate_graphml, "gexf": nx.generate_gexf}
    if fmt not in writers:
        raise ValueError(f"unknown graph format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return "\n".join(writers[fmt](_scalar_copy(G))) + "\n"


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)


def _scalar_copy(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """GraphML and GEXF hold scalars only: lists and dicts become JSON text, None is left out.

    The edge attribute "key" is written as "frontmatter_key": both writers use "key" for the
    multigraph's own edge key.
    """
    H = nx.MultiDiGraph()
    for node, data in G.nodes(data=True):
        H.add_node(node, **{k: _scalar(v) for k, v in data.items() if v is not None})
    H.add_edges_from(
        (source, target, edge_key,
         {("frontmatter_key" if k == "key" else k): _scalar(v) for k, v in data.items() if v is not None})
        for source, target, edge_key, data in G.edges(keys=True, data=True))
    return H


def _dot_id(text: Any) -> str:
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


_DOT_NODE_ATTRS = ("kind", "title", "path", "year")
_DOT_EDGE_ATTRS = ("kind", "line", "key", "label", "status", "file")
_DOT_STYLE = {"missing": "style=dashed", "file": "shape=note"}


def to_dot(G: nx.MultiDiGraph) -> str:
    """Graphviz DOT, every identifier and value quoted (names carry spaces, quotes, slashes)."""
    lines = ["digraph vault {"]
    for node, data in G.nodes(data=True):
        attrs = [f"{key}={_dot_id(data[key])}" for key in _DOT_NODE_ATTRS if data.get(key) is not None]
        attrs.append(f"label={_dot_id(data.get('title') or node)}")
        style = _DOT_STYLE.get(data.get("kind"))
        if style:
            attrs.append(style)
        lines.append(f"  {_dot_id(node)} [{', '.join(attrs)}];")
    for source, target, data in G.edges(data=True):
        attrs = [f"{key}={_dot_id(data[key])}" for key in _DOT_EDGE_ATTRS if data.get(key) is not None]
        if data.get("kind") == "lineage":
            attrs.append("style=bold")
        lines.append(f"  {_dot_id(source)} -> {_dot_id(target)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
