"""`kb links`: dangling, ambiguous and doubtful links, missing anchors and orphan notes."""

from __future__ import annotations

import argparse

from kb.commands._common import (add_format_argument, add_strict_argument, add_vault_argument,
                                 print_diagnostics, print_json, vault_path)

ORDER = 50


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "links", help="report dangling, ambiguous and doubtful links and orphan notes",
        description="Resolve every link as Obsidian does and report, at file:line, each link that "
                    "reaches no note (dangling), one of several notes (ambiguous), or a note only "
                    "by a lenient rule (doubtful: ignoring case, through an alias, ignoring "
                    "punctuation, or a path pointing elsewhere); headings and blocks a link names "
                    "but its target lacks; and notes with no links in or out (orphans).")
    add_vault_argument(parser)
    add_format_argument(parser)
    add_strict_argument(parser, "any link problem or orphan is found")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kb.graph import load_graph, orphans
    from kb.resolve import DOUBTFUL

    loaded = load_graph(vault_path(args.vault))
    vault, resolutions = loaded.vault, loaded.resolutions
    print_diagnostics(vault.diagnostics)
    report = {
        "dangling": [_entry(r, reason=True) for r in resolutions if r.status == "missing"],
        "ambiguous": [_entry(r, candidates=True, reason=True) for r in resolutions
                      if r.status == "ambiguous"],
        "orphans": orphans(loaded.graph),
        "doubtful": [{**_entry(r, candidates=True, reason=True), "status": r.status}
                     for r in resolutions if r.status in DOUBTFUL],
        "anchors": [_entry(r, reason=True) | {"heading": r.link.heading, "block": r.link.block}
                    for r in resolutions if r.anchor_found is False],
    }
    report["orphans"] = [_orphan_path(vault, node) for node in report["orphans"]]
    if args.format == "json":
        print_json(report)
    else:
        _print_text(report)
    findings = any(report.values())
    return 1 if args.strict and findings else 0


def _entry(r, *, candidates: bool = False, reason: bool = False) -> dict:
    entry = {"file": r.source, "line": r.link.line, "target": r.link.target}
    if candidates:
        entry["candidates"] = list(r.candidates)
    if reason:
        entry["reason"] = r.reason
    return entry


def _orphan_path(vault, node: str) -> str:
    return vault.note(node).path


_TITLES = {
    "dangling": "Dangling links (no such note or file)",
    "ambiguous": "Ambiguous links (several notes match; kb follows the first candidate)",
    "doubtful": "Doubtful links (matched only by a lenient rule)",
    "anchors": "Missing headings or blocks",
    "orphans": "Orphan notes (no links in or out)",
}


def _print_text(report: dict) -> None:
    printed = False
    for section in ("dangling", "ambiguous", "doubtful", "anchors", "orphans"):
        entries = report[section]
        if not entries:
            continue
        if printed:
            print()
        printed = True
        print(f"{_TITLES[section]}: {len(entries)}")
        for entry in entries:
            if section == "orphans":
                print(f"  {entry}")
            else:
                written = entry["target"]
                if section == "anchors":
                    written += f"#{entry['heading']}" if entry["heading"] else f"#^{entry['block']}"
                tag = f" ({entry['status']})" if section == "doubtful" else ""
                print(f"  {entry['file']}:{entry['line']}: [[{written}]]{tag}: {entry['reason']}")
    if not printed:
        print("No link problems and no orphan notes.")
