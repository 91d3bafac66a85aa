"""One function per user action: typed arguments in, a report and an exit code out.

Every door (the command line, the CI gates, the demo, push protection) calls these and
prints or writes what they return, so a question asked at any door gets the same answer.
No module here imports click or re-enters the command line; what every command shares
lives here once: the exit-code policy, loading settings and baselines, the audit store's
open-first-and-keep step, and verification.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.console import say
from fastaudit.errors import FastauditError

if TYPE_CHECKING:
    from fastaudit.baseline import Baseline
    from fastaudit.config import Config
    from fastaudit.detect import KeyVault
    from fastaudit.findings import Finding, Severity
    from fastaudit.report import Report


@dataclass
class Outcome:
    """What a command hands its door: the report to render and the exit code."""

    report: Report
    code: int
    config: Config


# --- the exit-code policy -------------------------------------------------------------


def exit_code(findings: Iterable[Finding], threshold: Severity, *, incomplete: bool) -> int:
    """1 for findings at or above the threshold; else 2 when part of what was asked could
    not be read or opened (a gate must never pass on what it did not see); else 0."""
    if any(f.severity >= threshold for f in findings):
        return 1
    return 2 if incomplete else 0


def incomplete(report: Report, cfg: Config) -> bool:
    """Part of what was asked was not seen: a repository not scanned, objects git could
    not read, or (with `fail_on_unopened`, the default) content a limit kept closed."""
    from fastaudit.limits import count_not_opened
    from fastaudit.report import failed_repos

    if failed_repos(report) or report.stats.get("incomplete"):
        return True
    return bool(cfg.fail_on_unopened and count_not_opened(report.warnings))


def outcome(report: Report, cfg: Config, fail_on: str | None, *, store_failed: bool) -> Outcome:
    """The report with its exit code, by the one policy; a run whose store failed did not
    do all it was asked: exit 2 unless findings already fail it."""
    code = exit_code(report.findings, threshold(fail_on, cfg), incomplete=incomplete(report, cfg))
    if store_failed and code == 0:
        code = 2
    return Outcome(report, code, cfg)


def threshold(fail_on: str | None, cfg: Config) -> Severity:
    """The severity that fails the run: `fail_on` when given, else the settings'."""
    from fastaudit.findings import Severity

    return Severity.parse(fail_on) if fail_on else cfg.fail_on


# --- settings and baselines -----------------------------------------------------------


def load_config(
    config_path: Path | None, root: Path, *, fail_on_unopened: bool | None = None
) -> Config:
    """The settings in force: `config_path`, else what `root` holds; an explicit
    `fail_on_unopened` (a command-line flag) outranks the file."""
    from fastaudit import config

    cfg = config.load(config_path, root)
    if fail_on_unopened is not None:
        cfg = dataclasses.replace(cfg, fail_on_unopened=fail_on_unopened)
    return cfg


def load_baseline(path: Path | None) -> Baseline | None:
    """The baseline at `path` (fastaudit's or detect-secrets'), or None."""
    if path is None:
        return None
    from fastaudit import baseline

    return baseline.load(path)


def accepted(path: Path | None, cfg: Config | None) -> Baseline | None:
    """What the team has accepted: the baseline at `path` and the settings'
    `allow_fingerprints`; None when neither says anything."""
    found = load_baseline(path)
    if cfg is not None and cfg.allow_fingerprints:
        from fastaudit import baseline

        allowed = baseline.from_fingerprints(cfg.allow_fingerprints)
        found = allowed if found is None else found.merged(allowed)
    return found


def apply_baseline(
    findings: list[Finding], path: Path | None, stats: dict[str, Any], cfg: Config | None = None
) -> list[Finding]:
    """The findings the team has not accepted (see `accepted`), counting the rest in
    `stats["suppressed_baseline"]`."""
    baseline = accepted(path, cfg)
    if baseline is None:
        return findings
    kept, dropped = baseline.filter(findings)
    stats["suppressed_baseline"] = stats.get("suppressed_baseline", 0) + dropped
    return kept


def key_parameters(cfg: Config, **extra: Any) -> dict[str, Any]:
    """The parameters every scan report carries, plus the command's own."""
    spec = cfg.key_spec
    return {
        "prefixes": list(spec.prefixes),
        "key_length": [spec.min_length, spec.max_length],
        **extra,
        "config": cfg.source,
    }


# --- verification ---------------------------------------------------------------------


def verified(
    findings: list[Finding], vault: KeyVault, cfg: Config, limit: int | None, use_cache: bool
) -> list[Finding]:
    """`findings` with each unique key's live state from Tools.FAST (over HTTPS, at most `limit`
    keys)."""
    from fastaudit import verify

    return verify.verify_findings(
        findings, vault, cfg, limit=limit, use_cache=use_cache, announce=say
    )


# --- the audit store ------------------------------------------------------------------


def store_first(db_url: str | None) -> tuple[str | None, bool]:
    """Open and check the store before the work (minutes of it, for an audit): a store
    that cannot be used is said at once, and the run goes on without it, its reports
    written. Returns (the store to keep the run in, whether the store failed)."""
    if db_url is None:
        return None, False
    from fastaudit import store

    try:
        store.open_engine(store.normalise_url(db_url)).dispose()
    except FastauditError as exc:
        say(f"error: {exc}; the run goes on without the store and its reports are written")
        return None, True
    return db_url, False


def keep_run(db_url: str | None, report: Report, inventory: Any, cfg: Config) -> bool:
    """Record the run in the store (when given) and add the store's trends to the report.
    False when the store failed (said on stderr): the reports are written all the same."""
    if db_url is None:
        return True
    from fastaudit import store

    url = store.normalise_url(db_url)
    try:
        recorded = store.keep_run(url, report, inventory, cfg)
    except FastauditError as exc:
        say(f"error: {exc}; the reports are written without the store")
        return False
    say(
        f"audit store {store.display_url(url)}: run {recorded.run_id} kept "
        f"({recorded.opened} new, {recorded.reopened} reopened, {recorded.fixed} fixed, "
        f"{recorded.open_total} open)"
    )
    return True
