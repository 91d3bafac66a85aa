"""The CI adoption path end to end, as a team meets it: the first run fails on keys that
are already there (in files and in history), `fastaudit baseline` accepts them, and from
then on only a new key fails, in `scan`, `history`, `audit` and both CI gates. A gitleaks
JSON report works as a baseline too, as it does in gitleaks. Also here: the masked line,
`allow_fingerprints`, `audit`/`report` `--output`, titles by where a key was found, and
one naming rule for repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fastaudit.detect import fingerprint, generate_key, redact
from tests.conftest import Repo

FASTAUDIT = str(Path(sys.executable).parent / "fastaudit")


def legacy_repo(repo: Repo) -> tuple[str, str]:
    """A repository with a key that only history holds and one still in a file."""
    old, current = generate_key(), generate_key()
    repo.write("config/old.env", f"FAST_API_KEY={old}\n")
    repo.commit("add config")
    repo.write("config/old.env", "FAST_API_KEY=${FAST_API_KEY}\n")
    repo.write("deploy.sh", f'curl -H "X-Fast-Api-Key: {current}" "$URL"\n')
    repo.commit("move the key out; add deploy")
    return old, current


def gate(
    repo: Repo, platform: str, baseline: Path, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """One CI gate in history mode with the baseline, as its runner would start it."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if platform == "github":
        event = tmp_path / "event.json"
        event.write_text("{}")
        for name in ("summary.md", "output.txt"):
            (tmp_path / name).write_text("")
        env |= {
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": "workflow_dispatch",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_WORKSPACE": str(repo.path),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        }
        args = [FASTAUDIT, "ci", "github", "--mode", "history", "--no-sarif"]
    else:
        env |= {
            "CI_PROJECT_DIR": str(repo.path),
            "CI_COMMIT_SHA": repo.git("rev-parse", "HEAD").strip(),
        }
        args = [
            FASTAUDIT,
            "ci",
            "gitlab",
            "--mode",
            "history",
            "--report",
            str(tmp_path / "gl.json"),
        ]
    return subprocess.run(
        [*args, "--baseline", str(baseline)],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_baseline_then_only_new_keys_fail_in_every_door(
    repo: Repo, run_cli: Any, tmp_path: Path
) -> None:
    old, current = legacy_repo(repo)
    # First run: both keys fail.
    assert run_cli("scan", ".", cwd=repo.path).code == 1
    first = run_cli("history", ".", "--format", "json", cwd=repo.path)
    assert first.code == 1
    assert {f["redacted"] for f in json.loads(first.out)["findings"]} == {
        redact(old),
        redact(current),
    }

    # Accept them: the baseline holds the history-only key too.
    made = run_cli("baseline", "-o", ".fastaudit-baseline.json", cwd=repo.path)
    assert made.code == 0, made.err
    baseline = repo.path / ".fastaudit-baseline.json"
    accepted = {e["fingerprint"] for e in json.loads(baseline.read_text())["entries"]}
    assert accepted == {fingerprint(old), fingerprint(current)}
    repo.commit("accept the known keys")

    doors = {
        "scan": lambda: run_cli("scan", ".", "--baseline", str(baseline), cwd=repo.path),
        "history": lambda: run_cli("history", ".", "--baseline", str(baseline), cwd=repo.path),
        "audit": lambda: run_cli(
            "audit", str(repo.path), "--no-cache", "--baseline", str(baseline), cwd=repo.path
        ),
    }
    for name, door in doors.items():
        done = door()
        assert done.code == 0, (name, done.out, done.err)
    for platform in ("github", "gitlab"):
        done = gate(repo, platform, baseline, tmp_path)
        assert done.returncode == 0, (platform, done.stdout, done.stderr)

    # A new key fails every door, and only the new key is reported.
    new = generate_key()
    repo.write("src/client.py", f"KEY = '{new}'\n")
    repo.commit("add client")
    for name, door in doors.items():
        done = door()
        assert done.code == 1, (name, done.out, done.err)
        assert redact(new) in done.out
        assert redact(old) not in done.out and redact(current) not in done.out, name
    for platform in ("github", "gitlab"):
        done = gate(repo, platform, baseline, tmp_path)
        assert done.returncode == 1, (platform, done.stdout, done.stderr)
        assert redact(old) not in done.stdout + done.stderr
    # `--no-history` keeps the old behaviour: the working tree only.
    narrow = run_cli("baseline", "--no-history", cwd=repo.path)
    assert fingerprint(old) not in narrow.out and fingerprint(new) in narrow.out


def test_a_gitleaks_report_is_a_baseline(repo: Repo, run_cli: Any, tmp_path: Path) -> None:
    """gitleaks' own JSON report (`gitleaks git --report-format json`): an entry with the
    secret is accepted at its file in every commit; a redacted one (`--redact`) at its
    file, line and commit; entries for other kinds of secret are ignored."""
    old, current = legacy_repo(repo)
    first_commit = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    report = tmp_path / "gitleaks.json"
    report.write_text(
        json.dumps(
            [
                {
                    "RuleID": "generic-api-key",
                    "File": "deploy.sh",
                    "StartLine": 1,
                    "Secret": current,
                    "Match": f"X-Fast-Api-Key: {current}",
                    "Commit": repo.git("rev-parse", "HEAD").strip(),
                    "Fingerprint": "x",
                },
                {
                    "RuleID": "generic-api-key",
                    "File": "config/old.env",
                    "StartLine": 1,
                    "Secret": "REDACTED",
                    "Commit": first_commit,
                },
                {"RuleID": "aws-access-token", "File": "x.txt", "StartLine": 3, "Secret": "AKIA"},
            ]
        )
    )
    done = run_cli("history", ".", "--baseline", str(report), cwd=repo.path)
    assert done.code == 0, done.out + done.err
    assert run_cli("scan", ".", "--baseline", str(report), cwd=repo.path).code == 0
    # Without the redacted entry the history-only key fails again: the place mattered.
    entries = json.loads(report.read_text())
    report.write_text(json.dumps([entries[0]]))
    done = run_cli("history", ".", "--baseline", str(report), cwd=repo.path)
    assert done.code == 1 and redact(old) in done.out and redact(current) not in done.out
    report.write_text('[{"StartLine": 1}]')
    bad = run_cli("history", ".", "--baseline", str(report), cwd=repo.path)
    assert bad.code == 2 and "entry 0 has no 'File'" in bad.err


def test_the_line_shows_masked_with_its_fingerprint_and_allow_fingerprints(
    repo: Repo, run_cli: Any
) -> None:
    key, other = generate_key(), generate_key()
    repo.write(
        "app.py",
        f'HEADERS = {{"X-Fast-Api-Key": "{key}", "backup": "{other}", '
        '"note": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="}\n',
    )
    done = run_cli("scan", ".", cwd=repo.path)
    assert done.code == 1
    assert f'HEADERS = {{"X-Fast-Api-Key": "{redact(key)}", "backup": "fast_prod_…"' in done.out
    assert f"fingerprint: {fingerprint(key)}" in done.out
    assert key not in done.out and other not in done.out
    assert "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo" not in done.out  # any long token elided
    # The fingerprint shown is the one `allow_fingerprints` takes.
    repo.write(
        ".fastaudit.toml",
        f'allow_fingerprints = ["{fingerprint(key)}", "{fingerprint(other)}:app.py"]\n',
    )
    assert run_cli("scan", ".", cwd=repo.path).code == 0
    repo.write(".fastaudit.toml", f'allow_fingerprints = ["{fingerprint(other)}:elsewhere.py"]\n')
    assert run_cli("scan", ".", cwd=repo.path).code == 1
    repo.write(".fastaudit.toml", 'allow_fingerprints = ["abc"]\n')
    bad = run_cli("scan", ".", cwd=repo.path)
    assert bad.code == 2 and "64-digit hex sha256" in bad.err


def test_titles_say_where_the_key_was_found(repo: Repo, run_cli: Any) -> None:
    key = generate_key()
    repo.write("README.md", "docs\n")
    base = repo.commit("docs")
    repo.write("a.env", f"KEY={key}\n")
    repo.git("add", "a.env")
    staged = json.loads(run_cli("scan", "--staged", "--format", "json", cwd=repo.path).out)
    assert [f["title"] for f in staged["findings"]] == ["Tools.FAST API key in staged changes"]
    repo.commit("add env")
    ranged = json.loads(
        run_cli("history", ".", "--since", base, "--format", "json", cwd=repo.path).out
    )
    assert [f["title"] for f in ranged["findings"]] == [
        "Tools.FAST API key in the commits under review"
    ]
    assert [f["source"] for f in ranged["findings"]] == ["range"]
    tree = json.loads(run_cli("scan", ".", "--format", "json", cwd=repo.path).out)
    assert [f["title"] for f in tree["findings"]] == ["Tools.FAST API key in the working tree"]


def test_audit_and_report_write_any_format_to_output(
    repo: Repo, run_cli: Any, tmp_path: Path
) -> None:
    legacy_repo(repo)
    sarif = tmp_path / "audit.sarif"
    done = run_cli(
        "audit", str(repo.path), "--no-cache", "--format", "sarif", "--output", str(sarif)
    )
    assert done.code == 1 and done.out == ""
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    saved = tmp_path / "audit.json"
    assert run_cli("audit", str(repo.path), "--no-cache", "--json", str(saved)).code == 1
    text = tmp_path / "report.txt"
    assert run_cli("report", str(saved), "--output", str(text)).code == 0
    assert "Best practices" in text.read_text()
    baseline = tmp_path / "b.json"
    assert run_cli("baseline", "-o", str(baseline), cwd=repo.path).code == 0
    again = run_cli("report", str(saved), "--baseline", str(baseline), "--format", "json")
    assert json.loads(again.out)["findings"] == []


def test_one_naming_rule_for_paths_and_urls(tmp_path: Path) -> None:
    from fastaudit.audit import plan

    target = tmp_path / "srv" / "git" / "repo"
    target.mkdir(parents=True)
    assert [t.name for t in plan([str(target)])] == ["repo"]
    assert [t.name for t in plan([target.as_uri()])] == ["repo"]
    assert [t.name for t in plan(["git@host.example:org/repo.git"])] == ["repo"]
    assert [t.name for t in plan(["https://user@host.example/org/repo.git"])] == ["repo"]
    # Only a clash adds parents, and never a root, a scheme or a user.
    other = tmp_path / "mirror" / "repo"
    other.mkdir(parents=True)
    assert [t.name for t in plan([str(target), other.as_uri()])] == ["git/repo", "mirror/repo"]
    listed = tmp_path / "repos.txt"
    listed.write_text(f"{target}\n")
    from fastaudit.audit import read_repos_file

    assert [t.name for t in plan(read_repos_file(listed))] == ["repo"]
