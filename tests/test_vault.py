"""Loading a vault: which files count, odd files and folders, and the parse cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import kb
import kb.parse
import kb.vault
from kb.errors import KbError
from kb.vault import load_vault


@pytest.fixture
def parse_calls(monkeypatch):
    """Paths the parser is asked to parse, in this test."""
    calls: list[str] = []
    real = kb.parse.read_note

    def counting(data: bytes, path: str, **options):
        calls.append(path)
        return real(data, path, **options)

    monkeypatch.setattr(kb.parse, "read_note", counting)
    return calls


def make_vault(root: Path) -> Path:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".obsidian").mkdir()
    (root / ".trash").mkdir()
    (root / "A.md").write_text("# A\n\nSee [[B]].\n", encoding="utf-8")
    (root / "sub" / "B.md").write_text("---\naliases: [Bee]\n---\nBody\n", encoding="utf-8")
    (root / "sub" / "deeper" / "C.md").write_text("[[A]]\n", encoding="utf-8")
    (root / "sub" / "pic.png").write_bytes(b"\x89PNG")
    (root / ".obsidian" / "workspace.md").write_text("not a note\n", encoding="utf-8")
    (root / ".trash" / "Old.md").write_text("deleted\n", encoding="utf-8")
    (root / ".hidden.md").write_text("hidden\n", encoding="utf-8")
    return root


def test_notes_sorted_files_listed_dot_folders_skipped(tmp_path, cache):
    vault = load_vault(make_vault(tmp_path))
    assert [n.path for n in vault.notes] == ["A.md", "sub/B.md", "sub/deeper/C.md"]
    assert vault.files == ("sub/pic.png",)
    assert vault.diagnostics == ()
    assert vault.note("sub/B.md").aliases == ("Bee",)
    assert vault.note("sub/B").title == "B"
    with pytest.raises(KeyError):
        vault.note("Nope.md")


def test_not_a_folder_is_a_usage_error(tmp_path):
    with pytest.raises(KbError, match="not a folder"):
        load_vault(tmp_path / "missing")
    (tmp_path / "file.md").write_text("x", encoding="utf-8")
    with pytest.raises(KbError, match="not a folder"):
        load_vault(tmp_path / "file.md")


def test_symlink_loop_does_not_hang_and_is_reported(tmp_path, cache):
    root = make_vault(tmp_path / "v")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "sub" / "self").symlink_to(".", target_is_directory=True)
    vault = load_vault(root)
    assert [n.path for n in vault.notes] == ["A.md", "sub/B.md", "sub/deeper/C.md"]
    loops = sorted((d.file, d.code) for d in vault.diagnostics)
    assert loops == [("sub/loop", "symlink-loop"), ("sub/self", "symlink-loop")]


def test_folder_symlinked_from_outside_is_read_once(tmp_path, cache):
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "S.md").write_text("shared\n", encoding="utf-8")
    root = tmp_path / "v"
    root.mkdir()
    (root / "one").symlink_to(outside, target_is_directory=True)
    (root / "two").symlink_to(outside, target_is_directory=True)
    vault = load_vault(root)
    assert [n.path for n in vault.notes] == ["one/S.md"]
    assert [d.file for d in vault.diagnostics] == ["two"]


def test_unreadable_entries_are_diagnostics_not_crashes(tmp_path, cache):
    root = make_vault(tmp_path)
    (root / "Gone.md").symlink_to(root / "nowhere.md")       # a link to nothing
    (root / "Folder.md").mkdir()                              # a folder named like a note
    (root / "Folder.md" / "Inside.md").write_text("inside\n", encoding="utf-8")
    os.mkfifo(root / "Pipe.md")                               # not a regular file: never opened
    vault = load_vault(root)
    assert "Folder.md/Inside.md" in [n.path for n in vault.notes]
    problems = {d.file: d for d in vault.diagnostics}
    assert problems["Gone.md"].code == "unreadable"
    assert "symbolic link to nothing" in str(problems["Gone.md"])
    assert str(problems["Pipe.md"]) == "Pipe.md:0: cannot read the note: not a regular file"


def test_read_error_is_a_diagnostic(tmp_path, cache, monkeypatch):
    root = make_vault(tmp_path)
    real_open = os.open

    def failing(path, *args, **kwargs):
        if str(path).endswith("B.md"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    # the test runs as any user, root too, whom file permissions do not stop
    monkeypatch.setattr(os, "open", failing)
    vault = load_vault(root, use_cache=False)
    assert [n.path for n in vault.notes] == ["A.md", "sub/deeper/C.md"]
    assert [str(d) for d in vault.diagnostics] == [
        "sub/B.md:0: cannot read the note: Permission denied"]


def test_a_note_larger_than_one_read_is_read_whole(tmp_path, cache):
    filler = "".join(f"Line {k} of a long note.\n" for k in range(20_000))     # about 500 KB
    (tmp_path / "Long.md").write_text(filler + "The end links [[Short]].\n", encoding="utf-8")
    (tmp_path / "Short.md").write_text("[[Long]]\n", encoding="utf-8")
    long = load_vault(tmp_path, use_cache=False).note("Long.md")
    assert [(link.target, link.line) for link in long.links] == [("Short", 20_001)]


def test_encodings_bom_crlf_and_invalid_utf8(tmp_path, cache):
    (tmp_path / "Bom.md").write_bytes(b"\xef\xbb\xbf---\r\naliases: [Byte order]\r\n---\r\n[[Crlf]]\r\n")
    (tmp_path / "Crlf.md").write_bytes(b"# Title\r\n\r\nline two [[Bom]]\r\n")
    (tmp_path / "Latin1.md").write_bytes("caf\xe9 [[Bom]]\n".encode("latin-1"))
    vault = load_vault(tmp_path)
    bom = vault.note("Bom.md")
    assert bom.aliases == ("Byte order",)
    assert [(link.target, link.line) for link in bom.links] == [("Crlf", 4)]
    assert [(link.target, link.line) for link in vault.note("Crlf.md").links] == [("Bom", 3)]
    latin = vault.note("Latin1.md")
    assert [link.target for link in latin.links] == ["Bom"]       # the rest of the note is read
    [problem] = vault.diagnostics
    assert (problem.file, problem.line, problem.code) == ("Latin1.md", 1, "encoding")


def test_cache_is_used_when_nothing_changed(tmp_path, cache, parse_calls):
    root = make_vault(tmp_path / "v")
    first = load_vault(root)
    assert len(parse_calls) == 3
    second = load_vault(root)
    assert len(parse_calls) == 3
    assert second.notes == first.notes
    assert list(cache.glob("parse/*.cache"))


def test_changed_note_is_parsed_again(tmp_path, cache, parse_calls):
    root = make_vault(tmp_path / "v")
    load_vault(root)
    (root / "A.md").write_text("# A\n\nNow [[C]].\n", encoding="utf-8")
    (root / "sub" / "deeper" / "C.md").unlink()
    (root / "New.md").write_text("new\n", encoding="utf-8")
    vault = load_vault(root)
    assert parse_calls[3:] == ["A.md", "New.md"]
    assert [link.target for link in vault.note("A.md").links] == ["C"]
    assert [n.path for n in vault.notes] == ["A.md", "New.md", "sub/B.md"]


@pytest.mark.parametrize("how", ["truncate", "garble", "empty", "foreign"])
def test_damaged_cache_is_rebuilt_never_trusted(tmp_path, cache, parse_calls, damage, how):
    root = make_vault(tmp_path / "v")
    expected = load_vault(root, use_cache=False).notes
    load_vault(root)
    [cache_file] = cache.glob("parse/*.cache")
    damage(cache_file, how)
    calls_before = len(parse_calls)
    assert load_vault(root).notes == expected
    assert len(parse_calls) - calls_before == 3
    assert load_vault(root).notes == expected   # and the rebuilt cache serves the next run
    assert len(parse_calls) - calls_before == 3


def test_cache_from_another_kb_version_is_not_reused(tmp_path, cache, parse_calls, monkeypatch):
    root = make_vault(tmp_path / "v")
    load_vault(root)
    monkeypatch.setattr(kb, "__version__", kb.__version__ + ".post1")
    load_vault(root)
    assert len(parse_calls) == 6


def test_stale_entry_with_another_hash_is_parsed_again(tmp_path, cache, parse_calls):
    root = make_vault(tmp_path / "v")
    load_vault(root)
    # Same size, same mtime resolution: only the content tells the change apart.
    (root / "A.md").write_text("# A\n\nSee [[C]].\n", encoding="utf-8")
    vault = load_vault(root)
    assert parse_calls[3:] == ["A.md"]
    assert vault.note("A.md").links[0].target == "C"


@pytest.fixture
def note_reads(monkeypatch):
    """Notes kb.vault opens to read, in this test."""
    opened: list[str] = []
    real_open = os.open

    def recording(path, *args, **kwargs):
        opened.append(Path(path).name)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording)
    return opened


def test_note_with_an_unchanged_stat_is_not_read_again(tmp_path, cache, parse_calls, note_reads, monkeypatch):
    root = make_vault(tmp_path / "v")
    monkeypatch.setattr(kb.vault, "_RACY_NS", 0)    # as if every note were written long ago
    first = load_vault(root)
    note_reads.clear()
    again = load_vault(root)
    assert [name for name in note_reads if name.endswith(".md")] == []
    assert again.notes == first.notes and len(parse_calls) == 3
    # Same size, and the modification time put back: the change time still moves on.
    stamp = os.stat(root / "A.md")
    (root / "A.md").write_text("# A\n\nSee [[C]].\n", encoding="utf-8")
    os.utime(root / "A.md", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    vault = load_vault(root)
    assert parse_calls[3:] == ["A.md"]
    assert vault.note("A.md").links[0].target == "C"


def test_note_written_just_before_a_load_is_read_again_next_time(tmp_path, cache, parse_calls, note_reads):
    root = make_vault(tmp_path / "v")
    load_vault(root)
    note_reads.clear()
    load_vault(root)    # its stat may not tell a second write within the clock's tick apart
    assert sorted(name for name in note_reads if name.endswith(".md")) == ["A.md", "B.md", "C.md"]
    assert len(parse_calls) == 3                # read and hashed, not parsed


def test_cache_entry_that_cannot_be_decoded_is_parsed_again(tmp_path, cache, parse_calls, monkeypatch):
    root = make_vault(tmp_path / "v")
    expected = load_vault(root).notes
    real = kb.vault._decode

    def failing_for_b(encoding):
        note = real(encoding)
        if note.path == "sub/B.md":
            raise ValueError("bad entry")
        return note

    monkeypatch.setattr(kb.vault, "_decode", failing_for_b)
    assert load_vault(root).notes == expected
    assert parse_calls[3:] == ["sub/B.md"]


REPO = Path(__file__).resolve().parent.parent
CACHED_VAULTS = [REPO / "notes", REPO / "tests" / "vaults" / "lineage", REPO / "tests" / "check_vaults" / "forms",
                 REPO / "tests" / "parse_corpus"]


@pytest.mark.parametrize("root", CACHED_VAULTS, ids=lambda p: p.name)
def test_cached_notes_equal_freshly_parsed_ones(root, cache, parse_calls):
    """Every field of every record survives the cache, and a cell's links stay the note's own."""
    fresh = load_vault(root, use_cache=False)
    load_vault(root)                     # writes the cache
    calls = len(parse_calls)
    cached = load_vault(root)
    assert len(parse_calls) == calls     # nothing parsed: all of it came from the cache
    assert cached.notes == fresh.notes
    assert cached.diagnostics == fresh.diagnostics
    for note in cached.notes:
        for table in note.tables:
            for cell in (c for row in (table.header, *table.rows) for c in row):
                assert all(any(link is own for own in note.links) for link in cell.links)


def test_frontmatter_values_of_any_yaml_type_survive_the_cache(tmp_path, cache, parse_calls):
    root = tmp_path / "v"
    root.mkdir()
    (root / "Dated.md").write_text("---\ndate: 2015-12-10\nwhen: 2015-12-10T08:00:00\nsize: 1.5e9\n"
                                   "nested: {a: [1, null, true]}\n---\nBody\n", encoding="utf-8")
    (root / "Plain.md").write_text("---\nflag: true\nratio: 0.5\nnone:\nlist: [1, two, {three: 3}]\n"
                                   "big: 123456789012345678901234567890\n---\nBody\n", encoding="utf-8")
    fresh = load_vault(root, use_cache=False)
    load_vault(root)
    cached = load_vault(root)
    assert cached.notes == fresh.notes
    assert sorted(parse_calls) == ["Dated.md", "Dated.md", "Plain.md", "Plain.md"]   # the third load read the cache
    for note, again in zip(fresh.notes, cached.notes):
        assert [type(value) for value in again.frontmatter.values()] == \
            [type(value) for value in note.frontmatter.values()]       # True stays True, not 1


def test_notes_read_back_from_the_cache_share_the_strings_notes_repeat(tmp_path, cache):
    root = tmp_path / "v"
    root.mkdir()
    for name in ("A", "B"):
        (root / f"{name}.md").write_text("---\nyear: 2015\ntags: [cnn]\n---\n## Key facts\n\n"
                                         "See [[Shared Target]] #vision\n", encoding="utf-8")
    load_vault(root)
    again = load_vault(root)
    assert again.parsed == 0                 # both notes from the cache
    a, b = again.notes
    assert [key for key in a.frontmatter] == ["year", "tags"]
    assert all(x is y for x, y in zip(a.frontmatter, b.frontmatter))
    assert a.links[0].target is b.links[0].target
    assert all(x.name is y.name for x, y in zip(a.tags, b.tags))
    assert a.headings[0].text is b.headings[0].text and a.headings[0].anchor is b.headings[0].anchor


# Run in a fresh process: kb never forks a process that has other threads, and the test
# session may have some (the browser tests' driver).
FORKED_LOAD = r"""
import marshal, os, sys, time
from pathlib import Path
import kb.vault as vault

