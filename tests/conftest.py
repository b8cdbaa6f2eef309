"""Suite-wide set-up: the run uses a cache folder of its own, never the user's.

Tests that exercise cache behaviour itself point KB_CACHE_DIR at a fresh
tmp_path with monkeypatch.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("kb-cache")
    previous = os.environ.get("KB_CACHE_DIR")
    os.environ["KB_CACHE_DIR"] = str(cache)
    yield cache
    if previous is None:
        os.environ.pop("KB_CACHE_DIR", None)
    else:
        os.environ["KB_CACHE_DIR"] = previous
