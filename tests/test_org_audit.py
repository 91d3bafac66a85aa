"""Organisation-wide audits with real parts: clone URLs (file://, and a real `git daemon`
on 127.0.0.1), a real Dask scheduler with two workers started here, a worker killed with
SIGKILL mid-repository, a repository that keeps killing workers, and a client killed and
resumed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fastaudit.detect import generate_key, redact

from .conftest import Repo, git

BIN = Path(sys.executable).parent
FASTAUDIT = [sys.executable, "-m", "fastaudit"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _make_repo(path: Path, keys: int = 1, filler_mb: int = 0) -> list[str]:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    repo = Repo(path)
    made = [generate_key() for _ in range(keys)]
    for index, key in enumerate(made):
        repo.write(f"config/k{index}.env", f"KEY={key}\n")
    if filler_mb:  # slow to scan: gives the tests time to act while a worker is busy
        import base64
        import random

        noise = random.Random(path.name).randbytes(filler_mb * 1024 * 1024 * 3 // 4)
        repo.write("data/blob.b64", base64.encodebytes(noise))
    repo.commit("init")
    return made


def _audit(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Any:
    return subprocess.run(
        [*FASTAUDIT, "audit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


# --- clone URLs ------------------------------------------------------------------------------


def test_file_urls_are_mirrored_once_then_fetched(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    (first,) = _make_repo(origin)
    mirrors = tmp_path / "mirrors"
    url = f"file://{origin}"
    report = tmp_path / "r.json"
    done = _audit(url, "--mirror-dir", str(mirrors), "--json", str(report))
    assert done.returncode == 1, done.stderr
    assert {f["redacted"] for f in json.loads(report.read_text())["findings"]} == {redact(first)}
    (mirror,) = mirrors.glob("*.git")

    second = generate_key()
    Repo(origin).write("more.env", f"K={second}\n")
    Repo(origin).commit("more")
    Repo(origin).git("tag", "v2")
    again = _audit(url, "--mirror-dir", str(mirrors), "--json", str(report))
    assert again.returncode == 1, again.stderr
    assert {f["redacted"] for f in json.loads(report.read_text())["findings"]} == {
        redact(first),
        redact(second),
    }
    assert list(mirrors.glob("*.git")) == [mirror]  # fetched into the same mirror
    assert "refs/tags/v2" in git(mirror, "for-each-ref", "--format=%(refname)")


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    base = tmp_path / "served"
    base.mkdir()
    port = _free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={base}",
         "--listen=127.0.0.1", f"--port={port}", str(base)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"git://127.0.0.1:{port}", base
    proc.terminate()
    proc.wait(timeout=10)


def test_network_fetch_and_failures_do_not_stop_the_run(
    git_daemon: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, served = git_daemon
    (key,) = _make_repo(served / "service")
    local_key = _make_repo(tmp_path / "local")[0]
    secret = "s3cr3t-" + "pw" * 6
    repos = tmp_path / "repos.txt"
    repos.write_text(
        f"# the organisation\n{base_url}/service\n{base_url}/missing\n"
        f"https://bob:{secret}@127.0.0.1:1/nothing-listens-here.git\nlocal\n"
    )
    report_path = tmp_path / "r.json"
    result = _audit("--repos-file", str(repos), "--mirror-dir", str(tmp_path / "m"),
                    "--json", str(report_path), "--repo-timeout", "60")  # fmt: skip
    assert result.returncode == 1, result.stderr
    report = json.loads(report_path.read_text())
    status = {r["name"]: (r["status"], r.get("failure")) for r in report["repos"]}
    assert status == {
        "service": ("scanned", None),
        "missing": ("failed", "not found"),
        "nothing-listens-here": ("failed", "network"),
        "local": ("scanned", None),
    }
    assert {f["redacted"] for f in report["findings"]} == {redact(key), redact(local_key)}
    everything = result.stdout + result.stderr + report_path.read_text()
    assert secret not in everything
    assert all(
        secret not in p.read_text(errors="replace") for p in (tmp_path / "m").rglob("config")
    )


# --- Dask -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """A real scheduler and two workers (each with its nanny) on 127.0.0.1."""
    pytest.importorskip("distributed")
    workdir = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"],
            cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    ]  # fmt: skip
    for name in ("w1", "w2"):
        procs.append(
            subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                 "--no-dashboard", "--name", name, "--local-directory", str(workdir / name)],
                cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
    from distributed import Client

    client = Client(address, timeout="30s")
    client.wait_for_workers(2, timeout=60)
    yield {"address": address, "client": client}
    client.close()
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    for name in ("generated_at",):
        report.pop(name, None)
    for name in ("executor", "run_id", "versions"):
        report["parameters"].pop(name, None)
    return report


def test_local_and_dask_give_the_same_report(dask_cluster: dict[str, Any], tmp_path: Path) -> None:
    for name in ("alpha", "beta", "gamma"):
        _make_repo(tmp_path / "repos" / name, keys=2)
    repos = tmp_path / "repos.txt"
    repos.write_text("repos/alpha\nrepos/beta\nrepos/gamma\n")
    reports = {}
    for executor in ("local", "dask"):
        out = tmp_path / f"{executor}.json"
        extra = ["--scheduler", dask_cluster["address"]] if executor == "dask" else []
        done = _audit("--repos-file", str(repos), "--executor", executor, *extra,
                      "--json", str(out), "--as-of", "2026-06-30", "--no-cache")  # fmt: skip
        assert done.returncode == 1, done.stderr
        reports[executor] = _comparable(json.loads(out.read_text()))
    assert reports["local"] == reports["dask"]
    assert len(reports["dask"]["findings"]) == 6


def _kill_worker_running(client: Any, marker: str, times: int, stop: threading.Event) -> list[str]:
    """SIGKILL the worker process that is running the task whose key holds `marker`,
    `times` times (each time the task lands somewhere again)."""
    killed: list[str] = []
    deadline = time.monotonic() + 240
    while len(killed) < times and not stop.is_set() and time.monotonic() < deadline:
        processing = client.processing()
        for worker, keys in processing.items():
            if any(marker in str(k) for k in keys):
                time.sleep(0.3)  # let it get into the repository
                pids = client.run(os.getpid, workers=[worker])
                if worker in pids:
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append(worker)
                    time.sleep(1.0)
                break
        time.sleep(0.05)
    return killed


def _task_marker(name: str) -> str:
    import hashlib

    return hashlib.sha256(name.encode()).hexdigest()[:12]


def test_a_worker_killed_mid_repository_is_survived(
    dask_cluster: dict[str, Any], tmp_path: Path
) -> None:
    slow = tmp_path / "repos" / "slow"
    keys = {"slow": _make_repo(slow, keys=1, filler_mb=40)}
    for name in ("one", "two", "three"):
        keys[name] = _make_repo(tmp_path / "repos" / name)
    repos = tmp_path / "repos.txt"
    repos.write_text("\n".join(f"repos/{n}" for n in keys) + "\n")
    stop = threading.Event()
    killed: list[str] = []
    monitor = threading.Thread(
        target=lambda: killed.extend(
            _kill_worker_running(dask_cluster["client"], _task_marker(str(slow.resolve())), 1, stop)
        )
    )
    monitor.start()
    out = tmp_path / "r.json"
    try:
        done = _audit(
            "--repos-file", str(repos), "--executor", "dask",
            "--scheduler", dask_cluster["address"], "--json", str(out), "--no-cache",
        )  # fmt: skip
    finally:
        stop.set()
        monitor.join()
    assert killed, "the slow repository was never seen running"
    assert done.returncode == 1, done.stderr
    report = json.loads(out.read_text())
    assert all(r["status"] == "scanned" for r in report["repos"])
    found = sorted(f["redacted"] for f in report["findings"])
    assert found == sorted(redact(k) for ks in keys.values() for k in ks)  # each once
    dask_cluster["client"].wait_for_workers(2, timeout=60)


def test_a_repository_that_keeps_killing_workers_ends_failed(
    dask_cluster: dict[str, Any], tmp_path: Path
) -> None:
    # Every attempt at the poison repository kills the worker running it; the good one may
    # be queued on the same worker (Dask then blames it too) and must still be audited.
    poison = tmp_path / "repos" / "poison"
    _make_repo(poison, filler_mb=40)
    (good,) = _make_repo(tmp_path / "repos" / "good")
    repos = tmp_path / "repos.txt"
    repos.write_text("repos/poison\nrepos/good\n")
    stop = threading.Event()
    killed: list[str] = []
    monitor = threading.Thread(
        target=lambda: killed.extend(
            _kill_worker_running(
                dask_cluster["client"], _task_marker(str(poison.resolve())), 99, stop
            )
        )
    )
    monitor.start()
    out = tmp_path / "r.json"
    try:
        done = _audit(
            "--repos-file", str(repos), "--executor", "dask", "--max-attempts", "2",
            "--scheduler", dask_cluster["address"], "--json", str(out), "--no-cache",
        )  # fmt: skip
    finally:
        stop.set()
        monitor.join()
    report = json.loads(out.read_text())
    status = {r["name"]: (r["status"], r.get("failure")) for r in report["repos"]}
    errors = {r["name"]: r.get("error") for r in report["repos"]}
    assert status == {"poison": ("failed", "worker died"), "good": ("scanned", None)}, errors
    assert [f["redacted"] for f in report["findings"]] == [redact(good)]
    assert done.returncode == 1
    dask_cluster["client"].wait_for_workers(2, timeout=60)


# --- resume -----------------------------------------------------------------------------------


def test_a_killed_client_resumes_without_rescanning(tmp_path: Path) -> None:
    names = [f"r{i}" for i in range(6)]
    for name in names:
        _make_repo(tmp_path / "repos" / name, filler_mb=8)
    repos = tmp_path / "repos.txt"
    repos.write_text("\n".join(f"repos/{n}" for n in names) + "\n")
    state = tmp_path / "state"
    env = {"XDG_STATE_HOME": str(state)}
    proc = subprocess.Popen(
        [*FASTAUDIT, "audit", "--repos-file", str(repos), "--no-cache"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    journal = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = list(state.rglob("*.jsonl"))
        if found and found[0].read_text().count("\n") >= 2:
            journal = found[0]
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert journal is not None, "no repository finished before the deadline"
    run_id = journal.stem
    recorded = {
        json.loads(line)["result"]["name"]
        for line in journal.read_text().splitlines()
        if line.endswith("}")
    }
    assert 2 <= len(recorded) < len(names)

    out = tmp_path / "r.json"
    resumed = _audit("--repos-file", str(repos), "--resume", run_id, "--no-cache",
                     "--json", str(out), env=env)  # fmt: skip
    assert resumed.returncode == 1, resumed.stderr
    report = json.loads(out.read_text())
    from_journal = {r["name"] for r in report["repos"] if r["from_journal"]}
    assert from_journal == recorded
    assert report["stats"]["repositories_from_journal"] == len(recorded)
    assert len(report["findings"]) == len(names)
    assert run_id in resumed.stderr


def test_dask_without_a_scheduler_starts_a_local_cluster(tmp_path: Path) -> None:
    (key,) = _make_repo(tmp_path / "solo")
    out = tmp_path / "r.json"
    done = _audit(str(tmp_path / "solo"), "--executor", "dask", "--json", str(out))
    assert done.returncode == 1, done.stderr
    report = json.loads(out.read_text())
    assert report["parameters"]["executor"] == "dask"
    assert [f["redacted"] for f in report["findings"]] == [redact(key)]


def test_verify_refuses_a_cluster(tmp_path: Path) -> None:
    _make_repo(tmp_path / "solo")
    done = _audit(str(tmp_path / "solo"), "--executor", "dask", "--verify")
    assert done.returncode == 2
    assert "keys never leave the machine" in done.stderr


# --- re-runs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("executor", ["local", "dask"])
def test_unchanged_repositories_are_not_audited_again_and_any_change_is_seen(
    tmp_path: Path, executor: str, request: pytest.FixtureRequest
) -> None:
    """On Dask, each worker is asked once which of its repositories are unchanged (one
    task for all of them); what changed is audited as usual, and is seen."""
    where = ["--executor", "local"]
    if executor == "dask":
        address = request.getfixturevalue("dask_cluster")["address"]
        where = ["--executor", "dask", "--scheduler", address]
    keys = {name: _make_repo(tmp_path / "repos" / name)[0] for name in ("a", "b", "c", "d")}
    repos = tmp_path / "repos.txt"
    repos.write_text("repos/a\nrepos/b\nrepos/c\nrepos/d\n")
    out = tmp_path / "r.json"

    def audit(*extra: str) -> dict[str, Any]:
        done = _audit("--repos-file", str(repos), "--json", str(out), *where, *extra)
        assert done.returncode == 1, done.stderr
        return json.loads(out.read_text())

    first = audit()
    assert first["stats"]["repositories_unchanged"] == 0
    if executor == "dask":  # the scheduler records tasks from its first question on
        request.getfixturevalue("dask_cluster")["client"].get_task_stream()
    since = time.time()
    again = audit()
    assert again["stats"]["repositories_unchanged"] == 4
    assert again["findings"] == first["findings"]
    if executor == "dask":  # no task per repository: only the workers' one question each
        ran = request.getfixturevalue("dask_cluster")["client"].get_task_stream(start=since)
        names = {str(task["key"]) for task in ran}
        assert names and all("fastaudit-reuse-" in name for name in names), names

    edited, untracked, committed = generate_key(), generate_key(), generate_key()
    Repo(tmp_path / "repos" / "a").write("config/k0.env", f"KEY={edited}\n")  # edited file
    Repo(tmp_path / "repos" / "b").write("new/deeper/x.env", f"K={untracked}\n")  # new file
    repo_c = Repo(tmp_path / "repos" / "c")
    repo_c.write("later.env", f"K={committed}\n")
    repo_c.commit("later")  # a new commit
    changed = audit()
    assert changed["stats"]["repositories_unchanged"] == 1  # only d
    found = {f["redacted"] for f in changed["findings"]}
    assert {redact(edited), redact(untracked), redact(committed), redact(keys["d"])} <= found

    settings = tmp_path / "other.toml"
    settings.write_text("[tool.fastaudit]\nmax_age_days = 30\n")
    assert audit("--config", str(settings))["stats"]["repositories_unchanged"] == 0
    assert audit("--no-cache")["stats"]["repositories_unchanged"] == 0
