"""Writing one run into the audit store, in one transaction under the store's write lock.

Only changes add rows: a new finding, an event (opened, fixed, reopened, severity,
left_head, back_in_head), a new occurrence, a repository or check whose status changed.
Everything unchanged only has its `last_run` moved forward.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import bindparam, func, select

from fastaudit.checks.leaks import HintIndex
from fastaudit.store import schema as t
from fastaudit.store.db import write_lock
from fastaudit.store.observe import KEY, LEAK, REPOSITORY, SECRET, Observation, Subject, retires

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

_CHUNK = 500
T = TypeVar("T")


@dataclass(frozen=True)
class RecordedRun:
    """What keeping a run changed: its id and the findings opened, reopened and fixed."""

    run_id: int
    run_uid: str
    opened: int
    reopened: int
    fixed: int
    open_total: int


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _ids(
    connection: Connection, column: Any, id_column: Any, values: Iterable[str]
) -> dict[str, int]:
    wanted = sorted(set(values))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        for value, row_id in connection.execute(select(column, id_column).where(column.in_(chunk))):
            found[value] = row_id
    return found


def _insert_id(connection: Connection, statement: Any) -> int:
    key = connection.execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


def _touch(connection: Connection, table: Any, ids: Iterable[int], run_id: int) -> None:
    rows = [{"_id": row_id} for row_id in ids]
    if rows:
        connection.execute(
            table.update().where(table.c.id == bindparam("_id")).values(last_run=run_id),
            rows,
        )


class _Writer:
    """The state of one run's write: ids resolved so far, counts of what changed."""

    def __init__(self, connection: Connection, obs: Observation, run_uid: str) -> None:
        self.c = connection
        self.obs = obs
        self.run_uid = run_uid
        self.at = _utc(obs.as_of)
        self.opened = self.reopened = self.fixed = 0
        self.events: list[dict[str, Any]] = []

    def run(self) -> RecordedRun:
        c, obs = self.c, self.obs
        if c.execute(select(t.runs.c.id).where(t.runs.c.run_uid == self.run_uid)).first():
            from fastaudit.store.db import StoreError

            raise StoreError(f"run {self.run_uid} is already in the store: it is kept once")
        latest = _utc(c.execute(select(func.max(t.runs.c.as_of))).scalar())
        if latest is not None and self.at is not None and self.at < latest - timedelta(days=1):
            from fastaudit.store.db import StoreError

            raise StoreError(
                f"this run is as of {self.at:%Y-%m-%d}, before the newest run in the store "
                f"({latest:%Y-%m-%d}): runs are kept in date order, so a first-seen or fixed "
                "date never comes before an earlier one"
            )
        self.previous_repo_run = c.execute(
            select(func.max(t.runs.c.id)).where(t.runs.c.repositories > 0)
        ).scalar()
        self.previous_inventory_run = c.execute(
            select(func.max(t.runs.c.id)).where(t.runs.c.inventory_given.is_(True))
        ).scalar()
        self.run_id = _insert_id(
            c,
            t.runs.insert().values(
                run_uid=self.run_uid,
                command=obs.command,
                as_of=self.at,
                recorded_at=datetime.now(timezone.utc),
                tool_version=obs.tool_version,
                parameters=json.dumps(obs.parameters, sort_keys=True, default=str),
                scope=json.dumps([r.name for r in obs.repos]),
                repositories=len(obs.repos),
                inventory_given=obs.inventory is not None,
                findings_open=0,
            ),
        )
        self.repo_ids = self._repositories()
        self.secret_ids = self._secrets()
        self._occurrences()
        self._findings()
        if obs.inventory is not None:
            self._inventory()
        if self.events:
            c.execute(t.finding_events.insert(), self.events)
        open_total = c.execute(
            select(func.count()).select_from(t.findings).where(t.findings.c.state == "open")
        ).scalar_one()
        c.execute(
            t.runs.update().where(t.runs.c.id == self.run_id).values(findings_open=open_total)
        )
        return RecordedRun(
            self.run_id, self.run_uid, self.opened, self.reopened, self.fixed, open_total
        )

    # --- repositories and secrets ------------------------------------------------------

    def _repositories(self) -> dict[str, int]:
        c, run_id = self.c, self.run_id
        names = [r.name for r in self.obs.repos]
        ids = _ids(c, t.repositories.c.name, t.repositories.c.id, names)
        for repo in self.obs.repos:
            if repo.name not in ids:
                ids[repo.name] = _insert_id(
                    c,
                    t.repositories.insert().values(
                        name=repo.name, location=repo.location, first_run=run_id, last_run=run_id
                    ),
                )
        _touch(c, t.repositories, [ids[n] for n in names], run_id)
        latest: dict[int, Any] = {}
        if self.previous_repo_run is not None:
            for chunk in _chunks(sorted(ids.values())):
                for row in c.execute(
                    select(t.repo_status).where(
                        t.repo_status.c.repo_id.in_(chunk),
                        t.repo_status.c.last_run == self.previous_repo_run,
                    )
                ):
                    latest[row.repo_id] = row
        extend, new = [], []
        for repo in self.obs.repos:
            span = latest.get(ids[repo.name])
            if span is not None and (span.status, span.failure) == (repo.status, repo.failure):
                extend.append(span.id)
            else:
                new.append(
                    {
                        "repo_id": ids[repo.name],
                        "status": repo.status,
                        "failure": repo.failure,
                        "error": repo.error,
                        "first_run": run_id,
                        "last_run": run_id,
                    }
                )
        _touch(c, t.repo_status, extend, run_id)
        if new:
            c.execute(t.repo_status.insert(), new)
        return ids

    def _secrets(self) -> dict[str, int]:
        c = self.c
        ids = _ids(c, t.secrets.c.fingerprint, t.secrets.c.id, self.obs.secrets)
        added = [fp for fp in self.obs.secrets if fp not in ids]
        if added:
            c.execute(
                t.secrets.insert(),
                [
                    {"fingerprint": fp, "redacted": self.obs.secrets[fp], "first_run": self.run_id}
                    for fp in added
                ],
            )
            ids.update(_ids(c, t.secrets.c.fingerprint, t.secrets.c.id, added))
        return ids

    def _occurrences(self) -> None:
        c, run_id = self.c, self.run_id
        existing: dict[tuple[int, int, str, str], int] = {}
        for chunk in _chunks(sorted(set(self.secret_ids.values()))):
            for row in c.execute(
                select(
                    t.occurrences.c.id,
                    t.occurrences.c.secret_id,
                    t.occurrences.c.repo_id,
                    t.occurrences.c.path,
                    t.occurrences.c.commit,
                ).where(t.occurrences.c.secret_id.in_(chunk))
            ):
                existing[(row.secret_id, row.repo_id, row.path, row.commit)] = row.id
        seen, new = [], []
        for occ in self.obs.occurrences:
            secret_id = self.secret_ids.get(occ.fingerprint)
            repo_id = self.repo_ids.get(occ.repo)
            if secret_id is None or repo_id is None:
                continue
            row_id = existing.get((secret_id, repo_id, occ.path, occ.commit))
            if row_id is None:
                new.append(
                    {
                        "secret_id": secret_id,
                        "repo_id": repo_id,
                        "path": occ.path,
                        "commit": occ.commit,
                        "line": occ.line,
                        "in_head": occ.in_head,
                        "first_run": run_id,
                        "last_run": run_id,
                    }
                )
            else:
                seen.append({"_id": row_id, "_in_head": occ.in_head, "_line": occ.line})
        if seen:
            c.execute(
                t.occurrences.update()
                .where(t.occurrences.c.id == bindparam("_id"))
                .values(last_run=run_id, in_head=bindparam("_in_head"), line=bindparam("_line")),
                seen,
            )
        if new:
            c.execute(t.occurrences.insert(), new)

    # --- findings ----------------------------------------------------------------------

    def _event(self, finding_id: int, kind: str, severity: str) -> None:
        self.events.append(
            {
                "finding_id": finding_id,
                "run_id": self.run_id,
                "at": self.at,
                "kind": kind,
                "severity": severity,
            }
        )

    def _findings(self) -> None:
        c, obs = self.c, self.obs
        present = obs.present
        rows: dict[str, Any] = {}
        for chunk in _chunks(sorted(present)):
            for row in c.execute(select(t.findings).where(t.findings.c.identity.in_(chunk))):
                rows[row.identity] = row
        touched: list[dict[str, Any]] = []
        for ident, subject in present.items():
            stored = rows.get(ident)
            severity = subject.severity.label
            if stored is None:
                self._insert(subject)
                continue
            values: dict[str, Any] = {
                "_id": stored.id,
                "_severity": severity,
                "_rule": subject.rule_id,
                "_in_head": subject.in_head if subject.in_head is not None else stored.in_head,
                "_state": "open",
                "_opened_at": stored.opened_at,
                "_fixed_at": None,
                "_fixed_run": None,
                "_reopened": stored.reopened,
                "_left_head_at": stored.left_head_at,
            }
            if stored.state == "fixed":
                values.update(_opened_at=self.at, _reopened=stored.reopened + 1)
                self._event(stored.id, "reopened", severity)
                self.reopened += 1
            elif stored.severity != severity:
                self._event(stored.id, "severity", severity)
            if subject.kind == LEAK and subject.in_head is not None and stored.in_head is not None:
                if stored.in_head and not subject.in_head:
                    values["_left_head_at"] = self.at
                    self._event(stored.id, "left_head", severity)
                elif subject.in_head and not stored.in_head:
                    self._event(stored.id, "back_in_head", severity)
            touched.append(values)
        if touched:
            c.execute(
                t.findings.update()
                .where(t.findings.c.id == bindparam("_id"))
                .values(
                    last_run=self.run_id,
                    last_seen_at=self.at,
                    severity=bindparam("_severity"),
                    rule_id=bindparam("_rule"),
                    in_head=bindparam("_in_head"),
                    state=bindparam("_state"),
                    opened_at=bindparam("_opened_at"),
                    fixed_at=bindparam("_fixed_at"),
                    fixed_run=bindparam("_fixed_run"),
                    reopened=bindparam("_reopened"),
                    left_head_at=bindparam("_left_head_at"),
                ),
                touched,
            )
        self._fix_absent(set(present))

    def _insert(self, subject: Subject) -> None:
        finding_id = _insert_id(
            self.c,
            t.findings.insert().values(
                identity=subject.identity,
                kind=subject.kind,
                rule_id=subject.rule_id,
                severity=subject.severity.label,
                secret_id=self.secret_ids.get(subject.fingerprint or ""),
                key_id=subject.key_id,
                repo_id=self.repo_ids.get(subject.repo or ""),
                path=subject.path,
                title=subject.title,
                state="open",
                first_seen_at=self.at,
                first_run=self.run_id,
                last_seen_at=self.at,
                last_run=self.run_id,
                opened_at=self.at,
                reopened=0,
                in_head=subject.in_head,
            ),
        )
        self._event(finding_id, "opened", subject.severity.label)
        self.opened += 1

    def _fix_absent(self, present: set[str]) -> None:
        """Open findings this run did not raise, fixed where the run could have raised them."""
        c, obs = self.c, self.obs
        scanned_ids = {self.repo_ids[name] for name in obs.scanned if name in self.repo_ids}
        candidates = [
            row
            for row in c.execute(
                select(
                    t.findings.c.id,
                    t.findings.c.identity,
                    t.findings.c.kind,
                    t.findings.c.severity,
                    t.findings.c.secret_id,
                    t.findings.c.repo_id,
                    t.secrets.c.fingerprint,
                    t.secrets.c.redacted,
                )
                .select_from(
                    t.findings.outerjoin(t.secrets, t.findings.c.secret_id == t.secrets.c.id)
                )
                .where(t.findings.c.state == "open")
            )
            if row.identity not in present
        ]
        holders = self._secret_holders([r.secret_id for r in candidates if r.kind == SECRET])
        index = HintIndex(obs.inventory or (), obs.prefixes)
        fixed = []
        for row in candidates:
            if row.kind == KEY:
                proven = obs.inventory is not None
            elif row.kind == REPOSITORY:
                proven = row.repo_id in scanned_ids
            elif row.kind == SECRET:
                repos = holders.get(row.secret_id, set())
                proven = bool(repos) and repos <= scanned_ids
            elif row.kind == LEAK:
                proven = row.fingerprint in obs.retired or (
                    obs.inventory is not None
                    and row.fingerprint not in obs.active_leaks
                    and retires(index, row.redacted)
                )
            else:
                proven = False
            if proven:
                fixed.append({"_id": row.id})
                self._event(row.id, "fixed", row.severity)
        if fixed:
            c.execute(
                t.findings.update()
                .where(t.findings.c.id == bindparam("_id"))
                .values(state="fixed", fixed_at=self.at, fixed_run=self.run_id),
                fixed,
            )
        self.fixed += len(fixed)

    def _secret_holders(self, secret_ids: list[int]) -> dict[int, set[int]]:
        holders: dict[int, set[int]] = {}
        for chunk in _chunks(sorted(set(secret_ids))):
            for secret_id, repo_id in self.c.execute(
                select(t.occurrences.c.secret_id, t.occurrences.c.repo_id)
                .where(t.occurrences.c.secret_id.in_(chunk))
                .distinct()
            ):
                holders.setdefault(secret_id, set()).add(repo_id)
        return holders

    # --- inventory ---------------------------------------------------------------------

    def _inventory(self) -> None:
        c, run_id = self.c, self.run_id
        keys = self.obs.inventory or ()
        ids = _ids(c, t.inventory_keys.c.key_id, t.inventory_keys.c.id, [k.id for k in keys])
        updates = []
        for key in keys:
            values = {
                "name": key.name,
                "environment": key.environment,
                "created_at": _utc(key.created_at),
                "deleted_at": _utc(key.deleted_at),
                "last_used_at": _utc(key.last_used_at),
                "allowed_ips": len(key.allowed_ips),
            }
            if key.id in ids:
                updates.append({"_id": ids[key.id], **{f"_{k}": v for k, v in values.items()}})
            else:
                ids[key.id] = _insert_id(
                    c,
                    t.inventory_keys.insert().values(
                        key_id=key.id, first_run=run_id, last_run=run_id, **values
                    ),
                )
        if updates:
            columns = (
                "name",
                "environment",
                "created_at",
                "deleted_at",
                "last_used_at",
                "allowed_ips",
            )
            c.execute(
                t.inventory_keys.update()
                .where(t.inventory_keys.c.id == bindparam("_id"))
                .values(last_run=run_id, **{name: bindparam(f"_{name}") for name in columns}),
                updates,
            )
        latest: dict[tuple[int, str], Any] = {}
        if self.previous_inventory_run is not None:
            for chunk in _chunks(sorted(ids.values())):
                for row in c.execute(
                    select(t.check_results).where(
                        t.check_results.c.inventory_key_id.in_(chunk),
                        t.check_results.c.last_run == self.previous_inventory_run,
                    )
                ):
                    latest[(row.inventory_key_id, row.rule_id)] = row
        outcomes: dict[tuple[int, str], str] = {}
        for key_id, rule_id, outcome in self.obs.checks:
            if key_id in ids:
                where = (ids[key_id], rule_id)
                # A key fails a rule if any of its results for the rule failed.
                if outcomes.get(where) != "fail":
                    outcomes[where] = outcome
        extend, new = [], []
        for (key_row, rule_id), outcome in outcomes.items():
            span = latest.get((key_row, rule_id))
            if span is not None and span.outcome == outcome:
                extend.append(span.id)
            else:
                new.append(
                    {
                        "inventory_key_id": key_row,
                        "rule_id": rule_id,
                        "outcome": outcome,
                        "first_run": run_id,
                        "last_run": run_id,
                    }
                )
        _touch(c, t.check_results, extend, run_id)
        if new:
            c.execute(t.check_results.insert(), new)


def record(engine: Engine, obs: Observation, run_uid: str | None = None) -> RecordedRun:
    """Write one run; the store's write lock is held for the whole write."""
    from sqlalchemy.exc import SQLAlchemyError

    from fastaudit.store.db import StoreError, display_url, one_line

    try:
        with write_lock(engine) as connection:
            return _Writer(connection, obs, run_uid or uuid.uuid4().hex).run()
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot record the run in {display_url(str(engine.url))}: {one_line(exc)}"
        ) from None
