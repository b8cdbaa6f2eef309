"""`kb lineage`: architectures in year order, or one note's ancestors and descendants."""

from __future__ import annotations

import argparse

from kb.commands._common import (add_format_argument, add_strict_argument, add_vault_argument,
                                 print_diagnostics, print_json, vault_path)
from kb.errors import KbError

ORDER = 60


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lineage", help="print the architectures in year order, or one note's lineage",
        description="Read which architecture came before which from the notes (lineage tables "
                    "with a Year column, 'predecessor'/'successor' roles in Related lists, "
                    "frontmatter predecessors:/successors:) and print the timeline; with NOTE, "
                    "print that note's ancestors and descendants in year order. Cycles and "
                    "successors dated before their predecessors are reported at file:line.")
    add_vault_argument(parser)
    parser.add_argument("note", nargs="?", metavar="NOTE",
                        help="a note name, path or alias (e.g. ResNet)")
    add_format_argument(parser)
    add_strict_argument(parser, "the lineage has a cycle, a date out of order or a year conflict")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kb.graph import load_graph
    from kb.lineage import ancestors, descendants, timeline
    from kb.resolve import node_id, resolve_name

    loaded = load_graph(vault_path(args.vault))
    vault, index, lineage, G = loaded.vault, loaded.index, loaded.lineage, loaded.graph
    print_diagnostics(vault.diagnostics + lineage.diagnostics)

    if args.note is None:
        entries = [_entry(G, node) for node in timeline(G)]
        if args.format == "json":
            print_json({"timeline": entries, "edges": [_edge(e) for e in lineage.edges]})
        else:
            if entries:
                _print_entries(entries)
            else:
                print("No lineage statements found.")
    else:
        found = resolve_name(index, args.note)
        node = node_id(found.target) if found.target is not None else _named_node(G, args.note)
        if node is None:
            raise KbError(f"no note or architecture named {args.note!r} in {args.vault}")
        before, after = ancestors(G, node), descendants(G, node)
        if args.format == "json":
            print_json({"note": _entry(G, node), "ancestors": [_entry(G, n) for n in before],
                        "descendants": [_entry(G, n) for n in after]})
        else:
            _print_entries([_entry(G, n) for n in before], "Ancestors")
            _print_entries([_entry(G, node)], "Architecture")
            _print_entries([_entry(G, n) for n in after], "Descendants")
    return 1 if args.strict and lineage.diagnostics else 0


def _named_node(G, name: str) -> str | None:
    """An architecture without a note (a lineage table's plain name), matched ignoring case."""
    for node, kind in G.nodes(data="kind"):
        if kind == "missing" and node.casefold() == name.casefold():
            return node
    return None


def _entry(G, node: str) -> dict:
    data = G.nodes[node]
    return {"id": node, "title": data.get("title", node), "year": data.get("year"),
            "kind": data["kind"], "path": data.get("path")}


def _edge(edge) -> dict:
    return {"predecessor": edge.predecessor, "successor": edge.successor, "file": edge.file,
            "line": edge.line, "evidence": edge.evidence}


def _print_entries(entries: list[dict], heading: str | None = None) -> None:
    if heading is not None:
        print(f"{heading}:" if entries else f"{heading}: none")
    width = max((len(e["title"]) for e in entries), default=0)
    for e in entries:
        year = str(e["year"]) if e["year"] is not None else "????"
        where = e["path"] if e["path"] else "(no note)"
        print(f"{'  ' if heading else ''}{year}  {e['title']:<{width}}  {where}")
