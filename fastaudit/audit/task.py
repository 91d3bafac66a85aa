"""One repository's audit: the unit of work an executor runs, on this machine or on a Dask
worker. It takes a target and options (both picklable) and returns a compact result
(findings, stats, status), never raising for a repository that cannot be audited."""

from __future__ import annotations

import os
import time
from pathlib import Path

from fastaudit.audit.result import RepoResult, TaskOptions
from fastaudit.config import Config
from fastaudit.detect import KeyVault
from fastaudit.errors import FastauditError
from fastaudit.findings import Finding
from fastaudit.sources.mirrors import MirrorError, RepoTarget


def default_mirror_dir() -> Path:
    """Where clone URLs are mirrored when no `--mirror-dir` is given: the user cache dir."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("fastaudit")) / "mirrors"


def merge_locations(worktree: list[Finding], history: list[Finding]) -> list[Finding]:
    """History findings plus the working-tree findings history does not already explain
    (uncommitted files, http:// URLs)."""
    known = {(f.secret_sha256, f.path) for f in history if f.secret_sha256}
    extra = [
        f for f in worktree if f.secret_sha256 is None or (f.secret_sha256, f.path) not in known
    ]
    return history + extra


def audit_repository(
    target: RepoTarget, options: TaskOptions, vault: KeyVault | None = None
) -> RepoResult:
    """Mirror (for a URL), then the working tree and every blob of history, within the
    repository's time limit. Failures are the result's status, not exceptions."""
    from fastaudit.sources.gitproc import Deadline

    started = time.monotonic()
    result = RepoResult(target.name, target.shown, worker=_worker_name())
    try:
        with Deadline(options.repo_timeout):
            path = _local_path(target, options)
            _scan(path, target.name, options, vault, result)
    except MirrorError as exc:
        result.error, result.failure = str(exc), exc.kind
    except FastauditError as exc:
        result.error = str(exc)
        result.failure = "timeout" if "timed out" in str(exc) else "failed"
    except (OSError, ValueError, RecursionError) as exc:  # never let one repo stop a run
        result.error = f"{type(exc).__name__}: {exc}"
        result.failure = "failed"
    result.stats["seconds_total"] = round(time.monotonic() - started, 3)
    return result


def _local_path(target: RepoTarget, options: TaskOptions) -> Path:
    if not target.is_url:
        return Path(target.location)
    from fastaudit.sources.mirrors import ensure_mirror

    mirror_dir = options.mirror_dir or default_mirror_dir()
    timeout = options.repo_timeout or options.config.git_network_timeout_seconds
    return ensure_mirror(target.url or target.location, mirror_dir, timeout=timeout)


def _scan(
    path: Path, name: str, options: TaskOptions, vault: KeyVault | None, result: RepoResult
) -> None:
    from fastaudit import history as histories
    from fastaudit import scan as scanning
    from fastaudit.audit import cache as audit_cache
    from fastaudit.sources.files import exclude_matcher, select
    from fastaudit.sources.gitobjects import inspect

    cfg = _settings_for(path, options, result)
    key = _result_key(name, options, cfg)
    # With --verify the keys themselves are needed, and a stored result has none.
    if options.use_cache and vault is None and _reuse(path, key, result):
        return
    repo = inspect(path)
    worktree: list[Finding] = []
    watched = audit_cache.git_paths(repo.git_dir, repo.common_dir, options.all_objects)
    selection = None
    if not repo.bare:
        selection = select([path], exclude=exclude_matcher(cfg.exclude))
        watched += audit_cache.worktree_paths(
            selection.root, (e.abs_path for e in selection.entries)
        )
    state = audit_cache.snapshot(watched)  # before reading: a change meanwhile is a miss
    if selection is not None:
        scanned = scanning.scan_files(selection, cfg.key_spec, vault=vault, workers=1)
        worktree = scanned.findings
        result.warnings.extend(scanned.warnings)
        result.stats["files_scanned"] = scanned.files_scanned
        # What the repository's own allow comments and excludes kept out: counted, never
        # silent (the audit's totals and each repository's row carry them).
        result.stats["suppressed_inline"] = scanned.suppressed_inline
        result.stats["skipped_excluded"] = scanned.skipped_excluded
    hist = histories.scan_history(
        path,
        cfg.key_spec,
        histories.HistoryOptions(all_objects=options.all_objects, use_cache=options.use_cache),
        vault=vault,
        repo=repo,
    )
    result.warnings.extend(hist.warnings)
    result.stats.update(hist.stats)
    result.findings = [f.with_changes(repo=name) for f in merge_locations(worktree, hist.findings)]
    if options.use_cache and not hist.stats.get("incomplete"):
        audit_cache.save(path, key, watched, state, result)


def _settings_for(path: Path, options: TaskOptions, result: RepoResult) -> Config:
    """The auditor's settings, or (with `repo_settings`) the repository's own file when it
    has one. Read here, per repository, so one repository's file can only ever reach its
    own audit."""
    if not options.repo_settings or not path.is_dir():
        return options.config
    from fastaudit import config

    own = config.load(None, path)
    if own.source == "defaults":
        return options.config
    result.stats["own_settings"] = 1
    return own


def _result_key(name: str, options: TaskOptions, cfg: Config | None = None) -> str:
    from fastaudit import __version__
    from fastaudit.audit import cache as audit_cache

    cfg = cfg or options.config
    return audit_cache.settings_key(
        __version__, cfg.key_spec.cache_id, cfg, options.all_objects, name
    )


def _reuse(path: Path, key: str, result: RepoResult) -> bool:
    """Fill `result` from the stored one when nothing it depends on has changed: no git
    process at all."""
    from fastaudit.audit import cache as audit_cache

    cached = audit_cache.load(path, key)
    if cached is None:
        return False
    result.findings, result.warnings = cached.findings, cached.warnings
    result.stats = {**cached.stats, "from_result_cache": True}
    return True


def reuse_unchanged(targets: list[RepoTarget], options: TaskOptions) -> list[RepoResult]:
    """The stored results of those `targets` (local paths) that have not changed since
    this machine last audited them: one call for many repositories, so that a cluster's
    nightly re-run pays one task per worker, not one per unchanged repository. A clone
    URL is never answered here: only a fetch can tell whether it changed."""
    if not options.use_cache:
        return []
    found = []
    for target in targets:
        if target.is_url:
            continue
        started = time.monotonic()
        result = RepoResult(target.name, target.shown, worker=_worker_name())
        try:
            cfg = _settings_for(Path(target.location), options, result)
            reused = _reuse(Path(target.location), _result_key(target.name, options, cfg), result)
        except (OSError, ValueError):
            continue
        if reused:
            result.stats["seconds_total"] = round(time.monotonic() - started, 3)
            found.append(result)
    return found


def _worker_name() -> str:
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"
