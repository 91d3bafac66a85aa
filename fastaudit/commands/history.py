"""`history`: every key ever committed, through the one history pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastaudit.commands import (
    Outcome,
    apply_baseline,
    keep_run,
    key_parameters,
    load_config,
    outcome,
    store_first,
    verified,
)


@dataclass(frozen=True)
class HistoryRequest:
    """What `fastaudit history` was asked (and what a CI gate asks for a range)."""

    repo: Path = Path(".")
    all_objects: bool = False
    since: str | None = None
    branch: str | None = None
    use_cache: bool = True
    verify: bool = False
    verify_limit: int | None = None
    db_url: str | None = None
    baseline: Path | None = None
    fail_on: str | None = None
    fail_on_unopened: bool | None = None
    config: Path | None = None


def history(request: HistoryRequest) -> Outcome:
    """Every blob, commit and tag message the refs reach (or `since`..`branch`), with a
    progress bar on stderr when it is a terminal."""
    from fastaudit import history as histories
    from fastaudit.detect import KeyVault
    from fastaudit.progress import Progress
    from fastaudit.report import Report

    repo = request.repo
    cfg = load_config(request.config, repo, fail_on_unopened=request.fail_on_unopened)
    db_url, store_failed = store_first(request.db_url)
    options = histories.HistoryOptions(
        all_objects=request.all_objects,
        since=request.since,
        branch=request.branch,
        use_cache=request.use_cache,
    )
    vault = KeyVault() if request.verify else None
    bar = Progress(f"history {repo}", None)

    def on_progress(done: int, nbytes: int, total: int | None) -> None:
        bar.total = total
        bar.update(done, nbytes)

    try:
        result = histories.scan_history(
            repo, cfg.key_spec, options, on_progress=on_progress, vault=vault
        )
    finally:
        bar.close()
    findings = apply_baseline(result.findings, request.baseline, result.stats, cfg)
    if request.since is not None:
        # A range is the change under review (a pull request, a push): its titles say so.
        findings = [
            f.with_changes(source="range") if f.source == "history" else f for f in findings
        ]
    if vault is not None:
        findings = verified(findings, vault, cfg, request.verify_limit, request.use_cache)
    report = Report(
        command="history",
        findings=findings,
        root=str(repo.resolve()),
        stats=result.stats,
        warnings=result.warnings,
        parameters=key_parameters(
            cfg, all_objects=request.all_objects, since=request.since, branch=request.branch
        ),
    )
    stored = keep_run(db_url, report, None, cfg)
    return outcome(report, cfg, request.fail_on, store_failed=store_failed or not stored)
