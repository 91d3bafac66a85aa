"""Trends over the runs kept in the audit store: open findings per run, new versus fixed,
time to fix, findings past their SLA, a timeline per repository and key lifecycles.

`read` is the only part that touches the database; `compute` turns what it read into the
JSON document that the trends page, the audit report's trends section and `--json` all
show, so every chart and its table come from one set of numbers.

Dates are the runs' as-of dates: a finding fixed in the run as of 1 March was fixed on
1 March, whenever that run was recorded.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from fastaudit.errors import InputError
from fastaudit.findings import Severity

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from fastaudit.inventory import InventoryKey

SEVERITIES = tuple(s.label for s in reversed(Severity))
DEFAULT_SLA_DAYS: Mapping[str, int] = {
    "critical": 7,
    "high": 30,
    "medium": 90,
    "low": 180,
    "info": 365,
}
TRENDS_SCHEMA = "fastaudit-trends/1"


@dataclass(frozen=True)
class Run:
    """One stored run: its id and the date it judged."""

    id: int
    as_of: datetime
    command: str


@dataclass(frozen=True)
class StoredFinding:
    """A stored finding's identity, severity and the runs it was open in."""

    id: int
    kind: str
    rule_id: str
    severity: str
    state: str
    title: str
    first_seen_at: datetime
    fixed_at: datetime | None
    reopened: int
    left_head_at: datetime | None
    repos: tuple[tuple[str, int], ...]  # (repository, first run it is associated from)


@dataclass(frozen=True)
class Event:
    """A finding opened, fixed or reopened at a run."""

    finding_id: int
    run_id: int
    at: datetime
    kind: str
    severity: str


@dataclass
class StoredHistory:
    """Everything `compute` needs, read in one go."""

    runs: list[Run]
    findings: dict[int, StoredFinding]
    events: list[Event]
    keys: list[InventoryKey] = field(default_factory=list)


def parse_since(value: str | None, latest: datetime | None) -> datetime | None:
    """`180d`, `26w`, `6m` (30-day months) back from the latest run, or an ISO date."""
    if not value:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*([dwm])\s*", value)
    if latest is None:
        # No runs to count back from: still refuse what could never be a date.
        latest = datetime.now(timezone.utc)
        if not match:
            from fastaudit.inventory import parse_when

            parse_when(value, "--since")
            return None
    if match:
        count = int(match.group(1))
        days = count * {"d": 1, "w": 7, "m": 30}[match.group(2)]
        try:
            return latest - timedelta(days=days)
        except OverflowError:
            raise InputError(f"--since {value!r} reaches before the year 1") from None
    from fastaudit.inventory import parse_when

    try:
        return parse_when(value, "--since")
    except InputError:
        raise InputError(f"--since {value!r}: give 180d, 26w, 6m or an ISO date") from None


def _when(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime. Rows are read with the driver's own values
    (SQLite gives text, PostgreSQL datetimes): parsing the text with `fromisoformat` is
    several times faster than SQLAlchemy's per-value regex, which matters at a year of
    runs."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _day_of(value: Any) -> datetime:
    moment = _when(value)
    assert moment is not None
    return moment


def read(engine: Engine) -> StoredHistory:
    """The whole store's runs, findings, events and inventory keys."""
    from sqlalchemy.exc import SQLAlchemyError

    from fastaudit.store.db import StoreError, display_url, one_line

    try:
        return _read(engine)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot read the audit store {display_url(str(engine.url))}: {one_line(exc)}"
        ) from None


def _read(engine: Engine) -> StoredHistory:
    from fastaudit.inventory import InventoryKey

    with engine.connect() as c:

        def rows(sql: str) -> list[Any]:
            return list(c.exec_driver_sql(sql))

        runs = [
            Run(run_id, _day_of(as_of), command)
            for run_id, as_of, command in rows("SELECT id, as_of, command FROM runs ORDER BY id")
        ]
        repo_names = dict(rows("SELECT id, name FROM repositories"))
        holders: dict[int, dict[str, int]] = defaultdict(dict)
        for secret_id, repo_id, first_run in rows(
            "SELECT secret_id, repo_id, first_run FROM occurrences"
        ):
            name = repo_names[repo_id]
            known = holders[secret_id].get(name)
            holders[secret_id][name] = first_run if known is None else min(known, first_run)
        findings = {}
        for (
            finding_id,
            kind,
            rule_id,
            severity,
            state,
            title,
            secret_id,
            repo_id,
            first_run,
            first_seen_at,
            fixed_at,
            reopened,
            left_head_at,
        ) in rows(
            "SELECT id, kind, rule_id, severity, state, title, secret_id, repo_id, first_run, "
            "first_seen_at, fixed_at, reopened, left_head_at FROM findings"
        ):
            if repo_id is not None:
                repos: tuple[tuple[str, int], ...] = ((repo_names[repo_id], first_run),)
            else:
                repos = tuple(sorted(holders.get(secret_id, {}).items()))
            findings[finding_id] = StoredFinding(
                id=finding_id,
                kind=kind,
                rule_id=rule_id,
                severity=severity,
                state=state,
                title=title,
                first_seen_at=_day_of(first_seen_at),
                fixed_at=_when(fixed_at),
                reopened=reopened,
                left_head_at=_when(left_head_at),
                repos=repos,
            )
        events = [
            Event(finding_id, run_id, _day_of(at), kind, severity)
            for finding_id, run_id, at, kind, severity in rows(
                "SELECT finding_id, run_id, at, kind, severity FROM finding_events "
                "ORDER BY run_id, id"
            )
        ]
        keys = [
            InventoryKey(
                id=key_id,
                name=name,
                created_at=_day_of(created),
                environment=environment,
                last_used_at=_when(used),
                deleted_at=_when(deleted),
                allowed_ips=("",) * allowed,
            )
            for key_id, name, environment, created, deleted, used, allowed in rows(
                "SELECT key_id, name, environment, created_at, deleted_at, last_used_at, "
                "allowed_ips FROM inventory_keys ORDER BY key_id"
            )
        ]
    return StoredHistory(runs, findings, events, keys)


