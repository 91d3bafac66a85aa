"""`fastaudit scan` and `fastaudit baseline` as a user runs them, on real git repositories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fastaudit.detect import detect_secrets_hash, fingerprint, redact

from .conftest import REPO_ROOT, Repo


def test_scan_reports_tracked_and_untracked_but_not_ignored(repo: Repo, make_key, run_cli) -> None:
    tracked, untracked, ignored = make_key(), make_key(), make_key()
    repo.write(".gitignore", "secret.env\n")
    repo.write("app/settings.py", f"KEY = '{tracked}'\n")
    repo.commit()
    repo.write("new.txt", f"\n\n{untracked}\n")
    repo.write("secret.env", f"KEY={ignored}\n")

    result = run_cli("scan", str(repo.path), "--format", "json")

    assert result.code == 1
    report = result.json()
    assert report["schema_version"] == "1.0"
    found = {(f["path"], f["line"], f["redacted"]) for f in report["findings"]}
    assert found == {("app/settings.py", 1, redact(tracked)), ("new.txt", 3, redact(untracked))}

    everything = run_cli("scan", str(repo.path), "--all-files", "--format", "json").json()
    assert {f["path"] for f in everything["findings"]} == {
        "app/settings.py",
        "new.txt",
        "secret.env",
    }


def test_json_finding_contract(repo: Repo, make_key, run_cli) -> None:
    key = make_key()
    repo.write("a.py", f"x = 1\nKEY = '{key}'\n")
    finding = run_cli("scan", str(repo.path), "--format", "json").json()["findings"][0]
    for field in (
        "rule_id",
        "severity",
        "title",
        "practice",
        "path",
        "line",
        "secret_sha256",
        "redacted",
        "remediation",
    ):
        assert field in finding
    assert finding["rule_id"] == "FAST001"
    assert finding["severity"] == "high"
    assert finding["practice"] == 1
    assert finding["path"] == "a.py"
    assert finding["line"] == 2
    assert finding["secret_sha256"] == fingerprint(key)
    assert finding["redacted"] == redact(key)
    assert "Delete the old key" in finding["remediation"]


def test_clean_tree_exits_zero(repo: Repo, run_cli) -> None:
    repo.write("README.md", "Use `X-Fast-Api-Key: fast_prod_your_key_here`.\n")
    result = run_cli("scan", str(repo.path))
    assert result.code == 0
    assert "no findings" in result.out


def test_text_output_never_contains_the_key_and_has_no_colour_when_piped(
    repo: Repo, make_key, run_cli
) -> None:
    key = make_key()
    repo.write("deploy.sh", f'curl -H "X-Fast-Api-Key: {key}" https://api.tools.fast/convert\n')
    result = run_cli("scan", str(repo.path))
    assert result.code == 1
    assert key not in result.out + result.err
    assert "deploy.sh:1:" in result.out
    assert redact(key) in result.out
    assert "\x1b[" not in result.out


def test_colour_is_forced_and_no_color_wins(repo: Repo, make_key, run_cli, monkeypatch) -> None:
    repo.write("a.txt", make_key())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in run_cli("scan", str(repo.path)).out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run_cli("scan", str(repo.path)).out


@pytest.mark.parametrize(("fail_on", "code"), [("low", 1), ("medium", 1), ("high", 0)])
def test_fail_on_threshold(repo: Repo, run_cli, fail_on: str, code: int) -> None:
    # FAST003 is medium.
    repo.write("client.py", "BASE = 'http://api.tools.fast'\n")  # fastaudit: allow
    assert run_cli("scan", str(repo.path), "--fail-on", fail_on).code == code


def test_symlink_out_of_the_root_is_not_followed(
    repo: Repo, tmp_path: Path, make_key, run_cli
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(make_key())
    os.symlink(outside, repo.path / "link.txt")
    os.symlink(tmp_path, repo.path / "linkdir")
    report = run_cli("scan", str(repo.path), "--all-files", "--format", "json").json()
    assert report["findings"] == []
    assert report["stats"]["skipped_symlinks"] == 2


def test_scan_outside_git_walks_every_file(tmp_path: Path, make_key, run_cli) -> None:
    key = make_key()
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "f.bin").write_bytes(b"\x00\x01" + key.encode())
    report = run_cli("scan", str(tmp_path), "--format", "json").json()
    assert [f["path"] for f in report["findings"]] == ["deep/er/f.bin"]


def test_staged_scan_reads_the_index_not_the_work_tree(repo: Repo, make_key, run_cli) -> None:
    key = make_key()
    repo.write("a.py", "x = 1\n")
    repo.commit()
    repo.write("a.py", f"x = 1\nKEY = '{key}'\n")
    repo.git("add", "a.py")
    repo.write("a.py", "x = 1\n")  # key removed from the work tree, but still staged
    result = run_cli("scan", "--staged", "--format", "json", cwd=repo.path)
    assert [(f["path"], f["line"], f["source"]) for f in result.json()["findings"]] == [
        ("a.py", 2, "staged")
    ]


def test_baseline_accepts_known_findings_even_after_lines_move(
    repo: Repo, make_key, run_cli
) -> None:
    old, new = make_key(), make_key()
    repo.write("conf.py", f"KEY = '{old}'\n")
    baseline = repo.path.parent / "baseline.json"
    made = run_cli("baseline", str(repo.path), "--output", str(baseline))
    assert made.code == 0
    text = baseline.read_text()
    assert old not in text
    assert fingerprint(old) in text

    repo.write("conf.py", f"# a new comment\n# and another\nKEY = '{old}'\n")
    assert run_cli("scan", str(repo.path), "--baseline", str(baseline)).code == 0

    repo.write("conf.py", f"KEY = '{old}'\nNEW = '{new}'\n")
    result = run_cli("scan", str(repo.path), "--baseline", str(baseline), "--format", "json")
    assert result.code == 1
    report = result.json()
    assert [f["redacted"] for f in report["findings"]] == [redact(new)]
    assert report["stats"]["suppressed_baseline"] == 1


def test_baseline_regenerated_unchanged_is_byte_identical(repo: Repo, make_key, run_cli) -> None:
    repo.write("a.py", f"A = '{make_key()}'\nB = '{make_key()}'\n")
    first = run_cli("baseline", str(repo.path)).out
    repo.write("a.py", "\n\n" + (repo.path / "a.py").read_text())
    assert run_cli("baseline", str(repo.path)).out == first


def test_detect_secrets_baseline_is_accepted(repo: Repo, make_key, run_cli) -> None:
    key = make_key()
    repo.write("conf.py", f"KEY = '{key}'\n")
    ds_baseline = repo.path / ".secrets.baseline"
    ds_baseline.write_text(
        json.dumps(
            {
                "version": "1.5.0",
                "plugins_used": [{"name": "FastApiKeyDetector"}],
                "filters_used": [],
                "results": {
                    "conf.py": [
                        {
                            "type": "Tools.FAST API Key",
                            "filename": "conf.py",
                            "hashed_secret": detect_secrets_hash(key),
                            "is_verified": False,
                            "line_number": 7,
                        }
                    ]
                },
                "generated_at": "2026-01-01T00:00:00Z",
            }
        )
    )
    assert run_cli("scan", str(repo.path), "--baseline", str(ds_baseline)).code == 0


def test_config_from_pyproject_excludes_and_adds_prefixes(repo: Repo, make_key, run_cli) -> None:
    from fastaudit.detect import generate_key

    staging = generate_key("fast_stage_")
    repo.write(
        "pyproject.toml",
        '[tool.fastaudit]\nprefixes = ["fast_stage_"]\n'
        'exclude = ["fixtures/**"]\nfail_on = "high"\n',
    )
    repo.write("fixtures/sample.txt", make_key())
    repo.write("app.env", f"KEY={staging}\n")
    # FAST003 is medium: below fail_on.
    repo.write("client.py", "URL = 'http://tools.fast'\n")  # fastaudit: allow
    result = run_cli("scan", str(repo.path), "--format", "json")
    report = result.json()
    assert {(f["rule_id"], f["path"]) for f in report["findings"]} == {
        ("FAST001", "app.env"),
        ("FAST003", "client.py"),
    }
    assert report["stats"]["skipped_excluded"] == 1
    assert result.code == 1  # the staging key is high


def test_dot_fastaudit_toml_is_read_when_pyproject_has_no_table(
    repo: Repo, make_key, run_cli
) -> None:
    repo.write("pyproject.toml", "[project]\nname='x'\n")
    repo.write(".fastaudit.toml", "fail_on = 'critical'\n")
    repo.write("a.txt", make_key())
    assert run_cli("scan", str(repo.path)).code == 0


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (
            lambda r: r.write(".fastaudit.toml", "max_age_day = 3\n"),
            [],
            "unknown setting 'max_age_day'",
        ),
        (lambda r: r.write(".fastaudit.toml", "min_length = 'x'\n"), [], "min_length"),
        (
            lambda r: r.write(".fastaudit.toml", "min_length = 40\nmax_length = 30\n"),
            [],
            "length range",
        ),
        (lambda r: r.write(".fastaudit.toml", "not toml ["), [], "not valid TOML"),
        (lambda r: r.write("b.json", "{not json"), ["--baseline", "b.json"], "not valid JSON"),
        (lambda r: r.write("b.json", "3"), ["--baseline", "b.json"], "not a JSON object"),
        (lambda r: None, ["--baseline", "missing.json"], "baseline missing.json does not exist"),
        (lambda r: None, ["no/such/dir"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(repo: Repo, run_cli, setup, args, message) -> None:
    setup(repo)
    result = run_cli("scan", *args, cwd=repo.path)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_usage_error_exits_2(run_cli) -> None:
    result = run_cli("scan", "--format", "yaml")
    assert result.code == 2


def test_output_file_is_written_atomically(repo: Repo, make_key, run_cli) -> None:
    repo.write("a.txt", make_key())
    out = repo.path.parent / "report.sarif"
    assert run_cli("scan", str(repo.path), "--format", "sarif", "--output", str(out)).code == 1
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_console_script_runs_without_traceback_on_bad_config(repo: Repo) -> None:
    repo.write(".fastaudit.toml", "fail_on = 'urgent'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "fastaudit", "scan", "."],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("fastaudit: error:")
    assert "unknown severity 'urgent'" in proc.stderr


def test_this_repository_is_clean(run_cli) -> None:
    """The project's own promise: no realistic key anywhere in its tree."""
    result = run_cli("scan", str(REPO_ROOT), "--format", "json")
    assert result.json()["findings"] == []
    assert result.code == 0


