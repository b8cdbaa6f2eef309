"""Whether a second process pays: the free cores kb reads before forking or starting a helper."""

from __future__ import annotations

import io

import pytest

import kb.cores


@pytest.mark.parametrize("average, runnable, idle", [
    (1.9, "1/200", 2.0),     # kb's own runs of a moment ago raised the average; nothing else runs now
    (0.2, "3/200", 1.8),     # a burst of other threads right now, idle on average: the average counts
    (1.0, "2/200", 1.0),     # one other thread, busy for a while: one core free
])
def test_idle_cores_take_the_smaller_of_average_and_runnable_threads(monkeypatch, average, runnable, idle):
    monkeypatch.setattr(kb.cores.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(kb.cores.os, "getloadavg", lambda: (average, average, average))
    monkeypatch.setattr(kb.cores, "open", lambda *args, **kwargs: io.StringIO(f"{average} 0 0 {runnable} 1\n"),
                        raising=False)
    assert kb.cores.idle_cores() == pytest.approx(idle)


def test_idle_cores_without_a_runnable_count_use_the_average(monkeypatch):
    def missing(*args, **kwargs):
        raise OSError("no such file")

    monkeypatch.setattr(kb.cores.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(kb.cores.os, "getloadavg", lambda: (2.5, 2.0, 1.0))
    monkeypatch.setattr(kb.cores, "open", missing, raising=False)
    assert kb.cores.idle_cores() == pytest.approx(1.5)


def test_a_thread_runnable_for_an_instant_leaves_its_core_free(monkeypatch):
    """The fewest of several counts: a thread of the system's caught running at one count
    does not make a core look taken; one runnable at every count does."""
    def counts(*runnable):
        lines = iter(f"1.0 0 0 {n}/200 1\n" for n in runnable)
        monkeypatch.setattr(kb.cores, "open", lambda *args, **kwargs: io.StringIO(next(lines)), raising=False)

    monkeypatch.setattr(kb.cores.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(kb.cores.os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    monkeypatch.setattr(kb.cores.time, "sleep", lambda seconds: None)
    counts(2, 1)
    assert kb.cores.idle_cores() == pytest.approx(2.0)
    counts(2, 2, 3, 2, 2)
    assert kb.cores.idle_cores() == pytest.approx(1.0)
