"""What changed since the last report: each finding is new or still open, and what the
last report had that this one does not is fixed.

A finding is identified by its rule, what it is about (secret fingerprint, key id, or
message) and where (repo and path, or the key): not by line number or date, so editing a
file above a known key does not make it "new".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fastaudit.findings import Finding

NEW = "new"
OPEN = "open"
FIXED = "fixed"


def identity(finding: Finding) -> tuple[str, str, str, str]:
    """What makes a finding the same one in two runs: rule, fingerprint, repository, place."""
    return (
        finding.rule_id,
        finding.fingerprint or "",
        finding.repo or "",
        finding.path or finding.key_id or "",
    )


@dataclass
class Trend:
    """This run's findings marked new or still open against the previous run, and the fixed ones."""

    findings: list[Finding]
    fixed: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """New, still open and fixed, counted."""
        return {
            NEW: sum(1 for f in self.findings if f.status == NEW),
            OPEN: sum(1 for f in self.findings if f.status == OPEN),
            FIXED: len(self.fixed),
        }


def compare(current: Sequence[Finding], previous: Sequence[Finding]) -> Trend:
    """Mark each finding new or still open against `previous`; what `previous` had and this run has
    not is fixed."""
    before = {identity(f) for f in previous}
    now = {identity(f) for f in current}
    marked = [f.with_changes(status=OPEN if identity(f) in before else NEW) for f in current]
    seen: set[tuple[str, str, str, str]] = set()
    fixed = []
    for old in previous:
        ident = identity(old)
        if ident not in now and ident not in seen:
            seen.add(ident)
            fixed.append(old.with_changes(status=FIXED))
    return Trend(marked, fixed)
