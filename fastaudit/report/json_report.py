"""The JSON report: the stable contract of DESIGN.md, `schema_version` first."""

from __future__ import annotations

import json
from typing import IO, Any

from fastaudit.findings import Finding
from fastaudit.report import SCHEMA_VERSION, Report, clean_document


def as_document(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "fastaudit", "version": report.tool_version},
        "command": report.command,
        "generated_at": report.generated_at,
        "root": report.root,
        "parameters": report.parameters,
        "summary": report.summary(),
        "stats": report.stats,
        "findings": [f.to_dict() for f in report.sorted_findings()],
        "secrets": group_by_secret(report.sorted_findings()),
        "passes": [p.to_dict() for p in report.passes],
        "repos": report.repos,
        "trend": report.trend,
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


def render(report: Report, stream: IO[str]) -> None:
    json.dump(clean_document(as_document(report), report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
