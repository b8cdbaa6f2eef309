"""The graph snapshot: reused only while nothing changed, equal to what the stages compute."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

import kb.snapshot
from kb.graph import dumps, vault_graph
from kb.resolve import build_index, index_tables, resolve_vault
from kb.vault import load_vault

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def computed(monkeypatch):
    """How many times the lineage and graph were really made (rather than read from a snapshot)."""
    runs = []
    real = kb.graph.infer_lineage

    def counting(vault, *args):
        runs.append(vault.root)
        return real(vault, *args)

    monkeypatch.setattr(kb.graph, "infer_lineage", counting)
    return runs


def same_stages(a, b) -> None:
    assert a.resolutions == b.resolutions
    assert a.lineage == b.lineage
    assert nx.utils.edges_equal(a.graph.edges(keys=True, data=True), b.graph.edges(keys=True, data=True))
    assert list(a.graph.nodes(data=True)) == list(b.graph.nodes(data=True))
    assert dumps(a.graph, "json") == dumps(b.graph, "json")
    # the same orders, which backlinks and neighbour queries follow: each node's successors
    # and predecessors, each pair's keys, and the data each key holds
    for adjacency in ("_succ", "_pred"):
        assert [(node, [(other, list(keys.items())) for other, keys in around.items()])
                for node, around in getattr(a.graph, adjacency).items()] == \
               [(node, [(other, list(keys.items())) for other, keys in around.items()])
                for node, around in getattr(b.graph, adjacency).items()]
    assert all(a.graph._pred[v][u] is keys for u, around in a.graph._succ.items() for v, keys in around.items())
    assert a.graph.graph == b.graph.graph
    assert index_tables(a.index) == index_tables(b.index)


@pytest.mark.parametrize("edge_rows", [False, True], ids=["edges-pickled", "edges-as-rows"])
@pytest.mark.parametrize("root", [REPO / "notes", REPO / "tests" / "vaults" / "lineage"], ids=lambda p: p.name)
def test_unchanged_vault_is_served_from_the_snapshot_equal_to_the_stages(root, cache, computed, edge_rows, monkeypatch):
    if edge_rows:       # as for a large vault's graph, its rows in several parts
        monkeypatch.setattr(kb.snapshot, "_EDGE_ROWS_FROM", 0)
        monkeypatch.setattr(kb.snapshot, "_ROWS_PER_PART", 7)
    fresh = vault_graph(load_vault(root, use_cache=False))
    vault_graph(load_vault(root))              # notes parsed: no snapshot yet
    assert not list(cache.glob("parse/*.graph"))
    written = vault_graph(load_vault(root))    # nothing changed since: writes it
    assert list(cache.glob("parse/*.graph"))
    assert len(computed) == 3
    same_stages(written, fresh)                # and leaves the graph it wrote as it was
    third = load_vault(root)
    served = vault_graph(third)
    assert len(computed) == 3                  # loaded, not computed
    same_stages(served, fresh)
    # the served resolutions and graph hold this load's own notes, not copies
    note = third.notes[0]
    assert all(any(r.link is link for r in served.resolutions) for link in note.links)
    assert served.graph.nodes[note.path[:-3]]["frontmatter"] is note.frontmatter
    if edge_rows:       # and its links' own lines
        lines = [data["context"] for *_, data in served.graph.out_edges(note.path[:-3], data=True) if "context" in data]
        assert lines and all(any(line is link.context for link in note.links) for line in lines)


def test_a_snapshot_write_that_fails_half_way_leaves_the_graph_whole(tmp_path, cache, monkeypatch):
    import kb.atomic

    monkeypatch.setattr(kb.snapshot, "_EDGE_ROWS_FROM", 0)
    monkeypatch.setattr(kb.snapshot, "_ROWS_PER_PART", 3)
    root = REPO / "notes"
    fresh = vault_graph(load_vault(root, use_cache=False))
    vault_graph(load_vault(root))       # notes parsed: the next run writes the snapshot

    def disk_full(path, parts, **_):
        for _, part in zip(range(4), parts):    # a few parts written: the graph's data are being replaced
            pass
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kb.atomic, "write_parts", disk_full)
    written = vault_graph(load_vault(root))
    assert not list(cache.glob("parse/*.graph"))
    same_stages(written, fresh)         # every node's and edge's data back in place


def test_encoding_the_adjacency_leaves_the_graph_as_it_was_even_when_it_fails():
    graph = nx.MultiDiGraph([("a", "b"), ("a", "b"), ("b", "c"), ("c", "a")])
    before = [(u, v, list(keys)) for u, around in graph._succ.items() for v, keys in around.items()]
    with pytest.raises(KeyError):       # "c" has no place: the pass stops half-way through
        kb.snapshot._adjacency(graph, {"a": 0, "b": 1})
    assert [(u, v, list(keys)) for u, around in graph._succ.items() for v, keys in around.items()] == before


def write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8")


def snapshot_ready(root: Path) -> None:
    for _ in range(2):
        vault_graph(load_vault(root))


def test_a_changed_note_or_file_is_never_served_from_an_old_snapshot(tmp_path, cache, computed):
    root = tmp_path / "v"
    root.mkdir()
    write(root, "A.md", "See [[B]] and ![[fig.png]].\n")
    write(root, "B.md", "---\naliases: [Bee]\n---\n- [[A]] — predecessor\n")
    snapshot_ready(root)
    write(root, "C.md", "[[Bee]]\n")
    changed = vault_graph(load_vault(root))
    assert changed.graph.has_edge("C", "B")
    assert [r.status for r in changed.resolutions if r.source == "C.md"] == ["alias"]

    snapshot_ready(root)
    assert vault_graph(load_vault(root)).graph.nodes["fig.png"]["kind"] == "missing"
    runs = len(computed)
    (root / "fig.png").write_bytes(b"\x89PNG")   # not a note, yet it changes where a link leads
    loaded = vault_graph(load_vault(root))
    assert loaded.graph.nodes["fig.png"]["kind"] == "file"
    assert len(computed) == runs + 1             # parse cache warm, snapshot stale: computed again
    assert vault_graph(load_vault(root)).graph.nodes["fig.png"]["kind"] == "file"
    assert len(computed) == runs + 1             # and the new snapshot serves the next run


@pytest.mark.parametrize("how", ["truncate", "garble", "foreign"])
def test_damaged_snapshot_is_ignored(tmp_path, cache, computed, damage, how):
    root = REPO / "tests" / "vaults" / "lineage"
    fresh = vault_graph(load_vault(root, use_cache=False))
    snapshot_ready(root)
    [snapshot] = cache.glob("parse/*.graph")
    damage(snapshot, how)
    runs = len(computed)
    same_stages(vault_graph(load_vault(root)), fresh)
    assert len(computed) == runs + 1


def test_vault_read_without_the_cache_neither_reads_nor_writes_a_snapshot(tmp_path, cache, computed):
    root = REPO / "tests" / "vaults" / "lineage"
    snapshot_ready(root)
    runs = len(computed)
    vault_graph(load_vault(root, use_cache=False))
    assert len(computed) == runs + 1


def test_links_section_alone_serves_the_links_and_not_the_graph(tmp_path, cache, computed):
    root = REPO / "tests" / "vaults" / "lineage"
    fresh = vault_graph(load_vault(root, use_cache=False))
    load_vault(root)
    vault = load_vault(root)                   # nothing parsed: a snapshot may be written
    index = build_index(vault)
    kb.snapshot.save(vault, index, resolve_vault(vault, index))
    again = load_vault(root)
    served = kb.snapshot.load(again, graph=False)
    resolutions = served.resolutions
    assert resolutions == fresh.resolutions
    assert all(r.link is link for r, link in zip(resolutions, (l for n in again.notes for l in n.links)))
    assert kb.snapshot.load(again).graph is None   # no graph section: vault_graph computes it
    runs = len(computed)
    same_stages(vault_graph(again), fresh)
    assert len(computed) == runs + 1


def test_vault_links_come_from_the_snapshot_once_the_vault_is_unchanged(tmp_path, cache, monkeypatch):
    from kb import resolve

    root = REPO / "notes"
    fresh_index = resolve.build_index(load_vault(root, use_cache=False))
    fresh = resolve.resolve_vault(load_vault(root, use_cache=False), fresh_index)
    resolved = []
    real = resolve.resolve_vault
    monkeypatch.setattr(resolve, "resolve_vault", lambda *args: resolved.append(1) or real(*args))
    for _ in range(3):
        index, resolutions = resolve.vault_links(load_vault(root))
        assert [(r.source, r.link.line, r.target, r.status) for r in resolutions] == \
            [(r.source, r.link.line, r.target, r.status) for r in fresh]
    assert len(resolved) == 2                  # parsed, then unchanged (writes it), then loaded


def links_of(resolutions) -> list[tuple]:
    return [(r.source, r.link.line, r.link.target, r.target, r.status, r.candidates, r.reason, r.anchor_found)
            for r in resolutions]


def test_an_earlier_snapshot_serves_unchanged_notes_links_when_no_name_or_heading_changed(
        tmp_path, cache, monkeypatch):
    from kb import resolve

    root = tmp_path / "v"
    root.mkdir()
    write(root, "A.md", "# A\n\nSee [[B#Facts]] and [[C]].\n")
    write(root, "B.md", "---\naliases: [Bee]\n---\n# Facts\n\n| Model | Layers |\n|---|---|\n| [[A]] | 8 |\n")
    write(root, "C.md", "[[Bee]] and [[Nowhere]]\n")
    snapshot_ready(root)
    resolved_again = []
    real = resolve.resolve_link
    monkeypatch.setattr(resolve, "resolve_link", lambda index, link, source=None:
                        resolved_again.append(source) or real(index, link, source))

    # a table edited: nothing another note's link reads changed
    write(root, "B.md", "---\naliases: [Bee]\n---\n# Facts\n\n| Model | Layers |\n|---|---|\n| [[A]] | 9 |\n"
                        "| [[C]] | 3 |\n")
    vault = load_vault(root)
    index, resolutions = resolve.vault_links(vault)
    assert set(resolved_again) == {"B.md"}
    fresh = resolve.resolve_vault(load_vault(root, use_cache=False))
    assert links_of(resolutions) == links_of(fresh)
    assert all(any(r.link is link for r in resolutions) for note in vault.notes for link in note.links)

    # a heading renamed: links into it from unchanged notes change, so all are resolved again
    snapshot_ready(root)
    resolved_again.clear()
    write(root, "B.md", "---\naliases: [Bee]\n---\n# Figures\n\n| Model | Layers |\n|---|---|\n| [[A]] | 9 |\n")
    index, resolutions = resolve.vault_links(load_vault(root))
    assert set(resolved_again) == {"A.md", "B.md", "C.md"}
    [into_b] = [r for r in resolutions if r.source == "A.md" and r.link.target == "B"]
    assert into_b.anchor_found is False
    assert links_of(resolutions) == links_of(resolve.resolve_vault(load_vault(root, use_cache=False)))
