"""Reporters. Each renders a `Report` to a text stream with the same signature, and none
opens a file: the CLI owns where output goes (and writes it atomically)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any

from fastaudit import __version__
from fastaudit.findings import Finding, Pass, Practice, Severity, sort_key
from fastaudit.spool import FindingCounts, SpooledFindings, SpooledRepos
from fastaudit.words import plural

SCHEMA_VERSION = "1.0"

# name -> module implementing `render(report, stream)`; imported on use so that the
# pre-commit hook never pays for jinja2 or the SARIF tables.
FORMATS: dict[str, str] = {
    "text": "fastaudit.report.text",
    "json": "fastaudit.report.json_report",
    "sarif": "fastaudit.report.sarif",
    "html": "fastaudit.report.html",
    "junit": "fastaudit.report.junit",
    "gitlab": "fastaudit.report.gitlab",
}


@dataclass
class Report:
    """What one run found, and enough about the run to reproduce and trust it."""

    command: str
    # A list, or an audit's spool on disk (read again on each pass).
    findings: Sequence[Finding]
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
    repos: Sequence[dict[str, Any]] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)  # since --previous
    trend: dict[str, int] | None = None
    # Across every run in the audit store (`--db`): the `fastaudit trends` document.
    trends: dict[str, Any] | None = None
    # Each inventory key from creation to deletion (any run with an inventory).
    key_lifecycle: list[dict[str, Any]] | None = None

    def sorted_findings(self) -> Sequence[Finding]:
        """The findings in report order: severity, then place."""
        if isinstance(self.findings, SpooledFindings):
            return self.findings.in_report_order()  # sorted on disk
        return sorted(self.findings, key=sort_key)

    def counts(self) -> FindingCounts:
        """Totals by severity, rule and practice (counted on disk for a spooled audit)."""
        return FindingCounts.of(self.findings)

    def summary(self) -> dict[str, Any]:
        """The headline numbers every format shows."""
        counts = self.counts()
        return {
            "total": counts.total,
            "by_severity": {s.label: counts.by_severity.get(s, 0) for s in reversed(Severity)},
            "by_rule": dict(sorted(counts.by_rule.items())),
            "by_practice": {str(int(p)): n for p, n in sorted(counts.by_practice.items())},
            "by_repo": dict(sorted(counts.by_repo.items())),
            "scorecard": scorecard(self, counts),
        }


def _checked(report: Report, practice: Practice) -> str | None:
    """What was looked at for a practice, in words; None when nothing was."""
    stats = report.stats
    files = stats.get("files_scanned")
    objects = stats.get("objects_total")
    keys = stats.get("keys_checked") or 0
    active = stats.get("active_keys", keys)
    parameters = report.parameters.get("thresholds", {})
    scanned = []
    if files is not None:
        scanned.append(f"{files} files")
    if objects is not None:
        scanned.append(f"{objects} git objects")
    count = len(report.repos)
    repos = f" in {count} repositor{'y' if count == 1 else 'ies'}" if report.repos else ""
    if practice is Practice.NEVER_COMMIT:
        parts = [" and ".join(scanned) + repos] if scanned else []
        if keys and stats.get("leaks_given", 1):
            parts.append(f"{keys} inventory keys matched against leaked keys")
        return "; ".join(parts) or None
    if practice is Practice.HTTPS_ONLY:
        return f"http:// Tools.FAST URLs in {files} files{repos}" if files is not None else None
    if not keys:
        if practice is Practice.SEPARATE_ENVIRONMENTS and scanned:
            return "leaked keys compared across environment files (no inventory given)"
        return None
    if practice is Practice.IP_ALLOWLISTS:
        return f"allowlists of {active} active keys"
    if practice is Practice.SEPARATE_ENVIRONMENTS:
        return f"environment of {active} active keys; leaked keys across environment files"
    if practice is Practice.ROTATE:
        limit = parameters.get("max_age_days", 90)
        departures = stats.get("departures", 0)
        return (
            f"age of {active} active keys (limit {limit} days), rotation overlaps, "
            f"{plural(departures, 'recorded departure')}"
        )
    limit = parameters.get("stale_after_days", 45)
    return f"last use of {active} active keys (stale after {limit} days)"


# Practices judged by scanning repositories: a repository that could not be scanned
# leaves them unproven, and unproven is a failure, never a pass.
REPOSITORY_PRACTICES = frozenset(
    {Practice.NEVER_COMMIT, Practice.SEPARATE_ENVIRONMENTS, Practice.HTTPS_ONLY}
)


def failed_repos(report: Report) -> list[dict[str, Any]]:
    """The repositories of an audit that could not be scanned."""
    if isinstance(report.repos, SpooledRepos):
        return report.repos.failed()
    return [r for r in report.repos if r.get("error")]


def scorecard(report: Report, counts: FindingCounts | None = None) -> list[dict[str, Any]]:
    """The six practices: checked or not, how many findings, how many passes."""
    counts = counts or report.counts()
    cards = []
    unscanned = failed_repos(report)
    incomplete = report.stats.get("incomplete")
    for practice in Practice:
        failing = counts.by_practice.get(practice, 0)
        passing = sum(1 for p in report.passes if p.practice is practice)
        checked = _checked(report, practice)
        unproven = None
        if practice in REPOSITORY_PRACTICES and unscanned:
            count = len(unscanned)
            unproven = f"{count} repositor{'y' if count == 1 else 'ies'} could not be scanned"
        elif practice is Practice.NEVER_COMMIT and incomplete:
            unproven = str(incomplete)
        if failing or unproven:
            status = "fail"
        elif checked:
            status = "pass"
        else:
            status = "not_checked"
        cards.append(
            {
                "practice": int(practice),
                "title": practice.title,
                "guidance": practice.guidance,
                "status": status,
                "failing_findings": failing,
                "failing_subjects": counts.subjects.get(practice, 0),
                "passing": passing,
                "checked": checked or "not checked in this run",
                "unproven": unproven,
            }
        )
    return cards


Renderer = Callable[[Report, IO[str]], None]


def renderer(name: str) -> Renderer:
    """The render function of format `name`, imported on first use."""
    module = importlib.import_module(FORMATS[name])
    render: Renderer = module.render
    return render


# Formats whose renderer builds a document from the raw report and cleans that itself
# (SARIF must percent-encode a file name's original bytes, not an escaped form).
_CLEANS_OWN_DOCUMENT = frozenset({"json", "sarif", "gitlab"})


def render(name: str, report: Report, stream: IO[str]) -> None:
    """Render `report` as `name` onto `stream`, through the one sanitising step: every
    string is cleaned before rendering, and everything written passes a last redaction
    on its way out, so no key-shaped run, URL password or raw control character can reach
    any format."""
    from fastaudit.sanitize import RedactingWriter, clean

    prefixes = tuple(report.parameters.get("prefixes") or ())
    if name not in _CLEANS_OWN_DOCUMENT:
        report = clean(report, human=name == "text", prefixes=prefixes)
    guarded = RedactingWriter(stream, prefixes)
    renderer(name)(report, guarded)  # type: ignore[arg-type]
    guarded.close()


def dump_json(document: Any, stream: IO[str]) -> None:
    """`document` as indented JSON, written in large pieces (json.dump's many tiny writes
    dominate the cost of a large report)."""
    import json

    pieces: list[str] = []
    size = 0
    for piece in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(document):
        pieces.append(piece)
        size += len(piece)
        if size > 1 << 16:
            stream.write("".join(pieces))
            pieces, size = [], 0
    pieces.append("\n")
    stream.write("".join(pieces))


def write_list(stream: IO[str], items: Iterable[Any], report: Report, indent: str) -> None:
    """A JSON list whose own line is indented by `indent`, one cleaned entry per line:
    as readable in a long report as an indented one, greppable, written as each entry is
    made, and by the C encoder (the indenting one is pure Python, and was most of the
    time a 1,000-repository report took to write)."""
    import json

    first = True
    for item in items:
        stream.write(f"[\n{indent}  " if first else f",\n{indent}  ")
        stream.write(json.dumps(clean_document(item, report), ensure_ascii=False))
        first = False
    stream.write("[]" if first else f"\n{indent}]")


def clean_document(document: Any, report: Report) -> Any:
    """A JSON-shaped document with every string cleaned (for the JSON and SARIF writers)."""
    from fastaudit.sanitize import clean

    return clean(document, human=False, prefixes=tuple(report.parameters.get("prefixes") or ()))
