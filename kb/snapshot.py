"""A snapshot of the stages after parsing, reused while nothing in the vault changes.

Index, link resolutions, lineage and graph are pure functions of the notes'
bytes, the vault's other files, kb's code and the model registry's names. A
run that finds all four as they were when the snapshot was written loads the
snapshot instead of recomputing them: on a 10,000-note vault resolving,
inferring the lineage and building the graph take about 1.7 s, loading them
about 0.4 s.

The snapshot has three sections, each written in parts as they are made: the
links (index and resolutions), which is all `kb check` needs and reads, the
lineage and the graph; a run that made only the links writes only the first.
The links section also serves a vault changed since, as long as nothing a
link's resolution reads of other notes changed (names, aliases, headings,
block ids, other files): only the changed notes' links are resolved again.

A snapshot is written only by a run whose notes all came from the parse
cache (`Vault.parsed == 0`), that is a vault unchanged since the run before:
while a user edits notes (`kb serve`, `kb check --watch`) every run would
write a snapshot no later run reads. So the first run after a change
recomputes, the second recomputes and writes, later ones load.

The file lives beside the parse cache (see `kb.cache`) and is checked as
that one is: a magic header, a fingerprint of everything the stages depend
on, and a sha256 of the payload. A snapshot that fails any check is ignored.
It is read section by section from the open file (`kb.cache.open_parts`), the
graph made as the file is read: at 50,000 notes the file is about 140 MB,
which would otherwise be held beside everything decoded from it.
"""

from __future__ import annotations

import hashlib
import marshal
import pickle
from array import array
from dataclasses import dataclass, fields
from itertools import chain, count, islice, repeat, takewhile
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple

from kb.cache import code_digest, listed, open_parts, vault_file, write_checked
from kb.resolve import Index, Resolution, index_of, index_tables

if TYPE_CHECKING:   # imported when a graph is read or written: `kb check` needs neither (nor networkx)
    import networkx as nx

    from kb.lineage import Lineage

_MAGIC = b"kb-graph-snapshot 6\n"
_SOURCES = ("vault.py", "resolve.py", "lineage.py", "graph.py", "snapshot.py", "diagnostics.py",
            "parse", "models/registry.py", "models/catalog.py")


@dataclass(frozen=True)
class Stages:
    """What the stages after parsing make of a vault; lineage and graph are None when only
    the links are served (see `load`)."""

    index: Index
    resolutions: tuple[Resolution, ...]
    lineage: Lineage | None = None
    graph: nx.MultiDiGraph | None = None


def load(vault, *, graph: bool = True) -> Stages | None:
    """What the snapshot holds for this vault as it is now, or None.

    All four stages when the snapshot is of this very vault and has the graph
    section (and `graph` is asked for); else the links alone. A snapshot of an
    earlier state of the vault serves the links too when what resolution reads
    of other notes is unchanged (see `_context`): unchanged notes' links are
    taken from it, changed notes' links resolved again.
    """
    # the file first: with none (a first run), the digest of every note is not worth taking
    checked = open_parts(_path(vault), _MAGIC) if _keyed(vault) else None
    if checked is None:
        return None
    key = _key(vault)
    with checked:
        try:
            sections = checked.parts
            links = _read_links(sections)
            if checked.key != key:
                found = _reuse_links(vault, links)
                return Stages(*found) if found is not None else None
            index, resolutions = _decode_links(vault, links)
            del links
            if graph and "graph" in sections:
                return Stages(index, resolutions, *_decode_graph(vault, sections))
            return Stages(index, resolutions)
        except Exception:  # a payload that passed the checksum yet fails: not trusted
            return None


def save(vault, index: Index, resolutions: tuple[Resolution, ...], lineage: Lineage | None = None,
         graph: nx.MultiDiGraph | None = None) -> None:
    """Write the snapshot when the vault is unchanged since the run before (see above): the
    links alone, or with lineage and graph."""
    if getattr(vault, "parsed", None) != 0:
        return
    key = _key(vault)
    if key is None:
        return
    # A large vault's sections are tens of megabytes each: each is written as soon as it is
    # made, then dropped (held together, at 50,000 notes they and what made them raised the
    # peak memory by about 150 MB), and read back one by one.
    sections = _encode_links(vault, index, resolutions)
    if lineage is not None and graph is not None:
        sections = chain(_encode_graph(vault, lineage, graph), sections)
    write_checked(_path(vault), _MAGIC, key, listed(sections))


