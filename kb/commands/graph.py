"""`kb graph`: the vault's notes, links and lineage as a graph file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kb.commands._common import add_vault_argument, print_diagnostics, vault_path

ORDER = 70
_FORMATS = ("json", "graphml", "gexf", "dot")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "graph", help="write the vault's graph (JSON, GraphML, GEXF or DOT)",
        description="Write the graph of the vault: notes, linked files and missing targets as "
                    "nodes; links, embeds and lineage (predecessor -> successor) as edges. JSON is "
                    "networkx node-link data; GraphML and GEXF carry lists and mappings as JSON "
                    "text; DOT is for Graphviz.")
    add_vault_argument(parser)
    parser.add_argument("--format", choices=_FORMATS, default="json",
                        help="output format (default: json)")
    parser.add_argument("-o", "--output", metavar="FILE", type=Path,
                        help="write to FILE (atomically) instead of standard output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kb import atomic
    from kb.graph import dumps, load_graph

    loaded = load_graph(vault_path(args.vault))
    print_diagnostics(loaded.vault.diagnostics + loaded.lineage.diagnostics)
    text = dumps(loaded.graph, args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        atomic.write_text(args.output, text)
    return 0
