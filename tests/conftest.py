"""Suite-wide fixtures: every test gets its own cache folder, so no run sees another's cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    cache = tmp_path_factory.mktemp("kb-cache")
    monkeypatch.setenv("KB_CACHE_DIR", str(cache))
    return cache