def _path(vault) -> Path:
    return vault_file(vault.root, ".graph")


def _key(vault) -> bytes | None:
    """Digest of the notes' bytes, the other files, kb's code and the registry's names;
    None for a vault not read from disk through the parse cache."""
    if not _keyed(vault):
        return None
    digest = hashlib.sha256(_code_fingerprint())
    digest.update(marshal.dumps([(note.path, note.content_hash) for note in vault.notes]))
    digest.update(marshal.dumps(list(vault.files)))
    digest.update(marshal.dumps([str(d) for d in vault.diagnostics]))
    return digest.digest()


def _keyed(vault) -> bool:
    """Whether the vault was read from disk through the parse cache, every note's bytes hashed."""
    return getattr(vault, "use_cache", False) and all(note.content_hash for note in vault.notes)


def _code_fingerprint() -> bytes:
    """kb's version and the code of the stages; the registry's names (plugins may come and go)."""
    return code_digest(*_SOURCES, registry=True)


# --- encoding -------------------------------------------------------------------------------
#
# Marshal strings, but for the graph, which is pickled (node attributes hold frontmatter
# values of any YAML type; see `_encode_graph` for what it shares with the notes). A
# resolution's link is stored as its place among its note's links, so loaded resolutions
# hold the loaded notes' own Link objects.

_RESOLUTION_REST = tuple(f.name for f in fields(Resolution) if f.name not in ("source", "link"))
_LINE = attrgetter("line")


def _encode_links(vault, index: Index, resolutions: tuple[Resolution, ...]) -> Iterator[tuple[object, bytes]]:
    """The links' sections, each made once the one before is written (see `save`): the
    index's tables, the resolutions column by column, and what `_reuse_links` checks."""
    yield "index", marshal.dumps(index_tables(index))
    place = {note.path: k for k, note in enumerate(vault.notes)}
    # Resolutions come note by note (see resolve_vault): each note's run, for _reuse_links.
    runs = []
    # The resolutions as columns: each note's place and its link's place as arrays of ints,
    # the other fields a tuple each. Read back, a tuple per resolution would hold about
    # 100 MB at 50,000 notes beside the resolutions made of them.
    sources, links = array("i"), array("i")
    start = 0
    for k in range(1, len(resolutions) + 1):
        if k == len(resolutions) or resolutions[k].source != resolutions[start].source:
            note = vault.note(resolutions[start].source)
            runs.append((note.path, note.content_hash, start, k))
            link_place = {id(link): n for n, link in enumerate(note.links)}
            sources.extend(repeat(place[note.path], k - start))
            links.extend(link_place[id(r.link)] for r in resolutions[start:k])
            start = k
    yield ("resolutions", 0), sources.tobytes()
    yield ("resolutions", 1), links.tobytes()
    del sources, links
    for n, name in enumerate(_RESOLUTION_REST, 2):
        yield ("resolutions", n), marshal.dumps(tuple(map(attrgetter(name), resolutions)))
    yield "links", marshal.dumps((_code_fingerprint(), _context(vault), runs))


def _read_links(sections: dict) -> tuple:
    """The links' sections `_encode_links` wrote: (index tables, resolution columns, code
    fingerprint, context, runs)."""
    columns = [sections["resolutions", 0].read(), sections["resolutions", 1].read()]
    columns += (marshal.loads(sections["resolutions", n].read()) for n in range(2, 2 + len(_RESOLUTION_REST)))
    return (marshal.loads(sections["index"].read()), tuple(columns), *marshal.loads(sections["links"].read()))


def _columns(encoded_resolutions: tuple) -> tuple:
    """The stored resolutions' columns, the places as arrays."""
    sources, links = array("i"), array("i")
    sources.frombytes(encoded_resolutions[0])
    links.frombytes(encoded_resolutions[1])
    if not len(sources) == len(links) == len(encoded_resolutions[2]):
        raise ValueError("columns of different lengths")
    return (sources, links, *encoded_resolutions[2:])


