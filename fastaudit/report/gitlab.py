"""GitLab's secret-detection report (`gl-secret-detection-report.json`, schema 15.0.7), so
findings show in the merge-request widget, the pipeline's security tab and the
vulnerability report.

Only findings at a place in the code are vulnerabilities there (a key or an http:// URL in
a file or commit); inventory findings have no file and are counted in the scan's
messages. Never a key: GitLab's own analyzer puts the matched text in
`raw_source_code_extract`; this report leaves that field out and names the key only in its
redacted form. A vulnerability's id is a UUID derived from what it is and where, so GitLab
tracks the same finding across pipelines instead of reopening it each time.
"""

from __future__ import annotations

import uuid
from typing import IO, Any

from fastaudit import PROJECT_URL, __version__
from fastaudit.findings import Finding, Severity
from fastaudit.report import Report, clean_document, dump_json
from fastaudit.words import plural

SCHEMA_VERSION = "15.0.7"
SCHEMA_URL = (
    "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/"
    f"v{SCHEMA_VERSION}/dist/secret-detection-report-format.json"
)
_NAMESPACE = uuid.UUID("6f1d52a8-3c44-5f0e-9a61-0fa57a0d1701")
_SEVERITY = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}
# GitLab's own analyzer uses this when a finding has no commit (a working-tree scan).
NO_COMMIT = "0000000"
_TOOL = {
    "id": "fastaudit",
    "name": "fastaudit",
    "version": __version__,
    "vendor": {"name": "fastaudit"},
}


def _uuid5(name: str) -> uuid.UUID:
    """`uuid.uuid5` over the name's bytes as they were (a file name that is not UTF-8 keeps
    its surrogate escapes, which `uuid5` cannot encode)."""
    import hashlib

    digest = hashlib.sha1(_NAMESPACE.bytes + name.encode("utf-8", "surrogateescape")).digest()
    return uuid.UUID(bytes=digest[:16], version=5)


def _timestamp(text: str) -> str:
    """`2026-11-25T10:00:00Z` -> `2026-11-25T10:00:00` (the schema's pattern has no zone)."""
    return text.replace("Z", "")[:19]


def _vulnerability(finding: Finding) -> dict[str, Any]:
    ident = "\x1f".join(
        str(part or "")
        for part in (
            finding.rule_id,
            finding.fingerprint,
            finding.repo,
            finding.path,
            finding.commit,
        )
    )
    commit: dict[str, Any] = {"sha": finding.commit or NO_COMMIT}
    if finding.author_email:
        commit["author"] = finding.author_email
    if finding.date:
        commit["date"] = finding.date
    location: dict[str, Any] = {"file": finding.path, "commit": commit}
    if finding.line:
        location["start_line"] = finding.line
        location["end_line"] = finding.line
    subject = finding.redacted or finding.message or ""
    description = finding.rule.description
    if subject:
        description = f"{subject}: {description}"
    if finding.disguise:
        description += f" Found {finding.disguise}."
    if finding.in_head is False:
        description += " The file no longer holds it at HEAD, but history does."
    return {
        "id": str(_uuid5(ident)),
        "category": "secret_detection",
        "name": finding.title,
        "description": description,
        "severity": _SEVERITY[finding.severity],
        "confidence": "High",
        "solution": finding.remediation[:7000],
        "identifiers": [
            {
                "type": "fastaudit_rule_id",
                "name": f"fastaudit {finding.rule_id}",
                "value": finding.rule_id,
            }
        ],
        "location": location,
    }


def as_document(report: Report) -> dict[str, Any]:
    """GitLab's secret-detection report (schema 15.0.7) for this report's findings."""
    located = [f for f in report.sorted_findings() if f.path]
    elsewhere = len(report.findings) - len(located)
    messages = [{"level": "warn", "value": w} for w in report.warnings if w]
    if elsewhere:
        messages.append(
            {
                "level": "info",
                "value": f"{plural(elsewhere, 'finding')} about inventory keys have no place "
                "in the "
                "code; they are in fastaudit's JSON and HTML reports",
            }
        )
    failed = any(r.get("error") for r in report.repos) or bool(report.stats.get("incomplete"))
    when = _timestamp(report.generated_at)
    return {
        "version": SCHEMA_VERSION,
        "schema": SCHEMA_URL,
        "scan": {
            "analyzer": _TOOL,
            "scanner": {**_TOOL, "url": PROJECT_URL},
            "type": "secret_detection",
            "start_time": when,
            "end_time": when,
            "status": "failure" if failed else "success",
            "messages": messages,
        },
        "vulnerabilities": [_vulnerability(f) for f in located],
    }


def render(report: Report, stream: IO[str]) -> None:
    """Write GitLab's secret-detection report, cleaned, to `stream`."""
    dump_json(clean_document(as_document(report), report), stream)
