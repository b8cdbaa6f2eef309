"""Lineage from tables, Related roles and frontmatter; years; cycles and dates out of order."""

from __future__ import annotations

import marshal
from collections import Counter
from pathlib import Path

import pytest

from kb.graph import build_graph
from kb.lineage import (ancestors, descendants, encoded_lineage, from_tuples, infer_lineage, statements_of, to_tuples,
                        timeline)
from kb.resolve import build_index, resolve_vault
from kb.vault import load_vault

FIXTURE = Path(__file__).parent / "vaults" / "lineage"
SEED = Path(__file__).parent.parent / "notes" / "ResNet.md"


def lineage_of(root: Path):
    vault = load_vault(root, use_cache=False)
    index = build_index(vault)
    resolutions = resolve_vault(vault, index)
    lineage = infer_lineage(vault, index)
    return lineage, build_graph(vault, resolutions, lineage=lineage, index=index)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def fixture_lineage():
    return lineage_of(FIXTURE)


def test_timeline_in_year_order_with_lineage_order_for_equal_years(fixture_lineage):
    _, G = fixture_lineage
    order = timeline(G)
    assert order == ["AlexNet", "VGGNet", "GoogLeNet", "ResNet", "Transformer"]
    assert [G.nodes[n]["year"] for n in order] == [2012, 2014, 2014, 2015, 2017]


def test_years_come_from_frontmatter_lineage_row_and_fact_table(fixture_lineage):
    lineage, _ = fixture_lineage
    how = {node: (stated.year, stated.evidence) for node, stated in lineage.years.items()}
    assert how["AlexNet"] == (2012, "frontmatter")
    assert how["ResNet"] == (2015, "lineage table")
    assert how["VGGNet"] == (2014, "fact table")
    assert how["GoogLeNet"] == (2014, "fact table")
    assert how["ImageNet"] == (2009, "frontmatter")


def test_frontmatter_statements_point_at_their_key_line(fixture_lineage):
    lineage, _ = fixture_lineage
    alexnet = lineage.years["AlexNet"]
    assert (alexnet.file, alexnet.line) == ("AlexNet.md", 4)                  # `year: 2012`
    [plain] = [e for e in lineage.edges if (e.predecessor, e.successor) == ("VGGNet", "GoogLeNet")
               and e.evidence == "frontmatter"]
    assert (plain.file, plain.line) == ("GoogLeNet.md", 3)                    # `predecessors: VGG`


def test_every_kind_of_statement_makes_an_edge(fixture_lineage):
    lineage, _ = fixture_lineage
    stated = {(e.predecessor, e.successor, e.evidence, e.file) for e in lineage.edges}
    assert ("AlexNet", "VGGNet", "table", "ResNet.md") in stated
    assert ("GoogLeNet", "ResNet", "table", "ResNet.md") in stated
    assert ("AlexNet", "ResNet", "related", "ResNet.md") in stated        # "— predecessor"
    assert ("AlexNet", "VGGNet", "related", "AlexNet.md") in stated       # "— successor"
    assert ("ResNet", "Transformer", "frontmatter", "Transformer.md") in stated   # [[ResNet]]
    assert ("VGGNet", "GoogLeNet", "frontmatter", "GoogLeNet.md") in stated   # plain alias "VGG"
    assert not any("ImageNet" in (e.predecessor, e.successor) for e in lineage.edges)
    assert lineage.diagnostics == ()


def test_table_edge_points_at_the_successor_row(fixture_lineage):
    lineage, _ = fixture_lineage
    edge = next(e for e in lineage.edges if (e.predecessor, e.successor, e.evidence)
                == ("ResNet", "Transformer", "table"))
    line = (FIXTURE / "ResNet.md").read_text().splitlines()[edge.line - 1]
    assert "[[Transformer]]" in line


def test_ancestors_and_descendants_in_year_order(fixture_lineage):
    _, G = fixture_lineage
    assert ancestors(G, "ResNet") == ["AlexNet", "VGGNet", "GoogLeNet"]
    assert descendants(G, "ResNet") == ["Transformer"]
    assert ancestors(G, "AlexNet") == []
    assert ancestors(G, "ImageNet") == []


def test_seed_note_alone_gives_the_five_architectures_in_order(tmp_path):
    (tmp_path / "ResNet.md").write_bytes(SEED.read_bytes())
    lineage, G = lineage_of(tmp_path)
    titles = [G.nodes[n]["title"] for n in timeline(G)]
    years = [G.nodes[n]["year"] for n in timeline(G)]
    # Without notes for the others, their names come from the lineage table as written
    # (or the model registry's family name for a plain-text cell).
    assert titles[0] == "AlexNet" and titles[3:] == ["ResNet", "Transformer"]
    assert {t.casefold() for t in titles[1:3]} <= {"vggnet", "vgg", "googlenet"}
    assert years == [2012, 2014, 2014, 2015, 2017]
    assert lineage.diagnostics == ()