@dataclass(frozen=True)
class _Segment:
    """A finding open at one severity from run `start` up to (not including) run `end`."""

    finding_id: int
    severity: str
    start: int
    end: int | None
    opened_at: datetime


def _segments(events: Sequence[Event]) -> tuple[list[_Segment], list[dict[str, Any]]]:
    """Open stretches per finding, and each closed episode (opened or reopened -> fixed)."""
    segments: list[_Segment] = []
    episodes: list[dict[str, Any]] = []
    current: dict[int, tuple[str, int, datetime]] = {}  # finding -> severity, since run, opened
    for event in events:
        fid = event.finding_id
        if event.kind in ("opened", "reopened"):
            current[fid] = (event.severity, event.run_id, event.at)
        elif fid not in current:
            continue
        elif event.kind == "severity":
            severity, start, opened = current[fid]
            segments.append(_Segment(fid, severity, start, event.run_id, opened))
            current[fid] = (event.severity, event.run_id, opened)
        elif event.kind == "fixed":
            severity, start, opened = current.pop(fid)
            segments.append(_Segment(fid, severity, start, event.run_id, opened))
            episodes.append(
                {
                    "finding_id": fid,
                    "severity": severity,
                    "opened_at": opened,
                    "fixed_at": event.at,
                    "fixed_run": event.run_id,
                }
            )
    for fid, (severity, start, opened) in current.items():
        segments.append(_Segment(fid, severity, start, None, opened))
    return segments, episodes


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _round(value: float) -> float:
    return round(value, 1)


def _past_sla(
    history: StoredHistory,
    segments: list[_Segment],
    latest: Run | None,
    sla_days: Mapping[str, int],
) -> list[dict[str, Any]]:
    """Findings open at the latest run for longer than their severity's SLA, most severe
    and most overdue first."""
    past_sla: list[dict[str, Any]] = []
    if latest is None:
        return past_sla
    for seg in segments:
        if seg.end is not None or seg.start > latest.id:
            continue
        age = (latest.as_of - seg.opened_at).total_seconds() / 86400
        limit = sla_days.get(seg.severity)
        if limit is not None and age > limit:
            finding = history.findings[seg.finding_id]
            past_sla.append(
                {
                    "title": finding.title,
                    "rule_id": finding.rule_id,
                    "severity": seg.severity,
                    "opened_at": _day(seg.opened_at),
                    "age_days": int(age),
                    "sla_days": limit,
                    "over_by_days": int(age - limit),
                    "repositories": [name for name, _ in finding.repos],
                }
            )
    past_sla.sort(key=lambda f: (-Severity.parse(f["severity"]), -f["over_by_days"], f["title"]))
    return past_sla


