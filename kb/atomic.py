"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable


def write_bytes(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename.

    With `exclusive`, fail with FileExistsError instead of replacing an existing file
    (the check and the link are one step, so a file created meanwhile is never lost).
    """
    write_parts(path, (data,), exclusive=exclusive)


def write_parts(path: Path, parts: Iterable[bytes | memoryview], *, exclusive: bool = False,
                start: Callable[[], bytes] | None = None, durable: bool = True) -> None:
    """`write_bytes` of the parts end to end, without joining them in memory first (a cache
    of a large vault is hundreds of megabytes): `parts` may make each as it is written.

    `start`, called once every part is written, gives the bytes that then replace the
    file's first bytes: a header that depends on all that follows, such as a checksum
    (the parts begin with room for it).

    The file is on disk before it takes the name, so a power cut leaves the old file or
    the new one; not `durable`, it is left to the system to write back when it will (a
    file checked by its reader, which takes one cut short for none, need not wait for the
    disk: forcing a large vault's 160 MB parse cache out took 0.05 s of an idle disk, in
    the run whose end the user waits for).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for part in parts:
                handle.write(part)
                del part        # before the next part is made: a generator's parts are never held two at once
            if start is not None:
                handle.seek(0)
                handle.write(start())
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)  # raises FileExistsError when the name is taken
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str, *, exclusive: bool = False) -> None:
    write_bytes(path, text.encode("utf-8"), exclusive=exclusive)
