"""Issue 20, second round of hardening: each case is built the way an attacker (or an
unlucky user) would build it, with real git, real files and real processes, and fails on
the code before the fix."""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from fastaudit.detect import generate_key, redact

from .conftest import REPO_ROOT, Repo, git
from .test_ci_gates import (  # the fixture is shared with the CI gate tests
    Origin,
    clone,
    origin,
    outputs,
    pull_request,
    run_action,
    runner_env,
)
from .test_hostile import _marker_program


def _keyed_repo(path: Path, key: str, name: str = "config.env") -> Repo:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    repo = Repo(path)
    repo.write(name, f"FAST_API_KEY={key}\n")
    repo.commit("add config")
    return repo


# --- supply chain --------------------------------------------------------------------


def test_the_distribution_name_is_ours_everywhere() -> None:
    from fastaudit import DISTRIBUTION, __version__

    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert f'name = "{DISTRIBUTION}"' in pyproject and DISTRIBUTION != "fastaudit"
    template = (REPO_ROOT / "ci" / "gitlab" / "fastaudit.gitlab-ci.yml").read_text()
    assert f'FASTAUDIT_VERSION: "{__version__}"' in template
    assert f"{DISTRIBUTION}==" in template
    for text in (template, (REPO_ROOT / "ci" / "github" / "install.sh").read_text()):
        assert 'install --quiet "fastaudit' not in text and "install fastaudit" not in text
    readme = (REPO_ROOT / "README.md").read_text()
    assert "additional_dependencies: [fastaudit]" not in readme
    assert "fastaudit[dask]" not in readme and "rev: v0.1.0" not in readme


def test_the_action_never_installs_a_version_by_name(origin: Origin, tmp_path: Path) -> None:
    workspace = clone(origin, tmp_path / "ws", "--branch", "feature")
    env = runner_env(tmp_path, workspace, "pull_request", pull_request(origin))
    install = run_action(env, {"version": "0.2.10"})[0]
    assert install.code == 2
    assert "pin the action at v0.2.10" in install.err


# --- critical ------------------------------------------------------------------------


def test_repositories_whose_paths_share_their_tails_are_both_audited(
    tmp_path: Path, run_cli: Any
) -> None:
    tail = Path("x1/x2/x3/x4/x5/x6/x7/repo")
    keys = [generate_key(), generate_key()]
    _keyed_repo(tmp_path / "A" / tail, keys[0])
    _keyed_repo(tmp_path / "B" / tail, keys[1])
    report = tmp_path / "report.json"
    result = run_cli(
        "audit", str(tmp_path / "A" / tail), str(tmp_path / "B" / tail), "--json", str(report)
    )
    assert result.code == 1, result.err
    document = json.loads(report.read_text())
    names = [r["name"] for r in document["repos"]]
    assert len(set(names)) == 2
    assert {redact(k) for k in keys} <= {f["redacted"] for f in document["findings"]}


def test_clone_urls_that_differ_only_by_colon_and_slash_get_two_names() -> None:
    from fastaudit.audit import plan

    targets = plan(["file:///srv/p:q", "file:///srv/p/q"])
    assert len({t.name for t in targets}) == 2


