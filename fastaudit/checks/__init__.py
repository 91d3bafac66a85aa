"""Hygiene rules over the key inventory, one module per best practice.

Every check is pure: inventory records (and optionally scan findings) in, findings and
passes out. A key that meets a practice yields a `Pass` with the reason, so a report can
show what was checked and not only what failed. Deleted keys are history: only the
leak check (practice 1) looks at them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastaudit.checks.base import (
    Check,
    CheckContext,
    CheckResult,
    days_between,
    exceeds,
    key_finding,
)
from fastaudit.config import Config
from fastaudit.inventory import Inventory

__all__ = [
    "Check",
    "CheckContext",
    "CheckResult",
    "all_checks",
    "days_between",
    "exceeds",
    "key_finding",
    "parameters",
    "run",
]


def all_checks() -> Sequence[Check]:
    """Every practice's check, in the order the report lists them."""
    from fastaudit.checks import allowlists, environments, leaks, rotation, usage

    return (leaks.check, allowlists.check, environments.check, rotation.check, usage.check)


def run(inventory: Inventory, context: CheckContext) -> CheckResult:
    """Every check over the inventory, plus notes on records that cannot be judged as given
    (created in the future, used before created)."""
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