def test_cycle_is_reported_at_file_and_line(tmp_path):
    write(tmp_path, {
        "A.md": "---\nyear: 2010\nsuccessors: ['[[B]]']\n---\n",
        "B.md": "---\nyear: 2010\n---\n\n## Related\n\n- [[A]] — successor\n",
    })
    lineage, G = lineage_of(tmp_path)
    cycles = [d for d in lineage.diagnostics if d.code == "lineage-cycle"]
    assert len(cycles) == 1
    assert cycles[0].file == "A.md" and cycles[0].line == 3
    assert "A -> B -> A" in cycles[0].message or "B -> A -> B" in cycles[0].message
    assert sorted(timeline(G)) == ["A", "B"]   # a cycle still yields a timeline


def test_successor_dated_before_predecessor_is_reported(tmp_path):
    write(tmp_path, {
        "Old.md": "---\nyear: 2020\n---\n\n## Related\n\n- [[New]] — successor\n",
        "New.md": "---\nyear: 2015\n---\n",
    })
    lineage, _ = lineage_of(tmp_path)
    [finding] = lineage.diagnostics
    assert (finding.file, finding.line, finding.code) == ("Old.md", 7, "lineage-order")
    assert "New (2015) follows Old (2020)" in finding.message


def test_lineage_table_contradicting_a_notes_own_year(tmp_path):
    write(tmp_path, {
        "A.md": "---\nyear: 2012\n---\n",
        "B.md": ("| Year | Model |\n|---|---|\n| 2011 | [[A]] |\n| 2016 | **B** |\n"),
    })
    lineage, _ = lineage_of(tmp_path)
    [finding] = lineage.diagnostics
    assert (finding.file, finding.line, finding.code) == ("B.md", 3, "lineage-year")
    assert "dates A to 2011" in finding.message and "2012" in finding.message


def test_related_roles_are_read_in_any_case_and_as_whole_words(tmp_path):
    write(tmp_path, {
        "A.md": "",
        "B.md": "## Related\n\n- [[A]] (PREDECESSOR)\n- [[C]] — Successors\n- [[D]] — not a predecessorship\n",
        "C.md": "", "D.md": "",
    })
    lineage, _ = lineage_of(tmp_path)
    assert sorted((e.predecessor, e.successor, e.line) for e in lineage.edges) == [("A", "B", 3), ("B", "C", 4)]


def test_tables_without_year_or_architecture_column_are_not_lineage(tmp_path):
    write(tmp_path, {
        "A.md": "| Year | Value |\n|---|---|\n| 2012 | 8 |\n| 2014 | 19 |\n",
        "B.md": "| Model | Layers |\n|---|---|\n| [[A]] | 8 |\n| [[C]] | 19 |\n",
        "C.md": "- [[A]] — predecessor and successor\n",   # both roles on one line: no statement
    })
    lineage, _ = lineage_of(tmp_path)
    assert lineage.edges == ()


def test_a_name_two_notes_share_names_the_one_in_the_tables_own_folder(tmp_path):
    # The same cells, written in two folders that each hold a note named Block: each
    # table's Block is the Block beside it, as for links (see kb.resolve's tie-break).
    table = "| Year | Architecture |\n|---|---|\n| 2014 | {0} |\n| 2015 | {1} |\n"
    write(tmp_path, {
        "vision/Block.md": "# Block\n", "language/Block.md": "# Block\n",
        "vision/Stem.md": "# Stem\n", "language/Stem.md": "# Stem\n",
        "vision/Survey.md": table.format("Block", "[[Stem]]"),
        "language/Survey.md": table.format("Block", "[[Stem]]"),
        "vision/Later.md": table.format("[[Block]]", "Stem"),
        "language/Later.md": table.format("[[Block]]", "Stem"),
    })
    lineage, _ = lineage_of(tmp_path)
    pairs = {(e.file, e.predecessor, e.successor) for e in lineage.edges}
    assert pairs == {
        ("vision/Survey.md", "vision/Block", "vision/Stem"),
        ("language/Survey.md", "language/Block", "language/Stem"),
        ("vision/Later.md", "vision/Block", "vision/Stem"),
        ("language/Later.md", "language/Block", "language/Stem"),
    }


