"""Push protection as a server runs it: real bare repositories with the hook that
`fastaudit pre-receive --install` writes, and real `git push`es over file:// and over
`git daemon` (receive-pack enabled) on 127.0.0.1. The pushed objects sit in git's
quarantine while the hook runs; the hook must see them there."""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fastaudit.detect import fingerprint, generate_key, redact
from tests.conftest import GIT_ENV, Repo, git

FASTAUDIT = str(Path(sys.executable).parent / "fastaudit")


@dataclass
class Server:
    """A bare repository with the hook, and a clone to push from."""

    bare: Path
    work: Path
    url: str

    def push(self, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "push", *args, url or self.url, "HEAD:refs/heads/main"],
            cwd=self.work,
            env={**os.environ, **GIT_ENV},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    def commit(self, files: dict[str, str | bytes], message: str = "change") -> str:
        clone = Repo(self.work)
        for name, content in files.items():
            clone.write(name, content)
        return clone.commit(message)

    def main(self) -> str | None:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "refs/heads/main"],
            cwd=self.bare,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() or None


def install(bare: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FASTAUDIT, "pre-receive", "--install", str(bare), "--force", *options],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def server(tmp_path: Path) -> Server:
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    installed = install(bare)
    assert installed.returncode == 0, installed.stderr
    work = tmp_path / "work"
    git(tmp_path, "init", "-q", "-b", "main", str(work))
    served = Server(bare, work, bare.as_uri())
    served.commit({"README.md": "# service\n"}, "init")
    assert served.push().returncode == 0
    return served


