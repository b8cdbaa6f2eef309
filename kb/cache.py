"""Where kb keeps what it can recompute: parse results and model measurements.

Caches live outside the vault (kb never writes into a user's notes folder):
`$KB_CACHE_DIR`, else `$XDG_CACHE_HOME/kb`, else `~/.cache/kb`. Every entry is
validated when read; a corrupt or stale entry is rebuilt, never trusted.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """The folder for one kind of cache ("parse", "models"), created on demand."""
    base = os.environ.get("KB_CACHE_DIR")
    if base:
        root = Path(base)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = Path(xdg) / "kb" if xdg else Path.home() / ".cache" / "kb"
    path = root / kind
    path.mkdir(parents=True, exist_ok=True)
    return path
