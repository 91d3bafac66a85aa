"""Run the scan a CI event asks for through the same command functions a person's
`fastaudit history` and `fastaudit audit` call, and hand back their report for the
platform's own formats."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastaudit.ci.checkout import Range

if TYPE_CHECKING:
    from fastaudit.report import Report

MODES = ("diff", "history", "audit")


@dataclass(frozen=True)
class GateOptions:
    """The CI inputs every platform shares: mode, threshold, baseline, settings, verify."""

    mode: str = "diff"
    fail_on: str = "low"
    baseline: Path | None = None
    config: Path | None = None
    verify: bool = False


def run_scan(repo: Path, scan: Range, options: GateOptions) -> tuple[int, Report]:
    """Scan; the exit code follows `fail_on` (0 clean, 1 findings, 2 incomplete)."""
    if options.mode == "audit":
        from fastaudit.commands.audit import AuditRequest, audit

        done = audit(
            AuditRequest(
                repos=(str(repo),),
                baseline=options.baseline,
                fail_on=options.fail_on,
                config=options.config,
                verify=options.verify,
            )
        )
    else:
        from fastaudit.commands.history import HistoryRequest, history

        narrowed = scan.base is not None
        done = history(
            HistoryRequest(
                repo=repo,
                since=scan.base if narrowed else None,
                branch=scan.head if narrowed else None,
                baseline=options.baseline,
                fail_on=options.fail_on,
                config=options.config,
                verify=options.verify,
            )
        )
    return done.code, done.report


def write_format(report: Report, name: str, path: Path) -> None:
    """Write the report in one of fastaudit's formats, atomically, to `path`."""
    import functools

    from fastaudit.output import write_output
    from fastaudit.report import render

    write_output(path, functools.partial(render, name, report))
