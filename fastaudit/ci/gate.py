"""Run the scan a CI event asks for, through the same commands a person runs, and keep its
JSON report for the platform's own formats."""

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
    mode: str = "diff"
    fail_on: str = "low"
    baseline: Path | None = None
    config: Path | None = None
    verify: bool = False


def scan_arguments(repo: Path, scan: Range, options: GateOptions, json_path: Path) -> list[str]:
    """The fastaudit command line for this scan."""
    if options.mode == "audit":
        args = ["audit", str(repo), "--json", str(json_path)]
    else:
        args = ["history", str(repo), "--format", "json", "--output", str(json_path)]
        if scan.base is not None:
            args += ["--since", scan.base, "--branch", scan.head]
    args += ["--fail-on", options.fail_on]
    if options.config is not None:
        args += ["--config", str(options.config)]
    if options.baseline is not None and options.mode != "audit":
        args += ["--baseline", str(options.baseline)]
    if options.verify:
        args.append("--verify")
    return args


def run_scan(repo: Path, scan: Range, options: GateOptions, json_path: Path) -> tuple[int, Report]:
    """Scan; the exit code follows `--fail-on` (0 clean, 1 findings, 2 incomplete)."""
    from fastaudit import saved
    from fastaudit.cli import main

    code = main(scan_arguments(repo, scan, options, json_path))
    if not json_path.is_file():
        from fastaudit.errors import InputError

        raise InputError(f"the scan wrote no report (exit code {code})")
    return code, saved.load_report(json_path)


def write_format(report: Report, name: str, path: Path) -> None:
    import functools

    from fastaudit.output import write_output
    from fastaudit.report import render

    write_output(path, functools.partial(render, name, report))
