"""Problems found in a vault, each pinned to a file and a line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


# Read-only, but not declared frozen: a frozen dataclass takes several times as long to
# build (see kb.parse.note), and a large vault's check makes one per conflicting claim.
# Hashable by value all the same, as a frozen one is.
@dataclass(slots=True, unsafe_hash=True)
class Diagnostic:
    """One finding a user can act on: where, what was expected, what was found.

    `file` is relative to the vault root, POSIX style; `line` is 1-based
    (0 when the finding concerns the whole file or vault).
    """

    file: str
    line: int
    message: str
    code: str = ""  # short machine-readable kind: "yaml", "encoding", "dangling", "ambiguous", ...
    severity: Severity = "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "code": self.code,
                "severity": self.severity, "message": self.message}