def _decode_links(vault, encoded: tuple) -> tuple[Index, tuple[Resolution, ...]]:
    tables, encoded_resolutions, *_ = encoded
    notes = vault.notes
    index = index_of(notes, tables)
    paths = [note.path for note in notes]
    links = [note.links for note in notes]
    sources, places, targets, *rest = _columns(encoded_resolutions)
    path_of = {path: path for path in paths}       # a note's own path string, not a copy
    return index, tuple(map(Resolution, map(paths.__getitem__, sources), map(lambda n, k: links[n][k], sources, places),
                            map(path_of.get, targets, targets), *rest))


def _reuse_links(vault, encoded: tuple) -> tuple[Index, tuple[Resolution, ...]] | None:
    """The links of a vault changed since the snapshot: None unless what resolution reads of
    other notes is as it was; then unchanged notes' resolutions from the snapshot, the
    others resolved again, in resolve_vault's order."""
    from kb.resolve import resolve_link

    tables, encoded_resolutions, code, context, runs = encoded
    if code != _code_fingerprint() or context != _context(vault):
        return None
    index = index_of(vault.notes, tables)
    stored = {path: (content_hash, start, end) for path, content_hash, start, end in runs}
    _, places, *rest = _columns(encoded_resolutions)
    resolutions: list[Resolution] = []
    for note in sorted(vault.notes, key=attrgetter("path")):
        run = stored.get(note.path)
        links = note.links
        if run is not None and run[0] == note.content_hash:
            start, end = run[1], run[2]
            resolutions.extend(map(Resolution, repeat(note.path, end - start),
                                   map(links.__getitem__, places[start:end]), *(column[start:end] for column in rest)))
        else:
            resolutions.extend(resolve_link(index, link, note.path) for link in sorted(links, key=_LINE))
    return index, tuple(resolutions)


def _context(vault) -> bytes:
    """Everything resolving a link reads besides the note it is written in: every note's
    path, aliases, headings and block ids, and the vault's other files."""
    digest = hashlib.sha256()
    for note in vault.notes:       # note by note: the whole vault's would be tens of megabytes at once
        digest.update(marshal.dumps((note.path, list(note.aliases),
                                     [(h.level, h.text, h.anchor) for h in note.headings], list(note.blocks))))
    digest.update(marshal.dumps(list(vault.files)))
    return digest.digest()


# The graph is not pickled whole. A pickler remembers every object it has written, to write
# a shared one once (`_pred` shares `_succ`'s key dicts): at 50,000 notes, about a million,
# a table that took the peak memory of the run writing the snapshot from 998 to 1,031 MB.
# So the graph goes as its node ids (marshal), its adjacency as arrays of places in that
# list and among its pairs (see `_adjacency`), and its data: each note node's and edge's as
# a row of values (see `kb.graph.data_row`) in marshal parts of _ROWS_PER_PART rows, the
# few of another kind or shape pickled, in the order `_holders` gives. Loaded, each row is
# made again as a graph built from the notes makes it, a dict sharing its keys with the
# others (a pickled dict comes back with a table of keys of its own: about 200 MB more at
# 50,000 notes). A row leaves out what the notes hold, and `from_row` given the loaded
# notes sets it back: a note node's frontmatter (any YAML value) is its note's own dict,
# and a link's source line its link's own string, stored as the place of a link with that
# line among all the notes' links in path order. Making a dict of a row takes about
# 0.9 µs, unpickling one 0.4 µs: a graph of fewer than _EDGE_ROWS_FROM edges, whose memory
# is no concern, has its edges' data pickled (10,000 generated notes have 200,000 edges:
# 0.15 s less to load).

_ROWS_PER_PART = 1 << 14
_EDGE_ROWS_FROM = 500_000


def _holders(graph: nx.MultiDiGraph) -> Iterator[tuple[dict, object, object]]:
    """(dict, key, source node or None) of every node's and edge's data, in the order the
    snapshot keeps them: the nodes' (no source), then each node's out-edges'."""
    nodes = graph._node
    for node in nodes:
        yield nodes, node, None
    for source, neighbours in graph._succ.items():
        for keys in neighbours.values():
            for key in keys:
                yield keys, key, source


_RANK = object()    # a key briefly put in each pair's key dict by `_adjacency`


