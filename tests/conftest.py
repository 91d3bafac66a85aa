"""Shared fixtures: real git repositories with pinned identities and dates, keys made at
run time, and the CLI run in-process with its real exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fastaudit.cli import main
from fastaudit.detect import generate_key

REPO_ROOT = Path(__file__).resolve().parent.parent

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T12:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def _pinned_git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: Any) -> None:
    home = tmp_path_factory.getbasetemp() / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture(autouse=True)
def _no_network_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in the suite may reach past 127.0.0.1 (the real Tools.FAST included)."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in ("127.0.0.1", "::1", "localhost")
            and self.family in (socket.AF_INET, socket.AF_INET6)
        ):
            raise OSError(f"test tried to reach {host}: network is fenced off")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        ["git", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return out.stdout


@dataclass
class Repo:
    """A throw-away git repository with helpers that read like the scenario."""

    path: Path

    def write(self, name: str, content: str | bytes) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def git(self, *args: str, **kwargs: Any) -> str:
        return git(self.path, *args, **kwargs)

    def commit(self, message: str = "change", date: str | None = None) -> str:
        env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
        self.git("add", "-A", env=env)
        self.git("-c", "commit.gpgsign=false", "commit", "-q", "-m", message, env=env)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    return Repo(path)


@pytest.fixture
def make_key() -> Any:
    return generate_key


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `fastaudit ARGS` in-process (optionally in `cwd`) and capture what it printed."""

    def run(*args: str, cwd: Path | None = None) -> Run:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def artifacts_dir() -> Iterator[Path]:
    path = REPO_ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    yield path


@pytest.fixture(scope="session")
def test_ca() -> Any:
    import trustme

    return trustme.CA()


@pytest.fixture
def https(test_ca: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A scripted HTTPS server whose CA the client trusts through REQUESTS_CA_BUNDLE."""
    from tests.servers import ScriptedHTTPS, write_ca_bundle

    server = ScriptedHTTPS(test_ca)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(write_ca_bundle(test_ca, tmp_path)))
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield server
    server.close()


@pytest.fixture
def other_https(test_ca: Any) -> Iterator[Any]:
    """A second host (another port) that must never receive a key."""
    from tests.servers import ScriptedHTTPS

    server = ScriptedHTTPS(test_ca)
    yield server
    server.close()


@pytest.fixture
def demo_audit(tmp_path: Path, run_cli: Any) -> tuple[Any, Path, Any]:
    from fastaudit import demo

    repo = demo.build(tmp_path / "example-service")
    inventory = demo.write_inventory(repo, tmp_path / "inventory.json")
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(
        "audit",
        str(repo.path),
        "--inventory",
        str(inventory),
        "--departures",
        str(REPO_ROOT / "examples" / "departures.csv"),
        "--as-of",
        demo.DEMO_AS_OF,
        "--html",
        str(out / "report.html"),
        "--json",
        str(out / "report.json"),
        "--sarif",
        str(out / "report.sarif"),
        "--junit",
        str(out / "report.xml"),
    )
    assert result.code == 1, result.err
    return repo, out, result
