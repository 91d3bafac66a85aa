"""GitLab CI: merge-request pipelines scan the merge request's commits (from
`CI_MERGE_REQUEST_DIFF_BASE_SHA`), default-branch pipelines the whole history, other
branch pipelines what the push added; findings go to GitLab's secret-detection report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastaudit.ci.checkout import ZERO_SHA, Range, ensure_range, object_id
from fastaudit.ci.gate import GateOptions, run_scan, write_format

ADVICE = "set `GIT_DEPTH: 0` in the job's variables"
REPORT_NAME = "gl-secret-detection-report.json"


def pipeline_range(env: Mapping[str, str], mode: str) -> Range:
    """What this pipeline asks to scan: a merge request's commits, a branch push, or the whole
    history."""
    head = env.get("CI_COMMIT_SHA") or "HEAD"
    if head != "HEAD":
        head = object_id(head, "CI_COMMIT_SHA")
    branch, default = env.get("CI_COMMIT_BRANCH"), env.get("CI_DEFAULT_BRANCH")
    where = f"the default branch {default}" if branch and branch == default else "this pipeline"
    if mode != "diff":
        return Range(head, None, f"the whole history ({where})")
    source = env.get("CI_PIPELINE_SOURCE", "")
    base = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA")
    if source == "merge_request_event" and base:
        base = object_id(base, "CI_MERGE_REQUEST_DIFF_BASE_SHA")
        iid = env.get("CI_MERGE_REQUEST_IID", "?")
        return Range(head, base, f"merge request !{iid} ({base[:12]}..{head[:12]})")
    before = env.get("CI_COMMIT_BEFORE_SHA", "")
    if branch and branch != default and before and before != ZERO_SHA:
        before = object_id(before, "CI_COMMIT_BEFORE_SHA")
        return Range(head, before, f"push to {branch} ({before[:12]}..{head[:12]})")
    return Range(head, None, f"the whole history ({where})")


def run(env: Mapping[str, str], options: GateOptions, report_path: Path) -> int:
    """The template's main step: scan the range, write GitLab's secret-detection report, print the
    text report once."""
    from fastaudit.console import say
    from fastaudit.report import render

    repo = Path(env.get("CI_PROJECT_DIR") or ".").resolve()
    scan = pipeline_range(env, options.mode)
    for note in ensure_range(repo, scan, ADVICE):
        say(note)
    say(f"scanning {scan.description}")
    code, report = run_scan(repo, scan, options)
    target = report_path if report_path.is_absolute() else repo / report_path
    write_format(report, "gitlab", target)
    say(f"wrote {target}")
    import sys

    render("text", report, sys.stdout)
    return code
