"""Work done in a forked child process while this one goes on: a second core for large vaults.

A fork copies nothing up front (the child shares this process's pages until
either writes one), so a child starts with every note and index this process
has built, none of them serialised. kb forks for two kinds of work:

* `start` / `result`: a child computes something this process needs later
  (the notes it parsed, the lineage) and hands it back as bytes; `result`
  returns None when the child failed, and the caller then does the work
  itself.
* `start(..., then=...)` / `send` / `answer`: having handed its result over,
  the child goes on with what this process sends it. It may hand back
  answers (what it made of what each process read of the vault: the index of
  the notes' names, then the lineage), which `answer` collects one by one, as
  they come; once it has given its last it goes on in the background, at a
  lower priority (it writes the parse cache). `wait` (before reading that file)
  and the end of the process wait for it, so this process never reads a file
  its own child is still making (the write is atomic anyway).

Bytes travel through nameless temporary files, their lengths through pipes
(see `_Box`): whoever hands something over goes on at once.

A process with other threads is never forked (a thread holding a lock at the
fork would leave it held in the child for ever), nor one whose cores are busy
(`kb.cores`). `KB_FORK=0` never forks, `KB_FORK=1` forks whenever it can.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import tempfile
from dataclasses import dataclass
from typing import Callable

from kb.cores import idle_cores


@dataclass(frozen=True)
class _Box:
    """One way a payload travels between this process and a child, made before the fork: a
    nameless temporary file holds the payload, a pipe then carries its length. The sender
    never waits for the receiver to read (a pipe holds 64 KB: a writer waited until the
    other process came to read, stalling whichever of the two was ahead); the receiver
    waits on the pipe."""

    signal: int     # this side's end of the pipe
    store: int      # the file


def _boxes(count: int) -> list[tuple[int, int, int]] | None:
    """`count` (read end, write end, file) triples, or None when they cannot be made."""
    made: list[tuple[int, int, int]] = []
    try:
        for _ in range(count):
            with tempfile.TemporaryFile() as store:
                made.append((*os.pipe(), -1))      # closed again if the file cannot be kept
                made[-1] = (*made[-1][:2], os.dup(store.fileno()))
    except OSError:
        _close(end for box in made for end in box)
        return None
    return made


def _post(box: _Box, parts) -> None:
    """`_write` the `parts` as the box's one message, and close this side."""
    try:
        _write(box, parts)
    finally:
        _close((box.signal, box.store))


def _write(box: _Box, parts, offset: int = 0) -> int:
    """Write the `parts` end to end to the box's file from `offset`, then their count and
    lengths to its pipe (a message: see `_read`); the offset after them. OSError when the
    receiver is gone (or the disk is full)."""
    sizes = []
    for part in parts:
        view = memoryview(part).cast("B")
        sizes.append(len(view))
        while view:
            written = os.pwrite(box.store, view, offset)
            offset += written
            view = view[written:]
    os.write(box.signal, b"".join(size.to_bytes(8, "little") for size in (len(sizes), *sizes)))
    return offset


def _take(box: _Box) -> list[bytes] | None:
    """The parts the other side posted to the box, once it has; None when it closed its end
    without posting (it failed). Closes this side."""
    try:
        message = _read(box, 0)
        return message[0] if message is not None and not _exactly(box.signal, 1) else None
    finally:
        _close((box.signal, box.store))


def _read(box: _Box, offset: int) -> tuple[list[bytes], int] | None:
    """The parts of the next message `_write` sent through the box, its parts found in the
    file from `offset`, once it is sent; and the offset after them. None when the other side
    closed its end before sending one whole."""
    try:
        header = _exactly(box.signal, 8)
        sizes = _exactly(box.signal, 8 * int.from_bytes(header, "little")) if len(header) == 8 else b""
        if len(header) < 8 or len(sizes) != 8 * int.from_bytes(header, "little"):
            return None
        parts = []
        for at in range(0, len(sizes), 8):
            size = int.from_bytes(sizes[at:at + 8], "little")
            chunks = []
            while size:
                chunk = os.pread(box.store, min(size, 1 << 30), offset)
                if not chunk:
                    return None
                chunks.append(chunk)
                offset += len(chunk)
                size -= len(chunk)
            parts.append(b"".join(chunks) if len(chunks) != 1 else chunks[0])
        return parts, offset
    except OSError:
        return None


