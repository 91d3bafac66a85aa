"""`audit`: working tree + history of every repository, the inventory checks and
(optionally) verification, in one report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastaudit.commands import (
    Outcome,
    accepted,
    keep_run,
    load_config,
    outcome,
    store_first,
    verified,
)
from fastaudit.commands.check import as_of, load_inventory
from fastaudit.errors import InputError
from fastaudit.words import plural

if TYPE_CHECKING:
    from fastaudit.detect import KeyVault
    from fastaudit.findings import Finding


@dataclass(frozen=True)
class AuditRequest:
    """What `fastaudit audit` was asked."""

    repos: tuple[str, ...] = ()
    repos_file: Path | None = None
    inventory: Path | None = None
    inventory_url: str | None = None
    departures: Path | None = None
    as_of: str | None = None
    previous: Path | None = None
    all_objects: bool = False
    use_cache: bool = True
    verify: bool = False
    verify_limit: int | None = None
    executor: str = "local"
    scheduler: str | None = None
    mirror_dir: Path | None = None
    repo_timeout: float | None = None
    max_attempts: int = 3
    repo_settings: bool = False
    resume_id: str | None = None
    db_url: str | None = None
    baseline: Path | None = None
    fail_on: str | None = None
    fail_on_unopened: bool | None = None
    config: Path | None = None


def audit(request: AuditRequest) -> Outcome:
    """Plan, run on the chosen executor (journaled, resumable), check, keep in the store.

    The auditor's settings govern every repository: `config`, else the directory the
    audit runs from; a scanned repository's own file never weakens another's audit."""
    from fastaudit import audit as audits
    from fastaudit.audit.executors import DaskExecutor, LocalExecutor
    from fastaudit.audit.journal import Journal, new_run_id
    from fastaudit.audit.result import TaskOptions
    from fastaudit.console import say
    from fastaudit.inventory import load_departures
    from fastaudit.progress import Progress

    entries = list(request.repos)
    if request.repos_file is not None:
        entries += audits.read_repos_file(request.repos_file)
    entries = entries or [str(Path.cwd())]
    targets = audits.plan(entries)
    cfg = load_config(request.config, Path.cwd(), fail_on_unopened=request.fail_on_unopened)
    db_url, store_failed = store_first(request.db_url)
    if request.scheduler and request.executor != "dask":
        raise InputError("--scheduler goes with --executor dask")
    runner = (
        DaskExecutor(scheduler=request.scheduler, max_attempts=request.max_attempts)
        if request.executor == "dask"
        else LocalExecutor()
    )
    journal = Journal(request.resume_id or new_run_id())
    if request.resume_id is not None and not journal.exists():
        raise InputError(f"no interrupted run {request.resume_id!r} to resume")
    say(
        f"audit run {journal.run_id} ({plural(len(targets), 'repository')}, "
        f"executor {request.executor})"
    )
    verifier: Callable[[list[Finding], KeyVault], list[Finding]] | None = None
    if request.verify:

        def verifier(found: list[Finding], vault: KeyVault) -> list[Finding]:
            return verified(found, vault, cfg, request.verify_limit, request.use_cache)

    bar = Progress("audit", len(targets), unit="repositories")
    bar.update(0, force=True)

    def progress(done: int, failed: int, running: int) -> None:
        bar.detail = f"{failed} failed, {running} running"
        bar.update(done, force=True)

    inventory = load_inventory(request.inventory, request.inventory_url, cfg)
    try:
        report = audits.audit_report(
            targets,
            cfg,
            inventory=inventory,
            departures=load_departures(request.departures) if request.departures else [],
            as_of=as_of(request.as_of),
            previous=request.previous,
            options=TaskOptions(
                config=cfg,
                all_objects=request.all_objects,
                use_cache=request.use_cache,
                mirror_dir=request.mirror_dir,
                repo_timeout=request.repo_timeout,
                repo_settings=request.repo_settings,
                accepted=accepted(request.baseline, cfg),
            ),
            executor=runner,
            journal=journal,
            verifier=verifier,
            on_progress=progress,
        )
    finally:
        bar.close()
    stored = keep_run(db_url, report, inventory, cfg)
    return outcome(report, cfg, request.fail_on, store_failed=store_failed or not stored)
