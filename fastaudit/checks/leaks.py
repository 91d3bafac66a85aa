"""Practice 1, "Never commit keys to source control": FAST140, a leaked key that is
still active. A leak matches an inventory key by the hint the accounts page shows (first
and/or last characters); a match that is not deleted, or a key the API confirmed live,
is critical. The checker never needs the key itself: leaks arrive redacted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from fastaudit.checks.base import CheckContext, CheckResult
from fastaudit.detect import DEFAULT_PREFIXES
from fastaudit.findings import RULES, Finding, Pass, Practice
from fastaudit.inventory import Inventory, InventoryKey
from fastaudit.spool import secret_groups
from fastaudit.words import plural

ELLIPSIS = "…"
MIN_HINT_CHARS = 4


def _split_redacted(redacted: str, prefixes: tuple[str, ...]) -> tuple[str, str, str] | None:
    for prefix in sorted(prefixes, key=len, reverse=True):
        if redacted.startswith(prefix) and ELLIPSIS in redacted:
            head, _, tail = redacted[len(prefix) :].partition(ELLIPSIS)
            return prefix, head, tail
    return None


def hint_matches(hint: str, redacted: str, prefixes: tuple[str, ...] = DEFAULT_PREFIXES) -> bool:
    """Whether a key hint ("fast_prod_ab12…wxyz", "ab12...", "...wxyz") fits a redacted key.

    Both show only some characters; they match when every character both show agrees and
    at least `MIN_HINT_CHARS` were compared.
    """
    parts = _split_redacted(redacted, prefixes)
    if parts is None:
        return False
    prefix, head, tail = parts
    text = hint.strip().replace("...", ELLIPSIS)
    for known in sorted(prefixes, key=len, reverse=True):
        if text.startswith(known):
            if known != prefix:
                return False
            text = text[len(known) :]
            break
    hint_head, sep, hint_tail = text.partition(ELLIPSIS)
    if not sep:
        hint_tail = ""
    compared = 0
    if hint_head:
        n = min(len(hint_head), len(head))
        if hint_head[:n] != head[:n]:
            return False
        compared += n
    if hint_tail:
        n = min(len(hint_tail), len(tail))
        if hint_tail[-n:] != tail[-n:]:
            return False
        compared += n
    return compared >= MIN_HINT_CHARS


class HintIndex:
    """Inventory keys by the characters their hints show, so matching N leaks against M
    keys costs N lookups rather than N x M comparisons (an organisation's audit has
    thousands of both)."""

    def __init__(self, keys: Sequence[InventoryKey], prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes
        self._by_head: dict[str, list[InventoryKey]] = defaultdict(list)
        self._by_tail: dict[str, list[InventoryKey]] = defaultdict(list)
        self._loose: list[InventoryKey] = []
        for key in keys:
            if not key.key_hint:
                continue
            text = key.key_hint.strip().replace("...", ELLIPSIS)
            for known in sorted(prefixes, key=len, reverse=True):
                if text.startswith(known):
                    text = text[len(known) :]
                    break
            head, sep, tail = text.partition(ELLIPSIS)
            if not sep:
                tail = ""
            # A hint showing at least MIN_HINT_CHARS at one end must agree with the
            # redacted form's four characters at that end.
            if len(head) >= MIN_HINT_CHARS:
                self._by_head[head[:MIN_HINT_CHARS]].append(key)
            elif len(tail) >= MIN_HINT_CHARS:
                self._by_tail[tail[-MIN_HINT_CHARS:]].append(key)
            else:
                self._loose.append(key)

    def matches(self, redacted: str) -> list[InventoryKey]:
        """The inventory keys whose hint agrees with a redacted leak's first and last characters."""
        parts = _split_redacted(redacted, self.prefixes)
        if parts is None:
            return []
        _, head, tail = parts
        candidates = (
            self._by_head.get(head[:MIN_HINT_CHARS], [])
            + self._by_tail.get(tail[-MIN_HINT_CHARS:], [])
            + self._loose
        )
        seen: set[str] = set()
        found = []
        for key in candidates:
            if key.id not in seen and hint_matches(key.key_hint or "", redacted, self.prefixes):
                seen.add(key.id)
                found.append(key)
        return found


def _passed(key: InventoryKey, reason: str) -> Pass:
    return Pass(Practice.NEVER_COMMIT, key.id, key.name, ("FAST140",), reason)


