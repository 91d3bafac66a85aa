"""Practice 5, "Monitor usage": FAST120 (stale) and FAST121 (never used)."""

from __future__ import annotations

from fastaudit.checks.base import CheckContext, CheckResult, days_between, exceeds, key_finding
from fastaudit.findings import Pass, Practice
from fastaudit.inventory import Inventory
from fastaudit.words import plural


def check(inventory: Inventory, context: CheckContext) -> CheckResult:
    """Practice 5 over every active key: unused for too long, or never used."""
    result = CheckResult()
    cfg = context.config
    for key in inventory.keys:
        if not key.active or key.created_at > context.as_of:
            continue
        age = days_between(key.created_at, context.as_of)
        finding = None
        if key.last_used_at is None:
            if exceeds(key.created_at, context.as_of, cfg.unused_grace_days):
                finding = key_finding(
                    "FAST121",
                    key,
                    f"never used in the {age} days since it was created",
                    {"age_days": age, "unused_grace_days": cfg.unused_grace_days},
                )
            else:
                reason = f"not used yet, within the {cfg.unused_grace_days}-day grace period"
        else:
            idle = days_between(key.last_used_at, context.as_of)
            if exceeds(key.last_used_at, context.as_of, cfg.stale_after_days):
                finding = key_finding(
                    "FAST120",
                    key,
                    f"unused for {idle} days (last used {str(key.last_used_at)[:10]})",
                    {"idle_days": idle, "stale_after_days": cfg.stale_after_days},
                )
            elif key.last_used_at > context.as_of:
                # The inventory was read after the audit date: used since, so not stale.
                reason = f"used after the audit date (last used {str(key.last_used_at)[:10]})"
            elif idle == 0:
                reason = f"used on the audit date (limit {cfg.stale_after_days} days idle)"
            else:
                reason = f"last used {plural(idle, 'day')} ago (limit {cfg.stale_after_days} days)"
        if finding is not None:
            result.findings.append(finding)
        else:
            result.passes.append(
                Pass(Practice.MONITOR, key.id, key.name, ("FAST120", "FAST121"), reason)
            )
    return result
