"""`fastaudit demo`: a throw-away repository with planted keys, audited for real against
the example inventory, with an HTML and a JSON report written to disk.

The keys are generated when the demo runs, so nothing realistic is stored in fastaudit.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from fastaudit.console import say
from fastaudit.detect import generate_key
from fastaudit.errors import InputError
from fastaudit.inventory import Inventory
from fastaudit.sources.gitproc import run_git

DEMO_ENV = {
    "GIT_AUTHOR_NAME": "Dana Developer",
    "GIT_AUTHOR_EMAIL": "dana@example.com",
    "GIT_COMMITTER_NAME": "Dana Developer",
    "GIT_COMMITTER_EMAIL": "dana@example.com",
}


@dataclass(frozen=True)
class DemoRepo:
    """Where the example lives and which keys were planted (for tests and the audit demo)."""

    path: Path
    worktree_key: str
    history_key: str
    staging_key: str


def _commit(repo: Path, message: str, date: str) -> None:
    env = {**DEMO_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        run_git(["add", "-A"], repo)
        run_git(["-c", "commit.gpgsign=false", "commit", "-q", "-m", message], repo)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build(path: Path) -> DemoRepo:
    """Create the example repository at `path` (which must not exist or be empty)."""
    path.mkdir(parents=True, exist_ok=True)
    worktree_key, history_key, staging_key = generate_key(), generate_key(), generate_key()
    run_git(["init", "-q", "-b", "main"], path)
    (path / "README.md").write_text(
        "# Example service\n\nSet `FAST_API_KEY` (it looks like `fast_prod_your_key_here`).\n"
        '```\ncurl -H "X-Fast-Api-Key: fast_prod_..." https://api.tools.fast/convert\n```\n',
        encoding="utf-8",
    )
    (path / "app").mkdir()
    (path / "app" / "client.py").write_text(
        # The planted FAST003 finding.
        "import os\n\nAPI = 'http://api.tools.fast/convert'\n"  # fastaudit: allow
        "KEY = os.environ['FAST_API_KEY']\n",
        encoding="utf-8",
    )
    (path / "config").mkdir()
    (path / "config" / "production.env").write_text(
        f"FAST_API_KEY={history_key}\nLOG_LEVEL=info\n", encoding="utf-8"
    )
    _commit(path, "Add example service", "2026-01-05T10:00:00+00:00")
    # The "cleanup": the key leaves HEAD but stays in history.
    (path / "config" / "production.env").write_text(
        "FAST_API_KEY=${FAST_API_KEY}\nLOG_LEVEL=info\n", encoding="utf-8"
    )
    (path / "config" / "staging.env").write_text(f"FAST_API_KEY={staging_key}\n", encoding="utf-8")
    (path / "config" / "production.json").write_text(
        f'{{"tools_fast": {{"api_key": "{staging_key}"}}}}\n', encoding="utf-8"
    )
    (path / "scripts").mkdir()
    (path / "scripts" / "convert.sh").write_text(
        "#!/bin/sh\ncurl -sS -X POST https://api.tools.fast/convert \\\n"
        f'  -H "X-Fast-Api-Key: {worktree_key}" \\\n  -F "file=@photo.heic"\n',
        encoding="utf-8",
    )
    _commit(path, "Move the key to the environment; add staging", "2026-03-02T09:30:00+00:00")
    return DemoRepo(path, worktree_key, history_key, staging_key)


DEMO_AS_OF = "2026-06-30"


def _hint(key: str) -> str:
    body = key[len("fast_prod_") :]
    return f"fast_prod_{body[:4]}…{body[-4:]}"


def write_inventory(repo: DemoRepo, target: Path) -> Path:
    """The example inventory, with the hints of three keys set to the planted keys' (as the
    accounts page would show them), so leaks connect to inventory keys."""
    document = json.loads(
        resources.files("fastaudit.examples").joinpath("inventory.json").read_text("utf-8")
    )
    hints = {
        "k-prod-backend": _hint(repo.worktree_key),
        "k-legacy": _hint(repo.history_key),
        "k-staging-old": _hint(repo.staging_key),
    }
    for record in document["keys"]:
        if record["id"] in hints:
            record["key_hint"] = hints[record["id"]]
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return target


PAST_RUNS = ("2026-03-31", "2026-04-30", "2026-05-31")


def as_it_was(inventory: Inventory, when: datetime) -> Inventory:
    """The inventory as it stood on `when`: keys not yet created left out, later deletions
    and uses not yet happened."""
    from dataclasses import replace

    keys = []
    for key in inventory.keys:
        if key.created_at > when:
            continue
        keys.append(
            replace(
                key,
                deleted_at=key.deleted_at if key.deleted_at and key.deleted_at <= when else None,
                last_used_at=min(key.last_used_at, when) if key.last_used_at else None,
            )
        )
    return Inventory(tuple(keys), inventory.source, inventory.notes)


def _past_runs(
    repo: DemoRepo, out_dir: Path, inventory: Inventory, leavers: list[Any], settings: Any
) -> str:
    """A fresh audit store holding audits of the example as of three earlier dates, so the
    demo's report has a trends section: the store is where a team's runs accumulate."""
    from fastaudit.audit import audit_report, plan
    from fastaudit.audit.result import TaskOptions
    from fastaudit.inventory import parse_when
    from fastaudit.store import keep_run

    path = out_dir / "audit-store.sqlite3"
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    for day in PAST_RUNS:
        when = parse_when(day, "demo")
        past = as_it_was(inventory, when)
        report = audit_report(
            plan([str(repo.path)]),
            settings,
            inventory=past,
            departures=[d for d in leavers if d.left_at <= when],
            as_of=when,
            options=TaskOptions(config=settings, use_cache=False),
        )
        keep_run(url, report, past, settings)
    say(f"demo: audit store with {len(PAST_RUNS)} earlier runs at {path}")
    return url


def run(keep: Path | None, output_format: str, out_dir: Path) -> int:
    """Build the example, audit it with the example inventory, write HTML and JSON."""
    from fastaudit import config
    from fastaudit.audit import audit_report, plan, write_reports
    from fastaudit.audit.result import TaskOptions
    from fastaudit.inventory import load, parse_when
    from fastaudit.output import write_output
    from fastaudit.report import render
    from fastaudit.store import keep_run

    workdir = keep or Path(tempfile.mkdtemp(prefix="fastaudit-demo-"))
    try:
        repo = build(workdir / "example-service" if keep is None else workdir)
        say(f"demo: example repository at {repo.path}")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
        inventory_path = write_inventory(repo, out_dir / "inventory.json")
        departures = out_dir / "departures.csv"
        departures.write_text(
            resources.files("fastaudit.examples").joinpath("departures.csv").read_text("utf-8"),
            "utf-8",
        )
        from fastaudit.inventory import load_departures

        settings = config.Config()
        inventory = load(inventory_path)
        leavers = load_departures(departures)
        store_url = _past_runs(repo, out_dir, inventory, leavers, settings)
        report = audit_report(
            plan([str(repo.path)]),
            settings,
            inventory=inventory,
            departures=leavers,
            as_of=parse_when(DEMO_AS_OF, "demo"),
            options=TaskOptions(config=settings, use_cache=False),
        )
        keep_run(store_url, report, inventory, settings)
        write_output(None, lambda stream: render(output_format, report, stream))
        write_reports(
            report,
            {"html": out_dir / "report.html", "json": out_dir / "report.json"},
        )
        return 0
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
