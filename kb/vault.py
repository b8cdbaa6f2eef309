"""Loading a vault: find the notes, read them, parse them (through a content-keyed cache).

A vault is a folder of `.md` notes, in sub-folders too; every other file in it
(images, PDFs, canvases) is listed so links to files resolve. Folders and files
whose name starts with a dot (`.obsidian`, `.git`, `.trash`) are not part of
the vault, as in Obsidian. Folder symlinks are followed, once: a link back to a
folder already read (a loop) is reported and skipped, never walked again.

The parse cache is one file per vault outside the vault (see `kb.cache`): every
ParsedNote keyed by path, with the sha256 of the bytes it was parsed from, in
marshal's format (see `_encode`). A note is re-parsed when its bytes change.
As git does, each entry also keeps the file's size, modification and change
times and inode: when all four are unchanged the file is not read again. A
file written less than `_RACY_NS` before it was read keeps no such stat (a
second write within one tick of a coarse clock could leave the stat as it
was), so it is read and hashed again next time. The whole file is checked
before it is trusted (marshal and pickle are not safe on foreign data, so it
lives in the user's own cache folder, never in the vault): a magic header, a
sha256 of the payload (so a truncated or garbled file is caught before
decoding), and a fingerprint of the kb version, the cache's and the parser's
source and the Python version (so a cache written by another kb is never
reused). Anything that fails a check is discarded and rebuilt.

With a second core free, a large vault is read and parsed in two processes (see
`_read_all`); the child then does the work a later stage asks for with `Beside`
(the lineage) while this process goes on, and writes the cache in the background.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import marshal
import mmap
import os
import pickle
import time
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, starmap
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from kb import forked
from kb.cache import code_digest, listed, read_checked, read_listing, vault_file, write_checked
from kb.diagnostics import Diagnostic
from kb.errors import KbError
from kb.parse import note as parsed
from kb.parse.note import ParsedNote

_MAGIC = b"kb-parse-cache 6\n"
# A file changed less than this before it was read is read again next time (see above).
_RACY_NS = 3_000_000_000


@dataclass(frozen=True)
class Vault:
    """A loaded vault. Paths are relative to `root`, POSIX style.

    `diagnostics` holds everything found while loading, sorted by file and
    line: unreadable files, folder loops, and every note's parse diagnostics.
    """

    root: Path
    notes: tuple[ParsedNote, ...]                       # sorted by path
    files: tuple[str, ...] = ()                         # non-markdown files, sorted
    diagnostics: tuple[Diagnostic, ...] = ()
    use_cache: bool = False                             # read through the parse cache
    parsed: int = 0                                     # notes parsed by this load, not found in the cache
    beside: forked.Child | None = field(default=None, repr=False, compare=False)  # see `beside_result`
    _by_path: dict[str, ParsedNote] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_path", {note.path: note for note in self.notes})

    def note(self, path: str) -> ParsedNote:
        """The note at `path` ("ML/README.md"; the ".md" may be left out). KeyError if there is none."""
        found = self._by_path.get(path) or self._by_path.get(path + ".md")
        if found is None:
            raise KeyError(f"no note {path!r} in {self.root}")
        return found


@contextlib.contextmanager
def paused_gc():
    """Suspend the cyclic garbage collector while building many objects that form no cycles.

    Loading a large vault allocates around a hundred objects per note; each allocation
    burst would start a collection that walks the whole, growing, heap. Paused, a cached
    10,000-note vault loads in less than half the time.

    On the way out the objects made are frozen (`gc.freeze`): they would all
    sit in the youngest generation, and the first collection after the pause
    would walk every one of them (0.4 s for a cached 10,000-note vault). Frozen objects
    are still freed when nothing refers to them; only cycles among them would
    outlive their use, and kb's parsed data holds none.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


