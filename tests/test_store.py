"""The audit store, on SQLite and on a real PostgreSQL (started by `.ci/run` on 127.0.0.1).

A real repository is audited run after run while its keys are added, rotated in the
inventory, removed from HEAD and leaked again; the test reads back every first-seen,
fixed and reopened date and the time-to-fix figures. Migrations are run from an empty
database and from the previous schema; two audits write to one SQLite store at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select, text

from fastaudit.detect import redact
from fastaudit.store import schema as t
from tests.conftest import Repo, git

PG_ADMIN_URL = os.environ.get("FASTAUDIT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    if not PG_ADMIN_URL:
        if os.environ.get("CI"):
            pytest.fail("FASTAUDIT_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL")
        pytest.skip('no PostgreSQL: run `eval "$(.ci/postgres start)"` first')
    name = f"fa_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def hint(key: str) -> str:
    return redact(key)


def write_inventory(path: Path, keys: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"schema_version": 1, "keys": keys}), encoding="utf-8")
    return path


def audit(run_cli: Any, repo: Path, inventory: Path, as_of: str, url: str, *extra: str) -> Any:
    result = run_cli(
        "audit",
        str(repo),
        "--inventory",
        str(inventory),
        "--as-of",
        as_of,
        "--db",
        url,
        "--format",
        "json",
        "--no-cache",
        *extra,
    )
    assert result.code in (0, 1), result.err
    return result


def rows(url: str, statement: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return list(c.execute(statement))
    finally:
        engine.dispose()


def finding(url: str, kind: str, title_part: str) -> Any:
    found = [
        r
        for r in rows(url, select(t.findings).where(t.findings.c.kind == kind))
        if title_part in r.title
    ]
    assert len(found) == 1, [r.title for r in rows(url, select(t.findings))]
    return found[0]


def key_finding(url: str, key_id: str) -> Any:
    found = rows(url, select(t.findings).where(t.findings.c.key_id == key_id))
    assert len(found) == 1, [(r.rule_id, r.title) for r in found]
    return found[0]


def events(url: str, finding_id: int) -> list[tuple[str, str]]:
    return [
        (r.kind, r.at.date().isoformat() if hasattr(r.at, "date") else str(r.at)[:10])
        for r in rows(
            url,
            select(t.finding_events)
            .where(t.finding_events.c.finding_id == finding_id)
            .order_by(t.finding_events.c.id),
        )
    ]


def day(value: Any) -> str | None:
    return None if value is None else str(value)[:10]


def keyed_repo(parent: Path, name: str, keys: int, make_key: Any) -> Path:
    """A repository with one commit holding `keys` fresh keys, one file each."""
    path = parent / name
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for index in range(keys):
        (path / f"k{index}.env").write_text(f"FAST_API_KEY={make_key()}\n")
    git(path, "add", "-A")
    git(path, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "keys")
    return path


def test_a_year_of_a_leaking_repository(
    store_url: str, repo: Repo, tmp_path: Path, run_cli: Any, make_key: Any
) -> None:
    key_a, key_b = make_key(), make_key()
    inventory = tmp_path / "inventory.json"
    backend = {
        "id": "k-backend",
        "name": "Production Backend",
        "environment": "production",
        "created_at": "2025-12-01",
        "allowed_ips": [],
        "key_hint": hint(key_a),
    }
    backend_v2 = {
        "id": "k-backend-v2",
        "name": "Production Backend v2",
        "environment": "production",
        "created_at": "2026-01-18",
        "allowed_ips": ["52.14.7.10"],
        "key_hint": hint(key_b),
    }

    def used(as_of: str, *keys: dict[str, Any]) -> list[dict[str, Any]]:
        return [{**k, "last_used_at": as_of} for k in keys]

    # Run 1, 1 January: key A committed; its inventory key is live and has no allowlist.
    repo.write("config/prod.env", f"FAST_API_KEY={key_a}\n")
    repo.commit("add config", "2025-12-30T10:00:00Z")
    write_inventory(inventory, used("2026-01-01", backend))
    audit(run_cli, repo.path, inventory, "2026-01-01", store_url)
    leak_a = finding(store_url, "leak", hint(key_a))
    assert (leak_a.state, leak_a.severity, leak_a.rule_id) == ("open", "critical", "FAST140")
    assert day(leak_a.first_seen_at) == "2026-01-01"
    assert leak_a.in_head is True
    allowlist_a = key_finding(store_url, "k-backend")
    assert allowlist_a.rule_id == "FAST101" and allowlist_a.state == "open"

    # Run 2, 11 January: key A leaves HEAD. A milestone, not a fix: it is still live.
    repo.write("config/prod.env", "FAST_API_KEY=${FAST_API_KEY}\n")
    repo.commit("read the key from the environment", "2026-01-10T10:00:00Z")
    audit(run_cli, repo.path, inventory, "2026-01-11", store_url)
    leak_a = finding(store_url, "leak", hint(key_a))
    assert leak_a.state == "open" and leak_a.in_head is False
    assert day(leak_a.left_head_at) == "2026-01-11"

    # Run 3, 21 January: rotated. v2 (with an allowlist) replaced the key, which is deleted.
    write_inventory(
        inventory,
        used("2026-01-21", {**backend, "deleted_at": "2026-01-20"}, backend_v2),
    )
    audit(run_cli, repo.path, inventory, "2026-01-21", store_url)
    leak_a = finding(store_url, "leak", hint(key_a))
    assert (leak_a.state, day(leak_a.fixed_at)) == ("fixed", "2026-01-21")
    allowlist_a = key_finding(store_url, "k-backend")
    assert (allowlist_a.state, day(allowlist_a.fixed_at)) == ("fixed", "2026-01-21")

    # Run 4, 31 January: v2 leaks into HEAD, and the dead key A is committed again.
    # v2's allowlist is dropped by mistake.
    repo.write("deploy/run.sh", f"curl -H 'X-Fast-Api-Key: {key_b}' https://api.tools.fast\n")
    repo.write("config/old.env", f"FAST_API_KEY={key_a}\n")
    repo.commit("deploy script", "2026-01-30T10:00:00Z")
    write_inventory(
        inventory,
        used(
            "2026-01-31", {**backend, "deleted_at": "2026-01-20"}, {**backend_v2, "allowed_ips": []}
        ),
    )
    audit(run_cli, repo.path, inventory, "2026-01-31", store_url)
    leak_a = finding(store_url, "leak", hint(key_a))
    assert leak_a.state == "fixed", "a deleted key committed again is no live leak"
    leak_b = finding(store_url, "leak", hint(key_b))
    assert (leak_b.state, leak_b.severity, day(leak_b.first_seen_at)) == (
        "open",
        "critical",
        "2026-01-31",
    )
    allowlist_b = key_finding(store_url, "k-backend-v2")
    assert (allowlist_b.state, day(allowlist_b.first_seen_at)) == ("open", "2026-01-31")

    # Run 5, 10 February: v2's allowlist restored; run 6, 20 February: dropped again.
    write_inventory(
        inventory, used("2026-02-10", {**backend, "deleted_at": "2026-01-20"}, backend_v2)
    )
    audit(run_cli, repo.path, inventory, "2026-02-10", store_url)
    assert key_finding(store_url, "k-backend-v2").state == "fixed"
    write_inventory(
        inventory,
        used(
            "2026-02-20", {**backend, "deleted_at": "2026-01-20"}, {**backend_v2, "allowed_ips": []}
        ),
    )
    audit(run_cli, repo.path, inventory, "2026-02-20", store_url)
    allowlist_b = key_finding(store_url, "k-backend-v2")
    assert (allowlist_b.state, allowlist_b.reopened) == ("open", 1)
    assert day(allowlist_b.first_seen_at) == "2026-01-31", "reopened, not new"
    assert day(allowlist_b.opened_at) == "2026-02-20"
    assert events(store_url, allowlist_b.id) == [
        ("opened", "2026-01-31"),
        ("fixed", "2026-02-10"),
        ("reopened", "2026-02-20"),
    ]
    assert events(store_url, leak_a.id) == [
        ("opened", "2026-01-01"),
        ("left_head", "2026-01-11"),
        ("fixed", "2026-01-21"),
    ]

    # The trends: what was fixed, when, and how long it took.
    out = tmp_path / "trends.json"
    result = run_cli(
        "trends", "--db", store_url, "--json", str(out), "--html", str(tmp_path / "t.html")
    )
    assert result.code == 0, result.err
    document = json.loads(out.read_text())
    runs = document["runs"]
    assert [r["as_of"] for r in runs] == [
        "2026-01-01",
        "2026-01-11",
        "2026-01-21",
        "2026-01-31",
        "2026-02-10",
        "2026-02-20",
    ]
    assert [r["reopened"] for r in runs] == [0, 0, 0, 0, 0, 1]
    assert runs[2]["fixed"] >= 2 and runs[1]["left_head"] == 1
    assert runs[0]["open"]["critical"] == 1 and runs[2]["open"]["critical"] == 0
    assert runs[3]["open"]["critical"] == 1  # v2's leak
    ttf = document["time_to_fix"]
    # Key A's leak: critical, 1 to 21 January. Key A's allowlist finding: 20 days too.
    assert ttf["critical"] == {"fixed": 1, "mean_days": 20.0, "median_days": 20.0}
    # v2's allowlist finding (high): 31 January to 10 February, 10 days.
    high_days = sorted(
        (e["fixed_at"], e["days"]) for e in _closed(store_url) if e["severity"] == "high"
    )
    assert (("2026-02-10", 10.0) in high_days) and (("2026-01-21", 20.0) in high_days)
    assert ttf["high"]["fixed"] == len(high_days)
    assert ttf["high"]["mean_days"] == round(sum(d for _, d in high_days) / len(high_days), 1)
    # Nothing a report or the store holds is a key.
    for key in (key_a, key_b):
        assert key not in out.read_text()
        assert key not in (tmp_path / "t.html").read_text()
        for table in t.metadata.sorted_tables:
            for row in rows(store_url, select(table)):
                assert key not in " ".join(str(v) for v in row)


def _closed(url: str) -> list[dict[str, Any]]:
    """Closed episodes straight from the events table: opened/reopened -> fixed."""
    out, start = [], {}
    for r in rows(url, select(t.finding_events).order_by(t.finding_events.c.id)):
        if r.kind in ("opened", "reopened"):
            start[r.finding_id] = r.at
        elif r.kind == "fixed" and r.finding_id in start:
            opened = start.pop(r.finding_id)
            out.append(
                {
                    "severity": r.severity,
                    "fixed_at": str(r.at)[:10],
                    "days": round((r.at - opened).total_seconds() / 86400, 1),
                }
            )
    return out


def test_unchanged_runs_add_no_rows(
    store_url: str, repo: Repo, tmp_path: Path, run_cli: Any, make_key: Any
) -> None:
    """Growth is in findings, not in runs: a run that changes nothing adds only its run."""
    repo.write("a.env", f"FAST_API_KEY={make_key()}\n")
    repo.write("b.env", f"FAST_API_KEY={make_key()}\n")
    repo.commit("keys")
    inventory = write_inventory(
        tmp_path / "inv.json",
        [
            {
                "id": "k1",
                "name": "Production One",
                "environment": "production",
                "created_at": "2026-01-01",
                "last_used_at": "2026-03-01",
                "allowed_ips": [],
            }
        ],
    )
    audit(run_cli, repo.path, inventory, "2026-03-01", store_url)

    def counts() -> dict[str, int]:
        return {
            table.name: len(rows(store_url, select(table))) for table in t.metadata.sorted_tables
        }

    before = counts()
    for as_of in ("2026-03-02", "2026-03-03", "2026-03-04"):
        audit(run_cli, repo.path, inventory, as_of, store_url)
    after = counts()
    assert after.pop("runs") == before.pop("runs") + 3
    assert after == before
    assert before["findings"] >= 3 and before["occurrences"] == 2


def test_migrations_from_empty_and_from_the_previous_schema(
    store_url: str, repo: Repo, tmp_path: Path, run_cli: Any, make_key: Any
) -> None:
    from alembic import command

    from fastaudit.store.db import _alembic_config
    from fastaudit.store.db import create_engine as store_engine

    # The previous schema (revision 0001), with a run in it.
    engine = store_engine(store_url)
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
        connection.execute(
            text(
                "INSERT INTO runs (run_uid, command, as_of, recorded_at, tool_version, "
                "parameters, scope, repositories, inventory_given, findings_open) VALUES "
                "('old-run', 'audit', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', "
                "'0.0.9', '{}', '[]', 0, false, 0)"
            )
        )
    engine.dispose()
    repo.write("x.env", f"FAST_API_KEY={make_key()}\n")
    repo.commit("key")
    inventory = write_inventory(tmp_path / "inv.json", [])
    report = tmp_path / "refused.json"
    refused = run_cli(
        "audit", str(repo.path), "--inventory", str(inventory), "--db", store_url,
        "--json", str(report),
    )  # fmt: skip
    # The store is refused before the work; the audit still runs and writes its report.
    assert refused.code == 1
    assert len(json.loads(report.read_text())["findings"]) == 1
    assert "revision 0001" in refused.err and "fastaudit db upgrade" in refused.err
    assert "Traceback" not in refused.err
    upgraded = run_cli("db", "upgrade", "--db", store_url)
    assert upgraded.code == 0 and "from 0001 to revision 0002" in upgraded.err
    assert (
        run_cli("db", "upgrade", "--db", store_url).err.strip().endswith("already at revision 0002")
    )
    kept = rows(store_url, select(t.runs.c.run_uid))
    assert [r.run_uid for r in kept] == ["old-run"]
    audit(run_cli, repo.path, inventory, "2026-02-01", store_url)
    assert len(rows(store_url, select(t.runs))) == 2
    _assert_schema_matches_models(store_url)


def test_a_new_store_is_created_at_the_newest_revision(store_url: str, run_cli: Any) -> None:
    if store_url.startswith("sqlite:"):
        # A read command never creates a store (nor its folder): one line, exit 2.
        missing = store_url.replace("store.sqlite3", "nowhere/x.sqlite3")
        absent = run_cli("trends", "--db", missing)
        assert absent.code == 2 and "no audit store at" in absent.err
        assert not Path(missing.removeprefix("sqlite:///")).parent.exists()
        assert run_cli("db", "upgrade", "--db", store_url).code == 0
    result = run_cli("trends", "--db", store_url)
    assert result.code == 0 and "no runs" in result.out
    current = run_cli("db", "current", "--db", store_url)
    assert "revision 0002 (newest 0002)" in current.out
    _assert_schema_matches_models(store_url)


def _assert_schema_matches_models(url: str) -> None:
    """The migrations build exactly the tables, columns and indexes `schema.py` declares."""
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names()) - {"alembic_version"}
        assert tables == set(t.metadata.tables)
        for table in t.metadata.sorted_tables:
            assert {c["name"] for c in inspector.get_columns(table.name)} == {
                c.name for c in table.columns
            }, table.name
            declared = {i.name for i in table.indexes}
            assert declared <= {i["name"] for i in inspector.get_indexes(table.name)}, table.name
    finally:
        engine.dispose()


def test_a_store_from_a_newer_fastaudit_or_not_a_store_is_refused(
    store_url: str, run_cli: Any
) -> None:
    assert run_cli("db", "upgrade", "--db", store_url).code == 0
    engine = create_engine(store_url)
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    newer = run_cli("trends", "--db", store_url)
    assert newer.code == 2 and "newer fastaudit" in newer.err
    assert run_cli("db", "upgrade", "--db", store_url).code == 2


def _execute(path: Path, statement: str) -> None:
    """One SQL statement on a SQLite file, as another program would run it."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as c:
        c.execute(text(statement))
    engine.dispose()