def test_plain_name_cells_name_notes_however_they_are_written(tmp_path):
    # Cells without links, written as names are: as the file name, in bold (the note's own
    # row), with formatting inside, by alias, as a name two folders share, not at all.
    rows = ["AlexNet", "Block", "VGG", "Res_Net", "**Survey**", "N/A", "Unknown Arch"]
    table = "| Year | Architecture |\n|---|---|\n" + "".join(
        f"| {year} | {name} |\n" for year, name in zip(range(2010, 2017), rows))
    write(tmp_path, {
        "AlexNet.md": "# AlexNet\n", "VGGNet.md": "---\naliases: [VGG]\n---\n", "ResNet.md": "# ResNet\n",
        "vision/Block.md": "# Block\n", "language/Block.md": "# Block\n",
        "vision/Survey.md": table, "language/Survey.md": table,
    })
    lineage, _ = lineage_of(tmp_path)
    for folder in ("vision", "language"):
        chain = [(e.predecessor, e.successor) for e in lineage.edges if e.file == f"{folder}/Survey.md"]
        assert chain == [("AlexNet", f"{folder}/Block"), (f"{folder}/Block", "VGGNet"), ("VGGNet", "ResNet"),
                         ("ResNet", f"{folder}/Survey"), (f"{folder}/Survey", "Unknown Arch")]


def test_a_cell_linking_into_its_own_note_names_that_note(tmp_path):
    table = "## Overview\n\n| Year | Architecture |\n|---|---|\n| 2012 | [[AlexNet]] |\n| 2015 | [[#Overview]] |\n"
    write(tmp_path, {"AlexNet.md": "# AlexNet\n", "ResNet.md": table, "VGGNet.md": table})
    lineage, _ = lineage_of(tmp_path)
    assert sorted((e.predecessor, e.successor) for e in lineage.edges) == [
        ("AlexNet", "ResNet"), ("AlexNet", "VGGNet")]


def across_processes(vault):
    """The lineage as the child that read half a vault infers it: from every note's
    statements, sent as bytes, and an index of the notes' names alone."""
    sent = marshal.loads(marshal.dumps([statements_of(note) for note in vault.notes]))
    return from_tuples(marshal.loads(encoded_lineage(sent, vault.files)))


def test_the_lineage_read_from_each_notes_statements_alone_is_the_lineage(tmp_path):
    table = "| Year | Architecture |\n|---|---|\n| 2014 | {0} |\n| 2015 | {1} |\n"
    write(tmp_path, {
        "vision/Block.md": "---\nyear: 2014\n---\n# Block\n", "language/Block.md": "# Block\n",
        "vision/Stem.md": "---\naliases: [Stem Net]\npredecessors: [Block]\n---\n# Stem\n",
        "vision/Survey.md": table.format("Block", "[[Stem Net]]"),
        "language/Survey.md": table.format("[[Block|the block]]", "[[diagram.png]]"),
        "Overview.md": "## Overview\n\n" + table.format("[[#Overview]]", "Block")
                       + "\n## Related\n\n- [[vision/Stem]] — successor\n- [[Gone]] — predecessor\n",
        "diagram.png": "",
    })
    for root in (FIXTURE, tmp_path):
        vault = load_vault(root, use_cache=False)
        assert across_processes(vault) == infer_lineage(vault)


def test_a_table_already_read_states_what_a_packed_one_does():
    packed = load_vault(FIXTURE, use_cache=False)
    read = load_vault(FIXTURE, use_cache=False)
    for note in read.notes:
        for table in note.tables:
            table.rows      # unpacks it
    assert [statements_of(note) for note in read.notes] == [statements_of(note) for note in packed.notes]
    assert any(tables for _, _, _, _, tables, _, _ in map(statements_of, packed.notes))


def test_each_pair_is_one_graph_edge_counting_its_statements(fixture_lineage):
    lineage, G = fixture_lineage
    stated = Counter((e.predecessor, e.successor) for e in lineage.edges)
    assert [(before, after) for before, after, *_ in lineage.pairs] == list(dict.fromkeys(
        (e.predecessor, e.successor) for e in lineage.edges))
    for before, after, file, line, evidence, count in lineage.pairs:
        first = next(e for e in lineage.edges if (e.predecessor, e.successor) == (before, after))
        assert (first.file, first.line, first.evidence) == (file, line, evidence)
        assert count == stated[(before, after)]
        [data] = [d for d in G.get_edge_data(before, after).values() if d["kind"] == "lineage"]
        assert (data["file"], data["line"], data["evidence"], data["statements"]) == (file, line, evidence, count)
    assert any(count > 1 for *_, count in lineage.pairs)


def test_a_lineage_whose_statements_were_read_encodes_as_one_never_read():
    # `to_tuples` writes the statements' columns from their records once they are read,
    # and `_inferred` writes them from tuples: both must give the same columns in the same order
    vault = load_vault(FIXTURE, use_cache=False)
    unread, read = infer_lineage(vault), infer_lineage(vault)
    assert read.edges                      # now records, no longer the inferred bytes
    (read_columns, *read_rest), (unread_columns, *unread_rest) = to_tuples(read), to_tuples(unread)
    assert marshal.loads(read_columns) == marshal.loads(unread_columns)
    assert read_rest == unread_rest
    assert from_tuples(to_tuples(read)) == unread
