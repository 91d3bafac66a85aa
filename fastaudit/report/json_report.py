"""The JSON report: the stable contract of DESIGN.md, `schema_version` first."""

from __future__ import annotations

import json
from typing import IO, Any

from fastaudit.findings import Finding
from fastaudit.report import SCHEMA_VERSION, Report, clean_document


def as_document(
    report: Report, findings: list[Finding] | None = None, *, streamed: bool = False
) -> dict[str, Any]:
    """The whole report as one JSON-shaped dict; with `streamed`, the long lists are left
    as placeholders for `render` to write entry by entry."""
    findings = report.sorted_findings() if findings is None else findings
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "fastaudit", "version": report.tool_version},
        "command": report.command,
        "generated_at": report.generated_at,
        "root": report.root,
        "parameters": report.parameters,
        "summary": report.summary(),
        "stats": report.stats,
        "findings": [] if streamed else [f.to_dict() for f in findings],
        "secrets": group_by_secret(findings),
        "passes": [] if streamed else [p.to_dict() for p in report.passes],
        "repos": report.repos,
        "trend": report.trend,
        "trends": report.trends,
        "key_lifecycle": report.key_lifecycle,
        "fixed": [f.to_dict() for f in report.fixed],
        "notes": report.notes,
        "warnings": report.warnings,
    }


_LOCATION_FIELDS = (
    "repo",
    "path",
    "line",
    "column",
    "commit",
    "author_email",
    "date",
    "refs",
    "in_head",
    "source",
)


def group_by_secret(findings: list[Finding]) -> list[dict[str, Any]]:
    """One entry per leaked key with all its locations: the same key on many paths and
    commits is one secret to rotate, not many."""
    groups: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if finding.secret_sha256 is None:
            continue
        group = groups.setdefault(
            finding.secret_sha256,
            {
                "secret_sha256": finding.secret_sha256,
                "redacted": finding.redacted,
                "severity": finding.severity.label,
                "rule_ids": [],
                "in_head": None,
                "verification": finding.verification,
                "locations": [],
            },
        )
        if finding.rule_id not in group["rule_ids"]:
            group["rule_ids"].append(finding.rule_id)
        if finding.in_head is not None:
            group["in_head"] = bool(group["in_head"]) or finding.in_head
        entry = finding.to_dict()
        group["locations"].append({k: entry[k] for k in _LOCATION_FIELDS if k in entry})
    return list(groups.values())


# Lists that grow with the size of the run: written one entry at a time, so a report on a
# million inventory keys never holds its whole document (or its text) in memory.
_STREAMED = ("findings", "passes")


def render(report: Report, stream: IO[str]) -> None:
    findings = report.sorted_findings()
    document = as_document(report, findings, streamed=True)
    stream.write("{\n")
    keys = list(document)
    for position, key in enumerate(keys):
        separator = ",\n" if position < len(keys) - 1 else "\n"
        stream.write(f"  {json.dumps(key)}: ")
        if key == "findings":
            _write_list(stream, (f.to_dict() for f in findings), report)
        elif key == "passes":
            _write_list(stream, (p.to_dict() for p in report.passes), report)
        else:
            text = _dumps(clean_document(document[key], report))
            stream.write(text.replace("\n", "\n  "))
        stream.write(separator)
    stream.write("}\n")


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _write_list(stream: IO[str], items: Any, report: Report) -> None:
    first = True
    for item in items:
        stream.write("[\n    " if first else ",\n    ")
        stream.write(_dumps(clean_document(item, report)).replace("\n", "\n    "))
        first = False
    stream.write("[]" if first else "\n  ]")


def render_trends(document: dict[str, Any], stream: IO[str]) -> None:
    """`fastaudit trends --json`: every string cleaned, the whole passed through the last
    redaction, written compact (a year of runs over thousands of repositories is data, not
    prose, and `json.dumps` in one piece is the C encoder, ten times the indented one)."""
    from fastaudit.sanitize import RedactingWriter, clean

    guarded = RedactingWriter(stream, ())
    guarded.write(
        json.dumps(clean(document, human=False), separators=(",", ":"), ensure_ascii=False)
    )
    guarded.write("\n")
    guarded.close()