def compute(
    history: StoredHistory,
    *,
    since: datetime | None = None,
    repo: str | None = None,
    sla_days: Mapping[str, int] = DEFAULT_SLA_DAYS,
    max_age_days: int = 90,
) -> dict[str, Any]:
    """The trends document (schema `fastaudit-trends/1`)."""
    from fastaudit.lifecycle import lifecycles

    all_runs = history.runs
    run_ids = [r.id for r in all_runs]
    window = [r for r in all_runs if since is None or r.as_of >= since]
    wanted = {
        fid
        for fid, f in history.findings.items()
        if repo is None or any(name == repo for name, _ in f.repos)
    }
    events = [e for e in history.events if e.finding_id in wanted]
    segments, episodes = _segments(events)

    def position(run_id: int | None) -> int:
        return len(run_ids) if run_id is None else bisect.bisect_left(run_ids, run_id)

    # Open findings per run and severity: +1 where a stretch starts, -1 where it ends.
    deltas = [Counter[str]() for _ in range(len(all_runs) + 1)]
    for seg in segments:
        deltas[position(seg.start)][seg.severity] += 1
        deltas[position(seg.end)][seg.severity] -= 1
    running: Counter[str] = Counter()
    open_at: dict[int, dict[str, int]] = {}
    for index, run in enumerate(all_runs):
        running.update(deltas[index])
        open_at[run.id] = {s: running.get(s, 0) for s in SEVERITIES}
    by_run: dict[int, Counter[str]] = defaultdict(Counter)
    for event in events:
        by_run[event.run_id][event.kind] += 1
    window_ids = {r.id for r in window}
    closed = [e for e in episodes if e["fixed_run"] in window_ids]
    time_to_fix = {}
    for severity in (*SEVERITIES, "all"):
        days = [
            max((e["fixed_at"] - e["opened_at"]).total_seconds(), 0) / 86400
            for e in closed
            if severity == "all" or e["severity"] == severity
        ]
        time_to_fix[severity] = {
            "fixed": len(days),
            "mean_days": _round(statistics.fmean(days)) if days else None,
            "median_days": _round(statistics.median(days)) if days else None,
        }
    latest = window[-1] if window else None
    past_sla = _past_sla(history, segments, latest, sla_days)
    return {
        "schema": TRENDS_SCHEMA,
        "window": {
            "since": _day(since) if since else None,
            "repository": repo,
            "runs": len(window),
            "first": _day(window[0].as_of) if window else None,
            "last": _day(window[-1].as_of) if window else None,
        },
        "runs": [
            {
                "run": r.id,
                "as_of": _day(r.as_of),
                "command": r.command,
                "open": open_at[r.id],
                "open_total": sum(open_at[r.id].values()),
                "new": by_run[r.id]["opened"],
                "reopened": by_run[r.id]["reopened"],
                "fixed": by_run[r.id]["fixed"],
                "left_head": by_run[r.id]["left_head"],
            }
            for r in window
        ],
        "time_to_fix": time_to_fix,
        "sla_days": dict(sla_days),
        "past_sla": {
            "counts": {s: sum(1 for f in past_sla if f["severity"] == s) for s in SEVERITIES},
            "findings": past_sla,
        },
        "repositories": _timelines(history, segments, window, position, repo),
        "key_lifecycle": lifecycles(
            history.keys, latest.as_of if latest else datetime.now(timezone.utc), max_age_days
        )
        if repo is None
        else [],
    }


def _timelines(
    history: StoredHistory,
    segments: Sequence[_Segment],
    window: Sequence[Run],
    position: Any,
    only: str | None,
) -> list[dict[str, Any]]:
    """Open findings per repository per run (leaks count for every repository holding them,
    from the run they were first found there)."""
    if not window:
        return []
    first = position(window[0].id)
    width = len(window)
    deltas: dict[str, list[int]] = {}
    for seg in segments:
        for name, since_run in history.findings[seg.finding_id].repos:
            if only is not None and name != only:
                continue
            start = max(position(max(seg.start, since_run)) - first, 0)
            end = min(position(seg.end) - first, width)
            if start >= end:
                continue
            row = deltas.setdefault(name, [0] * (width + 1))
            row[start] += 1
            row[end] -= 1
    counts: dict[str, list[int]] = {}
    for name, row in deltas.items():
        total, series = 0, []
        for delta in row[:width]:
            total += delta
            series.append(total)
        counts[name] = series
    ordered = sorted(counts.items(), key=lambda item: (-max(item[1]), item[0]))
    # One number per run of the window, in the order of "runs": a year of daily runs over
    # thousands of repositories stays a compact list rather than a dict per point.
    return [{"name": name, "open": row, "peak": max(row), "now": row[-1]} for name, row in ordered]


def summary_text(document: Mapping[str, Any], store: str) -> str:
    """A few lines for the terminal: where things stand and where they are heading."""
    window = document["window"]
    runs = document["runs"]
    if not runs:
        return f"{store}: no runs in the audit store" + (
            f" since {window['since']}" if window["since"] else ""
        )
    last = runs[-1]
    lines = [
        f"{store}: {window['runs']} run{'' if window['runs'] == 1 else 's'}, "
        f"{window['first']} to {window['last']}"
        + (f", repository {window['repository']}" if window["repository"] else ""),
        "open now: "
        + ", ".join(f"{last['open'][s]} {s}" for s in SEVERITIES if last["open"][s])
        + f" ({last['open_total']} in all)"
        if last["open_total"]
        else "open now: none",
        f"in this window: {sum(r['new'] for r in runs)} new, "
        f"{sum(r['reopened'] for r in runs)} reopened, {sum(r['fixed'] for r in runs)} fixed",
    ]
    ttf = document["time_to_fix"]["all"]
    if ttf["fixed"]:
        lines.append(
            f"time to fix: mean {ttf['mean_days']} days, median {ttf['median_days']} days "
            f"({ttf['fixed']} fixed)"
        )
    past = document["past_sla"]["counts"]
    if any(past.values()):
        lines.append("past SLA: " + ", ".join(f"{n} {s}" for s, n in past.items() if n))
    return "\n".join(lines)
