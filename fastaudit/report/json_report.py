"""The JSON report: the stable contract of DESIGN.md, `schema_version` first."""

from __future__ import annotations

import json
from typing import IO, Any

from fastaudit.report import SCHEMA_VERSION, Report


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
        "warnings": report.warnings,
    }


def render(report: Report, stream: IO[str]) -> None:
    json.dump(as_document(report), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
