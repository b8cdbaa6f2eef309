"""Work in a forked child: results handed back, failures caught, background children waited for.

Each case runs in a fresh process: kb never forks a process that has other threads, and the
test session may have some (the browser tests' driver).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(code: str, *args: str, **env: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "KB_FORK": "1", **env}, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_childs_result_comes_back_and_a_failed_child_gives_none():
    out = run("""
from kb import forked
child = forked.start(lambda: b"parsed " + str(len(list(range(1000)))).encode())
print(forked.result(child))
def fails():
    raise RuntimeError("no")
print(forked.result(forked.start(fails)))
print(forked.result(forked.start(lambda: b"")))
""")
    assert out.splitlines() == ["b'parsed 1000'", "None", "None"]


def test_a_child_goes_on_with_what_it_is_sent_and_is_waited_for(tmp_path):
    target = tmp_path / "written"
    out = run("""
import sys, time
from pathlib import Path
from kb import forked
target = Path(sys.argv[1])
def write(orders, reply):
    time.sleep(0.3)                 # still at work when this process asks
    target.write_bytes(b"|".join(orders()))
child = forked.start(lambda: b"half", then=write, name="cache")
print(forked.result(child))
forked.send(child, b"wh", b"", b"ole")      # the parts arrive as they were sent
forked.wait("cache")
print(target.read_bytes())
""", str(target))
    assert out.splitlines() == ["b'half'", "b'wh||ole'"]


def test_a_child_still_writing_at_exit_is_waited_for(tmp_path):
    target = tmp_path / "written"
    run("""
import sys, time
from pathlib import Path
from kb import forked
target = Path(sys.argv[1])
def write(orders, reply):
    time.sleep(0.3)
    target.write_bytes(b"".join(orders()))
child = forked.start(lambda: b"half", then=write, name="cache")
forked.result(child)
forked.send(child, b"at exit")
""", str(target))
    assert target.read_bytes() == b"at exit"


def test_sending_to_a_child_that_died_is_not_an_error():
    out = run("""
import os, signal
from kb import forked
child = forked.start(lambda: b"x", then=lambda orders, reply: print(b"".join(orders())))
print(forked.result(child))
os.kill(child.pid, signal.SIGKILL)
os.waitpid(child.pid, 0)
forked.send(child, b"y" * 1_000_000)
print("sent")
""")
    assert out.splitlines() == ["b'x'", "sent"]


def test_a_child_never_sent_its_orders_is_told_to_stop_at_exit():
    out = run("""
from kb import forked
child = forked.start(lambda: b"x", then=lambda orders, reply: print("orders:", orders(), flush=True))
print(forked.result(child), flush=True)
""")   # this process ends without `send`: waiting for the child must not hang
    assert out.splitlines() == ["b'x'", "orders: []"]


def test_a_child_answers_its_orders_once_and_then_goes_on(tmp_path):
    target = tmp_path / "written"
    out = run("""
import os, sys
from pathlib import Path
from kb import forked
def go_on(orders, reply):
    reply(b"".join(orders()).upper())
    reply(b"ignored")                   # one answer only
    Path(sys.argv[1]).write_text(str(os.nice(0)))    # after answering: niced
child = forked.start(lambda: b"half", then=go_on, name="cache")
print(forked.result(child))
forked.send(child, b"lineage")
print(forked.answer(child), forked.answer(child))
def silent(orders, reply):
    orders()
quiet = forked.start(lambda: b"x", then=silent, name="other")
forked.result(quiet)
forked.send(quiet, b"orders")
print(forked.answer(quiet))
forked.wait()
""", str(target))
    assert out.splitlines() == ["b'half'", "b'LINEAGE' None", "None"]
    assert int(target.read_text()) > os.nice(0)


def test_a_child_gives_several_answers_in_order_at_full_priority_until_its_last(tmp_path):
    out = run("""
import os
from kb import forked
def go_on(orders, reply):
    orders()
    start = os.nice(0)
    reply(b"index", more=True)
    reply(b"", more=True)                       # an empty answer reads as None, and more follow
    reply(b"lineage " + str(os.nice(0) - start).encode(), more=True)
    reply(b"last")
    reply(b"ignored")                           # after the last
def stops(orders, reply):
    orders()
    reply(b"first", more=True)
    os._exit(1)                                 # fails before its last answer
for then in (go_on, stops):
    child = forked.start(lambda: b"r", then=then, name=then.__name__)
    forked.result(child)
    forked.send(child)
    print([forked.answer(child) for _ in range(6)])
forked.wait()
""")
    assert out.splitlines() == ["[b'index', None, b'lineage 0', b'last', None, None]",
                                "[b'first', None, None, None, None, None]"]


def test_wait_waits_for_the_work_and_no_child_is_left_unreaped(tmp_path):
    out = run("""
