"""Hostile repository: each case is built with git itself, the way an attacker (or an
unlucky user) would make it, and fastaudit must neither run code, hide keys, nor let the
gate pass."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
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


# --- 2. Writing a report over a device, a FIFO, a read-only file or a link -------------

_FASTAUDIT = (sys.executable, "-m", "fastaudit")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="making device nodes needs root")


def _scan_to(run_cli: Any, repo: Repo, target: Path | str) -> Any:
    return run_cli("scan", str(repo.path), "--format", "json", "-o", str(target))


@needs_root
def test_report_onto_a_device_writes_through_it(repo: Repo, tmp_path: Path, run_cli: Any) -> None:
    """A private copy of /dev/null (same major/minor): an atomic rename would replace it
    with a regular file, as it did to the machine's own /dev/null."""
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    result = _scan_to(run_cli, repo, null)
    assert result.code == 0, result.err
    assert stat.S_ISCHR(os.stat(null).st_mode)


@needs_root
def test_report_onto_a_full_device_is_a_one_line_error(
    repo: Repo, tmp_path: Path, run_cli: Any
) -> None:
    full = tmp_path / "full"
    os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    result = _scan_to(run_cli, repo, full)
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        f"fastaudit: error: cannot write {full}: No space left on device"
    ]
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_report_into_a_fifo_is_written_in_place(repo: Repo, tmp_path: Path, run_cli: Any) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = _scan_to(run_cli, repo, fifo)
    reader.join(timeout=30)
    assert result.code == 0, result.err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(received[0])["command"] == "scan"


def test_dev_stdout_is_written_not_replaced(repo: Repo, tmp_path: Path) -> None:
    """A private link with /dev/stdout's target: an atomic rename would replace the link
    (as it once did to the machine's own /dev/stdout)."""
    stdout_link = tmp_path / "stdout"
    stdout_link.symlink_to("/proc/self/fd/1")
    out = tmp_path / "captured.json"
    with out.open("w") as handle:
        proc = subprocess.run(
            [*_FASTAUDIT, "scan", str(repo.path), "--format", "json", "-o", str(stdout_link)],
            stdout=handle,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["command"] == "scan"
    assert stdout_link.is_symlink()


def test_existing_report_keeps_its_mode_and_links_keep_pointing(
    repo: Repo, tmp_path: Path, run_cli: Any
) -> None:
    readonly = tmp_path / "readonly.json"
    readonly.write_text("{}")
    readonly.chmod(0o444)
    assert _scan_to(run_cli, repo, readonly).code == 0
    assert stat.S_IMODE(os.stat(readonly).st_mode) == 0o444
    assert json.loads(readonly.read_text())["command"] == "scan"

    real = tmp_path / "real.json"
    real.write_text("{}")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert _scan_to(run_cli, repo, link).code == 0
    assert link.is_symlink()
    assert json.loads(real.read_text())["command"] == "scan"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640


def test_full_disk_on_stdout_is_a_one_line_error(repo: Repo) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*_FASTAUDIT, "scan", str(repo.path), "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "fastaudit: error: cannot write standard output: No space left on device"
    ]


# --- 3. The gate fails when a repository could not be scanned --------------------------


def _scorecard(report: dict[str, Any]) -> dict[int, str]:
    return {c["practice"]: c["status"] for c in report["summary"]["scorecard"]}


def test_audit_of_a_missing_repository_fails_the_gate(tmp_path: Path, run_cli: Any) -> None:
    missing = tmp_path / "nonexistent"
    result = run_cli("audit", str(missing), "--format", "json")
    assert result.code == 2
    report = result.json()
    assert report["repos"][0]["status"] == "failed"
    assert "does not exist" in report["repos"][0]["error"]
    assert _scorecard(report)[1] == "fail"
    assert _scorecard(report)[6] == "fail"

    text = run_cli("audit", str(missing))
    assert text.code == 2
    assert "Never commit keys to source control: 0 findings, FAILED" in text.out
    assert "FAILED: " in text.out and "does not exist" in text.out


