"""Work done in a forked child process while this one goes on: a second core for large vaults.

A fork copies nothing up front (the child shares this process's pages until
either writes one), so a child starts with every note and index this process
has built, none of them serialised. kb forks for two kinds of work:

* `start` / `result`: a child computes something this process needs later
  (half the notes parsed, the lineage) and hands it back as bytes through a
  pipe; `result` returns None when the child failed, and the caller then does
  the work itself.
* `start(..., then=...)` / `send` / `answer`: having handed its result over,
  the child goes on with what this process sends it. It may hand back one
  answer (the lineage, from what each process read of the vault), which
  `answer` collects; once it has answered it goes on in the background, at a lower
  priority (it writes the parse cache). `wait` (before reading that file) and
  the end of the process wait for it, so this process never reads a file its
  own child is still making (the write is atomic anyway).

A process with other threads is never forked (a thread holding a lock at the
fork would leave it held in the child for ever), nor one whose cores are busy
(`kb.cores`). `KB_FORK=0` never forks, `KB_FORK=1` forks whenever it can.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
from dataclasses import dataclass
from typing import Callable

from kb.cores import idle_cores


@dataclass(frozen=True)
class Child:
    pid: int
    results: int            # read end of the child's result
    orders: int | None      # write end of what the child does next (see `start`)
    answers: int | None     # read end of the child's answer to its orders
    name: str | None


_background: dict[str, Child] = {}  # children gone on in the background (see `start`), by name
_unsent: dict[int, int] = {}        # pid -> the write end of orders not sent yet
_unread: dict[int, int] = {}        # pid -> the read end of an answer not read yet


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
    `then(orders, reply)`, where `orders()` waits for what this process `send`s and
    returns it (the child may work on before it asks). Until it calls
    `reply(answer)` (b"" for none), which `answer` returns here, it runs at full
    priority; then niced. It is known by `name` to `wait`.
    Such a child should be forked while this process is small: every page the two
    share is copied when either writes it (Python writes an object's page whenever it
    refers to the object), about 2.5 µs a page, so a child outliving a fork made with a
    large heap slows this process down for as long as it lives.
    """
    pipes = []
    try:
        for _ in range(3 if then is not None else 1):
            pipes.append(os.pipe())
    except OSError:
        _close(end for pipe in pipes for end in pipe)
        return None
    results, orders, answers = pipes if then is not None else (pipes[0], None, None)
    pid = _fork()
    if pid is None:
        _close(end for pipe in pipes for end in pipe)
        return None
    if pid == 0:
        status = 1
        try:
            _close((results[0], *(orders[1:] if orders else ()), *(answers[:1] if answers else ())))
            payload = work()
            with os.fdopen(results[1], "wb") as out:
                out.write(payload)
            if then is not None:
                with os.fdopen(orders[0], "rb") as incoming:
                    then(incoming.read, functools.partial(_reply, answers[1]))
                _reply(answers[1], b"")     # a `then` that never replied: close the pipe all the same
            status = 0
        finally:
            os._exit(status)            # no exit handlers, no buffers of the parent's
    _close((results[1], *(orders[:1] if orders else ()), *(answers[1:] if answers else ())))
    return Child(pid, results[0], orders[1] if orders else None, answers[0] if answers else None, name)


_replied: set[int] = set()      # in a child: answer pipes already closed


def _reply(end: int, answer: bytes) -> None:
    """In a child: hand `answer` back (once; later calls do nothing), then give way to the
    work the user waits for."""
    if end in _replied:
        return
    _replied.add(end)
    try:
        with os.fdopen(end, "wb") as out:
            out.write(answer)
    except OSError:     # this process stopped listening (see `_forget`): the answer is not wanted
        pass
    with contextlib.suppress(OSError):
        os.nice(10)


def _close(ends) -> None:
    for end in ends:
        with contextlib.suppress(OSError):
            os.close(end)


def result(child: Child) -> bytes | None:
    """What the child's work returned, or None when it failed."""
    try:
        with os.fdopen(child.results, "rb") as pipe:
            payload = pipe.read()
    except OSError:
        payload = b""
    if child.orders is not None:          # it goes on: what it sent is checked by the caller
        name = child.name if child.name is not None else str(child.pid)
        wait(name)
        _background[name] = child
        _unsent[child.pid] = child.orders
        _unread[child.pid] = child.answers
        return payload or None
    _, status = os.waitpid(child.pid, 0)
    return payload if status == 0 and payload else None


def send(child: Child, *parts: bytes) -> None:
    """Hand a child started with `then` its orders, after `result`: the `parts` end to end (none
    for nothing). Parts made one by one need not be joined first (a large vault's are
    hundreds of megabytes)."""
    if child.orders is None:
        raise ValueError("this child takes no orders")
    orders = _unsent.pop(child.pid, None)
    if orders is None:      # sent already, or the child was told to stop
        return
    try:
        with os.fdopen(orders, "wb") as pipe:
            for part in parts:
                pipe.write(part)
    except OSError:     # the child is gone (or was told to stop): what it would have done is left undone
        pass


def answer(child: Child) -> bytes | None:
    """The child's answer to its orders (after `send`), or None when it gave none or failed.
    Read once; later calls give None."""
    end = _unread.pop(child.pid, None)
    if end is None:
        return None
    try:
        with os.fdopen(end, "rb") as pipe:
            return pipe.read() or None
    except OSError:
        return None


def wait(name: str | None = None) -> None:
    """Wait for the background child called `name` (every one when None) to finish."""
    for known in [name] if name is not None else list(_background):
        child = _forget(known)
        if child is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child.pid, 0)


atexit.register(wait)


def _forget(name: str) -> Child | None:
    """Drop a background child from the books; one never sent its orders is told there are
    none (it would wait for them for ever), and one whose answer is not read finds no one
    listening (it would block writing it)."""
    child = _background.pop(name, None)
    if child is not None:
        _close(end for end in (_unsent.pop(child.pid, None), _unread.pop(child.pid, None)) if end is not None)
    return child


def _running_background() -> int:
    running = 0
    for name, child in list(_background.items()):
        try:
            done, _ = os.waitpid(child.pid, os.WNOHANG)
        except ChildProcessError:
            done = child.pid
        if done:
            _forget(name)
        else:
            running += 1
    return running


def _fork() -> int | None:
    try:
        return os.fork()
    except OSError:
        return None
