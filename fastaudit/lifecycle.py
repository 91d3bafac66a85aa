"""Key lifecycles: each inventory key as a span from creation to deletion, with the rotation
due date, the last use, and the overlap with the key that replaced it, the next key made
for the same purpose (both keys valid: step 4 of the vendor's rotation not yet done).
Pure: the audit report draws it from the inventory, the trends page from the store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from fastaudit.inventory import InventoryKey


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None


def lifecycles(
    keys: Sequence[InventoryKey], as_of: datetime, max_age_days: int
) -> list[dict[str, Any]]:
    """One entry per key, grouped by purpose (rotation group), oldest first."""
    from fastaudit.checks.rotation import rotation_group

    groups: dict[tuple[str, str], list[InventoryKey]] = defaultdict(list)
    for key in keys:
        groups[rotation_group(key)].append(key)
    entries = []
    for group_keys in sorted(groups.values(), key=lambda ks: min(k.created_at for k in ks)):
        group_keys.sort(key=lambda k: (k.created_at, k.id))
        for index, key in enumerate(group_keys):
            end = key.deleted_at or as_of
            due = key.created_at + timedelta(days=max_age_days)
            overlaps = []
            # A rotation hands over to the next key made for the same purpose: the old key
            # and that one are both valid until the old one is deleted.
            successor = group_keys[index + 1] if index + 1 < len(group_keys) else None
            if successor is not None:
                start = successor.created_at
                stop = min(end, successor.deleted_at or as_of)
                if start < end and stop > start:
                    overlaps.append(
                        {
                            "with": successor.id,
                            "start": _day(start),
                            "end": _day(stop),
                            "days": round((stop - start).total_seconds() / 86400, 1),
                            "open": key.deleted_at is None,
                        }
                    )
            entries.append(
                {
                    "id": key.id,
                    "name": key.name,
                    "environment": key.environment,
                    "created_at": _day(key.created_at),
                    "deleted_at": _day(key.deleted_at),
                    "last_used_at": _day(key.last_used_at),
                    "rotation_due": _day(due),
                    "overdue": key.deleted_at is None and as_of > due,
                    "age_days": (end - key.created_at).days,
                    "overlaps": overlaps,
                }
            )
    return entries