def _adjacency(graph: nx.MultiDiGraph, place: dict) -> list[tuple[object, bytes]]:
    """The adjacency as sections of arrays, in the graph's own orders (which backlinks and
    neighbour queries follow): the places of `_succ`'s nodes, their counts of successors,
    the successors' places, each pair's count of keys, and the keys (marshal); then the
    places of `_pred`'s nodes, their counts of predecessors, the predecessors' places and
    each pair's place among `_succ`'s pairs, whose key dict `_pred` shares."""
    succ_nodes, succ_degrees, successors, key_counts = array("i"), array("i"), array("i"), array("i")
    pred_nodes, pred_degrees, predecessors, pair_places = array("i"), array("i"), array("i"), array("i")
    first_pair = {}     # the place among the pairs in `_succ`'s order of each node's first pair
    keys: list = []
    try:
        for node, around in graph._succ.items():
            first_pair[node] = len(key_counts)
            succ_nodes.append(place[node])
            succ_degrees.append(len(around))
            successors.extend(map(place.__getitem__, around))
            for rank, node_keys in enumerate(around.values()):
                key_counts.append(len(node_keys))
                keys.extend(node_keys)
                # Each pair's rank, kept in its own key dict for the pass over `_pred` below
                # and taken out after: a table from pair to rank would hold 38 MB at 50,000
                # notes (576,499 pairs), near where the snapshot's peak memory is reached;
                # ranks are small shared ints.
                node_keys[_RANK] = rank
        for node, around in graph._pred.items():
            pred_nodes.append(place[node])
            pred_degrees.append(len(around))
            predecessors.extend(map(place.__getitem__, around))
            pair_places.extend(first_pair[predecessor] + node_keys[_RANK] for predecessor, node_keys in around.items())
    finally:
        for around in graph._succ.values():
            for node_keys in around.values():
                node_keys.pop(_RANK, None)
    columns = {"succ": (succ_nodes, succ_degrees, successors, key_counts),
               "pred": (pred_nodes, pred_degrees, predecessors, pair_places)}
    return [((label, n), column.tobytes()) for label, arrays in columns.items() for n, column in enumerate(arrays)] \
        + [("keys", marshal.dumps(keys))]


def _encode_graph(vault, lineage: Lineage, graph: nx.MultiDiGraph) -> Iterator[tuple[object, bytes]]:
    """The sections of rows (marshal, ("rows", k)), graph (node ids, adjacency, the data not
    in rows) and lineage (marshal), each made once the one before is written (see `save`)."""
    import networkx

    from kb.graph import data_row
    from kb.lineage import to_tuples
    from kb.resolve import node_id

    # A link's line is stored as the place of a link with that line among all the notes'
    # links: the places of one note's links at a time (a table of every link's line held
    # about 50 MB at 50,000 notes); the note's node is the source of its links' edges.
    first_link: dict[str, tuple[int, object]] = {}
    count_so_far = 0
    for note in vault.notes:
        first_link[node_id(note.path)] = (count_so_far, note)
        count_so_far += len(note.links)
    no_lines: dict[int, int] = {}

    def line_places(source) -> dict[int, int]:
        found = first_link.get(source)
        if found is None:
            return no_lines
        offset, note = found
        return {id(link.context): offset + k for k, link in enumerate(note.links)}

    # how many holders' data may be rows: a small graph's nodes' only (see above), else all.
    # The edges counted from the key dicts: networkx's number_of_edges, by way of every
    # node's degree, took three times as long (0.11 s at 10,000 notes).
    edge_count = sum(len(keys) for around in graph._succ.values() for keys in around.values())
    row_holders = len(graph._node) if edge_count < _EDGE_ROWS_FROM else None
    in_rows = bytearray()       # per holder: 1 its data is a row, 0 it is pickled
    pickled = []
    rows = []
    parts = count()
    places, places_of = no_lines, None
    for holder, key, source in islice(_holders(graph), row_holders):
        if source is not places_of:
            places, places_of = line_places(source), source
        data = holder[key]
        row = data_row(data, places)
        in_rows.append(row is not None)
        if row is None:
            pickled.append(data)
            continue
        rows.append(row)
        if len(rows) == _ROWS_PER_PART:
            yield ("rows", next(parts)), marshal.dumps(rows)
            rows = []
    yield ("rows", next(parts)), marshal.dumps(rows)
    del rows, places
    first_link.clear()      # its memory serves what is made next
    if row_holders is not None:     # a small graph's edges: pickled
        before = len(pickled)
        pickled.extend(holder[key] for holder, key, _ in islice(_holders(graph), row_holders, None))
        in_rows += bytes(len(pickled) - before)
    frames: list[bytes] = []       # pickled in frames of about 64 KB, not into one buffer grown by copying
    pickle.Pickler(_Frames(frames.append), pickle.HIGHEST_PROTOCOL).dump((graph.graph, pickled))
    del pickled
    yield "graph", frames
    del frames
    nodes = list(graph._node)
    yield "nodes", marshal.dumps(nodes)
    yield from _adjacency(graph, {node: k for k, node in enumerate(nodes)})
    del nodes
    yield "in rows", bytes(in_rows)
    del in_rows
    statements, *rest = to_tuples(lineage)
    yield "statements", statements      # marshal bytes already: not copied into the lineage's
    yield "lineage", marshal.dumps((rest, networkx.__version__))