def check(inventory: Inventory, context: CheckContext) -> CheckResult:
    """Practice 1: each leaked key matched to the inventory (or verified live) and still active is
    FAST140."""
    result = CheckResult()
    prefixes = context.config.key_spec.prefixes
    matched_keys: set[str] = set()
    unmatched: list[str] = []  # the first NAMED_UNMATCHED, then only counted
    unmatched_count = leaked = 0
    index = HintIndex(inventory.keys, prefixes)
    # One key's findings at a time: an audit's spool groups them on disk.
    for secret, found in secret_groups(context.leaks):
        leaks = [f for f in found if f.redacted and f.rule_id in ("FAST001", "FAST002")]
        if not leaks:
            continue
        leaked += 1
        redacted = leaks[0].redacted or ""
        matches = index.matches(redacted)
        live = next((f.verification for f in leaks if f.verification == "live"), None)
        locations = sorted(
            {f"{f.repo + ':' if f.repo else ''}{f.path}:{f.line}" for f in leaks if f.path}
        )
        active = [k for k in matches if k.active]
        for key in matches:
            matched_keys.add(key.id)
        if active or live:
            targets: list[InventoryKey | None] = list(active) or [None]
            for target in targets:
                why = []
                if target is not None:
                    why.append(
                        f"matches inventory key {target.id} ({target.name}), which is not deleted"
                    )
                if live:
                    why.append("the Tools.FAST API accepted it (verified live)")
                elif any(f.verification == "rejected" for f in leaks):
                    note = "the API rejected it from here"
                    if target is not None and target.allowed_ips:
                        note += (
                            f", but {target.id} has an IP allowlist "
                            f"({len(target.allowed_ips)} entries): a 401 may only mean this "
                            "machine is not on it"
                        )
                    why.append(note)
                result.findings.append(
                    Finding(
                        rule_id="FAST140",
                        severity=RULES["FAST140"].severity,
                        source="inventory" if target is not None else "verify",
                        secret_sha256=secret,
                        redacted=redacted,
                        key_id=target.id if target else None,
                        key_name=target.name if target else None,
                        verification=live,
                        message=f"leaked key {redacted} is still active: {'; '.join(why)}",
                        evidence={
                            "locations": locations[:20],
                            "location_count": len(locations),
                            **({"key_hint": target.key_hint} if target else {}),
                        },
                    )
                )
        elif matches:
            for key in matches:
                result.passes.append(
                    _passed(
                        key,
                        f"leaked as {redacted} but deleted on {str(key.deleted_at)[:10]}: "
                        "the leak is history only",
                    )
                )
        else:
            unmatched_count += 1
            if len(unmatched) < NAMED_UNMATCHED:
                unmatched.append(redacted)
    result.notes.extend(_unmatched_notes(unmatched, unmatched_count, bool(inventory.keys)))
    if leaked:
        unmatchable = []
        for key in inventory.keys:
            if key.active and key.id not in matched_keys:
                if key.key_hint:
                    result.passes.append(
                        _passed(key, f"matches none of the {plural(leaked, 'leaked key')} found")
                    )
                else:
                    unmatchable.append(key.name or key.id)
        if unmatchable:
            # Not a pass: without a hint nobody can tell whether one of the leaks is it.
            shown = ", ".join(unmatchable[:NAMED_UNMATCHED])
            more = len(unmatchable) - NAMED_UNMATCHED
            result.notes.append(
                f"not checked against the {plural(leaked, 'leaked key')} found: "
                f"{plural(len(unmatchable), 'active key')} with no key_hint ({shown}"
                + (f" and {more} more" if more > 0 else "")
                + "); add each key's hint from accounts.tools.fast to the inventory"
            )
    return result


# Notes name each unmatched leaked key up to this many: an organisation's audit can hold
# thousands, and a note per key would bury the rest of the output.
NAMED_UNMATCHED = 20


def _unmatched_notes(redacted: list[str], count: int, have_inventory: bool) -> list[str]:
    """What the `count` leaks no inventory key explains mean, in as few lines as say it
    (`redacted` names the first of them)."""
    if not count:
        return []
    if not have_inventory:
        return [
            f"{plural(count, 'leaked key')} found and no inventory given: whether they are "
            "still active is unknown (pass --inventory, or --verify to ask Tools.FAST)"
        ]
    notes = [
        f"leaked key {r} matches no inventory key by hint "
        "(add key_hint to the inventory to connect leaks to keys)"
        for r in redacted[:NAMED_UNMATCHED]
    ]
    if count > len(notes):
        notes.append(
            f"... and {plural(count - len(notes), 'more leaked key')} that match no "
            "inventory key by hint"
        )
    return notes