def refused(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stderr
    assert "pre-receive hook declined" in done.stderr
    return done.stderr


def test_a_key_added_then_removed_is_refused_with_what_to_do(server: Server) -> None:
    before = server.main()
    key = generate_key()
    added = server.commit({"deploy.sh": f"curl -H 'X-Fast-Api-Key: {key}' $URL\n"}, "add deploy")
    server.commit({"deploy.sh": 'curl -H "X-Fast-Api-Key: $FAST_API_KEY" $URL\n'}, "fix")
    said = refused(server.push())
    assert server.main() == before  # nothing landed
    assert f"{redact(key)}  deploy.sh:1  (commit {added[:12]})" in said
    assert f"curl -H 'X-Fast-Api-Key: {redact(key)}' $URL" in said  # the masked line
    assert f"git rebase -i {added[:12]}~1" in said
    assert "Delete the old key." in said  # the vendor's rotation steps
    assert 'git push -o fastaudit.allow="<reason>"' in said
    assert key not in said
    # The key never reached the server's own object store: the hook read the quarantine.
    blob = git(server.work, "rev-parse", f"{added}:deploy.sh").strip()
    missing = subprocess.run(
        ["git", "cat-file", "-e", blob], cwd=server.bare, capture_output=True, check=False
    )
    assert missing.returncode != 0


def test_a_clean_push_and_a_deletion_pass(server: Server) -> None:
    clean = server.commit({"app.py": "KEY = os.environ['FAST_API_KEY']\n"})
    done = server.push()
    assert done.returncode == 0, done.stderr
    assert server.main() == clean
    assert "fastaudit" not in done.stderr
    git(server.work, "branch", "topic")
    assert (
        subprocess.run(
            ["git", "push", server.url, "topic"], cwd=server.work, capture_output=True, check=False
        ).returncode
        == 0
    )
    deleted = subprocess.run(
        ["git", "push", server.url, "--delete", "topic"],
        cwd=server.work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert deleted.returncode == 0, deleted.stderr


def test_messages_tags_and_disguised_keys_are_refused(server: Server) -> None:
    key = generate_key()
    server.commit({"notes.txt": "nothing here\n"}, f"temporary: FAST key {key}")
    assert redact(key) in refused(server.push())
    git(server.work, "reset", "-q", "--hard", "HEAD~1")

    encoded = base64.b64encode(f"api_key={key}\n".encode()).decode()
    server.commit({"blob.cfg": f"payload: {encoded}\n"}, "config")
    said = refused(server.push())
    assert redact(key) in said and key not in said and encoded not in said
    git(server.work, "reset", "-q", "--hard", "HEAD~1")

    git(server.work, "-c", "tag.gpgSign=false", "tag", "-a", "v1", "-m", f"release {key}")
    tagged = subprocess.run(
        ["git", "push", server.url, "refs/tags/v1"],
        cwd=server.work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert tagged.returncode != 0 and redact(key) in tagged.stderr


def test_the_bypass_option_is_recorded_and_can_be_turned_off(
    server: Server, tmp_path: Path
) -> None:
    log = tmp_path / "bypass.jsonl"
    store = tmp_path / "store.sqlite3"
    assert install(server.bare, "--log", str(log), "--db", f"sqlite:///{store}").returncode == 0
    key = generate_key()
    commit = server.commit({"k.env": f"FAST_API_KEY={key}\n"})
    done = server.push("-o", "fastaudit.allow=rotated on 2026-12-01, SEC-7")
    assert done.returncode == 0, done.stderr
    assert "bypassed by fastaudit.allow: rotated on 2026-12-01, SEC-7" in done.stderr
    assert server.main() == commit
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["reason"] == "rotated on 2026-12-01, SEC-7"
    assert record["commits"] == [commit]
    assert record["refs"][0]["ref"] == "refs/heads/main"
    assert record["keys"] == [redact(key)]
    assert key not in log.read_text() and fingerprint(key) not in log.read_text()
    with sqlite3.connect(store) as db:
        assert db.execute("select count(*) from runs").fetchone()[0] == 1

    assert install(server.bare, "--no-bypass").returncode == 0
    server.commit({"k2.env": f"FAST_API_KEY={generate_key()}\n"})
    said = refused(server.push("-o", "fastaudit.allow=please"))
    assert "does not allow bypassing" in said


def test_settings_come_from_the_server_never_from_the_push(server: Server, tmp_path: Path) -> None:
    key = generate_key()
    # A pushed settings file that would silence everything changes nothing.
    server.commit(
        {
            "pyproject.toml": '[tool.fastaudit]\nfail_on = "critical"\nexclude = ["*"]\n',
            ".fastaudit.toml": 'exclude = ["*"]\n',
            "k.env": f"FAST_API_KEY={key}\n",
        }
    )
    assert redact(key) in refused(server.push())
    # The server's own baseline and the inline allow comment do apply.
    baseline = tmp_path / "server-baseline.json"
    baseline.write_text(
        json.dumps(
            {
                "fastaudit_baseline": 1,
                "entries": [{"fingerprint": fingerprint(key), "path": "k.env"}],
            }
        )
    )
    assert install(server.bare, "--baseline", str(baseline)).returncode == 0
    assert server.push().returncode == 0
    other = generate_key()
    server.commit({"x.py": f"EXAMPLE = '{other}'  # fastaudit: allow\n"})
    assert server.push().returncode == 0


def test_a_slow_check_is_refused_by_default_and_says_so(server: Server) -> None:
    assert install(server.bare, "--timeout", "0.1").returncode == 0
    lines = (base64.b64encode(os.urandom(90)).decode() for _ in range(300_000))
    server.commit({"big.txt": "\n".join(lines) + "\n"})
    said = refused(server.push())
    assert "did not finish within 0.1 s, so the push is refused" in said
    assert "fastaudit.allow" in said
    # The pusher's bypass works when the time runs out too, and is recorded as such.
    log = server.bare.parent / "bypass.jsonl"
    assert install(server.bare, "--timeout", "0.1", "--log", str(log)).returncode == 0
    bypassed = server.push("-o", "fastaudit.allow=release night")
    assert bypassed.returncode == 0, bypassed.stderr
    assert "did not finish within 0.1 s; push accepted: bypassed" in bypassed.stderr
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["event"] == "bypass-unchecked" and record["reason"] == "release night"
    more = (base64.b64encode(os.urandom(90)).decode() for _ in range(300_000))
    server.commit({"big2.txt": "\n".join(more) + "\n"})
    assert install(server.bare, "--timeout", "0.1", "--on-timeout", "accept").returncode == 0
    done = server.push()
    assert done.returncode == 0 and "accepted without a complete check" in done.stderr


def test_bad_input_is_one_line(server: Server) -> None:
    hook = server.bare / "hooks" / "pre-receive"
    done = subprocess.run(
        [str(hook)], cwd=server.bare, input="not a ref update\n", capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    # A file name with a control character is shown escaped.
    key = generate_key()
    server.commit({"we\x1b[31mird.env": f"FAST_API_KEY={key}\n"})
    said = refused(server.push())
    assert "\x1b" not in said and redact(key) in said


def test_install_keeps_another_hook(tmp_path: Path) -> None:
    bare = tmp_path / "r.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    (bare / "hooks" / "pre-receive").write_text("#!/bin/sh\nexit 0\n")
    done = subprocess.run(
        [FASTAUDIT, "pre-receive", "--install", str(bare)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "exists and is not fastaudit's" in done.stderr
    assert install(bare).returncode == 0
    assert "fastaudit pre-receive" in (bare / "hooks" / "pre-receive").read_text()
    assert git(bare, "config", "receive.advertisePushOptions").strip() == "true"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def daemon(server: Server) -> Iterator[str]:
    """`git daemon` serving the server's directory with receive-pack on, on 127.0.0.1."""
    port = _free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--enable=receive-pack",
            f"--base-path={server.bare.parent}",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(server.bare.parent),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"git://127.0.0.1:{port}/{server.bare.name}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_pushes_over_git_daemon(server: Server, daemon: str) -> None:
    key = generate_key()
    server.commit({"k.env": f"FAST_API_KEY={key}\n"})
    said = refused(server.push(url=daemon))
    assert redact(key) in said and key not in said
    git(server.work, "reset", "-q", "--hard", "HEAD~1")
    clean = server.commit({"ok.txt": "fine\n"})
    done = server.push(url=daemon)
    assert done.returncode == 0, done.stderr
    assert server.main() == clean