class _Frames(NamedTuple):
    """A file for a pickler that keeps what it writes, frame by frame."""

    write: Callable[[bytes], object]


def _decode_graph(vault, sections: dict) -> tuple[Lineage, nx.MultiDiGraph]:
    import networkx

    from kb.graph import from_row
    from kb.lineage import from_tuples

    rest, version = marshal.loads(sections["lineage"].read())
    lineage_tuples = (sections["statements"].read(), *rest)
    if version != networkx.__version__:     # a graph of another networkx, whose insides may differ
        raise ValueError(f"graph written by networkx {version}")
    nodes = marshal.loads(sections["nodes"].read())
    shared = {node: node for node in nodes}
    shared.update((note.path, note.path) for note in vault.notes)
    lineage = from_tuples(lineage_tuples, shared)
    del lineage_tuples, rest, shared        # their memory serves the rows made next

    attributes, pickled = pickle.load(sections["graph"].stream())     # from the file as it goes
    lines = [link.context for note in vault.notes for link in note.links]
    notes = {note.path: note for note in vault.notes}
    rows = chain.from_iterable(marshal.loads(sections["rows", k].read())
                               for k in takewhile(lambda k: ("rows", k) in sections, count()))
    data = _data(sections["in rows"].read(), iter(pickled), map(from_row, rows, repeat(notes), repeat(lines)))
    node = dict(zip(nodes, islice(data, len(nodes))))
    # the pairs' key dicts, in `_succ`'s order, then each node's successors and predecessors
    keys = iter(marshal.loads(sections["keys"].read()))
    pairs = [{next(keys): next(data)} if key_count == 1 else dict(zip(islice(keys, key_count), islice(data, key_count)))
             for key_count in array("i", sections["succ", 3].read())]
    succ_places, degrees, successors = _adjacency_read(sections, "succ")
    succ_pairs = iter(pairs)
    successors = map(nodes.__getitem__, successors)
    succ = {source: dict(zip(islice(successors, degree), succ_pairs))
            for source, degree in zip(map(nodes.__getitem__, succ_places), degrees)}
    pred_places, degrees, predecessors = _adjacency_read(sections, "pred")
    pred_pairs = map(pairs.__getitem__, array("i", sections["pred", 3].read()))
    predecessors = map(nodes.__getitem__, predecessors)
    pred = {target: dict(zip(islice(predecessors, degree), islice(pred_pairs, degree)))
            for target, degree in zip(map(nodes.__getitem__, pred_places), degrees)}
    if len(node) != len(nodes) or len(succ) != len(nodes) or len(pred) != len(nodes) or any(
            next(left, None) is not None for left in (data, keys, successors, succ_pairs, predecessors, pred_pairs)):
        raise ValueError("the graph's data and adjacency do not fit")
    graph = networkx.MultiDiGraph()
    graph.graph = attributes
    graph._node = node
    graph._adj = graph._succ = succ
    graph._pred = pred
    return lineage, graph


def _data(in_rows: bytes, pickled: Iterator[dict], made: Iterator[dict]) -> Iterator[dict]:
    """Every holder's data in `_holders` order, from the rows made again or the pickled.
    A generator: one that runs out early raises rather than ends the others quietly."""
    for from_rows in in_rows:
        yield next(made) if from_rows else next(pickled)


def _adjacency_read(sections: dict, label: str) -> tuple[array, array, array]:
    """The places of `_succ`'s or `_pred`'s nodes, in order, their degrees and their
    neighbours' places, as `_adjacency` wrote them."""
    return tuple(array("i", sections[label, n].read()) for n in range(3))
