"""`kb check`: fact-check every number the notes state, and report link problems."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from pathlib import Path

from kb.commands._common import DEFAULT_VAULT, add_format_argument, add_strict_argument
from kb.errors import KbError

ORDER = 10


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check", help="fact-check the numbers notes state against reference models and papers",
        description="Read every claim the notes make (tables, inline fields, frontmatter), check each "
                    "against the measured reference models and published results, and report it as "
                    "verified, approximate, contradicted or unverifiable, with its evidence and "
                    "file:line. Link problems (as `kb links` finds them) are reported too. "
                    "Exit 1 when a claim is contradicted (with --strict: also approximate or "
                    "unverifiable), 0 otherwise.")
    parser.add_argument("path", nargs="?", default=DEFAULT_VAULT, metavar="PATH",
                        help=f"a vault folder, or one note to check (default: {DEFAULT_VAULT}/)")
    parser.add_argument("--vault", metavar="DIR", default=None,
                        help=f"when PATH is a note: the vault it belongs to, read for context "
                             f"(default: {DEFAULT_VAULT}/)")
    add_format_argument(parser)
    add_strict_argument(parser, "any claim is approximate or unverifiable")
    parser.add_argument("--watch", action="store_true",
                        help="keep running and re-check each note when it changes (Ctrl-C to stop)")
    parser.set_defaults(run=run)


def target(path: str, vault: str | None) -> tuple[Path, str | None]:
    """(vault root, the one note to report or None) for `kb check PATH [--vault DIR]`."""
    given = Path(path)
    if not given.exists():
        raise KbError(f"{path}: no such file or folder (expected a vault folder or a .md note)")
    if given.is_dir():
        if vault is not None:
            raise KbError(f"--vault {vault}: only used when PATH is a note, but {path} is a folder")
        return given, None
    if given.suffix.lower() != ".md":
        raise KbError(f"{path}: not a note (expected a .md file or a vault folder)")
    root = Path(vault if vault is not None else DEFAULT_VAULT)
    if not root.is_dir():
        raise KbError(f"{root}: no such folder (the vault {path} belongs to; give it with --vault DIR)")
    try:
        relative = given.resolve().relative_to(root.resolve())
    except ValueError:
        raise KbError(f"{path} is not inside the vault {root}/ (give the vault with --vault DIR)") from None
    return root, relative.as_posix()


def run(args: argparse.Namespace) -> int:
    from kb.check import check_vault, collector_paused, watch_vault
    from kb.report import json_text_parts, to_json, to_text, use_colour
    from kb.vault import load_vault

    root, only = target(args.path, args.vault)

    def show(report) -> None:
        if args.format == "json":
            # Indented for a person at a terminal; compact for a program, written by
            # kb.report directly (seconds faster than the json module on a large vault).
            if sys.stdout.isatty():
                sys.stdout.write(json.dumps(to_json(report), indent=2, ensure_ascii=False))
            else:
                parts = json_text_parts(report)
                for start in range(0, len(parts), 4096):    # in pieces of a megabyte or so
                    sys.stdout.write("".join(parts[start:start + 4096]))
            sys.stdout.write("\n")
        else:
            sys.stdout.write(to_text(report, colour=use_colour(sys.stdout)))
        sys.stdout.flush()

    if args.watch:
        print(f"watching {root}/ (Ctrl-C to stop)", file=sys.stderr)
        watch_vault(root, only=only, on_report=show)
        return 0
    with collector_paused():        # loading and rendering make many small objects too
        report = check_vault(load_vault(root), only=only)
        show(report)
        # Kept, not freed (the command ends next, see kb.cli.leave), and frozen: once the
        # collector resumes, its first pass would walk every object made meanwhile (a
        # quarter of a second on a large vault).
        gc.freeze()
    return 1 if report.failed(strict=args.strict) else 0
