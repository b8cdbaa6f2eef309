"""Work in a forked child: results handed back, failures caught, background children waited for.

Each case runs in a fresh process: kb never forks a process that has other threads, and the
test session may have some (the browser tests' driver).
"""

from __future__ import annotations

import os
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
def write(payload):
    time.sleep(0.3)                 # still at work when this process asks
    target.write_bytes(payload)
child = forked.start(lambda: b"half", then=write, name="cache")
print(forked.result(child))
forked.send(child, b"whole")
forked.wait("cache")
print(target.read_bytes())
""", str(target))
    assert out.splitlines() == ["b'half'", "b'whole'"]


def test_a_child_still_writing_at_exit_is_waited_for(tmp_path):
    target = tmp_path / "written"
    run("""
import sys, time
from pathlib import Path
from kb import forked
target = Path(sys.argv[1])
def write(payload):
    time.sleep(0.3)
    target.write_bytes(payload)
child = forked.start(lambda: b"half", then=write, name="cache")
forked.result(child)
forked.send(child, b"at exit")
""", str(target))
    assert target.read_bytes() == b"at exit"


def test_sending_to_a_child_that_died_is_not_an_error():
    out = run("""
import os, signal
from kb import forked
child = forked.start(lambda: b"x", then=print)
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
child = forked.start(lambda: b"x", then=lambda payload: print("orders:", repr(payload), flush=True))
print(forked.result(child), flush=True)
""")   # this process ends without `send`: waiting for the child must not hang
    assert out.splitlines() == ["b'x'", "orders: b''"]


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
from kb.resolve import build_index
from kb.vault import load_vault

if sys.argv[2] == "child-fails":
    graph.to_tuples = None          # the child cannot encode what it inferred
vault = load_vault(Path(sys.argv[1]), use_cache=False)
stages = graph.vault_graph(vault)
assert stages.lineage == infer_lineage(vault, build_index(vault))
print(len(stages.lineage.edges), sorted(stages.graph.nodes(data="year")))
"""


@pytest.mark.parametrize("mode", ["child", "child-fails"])
def test_the_lineage_inferred_in_a_child_is_the_lineage(mode, cache):
    out = run(LINEAGE_BESIDE, str(REPO / "notes"), mode, KB_CACHE_DIR=str(cache))
    edges, years = out.split(" ", 1)
    assert int(edges) > 0 and "('ResNet', 2015)" in years
