"""Shared helpers for the benchmark scripts: timing, machine description, tables.

Benchmarks are scripts, not tests: they print a Markdown table of wall times and ratios
that goes into bench/RESULTS.md with the command that produced it.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / "work"


@dataclass
class Timing:
    """Wall times of repeated runs of one command, plus what it printed last."""

    name: str
    seconds: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    stdout: bytes = b""
    returncode: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run_timed(
    name: str,
    argv: Sequence[str],
    *,
    runs: int = 3,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin_path: Path | None = None,
    shell: bool = False,
    before_each: object = None,
) -> Timing:
    """Run a command `runs` times; wall time of each, and the peak RSS of the process tree
    (ru_maxrss of the waited-for child, which includes its own waited-for children)."""
    timing = Timing(name)
    for _ in range(runs):
        if callable(before_each):
            before_each()
        stdin = stdin_path.open("rb") if stdin_path else subprocess.DEVNULL
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv if not shell else " ".join(argv),
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            shell=shell,
        )
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if stdin_path:
            stdin.close()  # type: ignore[union-attr]
        timing.seconds.append(elapsed)
        timing.peak_rss_mb = max(timing.peak_rss_mb, usage.ru_maxrss / 1024)
        timing.stdout = out
        timing.returncode = proc.returncode
    return timing


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def tool_version(argv: Sequence[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def table(rows: list[tuple[str, Timing, str]], reference: Timing) -> str:
    lines = [
        "| command | median wall (s) | runs | vs fastaudit | note |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for label, timing, note in rows:
        ratio = timing.median / reference.median if reference.median else float("nan")
        lines.append(
            f"| {label} | {timing.median:.3f} | {len(timing.seconds)} | {ratio:.2f}x | {note} |"
        )
    return "\n".join(lines)


def self_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def which(name: str) -> str | None:
    return shutil.which(name) or (
        str(Path(sys.executable).parent / name)
        if (Path(sys.executable).parent / name).exists()
        else None
    )