@dataclass(frozen=True)
class Beside:
    """Work for a later stage that the child reading part of a large vault does while this
    process goes on (see `_read_all`). Each process takes every note it read through
    `extract` (into marshal's types); the child runs `work` on every note's extract, in
    path order, and the vault's other files. Each time `beside_result` is called, it returns
    the next answer `work` yielded, as soon as the child has it."""

    extract: Callable[[ParsedNote], Any]
    work: Callable[[list, tuple[str, ...]], Iterable[bytes]]


def load_vault(root: Path, *, use_cache: bool = True, beside: Beside | None = None) -> Vault:
    """Read and parse every note under `root`. Raises KbError when `root` is not a readable folder.

    `beside`: work a child reading part of the notes may do for a later stage, see `Beside`.
    """
    root = Path(root)
    if not root.is_dir():
        raise KbError(f"{root}: not a folder (expected a vault: a folder of .md notes)")
    note_paths, files, problems = _walk(root)
    files.sort()
    with paused_gc():
        notes, parsed_count, reader = _read_and_parse(root, note_paths, problems, use_cache=use_cache,
                                                      beside=(beside, tuple(files)) if beside is not None else None)
    diagnostics = problems + [d for note in notes for d in note.diagnostics]
    diagnostics.sort(key=lambda d: (d.file, d.line))
    return Vault(root=root, notes=tuple(notes), files=tuple(files), diagnostics=tuple(diagnostics),
                 use_cache=use_cache, parsed=parsed_count, beside=reader)


def beside_result(vault: Vault) -> bytes | None:
    """The next answer of the `Beside` work asked of `load_vault`, done by the child that read
    part of the notes; None when no child did it (a small or cached vault, no core free, a
    failure) or it has no more: the caller then does the rest itself."""
    return forked.answer(vault.beside) if vault.beside is not None else None


