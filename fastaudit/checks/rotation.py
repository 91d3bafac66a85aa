"""Practice 4, "Rotate keys periodically; at minimum when team members leave":
FAST110-FAST112.

A rotated key is a new key (new id, new created_at), so a key's age is its time since
rotation. Rotation in the document's four steps: create, deploy, verify, delete; both
keys are valid until step 4, which is why a rotation left half done is a finding.
"""

from __future__ import annotations

import re
from collections import defaultdict

from fastaudit.checks.base import CheckContext, CheckResult, days_between, exceeds, key_finding
from fastaudit.findings import ROTATION_STEPS, RULES, Finding, Pass, Practice, Severity
from fastaudit.inventory import Inventory, InventoryKey


def _day(key_time: object) -> str:
    return str(key_time)[:10]


def rotation_group(key: InventoryKey) -> tuple[str, str]:
    """Keys for the same purpose: same name (ignoring case, spacing and a trailing
    "new"/"old"/version/date marker) and environment.

    A marker must stand apart from the name ("Backend v2", "backend_new", "Backend
    (2026-05)"): a number glued to a word is part of the name, so "Production Used44"
    and "Production Used46", or "Slash24" and "Slash23", are different keys."""
    name = _ROTATION_MARKER.sub("", key.name.lower().strip())
    name = re.sub(r"[\s_\-]+", " ", name).strip()
    return name, key.environment or ""


_ROTATION_MARKER = re.compile(
    r"(?:^|[\s_\-]+)\(?(?:new|old|v\d+|\d{4}-\d{2}(?:-\d{2})?|\d{8}|\d+)\)?$"
)


def _age(key: InventoryKey, context: CheckContext) -> list[Finding]:
    limit = context.config.max_age_days
    age = days_between(key.created_at, context.as_of)
    if not exceeds(key.created_at, context.as_of, limit):
        return []
    severity = (
        Severity.HIGH
        if exceeds(key.created_at, context.as_of, 2 * limit)
        else RULES["FAST110"].severity
    )
    return [
        key_finding(
            "FAST110",
            key,
            severity=severity,
            message=f"key is {age} days old; rotate at least every {limit} days",
            evidence={"age_days": age, "max_age_days": limit, "created_at": _day(key.created_at)},
        )
    ]


def _half_done(keys: list[InventoryKey], context: CheckContext) -> list[Finding]:
    window = context.config.rotation_overlap_days
    findings = []
    ordered = sorted(keys, key=lambda k: k.created_at)
    newest = ordered[-1]
    overlap = days_between(newest.created_at, context.as_of)
    if not exceeds(newest.created_at, context.as_of, window):
        return []
    for old in ordered[:-1]:
        still_used = old.last_used_at is not None and old.last_used_at >= newest.created_at
        if still_used:
            missing = (
                f"the old key is still being used (last used {_day(old.last_used_at)}): step 2 "
                f"is pending. (2) {ROTATION_STEPS[1]} (3) {ROTATION_STEPS[2]} "
                f"(4) {ROTATION_STEPS[3]}"
            )
            step = 2
        else:
            missing = (
                "the old key is idle since the new one was created: step 4 was forgotten. "
                f"(4) {ROTATION_STEPS[3]}"
            )
            step = 4
        findings.append(
            key_finding(
                "FAST111",
                old,
                severity=RULES["FAST111"].severity,
                message=f"rotation to {newest.id} left half done for {overlap} days: {missing}",
                evidence={
                    "old_key": old.id,
                    "new_key": newest.id,
                    "overlap_days": overlap,
                    "rotation_overlap_days": window,
                    "pending_step": step,
                    "old_last_used_at": _day(old.last_used_at) if old.last_used_at else None,
                },
            )
        )
    return findings


def _departures(key: InventoryKey, context: CheckContext) -> list[Finding]:
    left = [d for d in context.departures if key.created_at < d.left_at <= context.as_of]
    if not left:
        return []
    names = ", ".join(
        f"{d.name} ({_day(d.left_at)})" for d in sorted(left, key=lambda d: d.left_at)
    )
    return [
        key_finding(
            "FAST112",
            key,
            severity=RULES["FAST112"].severity,
            message=f"created {_day(key.created_at)}, before {names} left; not rotated since",
            evidence={
                "created_at": _day(key.created_at),
                "departures": [{"name": d.name, "left_at": _day(d.left_at)} for d in left],
            },
        )
    ]


def check(inventory: Inventory, context: CheckContext) -> CheckResult:
    """Practice 4 over every active key: age, half-done rotations, departures since creation."""
    result = CheckResult()
    active = [k for k in inventory.keys if k.active]
    groups: dict[tuple[str, str], list[InventoryKey]] = defaultdict(list)
    for key in active:
        groups[rotation_group(key)].append(key)
    half_done: dict[str, list[Finding]] = defaultdict(list)
    for members in groups.values():
        if len(members) > 1:
            for finding in _half_done(members, context):
                assert finding.key_id is not None
                half_done[finding.key_id].append(finding)
    for key in active:
        if key.created_at > context.as_of:
            continue
        findings = _age(key, context) + half_done.get(key.id, []) + _departures(key, context)
        result.findings.extend(findings)
        if not findings:
            age = days_between(key.created_at, context.as_of)
            reason = f"{age} days old (limit {context.config.max_age_days})"
            if context.departures:
                reason += f"; created after every recorded departure before {_day(context.as_of)}"
            result.passes.append(
                Pass(Practice.ROTATE, key.id, key.name, ("FAST110", "FAST111", "FAST112"), reason)
            )
    return result