def test_audit_without_git_fails_the_gate(
    repo: Repo, make_key: Any, tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.write("a.env", f"K={make_key()}\n")
    repo.commit()
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = run_cli("audit", str(repo.path), "--format", "json", "--fail-on", "critical")
    assert result.code == 2
    report = result.json()
    assert report["repos"][0]["status"] == "failed"
    assert "git is not installed" in report["repos"][0]["error"]
    assert _scorecard(report)[1] == "fail"


def test_audit_of_a_repository_whose_path_holds_a_newline(
    tmp_path: Path, make_key: Any, run_cli: Any
) -> None:
    path = tmp_path / "odd\nname"
    path.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    odd = Repo(path)
    keys = [make_key() for _ in range(9)]
    for index, key in enumerate(keys):
        odd.write(f"k{index}.env", f"K={key}\n")
    odd.commit()
    result = run_cli("audit", str(path), "--format", "json")
    assert result.code == 1, result.err
    report = result.json()
    assert report["repos"][0]["status"] == "scanned"
    assert {f["redacted"] for f in report["findings"]} == {redact(k) for k in keys}

    history = run_cli("history", str(path), "--format", "json")
    assert history.code == 1
    assert len(history.json()["findings"]) == 9


# --- 5. Damaged packs must not hide the keys in the objects git can still read ---------


def _packed_repo_with_keys(repo: Repo, make_key: Any, count: int = 8) -> tuple[list[str], Path]:
    keys = [make_key() for _ in range(count)]
    for index, key in enumerate(keys):
        repo.write(f"k{index}.env", f"K={key}\n")
    repo.commit("keys")
    repo.git("repack", "-adq")
    (pack,) = (repo.path / ".git" / "objects" / "pack").glob("*.pack")
    pack.chmod(0o644)
    return keys, pack


def _blob_offsets(repo: Repo, pack: Path) -> dict[str, int]:
    listing = subprocess.run(
        ["git", "show-index"],
        stdin=pack.with_suffix(".idx").open("rb"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split()[1]: int(line.split()[0]) for line in listing.splitlines()}


def test_one_corrupt_packed_object_hides_no_other_key(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    keys, pack = _packed_repo_with_keys(repo, make_key)
    victim = repo.git("rev-parse", "HEAD:k3.env").strip()
    offset = _blob_offsets(repo, pack)[victim]
    data = bytearray(pack.read_bytes())
    data[offset + 4] ^= 0xFF  # inside the compressed body: git dies on this object
    pack.write_bytes(bytes(data))

    result = run_cli("history", str(repo.path), "--no-cache", "--format", "json")

    assert result.code == 1
    report = result.json()
    found = {f["redacted"] for f in report["findings"]}
    assert found == {redact(k) for i, k in enumerate(keys) if i != 3}
    assert report["stats"]["objects_unreadable"] >= 1
    assert any("could not be read" in w and victim in w for w in report["warnings"])


def test_truncated_pack_is_salvaged_and_the_gate_does_not_pass(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    keys, pack = _packed_repo_with_keys(repo, make_key)
    offsets = sorted(_blob_offsets(repo, pack).values())
    pack.write_bytes(pack.read_bytes()[: offsets[len(offsets) // 2]])

    result = run_cli("history", str(repo.path), "--no-cache", "--format", "json")

    report = result.json()
    salvaged = {f["redacted"] for f in report["findings"]}
    assert salvaged, "objects before the cut must be recovered and scanned"
    assert salvaged < {redact(k) for k in keys}
    assert report["stats"]["objects_recovered"] >= len(salvaged)
    assert report["stats"]["objects_unreadable"] > 0
    assert result.code == 1

    # Without findings at the threshold, an unreadable history still fails the gate.
    gate = run_cli("history", str(repo.path), "--no-cache", "--fail-on", "critical")
    assert gate.code == 2
    assert "could not be read" in gate.out


# --- 6. Dripping and oversized answers; 9. passwords in URLs ---------------------------


def _slow_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "slow.toml"
    path.write_text(
        "[tool.fastaudit]\nhttp_timeout_seconds = 2\nhttp_deadline_seconds = 1.5\n"
        f"http_retries = 0\n{extra}",
        encoding="utf-8",
    )
    return path


def test_dripping_inventory_server_hits_the_total_deadline(
    https: Any, tmp_path: Path, run_cli: Any
) -> None:
    from tests.servers import Reply

    https.script("/inventory", Reply(200, {"schema_version": 1, "keys": []}, drip=0.3))
    started = __import__("time").monotonic()
    result = run_cli(
        "check",
        "--inventory-url",
        f"{https.base}/inventory",
        "--config",
        str(_slow_config(tmp_path)),
    )
    elapsed = __import__("time").monotonic() - started
    assert result.code == 2
    assert "did not answer in full within 1.5 s" in result.err
    assert elapsed < 10  # each byte came well inside the per-read timeout


def test_dripping_verification_server_gives_unknown_not_a_hang(
    https: Any, repo: Repo, make_key: Any, tmp_path: Path, run_cli: Any, monkeypatch: Any
) -> None:
    from fastaudit.verify import ENTITLEMENTS_PATH
    from tests.servers import Reply

    monkeypatch.setenv("FASTAUDIT_API_BASE", https.base)
    https.script(ENTITLEMENTS_PATH, Reply(200, {"plan": "pro", "padding": "x" * 200}, drip=0.3))
    repo.write("a.env", f"K={make_key()}\n")
    result = run_cli(
        "scan", str(repo.path), "--verify", "--no-cache", "--format", "json",
        "--config", str(_slow_config(tmp_path)),
    )  # fmt: skip
    finding = result.json()["findings"][0]
    assert finding["verification"] == "unknown"
    assert "within 1.5 s" in finding["evidence"]["verification_reason"]


def test_oversized_inventory_is_refused_without_reading_it(
    https: Any, tmp_path: Path, run_cli: Any
) -> None:
    from tests.servers import Reply

    https.script("/inventory", Reply(200, huge=1024 * 1024 * 1024))
    config = _slow_config(tmp_path, "http_max_response_bytes = 1048576\n")
    result = run_cli("check", "--inventory-url", f"{https.base}/inventory", "--config", str(config))
    assert result.code == 2
    assert "over the 1048576-byte limit" in result.err


def test_url_passwords_never_shown_or_stored(
    https: Any, repo: Repo, make_key: Any, run_cli: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    from fastaudit.verify import ENTITLEMENTS_PATH
    from tests.servers import Reply

    secret = "hunter2-" + "pw" * 8
    url = f"https://alice:{secret}@127.0.0.1:{https.port}/inventory"
    https.script("/inventory", Reply(500, "down"))
    failed = run_cli("check", "--inventory-url", url, "--config", str(_slow_config(tmp_path)))
    assert failed.code == 2
    assert secret not in failed.err + failed.out

    https.script("/inv2", Reply(200, {"schema_version": 1, "keys": []}))
    ok = run_cli("check", "--inventory-url", url.replace("/inventory", "/inv2"), "--format", "json")
    assert ok.code == 0, ok.err
    assert secret not in ok.out
    assert "alice" not in json.dumps(ok.json()["parameters"])

    monkeypatch.setenv("FASTAUDIT_API_BASE", f"https://bob:{secret}@127.0.0.1:{https.port}")
    https.script(ENTITLEMENTS_PATH, Reply(200, {"plan": "pro"}))
    repo.write("a.env", f"K={make_key()}\n")
    verified = run_cli("scan", str(repo.path), "--verify", "--format", "json")
    assert verified.code == 1
    assert secret not in verified.err + verified.out
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "fastaudit" / "verify-cache.json"
    stored = "".join(p.read_text() for p in cache.parent.rglob("*") if p.is_file())
    assert stored and secret not in stored


# --- 7. A tracked folder replaced by a link is never followed --------------------------


def test_folder_replaced_by_a_link_is_not_followed(
    repo: Repo, make_key: Any, tmp_path: Path, run_cli: Any
) -> None:
    repo.write("d/s.txt", "nothing here\n")
    repo.write("d/deeper/t.txt", "nothing here\n")
    repo.commit("tracked folder")
    outside = tmp_path / "outside"
    (outside / "deeper").mkdir(parents=True)
    outside_key = make_key()
    (outside / "s.txt").write_text(f"K={outside_key}\n")
    (outside / "deeper" / "t.txt").write_text(f"K={outside_key}\n")
    import shutil

    shutil.rmtree(repo.path / "d")
    (repo.path / "d").symlink_to(outside, target_is_directory=True)

    for args in (["scan", str(repo.path)], ["scan", "--all-files", str(repo.path)]):
        result = run_cli(*args, "--format", "json")
        assert result.code == 0, result.out
        assert result.json()["stats"]["skipped_symlinks"] >= 1

    hook = run_cli("hook", "d/s.txt", "d/deeper/t.txt", cwd=repo.path)
    assert hook.code == 0, hook.out
    assert redact(outside_key) not in hook.out


# --- 12, 13, 14. Bad settings and bad input: one line, exit 2, never a traceback --------

DEEP_JSON = "[" * 100_000 + "]" * 100_000


def _one_line_error(result: Any, message: str) -> None:
    assert result.code == 2, (result.code, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("fastaudit: error:"), lines[0]
    assert message in lines[0], lines[0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (".fastaudit.toml", "max_length = 4294967296\n", "max_length"),
        ("pyproject.toml", "[tool.fastaudit]\nmax_length = 1000000000\n", "max_length"),
        (".fastaudit.toml", 'exclude = ["!"]\n', "invalid pattern"),
        ("pyproject.toml", b"[tool.fastaudit]\nfail_on = '\xff'\n", "not UTF-8"),
        (".fastaudit.toml", "http_timeout_seconds = 0\n", "http_timeout_seconds"),
        (".fastaudit.toml", "http_timeout_seconds = nan\n", "http_timeout_seconds"),
        (".fastaudit.toml", "wide_ipv4_prefix = 99\n", "wide_ipv4_prefix"),
        (".fastaudit.toml", "wide_ipv6_prefix = -1\n", "wide_ipv6_prefix"),
        (".fastaudit.toml", "max_findings_per_file = 0\n", "max_findings_per_file"),
        ("pyproject.toml", "[tool]\nfastaudit = 5\n", "must be a table"),
    ],
)
def test_bad_settings_are_refused(
    repo: Repo, run_cli: Any, name: str, content: str | bytes, message: str
) -> None:
    repo.write(name, content)
    _one_line_error(run_cli("scan", str(repo.path)), message)


@pytest.mark.parametrize(
    ("args_for", "message"),
    [
        (lambda d: ["check", "--inventory", d["deep"]], "nests too deeply"),
        (lambda d: ["check", "--inventory", d["good"], "--departures", d["deep"]], "too deeply"),
        (lambda d: ["check", "--inventory", d["good"], "--departures", d["latin1"]], "not UTF-8"),
        (lambda d: ["scan", d["dir"], "--baseline", d["deep"]], "nests too deeply"),
        (lambda d: ["report", d["deep"]], "nests too deeply"),
        (lambda d: ["check", "--findings", d["deep"]], "nests too deeply"),
        (lambda d: ["check", "--inventory", d["year1"]], "outside the years"),
        (lambda d: ["check", "--inventory", d["year9999"]], "outside the years"),
        (
            lambda d: ["check", "--inventory", d["good"], "--as-of", "9999-12-31T23:00-05:00"],
            "years",
        ),
        (lambda d: ["report", d["bad_line"]], "field 'line' must be int"),
        (lambda d: ["report", d["bad_stats"]], "field 'stats' must be an object"),
        (lambda d: ["report", d["bad_refs"]], "field 'refs'"),
    ],
)
def test_bad_input_files_are_refused(
    tmp_path: Path, run_cli: Any, args_for: Any, message: str
) -> None:
    record = {"id": "k1", "name": "Production API", "created_at": "2026-01-01"}
    files: dict[str, Any] = {
        "deep": DEEP_JSON,
        "good": json.dumps({"keys": [record]}),
        "year1": json.dumps({"keys": [{**record, "created_at": "0001-01-01T00:00:00+01:00"}]}),
        "year9999": json.dumps({"keys": [{**record, "created_at": "9999-12-31T23:00-05:00"}]}),
        "latin1": "name,left_at\nJos\xe9,2026-01-01\n".encode("latin-1"),
    }
    finding = {"rule_id": "FAST001", "severity": "high", "path": "a.env"}
    for label, change in (
        ("bad_line", {"findings": [{**finding, "line": "x"}]}),
        ("bad_stats", {"stats": 5}),
        ("bad_refs", {"findings": [{**finding, "refs": "main"}]}),
    ):
        files[label] = json.dumps({"schema_version": "1.0", **change})
    paths: dict[str, str] = {"dir": str(tmp_path)}
    for label, content in files.items():
        path = tmp_path / f"{label}.{'csv' if label == 'latin1' else 'json'}"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        paths[label] = str(path)
    _one_line_error(run_cli(*args_for(paths)), message)


def test_missing_ca_bundle_is_one_line(
    https: Any, run_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "no-such-ca.pem"))
    _one_line_error(
        run_cli("check", "--inventory-url", f"{https.base}/inventory"), "could not be made"
    )


def test_a_thousand_nested_folders(tmp_path: Path, make_key: Any, run_cli: Any) -> None:
    deep = tmp_path / "tree"
    levels = [str(deep)]
    os.mkdir(levels[0])
    for index in range(1000):
        levels.append(os.path.join(levels[-1], f"d{index % 10}"))
        os.mkdir(levels[-1])  # one level at a time: pathlib's own mkdir recurses
    key = make_key()
    leaf = os.path.join(levels[-1], "k.env")
    with open(leaf, "w") as handle:
        handle.write(f"K={key}\n")
    try:
        result = run_cli("scan", "--all-files", str(deep), "--format", "json")
        assert result.code == 1, result.err
        assert [f["redacted"] for f in result.json()["findings"]] == [redact(key)]
    finally:  # pytest's own clean-up of old temp dirs recurses too
        os.unlink(leaf)
        for level in reversed(levels):
            os.rmdir(level)


def test_dense_matches_are_capped_with_a_note(repo: Repo, make_key: Any, run_cli: Any) -> None:
    line = "http://tools.fast " * 20_000 + "\n"  # fastaudit: allow
    keys = "\n".join(f"K={make_key()}" for _ in range(150))
    repo.write("dense.txt", line + keys + "\n")
    report = run_cli("scan", str(repo.path), "--format", "json").json()
    by_rule = {
        r: sum(1 for f in report["findings"] if f["rule_id"] == r) for r in ("FAST001", "FAST003")
    }
    assert by_rule == {"FAST001": 100, "FAST003": 100}
    assert any("19900 more FAST003" in w for w in report["warnings"])
    assert any("50 more FAST001" in w for w in report["warnings"])


def test_many_refs_and_an_annotated_tag_message_with_a_key(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    """Tag attribution reads the ref list once (it used to re-read it per ref)."""
    repo.write("a.txt", "x\n")
    head = repo.commit()
    key = make_key()
    repo.git("tag", "-a", "v1", "-m", f"release {key}")
    updates = "".join(
        f"create refs/heads/b{i} {head}\ncreate refs/tags/t{i} {head}\n" for i in range(3000)
    )
    subprocess.run(
        ["git", "update-ref", "--stdin"], cwd=repo.path, input=updates.encode(), check=True
    )
    report = run_cli("history", str(repo.path), "--no-cache", "--format", "json").json()
    (finding,) = report["findings"]
    assert finding["path"] == "(tag message)"
    assert finding["refs"] == ["refs/tags/v1"]


# --- 8, 10, 11, 16. Metadata that holds keys, escapes or bad bytes ----------------------

# What no human-facing output may contain: control characters other than the line breaks
# fastaudit itself writes (and no carriage return at all).
_RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_output_is_safe(text: str, keys: list[str], *, human: bool) -> None:
    for key in keys:
        assert key not in text, "a full key reached the output"
        assert key[len("fast_prod_") :] not in text
    if human:
        found = _RAW_CONTROL.search(text)
        assert found is None, f"raw control character {found.group(0)!r} in text output"


def _all_outputs(run_cli: Any, args: list[str], out_dir: Path) -> dict[str, Any]:
    """Run one command in every format; check each is well-formed; return the texts."""
    import xml.etree.ElementTree as ET

    texts: dict[str, Any] = {}
    text = run_cli(*args)
    assert text.code in (0, 1), text.err
    texts["text"] = text.out + text.err
    for fmt in ("json", "sarif", "html", "junit"):
        target = out_dir / f"report.{fmt}"
        result = run_cli(*args, "--format", fmt, "-o", str(target))
        assert result.code in (0, 1), result.err
        body = target.read_bytes().decode("utf-8")  # strict: must be valid UTF-8
        if fmt in ("json", "sarif"):
            texts[fmt] = json.loads(body)
        elif fmt == "junit":
            texts[fmt] = ET.fromstring(body.encode())
        texts[f"{fmt}-raw"] = body + result.err
    return texts


def test_keys_and_escapes_in_metadata_never_reach_any_output(
    repo: Repo, make_key: Any, tmp_path: Path, run_cli: Any
) -> None:
    keys = [make_key() for _ in range(6)]
    name_key, email_key, branch_key, tag_key, content_key, id_key = keys
    evil_name = f"cfg-{name_key}\x1b[2J\rHIGH     FAST001 forged\n.txt"
    repo.write(evil_name, f"K={content_key}\n")
    repo.write(
        "bad\udcffname.txt".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape"),
        f"K={content_key}\n",
    )
    repo.write("docs/my notes#1 100%.txt", f"K={content_key}\n")
    repo.git("checkout", "-q", "-b", f"feature/{branch_key}")
    repo.commit("add", date="2026-01-02T00:00:00+00:00")
    repo.git(
        "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "meta",
        env={"GIT_AUTHOR_EMAIL": f"{email_key}\x1b]8;;http://evil.example\x07@example.com"},
    )  # fmt: skip
    repo.git("tag", "-a", tag_key, "-m", "release")
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "keys": [
                    {
                        "id": f"{id_key}\x1b[31m",
                        "name": "Production \x1b]0;pwned\x07 Backend",
                        "environment": "production",
                        "created_at": "2026-01-01",
                        "allowed_ips": [f"\x1b[2K{id_key}", "10.0.0.0/8\r\nFAKE"],
                    }
                ],
            }
        )
    )
    out = tmp_path / "out"
    out.mkdir()
    checks = [
        ["scan", str(repo.path)],
        ["history", str(repo.path), "--no-cache"],
        ["check", "--inventory", str(inventory), "--as-of", "2026-06-30"],
    ]
    for args in checks:
        texts = _all_outputs(run_cli, args, out)
        assert_output_is_safe(texts["text"], keys, human=True)
        for fmt in ("json", "sarif", "html", "junit"):
            assert_output_is_safe(texts[f"{fmt}-raw"], keys, human=False)
        if args[0] == "scan":
            uris = {
                loc["physicalLocation"]["artifactLocation"]["uri"]
                for result in texts["sarif"]["runs"][0]["results"]
                for loc in result["locations"]
            }
            assert "docs/my%20notes%231%20100%25.txt" in uris
            assert "bad%FFname.txt" in uris
            paths = {f["path"] for f in texts["json"]["findings"]}
            assert "bad\\xffname.txt" in paths
            assert "\\x1b[2J\\rHIGH     FAST001 forged\\n.txt" in texts["text"]

    audit = run_cli("audit", str(repo.path), "--inventory", str(inventory), "--no-cache")
    assert_output_is_safe(audit.out + audit.err, keys, human=True)

    missing = run_cli("scan", str(tmp_path / f"nope\x1b[2J{name_key}"))
    assert missing.code == 2
    assert_output_is_safe(missing.err, keys, human=True)


def test_hook_output_is_escaped_and_redacted(repo: Repo, make_key: Any, run_cli: Any) -> None:
    key, name_key = make_key(), make_key()
    repo.write(f"x\x1b]8;;http://e.example\x07{name_key}\r.txt", f"K={key}\n")
    repo.git("add", "-A")
    result = run_cli("hook", cwd=repo.path)
    assert result.code == 1
    assert_output_is_safe(result.out + result.err, [key, name_key], human=True)


def test_separate_git_dir_with_a_key_in_a_commit_message(
    tmp_path: Path, make_key: Any, run_cli: Any
) -> None:
    work, gitdir = tmp_path / "work", tmp_path / "gitdir"
    work.mkdir()
    subprocess.run(
        ["git", "init", "-q", "-b", "main", "--separate-git-dir", str(gitdir), str(work)],
        check=True,
    )
    repo = Repo(work)
    repo.write("a.txt", "x\n")
    key = make_key()
    commit = repo.commit(f"deploy with {key}")
    result = run_cli("history", str(work), "--no-cache")
    assert result.code == 1, result.err
    assert redact(key) in result.out
    assert f"commit {commit[:12]}" in result.out
