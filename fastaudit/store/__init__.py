"""The audit store: every run of `audit`, `check` and `history` given `--db`, kept in a
SQL database (SQLite by default, PostgreSQL for a team), so trends, time to fix and key
lifecycles can be drawn across runs.

`observe` (pure) decides what a run says about each finding; `record` writes it; `db`
opens the store and migrates it with Alembic. Only the process that merges results writes:
on a Dask run, the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastaudit.store.db import StoreError, default_url, display_url, normalise_url, open_engine

if TYPE_CHECKING:
    from fastaudit.config import Config
    from fastaudit.inventory import Inventory
    from fastaudit.report import Report
    from fastaudit.store.record import RecordedRun

__all__ = [
    "StoreError",
    "default_url",
    "display_url",
    "keep_run",
    "normalise_url",
    "open_engine",
]


def keep_run(url: str, report: Report, inventory: Inventory | None, cfg: Config) -> RecordedRun:
    """Record the run `report` describes, then give the report the trends across every run
    the store holds (this one included)."""
    from fastaudit.sanitize import for_disk
    from fastaudit.store import trends
    from fastaudit.store.observe import observe
    from fastaudit.store.record import record

    report.parameters["db"] = display_url(url)
    engine = open_engine(url)
    try:
        recorded = record(
            engine, for_disk(observe(report, inventory)), report.parameters.get("run_id")
        )
        report.trends = trends.compute(
            trends.read(engine), sla_days=cfg.sla_days, max_age_days=cfg.max_age_days
        )
    finally:
        engine.dispose()
    return recorded