def test_a_database_that_is_not_a_store(tmp_path: Path, run_cli: Any) -> None:
    path = tmp_path / "other.sqlite3"
    _execute(path, "CREATE TABLE customers (id INTEGER)")
    result = run_cli("trends", "--db", str(path))
    assert result.code == 2 and "not an audit store" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_damaged_store_is_one_line(tmp_path: Path, run_cli: Any) -> None:
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"SQLite format 3\0" + bytes(range(256)) * 20)
    result = run_cli("trends", "--db", str(garbage))
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    store = tmp_path / "store.sqlite3"
    assert run_cli("db", "upgrade", "--db", str(store)).code == 0
    _execute(store, "DROP TABLE finding_events")
    damaged = run_cli("trends", "--db", str(store))
    assert damaged.code == 2 and "finding_events" in damaged.err
    assert len(damaged.err.strip().splitlines()) == 1


def test_unreachable_postgres_and_a_bad_url_are_one_line(run_cli: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_cli(
        "trends", "--db", f"postgresql+psycopg://auditor:hunter2pass@127.0.0.1:{port}/audit"
    )
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and "cannot open" in result.err
    assert "hunter2pass" not in result.err
    bad = run_cli("trends", "--db", "nosuchdb://x/y")
    assert bad.code == 2 and len(bad.err.strip().splitlines()) == 1


def test_two_audits_writing_at_once_are_both_kept_whole(tmp_path: Path, make_key: Any) -> None:
    """Two processes finish at the same moment on one SQLite store: each run's write takes
    the store's lock, so both runs and all their rows are there."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    repos = [keyed_repo(tmp_path, name, 30, make_key) for name in ("alpha", "beta")]
    # Create the store first so both writers race on recording, not on creating it.
    subprocess.run([sys.executable, "-m", "fastaudit", "db", "upgrade", "--db", url], check=True)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "fastaudit", "audit", str(path), "--db", url, "--no-cache"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in repos
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [1, 1], errors
    runs = rows(url, select(t.runs).order_by(t.runs.c.id))
    assert len(runs) == 2
    assert sorted(json.loads(r.scope)[0] for r in runs) == ["alpha", "beta"]
    occurrences = rows(url, select(t.occurrences.c.repo_id))
    assert len(occurrences) == 60
    assert [r.findings_open for r in runs] == [30, 60]
    leaks = rows(url, select(t.findings).where(t.findings.c.kind == "leak"))
    assert len(leaks) == 60 and all(r.state == "open" for r in leaks)


def test_trends_since_and_repo(tmp_path: Path, run_cli: Any, make_key: Any) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    paths = [keyed_repo(tmp_path, "one", 1, make_key), keyed_repo(tmp_path, "two", 3, make_key)]
    inventory = write_inventory(tmp_path / "inv.json", [])
    for as_of in ("2026-01-01", "2026-03-01", "2026-05-01"):
        audit(run_cli, paths[0], inventory, as_of, url, str(paths[1]))
    out = tmp_path / "t.json"
    assert run_cli("trends", "--db", url, "--since", "70d", "--json", str(out)).code == 0
    document = json.loads(out.read_text())
    assert [r["as_of"] for r in document["runs"]] == ["2026-03-01", "2026-05-01"]
    assert {r["name"]: r["now"] for r in document["repositories"]} == {"one": 1, "two": 3}
    assert run_cli("trends", "--db", url, "--repo", "two", "--json", str(out)).code == 0
    document = json.loads(out.read_text())
    assert [r["open_total"] for r in document["runs"]] == [3, 3, 3]
    bad = run_cli("trends", "--db", url, "--since", "last tuesday")
    assert bad.code == 2 and "--since" in bad.err


def test_sla_per_severity_from_the_config(tmp_path: Path, run_cli: Any, make_key: Any) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    path = keyed_repo(tmp_path, "svc", 1, make_key)
    inventory = write_inventory(tmp_path / "inv.json", [])
    for as_of in ("2026-01-01", "2026-01-20"):
        audit(run_cli, path, inventory, as_of, url)
    config = tmp_path / "fastaudit.toml"
    out = tmp_path / "t.json"
    for sla, expected in ((30, 0), (10, 1)):
        config.write_text(f"[tool.fastaudit]\nsla_days_high = {sla}\n")
        result = run_cli("trends", "--db", url, "--config", str(config), "--json", str(out))
        assert result.code == 0, result.err
        past = json.loads(out.read_text())["past_sla"]
        assert past["counts"]["high"] == expected
    assert past["findings"][0]["age_days"] == 19 and past["findings"][0]["over_by_days"] == 9


def test_trends_json_matches_its_schema(tmp_path: Path, run_cli: Any, make_key: Any) -> None:
    import jsonschema

    from tests.conftest import REPO_ROOT

    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    path = keyed_repo(tmp_path, "svc", 1, make_key)
    inventory = write_inventory(
        tmp_path / "inv.json",
        [{"id": "k1", "name": "Staging", "environment": "staging", "created_at": "2025-01-01"}],
    )
    report = tmp_path / "report.json"
    audit(run_cli, path, inventory, "2026-01-01", url, "--json", str(report))
    document = json.loads(report.read_text())
    schema = json.loads((REPO_ROOT / "schemas" / "trends.schema.json").read_text())
    jsonschema.validate(document["trends"], schema)
    report_schema = json.loads((REPO_ROOT / "schemas" / "report.schema.json").read_text())
    jsonschema.validate(document, report_schema)
    assert document["key_lifecycle"][0]["overdue"] is True
    assert document["parameters"]["db"].startswith("sqlite:///")


def test_history_and_check_keep_their_runs_too(
    tmp_path: Path, repo: Repo, run_cli: Any, make_key: Any
) -> None:
    """`--db` on `history` records the repository's leaks; on `check`, the inventory's
    hygiene findings and keys (and a leak proved dead by the inventory is fixed)."""
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    key = make_key()
    repo.write("old.env", f"FAST_API_KEY={key}\n")
    repo.commit("key", "2026-01-01T10:00:00Z")
    report = tmp_path / "history.json"
    result = run_cli(
        "history", str(repo.path), "--db", url, "--format", "json", "--output", str(report)
    )
    assert result.code == 1, result.err
    (leak,) = rows(url, select(t.findings).where(t.findings.c.kind == "leak"))
    assert leak.state == "open" and leak.in_head is True
    assert [r.name for r in rows(url, select(t.repositories))] == ["repo"]
    inventory = write_inventory(
        tmp_path / "inv.json",
        [
            {
                "id": "k-old",
                "name": "Old Production",
                "environment": "production",
                "created_at": "2025-12-01",
                "deleted_at": "2026-01-05",
                "key_hint": hint(key),
            },
            {
                "id": "k-new",
                "name": "New Production",
                "environment": "production",
                "created_at": "2026-01-04",
                "last_used_at": "2026-01-09",
                "allowed_ips": [],
            },
        ],
    )
    # A run dated before the newest one is refused: dates in the store only move forward.
    backdated = run_cli(
        "check", "--inventory", str(inventory), "--as-of", "2026-01-10", "--db", url
    )
    # The store refuses it; the report is still printed and the findings decide the code.
    assert backdated.code == 1 and "date order" in backdated.err
    assert "passing checks by practice" in backdated.out
    checked = run_cli(
        "check", "--inventory", str(inventory), "--findings", str(report), "--db", url
    )
    assert checked.code == 1, checked.err
    (leak,) = rows(url, select(t.findings).where(t.findings.c.kind == "leak"))
    assert leak.state == "fixed" and day(leak.fixed_at) == day(leak.first_seen_at)
    assert {r.key_id for r in rows(url, select(t.inventory_keys))} == {"k-old", "k-new"}
    new_key_rules = {
        r.rule_id for r in rows(url, select(t.findings).where(t.findings.c.key_id == "k-new"))
    }
    assert "FAST101" in new_key_rules
    outcomes = {(r.rule_id, r.outcome) for r in rows(url, select(t.check_results))}
    assert ("FAST101", "fail") in outcomes


def test_trends_with_db_alone_reads_the_default_store_in_lines(
    repo: Repo, run_cli: Any, make_key: Any
) -> None:
    """`--db` alone means the default store, for `trends` as for `history`, and the
    summary is printed as lines (it once showed a literal `\\n` between them)."""
    repo.write("x.env", f"FAST_API_KEY={make_key()}\n")
    repo.commit("key")
    assert run_cli("history", str(repo.path), "--db").code == 1
    shown = run_cli("trends", "--db")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert len(lines) >= 3 and "\\n" not in shown.out
    assert ": 1 run, " in lines[0]
    assert lines[1].startswith("open now: ")
