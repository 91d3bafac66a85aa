"""What to do now: a report's findings turned into a short ordered list of actions, most
urgent first, each naming the keys it is about. A security lead reads this first; the
scorecard and the evidence follow.

Pure: findings in, actions out. The HTML report links each key to its finding card and
the text report prints the same list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from fastaudit.findings import Finding, Severity

# (rules, the sentence for one subject, for several) in the order a tie in severity is
# broken: the exposure first, then access, then the paperwork.
_PLAYBOOK: tuple[tuple[frozenset[str], str, str], ...] = (
    (
        frozenset({"FAST140"}),
        "Rotate the leaked key that Tools.FAST still accepts",
        "Rotate the {n} leaked keys that Tools.FAST still accepts",
    ),
    (
        frozenset({"FAST001"}),
        "Remove the key from the files and rotate it",
        "Remove {n} keys from the files and rotate them",
    ),
    (
        frozenset({"FAST002"}),
        "Rotate the key that is still in git history",
        "Rotate the {n} keys that are still in git history",
    ),
    (
        frozenset({"FAST004"}),
        "Replace the key shared across environments with one key per environment",
        "Replace the {n} keys shared across environments with one key per environment",
    ),
    (
        frozenset({"FAST112"}),
        "Rotate the key not rotated since a team member left",
        "Rotate the {n} keys not rotated since a team member left",
    ),
    (
        frozenset({"FAST101"}),
        "Add an IP allowlist to the production key that has none",
        "Add an IP allowlist to the {n} production keys that have none",
    ),
    (
        frozenset({"FAST102", "FAST103", "FAST104"}),
        "Correct the IP allowlist of 1 key",
        "Correct the IP allowlists of {n} keys",
    ),
    (
        frozenset({"FAST110", "FAST111"}),
        "Rotate 1 key that is overdue or half rotated",
        "Rotate {n} keys that are overdue or half rotated",
    ),
    (
        frozenset({"FAST130"}),
        "Tie 1 key to one environment",
        "Tie {n} keys to one environment each",
    ),
    (
        frozenset({"FAST003"}),
        "Switch 1 http:// URL to https://",
        "Switch {n} http:// URLs to https://",
    ),
    (
        frozenset({"FAST120", "FAST121"}),
        "Delete 1 unused key, or put it to use",
        "Delete {n} unused keys, or put them to use",
    ),
)


@dataclass
class Action:
    """One line of the list: what to do, the most severe finding behind it, and the
    subjects (label and the anchor of their finding card)."""

    text: str
    severity: Severity
    subjects: list[tuple[str, str]] = field(default_factory=list)
    live: int = 0


def subject_of(finding: Finding) -> str:
    """What a finding is about, as the report groups it: the key (by fingerprint or
    inventory id), else the rule and message."""
    return finding.fingerprint or finding.rule_id


def anchor(practice: int, subject: str) -> str:
    """The HTML id of the card of `subject` under `practice`: stable, and safe as an id
    whatever the subject holds."""
    return f"p{practice}-" + hashlib.sha256(subject.encode("utf-8")).hexdigest()[:12]


def _label(finding: Finding) -> str:
    if finding.key_name and finding.redacted:
        return f"{finding.key_name} ({finding.redacted})"
    return finding.key_name or finding.redacted or finding.message or finding.rule_id


def actions(findings: Iterable[Finding]) -> list[Action]:
    """The actions `findings` call for, most severe first (the playbook's order breaks
    ties); each subject is listed once per action, however many places it was found."""
    slots: dict[int, tuple[Action, set[str]]] = {}
    for finding in findings:
        index = next((i for i, entry in enumerate(_PLAYBOOK) if finding.rule_id in entry[0]), None)
        if index is None:
            continue
        if index not in slots:
            slots[index] = (Action("", finding.severity), set())
        action, seen = slots[index]
        action.severity = max(action.severity, finding.severity)
        subject = subject_of(finding)
        if subject not in seen:
            seen.add(subject)
            action.subjects.append((_label(finding), anchor(int(finding.practice), subject)))
            action.live += finding.verification == "live"
    for index, (action, _seen) in slots.items():
        _rules, one, many = _PLAYBOOK[index]
        count = len(action.subjects)
        action.text = one if count == 1 else many.format(n=count)
    ordered = sorted(slots.items(), key=lambda item: (-int(item[1][0].severity), item[0]))
    return [action for _, (action, _seen) in ordered]