def _exactly(signal: int, count: int) -> bytes:
    """`count` bytes from a pipe, fewer when the other side closes it first."""
    got = b""
    while len(got) < count:
        chunk = os.read(signal, count - len(got))
        if not chunk:
            break
        got += chunk
    return got


def _one(parts: list[bytes] | None) -> bytes:
    """The payload of a box posted one part (b"" when none came)."""
    return parts[0] if parts is not None and len(parts) == 1 else b""


@dataclass(frozen=True)
class Child:
    pid: int
    results: _Box           # the child's result
    orders: _Box | None     # what the child does next (see `start`)
    answers: _Box | None    # the child's answers to its orders
    name: str | None
    # with orders: a pipe the child closes once its work is done, before it exits (tearing
    # down a large process takes a while, which `wait` need not wait for)
    done: int | None = None


_background: dict[str, Child] = {}  # children gone on in the background (see `start`), by name
_unsent: dict[int, _Box] = {}       # pid -> orders not sent yet
_unread: dict[int, tuple[_Box, int]] = {}   # pid -> its answers' box, and where the next is in its file


def pays(count: int, minimum: int) -> bool:
    """Whether forking for `count` items pays: at least `minimum` of them (below, the fork
    costs more than it saves) and `may_fork`; `KB_FORK=1` drops the minimum."""
    return (count >= minimum or os.environ.get("KB_FORK") == "1") and may_fork()


def may_fork() -> bool:
    """Whether a child would run beside this process now (see the module docstring)."""
    import threading

    wanted = os.environ.get("KB_FORK", "")
    if wanted == "0" or not hasattr(os, "fork") or threading.active_count() > 1:
        return False
    if wanted == "1":
        return True
    # a second core nearly free; this process's own background children, niced, give way
    return (os.cpu_count() or 1) >= 2 and idle_cores() + _running_background() >= 1.5


def start(work: Callable[[], bytes],
          then: Callable[[Callable[[], bytes], Callable[[bytes], None]], None] | None = None,
          name: str | None = None) -> Child | None:
    """Fork a child that runs `work` and hands what it returns to `result`; None when no
    child could be started (the caller then does the work itself).

    With `then`, the child goes on after handing its result over: it runs
    `then(orders, reply)`, where `orders()` waits for the parts this process `send`s and
    returns them (none for nothing; the child may work on before it asks), and
    `reply(answer, more=True)` hands back an answer that others follow, which `answer`
    returns here in turn. Until it calls `reply(answer)` (its last; b"" for none), it runs
    at full priority; then niced. It is known by `name` to `wait`.
    Such a child should be forked while this process is small: every page the two
    share is copied when either writes it (Python writes an object's page whenever it
    refers to the object), about 2.5 µs a page, so a child outliving a fork made with a
    large heap slows this process down for as long as it lives.
    """
    if then is not None and name is not None:
        wait(name)                      # one child at a time goes by a name
    boxes = _boxes(3 if then is not None else 1)
    if boxes is None:
        return None
    try:
        done = os.pipe() if then is not None else ()      # see `Child.done`
    except OSError:
        done = None
    pid = _fork() if done is not None else None
    if pid is None:
        _close([end for box in boxes for end in box] + list(done or ()))
        return None
    # (read end, write end, file) per box: the result travels to this process, orders to the
    # child, the answer back; each side keeps the end it uses and the file
    results, orders, answers = boxes if then is not None else (boxes[0], None, None)
    if pid == 0:
        status = 1
        try:
            _close((results[0], *(orders[1:2] if orders else ()), *(answers[:1] if answers else ()), *done[:1]))
            _post(_Box(results[1], results[2]), [work()])
            if then is not None:
                then(lambda: _take(_Box(orders[0], orders[2])) or [],
                     functools.partial(_reply, _Box(answers[1], answers[2])))
                _reply(_Box(answers[1], answers[2]), b"")     # a `then` that never replied: close all the same
            status = 0
        finally:
            _close(done[1:])
            os._exit(status)            # no exit handlers, no buffers of the parent's
    _close((results[1], *(orders[:1] if orders else ()), *(answers[1:2] if answers else ()), *done[1:]))
    child = Child(pid, _Box(results[0], results[2]), _Box(orders[1], orders[2]) if orders else None,
                  _Box(answers[0], answers[2]) if answers else None, name, done[0] if done else None)
    if then is not None:    # it goes on: orders may be sent, and answers read, from now on
        _background[name if name is not None else str(pid)] = child
        _unsent[pid] = child.orders
        _unread[pid] = (child.answers, 0)
    return child


