"""Reporters. Each renders a `Report` to a text stream with the same signature, and none
opens a file: the CLI owns where output goes (and writes it atomically)."""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any

from fastaudit import __version__
from fastaudit.findings import Finding, Pass, Severity, sort_key

SCHEMA_VERSION = "1.0"

# name -> module implementing `render(report, stream)`; imported on use so that the
# pre-commit hook never pays for jinja2 or the SARIF tables.
FORMATS: dict[str, str] = {
    "text": "fastaudit.report.text",
    "json": "fastaudit.report.json_report",
    "sarif": "fastaudit.report.sarif",
}


@dataclass
class Report:
    """What one run found, and enough about the run to reproduce and trust it."""

    command: str
    findings: list[Finding]
    root: str | None = None
    generated_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    tool_version: str = __version__
    passes: list[Pass] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=sort_key)

    def summary(self) -> dict[str, Any]:
        by_severity = Counter(f.severity.label for f in self.findings)
        return {
            "total": len(self.findings),
            "by_severity": {s.label: by_severity.get(s.label, 0) for s in reversed(Severity)},
            "by_rule": dict(sorted(Counter(f.rule_id for f in self.findings).items())),
            "by_practice": {
                str(p): n
                for p, n in sorted(Counter(int(f.practice) for f in self.findings).items())
            },
        }


Renderer = Callable[[Report, IO[str]], None]


def renderer(name: str) -> Renderer:
    module = importlib.import_module(FORMATS[name])
    render: Renderer = module.render
    return render


def render(name: str, report: Report, stream: IO[str]) -> None:
    renderer(name)(report, stream)
