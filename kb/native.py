"""Whether kb.parse runs compiled, and the sources imported in its place when it may not.

setup.py compiles the parser's modules with mypyc, beside their sources, and
records the sha256 of each source in the generated module `kb._built_from`,
compiled with them. Python imports an extension module in preference to a
source of the same name, so a source edited after the build (or changed by a
checkout) would be silently ignored. `use_current_parser`, called as kb is
imported, checks the sources against that record and, when any differs or
KB_PURE_PYTHON is set, has kb.parse's modules imported from their sources.
Hashing them takes well under a millisecond.
"""

from __future__ import annotations

import hashlib
import importlib.machinery as machinery
import os
import sys
from importlib.abc import MetaPathFinder

PACKAGE = os.path.dirname(os.path.abspath(__file__))
PARSE = os.path.join(PACKAGE, "parse")
COMPILED_SUFFIXES = tuple(machinery.EXTENSION_SUFFIXES)

# Set by `use_current_parser`: whether kb.parse runs compiled, and why not when it was
# compiled but runs from its sources.
compiled = False
not_compiled_because: str | None = None


def source_hashes(names) -> dict[str, str]:
    """The sha256 of each of kb.parse's modules `names` (e.g. "scan") as its source is now."""
    hashes = {}
    for name in names:
        try:
            with open(os.path.join(PARSE, name + ".py"), "rb") as handle:
                hashes[name] = hashlib.sha256(handle.read()).hexdigest()
        except OSError:
            hashes[name] = ""
    return hashes


def _compiled_modules() -> list[str]:
    """kb.parse's modules that have a compiled form beside their source."""
    try:
        names = os.listdir(PARSE)
    except OSError:
        return []
    return sorted(name.split(".", 1)[0] for name in names if name.endswith(COMPILED_SUFFIXES))


def _stale(built: dict[str, str], present: list[str]) -> str | None:
    """Why compiled modules built from the sources `built` may not run now, or None."""
    if any(name not in built for name in present):
        return f"kb/parse/{next(n for n in present if n not in built)} was compiled by another build"
    now = source_hashes(built)
    changed = [name for name, digest in built.items() if now[name] != digest]
    if changed:
        return f"kb/parse/{changed[0]}.py changed after the parser was compiled"
    return None


class _FromSources(MetaPathFinder):
    """Finds kb.parse's modules as sources (or their bytecode), compiled ones beside them notwithstanding."""

    def __init__(self) -> None:
        self._finder = machinery.FileFinder(
            PARSE, (machinery.SourceFileLoader, machinery.SOURCE_SUFFIXES),
            (machinery.SourcelessFileLoader, machinery.BYTECODE_SUFFIXES))

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith("kb.parse.") and fullname.count(".") == 2:
            return self._finder.find_spec(fullname, target)
        return None


def use_current_parser() -> None:
    """Run kb.parse compiled only where that is what its sources say (see above); otherwise
    import it from its sources, saying why on stderr once when it was compiled."""
    global compiled, not_compiled_because
    present = _compiled_modules()
    if not present:
        return                          # installed uncompiled: the sources are all there is
    reason = None
    if os.environ.get("KB_PURE_PYTHON"):
        reason = "KB_PURE_PYTHON is set"
    else:
        try:
            from kb import _built_from
        except ImportError:
            reason = "the record of the sources it was built from is missing"
        else:
            if not getattr(_built_from, "__file__", "").endswith(COMPILED_SUFFIXES):
                reason = "the record of the sources it was built from is not the compiled one"
            else:
                reason = _stale(_built_from.SOURCES, present)
    if reason is None:
        compiled = True
        return
    not_compiled_because = reason
    if "kb.parse" not in sys.modules:
        sys.meta_path.insert(0, _FromSources())
    if not os.environ.get("KB_PURE_PYTHON"):
        sys.stderr.write(f"kb: {reason}; parsing with the uncompiled sources, which is slower. "
                         "Reinstall kb to compile them again (make install, or pip install -e .)\n")
