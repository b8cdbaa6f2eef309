"""The checked file format the per-vault caches share (kb.cache)."""

from __future__ import annotations

import pickle

import pytest

from kb.cache import _BATCH_BYTES, listed, open_parts, read_checked, read_listing, write_checked

MAGIC = b"kb-test\n"
KEY = bytes(range(32))


def write(path, parts: dict) -> None:
    write_checked(path, MAGIC, KEY, listed(parts.items()))


def test_open_parts_reads_each_part_as_read_checked_does(tmp_path):
    path = tmp_path / "file"
    graph = {"nodes": list(range(1000)), "name": "é" * 100}
    write(path, {"links": b"L" * 3000, ("note", 1): b"", "graph": pickle.dumps(graph)})
    whole = {label: bytes(part) for label, part in read_listing(read_checked(path, MAGIC)[1])}
    with open_parts(path, MAGIC) as opened:
        assert opened.key == KEY
        assert {label: part.read() for label, part in opened.parts.items()} == whole
        # a reader that takes what it needs reads a part from the file as it goes
        assert pickle.load(opened.parts["graph"].stream()) == graph
        assert opened.parts["links"].read() == b"L" * 3000     # parts read in any order, again


def test_open_parts_reads_a_listing_longer_than_its_first_block(tmp_path):
    path = tmp_path / "file"
    parts = {f"notes/{k:06d}-a-long-path-name.md": b"%d" % k for k in range(40_000)}
    write(path, parts)
    with open_parts(path, MAGIC) as opened:
        assert len(opened.parts) == len(parts)
        assert opened.parts["notes/039999-a-long-path-name.md"].read() == b"39999"


@pytest.mark.parametrize("how", ["truncate", "garble", "foreign"])
def test_open_parts_refuses_a_damaged_file(tmp_path, damage, how):
    path = tmp_path / "file"
    write(path, {"links": b"L" * 5000, "graph": b"G" * 5000})
    damage(path, how)
    assert open_parts(path, MAGIC) is None
    assert read_checked(path, MAGIC) is None


def test_open_parts_refuses_a_missing_file_or_another_kind(tmp_path):
    assert open_parts(tmp_path / "none", MAGIC) is None
    path = tmp_path / "file"
    write(path, {"links": b"L"})
    assert open_parts(path, b"kb-other\n") is None


def test_a_file_replaced_once_opened_is_never_mixed_in(tmp_path):
    path = tmp_path / "file"
    write(path, {"links": b"old links", "graph": b"old graph"})
    with open_parts(path, MAGIC) as opened:
        write(path, {"links": b"new links!", "graph": b"new graph!"})      # an atomic rename
        assert [part.read() for part in opened.parts.values()] == [b"old links", b"old graph"]
    with open_parts(path, MAGIC) as opened:
        assert opened.parts["graph"].read() == b"new graph!"


class Piece(bytearray):
    """A part that can say whether it is still held (bytes cannot be weakly referenced)."""


def _part(k: int, size: int) -> bytes:
    return (b"%06d" % k) * (size // 6)


def _written_as_made(path, count: int, size: int) -> tuple[int, list[bytes]]:
    """Write `count` parts of `size` bytes (a multiple of 6), each made only when the writer asks
    for it: the most bytes of parts made before and still held when one is made, and the parts
    read back."""
    import weakref

    made = []
    most_held = 0

    def make(k: int) -> Piece:
        nonlocal most_held
        most_held = max(most_held, sum(len(piece) for piece in (ref() for ref in made) if piece is not None))
        piece = Piece(_part(k, size))
        made.append(weakref.ref(piece))
        return piece

    write_checked(path, MAGIC, KEY, listed((("part", k), make(k)) for k in range(count)))
    with open_parts(path, MAGIC) as opened:
        return most_held, [part.read() for part in opened.parts.values()]


def test_large_parts_made_one_by_one_are_written_one_at_a_time(tmp_path):
    # by the time a part is made, every part made before it has been written and let go
    size = _BATCH_BYTES + 6 - _BATCH_BYTES % 6       # the least multiple of 6 above a batch
    most_held, parts = _written_as_made(tmp_path / "file", 5, size)
    assert most_held == 0
    assert parts == [_part(k, size) for k in range(5)]


def test_small_parts_are_held_a_batch_at_most(tmp_path):
    most_held, parts = _written_as_made(tmp_path / "file", 3000, 1002)
    assert most_held < _BATCH_BYTES
    assert parts == [_part(k, 1002) for k in range(3000)]


def test_a_part_may_come_in_pieces(tmp_path):
    path = tmp_path / "file"
    write_checked(path, MAGIC, KEY, listed([("graph", [b"abc", b"", b"defg"]), ("links", b"L")]))
    assert {label: bytes(part) for label, part in read_listing(read_checked(path, MAGIC)[1])} == \
        {"graph": b"abcdefg", "links": b"L"}


def test_a_write_that_fails_half_way_leaves_the_old_file(tmp_path):
    path = tmp_path / "file"
    write(path, {"links": b"old"})

    def sections():
        yield "links", b"new"
        raise OSError(28, "No space left on device")

    write_checked(path, MAGIC, KEY, listed(sections()))     # a cache not written costs time only
    assert read_listing(read_checked(path, MAGIC)[1])[0][1] == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file"]     # no temporary file left


def test_a_key_that_is_not_a_sha256_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="32 bytes"):
        write_checked(tmp_path / "file", MAGIC, b"short", b"payload")
    assert not list(tmp_path.iterdir())


def test_a_checked_file_is_not_forced_to_disk_a_users_file_is(tmp_path, monkeypatch):
    # A checked file cut short by a power cut fails its sha256 and is made again, so the run
    # writing one need not wait for the disk; any other file kb writes is on disk before it
    # takes its name.
    import os

    from kb import atomic

    forced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: forced.append(fd) or real_fsync(fd))
    write_checked(tmp_path / "cache", b"KB", bytes(32), b"payload")
    assert forced == [] and read_checked(tmp_path / "cache", b"KB", bytes(32))[1] == b"payload"
    atomic.write_text(tmp_path / "graph.json", "{}")
    assert len(forced) == 1 and (tmp_path / "graph.json").read_text() == "{}"