def _walk(root: Path) -> tuple[list[str], list[str], list[Diagnostic]]:
    """Note paths, other file paths and problems, all vault-relative POSIX."""
    notes: list[str] = []
    files: list[str] = []
    problems: list[Diagnostic] = []
    visited = {os.path.realpath(root)}
    pending = [(str(root), "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            if not prefix:
                raise KbError(f"{root}: cannot read the folder: {error.strerror or error}") from None
            problems.append(Diagnostic(prefix.rstrip("/"), 0, f"cannot read the folder: "
                                       f"{error.strerror or error}", code="unreadable", severity="error"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = prefix + entry.name
            try:
                is_dir = entry.is_dir()
                is_file = not is_dir and entry.is_file()
            except OSError as error:
                problems.append(Diagnostic(rel, 0, f"cannot read: {error.strerror or error}",
                                           code="unreadable", severity="error"))
                continue
            if is_dir:
                real = os.path.realpath(entry.path)
                if real in visited:
                    problems.append(Diagnostic(rel, 0, "folder link leads back to a folder already "
                                               "read (a loop or a duplicate); skipped",
                                               code="symlink-loop", severity="warning"))
                    continue
                visited.add(real)
                pending.append((entry.path, rel + "/"))
            elif entry.name.endswith(".md"):
                if is_file:
                    notes.append(rel)
                elif entry.is_symlink():
                    problems.append(Diagnostic(rel, 0, "cannot read the note: it is a symbolic link "
                                               "to nothing", code="unreadable", severity="error"))
                else:
                    problems.append(Diagnostic(rel, 0, "cannot read the note: not a regular file",
                                               code="unreadable", severity="error"))
            elif is_file:
                files.append(rel)
    notes.sort()
    return notes, files, problems


def _read_and_parse(root: Path, note_paths: list[str], problems: list[Diagnostic], *, use_cache: bool,
                    beside: tuple[Beside, tuple[str, ...]] | None) -> tuple[list[ParsedNote], int, forked.Child | None]:
    """Every readable note (in `note_paths` order), from the cache when its file or bytes are
    unchanged, else parsed; how many were parsed; and the child doing the `beside` work (with
    the vault's other files), if one does."""
    cache_file = _cache_file(root) if use_cache else None
    if cache_file is not None:
        forked.wait(str(cache_file))                    # this process's writer of it, if still at work
    cached = _read_cache(cache_file) if cache_file is not None else {}
    notes: list[ParsedNote | None] = [None] * len(note_paths)
    entries: list[list | None] = [None] * len(note_paths)   # per note: [path, sha256, stat key, encoding]
    to_read: Share = []
    base = os.path.join(root, "")
    for place, rel in enumerate(note_paths):
        entry = cached.get(rel)
        if entry is None:       # read in any case, its stat taken then (with no cache, in both processes)
            to_read.append((place, rel, None))
            continue
        try:
            status = os.stat(base + rel)
        except OSError as error:
            problems.append(_unreadable(rel, error))
            continue
        stat_key = (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
        if entry[1] == stat_key:
            note = _decoded(entry[2])
            if note is not None:
                notes[place] = note
                entries[place] = [rel, entry[0], stat_key, entry[2]]
                continue
        to_read.append((place, rel, entry))
    hits = sum(note is not None for note in notes)     # from the cache by their stat
    write_to = cache_file if cache_file is not None and (to_read or len(cached) != hits) else None
    outcomes, written, reader = _read_all(base, to_read, write_to, entries, notes, beside)
    parsed_count = 0
    for (place, rel, _), outcome in zip(to_read, outcomes):
        if isinstance(outcome, Diagnostic):
            problems.append(outcome)
            continue
        notes[place], content_hash, encoding, parsed_here, stat_key = outcome
        entries[place] = [rel, content_hash, stat_key, encoding]
        parsed_count += parsed_here
    if write_to is not None and not written:
        _write_cache(write_to, [(entry, note) for entry, note in zip(entries, notes) if note is not None])
    return [note for note in notes if note is not None], parsed_count, reader


def _unreadable(rel: str, error: OSError) -> Diagnostic:
    return Diagnostic(rel, 0, f"cannot read the note: {error.strerror or error}",
                      code="unreadable", severity="error")


def _decoded(encoding: bytes) -> ParsedNote | None:
    """A cached note, or None when its entry cannot be decoded (then it is parsed again)."""
    try:
        return _decode(encoding)
    except Exception:   # an entry that passed the cache's checks yet fails is not trusted either
        return None


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_READ_SIZE = 1 << 16


def _read_bytes(path: str) -> tuple[bytes, tuple | None]:
    """A file's bytes, by bare system calls (a file object's layers, a buffer and a size
    check, cost 4 µs a note: 0.1 s in each of two processes reading 50,000 notes), and its
    stat key (see the module docstring), taken before the bytes are read: a write in
    between leaves a stat that no longer matches. None for a file written just now."""
    fd = os.open(path, _READ_FLAGS)
    try:
        status = os.fstat(fd)
        stat_key = None if time.time_ns() - max(status.st_mtime_ns, status.st_ctime_ns) < _RACY_NS else \
            (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
        chunk = os.read(fd, _READ_SIZE)
        chunks = []
        while chunk:        # until a read finds the end: a short read alone does not say so everywhere
            chunks.append(chunk)
            chunk = os.read(fd, _READ_SIZE)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks), stat_key
    finally:
        os.close(fd)


def _read_one(base: str, rel: str, entry: tuple | None
              ) -> tuple[ParsedNote, str, bytes | None, bool, tuple | None] | Diagnostic:
    """(note, sha256, its cache encoding when it came from the cache, whether it was parsed,
    stat key), or the diagnostic of a note that cannot be read."""
    try:
        data, stat_key = _read_bytes(base + rel)
    except OSError as error:
        return _unreadable(rel, error)
    content_hash = hashlib.sha256(data).hexdigest()
    if entry is not None and entry[0] == content_hash:   # touched, not changed
        note = _decoded(entry[2])
        if note is not None:
            return note, content_hash, entry[2], False, stat_key
    from kb.parse import read_note  # imported on first use: a warm cache needs no parser

    return read_note(data, rel, content_hash=content_hash), content_hash, None, True, stat_key


# --- reading and parsing in two processes ---------------------------------------------------
#
# Parsing is most of a cold load (about 0.2 ms a note). With a second core free, a forked
# child (`kb.forked`) reads and parses notes from the first on while this process reads them
# from the last back, until the two meet (see `_Meeting`), and hands them over in the cache's
# encoding (see `_encode`), which this process decodes. This process encodes its own share
# meanwhile and sends it back, with the extracts of its notes when a later stage asked for
# `Beside` work: the child adds its own extracts, does that work and answers while this
# process goes on with its own, then writes the whole cache in the background. It was forked
# while this process was small; a child forked later, from a process holding the notes,
# would slow this one down for as long as it lives (see `kb.forked.start`). Below
# PARALLEL_MIN_NOTES the fork costs more than it saves. If the child fails in any way, this
# process reads its share itself and writes the cache.

PARALLEL_MIN_NOTES = 500

Share = list[tuple[int, str, tuple | None]]      # (place, path, cache entry) per note


class _Meeting:
    """Where the child, claiming notes from the first on, and this process, claiming them from
    the last back, meet: a batch at a time, so the one that runs faster reads more. Halves
    fixed in advance left one process idle for up to 1.9 s of a 50,000-note load, as the
    other shared its core with other work.

    Two counters in memory both processes share: the child's next note (`front`, written by
    the child only) and the first this process claimed (`back`, written by it only). Each
    claims up to the other's counter as it reads it, so nothing is left unclaimed; two claims
    made at once may overlap by a batch, which both read and this process keeps. Once this
    process stops claiming, `back` is where its share starts, and the child's share ends.
    """

    BATCH = 32      # notes: about 10 ms of work, the most either may wait for the other

    def __init__(self, count: int) -> None:
        self._memory = mmap.mmap(-1, 16)        # anonymous and shared: a forked child sees the same
        self._counters = memoryview(self._memory).cast("q")
        self._counters[1] = count

    @property
    def back(self) -> int:
        return self._counters[1]

    def from_front(self) -> range | None:
        """The child's next batch, or None once it has met this process."""
        start = self._counters[0]
        end = min(start + self.BATCH, self._counters[1])
        if start >= end:
            return None
        self._counters[0] = end
        return range(start, end)

    def from_back(self) -> range | None:
        """This process's next batch, or None once it has met the child."""
        end = self._counters[1]
        start = max(end - self.BATCH, self._counters[0])
        if start >= end:
            return None
        self._counters[1] = start
        return range(start, end)


def _read_all(base: str, to_read: Share, cache_file: Path | None, entries: list[list | None],
              held: list[ParsedNote | None], beside: tuple[Beside, tuple[str, ...]] | None
              ) -> tuple[list, bool, forked.Child | None]:
    """`_read_one` of every note of `to_read`, in order; whether a child has taken over writing
    `cache_file` (the notes' `entries` so far: the cache hits, which `held` holds by place);
    and that child when it does the `beside` work."""
    child = None
    if len(to_read) > 1 and forked.pays(len(to_read), PARALLEL_MIN_NOTES):
        meeting = _Meeting(len(to_read))
        shared: dict[str, Any] = {}
        child = forked.start(partial(_read_encoded, base, to_read, meeting, shared, beside),
                             then=partial(_go_on, cache_file, entries, to_read, meeting, shared, beside),
                             name=str(cache_file) if cache_file is not None else None)
    if child is None:
        return [_read_one(base, rel, entry) for _, rel, entry in to_read], False, None
    # Each batch is encoded for the cache and extracted for `beside` as soon as it is read, as
    # the child does: the two meet where both have done all their share's work.
    # The encodings go end to end into one buffer, and a head per note says whose each is
    # (see `_head`): 25,000 of them held apart, each in memory of its own among the
    # notes', left the heap 40 MB larger once freed.
    extract = beside[0].extract if beside is not None else None
    heads: list[tuple] = []
    encoded = bytearray()
    batches = []
    for claimed in iter(meeting.from_back, None):
        share = to_read[claimed.start:claimed.stop]
        outcomes = [_read_one(base, rel, entry) for _, rel, entry in share]
        if cache_file is not None:
            heads += [_head(k, outcome, encoded) for k, outcome in enumerate(outcomes, claimed.start)]
        batches.append((outcomes, _extracts(extract, share, outcomes) if extract is not None else ()))
    batches.reverse()
    boundary = meeting.back     # this process's share starts here, the child's ends
    mine = [outcome for outcomes, _ in batches for outcome in outcomes]
    extracts = marshal.dumps(None)
    if extract is not None:
        extracts = marshal.dumps([(place, extract(note)) for place, note in enumerate(held) if note is not None]
                                 + [item for _, found in batches for item in found])
    del batches
    # The child's orders go first, so that it goes on at once, while this process takes and
    # decodes its notes. A child whose notes then cannot be read goes on all the same: what it
    # read is sound where it is (it only failed to arrive here), and its cache is whole.
    forked.send(child, extracts, marshal.dumps(heads), encoded)
    del heads, encoded, extracts
    received = _received(forked.result(child), boundary)
    if received is None:
        return [_read_one(base, rel, entry) for _, rel, entry in to_read[:boundary]] + mine, False, None
    theirs = [(_decode(outcome[1]), *outcome) if outcome[0] is not None else Diagnostic(*outcome[1])
              for outcome in received]
    return theirs + mine, cache_file is not None, child if beside is not None else None


def _encoded_outcome(outcome) -> tuple:
    """`_read_one`'s outcome in marshal's types: (sha256, encoding, parsed, stat key) or (None,
    diagnostic fields)."""
    if isinstance(outcome, Diagnostic):
        return None, _DIAGNOSTIC(outcome)
    note, content_hash, encoding, parsed_here, stat_key = outcome
    return content_hash, bytes(encoding) if encoding is not None else _encode(note), parsed_here, stat_key


def _read_encoded(base: str, to_read: Share, meeting: _Meeting, shared: dict,
                  beside: tuple[Beside, tuple[str, ...]] | None) -> bytes:
    """In the child: the outcomes of the notes it claims (see `_Meeting`), encoded; also kept
    in `shared`, which the child's `_go_on` reads next, with their extracts for `beside`
    (taken now, as this process takes its own before it hands its share over: the two then
    finish their shares together)."""
    # A batch at a time, each note dropped once encoded and extracted: the next batch is built
    # in the memory the last one left, still in the processor's cache, rather than in memory
    # new to the process.
    extract = beside[0].extract if beside is not None else None
    encoded, extracts = [], []
    for claimed in iter(meeting.from_front, None):
        share = to_read[claimed.start:claimed.stop]
        outcomes = [_read_one(base, rel, entry) for _, rel, entry in share]
        encoded += map(_encoded_outcome, outcomes)
        if extract is not None:
            extracts += _extracts(extract, share, outcomes)
    shared["mine"] = encoded
    if extract is not None:
        shared["extracts"] = extracts
    return marshal.dumps(encoded)


def _extracts(extract: Callable[[ParsedNote], Any], share: Share, outcomes: list) -> list[tuple[int, Any]]:
    """(place, extract) of each note of `share` that was read, from its `_read_one` outcome."""
    return [(place, extract(outcome[0])) for (place, *_), outcome in zip(share, outcomes)
            if not isinstance(outcome, Diagnostic)]


def _go_on(cache_file: Path | None, entries: list[list | None], to_read: Share, meeting: _Meeting, shared: dict,
           beside: tuple[Beside, tuple[str, ...]] | None,
           orders: Callable[[], list[bytes]], reply: Callable[..., None]) -> None:
    """In the child, once it has handed its notes over: with the extracts of its own notes
    and those the parent `orders` it, it does the `beside` work and answers; then it writes
    the cache, its share and the parent's."""
    extracts = shared.pop("extracts", None)
    parts = orders()
    if not parts:               # the parent stopped before it sent any (see `kb.forked.wait`)
        return
    # The parent has stopped claiming before it sends its orders: its share starts at `back`,
    # and the notes this process read from there on (a batch at most) are the parent's.
    boundary = meeting.back
    if extracts is not None and boundary < len(to_read):
        first_theirs = to_read[boundary][0]
        extracts = [found for found in extracts if found[0] < first_theirs]
    del shared["mine"][boundary:]
    theirs = marshal.loads(parts[0])
    if extracts is not None and theirs is not None:
        extracts += theirs
        extracts.sort(key=itemgetter(0))
        try:
            for answer in beside[0].work([found for _, found in extracts], beside[1]):
                reply(answer, more=True)
        except Exception:   # the parent, given no more answers, does the rest itself
            pass
    # The extracts are left for the exit to drop (it frees nothing): freed here, they took
    # 0.1 s at 50,000 notes, by which the cache the parent's exit waits for came later.
    reply(b"")          # the last: and gives way to the work the user waits for
    if cache_file is None:
        return
    # the parent's encodings read only now: the parent waits for the answer, not the cache
    for k, (content_hash, *read) in chain(enumerate(shared["mine"]), _records(parts[1], parts[2])):
        if content_hash is not None:        # else a diagnostic
            encoding, _, stat_key = read
            place, rel, _ = to_read[k]
            entries[place] = [rel, content_hash, stat_key, encoding]
    del parts
    _write_cache(cache_file, [(entry, None) for entry in entries if entry is not None])


# The parent's share of the cache reaches the child as a head per note (`_head`) and the
# encodings end to end, which the child takes as slices (`_records`). Sent as one marshal
# record per note, each decoded and its encoding copied out, 25,000 took the child 0.46 s;
# so, 0.12 s.

def _head(k: int, outcome, encoded: bytearray) -> tuple:
    """The head of the note at place `k` in `to_read`: its encoded outcome, an encoding's size
    in the encoding's place, which goes on the end of `encoded`."""
    content_hash, *read = _encoded_outcome(outcome)
    if content_hash is None:            # a diagnostic
        return (k, None, *read)
    encoding, parsed_here, stat_key = read
    encoded += encoding
    return (k, content_hash, len(encoding), parsed_here, stat_key)


def _records(heads: bytes, encoded: bytes) -> Iterator[tuple[int, tuple]]:
    """(place in `to_read`, encoded outcome) of each note whose `_head` is in `heads`, its
    encoding a slice of `encoded`."""
    view = memoryview(encoded)
    at = 0
    for k, content_hash, *read in marshal.loads(heads):
        if content_hash is None:
            yield k, (None, *read)
            continue
        size, parsed_here, stat_key = read
        yield k, (content_hash, view[at:at + size], parsed_here, stat_key)
        at += size


def _received(payload: bytes | None, count: int) -> list | None:
    """The child's outcomes of the first `count` notes, or None when it failed."""
    if payload is None:
        return None
    try:
        received = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    return received[:count] if isinstance(received, list) and len(received) >= count else None


def _cache_file(root: Path) -> Path:
    return vault_file(root, ".cache")


def _fingerprint() -> bytes:
    """What must match for a cache to be reused: kb, the parser's code, Python."""
    return code_digest("vault.py", "parse")


def _read_cache(path: Path) -> dict[str, tuple[str, tuple | None, memoryview]]:
    """path -> (sha256, stat key, encoded note), or {} when the cache is missing, damaged or
    from another kb."""
    checked = read_checked(path, _MAGIC, _fingerprint())
    if checked is None:
        return {}
    try:
        return {rel: (content_hash, stat_key, encoding)
                for (rel, content_hash, stat_key), encoding in read_listing(checked[1])}
    except Exception:  # a payload that passed the checksum yet fails: not trusted
        return {}


def _write_cache(path: Path, kept: list[tuple[list, ParsedNote]]) -> None:
    """Write ([path, sha256, stat key, encoding or None], note) pairs: the notes' encodings
    end to end, labelled with the rest (a note without one is encoded as it is written)."""
    sections = (((rel, content_hash, stat_key), encoding if encoding is not None else _encode(note))
                for (rel, content_hash, stat_key, encoding), note in kept)
    write_checked(path, _MAGIC, _fingerprint(), listed(sections))


# --- the cache's encoding ------------------------------------------------------------------
#
# Each note is stored as nested tuples of str, int, bool and None, written with marshal
# (pickling a 10,000-note vault's million records one by one took 1.2 s to write, this
# about 0.7 s), one marshal string per note, so a note is decoded without the rest. The
# fields of links, tags, headings, inline fields, diagnostics and of the note itself are
# read from their dataclass definitions, so a field added to one is stored too; a
# table's own fields are spelled out (the round-trip tests in test_vault catch one added
# there). A table's cells are stored packed, as the parser packed them (see
# `kb.parse.note.pack_cells`), and stay packed until first read. A frontmatter value may
# be anything YAML reads (dates too): a frontmatter marshal cannot write is pickled on its
# own (marshal keeps its interned keys shared, see `kb.parse.frontmatter`).

def _getter(cls) -> attrgetter:
    return attrgetter(*(f.name for f in dataclasses.fields(cls)))


_LINK, _TAG, _HEADING, _FIELD, _DIAGNOSTIC = map(_getter, (
    parsed.Link, parsed.Tag, parsed.Heading, parsed.Field, Diagnostic))
_NOTE_FIELDS = tuple(f.name for f in dataclasses.fields(ParsedNote))
_NESTED = ("frontmatter", "tags", "links", "headings", "tables", "fields", "diagnostics")
_PLAIN_NAMES = tuple(name for name in _NOTE_FIELDS if name not in _NESTED)
_NOTE_PLAIN = attrgetter(*_PLAIN_NAMES)


def _encode(note: ParsedNote) -> bytes:
    links = note.links
    tables = [(t.line, t.section, t.packed_cells(links)) for t in note.tables]
    rest = (tuple(map(_TAG, note.tags)), tuple(map(_LINK, links)), tuple(map(_HEADING, note.headings)),
            tables, tuple(map(_FIELD, note.fields)), tuple(map(_DIAGNOSTIC, note.diagnostics)),
            _NOTE_PLAIN(note))
    frontmatter = note.frontmatter
    if frontmatter:
        try:
            return marshal.dumps((frontmatter, *rest))
        except ValueError:          # a date, or another value marshal cannot write
            return marshal.dumps((pickle.dumps(frontmatter, pickle.HIGHEST_PROTOCOL), *rest))
    return marshal.dumps((None, *rest))


def _decode(encoding: bytes) -> ParsedNote:
    frontmatter, tags, links, headings, encoded_tables, fields, diagnostics, plain = marshal.loads(encoding)
    links = tuple(starmap(parsed.Link, links))
    packed = parsed.Table.packed
    return ParsedNote(
        frontmatter=frontmatter if type(frontmatter) is dict else
        pickle.loads(frontmatter) if frontmatter is not None else {},
        tags=tuple(starmap(parsed.Tag, tags)), links=links,
        headings=tuple(starmap(parsed.Heading, headings)),
        tables=tuple(packed(line, section, cells, links)
                     for line, section, cells in encoded_tables) if encoded_tables else (),
        fields=tuple(starmap(parsed.Field, fields)) if fields else (),
        diagnostics=tuple(starmap(Diagnostic, diagnostics)) if diagnostics else (),
        **dict(zip(_PLAIN_NAMES, plain)))
