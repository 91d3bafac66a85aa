"""`scan` and `hook`: files, a work tree or the index, through the one scanning pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from fastaudit.commands import (
    Outcome,
    apply_baseline,
    key_parameters,
    load_config,
    outcome,
    verified,
)
from fastaudit.report import Report

if TYPE_CHECKING:
    from fastaudit.config import Config
    from fastaudit.detect import KeyVault
    from fastaudit.scan import ScanResult


@dataclass(frozen=True)
class ScanRequest:
    """What `fastaudit scan` was asked."""

    paths: tuple[Path, ...] = ()
    all_files: bool = False
    staged: bool = False
    verify: bool = False
    verify_limit: int | None = None
    use_cache: bool = True
    baseline: Path | None = None
    fail_on: str | None = None
    fail_on_unopened: bool | None = None
    config: Path | None = None
    cwd: Path | None = None
    # `scan -`: the bytes to scan instead of paths (standard input), named "-".
    stdin: IO[bytes] | None = None


def scan(request: ScanRequest) -> Outcome:
    """Files and directories (in a git work tree: what git would commit, plus
    `all_files`), or the index with `staged`."""
    from fastaudit import scan as scanning
    from fastaudit.detect import KeyVault
    from fastaudit.sources.files import exclude_matcher, report_root, select

    cwd = request.cwd or Path.cwd()
    vault = KeyVault() if request.verify else None
    if request.stdin is not None:
        from fastaudit.engine import CHUNK_SIZE

        root = cwd
        cfg = load_config(request.config, root, fail_on_unopened=request.fail_on_unopened)
        stream = request.stdin
        pieces = iter(lambda: stream.read(CHUNK_SIZE), b"")
        result = scanning.scan_blobs([("-", pieces)], cfg.key_spec, "worktree", vault=vault)
    elif request.staged:
        root = scanning.staged_root(cwd)
        cfg = load_config(request.config, root, fail_on_unopened=request.fail_on_unopened)
        result = scanning.scan_staged(root, cfg.key_spec, exclude_matcher(cfg.exclude), vault)
    else:
        targets = list(request.paths) or [cwd]
        root = report_root(targets)
        cfg = load_config(request.config, root, fail_on_unopened=request.fail_on_unopened)
        selection = select(
            targets, all_files=request.all_files, exclude=exclude_matcher(cfg.exclude)
        )
        result = scanning.scan_files(selection, cfg.key_spec, vault=vault)
    return _finish("scan", result, root, cfg, request.baseline, request.fail_on, vault, request)


def hook(
    files: tuple[Path, ...], baseline: Path | None, config: Path | None, cwd: Path | None = None
) -> Outcome:
    """The pre-commit entry point: the files pre-commit names, or the whole index. Never
    modifies a file, the baseline included."""
    from fastaudit import scan as scanning
    from fastaudit.sources.files import exclude_matcher, select

    root = cwd or Path.cwd()
    cfg = load_config(config, root)
    matcher = exclude_matcher(cfg.exclude)
    if files:
        selection = select(list(files), exclude=matcher, explicit_files=True)
        result = scanning.scan_files(selection, cfg.key_spec)
    else:
        root = scanning.staged_root(root)
        result = scanning.scan_staged(root, cfg.key_spec, matcher)
    return _finish("hook", result, root, cfg, baseline, None, None, None)


def _finish(
    command: str,
    result: ScanResult,
    root: Path,
    cfg: Config,
    baseline: Path | None,
    fail_on: str | None,
    vault: KeyVault | None,
    request: ScanRequest | None,
) -> Outcome:
    stats = result.stats()
    findings = apply_baseline(result.findings, baseline, stats, cfg)
    if vault is not None and request is not None:
        findings = verified(findings, vault, cfg, request.verify_limit, request.use_cache)
    report = Report(
        command=command,
        findings=findings,
        root=str(root),
        stats=stats,
        warnings=result.warnings,
        parameters=key_parameters(cfg),
    )
    return outcome(report, cfg, fail_on, store_failed=False)
