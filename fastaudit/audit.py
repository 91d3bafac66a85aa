"""`fastaudit audit`: working tree + history of each repository, the inventory checks, and
optionally live verification, folded into one report organised by the best practices.

Three steps, each its own module: `plan` turns paths, `--repos-file` lines and clone URLs
into targets; an executor (`fastaudit.executors`: local threads or a Dask cluster) runs
`audit_task.audit_repository` on each and hands back results as they finish; `run` merges
them (recording each in the run journal, so a killed run can `--resume`) and runs the
inventory checks. `audit_report` adds the trend and the parameters; the command line and
`fastaudit demo` both call it.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.audit_task import RepoResult, TaskOptions
from fastaudit.config import Config
from fastaudit.detect import KeyVault
from fastaudit.errors import FastauditError, InputError
from fastaudit.findings import Finding, Pass
from fastaudit.sources.mirrors import RepoTarget, is_clone_url

if TYPE_CHECKING:
    from fastaudit.audit_journal import Journal
    from fastaudit.executors import Executor
    from fastaudit.report import Report

__all__ = ["AuditResult", "RepoResult", "audit_report", "plan", "run", "write_reports"]


@dataclass
class AuditResult:
    repos: list[RepoResult]
    findings: list[Finding]
    passes: list[Pass]
    notes: list[str]
    warnings: list[str]


# --- plan --------------------------------------------------------------------------------


def read_repos_file(path: Path) -> list[str]:
    """Non-empty, non-comment lines; relative paths are relative to the file."""
    from fastaudit import jsonio

    base = path.resolve().parent
    entries = []
    for raw in jsonio.read_text(path, "repos file").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if is_clone_url(line):
            entries.append(line)
        else:
            local = Path(line).expanduser()
            entries.append(str(local if local.is_absolute() else base / local))
    return entries


def plan(entries: Sequence[str]) -> list[RepoTarget]:
    """Targets with short, unique names: the directory or repository name, with parents
    added where names clash. Duplicates (the same path or URL twice) are audited once."""
    from fastaudit.http import display_url

    unique = list(dict.fromkeys(entries))
    located: list[tuple[str, bool, tuple[str, ...]]] = []
    for entry in unique:
        if is_clone_url(entry):
            shown = display_url(entry)
            parts = tuple(p for p in shown.replace(":", "/").removesuffix(".git").split("/") if p)
            located.append((shown, True, parts))
        else:
            resolved = Path(entry).resolve()
            located.append((str(resolved), False, resolved.parts))
    names = [parts[-1] if parts else shown for shown, _, parts in located]
    for depth in range(2, 8):
        clashes = {n for n in names if names.count(n) > 1}
        if not clashes:
            break
        names = [
            "/".join(parts[-depth:]) if name in clashes else name
            for (_, _, parts), name in zip(located, names, strict=True)
        ]
    return [
        RepoTarget(name, shown, is_url, entry if is_url else None)
        for (shown, is_url, _), name, entry in zip(located, names, unique, strict=True)
    ]


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
    """Audit every target (skipping those the journal already holds), then the inventory."""
    from fastaudit import checks
    from fastaudit.executors import LocalExecutor
    from fastaudit.inventory import Inventory

    options = options or TaskOptions(config=cfg)
    vault = KeyVault() if verify is not None else None
    if executor is None:
        executor = LocalExecutor(vault=vault)
    elif verify is not None and not isinstance(executor, LocalExecutor):
        raise InputError(
            "--verify runs with --executor local only: keys never leave the machine that found them"
        )
    done = journal.completed() if journal is not None and journal.exists() else {}
    wanted = {t.name for t in targets}
    results = {name: result for name, result in done.items() if name in wanted}
    todo = [t for t in targets if t.name not in results]
    failed = sum(1 for r in results.values() if r.error)
    if on_progress is not None:
        on_progress(len(results), failed, 0)
    for result in executor.run(todo, options) if todo else ():
        if journal is not None:
            journal.record(result)
        results[result.name] = result
        failed += bool(result.error)
        if on_progress is not None:
            on_progress(len(results), failed, executor.running())
    if journal is not None:
        journal.close()
    repos = [results[t.name] for t in targets]
    findings = [f for r in repos for f in r.findings]
    warnings = [f"{r.name}: {w}" for r in repos for w in r.warnings]
    warnings += [f"{r.name}: not scanned: {r.error}" for r in repos if r.error]
    if verify is not None and vault is not None:
        verified = verify(findings, vault)
        findings = [f for f in verified if f.rule_id != "FAST140"]  # the checks add them
    context = checks.CheckContext(
        config=cfg, as_of=as_of, departures=tuple(departures), leaks=tuple(findings)
    )
    checked = checks.run(inventory if inventory is not None else Inventory((), "none"), context)
    return AuditResult(
        repos=repos,
        findings=findings + checked.findings,
        passes=checked.passes,
        notes=checked.notes,
        warnings=warnings,
    )


def versions() -> dict[str, str]:
    from fastaudit import __version__
    from fastaudit.sources.gitproc import run_git

    try:
        git = run_git(["--version"], ".").decode().strip().removeprefix("git version ")
    except FastauditError:
        git = "unknown"
    return {"fastaudit": __version__, "python": platform.python_version(), "git": git}


# Fields of a repository's stats that depend on when and where it ran, not on what it
# holds: left out of reports so that runs on different executors compare equal.
_TIMING_STATS = ("seconds", "seconds_total", "peak_rss_mb", "cache", "from_result_cache")


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
    from fastaudit import saved, trend
    from fastaudit.checks import parameters as check_parameters
    from fastaudit.lifecycle import lifecycles
    from fastaudit.report import Report

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
    findings = result.findings
    fixed: list[Finding] = []
    counts = None
    if previous is not None:
        compared = trend.compare(findings, saved.load(previous).findings)
        findings, fixed, counts = compared.findings, compared.fixed, compared.counts
    stats: dict[str, Any] = {
        "repositories": len(result.repos),
        "files_scanned": sum(r.stats.get("files_scanned", 0) for r in result.repos),
        "objects_total": sum(r.stats.get("objects_total") or 0 for r in result.repos),
        "keys_checked": len(inventory.keys) if inventory else 0,
        "active_keys": sum(1 for k in inventory.keys if k.active) if inventory else 0,
        "departures": len(departures),
        "repositories_failed": sum(1 for r in result.repos if r.error),
        "repositories_from_journal": sum(1 for r in result.repos if r.from_journal),
        "repositories_unchanged": sum(1 for r in result.repos if r.stats.get("from_result_cache")),
    }
    params = check_parameters(cfg, as_of, inventory.source if inventory else None)
    params.update(
        {
            "repositories": [t.shown for t in targets],
            "all_objects": options.all_objects,
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
        repos=[
            {
                "name": r.name,
                "path": r.path,
                "status": r.status,
                "failure": r.failure,
                "stats": {k: v for k, v in r.stats.items() if k not in _TIMING_STATS},
                "error": r.error,
                "from_journal": r.from_journal,
            }
            for r in result.repos
        ],
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