import os, sys, time
from pathlib import Path
from kb import forked
def go_on(orders, reply):
    orders()
    reply(b"")
    time.sleep(0.3)
    Path(sys.argv[1], str(os.getpid())).write_text("written")
children = [forked.start(lambda: b"r", then=go_on, name=f"writer {k}") for k in range(3)]
for child in children:
    forked.result(child)
    forked.send(child)
forked.wait()
print(sorted(p.read_text() for p in Path(sys.argv[1]).iterdir()))    # every write done
def state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
for _ in range(100):
    forked.wait()                       # reaps the children that exited since
    if all(state(child.pid) == "gone" for child in children):
        break
    time.sleep(0.05)
print([state(child.pid) for child in children])
""", str(tmp_path))
    assert out.splitlines() == ["['written', 'written', 'written']", "['gone', 'gone', 'gone']"]


def test_an_answer_never_read_does_not_hold_up_the_exit(tmp_path):
    target = tmp_path / "written"
    run("""
import sys
from pathlib import Path
from kb import forked
def go_on(orders, reply):
    payload = b"".join(orders())
    reply(b"x" * 10_000_000)            # far more than a pipe holds: it blocks until read
    Path(sys.argv[1]).write_bytes(payload)
child = forked.start(lambda: b"half", then=go_on, name="cache")
forked.result(child)
forked.send(child, b"cache written")
""", str(target))       # ends without `answer`: the child must not wait for a reader for ever
    assert target.read_bytes() == b"cache written"


@pytest.mark.parametrize("forking, threads", [("0", False), ("1", True)])
def test_no_fork_when_forbidden_or_with_other_threads(forking, threads):
    out = run("""
import sys, threading, time
from kb import forked
if sys.argv[1] == "True":
    threading.Thread(target=time.sleep, args=(1,), daemon=True).start()
print(forked.may_fork(), forked.start(lambda: b"x") is None if not forked.may_fork() else "")
""", str(threads), KB_FORK=forking)
    assert out.split()[0] == "False"


LINEAGE_BESIDE = r"""
import sys
from pathlib import Path
import kb.graph as graph
from kb.lineage import infer_lineage
from kb.resolve import build_index, index_tables
from kb.vault import load_vault

if sys.argv[2].endswith("fails"):
    import kb.lineage
    graph.encoded_lineage = None    # a child forked for the lineage cannot infer it
    kb.lineage.build_index = None   # the reading child cannot index the names it was sent
if sys.argv[2] == "reader-fails-late":       # after what the graph takes, before the rest
    import os, kb.lineage
    parent, found = os.getpid(), kb.lineage._found
    kb.lineage._found = lambda stated: found(stated) if os.getpid() == parent else 1 / 0
if sys.argv[2].startswith("reader"):
    inferred_here, indexed_here = [], []
    def counted(*args):
        inferred_here.append(1)     # counted in the process that calls it
        return infer_lineage(*args)
    def indexed(vault):
        indexed_here.append(1)
        return build_index(vault)
    graph.infer_lineage, graph.build_index = counted, indexed
    stages = graph.load_graph(Path(sys.argv[1]))    # inferred by the child that read half the notes
    vault = stages.vault
    assert vault.beside is not None
    assert len(indexed_here) == (sys.argv[2] == "reader-fails")
    assert stages.lineage.diagnostics is not None
    assert len(inferred_here) == (sys.argv[2] in ("reader-fails", "reader-fails-late"))
else:
    vault = load_vault(Path(sys.argv[1]), use_cache=False)
    stages = graph.vault_graph(vault)
index = build_index(vault)
assert stages.lineage == infer_lineage(vault, index)
# the index the reading child hands over is the one this process would build, over its own notes
assert index_tables(stages.index) == index_tables(index)
assert all(stages.index.notes[note.path] is note for note in vault.notes) and len(stages.index.notes) == len(index.notes)
print(len(stages.lineage.edges), sorted(stages.graph.nodes(data="year")))
"""


def test_a_reading_child_beside_links_a_snapshot_serves_gives_the_lineage(tmp_path, cache):
    # Notes whose text changed, names not: their links come from the snapshot, the lineage
    # from the child that read them (past the index it answers first, not needed then).
    shutil.copytree(REPO / "notes", tmp_path / "notes")
    out = run("""
import sys
from pathlib import Path
import kb.graph as graph, kb.snapshot as snapshot, kb.vault
from kb.lineage import infer_lineage
from kb.resolve import build_index
kb.vault._RACY_NS = 0
root = Path(sys.argv[1])
graph.load_graph(root)
graph.load_graph(root)                          # nothing changed since: the snapshot
for note in ("AlexNet.md", "VGGNet.md", "ResNet.md"):
    path = root / note
    path.write_text(path.read_text() + "\\nMore prose.\\n")
