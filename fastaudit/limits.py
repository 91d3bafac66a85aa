"""How far the scan looks inside content (the limits every source is unpacked within), the
running budget of one file, and the mark on what a limit kept closed."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UnwrapLimits:
    """Bounds on unwrapping one file (or git object). Defaults suit source trees: a
    decompressed member larger than 64 MiB or a ratio over 1000:1 is a bomb, not a
    backup anyone reads."""

    enabled: bool = True
    max_depth: int = 4  # layers: base64 in gzip in tar counts three
    max_member_bytes: int = 64 * 1024 * 1024
    max_total_bytes: int = 256 * 1024 * 1024
    max_file_bytes: int = 64 * 1024 * 1024  # larger files are scanned plainly only
    max_entries: int = 10_000
    max_ratio: float = 1000.0
    max_seconds: float = 30.0


# Every warning that means "content here was not opened" (a limit, a corrupt or encrypted
# container, a file too large to unpack, a capped search) ends with this mark, so one test
# tells a run that saw everything from one that did not (`fail_on_unopened`).
NOT_OPENED = "[not opened]"


def not_opened(where: str, message: str) -> str:
    """The warning for content that was not opened, marked so the exit code can see it."""
    return f"{where}: {message} {NOT_OPENED}"


def count_not_opened(warnings: Iterable[str]) -> int:
    """How many of `warnings` say something was not opened."""
    return sum(1 for w in warnings if w.endswith(NOT_OPENED))


class LimitHit(Exception):
    """A limit stopped the unwrapping of one view; findings so far are kept."""


@dataclass
class Budget:
    """What one file has used of its limits, and the warnings it produced."""

    limits: UnwrapLimits
    path: str
    started: float = field(default_factory=time.monotonic)
    produced: int = 0
    entries: int = 0
    warnings: list[str] = field(default_factory=list)
    _warned: set[str] = field(default_factory=set)

    def warn(self, where: str, message: str) -> None:
        """One warning per (place, message): a bomb with 10,000 members says it once."""
        text = not_opened(where, message)
        if text not in self._warned:
            self._warned.add(text)
            self.warnings.append(text)

    def check_time(self, where: str) -> None:
        """Raise LimitHit (after one warning) once this file has been unpacked for longer than
        allowed."""
        if time.monotonic() - self.started > self.limits.max_seconds:
            self.warn(
                self.path,
                f"unpacking stopped after {self.limits.max_seconds:g} s "
                "(unwrap_max_seconds); the rest of this file was scanned plainly only",
            )
            raise LimitHit(where)

    def allowance(self) -> int:
        """Bytes a new view may still produce."""
        return max(
            0, min(self.limits.max_member_bytes, self.limits.max_total_bytes - self.produced)
        )

    def produce(self, count: int) -> None:
        """Count bytes a view produced against the file's total allowance."""
        self.produced += count
