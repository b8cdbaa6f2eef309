"""Where kb keeps what it can recompute: parse results and model measurements.

Caches live outside the vault (kb never writes into a user's notes folder):
`$KB_CACHE_DIR`, else `$XDG_CACHE_HOME/kb`, else `~/.cache/kb`. Every entry is
validated when read; a corrupt or stale entry is rebuilt, never trusted. The
per-vault caches (parse cache, graph snapshot, claims) share one checked file
format: a magic line, a key (what must match for the file to be reused), the
sha256 of the payload, the payload. A payload of many parts (each note of the
parse cache, each section of the snapshot) is the parts end to end, then a
listing of where each lies, then the listing's size (`listed`, `read_listing`):
written as they are made, never all held at once, and read back as views of the
file.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import pickle
import sys
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, NamedTuple


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


def vault_file(root: Path, suffix: str) -> Path:
    """The file of one vault's cache of one kind (".cache", ".graph", ".claims"), named by
    the vault's real path: kb never writes into the vault."""
    key = hashlib.sha256(os.fsencode(os.path.realpath(root))).hexdigest()[:24]
    return cache_dir("parse") / f"{key}{suffix}"


@functools.lru_cache(maxsize=None)
def _sources_digest(sources: tuple[str, ...]) -> bytes:
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for name in sources:
        for source in sorted((package / name).glob("*.py")) if (package / name).is_dir() else [package / name]:
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    return digest.digest()


def code_digest(*sources: str, registry: bool = False) -> bytes:
    """What must match for a cache to be reused: kb's version, Python's, the formats of
    marshal and pickle, the source of the named modules of kb (a folder: each module in
    it) and, with `registry`, the model registry's names (plugins may come and go)."""
    import kb

    digest = hashlib.sha256(f"{kb.__version__}|{sys.version_info[:3]}|{marshal.version}|"
                            f"{pickle.HIGHEST_PROTOCOL}".encode())
    digest.update(_sources_digest(sources))
    if registry:
        from kb.models import FAMILIES, MODELS

        digest.update(repr(sorted((f.id, f.name, f.aliases, f.variants) for f in FAMILIES.values())).encode())
        digest.update(repr(sorted((m.id, m.name, m.aliases, m.family) for m in MODELS.values())).encode())
    return digest.digest()


_DIGEST_SIZE = 32


def _header(data: bytes, magic: bytes) -> tuple[bytes, bytes] | None:
    """(key, sha256 of the payload) from the start of a file `write_checked` wrote, or None
    when it is not one of this kind (`magic`). The payload starts at `_header_size(magic)`."""
    size = _header_size(magic)
    if len(data) < size or not data.startswith(magic):
        return None
    return data[len(magic):size - _DIGEST_SIZE], data[size - _DIGEST_SIZE:size]


def _header_size(magic: bytes) -> int:
    return len(magic) + 2 * _DIGEST_SIZE


def read_checked(path: Path, magic: bytes, key: bytes | None = None) -> tuple[bytes, memoryview] | None:
    """(key, payload) of a file `write_checked` wrote, or None when it is missing, unreadable,
    of another kind (`magic`), damaged (its sha256), or, when `key` is given, written under
    another key."""
    try:
        # Read whole in one go: a file replaced meanwhile (by an atomic rename) is never
        # mixed with this one.
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    header = _header(data, magic)
    if header is None or (key is not None and header[0] != key):
        return None
    payload = memoryview(data)[_header_size(magic):]
    if hashlib.sha256(payload).digest() != header[1]:
        return None
    return header[0], payload


class Part(NamedTuple):
    """One part of a payload `listed` made, left in the file `open_parts` opened."""

    handle: BinaryIO
    start: int
    size: int

    def read(self) -> bytes:
        self.handle.seek(self.start)
        data = self.handle.read(self.size)
        if len(data) != self.size:
            raise ValueError("the file ends inside a part")
        return data

    def stream(self) -> BinaryIO:
        """The open file at the part's start: for a reader that takes what it needs (pickle)."""
        self.handle.seek(self.start)
        return self.handle


class OpenParts(NamedTuple):
    """A checked file's key and parts (label -> Part), read from its open file on demand."""

    key: bytes
    parts: dict[Any, Part]
    handle: BinaryIO

    def __enter__(self) -> OpenParts:
        return self

    def __exit__(self, *_) -> None:
        self.handle.close()


