"""GitHub Actions: the range from the event payload, findings as annotations, a redacted
job summary, SARIF for `github/codeql-action/upload-sarif`, outputs for later steps.

A pull request scans what the pull request adds (base SHA..head SHA of the payload); a
push scans `before..after` (a new branch: what is not already on the default branch);
any other event, or `mode: history`, scans the whole history.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fastaudit.ci.checkout import ZERO_SHA, Range, ensure_range, has_commit
from fastaudit.ci.gate import GateOptions, run_scan, write_format
from fastaudit.errors import InputError
from fastaudit.findings import Finding, Severity
from fastaudit.report import Report
from fastaudit.sanitize import clean, clean_text

ADVICE = "set `fetch-depth: 0` on actions/checkout"


def _payload(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    from fastaudit import jsonio

    document = jsonio.load(Path(path), "the event payload")
    return document if isinstance(document, dict) else {}


def event_range(env: Mapping[str, str], mode: str, repo: Path) -> Range:
    """What this event asks to scan."""
    event = env.get("GITHUB_EVENT_NAME", "")
    payload = _payload(env)
    head = env.get("GITHUB_SHA") or "HEAD"
    if mode != "diff":
        return Range(head, None, "the whole history")
    pull = payload.get("pull_request")
    if event.startswith("pull_request") and isinstance(pull, dict):
        base, tip = pull.get("base", {}).get("sha"), pull.get("head", {}).get("sha")
        if not base or not tip:
            raise InputError("the pull_request payload has no base or head SHA")
        number = pull.get("number") or payload.get("number")
        commits = pull.get("commits") if isinstance(pull.get("commits"), int) else None
        return Range(tip, base, f"pull request #{number} ({base[:12]}..{tip[:12]})", commits)
    if event == "push":
        before, after = payload.get("before") or "", payload.get("after") or head
        commits = len(payload.get("commits") or []) or None
        if before and before != ZERO_SHA:
            return Range(after, before, f"push {before[:12]}..{after[:12]}", commits)
        default = (payload.get("repository") or {}).get("default_branch")
        if default and has_commit(repo, f"refs/remotes/origin/{default}"):
            return Range(
                after, f"refs/remotes/origin/{default}", f"new branch (not on {default})", commits
            )
        return Range(after, None, "new branch: the whole history it reaches", commits)
    return Range(head, None, f"the whole history ({event or 'no'} event has no range)")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(
    findings: Iterable[Finding], threshold: Severity, limit: int = 50
) -> list[str]:
    """Workflow commands that put each finding on its file and line."""
    lines = []
    for finding in itertools.islice(findings, limit):
        level = "error" if finding.severity >= threshold else "warning"
        props = []
        if finding.path:
            props.append(f"file={_escape_property(finding.path)}")
            if finding.line:
                props.append(f"line={finding.line}")
        props.append(f"title={_escape_property(f'{finding.rule_id} {finding.title}')}")
        message = finding.redacted or finding.message or finding.title
        if finding.commit:
            message += f" (commit {finding.commit[:12]})"
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    return lines


def _cell(text: str | None) -> str:
    value = clean_text(text or "", human=True)
    return value.replace("|", "\\|").replace("\n", " ").replace("`", "'") or "–"


def summary_markdown(
    report: Report, scan: Range, threshold: Severity, code: int, notes: list[str]
) -> str:
    findings = report.sorted_findings()
    failing = [f for f in findings if f.severity >= threshold]
    verdict = (
        "passed"
        if code == 0
        else "failed: part of the scan could not be done"
        if code == 2
        else f"failed: {len(failing)} finding(s) at or above {threshold.label}"
    )
    lines = [
        f"## fastaudit {verdict}",
        "",
        f"Scanned {_cell(scan.description)}.",
    ]
    lines += [f"- {_cell(note)}" for note in notes + report.warnings[:10]]
    if findings:
        lines += [
            "",
            "| Severity | Rule | Location | Commit | Key |",
            "| --- | --- | --- | --- | --- |",
        ]
        for f in findings[:100]:
            where = f"{f.path}:{f.line}" if f.path and f.line else (f.path or f.key_name or "")
            lines.append(
                f"| {f.severity.label} | {f.rule_id} {_cell(f.title)} | `{_cell(where)}` "
                f"| {_cell((f.commit or '')[:12])} | `{_cell(f.redacted or f.message)}` |"
            )
        if len(findings) > 100:
            lines.append(f"\n{len(findings) - 100} more in the SARIF and JSON reports.")
    else:
        lines += ["", "No Tools.FAST keys found."]
    return "\n".join(lines) + "\n"


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def run(env: Mapping[str, str], options: GateOptions, sarif: Path | None) -> int:
    """The action's main step."""
    import tempfile

    from fastaudit.console import say

    repo = Path(env.get("GITHUB_WORKSPACE") or ".").resolve()
    threshold = Severity.parse(options.fail_on)
    scan = event_range(env, options.mode, repo)
    notes = ensure_range(repo, scan, ADVICE)
    for note in notes:
        say(note)
    say(f"scanning {scan.description}")
    with tempfile.TemporaryDirectory(prefix="fastaudit-ci-") as scratch:
        code, report = run_scan(repo, scan, options, Path(scratch) / "report.json")
    if sarif is not None:
        write_format(report, "sarif", sarif if sarif.is_absolute() else repo / sarif)
    # Paths and messages come from the repository: cleaned (control characters, any
    # key-shaped run) before they reach the log as workflow commands.
    prefixes = tuple(report.parameters.get("prefixes") or ())
    shown = clean(report.sorted_findings(), human=True, prefixes=prefixes)
    for line in workflow_commands(shown, threshold):
        print(line, flush=True)
    _append(env.get("GITHUB_STEP_SUMMARY"), summary_markdown(report, scan, threshold, code, notes))
    _append(
        env.get("GITHUB_OUTPUT"),
        f"findings={len(report.findings)}\nexit-code={code}\n"
        + (f"sarif={sarif}\n" if sarif is not None else "")
        + f"range={scan.base or ''}..{scan.head}\n",
    )
    return code