root, mode = Path(sys.argv[1]), sys.argv[2]
forks = []
real_start = vault.forked.start
vault.forked.start = lambda work, **kw: forks.append(len(work.args[1])) or real_start(work, **kw)
vault._Meeting.BATCH = 2              # many claims each, and the two sides meet mid-vault
vault._RACY_NS = 0                    # as if the notes were written long ago: their stats are kept
if mode == "child-fails":
    def failing(note):
        raise RuntimeError("encoding failed")
    vault._encode = failing           # the child encodes what it parsed; here it cannot
unreadable = {"A.md", "sub/deeper/C.md"} if mode == "unreadable" else set()    # one in each share
real_bytes = vault._read_bytes
def read_bytes(path):
    if path.split(str(root) + "/", 1)[1] in unreadable:
        raise PermissionError(13, "Permission denied")
    return real_bytes(path)
vault._read_bytes = read_bytes
os.environ["KB_FORK"] = "0"
alone = vault.load_vault(root, use_cache=False)
os.environ["KB_FORK"] = "1"
parent, read_by = os.getpid(), []
real_read = vault._read_one
def read_one(base, rel, entry):
    in_child = os.getpid() != parent
    if mode == "slow-" + ("child" if in_child else "parent"):
        time.sleep(0.05)              # this side shares its core with other work: the other reads more
    if not in_child:
        read_by.append(rel)
    return real_read(base, rel, entry)
