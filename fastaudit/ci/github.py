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

from fastaudit.ci.checkout import (
    ZERO_SHA,
    Range,
    branch_name,
    ensure_range,
    has_commit,
    object_id,
)
from fastaudit.ci.gate import GateOptions, run_scan, write_format
from fastaudit.errors import InputError
from fastaudit.findings import Finding, Severity
from fastaudit.report import Report
from fastaudit.sanitize import clean, clean_text
from fastaudit.words import plural

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
    if head != "HEAD":
        head = object_id(head, "GITHUB_SHA")
    if mode != "diff":
        return Range(head, None, "the whole history")
    pull = payload.get("pull_request")
    if event.startswith("pull_request") and isinstance(pull, dict):
        base_side, head_side = pull.get("base"), pull.get("head")
        if not isinstance(base_side, dict) or not isinstance(head_side, dict):
            raise InputError("the pull_request payload has no base or head object")
        if not base_side.get("sha") or not head_side.get("sha"):
            raise InputError("the pull_request payload has no base or head SHA")
        base = object_id(base_side.get("sha"), "the pull request's base.sha")
        tip = object_id(head_side.get("sha"), "the pull request's head.sha")
        number = pull.get("number") if isinstance(pull.get("number"), int) else None
        if number is None and isinstance(payload.get("number"), int):
            number = payload["number"]
        commits = pull.get("commits") if isinstance(pull.get("commits"), int) else None
        return Range(tip, base, f"pull request #{number} ({base[:12]}..{tip[:12]})", commits)
    if event == "push":
        before = payload.get("before") or ""
        after = object_id(payload.get("after") or head, "the push's after")
        listed = payload.get("commits")
        commits = len(listed) if isinstance(listed, list) and listed else None
        if before and before != ZERO_SHA:
            before = object_id(before, "the push's before")
            return Range(after, before, f"push {before[:12]}..{after[:12]}", commits)
        repository = payload.get("repository")
        default = repository.get("default_branch") if isinstance(repository, dict) else None
        if default is not None:
            default = branch_name(default, "the repository's default_branch")
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
    findings: Iterable[Finding],
    threshold: Severity,
    limit: int = 50,
    prefixes: tuple[str, ...] = (),
) -> list[str]:
    """Workflow commands that put each finding on its file and line. Paths and messages
    come from the repository and are cleaned first; a path that cleaning had to change (a
    newline, a control character, a key-shaped name) names no file, since no file has the
    cleaned name: the message says where instead."""
    lines = []
    for raw in itertools.islice(findings, limit):
        finding = clean(raw, human=True, prefixes=prefixes)
        level = "error" if finding.severity >= threshold else "warning"
        props = []
        elsewhere = ""
        if finding.path and finding.path == raw.path:
            props.append(f"file={_escape_property(finding.path)}")
            if finding.line:
                props.append(f"line={finding.line}")
        elif finding.path:
            elsewhere = f" in {finding.path}" + (f" line {finding.line}" if finding.line else "")
        props.append(f"title={_escape_property(f'{finding.rule_id} {finding.title}')}")
        message = (finding.redacted or finding.message or finding.title) + elsewhere
        if finding.commit:
            message += f" (commit {finding.commit[:12]})"
        if finding.snippet:
            message += f"\n{finding.snippet}"
        if finding.secret_sha256:
            message += f"\nfingerprint: {finding.secret_sha256}"
        lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    return lines


def _cell(text: str | None) -> str:
    value = clean_text(text or "", human=True)
    return value.replace("|", "\\|").replace("\n", " ").replace("`", "'") or "–"


def summary_markdown(
    report: Report, scan: Range, threshold: Severity, code: int, notes: list[str]
) -> str:
    """The job summary: the verdict, the range, notes, and a table of up to 100 findings, every
    value escaped."""
    findings = report.sorted_findings()
    failing = [f for f in findings if f.severity >= threshold]
    verdict = (
        "passed"
        if code == 0
        else "failed: part of the scan could not be done"
        if code == 2
        else f"failed: {plural(len(failing), 'finding')} at or above {threshold.label}"
    )
    lines = [
        f"## fastaudit {verdict}",
        "",
        f"Scanned {_cell(scan.description)}.",
    ]
    lines += [f"- {_markdown(note)}" for note in notes + report.warnings[:10]]
    if findings:
        lines += [
            "",
            "| Severity | Rule | Location | Commit | Key | Line | Fingerprint |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for f in findings[:100]:
            where = f"{f.path}:{f.line}" if f.path and f.line else (f.path or f.key_name or "")
            snippet = f"`{_cell(f.snippet)}`" if f.snippet else "–"
            lines.append(
                f"| {f.severity.label} | {f.rule_id} {_cell(f.title)} | `{_cell(where)}` "
                f"| {_cell((f.commit or '')[:12])} | `{_cell(f.redacted or f.message)}` "
                f"| {snippet} | {_cell(f.secret_sha256)} |"
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
    from fastaudit.console import say

    repo = Path(env.get("GITHUB_WORKSPACE") or ".").resolve()
    threshold = Severity.parse(options.fail_on)
    scan = event_range(env, options.mode, repo)
    notes = ensure_range(repo, scan, ADVICE)
    for note in notes:
        say(note)
    say(f"scanning {scan.description}")
    code, report = run_scan(repo, scan, options)
    if sarif is not None:
        write_format(report, "sarif", sarif if sarif.is_absolute() else repo / sarif)
    # Paths and messages come from the repository: cleaned (control characters, any
    # key-shaped run) before they reach the log as workflow commands.
    prefixes = tuple(report.parameters.get("prefixes") or ())
    for line in workflow_commands(report.sorted_findings(), threshold, prefixes=prefixes):
        print(line, flush=True)
    _append(env.get("GITHUB_STEP_SUMMARY"), summary_markdown(report, scan, threshold, code, notes))
    outputs = {"findings": str(len(report.findings)), "exit-code": str(code)}
    if sarif is not None:
        outputs["sarif"] = str(sarif)
    outputs["range"] = f"{scan.base or ''}..{scan.head}"
    _append(env.get("GITHUB_OUTPUT"), step_outputs(outputs))
    return code


def step_outputs(values: Mapping[str, str]) -> str:
    """`$GITHUB_OUTPUT` lines in the delimiter form, each with a fresh random delimiter
    that the value does not hold: a value with a newline can never start an output line
    of its own (`exit-code=0` smuggled in a revision or a path)."""
    import secrets

    text = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        text.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(text)


_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|~\"'=:")
_HTML_SPECIAL = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _markdown(text: str) -> str:
    """Text for a Markdown line outside a table: cleaned, on one line, HTML characters as
    entities and every Markdown character escaped, so a file name cannot become a link,
    an image or markup."""
    value = clean_text(text, human=True)
    return "".join(
        _HTML_SPECIAL.get(c) or ("\\" + c if c in _MARKDOWN_SPECIAL else c) for c in value
    )
