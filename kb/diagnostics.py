"""Problems found in a vault, each pinned to a file and a line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
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
