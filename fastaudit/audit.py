"""`fastaudit audit`: working tree + history of each repository, the inventory checks, and
optionally live verification, folded into one report organised by the best practices.

Repositories are scanned in parallel (each history scan is mostly git's own work in a
child process). A key found both in the working tree and in history is reported once per
path, with the history's attribution.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.config import Config
from fastaudit.detect import KeyVault
from fastaudit.errors import FastauditError
from fastaudit.findings import Finding, Pass

if TYPE_CHECKING:
    from fastaudit.report import Report


@dataclass
class RepoResult:
    name: str
    path: str
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class AuditResult:
    repos: list[RepoResult]
    findings: list[Finding]
    passes: list[Pass]
    notes: list[str]
    warnings: list[str]


def repo_names(paths: Sequence[Path]) -> list[str]:
    """Short, unique labels: the directory name, with parents added where names clash."""
    resolved = [p.resolve() for p in paths]
    names = [p.name or str(p) for p in resolved]
    for depth in range(2, 6):
        clashes = {n for n in names if names.count(n) > 1}
        if not clashes:
            break
        names = [
            "/".join(p.parts[-depth:]) if n in clashes else n
            for p, n in zip(resolved, names, strict=True)
        ]
    return names


def merge_locations(worktree: list[Finding], history: list[Finding]) -> list[Finding]:
    """History findings plus the working-tree findings history does not already explain
    (uncommitted files, http:// URLs)."""
    known = {(f.secret_sha256, f.path) for f in history if f.secret_sha256}
    extra = [
        f for f in worktree if f.secret_sha256 is None or (f.secret_sha256, f.path) not in known
    ]
    return history + extra


def scan_repo(
    path: Path,
    name: str,
    cfg: Config,
    *,
    all_objects: bool,
    use_cache: bool,
    vault: KeyVault | None,
) -> RepoResult:
    from fastaudit import history as histories
    from fastaudit import scan as scanning
    from fastaudit.sources.files import exclude_matcher, select
    from fastaudit.sources.gitobjects import inspect

    result = RepoResult(name, str(path))
    try:
        repo = inspect(path)
        worktree: list[Finding] = []
        if not repo.bare:
            selection = select([path], exclude=exclude_matcher(cfg.exclude))
            scanned = scanning.scan_files(selection, cfg.key_spec, vault=vault)
            worktree = scanned.findings
            result.warnings.extend(scanned.warnings)
            result.stats["files_scanned"] = scanned.files_scanned
        hist = histories.scan_history(
            path,
            cfg.key_spec,
            histories.HistoryOptions(all_objects=all_objects, use_cache=use_cache),
            vault=vault,
        )
        result.warnings.extend(hist.warnings)
        result.stats.update(hist.stats)
        result.findings = [
            f.with_changes(repo=name) for f in merge_locations(worktree, hist.findings)
        ]
    except FastauditError as exc:
        result.error = str(exc)
    return result


def run(
    paths: Sequence[Path],
    cfg: Config,
    *,
    inventory: Any,
    as_of: datetime,
    departures: Sequence[Any] = (),
    all_objects: bool = False,
    use_cache: bool = True,
    verify: Callable[[list[Finding], KeyVault], list[Finding]] | None = None,
    on_repo_done: Callable[[int], None] | None = None,
) -> AuditResult:
    from fastaudit import checks
    from fastaudit.inventory import Inventory

    vault = KeyVault() if verify is not None else None
    names = repo_names(paths)
    done = 0

    def one(path_and_name: tuple[Path, str]) -> RepoResult:
        nonlocal done
        path, name = path_and_name
        result = scan_repo(
            path, name, cfg, all_objects=all_objects, use_cache=use_cache, vault=vault
        )
        done += 1
        if on_repo_done is not None:
            on_repo_done(done)
        return result

    with ThreadPoolExecutor(max_workers=2) as pool:
        repos = list(pool.map(one, zip(paths, names, strict=True)))
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


def build_report(
    paths: Sequence[Path],
    cfg: Config,
    *,
    inventory: Any,
    departures: Sequence[Any],
    as_of: datetime,
    previous: Path | None = None,
    all_objects: bool = False,
    use_cache: bool = True,
    verifier: Callable[[list[Finding], KeyVault], list[Finding]] | None = None,
    on_repo_done: Callable[[int], None] | None = None,
) -> Report:
    """Run the audit and assemble its report: trend against `previous`, totals, and the
    parameters that make it reproducible."""
    from fastaudit import saved, trend
    from fastaudit.checks import parameters as check_parameters
    from fastaudit.report import Report

    result = run(
        paths,
        cfg,
        inventory=inventory,
        as_of=as_of,
        departures=departures,
        all_objects=all_objects,
        use_cache=use_cache,
        verify=verifier,
        on_repo_done=on_repo_done,
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
    }
    params = check_parameters(cfg, as_of, inventory.source if inventory else None)
    params.update(
        {
            "repositories": [str(p) for p in paths],
            "all_objects": all_objects,
            "verify": verifier is not None,
            "previous": str(previous) if previous else None,
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
                "status": "failed" if r.error else "scanned",
                "stats": r.stats,
                "error": r.error,
            }
            for r in result.repos
        ],
        fixed=fixed,
        trend=counts,
    )