def test_one_repositorys_settings_never_weaken_another(tmp_path: Path, run_cli: Any) -> None:
    first = _keyed_repo(tmp_path / "first", generate_key())
    first.write(".fastaudit.toml", "min_length = 60\nunwrap = false\n")
    first.write("config.env", "nothing here\n")
    first.commit("settings")
    victim_key = generate_key()
    _keyed_repo(tmp_path / "victim", victim_key)
    report = tmp_path / "report.json"
    result = run_cli(
        "audit", str(first.path), str(tmp_path / "victim"), "--json", str(report),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 1, result.err
    found = {f["redacted"] for f in json.loads(report.read_text())["findings"]}
    assert redact(victim_key) in found
    # Opted in, a repository's own file governs its own audit only.
    own = run_cli(
        "audit", str(first.path), str(tmp_path / "victim"), "--repo-settings",
        "--json", str(report), "--no-cache", cwd=tmp_path,
    )  # fmt: skip
    assert own.code == 1
    document = json.loads(report.read_text())
    assert redact(victim_key) in {f["redacted"] for f in document["findings"]}
    assert document["stats"]["repositories_own_settings"] == 1


def test_allow_comments_in_an_audited_repository_are_counted(tmp_path: Path, run_cli: Any) -> None:
    repo = _keyed_repo(tmp_path / "r", generate_key())
    repo.write("config.env", f"FAST_API_KEY={generate_key()}  # fastaudit: allow\n")
    report = tmp_path / "report.json"
    run_cli("audit", str(repo.path), "--json", str(report), cwd=tmp_path)
    assert json.loads(report.read_text())["stats"]["suppressed_inline"] == 1


def _gzip_with_key(key: str, size: int) -> bytes:
    filler = os.urandom(size)
    return gzip.compress(filler[: size // 2] + f"\nK={key}\n".encode() + filler[size // 2 :], 1)


def test_large_blobs_in_history_are_unpacked(repo: Repo, run_cli: Any) -> None:
    gz_key, b64_key = generate_key(), generate_key()
    repo.write("dump.gz", _gzip_with_key(gz_key, 34 * 1024 * 1024))
    payload = os.urandom(26 * 1024 * 1024) + f"\nK={b64_key}\n".encode()
    repo.write("blob.b64", base64.encodebytes(payload))
    repo.commit("large")
    repo.git("rm", "-q", "dump.gz", "blob.b64")
    repo.commit("gone")
    result = run_cli("history", str(repo.path), "--format", "json", "--no-cache")
    assert result.code == 1, result.err
    found = {f["redacted"] for f in result.json()["findings"]}
    assert {redact(gz_key), redact(b64_key)} <= found


def test_a_file_over_the_unpacking_limit_is_said_and_fails(repo: Repo, run_cli: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("filler.bin", os.urandom(65 * 1024 * 1024))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("secret.txt", f"K={generate_key()}\n")
    repo.write("big.zip", buffer.getvalue())
    result = run_cli("scan", str(repo.path), "--format", "json")
    assert result.code == 2, result.err
    warnings = result.json()["warnings"]
    assert any("big.zip" in w and "unwrap_max_file_bytes" in w for w in warnings), warnings
    relaxed = run_cli("scan", str(repo.path), "--no-fail-on-unopened")
    assert relaxed.code == 0


@pytest.mark.parametrize(
    ("decoy", "encode"),
    [
        (b"&#102; ", lambda key: "".join(f"&#{ord(c)};" for c in key)),
        (b'"\\x66" ', lambda key: "".join(f"\\x{ord(c):02x}" for c in key)),
    ],
    ids=["entities", "x-escapes"],
)
def test_decoys_do_not_use_up_the_cap(decoy: bytes, encode: Any, repo: Repo, run_cli: Any) -> None:
    key = generate_key()
    repo.write("page.html", decoy * 201 + f"<p>{encode(key)}</p>\n".encode())
    result = run_cli("scan", str(repo.path), "--format", "json")
    assert result.code == 1, result.err
    assert redact(key) in {f["redacted"] for f in result.json()["findings"]}


def test_a_repos_file_line_never_becomes_a_git_option(tmp_path: Path, run_cli: Any) -> None:
    marker = tmp_path / "pwned"
    repos = tmp_path / "repos.txt"
    repos.write_text(f"-utouch:x;touch${{IFS}}{marker};false\n")
    mirrors = tmp_path / "mir:rors"
    result = run_cli("audit", "--repos-file", str(repos), "--mirror-dir", str(mirrors))
    assert result.code == 2 and "begins with '-'" in result.err
    assert not marker.exists()
    for helper in ("fd::17", "ext::sh -c touch% /tmp/x"):
        refused = run_cli("audit", helper)
        assert refused.code == 2 and "remote helper" in refused.err


def test_payload_shas_never_become_fetch_options(origin: Origin, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    workspace = clone(origin, tmp_path / "ws", "--depth", "1", "--branch", "feature")
    payload = pull_request(origin)
    payload["pull_request"]["base"]["sha"] = f"--upload-pack=touch {marker}"
    env = runner_env(tmp_path, workspace, "pull_request", payload)
    scan = run_action(env)[-1]
    assert scan.code == 2 and "not a commit id" in scan.err
    assert not marker.exists()
    gitlab = subprocess.run(
        [str(Path(sys.executable).parent / "fastaudit"), "ci", "gitlab"],
        cwd=workspace,
        env={
            **os.environ,
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": f"--upload-pack=touch {marker}",
            "CI_COMMIT_SHA": origin.head,
            "CI_PROJECT_DIR": str(workspace),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert gitlab.returncode == 2 and "not a commit id" in gitlab.stderr
    assert not marker.exists()


def test_the_deepening_fetch_runs_no_program_from_the_checkout(
    origin: Origin, tmp_path: Path
) -> None:
    program, marker = _marker_program(tmp_path)
    workspace = clone(origin, tmp_path / "ws", "--depth", "1", "--branch", "feature")
    git(workspace, "config", "remote.origin.uploadpack", str(program))
    git(workspace, "config", "core.sshCommand", str(program))
    git(workspace, "config", "credential.helper", f"!{program}")
    git(workspace, "config", "core.askPass", str(program))
    git(workspace, "config", "core.gitProxy", str(program))
    env = runner_env(tmp_path, workspace, "pull_request", pull_request(origin))
    scan = run_action(env)[-1]
    assert scan.code == 1, scan.err
    assert not marker.exists()


def test_key_shaped_names_are_never_written_whole_to_disk(
    tmp_path: Path, run_cli: Any, make_key: Any
) -> None:
    name_key = make_key()
    repo = _keyed_repo(tmp_path / name_key / "repo", generate_key(), name=f"{make_key()}.env")
    repo.git("branch", make_key())
    db = tmp_path / "store.sqlite3"
    home = Path(os.environ["HOME"])
    result = run_cli("audit", str(repo.path), "--db", str(db), cwd=tmp_path)
    assert result.code == 1, result.err
    assert run_cli("history", str(repo.path)).code == 1
    written = [db, *home.rglob("*"), *(repo.path / ".git" / "fastaudit").rglob("*")]
    for path in written:
        if path.is_file():
            assert name_key.encode() not in path.read_bytes(), path


# --- high ----------------------------------------------------------------------------


def test_step_outputs_cannot_be_forged(origin: Origin, tmp_path: Path) -> None:
    workspace = clone(origin, tmp_path / "ws", "--branch", "feature")
    env = runner_env(tmp_path, workspace, "pull_request", pull_request(origin))
    run_action(env, {"sarif": "out.sarif\nexit-code=0\nfindings=0\nx="})
    found = outputs(env)
    assert found["exit-code"] == "1" and found["findings"] == "1"


@pytest.mark.parametrize(
    "args",
    [
        ("trends", "--since", "999999999d"),
        ("db", "upgrade", "--revision", "garbage"),
        ("db", "upgrade", "--revision", "+1"),
        ("db", "upgrade", "--revision", "0001:0002"),
        ("audit", "--resume", "r" * 300),
    ],
    ids=["since", "garbage", "relative", "range", "resume"],
)
def test_bad_input_is_one_line_and_exit_2(
    args: tuple[str, ...], tmp_path: Path, run_cli: Any
) -> None:
    db = tmp_path / "store.sqlite3"
    assert run_cli("db", "upgrade", "--db", str(db)).code == 0
    extra = ("--db", str(db)) if args[0] in ("trends", "db") else ()
    result = run_cli(*args, *extra)
    assert result.code == 2, result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_db_current_on_what_is_not_a_store(tmp_path: Path, run_cli: Any) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    for target in (str(junk), "postgresql+psycopg://u:secret@127.0.0.1:1/x"):
        result = run_cli("db", "current", "--db", target)
        assert result.code == 2 and "secret" not in result.err, result.err


def test_a_nul_in_the_repos_file_and_a_malformed_payload(
    origin: Origin, tmp_path: Path, run_cli: Any
) -> None:
    repos = tmp_path / "repos.txt"
    repos.write_bytes(b"/srv/a\x00b\n")
    result = run_cli("audit", "--repos-file", str(repos))
    assert result.code == 2 and "NUL" in result.err
    workspace = clone(origin, tmp_path / "ws", "--branch", "feature")
    env = runner_env(tmp_path, workspace, "pull_request", pull_request(origin))
    payload = {"pull_request": {"base": "x", "head": 5}}
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(payload))
    scan = run_action(env)[-1]
    assert scan.code == 2 and "Traceback" not in scan.err


def test_gitlab_report_with_a_non_utf8_file_name(repo: Repo, run_cli: Any) -> None:
    name = os.fsdecode(b"conf\xff.py")
    (repo.path / name).write_text(f"K = '{generate_key()}'\n")
    result = run_cli("scan", str(repo.path), "--format", "gitlab")
    assert result.code == 1, result.err
    assert json.loads(result.out)["vulnerabilities"]


def test_a_fifo_in_place_of_a_file_does_not_hang(tmp_path: Path) -> None:
    from fastaudit.config import Config
    from fastaudit.scan import scan_files
    from fastaudit.sources.files import select

    (tmp_path / "a.txt").write_text("hello\n")
    selection = select([tmp_path])
    (tmp_path / "a.txt").unlink()
    os.mkfifo(tmp_path / "a.txt")  # swapped after selection, before reading
    assert stat.S_ISFIFO((tmp_path / "a.txt").stat().st_mode)
    result = scan_files(selection, Config().key_spec)
    assert any("regular file" in w for w in result.warnings), result.warnings


def test_a_url_password_never_reaches_a_command_line(tmp_path: Path, run_cli: Any) -> None:
    bare = tmp_path / "served.git"
    _keyed_repo(tmp_path / "work", generate_key())
    git(tmp_path, "clone", "-q", "--bare", str(tmp_path / "work"), str(bare))
    log = tmp_path / "argv.log"
    wrapper = tmp_path / "bin" / "git"
    wrapper.parent.mkdir()
    real = subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    os.environ["PATH"] = f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"
    try:
        result = run_cli(
            "audit", f"file://user:hunter2secret@localhost{bare}",
            "--mirror-dir", str(tmp_path / "mirrors"),
        )  # fmt: skip
    finally:
        os.environ["PATH"] = os.environ["PATH"].split(os.pathsep, 1)[1]
    assert "hunter2secret" not in log.read_text()
    assert "hunter2secret" not in result.out + result.err


def test_scp_like_passwords_are_never_shown() -> None:
    from fastaudit.http import display_url

    assert (
        display_url("deploy:hunter2@git.example.com:org/repo.git") == "git.example.com:org/repo.git"
    )
    assert display_url("git@git.example.com:org/repo.git") == "git@git.example.com:org/repo.git"


def test_a_job_summary_bullet_holds_no_markup() -> None:
    from fastaudit.ci.github import _markdown

    text = _markdown("x.zip: <img src=x onerror=alert(1)> [click](http://evil)")
    assert "<img" not in text and "](" not in text


def test_an_annotation_for_a_path_with_a_newline_names_no_file() -> None:
    from fastaudit.ci.github import workflow_commands
    from fastaudit.findings import Finding, Severity

    finding = Finding(rule_id="FAST001", severity=Severity.HIGH, path="a\nb.env", line=3)
    (line,) = workflow_commands([finding], Severity.LOW)
    assert "file=" not in line and "a\\nb.env" in line


def test_report_rerenders_the_trends_and_lifecycle_sections(
    demo_audit: Any, tmp_path: Path, run_cli: Any
) -> None:
    _, out, _ = demo_audit
    document = json.loads((out / "report.json").read_text())
    assert document["key_lifecycle"]
    page = tmp_path / "again.html"
    assert run_cli("report", str(out / "report.json"), "--html", str(page)).code == 0
    assert 'id="lifecycle-title"' in page.read_text()
    again = tmp_path / "again.json"
    assert run_cli("report", str(out / "report.json"), "--json", str(again)).code == 0
    assert json.loads(again.read_text())["key_lifecycle"] == document["key_lifecycle"]


def test_a_git_server_that_drips_cannot_hang_an_audit(tmp_path: Path) -> None:
    """A server that answers one byte every half second, forever: the clone is given up
    at the network deadline, the repository is reported failed, the audit ends."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    stop = threading.Event()

    def drip() -> None:
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                # A pkt-line that announces 255 bytes, then gives one every half second.
                with contextlib.suppress(OSError):
                    conn.sendall(b"00ff")
                for _ in range(240):  # bounded: two minutes at most
                    if stop.is_set():
                        break
                    try:
                        conn.sendall(b"a")
                    except OSError:
                        break
                    time.sleep(0.5)

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    settings = tmp_path / "auditor.toml"
    settings.write_text("git_network_timeout_seconds = 3\n")
    try:
        audit = subprocess.run(
            [str(Path(sys.executable).parent / "fastaudit"), "audit",
             f"git://127.0.0.1:{port}/repo.git", "--config", str(settings),
             "--mirror-dir", str(tmp_path / "mirrors")],
            capture_output=True, text=True, check=False, timeout=90,
        )  # fmt: skip
    finally:
        stop.set()
        server.close()
    assert audit.returncode == 2, audit.stderr
    assert "took longer than 3 s" in audit.stdout + audit.stderr


def test_the_prefilter_keeps_memory_bounded_on_a_file_of_needles(tmp_path: Path) -> None:
    """40 MB of `\\x66` (every four bytes an escape needle): the automaton was asked for
    every match at once, about forty times the file in memory (1.7 GB here)."""
    import resource

    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "needles.txt").write_bytes(b"\\x66" * (10 * 1024 * 1024))
    scan = subprocess.run(
        [str(Path(sys.executable).parent / "fastaudit"), "scan", str(tmp_path / "tree")],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert scan.returncode in (0, 2), scan.stderr
    assert peak_mb < 600, f"peak {peak_mb:.0f} MB"
