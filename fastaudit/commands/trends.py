"""`trends`: open findings, new and fixed, time to fix, SLA and key lifecycles across the
runs an audit store holds. Reading never creates a store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastaudit.commands import load_config


@dataclass(frozen=True)
class TrendsOutcome:
    """The trends document and the store it came from, as shown (no password)."""

    document: dict[str, Any]
    store: str


def trends(
    db_url: str | None, since: str | None, repo: str | None, config: Path | None
) -> TrendsOutcome:
    """The trends of the store at `db_url` (the default store when None), over the runs
    since `since` and the findings of `repo` when given; StoreError when there is none."""
    from fastaudit import store
    from fastaudit.store import trends as stored_trends

    cfg = load_config(config, Path.cwd())
    url = store.normalise_url(db_url)
    engine = store.open_engine(url, create=False)
    try:
        stored = stored_trends.read(engine)
    finally:
        engine.dispose()
    latest = stored.runs[-1].as_of if stored.runs else None
    document = stored_trends.compute(
        stored,
        since=stored_trends.parse_since(since, latest),
        repo=repo,
        sla_days=cfg.sla_days,
        max_age_days=cfg.max_age_days,
    )
    return TrendsOutcome(document, store.display_url(url))
