"""What every check shares: the context it judges in, the result it returns, and the
helpers for dates and inventory findings. The checks import this, never the package, so
the package can import the checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastaudit.config import Config
from fastaudit.findings import RULES, Finding, Pass, Severity
from fastaudit.inventory import Departure, Inventory, InventoryKey


@dataclass(frozen=True)
class CheckContext:
    """What every check judges against: the settings, the as-of date, departures and the leaked
    keys found by a scan."""

    config: Config
    as_of: datetime
    departures: tuple[Departure, ...] = ()
    # FAST001/002 findings from scan or history: a tuple, or an audit's spool on disk.
    leaks: Sequence[Finding] = ()


@dataclass
class CheckResult:
    """A check's findings, the passes it can vouch for, and notes on what it could not judge."""

    findings: list[Finding] = field(default_factory=list)
    passes: list[Pass] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: CheckResult) -> None:
        """Add another result's findings, passes and notes after these."""
        self.findings.extend(other.findings)
        self.passes.extend(other.passes)
        self.notes.extend(other.notes)


Check = Callable[[Inventory, CheckContext], CheckResult]


def key_finding(
    rule_id: str,
    key: InventoryKey,
    message: str,
    evidence: dict[str, object],
    severity: Severity | None = None,
) -> Finding:
    """A finding about one inventory key, at the rule's severity unless told otherwise."""
    return Finding(
        rule_id=rule_id,
        severity=severity if severity is not None else RULES[rule_id].severity,
        source="inventory",
        key_id=key.id,
        key_name=key.name,
        message=message,
        evidence=evidence,
    )


def exceeds(earlier: datetime, later: datetime, days: int) -> bool:
    """More than `days` elapsed, to the second: exactly 90 days is not over a 90-day limit,
    90 days and one second is."""
    return later - earlier > timedelta(days=days)


def days_between(earlier: datetime, later: datetime) -> int:
    """Whole days elapsed (floor): exactly 90 days old is 90, one second short is 89."""
    return int((later - earlier).total_seconds() // 86400)