served, inferred_here = [], []
load = snapshot.load
snapshot.load = lambda *args, **kwargs: served.append(load(*args, **kwargs)) or served[-1]
graph.infer_lineage = lambda *args: inferred_here.append(1) or infer_lineage(*args)
stages = graph.load_graph(root)
assert stages.vault.beside is not None and served[0] is not None and served[0].graph is None
assert not inferred_here                        # the child's lineage
assert stages.lineage == infer_lineage(stages.vault, build_index(stages.vault))
print(len(stages.lineage.edges))
""", str(tmp_path / "notes"), KB_CACHE_DIR=str(cache))
    assert int(out) > 0


@pytest.mark.parametrize("mode", ["child", "child-fails", "reader", "reader-fails", "reader-fails-late"])
def test_the_lineage_inferred_in_a_child_is_the_lineage(mode, cache):
    out = run(LINEAGE_BESIDE, str(REPO / "notes"), mode, KB_CACHE_DIR=str(cache))
    edges, years = out.split(" ", 1)
    assert int(edges) > 0 and "('ResNet', 2015)" in years


BESIDE = r"""
import marshal, sys
from pathlib import Path
import kb.vault
from kb.vault import Beside, beside_result, load_vault

kb.vault._RACY_NS = 0           # a note written just now may be found in the cache by its stat
root = Path(sys.argv[1])
load_vault(root)                # every note cached
for name in ("b.md", "d.md", "f.md", "h.md"):
    (root / name).write_text(f"# {name} again\n[[a]]\n")
def work(extracts, files):
    yield marshal.dumps(extracts)
    yield marshal.dumps(list(files))
beside = Beside(extract=lambda note: (note.path, note.links[0].target if note.links else None), work=work)
vault = load_vault(root, beside=beside)
extracts, files = marshal.loads(beside_result(vault)), marshal.loads(beside_result(vault))   # in order
assert [path for path, _ in extracts] == [note.path for note in vault.notes], extracts
assert files == list(vault.files) == ["figure.png"], files
assert dict(extracts)["b.md"] == "a" and dict(extracts)["a.md"] == "b"
assert beside_result(vault) is None        # each answer given once
print(vault.parsed, len(extracts))
"""


def test_the_work_beside_the_load_gets_every_notes_extract_in_order(tmp_path, cache):
    for letter in "abcdefgh":
        (tmp_path / f"{letter}.md").write_text(f"# {letter}\n[[{'b' if letter == 'a' else 'a'}]]\n")
    (tmp_path / "figure.png").write_bytes(b"")
    out = run(BESIDE, str(tmp_path), KB_CACHE_DIR=str(cache))
    assert out.split() == ["4", "8"]        # four read again, four from the cache by their stat


def test_no_work_beside_the_load_without_a_child(tmp_path, cache):
    (tmp_path / "a.md").write_text("# a\n")
    out = run("""
import sys
from pathlib import Path
from kb.vault import Beside, beside_result, load_vault
vault = load_vault(Path(sys.argv[1]), beside=Beside(extract=lambda note: 1, work=lambda extracts, files: [b"x"]))
print(vault.beside, beside_result(vault))
""", str(tmp_path), KB_CACHE_DIR=str(cache), KB_FORK="0")
    assert out.split() == ["None", "None"]


def test_neither_side_waits_for_the_other_to_read_what_it_sends(tmp_path):
    # Each side hands over far more than a pipe holds, then waits for a sign the other side
    # makes before it reads: had handing over waited for the reader, both would wait for ever.
    out = run("""
import sys, time
from pathlib import Path
from kb import forked
folder = Path(sys.argv[1])
def appear(name):
    for _ in range(600):
        if (folder / name).exists():
            return True
        time.sleep(0.05)
    return False
def go_on(orders, reply):
    (folder / "result handed over").touch()
    assert appear("orders sent")
    reply("+".join(str(len(part)) for part in orders()).encode())
    (folder / "answered").touch()
child = forked.start(lambda: b"r" * 5_000_000, then=go_on, name="reader")
assert appear("result handed over")
print(len(forked.result(child)))
forked.send(child, b"o" * 3_000_000, b"o" * 3_000_000)
(folder / "orders sent").touch()
assert appear("answered")
print(forked.answer(child))
""", str(tmp_path))
    assert out.split() == ["5000000", "b'3000000+3000000'"]


def test_no_child_when_no_temporary_file_can_be_made():
    out = run("""
import tempfile
from kb import forked
def full(*args, **kwargs):
    raise OSError(28, "No space left on device")
tempfile.TemporaryFile = full
print(forked.start(lambda: b"x"), forked.start(lambda: b"x", then=lambda orders, reply: None))
""")
    assert out.split() == ["None", "None"]
