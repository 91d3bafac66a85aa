"""`check`: the hygiene rules over the key inventory (the vendor's best-practice list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.commands import (
    Outcome,
    apply_baseline,
    keep_run,
    load_config,
    outcome,
    store_first,
)
from fastaudit.errors import InputError

if TYPE_CHECKING:
    from fastaudit.config import Config
    from fastaudit.inventory import Inventory


@dataclass(frozen=True)
class CheckRequest:
    """What `fastaudit check` was asked."""

    inventory: Path | None = None
    inventory_url: str | None = None
    departures: Path | None = None
    as_of: str | None = None
    findings_files: tuple[Path, ...] = ()
    db_url: str | None = None
    baseline: Path | None = None
    fail_on: str | None = None
    config: Path | None = None


def as_of(value: str | None) -> datetime:
    """The date ages are judged at: the given ISO date, else now (UTC, whole seconds)."""
    from datetime import timezone

    from fastaudit.inventory import parse_when

    if value is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    return parse_when(value, "--as-of")


def load_inventory(path: Path | None, url: str | None, cfg: Config) -> Inventory | None:
    """The inventory from a file or an HTTPS URL (not both), or None."""
    from fastaudit import inventory as inventories

    if path is not None and url is not None:
        raise InputError("give --inventory or --inventory-url, not both")
    if path is not None:
        return inventories.load(path)
    if url is not None:
        return inventories.load_url(url, client=cfg.http_client())
    return None


def check(request: CheckRequest) -> Outcome:
    """The inventory's hygiene rules (and leaked keys from saved reports), kept in the store when
    asked."""
    from fastaudit import checks, saved
    from fastaudit.findings import Finding
    from fastaudit.inventory import Inventory, load_departures
    from fastaudit.lifecycle import lifecycles
    from fastaudit.report import Report

    cfg = load_config(request.config, Path.cwd())
    inv = load_inventory(request.inventory, request.inventory_url, cfg)
    if inv is None and not request.findings_files:
        raise InputError("give --inventory, --inventory-url or --findings")
    db_url, store_failed = store_first(request.db_url)
    leaks: list[Finding] = []
    for path in request.findings_files:
        leaks.extend(saved.load(path).findings)
    when = as_of(request.as_of)
    departures = load_departures(request.departures) if request.departures else []
    context = checks.CheckContext(
        config=cfg, as_of=when, departures=tuple(departures), leaks=tuple(leaks)
    )
    result = checks.run(inv if inv is not None else Inventory((), "none"), context)
    stats: dict[str, Any] = {
        "keys_checked": len(inv.keys) if inv else 0,
        "leaks_given": len(leaks),
    }
    findings = apply_baseline(result.findings, request.baseline, stats, cfg)
    report = Report(
        command="check",
        findings=findings,
        stats=stats,
        parameters=checks.parameters(cfg, when, inv.source if inv else None),
        passes=result.passes,
        notes=result.notes,
        key_lifecycle=lifecycles(inv.keys, when, cfg.max_age_days) if inv and inv.keys else None,
    )
    stored = keep_run(db_url, report, inv, cfg)
    return outcome(report, cfg, request.fail_on, store_failed=store_failed or not stored)
