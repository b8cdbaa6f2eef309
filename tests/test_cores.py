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
