"""The pre-commit hook with the real pre-commit: a commit adding a key is refused with the
file, line and redacted key; a clean commit goes through; the manifests validate."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fastaudit.detect import fingerprint, generate_key, redact

from .conftest import GIT_ENV, REPO_ROOT, git

BIN = Path(sys.executable).parent


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as it is now (committed or not), as a git repository pre-commit can
    install from: tracked and untracked-not-ignored files, one commit."""
    snapshot = tmp_path_factory.mktemp("fastaudit-hook-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        name = os.fsdecode(raw)
        source = REPO_ROOT / name
        if source.is_file() and not source.is_symlink():
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    env = {**os.environ, **GIT_ENV}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "commit.gpgsign=false", "commit", "-q", "-m", "snapshot"],
    ):
        subprocess.run(["git", *args], cwd=snapshot, env=env, check=True, capture_output=True)
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"],
        cwd=snapshot,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return snapshot, rev


@pytest.fixture(scope="module")
def precommit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("pre-commit-home")
    return {
        **os.environ,
        **GIT_ENV,
        "PRE_COMMIT_HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }


@pytest.mark.slow
def test_commit_with_a_key_is_refused_and_a_clean_commit_passes(
    tmp_path: Path, hook_repo: tuple[Path, str], precommit_env: dict[str, str]
) -> None:
    source, rev = hook_repo
    user = tmp_path / "user-repo"
    user.mkdir()
    git(user, "init", "-q", "-b", "main")
    (user / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n    hooks:\n      - id: fastaudit\n"
    )
    installed = _run([str(BIN / "pre-commit"), "install"], user, precommit_env)
    assert installed.returncode == 0, installed.stderr

    key = generate_key()
    (user / "deploy.sh").write_text(f'#!/bin/sh\n\ncurl -H "X-Fast-Api-Key: {key}" "$URL"\n')
    git(user, "add", "-A")
    refused = _run(["git", "commit", "-m", "add deploy script"], user, precommit_env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "deploy.sh:3:" in output
    assert redact(key) in output
    assert key not in output
    assert "Delete the old key" in output  # the rotation steps
    assert "fastaudit: allow" in output  # how to allow a false alarm
    # The line as the user wrote it, key masked, and the fingerprint to allow it by.
    assert f'curl -H "X-Fast-Api-Key: {redact(key)}" "$URL"' in output
    assert f"fingerprint: {fingerprint(key)}" in output
    assert git(user, "rev-list", "--all") == ""  # nothing was committed

    # The baseline command the message names runs from the user's own shell, where
    # pre-commit's environment (and so `fastaudit`) is not on the PATH.
    hint = re.search(r"accept today's findings with `([^`]+)`", output)
    assert hint is not None, output
    shell = {**GIT_ENV, "HOME": str(tmp_path), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    made = subprocess.run(
        hint.group(1), shell=True, cwd=user, env=shell, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    accepted_keys = json.loads((user / ".fastaudit-baseline.json").read_text())["entries"]
    assert [e["fingerprint"] for e in accepted_keys] == [fingerprint(key)]
    (user / ".fastaudit-baseline.json").unlink()

    (user / "deploy.sh").write_text('#!/bin/sh\n\ncurl -H "X-Fast-Api-Key: $FAST_API_KEY"\n')
    git(user, "add", "-A")
    accepted = _run(["git", "commit", "-m", "add deploy script"], user, precommit_env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "Passed" in accepted.stdout + accepted.stderr


@pytest.mark.slow
def test_try_repo_against_this_checkout(
    tmp_path: Path, hook_repo: tuple[Path, str], precommit_env: dict[str, str]
) -> None:
    source, rev = hook_repo
    user = tmp_path / "try"
    user.mkdir()
    git(user, "init", "-q", "-b", "main")
    key = generate_key()
    (user / "app.py").write_text(f"KEY = '{key}'\n")
    (user / "ok.py").write_text("KEY = None\n")
    git(user, "add", "-A")
    result = _run(
        [
            str(BIN / "pre-commit"),
            "try-repo",
            str(source),
            "fastaudit",
            "--ref",
            rev,
            "--files",
            "app.py",
            "ok.py",
        ],
        user,
        precommit_env,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app.py:1:" in result.stdout
    assert "ok.py:" not in result.stdout


def test_hook_manifest_and_own_config_validate() -> None:
    manifest = _run(
        [str(BIN / "pre-commit"), "validate-manifest", ".pre-commit-hooks.yaml"],
        REPO_ROOT,
        dict(os.environ),
    )
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    config = _run(
        [str(BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        REPO_ROOT,
        dict(os.environ),
    )
    assert config.returncode == 0, config.stdout + config.stderr


def test_hook_never_modifies_files(repo, make_key, run_cli) -> None:
    key = make_key()
    target = repo.write("a.py", f"KEY = '{key}'\n")
    baseline = repo.write("baseline.json", '{"fastaudit_baseline": 1, "entries": []}\n')
    before = (target.read_bytes(), baseline.read_bytes())
    result = run_cli("hook", "--baseline", str(baseline), str(target), cwd=repo.path)
    assert result.code == 1
    assert (target.read_bytes(), baseline.read_bytes()) == before
