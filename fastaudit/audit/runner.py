"""Running a planned audit: each result merged as it arrives (journal, spool), the
inventory checks, then the report with its trend and parameters. The command line and
`fastaudit demo` both call `audit_report`."""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.audit.result import RepoResult, TaskOptions
from fastaudit.baseline import Baseline
from fastaudit.config import Config
from fastaudit.detect import KeyVault
from fastaudit.errors import FastauditError, InputError, InternalError
from fastaudit.findings import Finding, Pass
from fastaudit.sources.mirrors import RepoTarget

if TYPE_CHECKING:
    from fastaudit.audit.executors import Executor
    from fastaudit.audit.journal import Journal
    from fastaudit.report import Report
    from fastaudit.spool import ResultSpool

__all__ = ["AuditResult", "audit_report", "run", "write_reports"]


@dataclass
class AuditResult:
    """A finished run. Findings and repository rows live in the run's spool on disk
    (`fastaudit.spool`), so the client's memory does not grow with the organisation."""

    repos: Sequence[dict[str, Any]]
    findings: Sequence[Finding]
    passes: list[Pass]
    notes: list[str]
    warnings: list[str]
    stats: dict[str, int]


# --- run ---------------------------------------------------------------------------------


def run(
    targets: Sequence[RepoTarget],
    cfg: Config,
    *,
    inventory: Any,
    as_of: datetime,
    departures: Sequence[Any] = (),
    options: TaskOptions | None = None,
    executor: Executor | None = None,
    journal: Journal | None = None,
    verify: Callable[[list[Finding], KeyVault], list[Finding]] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> AuditResult:
    """Audit every target (skipping those the journal already holds), then the inventory.

    Each result goes to the journal and the spool as it arrives and is then let go: what
    stays in memory is the plan, the warnings and a few totals."""
    from fastaudit import checks
    from fastaudit.audit.executors import LocalExecutor
    from fastaudit.inventory import Inventory
    from fastaudit.spool import ResultSpool

    options = options or TaskOptions(config=cfg)
    vault = KeyVault() if verify is not None else None
    if executor is None:
        executor = LocalExecutor(vault=vault)
    elif isinstance(executor, LocalExecutor) and vault is not None:
        executor.vault = vault  # the keys it finds are the ones verification sends
    elif verify is not None and not isinstance(executor, LocalExecutor):
        raise InputError(
            "--verify runs with --executor local only: keys never leave the machine that found them"
        )
    place = {t.name: index for index, t in enumerate(targets)}
    if len(place) != len(targets):
        raise InternalError("two repositories of one audit share a name")
    spool = ResultSpool()
    merged = _Merge(spool, place, options.accepted)
    if journal is not None and journal.exists():
        from fastaudit.audit.journal import name_id

        names = {name_id(t.name): t.name for t in targets}
        for ident, result in journal.completed():
            if ident in names:
                result.name = names[ident]  # stored redacted; the plan has it whole
                merged.add(result, from_journal=True)
    todo = [t for t in targets if t.name not in merged.done]
    if on_progress is not None:
        on_progress(len(merged.done), merged.stats["failed"], 0)
    for result in executor.run(todo, options) if todo else ():
        if journal is not None:
            journal.record(result)
        merged.add(result)
        if on_progress is not None:
            on_progress(len(merged.done), merged.stats["failed"], executor.running())
    if journal is not None:
        journal.close()
    findings = spool.findings()
    if verify is not None and vault is not None:
        # Verification holds the run's key findings in memory: it runs with the local
        # executor only, where the keys are, and at the API's rate, not the cluster's.
        verified = verify(list(findings), vault)
        spool.replace_findings(f for f in verified if f.rule_id != "FAST140")  # checks add them
    context = checks.CheckContext(
        config=cfg, as_of=as_of, departures=tuple(departures), leaks=findings
    )
    checked = checks.run(inventory if inventory is not None else Inventory((), "none"), context)
    spool.add_findings(len(targets), merged.unaccepted(checked.findings))
    return AuditResult(
        repos=spool.repos(),
        findings=spool.findings(),
        passes=checked.passes,
        notes=checked.notes,
        warnings=merged.warnings(),
        stats=merged.stats,
    )


# Fields of a repository's stats that depend on when and where it ran, not on what it
# holds: left out of reports so that runs on different executors compare equal.
_TIMING_STATS = ("seconds", "seconds_total", "peak_rss_mb", "cache", "from_result_cache")


class _Merge:
    """Results folded in as they arrive: each repository's findings and report row to the
    spool, its warnings and totals kept. Warnings are kept with the repository's place in
    the plan, so the report lists them in the same order whichever finished first."""

    def __init__(
        self, spool: ResultSpool, place: dict[str, int], accepted: Baseline | None = None
    ) -> None:
        self.spool = spool
        self.place = place
        self.accepted = accepted
        self.done: set[str] = set()
        self._warnings: list[tuple[int, str]] = []
        self._errors: list[tuple[int, str]] = []
        self.stats = dict.fromkeys(
            (
                "files_scanned",
                "objects_total",
                "failed",
                "from_journal",
                "unchanged",
                "suppressed_inline",
                "skipped_excluded",
                "own_settings",
                "suppressed_baseline",
            ),
            0,
        )

    def add(self, result: RepoResult, *, from_journal: bool = False) -> None:
        if from_journal and (result.name not in self.place or result.name in self.done):
            return  # a journal line for a repository this run does not audit
        if result.name not in self.place or result.name in self.done:
            # Never a quiet overwrite: a dropped result is a repository that passes unseen.
            raise InternalError(f"a second result for one repository ({len(self.done)} merged)")
        ordinal = self.place[result.name]
        self.done.add(result.name)
        self.spool.add_findings(ordinal, self.unaccepted(result.findings))
        self.spool.add_repo(ordinal, _repo_row(result))
        self._warnings += [(ordinal, f"{result.name}: {w}") for w in result.warnings]
        if result.error:
            self._errors.append((ordinal, f"{result.name}: not scanned: {result.error}"))
        stats = result.stats
        self.stats["files_scanned"] += stats.get("files_scanned", 0)
        self.stats["objects_total"] += stats.get("objects_total") or 0
        self.stats["failed"] += bool(result.error)
        self.stats["from_journal"] += result.from_journal
        self.stats["unchanged"] += bool(stats.get("from_result_cache"))
        for name in ("suppressed_inline", "skipped_excluded", "own_settings"):
            self.stats[name] += int(stats.get(name) or 0)

    def unaccepted(self, findings: list[Finding]) -> list[Finding]:
        """The findings the baseline does not accept (all of them without one), counted."""
        if self.accepted is None:
            return findings
        kept, dropped = self.accepted.filter(findings)
        self.stats["suppressed_baseline"] += dropped
        return kept

    def warnings(self) -> list[str]:
        """Each repository's warnings in plan order, then the repositories not scanned."""
        ordered = sorted(self._warnings, key=lambda w: w[0]) + sorted(self._errors)
        return [text for _, text in ordered]


def _repo_row(result: RepoResult) -> dict[str, Any]:
    """A repository's entry in the report."""
    return {
        "name": result.name,
        "path": result.path,
        "status": result.status,
        "failure": result.failure,
        "stats": {k: v for k, v in result.stats.items() if k not in _TIMING_STATS},
        "error": result.error,
        "from_journal": result.from_journal,
    }


def versions() -> dict[str, str]:
    """fastaudit's, Python's and git's versions, for the report's parameters."""
    from fastaudit import __version__
    from fastaudit.sources.gitproc import run_git

    try:
        git = run_git(["--version"], ".").decode().strip().removeprefix("git version ")
    except FastauditError:
        git = "unknown"
    return {"fastaudit": __version__, "python": platform.python_version(), "git": git}


def audit_report(
    targets: Sequence[RepoTarget],
    cfg: Config,
    *,
    inventory: Any,
    departures: Sequence[Any],
    as_of: datetime,
    previous: Path | None = None,
    options: TaskOptions | None = None,
    executor: Executor | None = None,
    journal: Journal | None = None,
    verifier: Callable[[list[Finding], KeyVault], list[Finding]] | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> Report:
    """Run the audit and assemble its report: trend against `previous`, totals, and the
    parameters that make it reproducible."""
    from fastaudit import saved
    from fastaudit.checks import parameters as check_parameters
    from fastaudit.lifecycle import lifecycles
    from fastaudit.report import Report
    from fastaudit.report import compare as trend

    options = options or TaskOptions(config=cfg)
    result = run(
        targets,
        cfg,
        inventory=inventory,
        as_of=as_of,
        departures=departures,
        options=options,
        executor=executor,
        journal=journal,
        verify=verifier,
        on_progress=on_progress,
    )
    findings: Sequence[Finding] = result.findings
    fixed: list[Finding] = []
    counts = None
    if previous is not None:  # the comparison holds both runs' findings in memory
        compared = trend.compare(findings, saved.load(previous).findings)
        findings, fixed, counts = compared.findings, compared.fixed, compared.counts
    stats: dict[str, Any] = {
        "repositories": len(targets),
        "files_scanned": result.stats["files_scanned"],
        "objects_total": result.stats["objects_total"],
        "keys_checked": len(inventory.keys) if inventory else 0,
        "active_keys": sum(1 for k in inventory.keys if k.active) if inventory else 0,
        "departures": len(departures),
        "repositories_failed": result.stats["failed"],
        "repositories_from_journal": result.stats["from_journal"],
        "repositories_unchanged": result.stats["unchanged"],
        # What the scanned repositories' own allow comments, and (with --repo-settings)
        # their own excludes, kept out of this report.
        "suppressed_inline": result.stats["suppressed_inline"],
        "skipped_excluded": result.stats["skipped_excluded"],
        "repositories_own_settings": result.stats["own_settings"],
    }
    params = check_parameters(cfg, as_of, inventory.source if inventory else None)
    params.update(
        {
            "repositories": [t.shown for t in targets],
            "all_objects": options.all_objects,
            "repo_settings": options.repo_settings,
            "verify": verifier is not None,
            "previous": str(previous) if previous else None,
            "executor": executor.name if executor is not None else "local",
            "run_id": journal.run_id if journal is not None else None,
            "versions": versions(),
        }
    )
    return Report(
        command="audit",
        findings=findings,
        stats=stats,
        warnings=result.warnings,
        parameters=params,
        passes=result.passes,
        notes=result.notes,
        repos=result.repos,
        fixed=fixed,
        trend=counts,
        key_lifecycle=lifecycles(inventory.keys, as_of, cfg.max_age_days)
        if inventory is not None and inventory.keys
        else None,
    )


def write_reports(report: Report, targets: dict[str, Path | None]) -> None:
    """Each report file that was asked for (html, json, sarif, junit), atomically."""
    import functools

    from fastaudit.console import say
    from fastaudit.output import write_output
    from fastaudit.report import render

    for name, path in targets.items():
        if path is not None:
            write_output(path, functools.partial(render, name, report))
            say(f"wrote {name} report to {path}")
