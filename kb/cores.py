"""How many CPU cores other work leaves free: whether a second process or thread pays."""

from __future__ import annotations

import os


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
        with open("/proc/loadavg", encoding="ascii") as handle:
            runnable = int(handle.read().split()[3].split("/")[0])
        load = min(load, max(runnable - 1, 0))   # less this thread
    except (OSError, ValueError, IndexError):
        pass
    return cores - load
