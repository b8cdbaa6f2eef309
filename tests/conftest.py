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


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache folder of this test's own, empty at the start: for tests of the caches themselves."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("KB_CACHE_DIR", str(folder))
    return folder


def _garbled(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:]


DAMAGES = {
    "truncate": lambda data: data[: len(data) // 2],
    "garble": _garbled,
    "empty": lambda data: b"",
    "foreign": lambda data: b"\x80\x05N.",     # a valid pickle, but not a kb cache
}


@pytest.fixture
def damage():
    """`damage(path, how)` spoils a cache file as a crash, a bad disk or another program would:
    `how` is one of DAMAGES."""
    def spoil(path, how: str) -> None:
        path.write_bytes(DAMAGES[how](path.read_bytes()))

    return spoil
