"""`fastaudit demo`: a throw-away repository with planted keys, scanned for real.

The keys are generated when the demo runs, so nothing realistic is stored in fastaudit.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from fastaudit.detect import generate_key
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


def run(keep: Path | None, output_format: str) -> int:
    """Build the example, scan it, print the report. Exit 0: findings are the point."""
    from fastaudit.cli import main

    workdir = keep or Path(tempfile.mkdtemp(prefix="fastaudit-demo-"))
    try:
        repo = build(workdir / "example-service" if keep is None else workdir)
        click.echo(f"fastaudit demo: example repository at {repo.path}", err=True)
        code = main(["scan", str(repo.path), "--format", output_format])
        sys.stdout.flush()
        return 0 if code in (0, 1) else code
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
