"""Text for people: one block per secret, the most severe first, then how to fix it.

Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import IO

from fastaudit.findings import RULES, Finding, Practice, Severity
from fastaudit.report import Report
from fastaudit.spool import rule_and_secret_groups
from fastaudit.words import plural

_COLOURS = {
    Severity.CRITICAL: "\x1b[1;35m",
    Severity.HIGH: "\x1b[1;31m",
    Severity.MEDIUM: "\x1b[33m",
    Severity.LOW: "\x1b[36m",
    Severity.INFO: "\x1b[2m",
}
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"


def allow_help() -> str:
    """The ways to accept a false alarm, with a baseline command that runs from the
    reader's shell (under pre-commit, `fastaudit` is not on their PATH)."""
    from fastaudit.console import self_command

    return (
        "If this is a false alarm, add the comment `fastaudit: allow` on that line "
        "(detect-secrets' `pragma: allowlist secret` works too), list its fingerprint in "
        "`allow_fingerprints` in [tool.fastaudit], or accept today's findings with "
        f"`{self_command()} baseline -o .fastaudit-baseline.json` and pass "
        "`--baseline .fastaudit-baseline.json`."
    )


def wants_colour(stream: IO[str]) -> bool:
    """Whether to colour the text report: never with NO_COLOR, always with FORCE_COLOR,
    else when the stream is a terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class _Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.enabled else text


def _location(finding: Finding) -> str:
    if finding.path is None:
        return f"key {finding.key_name!r} ({finding.key_id})" if finding.key_id else "-"
    where = finding.path
    if finding.line:
        where += f":{finding.line}"
        if finding.column:
            where += f":{finding.column}"
    if finding.disguise:
        where += f"  [{finding.disguise}]"
    if finding.repo:
        where = f"{finding.repo}: {where}"
    if finding.commit:
        where += f"  (commit {finding.commit[:12]}"
        if finding.author_email:
            where += f" by {finding.author_email}"
        if finding.date:
            where += f", {finding.date[:10]}"
        where += ", in HEAD)" if finding.in_head else ")"
    return where


def render(report: Report, stream: IO[str]) -> None:
    """Write the human report: findings grouped by rule and key, then totals and how to fix."""
    style = _Style(wants_colour(stream))
    findings = report.sorted_findings()
    for warning in report.warnings:
        stream.write(style(f"warning: {warning}", _DIM) + "\n")
    for note in report.notes:
        stream.write(style(f"note: {note}", _DIM) + "\n")
    if report.command == "audit":
        _scorecard(report, stream)
    elif report.passes:
        _passes(report, stream)
    if not findings:
        stream.write(f"fastaudit {report.command}: no findings{_scope(report)}.\n")
        return
    # One entry per key (same rule and fingerprint): a key on many paths and commits is
    # one thing to fix, with many places to look. An audit's spool groups on disk.
    total = 0
    rule_ids: set[str] = set()
    located = False
    for group in rule_and_secret_groups(findings):
        first = group[0]
        total += len(group)
        rule_ids.add(first.rule_id)
        located = located or any(f.path for f in group)
        label = style(f"{first.severity.label.upper():8}", _COLOURS[first.severity])
        subject = first.redacted or first.message or first.key_name or ""
        stream.write(f"{label} {style(first.rule_id, _BOLD)}  {first.title}: {subject}\n")
        if first.message and first.message != subject:
            stream.write(f"         {first.message}\n")
        for finding in group:
            where = _location(finding)
            if where != "-":
                stream.write(f"         {where}\n")
            if finding.snippet:
                stream.write(style(f"           {finding.snippet}", _DIM) + "\n")
        if first.secret_sha256:
            stream.write(style(f"         fingerprint: {first.secret_sha256}", _DIM) + "\n")
        if first.evidence and first.rule_id != "FAST003":
            details = ", ".join(f"{k}={v}" for k, v in first.evidence.items())
            stream.write(style(f"         evidence: {details}", _DIM) + "\n")
        if first.verification:
            stream.write(f"         verification: {first.verification}\n")
    secrets = report.counts().secrets
    stream.write(
        f"\nfastaudit {report.command}: {total} finding{'s' if total != 1 else ''}"
        + (f" ({secrets} distinct key{'s' if secrets != 1 else ''})" if secrets else "")
        + f"{_scope(report)}.\n"
    )
    stream.write("\nHow to fix:\n")
    for rule_id in sorted(rule_ids):
        stream.write(f"  {rule_id}: {RULES[rule_id].remediation}\n")
    if located:
        stream.write(f"  {allow_help()}\n")


def _scorecard(report: Report, stream: IO[str]) -> None:
    from fastaudit.report import scorecard
    from fastaudit.report.actions import actions

    todo = actions(report.sorted_findings())
    if todo:
        stream.write("What to do now:\n")
        for number, action in enumerate(todo, 1):
            names = ", ".join(label for label, _ in action.subjects[:5])
            more = len(action.subjects) - 5
            names += f" and {more} more" if more > 0 else ""
            stream.write(f"  {number}. [{action.severity.label}] {action.text}: {names}\n")
        stream.write("\n")
    stream.write("Best practices:\n")
    for card in scorecard(report):
        if card["status"] == "fail":
            state = f"{plural(card['failing_findings'], 'finding')}"
            if card.get("unproven"):
                state += f", FAILED: {card['unproven']}"
        else:
            state = "pass" if card["status"] == "pass" else "not checked"
        stream.write(f"  {card['practice']}. {card['title']}: {state}\n")
    for repo in report.repos:
        if repo.get("error"):
            stream.write(f"  repository {repo['name']}: FAILED: {repo['error']}\n")
    if report.trend:
        t = report.trend
        stream.write(
            f"Since the previous report: {t['new']} new, {t['open']} open, {t['fixed']} fixed\n"
        )
    stream.write("\n")


def _passes(report: Report, stream: IO[str]) -> None:
    """Coverage: how many keys met each practice, so a clean report is not an empty one."""
    by_practice: dict[int, int] = defaultdict(int)
    for passed in report.passes:
        by_practice[int(passed.practice)] += 1
    summary = ", ".join(f"{Practice(p).title}: {n}" for p, n in sorted(by_practice.items()))
    stream.write(f"passing checks by practice: {summary}\n\n")


def _scope(report: Report) -> str:
    keys = report.stats.get("keys_checked")
    repos = report.stats.get("repositories")
    if repos is not None:
        kept_out = ""
        inline = report.stats.get("suppressed_inline") or 0
        excluded = report.stats.get("skipped_excluded") or 0
        if inline or excluded:
            kept_out = (
                f"; kept out by the repositories' own allow comments: {inline}, "
                f"excluded files: {excluded}"
            )
        return (
            f" across {repos} repositor{'y' if repos == 1 else 'ies'} "
            f"({report.stats.get('files_scanned', 0)} files, "
            f"{report.stats.get('objects_total', 0)} git objects{kept_out}) and "
            f"{keys or 0} inventory keys"
        )
    if keys is not None:
        return f" in {keys} inventory key{'s' if keys != 1 else ''}"
    files = report.stats.get("files_scanned")
    total = report.stats.get("objects_total")
    if files is not None:
        return f" in {files} file{'s' if files != 1 else ''}"
    if total is not None:
        cached = report.stats.get("objects_from_cache") or 0
        note = f", {cached} unchanged since the last scan" if cached else ""
        return f" in {total} git object{'s' if total != 1 else ''}{note}"
    return ""
