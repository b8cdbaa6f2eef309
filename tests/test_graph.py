"""The vault graph: nodes and edges, queries, and every export format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from kb.graph import (backlinks, build_graph, dangling, data_row, dumps, from_json, from_row, orphans,
                      to_dot, to_json)
from kb.resolve import resolve_vault
from kb.vault import load_vault

FIXTURE = Path(__file__).parent / "vaults" / "lineage"


@pytest.fixture(scope="module")
def G():
    vault = load_vault(FIXTURE, use_cache=False)
    return build_graph(vault, resolve_vault(vault))


def test_notes_missing_targets_and_linked_files_are_nodes(G):
    kinds = dict(G.nodes(data="kind"))
    assert kinds["ResNet"] == kinds["people/Yann"] == "note"
    assert kinds["Microsoft"] == kinds["Kaiming He"] == "missing"
    assert kinds["img/vgg.png"] == "file"
    assert "Not a link" not in kinds   # inside a code block
    resnet = G.nodes["ResNet"]
    assert resnet["path"] == "ResNet.md" and resnet["title"] == "ResNet"
    assert resnet["aliases"] == ["Residual Network", "ResNet-50"]
    assert resnet["tags"] == ["architecture", "concept"]
    assert resnet["year"] == 2015
    assert G.nodes["Transformer"]["frontmatter"]["year"] == 2017
    assert G.nodes["Microsoft"]["path"] is None


def test_edges_carry_kind_line_and_frontmatter_key(G):
    edges = {(u, v, d["kind"], d["line"], d.get("key")) for u, v, d in G.edges(data=True)
             if d["kind"] != "lineage"}
    assert ("ResNet", "Microsoft", "link", 6, None) in edges
    assert ("VGGNet", "img/vgg.png", "embed", 14, None) in edges
    assert ("Transformer", "ResNet", "link", 3, "predecessors") in edges
    assert ("Transformer", "ResNet", "link", 5, None) in edges   # through the alias
    lineage = {(u, v) for u, v, kind in G.edges(data="kind") if kind == "lineage"}
    assert ("AlexNet", "VGGNet") in lineage and ("ResNet", "Transformer") in lineage


def test_same_note_links_make_no_self_loops(tmp_path):
    (tmp_path / "A.md").write_text("# Top\n\nSee [[#Top]].\n", encoding="utf-8")
    vault = load_vault(tmp_path, use_cache=False)
    G = build_graph(vault, resolve_vault(vault))
    assert G.number_of_edges() == 0


def test_missing_targets_differing_in_case_share_one_node(tmp_path):
    (tmp_path / "A.md").write_text("[[Kaiming He]] and [[kaiming he]]\n", encoding="utf-8")
    vault = load_vault(tmp_path, use_cache=False)
    G = build_graph(vault, resolve_vault(vault))
    assert [n for n, k in G.nodes(data="kind") if k == "missing"] == ["Kaiming He"]
    assert G.number_of_edges("A", "Kaiming He") == 2


def test_backlinks_orphans_dangling(G):
    assert backlinks(G, "ImageNet") == [
        ("AlexNet", 8, "**AlexNet** won ILSVRC 2012; see [[ImageNet]]."),
        ("AlexNet", 13, "- [[ImageNet]] — benchmark"),
        ("ResNet", 25, "- [[ImageNet]] — benchmark"),
    ]
    assert orphans(G) == ["people/Yann"]
    assert dangling(G) == [("ResNet", 6, "Kaiming He"), ("ResNet", 6, "Microsoft")]


def test_json_is_node_link_data_with_id_kind_title_path(G):
    data = json.loads(dumps(G, "json"))
    assert data["directed"] and data["multigraph"]
    for node in data["nodes"]:
        assert {"id", "kind", "title", "path"} <= node.keys()
    assert any(link.get("key") == "predecessors" for link in data["links"])
    back = from_json(data)
    assert sorted(back.edges(keys=True)) == sorted(G.edges(keys=True))
    assert back.nodes["ResNet"]["aliases"] == G.nodes["ResNet"]["aliases"]
    assert to_json(G)["nodes"][0]["id"] == data["nodes"][0]["id"]


def test_json_survives_yaml_dates(tmp_path):
    (tmp_path / "A.md").write_text("---\ncreated: 2026-01-27\n---\nbody\n", encoding="utf-8")
    vault = load_vault(tmp_path, use_cache=False)
    data = json.loads(dumps(build_graph(vault, resolve_vault(vault)), "json"))
    assert data["nodes"][0]["frontmatter"] == {"created": "2026-01-27"}


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.parse_graphml), ("gexf", None)])
def test_graphml_and_gexf_round_trip_with_lists_as_text(G, fmt, reader):
    text = dumps(G, fmt)
    if reader is None:
        import io
        back = nx.read_gexf(io.BytesIO(text.encode()))
    else:
        back = reader(text)
    assert back.number_of_nodes() == G.number_of_nodes()
    assert back.number_of_edges() == G.number_of_edges()
    assert json.loads(back.nodes["ResNet"]["aliases"]) == ["Residual Network", "ResNet-50"]
    assert "predecessors" in {d.get("frontmatter_key") for _, _, d in back.edges(data=True)}


def test_dot_quotes_every_name(tmp_path):
    G = nx.MultiDiGraph()
    G.add_node('Nöte with "quotes"', kind="note", title='Nöte with "quotes"', path="x.md")
    G.add_node("back\\slash", kind="missing", title="back\\slash", path=None)
    G.add_edge('Nöte with "quotes"', "back\\slash", kind="link", line=3, key=None)
    text = to_dot(G)
    assert '"Nöte with \\"quotes\\"" -> "back\\\\slash" [kind="link", line="3"' in text
    assert text.startswith("digraph vault {") and text.rstrip().endswith("}")
    assert "style=dashed" in text


def test_unknown_format_is_refused(G):
    with pytest.raises(ValueError, match="unknown graph format"):
        dumps(G, "svg")


def test_graphml_is_well_formed_xml(G):
    ET.fromstring(dumps(G, "graphml"))


def test_the_graph_is_the_multigraph_networkx_builds(G):
    """kb puts links and lineage edges into the graph itself, not through `add_edges_from`: the
    same multigraph all the same (keys, data, views, queries)."""
    assert {"link", "lineage"} <= {kind for _, _, kind in G.edges(data="kind")}
    theirs = nx.MultiDiGraph()
    theirs.add_nodes_from(G.nodes(data=True))
    theirs.add_edges_from((u, v, dict(data)) for u, v, data in G.edges(data=True))
    assert list(G.edges(keys=True, data=True)) == list(theirs.edges(keys=True, data=True))
    assert sorted(G.in_edges(keys=True)) == sorted(theirs.in_edges(keys=True))
    assert nx.utils.graphs_equal(G, theirs)
    assert G.number_of_edges() == theirs.number_of_edges()
    for node in ("ResNet", "AlexNet"):
        assert sorted(backlinks(G, node)) == sorted(backlinks(theirs, node))


def test_every_note_node_and_edge_is_made_again_from_its_row(G):
    """The snapshot stores node and edge data as rows of values: each is made again equal, its
    attributes in the same order (JSON output keeps them), absent ones still absent."""
    data = [d for _, d in G.nodes(data=True) if d["kind"] == "note"] + [d for *_, d in G.edges(data=True)]
    assert {d["kind"] for d in data} == {"note", "link", "embed", "lineage"}
    assert any("heading" in d for d in data) and any("key" in d for d in data)
    for original in data:
        again = from_row(data_row(original))
        assert list(again.items()) == list(original.items())


def test_data_of_another_shape_has_no_row(G):
    """A node or edge given an attribute kb does not set, or a file or missing node, is kept
    as it is (pickled whole) rather than made again without it."""
    link = next(dict(d) for *_, d in G.edges(data=True) if d["kind"] == "link")
    assert data_row({**link, "weight": 2}) is None
    assert data_row({**link, "key": None}) is None
    assert data_row({k: v for k, v in link.items() if k != "status"}) is None
    note = next(dict(d) for _, d in G.nodes(data=True) if d["kind"] == "note")
    assert data_row({**note, "color": "red"}) is None
    assert all(data_row(d) is None for _, d in G.nodes(data=True) if d["kind"] in ("missing", "file"))
