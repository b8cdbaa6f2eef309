"""The `kb` command line: one subcommand per module in `kb.commands`.

Exit codes, for every command: 0 clean; 1 findings (contradicted claims, or
anything `--strict` turns into a failure); 2 usage error or unusable input.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import kb
from kb import commands
from kb.errors import KbError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb",
        description="Fact-check a vault of architecture notes and publish it as a site.",
    )
    parser.add_argument("--version", action="version", version=f"kb {kb.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Command modules import their heavy dependencies (torch, mkdocs) only when run,
    # so `kb --help` and a warm `kb check` stay fast.
    modules = [importlib.import_module(f"kb.commands.{info.name}")
               for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_")]
    for module in sorted(modules, key=lambda m: getattr(m, "ORDER", 100)):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except KbError as error:
        print(f"kb {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kb check | head` must not print a traceback
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
