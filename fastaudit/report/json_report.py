"""The JSON report: the stable contract of DESIGN.md, `schema_version` first."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from fastaudit.findings import Finding
from fastaudit.report import SCHEMA_VERSION, Report, clean_document, write_list
from fastaudit.spool import secret_groups


def as_document(
    report: Report, findings: Sequence[Finding] | None = None, *, streamed: bool = False
) -> dict[str, Any]:
    """The whole report as one JSON-shaped dict; with `streamed`, the long lists are left
    as placeholders for `render` to write entry by entry."""
    findings = report.sorted_findings() if findings is None else findings
    lists = {} if streamed else {k: list(v) for k, v in _long_lists(report, findings).items()}
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "fastaudit", "version": report.tool_version},
        "command": report.command,
        "generated_at": report.generated_at,
        "root": report.root,
        "parameters": report.parameters,
        "summary": report.summary(),
        "stats": report.stats,
        "findings": lists.get("findings", []),
        "secrets": lists.get("secrets", []),
        "passes": lists.get("passes", []),
        "repos": lists.get("repos", []),
        "trend": report.trend,
        "trends": report.trends,
        "key_lifecycle": report.key_lifecycle,
        "fixed": lists.get("fixed", []),
        "notes": report.notes,
        "warnings": report.warnings,
    }


def _long_lists(report: Report, findings: Sequence[Finding]) -> dict[str, Iterable[Any]]:
    """The lists that grow with the size of the run (findings, keys, repositories), as
    iterables: `render` writes them entry by entry, so a report on thousands of
    repositories never holds its whole document, or its text, in memory."""
    return {
        "findings": (f.to_dict() for f in findings),
        "secrets": group_by_secret(findings),
        "passes": (p.to_dict() for p in report.passes),
        "repos": report.repos,
        "fixed": (f.to_dict() for f in report.fixed),
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


def group_by_secret(findings: Iterable[Finding]) -> Iterator[dict[str, Any]]:
    """One entry per leaked key with all its locations: the same key on many paths and
    commits is one secret to rotate, not many. Entries are built one at a time, in the
    order each key is first met."""
    for secret_sha256, members in secret_groups(findings):
        first = members[0]
        rule_ids: list[str] = []
        in_head: bool | None = None
        locations = []
        for finding in members:
            if finding.rule_id not in rule_ids:
                rule_ids.append(finding.rule_id)
            if finding.in_head is not None:
                in_head = bool(in_head) or finding.in_head
            entry = finding.to_dict()
            locations.append({k: entry[k] for k in _LOCATION_FIELDS if k in entry})
        yield {
            "secret_sha256": secret_sha256,
            "redacted": first.redacted,
            "severity": first.severity.label,
            "rule_ids": rule_ids,
            "in_head": in_head,
            "verification": first.verification,
            "locations": locations,
        }


def render(report: Report, stream: IO[str]) -> None:
    """Write the JSON report (schema_version first, long lists one entry per line) to `stream`."""
    findings = report.sorted_findings()
    document = as_document(report, findings, streamed=True)
    lists = _long_lists(report, findings)
    stream.write("{\n")
    keys = list(document)
    for position, key in enumerate(keys):
        separator = ",\n" if position < len(keys) - 1 else "\n"
        stream.write(f"  {json.dumps(key)}: ")
        if key in lists:
            write_list(stream, lists[key], report, "  ")
        else:
            text = _dumps(clean_document(document[key], report))
            stream.write(text.replace("\n", "\n  "))
        stream.write(separator)
    stream.write("}\n")


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


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