vault._read_one = read_one
if mode == "overlap":                 # the child claims as if the parent's claims came at the same time as its own
    def from_front(meeting):          # (but for the last two notes, which only the parent reads)
        start = meeting._counters[0]
        end = min(start + meeting.BATCH, len(alone.notes) - 2)
        meeting._counters[0] = end
        time.sleep(0.05)
        return range(start, end) if start < end else None
    vault._Meeting.from_front = from_front
beside = vault.Beside(extract=lambda note: note.path, work=lambda extracts, files: [marshal.dumps(extracts)])
both = vault.load_vault(root, use_cache=mode != "child-fails", beside=beside)
assert forks and forks[0] == len(alone.notes) + len(unreadable), forks
assert both.notes == alone.notes and both.diagnostics == alone.diagnostics
assert {d.file for d in both.diagnostics if d.code == "unreadable"} == unreadable
if mode != "child-fails":             # every note's extract once, in order, whoever read it
    assert marshal.loads(vault.beside_result(both)) == [note.path for note in alone.notes]
if mode == "slow-child":
    assert len(read_by) > len(alone.notes) // 2, read_by
if mode == "slow-parent":
    assert 0 < len(read_by) < len(alone.notes) // 2, read_by
if mode != "child-fails":
    read_by.clear()
    again = vault.load_vault(root)    # the child wrote the cache: its notes and this process's, with their stats
    assert again.notes == alone.notes and again.parsed == 0 and set(read_by) <= unreadable, read_by
