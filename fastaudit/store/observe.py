"""What one run says about the findings it could judge: a pure function of the run's report
and inventory, with no database in sight, so the rules of "open", "fixed" and "left HEAD"
can be read (and tested) in one place.

The subjects a finding is tracked by:
- a leaked key ("leak"): one per secret, whatever repository, path or commit it sits in.
  FAST001, FAST002 and FAST140 are its states, not separate findings. A key can never
  leave history, so the leak is fixed only when the inventory shows its key deleted
  (rotated keys are deleted keys) and nothing says it is still live; leaving HEAD is a
  milestone on the way.
- a hygiene finding about an inventory key ("key"): fixed when its check passes, that
  is when a run with an inventory no longer raises it.
- a finding about one secret across files ("secret", FAST004): fixed when a run that
  scanned every repository holding the secret no longer raises it.
- a finding in one repository's files ("repository", FAST003): fixed when a run that
  scanned the repository no longer raises it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.detect import DEFAULT_PREFIXES
from fastaudit.findings import RULES, Finding, Severity

if TYPE_CHECKING:
    from fastaudit.checks.leaks import HintIndex
    from fastaudit.inventory import Inventory, InventoryKey
    from fastaudit.report import Report

LEAK_RULES = frozenset({"FAST001", "FAST002", "FAST140"})
LEAK, KEY, SECRET, REPOSITORY = "leak", "key", "secret", "repository"


@dataclass(frozen=True)
class Subject:
    """One tracked finding as this run sees it."""

    identity: str
    kind: str
    rule_id: str
    severity: Severity
    title: str
    fingerprint: str | None = None
    key_id: str | None = None
    repo: str | None = None
    path: str | None = None
    in_head: bool | None = None


@dataclass(frozen=True)
class Occurrence:
    """One place a leaked key was seen in this run."""

    fingerprint: str
    repo: str
    path: str
    commit: str
    line: int | None
    in_head: bool | None


@dataclass(frozen=True)
class RepoSeen:
    """One repository of this run and whether it could be scanned."""

    name: str
    location: str
    status: str
    failure: str | None
    error: str | None


@dataclass
class Observation:
    """Everything the store records about one run."""

    command: str
    as_of: datetime
    tool_version: str
    parameters: dict[str, Any]
    repos: list[RepoSeen]
    secrets: dict[str, str]  # fingerprint -> redacted form
    occurrences: list[Occurrence]
    present: dict[str, Subject]
    # Leaks this run proves fixed: every matching inventory key is deleted, none live.
    retired: set[str] = field(default_factory=set)
    # Live or matched to an active key: cannot be fixed by this run whatever else it says.
    active_leaks: set[str] = field(default_factory=set)
    inventory: tuple[InventoryKey, ...] | None = None
    checks: list[tuple[str, str, str]] = field(default_factory=list)  # key, rule, pass|fail
    prefixes: tuple[str, ...] = ()

    @property
    def scanned(self) -> set[str]:
        """The repositories this run actually scanned (a failed one proves nothing fixed)."""
        return {r.name for r in self.repos if r.status == "scanned"}


def identity(*parts: str | None) -> str:
    """A stable id for a subject: the SHA-256 of its identifying parts."""
    joined = "\x1f".join(part or "" for part in parts)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def leak_identity(fingerprint: str) -> str:
    """The store's id of a leaked key, by its fingerprint."""
    return identity(LEAK, fingerprint)


def _when(report: Report) -> datetime:
    from fastaudit.inventory import parse_when

    as_of = report.parameters.get("as_of")
    if as_of:
        return parse_when(as_of, "as_of")
    return parse_when(report.generated_at, "generated_at").astimezone(timezone.utc)


def _repos(report: Report) -> list[RepoSeen]:
    if report.repos:
        return [
            RepoSeen(
                name=str(r["name"]),
                location=str(r.get("path") or r["name"]),
                status="failed" if r.get("error") else "scanned",
                failure=r.get("failure"),
                error=r.get("error"),
            )
            for r in report.repos
        ]
    if report.root:  # scan and history: one repository, the root
        return [RepoSeen(Path(report.root).name or report.root, report.root, "scanned", None, None)]
    return []


