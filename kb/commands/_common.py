"""Arguments and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kb.errors import KbError

DEFAULT_VAULT = "notes"


def add_vault_argument(parser: argparse.ArgumentParser, *, nargs: str = "?") -> None:
    parser.add_argument("vault", nargs=nargs, default=DEFAULT_VAULT, metavar="VAULT",
                        help=f"folder of markdown notes (default: {DEFAULT_VAULT}/)")


def add_format_argument(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("text", "json"),
                        default: str = "text") -> None:
    parser.add_argument("--format", choices=choices, default=default,
                        help=f"output format (default: {default})")


def add_strict_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--strict", action="store_true", help=f"exit 1 when {what}")


def vault_path(value: str) -> Path:
    path = Path(value)
    if not path.exists():
        raise KbError(f"{value}: no such folder (expected a vault: a folder of .md notes)")
    if not path.is_dir():
        raise KbError(f"{value}: not a folder (expected a vault: a folder of .md notes)")
    return path


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def print_diagnostics(diagnostics) -> None:
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
