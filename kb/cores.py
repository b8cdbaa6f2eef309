"""How many CPU cores other work leaves free: whether a second process or thread pays."""

from __future__ import annotations

import os
import time

# Threads runnable at one moment are counted a few times, a few milliseconds apart, and the
# fewest count: a thread of the system's that runs for an instant (one in 60 counts, seen
# just after a `sync`) made a 50,000-note load decline its second process and take twice
# as long; work that holds a core is runnable at every count.
_COUNTS = 5
_COUNT_GAP = 0.002      # seconds


def idle_cores() -> float:
    """Cores that other work leaves free.

    The 1-minute load average, or, where the system says how many threads are
    runnable right now (Linux), the smaller of the two: kb's own processes of a
    moment ago still weigh on the average, and a core they freed is free.
    """
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):   # no load average on this platform
        return cores
    try:
        load = min(load, max(_runnable() - 1, 0))   # less this thread
    except (OSError, ValueError, IndexError):
        pass
    return cores - load


def _runnable() -> int:
    """The fewest threads runnable at once over a few counts (see `_COUNTS`)."""
    fewest = None
    for count in range(_COUNTS):
        if count:
            time.sleep(_COUNT_GAP)
        with open("/proc/loadavg", encoding="ascii") as handle:
            runnable = int(handle.read().split()[3].split("/")[0])
        fewest = runnable if fewest is None else min(fewest, runnable)
        if fewest <= 1:         # this thread alone: no count can be fewer
            break
    return fewest