def test_every_encoding_is_found_through_the_file_scan(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    keys = {}
    for name, encoding in [
        ("u16.txt", "utf-16"),
        ("u16be.txt", "utf-16-be"),
        ("u32.txt", "utf-32"),
        ("latin1.txt", "latin-1"),
    ]:
        key = make_key()
        keys[name] = key
        text = f"première ligne\nAPI_KEY={key}\n"
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        repo.write(name, data)
    wide = make_key()
    keys["app.bin"] = wide
    repo.write("app.bin", b"\x00\x01MZ" + f"X={wide}".encode("utf-16-le") + b"\x00\xff" * 8)
    result = run_cli("scan", str(repo.path), "--format", "json")
    found = {(f["path"], f["line"]) for f in result.json()["findings"]}
    assert found == {
        ("u16.txt", 2),
        ("u16be.txt", 2),
        ("u32.txt", 2),
        ("latin1.txt", 2),
        ("app.bin", 1),
    }


def test_parallel_scan_matches_the_sequential_one(
    repo: Repo, make_key: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastaudit import scan as scanning
    from fastaudit.detect import KeySpec
    from fastaudit.sources.files import select

    for index in range(60):
        body = f"line {index}\n" * (index % 7)
        if index % 9 == 0:
            body += (
                f"KEY_{index} = '{make_key()}'  # and http://api.tools.fast\n"  # fastaudit: allow
            )
        repo.write(f"d{index % 5}/f{index}.py", body)
    repo.write("skip.py", f"x = '{make_key()}'  # fastaudit: allow\n")
    selection = select([repo.path])
    monkeypatch.setattr(scanning, "PARALLEL_MIN_FILES", 10)
    forked: list[bool] = []
    real = scanning._scan_in_workers

    def spy(*args: Any) -> Any:
        ran = real(*args)
        forked.append(ran)
        return ran

    monkeypatch.setattr(scanning, "_scan_in_workers", spy)
    parallel = scanning.scan_files(selection, KeySpec(), workers=2)
    assert forked == [True]
    sequential = scanning.scan_files(selection, KeySpec(), workers=1)
    assert parallel.findings == sequential.findings
    assert len(parallel.findings) == 14
    assert parallel.stats() == sequential.stats()
    assert parallel.suppressed_inline == 1


def test_staged_content_is_read_in_pieces(
    repo: Repo, make_key: Any, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastaudit.sources import staged

    monkeypatch.setattr(staged, "PIECE_SIZE", 1000)  # a "huge" file, cheaply
    key, later = make_key(), make_key()
    body = "".join(f"line {n}\n" for n in range(2000))
    repo.write("big.txt", body + f"KEY={key}\n" + body)
    repo.write("small.env", f"KEY={later}\n")
    repo.git("add", "big.txt", "small.env")
    (repo.path / "big.txt").write_text("unstaged edit without the key\n")

    result = run_cli("scan", "--staged", "--format", "json", cwd=repo.path)

    found = sorted((f["path"], f["line"], f["source"]) for f in result.json()["findings"])
    assert found == [("big.txt", 2001, "staged"), ("small.env", 1, "staged")]


def test_scan_dash_reads_standard_input(tmp_path: Path) -> None:
    """`fastaudit scan -` scans what is piped in, reported as `-`, as gitleaks'
    `stdin` does: one key, its line, the exit code."""
    import json as json_module
    import subprocess
    import sys

    from fastaudit.detect import generate_key, redact

    key = generate_key()
    scan = subprocess.run(
        [str(Path(sys.executable).parent / "fastaudit"), "scan", "-", "--format", "json"],
        input=f"first line\nKEY={key}\n".encode(),
        capture_output=True,
        cwd=tmp_path,
        check=False,
    )
    assert scan.returncode == 1, scan.stderr
    (finding,) = json_module.loads(scan.stdout)["findings"]
    assert (finding["path"], finding["line"], finding["redacted"]) == ("-", 2, redact(key))
    assert key.encode() not in scan.stdout + scan.stderr