def open_parts(path: Path, magic: bytes) -> OpenParts | None:
    """The key and the parts of a file `write_checked` wrote with a `listed` payload, like
    `read_listing(read_checked(path, magic)[1])`, but each part read only when asked for and
    the file never held whole: a large vault's snapshot is hundreds of megabytes, held
    beside what is decoded from it. None when `read_checked` would give None, or the
    listing cannot be read. The sha256 is checked as the file is read in blocks; the
    listing and the parts are read afterwards from the same open file, so a file replaced
    meanwhile (by an atomic rename) is never mixed with this one. Close it (a `with`
    block) when done."""
    payload_at = _header_size(magic)
    try:
        handle = open(path, "rb")
    except OSError:
        return None
    try:
        header = _header(handle.read(payload_at), magic)
        if header is None:
            raise ValueError("not a checked file")
        digest = hashlib.sha256()
        block = bytearray(1 << 20)
        view = memoryview(block)
        size = handle.readinto(block)
        while size:
            digest.update(view[:size])
            size = handle.readinto(block)
        if digest.digest() != header[1]:
            raise ValueError("damaged")
        end = handle.tell()
        listing_at = end - 8 - _listing_size(_read_at(handle, end - 8, 8), end - 8 - payload_at)
        listing = marshal.loads(_read_at(handle, listing_at, end - 8 - listing_at))
        parts = {label: Part(handle, payload_at + start, stop - start) for label, start, stop in listing}
        return OpenParts(header[0], parts, handle)
    except Exception:   # unreadable, damaged, or a listing that passed the checksum yet fails
        handle.close()
        return None


def _read_at(handle: BinaryIO, start: int, size: int) -> bytes:
    handle.seek(start)
    data = handle.read(size)
    if len(data) != size:
        raise ValueError("the file ends early")
    return data


def _listing_size(trailer: bytes | memoryview, room: int) -> int:
    """The listing's size from the payload's last 8 bytes; `room` is what precedes them."""
    size = int.from_bytes(trailer, "little")
    if size > room:
        raise ValueError("a listing larger than the payload")
    return size


def write_checked(path: Path, magic: bytes, key: bytes, payload: bytes | Iterable[bytes]) -> None:
    """Write `payload` (bytes, or parts that make it end to end, never joined in memory, such
    as `listed` makes as they are written) atomically after `magic`, `key` and its sha256; a
    cache that cannot be written only costs time on the next run, so a failure is not an
    error."""
    from kb import atomic

    if len(key) != _DIGEST_SIZE:    # the header is rewritten in place once the payload is written
        raise ValueError(f"a checked file's key is {_DIGEST_SIZE} bytes (a sha256), not {len(key)}")
    parts = [payload] if isinstance(payload, (bytes, bytearray, memoryview)) else payload
    digest = hashlib.sha256()

    def hashed() -> Iterator[bytes]:
        yield bytes(_header_size(magic))        # room for the header, written once the sha256 is known
        for part in _batched(parts):
            digest.update(part)
            yield part
            del part        # see `atomic.write_parts`
    try:
        # not forced to disk: a file cut short by a power cut fails its sha256 and is made again
        atomic.write_parts(path, hashed(), start=lambda: magic + key + digest.digest(), durable=False)
    except OSError:
        pass


# Small parts are joined into batches of about this many bytes before they are hashed and
# written: a large vault's parse cache is 50,000 parts of 3 KB, and with a hash update and a
# write per part its 152 MB took 0.63 to 0.70 s to write, in batches 0.33 to 0.37 s. A part
# this large or larger goes as it is, never copied (a snapshot's sections run to tens of MB).
_BATCH_BYTES = 1 << 20


def _batched(parts: Iterable[bytes | memoryview]) -> Iterator[bytes | memoryview]:
    """The bytes of `parts` end to end, small ones joined into batches of `_BATCH_BYTES`."""
    batch: list[bytes | memoryview] = []
    held = 0
    for part in parts:
        size = len(part)
        if size < _BATCH_BYTES:
            batch.append(part)
            held += size
            if held < _BATCH_BYTES:
                continue
            part = b"".join(batch)
            batch.clear()
            held = 0
        elif batch:
            yield b"".join(batch)
            batch.clear()
            held = 0
        yield part
        del part        # see `atomic.write_parts`
    if batch:
        yield b"".join(batch)


def listed(sections: Iterable[tuple[Any, bytes | memoryview | list[bytes]]]) -> Iterator[bytes | memoryview]:
    """A payload for `write_checked` of (label, part) sections, label any marshal value, a part
    bytes or a list of pieces that make it end to end: each part in turn, then a listing of
    each part's label and where it lies, then the listing's size (8 bytes). Made as it is
    written: sections made one by one (a generator) are never all held at once."""
    listing = []
    offset = 0
    for label, part in sections:
        pieces = part if isinstance(part, list) else (part,)
        size = sum(map(len, pieces))
        listing.append((label, offset, offset + size))
        offset += size
        yield from pieces
        del part, pieces    # see `atomic.write_parts`
    tail = marshal.dumps(listing)
    yield tail
    yield len(tail).to_bytes(8, "little")


def read_listing(payload: memoryview) -> list[tuple[Any, memoryview]]:
    """(label, part) for each part of a payload `listed` made, each part a view of the payload;
    raises on a payload that is not one."""
    end = len(payload) - 8
    if end < 0:
        raise ValueError("no listing")
    listing_at = end - _listing_size(payload[end:], end)
    return [(label, payload[start:stop]) for label, start, stop in marshal.loads(payload[listing_at:end])]