def observe(report: Report, inventory: Inventory | None) -> Observation:
    """Sort a run's findings into subjects, occurrences and the leaks it proves fixed."""
    from fastaudit.checks.leaks import HintIndex

    repos = _repos(report)
    default_repo = repos[0].name if len(repos) == 1 else None
    prefixes = tuple(report.parameters.get("prefixes") or ()) or DEFAULT_PREFIXES
    secrets: dict[str, str] = {}
    occurrences: dict[tuple[str, str, str, str], Occurrence] = {}
    leak_findings: dict[str, list[Finding]] = {}
    present: dict[str, Subject] = {}
    for finding in report.findings:
        repo = finding.repo or default_repo
        fingerprint = finding.secret_sha256
        if finding.rule_id in LEAK_RULES and fingerprint:
            leak_findings.setdefault(fingerprint, []).append(finding)
            if finding.redacted:
                secrets.setdefault(fingerprint, finding.redacted)
            if finding.rule_id != "FAST140" and repo and finding.path:
                where = (fingerprint, repo, finding.path, finding.commit or "")
                occurrences.setdefault(
                    where,
                    Occurrence(
                        fingerprint,
                        repo,
                        finding.path,
                        finding.commit or "",
                        finding.line,
                        finding.in_head,
                    ),
                )
            continue
        if fingerprint and finding.redacted and not finding.key_id:
            secrets.setdefault(fingerprint, finding.redacted)
        subject = _subject(finding, repo)
        known = present.get(subject.identity)
        if known is None or subject.severity > known.severity:
            present[subject.identity] = subject
    retired: set[str] = set()
    active: set[str] = set()
    keys = inventory.keys if inventory is not None else ()
    index = HintIndex(keys, prefixes)
    for fingerprint, found in leak_findings.items():
        live = any(f.verification == "live" for f in found)
        flagged = any(f.rule_id == "FAST140" for f in found)
        redacted = secrets.get(fingerprint, "")
        matches = index.matches(redacted) if redacted else []
        if live or flagged or any(k.active for k in matches):
            active.add(fingerprint)
        elif inventory is not None and matches:
            retired.add(fingerprint)
            continue
        in_head = _any_in_head(found)
        severity = max(f.severity for f in found)
        rule_id = "FAST140" if flagged else ("FAST001" if in_head else "FAST002")
        present[leak_identity(fingerprint)] = Subject(
            leak_identity(fingerprint),
            LEAK,
            rule_id,
            severity,
            f"Leaked key {redacted or fingerprint[:12]}",
            fingerprint=fingerprint,
            in_head=in_head,
        )
    checks: list[tuple[str, str, str]] = []
    if inventory is not None:
        for check_pass in report.passes:
            for rule in check_pass.rules:
                checks.append((check_pass.key_id, rule, "pass"))
        for finding in report.findings:
            if finding.key_id and finding.rule_id in RULES:
                checks.append((finding.key_id, finding.rule_id, "fail"))
    return Observation(
        command=report.command,
        as_of=_when(report),
        tool_version=report.tool_version,
        parameters=report.parameters,
        repos=repos,
        secrets=secrets,
        occurrences=list(occurrences.values()),
        present=present,
        retired=retired,
        active_leaks=active,
        inventory=tuple(keys) if inventory is not None else None,
        checks=list(dict.fromkeys(checks)),
        prefixes=prefixes,
    )


def _subject(finding: Finding, repo: str | None) -> Subject:
    """What a finding that is not a leak is about: an inventory key, a key found by a
    rule of its own (FAST004), or a place in a repository (FAST003)."""
    if finding.key_id:
        return Subject(
            identity(KEY, finding.rule_id, finding.key_id),
            KEY,
            finding.rule_id,
            finding.severity,
            f"{finding.title}: {finding.key_name or finding.key_id}",
            key_id=finding.key_id,
        )
    fingerprint = finding.secret_sha256
    if fingerprint:
        return Subject(
            identity(SECRET, finding.rule_id, fingerprint),
            SECRET,
            finding.rule_id,
            finding.severity,
            f"{finding.title}: {finding.redacted or fingerprint[:12]}",
            fingerprint=fingerprint,
        )
    return Subject(
        identity(REPOSITORY, finding.rule_id, repo, finding.path, finding.message),
        REPOSITORY,
        finding.rule_id,
        finding.severity,
        finding.title,
        repo=repo,
        path=finding.path,
    )


def _any_in_head(found: Sequence[Finding]) -> bool | None:
    flags = [f.in_head for f in found if f.rule_id != "FAST140"]
    if any(flag is True for flag in flags):
        return True
    if any(f.rule_id == "FAST001" for f in found):
        return True
    if flags and all(flag is False for flag in flags):
        return False
    return None


def retires(index: HintIndex, redacted: str) -> bool:
    """Whether an inventory proves a leak (known only by its redacted form) fixed: keys
    match it and every one of them is deleted."""
    matches = index.matches(redacted)
    return bool(matches) and not any(k.active for k in matches)