print("same notes", forks[0])
"""


@pytest.mark.parametrize("pattern", ["fb", "ffb", "fbbb", "b", "f"])
def test_claims_from_both_ends_share_every_note_once(pattern):
    meeting = kb.vault._Meeting(100)
    claims = {"f": meeting.from_front, "b": meeting.from_back}
    front, back, turn = [], [], 0
    while True:
        side = pattern[turn % len(pattern)]
        claimed = claims[side]()
        if claimed is None:
            break
        (front if side == "f" else back).extend(claimed)
        turn += 1
    assert sorted(front + back) == list(range(100))
    assert front == list(range(meeting.back))      # the child's share ends where this process's starts
    other = claims["b" if pattern[turn % len(pattern)] == "f" else "f"]
    assert other() is None         # met: the other side finds nothing left either


@pytest.mark.parametrize("mode", ["cached", "child-fails", "slow-child", "slow-parent", "overlap", "unreadable"])
def test_parsing_in_two_processes_gives_the_same_notes(tmp_path, cache, mode):
    import subprocess
    import sys

    root = make_vault(tmp_path / "v")
    for k in range(12):
        (root / f"N{k}.md").write_text(f"---\nyear: 201{k % 10}\ndate: 2015-12-10\n---\n# N{k}\n\n"
                                       f"| Model | Layers |\n|---|---|\n| [[N{k + 1}]] | {k} |\n", encoding="utf-8")
    (root / "Latin1.md").write_bytes("caf\xe9 [[A]]\n".encode("latin-1"))
    done = subprocess.run([sys.executable, "-c", FORKED_LOAD, str(root), mode], capture_output=True, text=True,
                          env={**os.environ, "KB_CACHE_DIR": str(cache)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("same notes 16")


def test_a_table_read_or_built_by_hand_is_stored_as_the_parser_stores_it():
    """The parser packs a table's cells as the cache stores them; a table whose cells were
    read since, or that was built from cells, is packed again the same way."""
    import dataclasses
    import marshal

    from kb.parse import Table, parse_note

    note = parse_note("| Year | Model | Note |\n|---|---|---|\n| 2012 | [[AlexNet]] |\n"
                      "| 2015 | [[ResNet\\|RN]] and [[VGGNet]] | deeper | extra |\n", "Lineage.md")
    as_parsed = marshal.loads(note.tables[0].packed_cells(note.links))
    assert [cell.text for cell in note.tables[0].rows[0]] == ["2012", "[[AlexNet]]", ""]   # read: unpacked
    assert marshal.loads(note.tables[0].packed_cells(note.links)) == as_parsed
    by_hand = Table(note.tables[0].line, note.tables[0].header, note.tables[0].rows, note.tables[0].section)
    assert marshal.loads(by_hand.packed_cells(note.links)) == as_parsed
    for stored in (note, dataclasses.replace(note, tables=(by_hand,))):
        decoded = kb.vault._decode(kb.vault._encode(stored))
        assert decoded == note
        cell = decoded.tables[0].rows[1][1]
        assert [link.target for link in cell.links] == ["ResNet", "VGGNet"]
        assert all(any(link is own for own in decoded.links) for link in cell.links)
