"""`kb new TITLE`: write a new note from a template, then check it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kb.commands._common import DEFAULT_VAULT, vault_path

ORDER = 40


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "new", help="create a note from a template (never overwrites)",
        description="Write VAULT/TITLE.md from a template in the vault's style and check it. "
                    "With --model, the tables start out filled with the reference model's measured values. "
                    "Exit 0 when the note is written and none of its claims is contradicted, 1 when one is, "
                    "2 when it could not be written (bad title, existing note, template error) or checked.")
    parser.add_argument("title", metavar="TITLE", help="the note title, which becomes its file name")
    parser.add_argument("--model", metavar="ID",
                        help="fill the tables from this reference model and its family (see `kb models`)")
    parser.add_argument("--year", type=_year, metavar="YYYY", help="publication year")
    parser.add_argument("--predecessor", action="append", default=[], metavar="NOTE",
                        help="a note this architecture builds on (repeatable)")
    parser.add_argument("--tag", action="append", default=[], metavar="TAG",
                        help="a tag, with or without '#' (repeatable; default: architecture)")
    parser.add_argument("--template", type=Path, metavar="PATH",
                        help="a jinja2 template to use instead of VAULT/templates/note.md.j2 or the built-in one")
    parser.add_argument("--vault", default=DEFAULT_VAULT, metavar="DIR",
                        help=f"the vault to write into (default: {DEFAULT_VAULT}/)")
    parser.set_defaults(run=run)


def _year(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise argparse.ArgumentTypeError(f"expected a four-digit year such as 2015, found {text!r}")
    return int(text)


def run(args: argparse.Namespace) -> int:
    from kb.new import NoteRequest, create_note

    root = vault_path(args.vault)
    created = create_note(root, NoteRequest(
        title=args.title, model=args.model, year=args.year,
        predecessors=tuple(args.predecessor), tags=tuple(args.tag), template=args.template))
    for notice in created.notices:
        print(f"note: {notice}", file=sys.stderr)
    print(f"created {root / created.relpath} (template: {created.template})")
    return _check(root, created.relpath)


def _check(root: Path, relpath: str) -> int:
    """Run the fact-checker on the new note alone, with the rest of the vault as context."""
    from kb.check import check_vault
    from kb.report import to_text, use_colour
    from kb.vault import load_vault

    report = check_vault(load_vault(root), only=relpath)
    sys.stdout.write(to_text(report, colour=use_colour(sys.stdout)))
    return 1 if report.failed() else 0
