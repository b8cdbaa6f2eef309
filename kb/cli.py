"""The `kb` command line: one subcommand per module in `kb.commands`.

Exit codes, for every command: 0 clean; 1 findings (contradicted claims, or
anything `--strict` turns into a failure); 2 usage error or unusable input.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import os
import pkgutil
import sys
from typing import NoReturn

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


def run() -> NoReturn:
    """The `kb` command (`python -m kb` too): `main`, then `leave`."""
    leave(main())


def leave(code: int) -> NoReturn:
    """End the process with `code` without freeing its objects one by one.

    After a check of 10,000 notes millions of objects are alive, and the
    interpreter's own exit frees each of them: about a second, spent after
    the report is out. Exit handlers still run (they remove temporary folders
    and flush logs) and the output is flushed; then the process ends at once,
    as large Python services end their workers (`os._exit`).
    """
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe or stream: nothing more to write
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
