"""The audit store at a year's scale: 365 daily runs over 1,000 repositories.

Each run is a real report (Finding records for every leak and hygiene finding, an
inventory with hints) passed through the same `observe` and `record` the command line
uses; only the scanning is skipped, since the store is what is measured. The organisation
changes the way one does: every day a few keys leak, a few leaked keys are rotated
(deleted in the inventory), a few hygiene findings come and go (and some come back).

    .venv/bin/python bench/bench_store.py [--runs 365] [--repos 1000] [--db URL]

Prints: the time to record a run (median and last), the store's size on disk, rows per
table against the number of distinct findings (growth must follow findings, not runs x
repositories), and the time of `fastaudit trends` (JSON and HTML) on the full store.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from fastaudit.detect import generate_key, redact
from fastaudit.findings import RULES, Finding
from fastaudit.inventory import Inventory, InventoryKey
from fastaudit.report import Report
from fastaudit.store import open_engine
from fastaudit.store import schema as t
from fastaudit.store.observe import observe
from fastaudit.store.record import record

START = datetime(2025, 11, 1, tzinfo=timezone.utc)


class Organisation:
    """Leaked keys per repository and the inventory, changing day by day."""

    def __init__(self, repos: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.repos = [f"org/service-{i:04d}" for i in range(repos)]
        self.leaks: list[tuple[str, str, str, str]] = []  # repo, path, fingerprint, redacted
        self.keys: dict[str, InventoryKey] = {}
        self.service_keys: list[str] = []
        self.allowlisted: dict[str, bool] = {}
        for repo in self.repos:
            for _ in range(2):
                self._leak(repo, START - timedelta(days=30))
        for i in range(300):
            key_id = f"svc-{i:03d}"
            self.keys[key_id] = InventoryKey(
                id=key_id,
                name=f"Production Service {i}",
                created_at=START - timedelta(days=20),
                environment="production",
                last_used_at=START,
                allowed_ips=("52.14.7.10",),
            )
            self.allowlisted[key_id] = True

    def _leak(self, repo: str, when: datetime) -> None:
        key = generate_key()
        redacted = redact(key)
        key_id = f"leak-{len(self.leaks):06d}"
        fingerprint = hashlib.sha256(key.encode()).hexdigest()
        self.leaks.append((repo, f"config/{key_id}.env", fingerprint, redacted))
        self.keys[key_id] = InventoryKey(
            id=key_id,
            name=f"Service {fingerprint[:8]} key",
            created_at=when,
            environment="production",
            last_used_at=when,
            allowed_ips=("52.14.7.10",),
            key_hint=redacted,
        )

    def advance(self, when: datetime) -> None:
        for _ in range(3):
            self._leak(self.rng.choice(self.repos), when)
        live = [k for k in self.keys.values() if k.id.startswith("leak-") and k.active]
        for key in self.rng.sample(live, min(2, len(live))):
            self.keys[key.id] = InventoryKey(**{**_fields(key), "deleted_at": when})
        for key_id in self.rng.sample(self.service_keys or list(self.allowlisted), 5):
            self.allowlisted[key_id] = not self.allowlisted[key_id]
        for key_id in list(self.keys):
            key = self.keys[key_id]
            if key.active:
                self.keys[key_id] = InventoryKey(**{**_fields(key), "last_used_at": when})

    def report(self, when: datetime) -> tuple[Report, Inventory]:
        findings: list[Finding] = []
        active_hints = {k.key_hint: k for k in self.keys.values() if k.key_hint and k.active}
        for repo, path, fingerprint, redacted in self.leaks:
            findings.append(
                Finding(
                    rule_id="FAST001",
                    severity=RULES["FAST001"].severity,
                    path=path,
                    line=1,
                    secret_sha256=fingerprint,
                    redacted=redacted,
                    repo=repo,
                    in_head=True,
                    commit="",
                )
            )
            key = active_hints.get(redacted)
            if key is not None:
                findings.append(
                    Finding(
                        rule_id="FAST140",
                        severity=RULES["FAST140"].severity,
                        source="inventory",
                        secret_sha256=fingerprint,
                        redacted=redacted,
                        key_id=key.id,
                        key_name=key.name,
                    )
                )
        for key_id, allowlisted in self.allowlisted.items():
            if not allowlisted:
                findings.append(
                    Finding(
                        rule_id="FAST101",
                        severity=RULES["FAST101"].severity,
                        source="inventory",
                        key_id=key_id,
                        key_name=self.keys[key_id].name,
                        message="no allowlist",
                    )
                )
        report = Report(
            command="audit",
            findings=findings,
            parameters={"as_of": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
            repos=[{"name": r, "path": f"/srv/{r}", "error": None} for r in self.repos],
        )
        return report, Inventory(tuple(self.keys.values()), "bench")


def _fields(key: InventoryKey) -> dict[str, object]:
    return {name: getattr(key, name) for name in key.__slots__}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=365)
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--db", help="store URL [default: a SQLite file in a temp dir]")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fastaudit-bench-store-"))
    path = work / "store.sqlite3"
    url = args.db or f"sqlite:///{path}"
    org = Organisation(args.repos)
    engine = open_engine(url)
    record_seconds = []
    started = time.perf_counter()
    for day in range(args.runs):
        when = START + timedelta(days=day)
        if day:
            org.advance(when)
        report, inventory = org.report(when)
        begin = time.perf_counter()
        record(engine, observe(report, inventory))
        record_seconds.append(time.perf_counter() - begin)
        if day % 50 == 0:
            print(
                f"run {day + 1}: {len(report.findings)} findings, "
                f"{record_seconds[-1]:.2f} s to record",
                file=sys.stderr,
            )
    total = time.perf_counter() - started
    with engine.connect() as c:
        counts = {
            table.name: c.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }
    engine.dispose()
    size = sum(p.stat().st_size for p in work.glob("store.sqlite3*")) if not args.db else None
    trend_times = []
    for _ in range(3):
        begin = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "fastaudit",
                "trends",
                "--db",
                url,
                "--json",
                str(work / "t.json"),
                "--html",
                str(work / "t.html"),
            ],
            check=True,
            capture_output=True,
        )
        trend_times.append(time.perf_counter() - begin)
    print(
        f"\n{args.runs} runs over {args.repos} repositories "
        f"({len(org.leaks)} leaked keys, {len(org.keys)} inventory keys at the end)\n"
    )
    print("| measure | value |\n| --- | ---: |")
    print(f"| record one run (median of {args.runs}) | {statistics.median(record_seconds):.3f} s |")
    print(f"| record one run (last) | {record_seconds[-1]:.3f} s |")
    print(f"| generate + record all runs | {total:.0f} s |")
    if size is not None:
        print(f"| store size on disk | {size / 1e6:.1f} MB |")
    trends_median = statistics.median(trend_times)
    print(f"| `fastaudit trends --json --html` (median of 3) | {trends_median:.2f} s |")
    print("\n| table | rows |\n| --- | ---: |")
    for name, count in counts.items():
        print(f"| {name} | {count} |")
    print(f"\nruns x repositories = {args.runs * args.repos}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
