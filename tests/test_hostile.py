"""Hostile repository: each case is built with git itself, the way an attacker (or an
unlucky user) would make it, and fastaudit must neither run code, hide keys, nor let the
gate pass."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fastaudit.detect import redact

from .conftest import Repo

# --- 1. Code execution through the scanned repository's git config -------------------


def _marker_program(tmp_path: Path) -> tuple[Path, Path]:
    """A program that, if anything runs it, leaves a file behind."""
    marker = tmp_path / "pwned"
    program = tmp_path / "evil.sh"
    program.write_text(f"#!/bin/sh\necho ran >> '{marker}'\nexit 0\n", encoding="utf-8")
    program.chmod(0o755)
    return program, marker


def _signed_commit(repo: Repo) -> str:
    """Rewrite HEAD as a commit carrying a (fake) gpgsig header, as a signed commit has."""
    body = repo.git("cat-file", "commit", "HEAD")
    header, _, message = body.partition("\n\n")
    signature = " -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----"
    signed = f"{header}\ngpgsig{signature}\n\n{message}"
    oid = (
        subprocess.run(
            ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
            cwd=repo.path,
            input=signed.encode(),
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    repo.git("update-ref", "HEAD", oid)
    return oid


@pytest.fixture
def booby_trapped(repo: Repo, tmp_path: Path, make_key: Any) -> tuple[Repo, Path, str]:
    program, marker = _marker_program(tmp_path)
    key = make_key()
    repo.write("config.env", f"KEY={key}\n")
    repo.commit(f"add config {make_key()}")
    _signed_commit(repo)
    repo.write("staged.txt", f"token {make_key()}\n")
    repo.git("add", "staged.txt")
    # Directly, and through an include that only applies to this repository.
    repo.git("config", "core.fsmonitor", str(program))
    included = tmp_path / "included.gitconfig"
    included.write_text(
        f"[core]\n\tfsmonitor = {program}\n[log]\n\tshowSignature = true\n"
        f"[gpg]\n\tprogram = {program}\n[diff]\n\texternal = {program}\n"
        f"[core]\n\tpager = {program}\n\thooksPath = {tmp_path}\n",
        encoding="utf-8",
    )
    repo.git("config", f"includeIf.gitdir:{repo.path}/.git.path", str(included))
    repo.git("config", "log.showSignature", "true")
    repo.git("config", "gpg.program", str(program))
    return repo, marker, key


@pytest.mark.parametrize(
    "command",
    [
        ["scan", "{repo}"],
        ["scan", "--staged"],
        ["hook"],
        ["hook", "staged.txt"],
        ["baseline", "{repo}"],
        ["history", "{repo}", "--no-cache"],
        ["audit", "{repo}", "--no-cache"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_repository_config_never_runs_a_program(
    booby_trapped: tuple[Repo, Path, str], command: list[str], run_cli: Any
) -> None:
    repo, marker, _key = booby_trapped
    # The trap works: plain git runs the program.
    subprocess.run(["git", "status"], cwd=repo.path, capture_output=True, check=False)
    assert marker.exists(), "the fixture's trap should fire for a plain git status"
    marker.unlink()

    args = [a.replace("{repo}", str(repo.path)) for a in command]
    result = run_cli(*args, cwd=repo.path)

    assert result.code in (0, 1), result.err
    assert not marker.exists(), f"fastaudit {' '.join(command)} ran the repository's program"


def test_history_with_signed_commit_and_include_if_still_attributes(
    booby_trapped: tuple[Repo, Path, str], run_cli: Any
) -> None:
    """`includeIf` used to crash attribution (GitPython's own config reader); now the
    commit message key and the file key are both attributed."""
    repo, marker, key = booby_trapped
    report = run_cli("history", str(repo.path), "--no-cache", "--format", "json").json()
    paths = {f["path"] for f in report["findings"]}
    assert paths == {"config.env", "(commit message)"}
    file_finding = next(f for f in report["findings"] if f["path"] == "config.env")
    assert file_finding["redacted"] == redact(key)
    assert file_finding["author_email"] == "author@example.com"
    assert not marker.exists()


# --- 4. Staged names with newlines, tabs, quotes and non-UTF-8 bytes --------------------

STRANGE_NAMES = [
    "new\nline.txt",
    "tab\there.txt",
    'quote"d.txt',
    "back\\slash.txt",
    " leading space.txt",
    "trailing space.txt ",
    "ünïcödé.txt",
]


def test_staged_names_of_every_shape_are_scanned(repo: Repo, make_key: Any, run_cli: Any) -> None:
    keys = [make_key() for _ in STRANGE_NAMES]
    for name, key in zip(STRANGE_NAMES, keys, strict=True):
        repo.write(name, f"K={key}\n")
    raw_name = b"latin1-\xe9.txt"  # not UTF-8
    raw_key = make_key()
    (repo.path / os.fsdecode(raw_name)).write_bytes(f"K={raw_key}\n".encode())
    last_key = make_key()
    repo.write("zz-after.txt", f"K={last_key}\n")
    repo.git("add", "-A")
    expected = {redact(k) for k in [*keys, raw_key, last_key]}

    result = run_cli("scan", "--staged", "--format", "json", cwd=repo.path)
    assert result.code == 1
    assert {f["redacted"] for f in result.json()["findings"]} == expected

    hook = run_cli("hook", cwd=repo.path)
    assert hook.code == 1
    assert hook.out.count("HIGH     FAST001") == len(expected)
    assert "new\\nline.txt:1:3" in hook.out  # escaped, never a line break of its own


def test_staged_scan_runs_from_the_work_tree(repo: Repo, make_key: Any, run_cli: Any) -> None:
    repo.write("a\nb.txt", f"K={make_key()}\n")
    repo.git("add", "-A")
    result = run_cli("scan", "--staged", "--format", "json", cwd=repo.path)
    assert result.code == 1
    assert [f["path"] for f in result.json()["findings"]] == ["a\nb.txt"]
