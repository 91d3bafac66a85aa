"""Hygiene rules over the key inventory, one module per best practice.

Every check is pure: inventory records (and optionally scan findings) in, findings and
passes out. A key that meets a practice yields a `Pass` with the reason, so a report can
show what was checked and not only what failed. Deleted keys are history: only the
leak check (practice 1) looks at them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastaudit.config import Config
from fastaudit.findings import RULES, Finding, Pass, Severity
from fastaudit.inventory import Departure, Inventory, InventoryKey


@dataclass(frozen=True)
class CheckContext:
    config: Config
    as_of: datetime
    departures: tuple[Departure, ...] = ()
    # FAST001/002 findings from scan or history: a tuple, or an audit's spool on disk.
    leaks: Sequence[Finding] = ()


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    passes: list[Pass] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: CheckResult) -> None:
        self.findings.extend(other.findings)
        self.passes.extend(other.passes)
        self.notes.extend(other.notes)


Check = Callable[[Inventory, CheckContext], CheckResult]


def all_checks() -> Sequence[Check]:
    from fastaudit.checks import allowlists, environments, leaks, rotation, usage

    return (leaks.check, allowlists.check, environments.check, rotation.check, usage.check)


def run(inventory: Inventory, context: CheckContext) -> CheckResult:
    result = CheckResult(notes=list(inventory.notes))
    for key in inventory.keys:
        if key.created_at > context.as_of:
            result.notes.append(
                f"{key.id} ({key.name}): created_at is after the as-of date; age checks skipped"
            )
        if key.last_used_at is not None and key.last_used_at < key.created_at:
            result.notes.append(
                f"{key.id} ({key.name}): last_used_at is before created_at; check the inventory"
            )
    for check in all_checks():
        result.extend(check(inventory, context))
    return result


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


def parameters(config: Config, as_of: datetime, source: str | None) -> dict[str, Any]:
    """What a check run depended on, for the report: reproducible only if recorded."""
    return {
        "as_of": as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "inventory": source,
        "thresholds": {
            "max_age_days": config.max_age_days,
            "rotation_overlap_days": config.rotation_overlap_days,
            "stale_after_days": config.stale_after_days,
            "unused_grace_days": config.unused_grace_days,
            "wide_ipv4_prefix": config.wide_ipv4_prefix,
            "wide_ipv6_prefix": config.wide_ipv6_prefix,
        },
        "config": config.source,
    }
