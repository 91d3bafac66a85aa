"""`baseline` and `portable-ds-baseline`: accept today's findings so CI fails only on new
ones, and make a detect-secrets baseline portable."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from fastaudit.commands import load_config
from fastaudit.errors import InputError


def write_baseline(
    paths: tuple[Path, ...],
    all_files: bool,
    config: Path | None,
    stream: IO[str],
    cwd: Path | None = None,
    with_history: bool = True,
) -> int:
    """Scan `paths` (the working directory by default) and, when they are in a git
    repository, every commit of its history, and write every finding to `stream` as a
    fastaudit baseline; returns how many it accepts. With history included, the same
    baseline quiets `scan`, `history`, `audit` and both CI gates on what is known today."""
    from fastaudit import baseline, scan
    from fastaudit.sources.files import exclude_matcher, report_root, select
    from fastaudit.sources.gitproc import toplevel

    targets = list(paths) or [cwd or Path.cwd()]
    root = report_root(targets)
    cfg = load_config(config, root)
    selection = select(targets, all_files=all_files, exclude=exclude_matcher(cfg.exclude))
    findings = list(scan.scan_files(selection, cfg.key_spec).findings)
    if with_history and toplevel(root) is not None:
        from fastaudit import history

        findings += history.scan_history(root, cfg.key_spec, history.HistoryOptions()).findings
    return baseline.dump(findings, stream)


def portable_ds_baseline(baseline_file: Path) -> list[str]:
    """Rewrite a detect-secrets baseline's absolute plugin paths inside the repository as
    repository-relative ones (atomically); returns the new paths, none when nothing
    needed it."""
    import json

    from fastaudit import jsonio
    from fastaudit.ds_plugin import portable_plugin_paths
    from fastaudit.output import atomic_text_file
    from fastaudit.sources.files import report_root

    document = jsonio.load(baseline_file, "detect-secrets baseline")
    if not isinstance(document, dict) or "plugins_used" not in document:
        raise InputError(f"{baseline_file} is not a detect-secrets baseline")
    changed = portable_plugin_paths(document, str(report_root([baseline_file.resolve().parent])))
    if changed:
        with atomic_text_file(baseline_file) as stream:
            json.dump(document, stream, indent=2)
            stream.write("\n")
    return changed