_replied: set[int] = set()      # in a child: answer pipes already closed
_answered: dict[int, int] = {}  # in a child: answer pipe -> where its next answer goes in the file


def _reply(box: _Box, answer: bytes, *, more: bool = False) -> None:
    """In a child: hand `answer` back. With `more`, others follow; else it is the last (later
    calls do nothing), and the child then gives way to the work the user waits for."""
    if box.signal in _replied:
        return
    with contextlib.suppress(OSError):  # this process stopped listening (see `_forget`): not wanted
        _answered[box.signal] = _write(box, [answer], _answered.get(box.signal, 0))
    if more:
        return
    _replied.add(box.signal)
    _close((box.signal, box.store))
    with contextlib.suppress(OSError):
        os.nice(10)


def _close(ends) -> None:
    for end in ends:
        with contextlib.suppress(OSError):
            os.close(end)


def result(child: Child) -> bytes | None:
    """What the child's work returned, or None when it failed."""
    payload = _one(_take(child.results))
    if child.orders is not None:          # it goes on: what it sent is checked by the caller
        return payload or None
    _, status = os.waitpid(child.pid, 0)
    return payload if status == 0 and payload else None


def send(child: Child, *parts: bytes) -> None:
    """Hand a child started with `then` its orders, before or after `result`: the `parts`
    (none for nothing), which its `orders()` returns as they were. Parts made one by one
    need not be joined first (a large vault's are hundreds of megabytes)."""
    if child.orders is None:
        raise ValueError("this child takes no orders")
    orders = _unsent.pop(child.pid, None)
    if orders is None:      # sent already, or the child was told to stop
        return
    with contextlib.suppress(OSError):  # the child is gone: what it would have done is left undone
        _post(orders, parts)


def answer(child: Child) -> bytes | None:
    """The child's next answer to its orders (after `send`), in the order it gave them; None
    once it has given its last (an empty answer reads as None too), or when it failed."""
    held = _unread.get(child.pid)
    if held is None:
        return None
    box, offset = held
    message = _read(box, offset)
    if message is None:         # no more
        del _unread[child.pid]
        _close((box.signal, box.store))
        return None
    parts, _unread[child.pid] = message[0], (box, message[1])
    return _one(parts) or None


def wait(name: str | None = None) -> None:
    """Wait for the background child called `name` (every one when None) to finish its work
    (not its exit: see `Child.done`; it is reaped later, or by the system when this process
    ends)."""
    for known in [name] if name is not None else list(_background):
        child = _forget(known)
        if child is not None:
            with contextlib.suppress(OSError):
                while os.read(child.done, 1 << 12):
                    pass
            _close((child.done,))
            _exiting.add(child.pid)
    _reap()


_exiting: set[int] = set()      # children done with their work, not yet reaped


def _reap() -> None:
    for pid in list(_exiting):
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                _exiting.discard(pid)
        except ChildProcessError:
            _exiting.discard(pid)


atexit.register(wait)


def _forget(name: str) -> Child | None:
    """Drop a background child from the books; one never sent its orders is told there are
    none (it would wait for them for ever)."""
    child = _background.pop(name, None)
    if child is not None:
        unread = _unread.pop(child.pid, None)
        for box in (_unsent.pop(child.pid, None), unread[0] if unread is not None else None):
            if box is not None:
                _close((box.signal, box.store))
    return child


def _running_background() -> int:
    _reap()
    running = 0
    for name, child in list(_background.items()):
        try:
            done, _ = os.waitpid(child.pid, os.WNOHANG)
        except ChildProcessError:
            done = child.pid
        if done:
            _forget(name)
            _close((child.done,))
        else:
            running += 1
    return running


def _fork() -> int | None:
    try:
        return os.fork()
    except OSError:
        return None
