"""A progress bar on stderr for long work, shown only when stderr is a terminal.

Redirected output (CI logs, pipes) stays clean: the bar is simply off. Redraws are
throttled so that drawing never costs more than the work it describes.
"""

from __future__ import annotations

import sys
import time
from typing import IO


def _human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"  # pragma: no cover


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """`update(done, bytes)` as work advances; `close()` clears the line."""

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        unit: str = "objects",
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        interval: float = 0.1,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.interval = interval
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False
        self.detail = ""  # e.g. "2 failed, 3 running", shown after the counts

    def update(self, done: int, nbytes: int = 0, *, force: bool = False) -> None:
        """Move the bar to `done` (and `nbytes`), redrawn at most a few times a second unless
        `force`."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self.stream.write("\r" + self.line(done, nbytes, now - self.started) + "\x1b[K")
        self.stream.flush()
        self._drawn = True

    def line(self, done: int, nbytes: int, elapsed: float) -> str:
        """The bar as one line of text."""
        rate = nbytes / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.label}:"]
        if self.total:
            fraction = min(1.0, done / self.total)
            filled = int(fraction * 24)
            parts.append(f"[{'#' * filled}{'.' * (24 - filled)}] {fraction:4.0%}")
            parts.append(f"{done}/{self.total} {self.unit}")
        else:
            parts.append(f"{done} {self.unit}")
        if self.detail:
            parts.append(f"({self.detail})")
        if nbytes or self.unit != "repositories":
            parts.append(f"{_human_bytes(nbytes)} ({_human_bytes(rate)}/s)")
        if self.total and done and done < self.total:
            eta = elapsed * (self.total - done) / done
            parts.append(f"ETA {_clock(eta)}")
        return " ".join(parts)

    def close(self) -> None:
        """Clear the bar from the terminal (nothing was drawn when stderr is not one)."""
        if self.enabled and self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
