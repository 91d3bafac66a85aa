"""The `Finding` record, the rule catalogue and severities.

Rule IDs are stable: a released ID never changes meaning, because baselines, SARIF uploads
and saved reports refer to them. Titles and remediation text may be polished.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(enum.IntEnum):
    """Ordered so that `--fail-on` is a comparison."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, name: str) -> Severity:
        """The severity named `text` (any case), or ValueError listing the names."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {name!r} (choose from {choices})") from None

    @property
    def label(self) -> str:
        """The lower-case name users type and reports show."""
        return self.name.lower()


class Practice(enum.IntEnum):
    """The six security best practices of the Tools.FAST authentication page, in its order."""

    NEVER_COMMIT = 1
    IP_ALLOWLISTS = 2
    SEPARATE_ENVIRONMENTS = 3
    ROTATE = 4
    MONITOR = 5
    HTTPS_ONLY = 6

    @property
    def title(self) -> str:
        """The vendor's wording of this best practice."""
        return PRACTICE_TITLES[self]

    @property
    def guidance(self) -> str:
        """What following this practice means, in a sentence."""
        return PRACTICE_GUIDANCE[self]


# The document's own words, so a report reads like the vendor's checklist.
PRACTICE_TITLES: Mapping[Practice, str] = {
    Practice.NEVER_COMMIT: "Never commit keys to source control",
    Practice.IP_ALLOWLISTS: "Use IP allowlists in production",
    Practice.SEPARATE_ENVIRONMENTS: "Create separate keys per environment",
    Practice.ROTATE: "Rotate keys periodically",
    Practice.MONITOR: "Monitor usage",
    Practice.HTTPS_ONLY: "Use HTTPS only",
}
PRACTICE_GUIDANCE: Mapping[Practice, str] = {
    Practice.NEVER_COMMIT: "Use environment variables or a secrets manager.",
    Practice.IP_ALLOWLISTS: "Restrict keys to your server IPs.",
    Practice.SEPARATE_ENVIRONMENTS: "Use one key for staging, another for production.",
    Practice.ROTATE: "At minimum, rotate when team members leave.",
    Practice.MONITOR: "Check your credit balance and API key activity at accounts.tools.fast.",
    Practice.HTTPS_ONLY: "All Tools.FAST APIs enforce HTTPS. HTTP requests are rejected.",
}

ROTATION_STEPS = (
    "Create a new API key at accounts.tools.fast.",
    "Update your application to use the new key.",
    "Verify the new key works in production.",
    "Delete the old key.",
)
ROTATION_TEXT = "Rotate the key without downtime: " + " ".join(
    f"({n}) {step}" for n, step in enumerate(ROTATION_STEPS, 1)
)


@dataclass(frozen=True)
class Rule:
    """One check with a stable ID: what it flags, how bad, and how to fix it."""

    id: str
    practice: Practice
    severity: Severity
    title: str
    description: str
    remediation: str


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules}


RULES: Mapping[str, Rule] = _rules(
    Rule(
        "FAST001",
        Practice.NEVER_COMMIT,
        Severity.HIGH,
        "Tools.FAST API key in the working tree",
        "A Tools.FAST API key is written in a file that is, or is about to be, committed.",
        "Remove the key from the file and read it from an environment variable or a secrets "
        "manager instead. Treat the key as exposed: " + ROTATION_TEXT,
    ),
    Rule(
        "FAST002",
        Practice.NEVER_COMMIT,
        Severity.HIGH,
        "Tools.FAST API key in git history",
        "The key was removed from HEAD but is still in the history every clone carries.",
        "Deleting the file does not remove the key from history: every clone has it. "
        + ROTATION_TEXT
        + " Rewriting history (git filter-repo) is optional once the key is deleted.",
    ),
    Rule(
        "FAST003",
        Practice.HTTPS_ONLY,
        Severity.MEDIUM,
        "Plain http:// URL to a Tools.FAST host",
        "Tools.FAST rejects HTTP requests; a client configured with http:// sends its key in "
        "clear text before it is refused.",
        "Use https:// for every Tools.FAST URL.",
    ),
    Rule(
        "FAST004",
        Practice.SEPARATE_ENVIRONMENTS,
        Severity.HIGH,
        "Same key used in several environments",
        "One key appears in files belonging to different environments (e.g. staging and "
        "production).",
        "Create separate keys per environment: one key for staging, another for production. "
        + ROTATION_TEXT,
    ),
    Rule(
        "FAST101",
        Practice.IP_ALLOWLISTS,
        Severity.HIGH,
        "Production key with no IP allowlist",
        "When no IPs are configured, the key is accepted from any address.",
        "Edit the key at accounts.tools.fast and add your server IPs (single addresses or "
        "CIDR ranges) to its allowlist.",
    ),
    Rule(
        "FAST102",
        Practice.IP_ALLOWLISTS,
        Severity.MEDIUM,
        "IP allowlist entry admits too much",
        "An allowlist entry covers all or a very wide range of addresses.",
        "Replace the entry with the exact addresses or the narrowest CIDR ranges of your servers.",
    ),
    Rule(
        "FAST103",
        Practice.IP_ALLOWLISTS,
        Severity.MEDIUM,
        "Malformed, ambiguous or redundant IP allowlist entry",
        "An allowlist entry is not an address or CIDR range, has host bits set, or repeats "
        "or overlaps another entry.",
        "Write each entry as a single address (203.0.113.5) or a CIDR range with no host bits "
        "(203.0.113.0/24), once.",
    ),
    Rule(
        "FAST104",
        Practice.IP_ALLOWLISTS,
        Severity.LOW,
        "IP allowlist entry can never match a public client",
        "Private, loopback, link-local and reserved addresses never reach Tools.FAST as a "
        "client address, so the entry only gives a false sense of protection.",
        "List the public egress addresses of your servers (their NAT or proxy addresses).",
    ),
    Rule(
        "FAST110",
        Practice.ROTATE,
        Severity.MEDIUM,
        "Key rotation overdue",
        "The key is older than the maximum age.",
        ROTATION_TEXT,
    ),
    Rule(
        "FAST111",
        Practice.ROTATE,
        Severity.MEDIUM,
        "Key rotation left half done",
        "An old and a new key for the same purpose have both been active for longer than the "
        "rotation overlap window.",
        ROTATION_TEXT,
    ),
    Rule(
        "FAST112",
        Practice.ROTATE,
        Severity.HIGH,
        "Key not rotated since a team member left",
        "The key was created before a team member left and has not been rotated since.",
        "At minimum, rotate when team members leave. " + ROTATION_TEXT,
    ),
    Rule(
        "FAST120",
        Practice.MONITOR,
        Severity.LOW,
        "Key unused for a long time",
        "A key nobody uses is a liability with no benefit.",
        "Check API key activity at accounts.tools.fast; delete the key if nothing needs it.",
    ),
    Rule(
        "FAST121",
        Practice.MONITOR,
        Severity.LOW,
        "Key never used since creation",
        "The key was created but has never made a request.",
        "Check API key activity at accounts.tools.fast; delete the key if nothing needs it.",
    ),
    Rule(
        "FAST130",
        Practice.SEPARATE_ENVIRONMENTS,
        Severity.MEDIUM,
        "Key not tied to one environment",
        "The key has no environment, or its name suggests it serves several.",
        "Create separate keys per environment and name each for the one it serves.",
    ),
    Rule(
        "FAST140",
        Practice.NEVER_COMMIT,
        Severity.CRITICAL,
        "Leaked key is still active",
        "A key found in source code or history is still accepted by Tools.FAST.",
        "Rotate now. " + ROTATION_TEXT,
    ),
)


# A key in HEAD is FAST001 wherever it was read from; the title says where.
SOURCE_TITLES: Mapping[tuple[str, str], str] = {
    ("FAST001", "staged"): "Tools.FAST API key in staged changes",
    ("FAST001", "history"): "Tools.FAST API key committed and still in HEAD",
    ("FAST001", "range"): "Tools.FAST API key in the commits under review",
    ("FAST002", "range"): "Tools.FAST API key in the commits under review (removed since)",
    ("FAST001", "push"): "Tools.FAST API key in a pushed commit",
    ("FAST002", "push"): "Tools.FAST API key in a pushed commit (removed in a later one)",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason to act. Never holds a key: only its fingerprint and redacted form.

    Location fields apply to file and history findings; `key_id`/`key_name` to inventory
    findings. `evidence` carries the measured facts (days, thresholds, entries).
    """

    rule_id: str
    severity: Severity
    path: str | None = None
    line: int | None = None
    column: int | None = None
    secret_sha256: str | None = None
    redacted: str | None = None
    source: str = "worktree"
    message: str | None = None
    # detect-secrets stores sha1 hashes in its baseline; kept to honour such baselines.
    secret_sha1: str | None = field(default=None, repr=False, compare=False)
    # History
    commit: str | None = None
    author_email: str | None = None
    date: str | None = None
    refs: tuple[str, ...] | None = None
    in_head: bool | None = None
    # Inventory
    key_id: str | None = None
    key_name: str | None = None
    # Audit
    repo: str | None = None
    evidence: Mapping[str, Any] | None = None
    verification: str | None = None
    status: str | None = None
    # Keys in disguise: how the key was reached (["base64"], ["gzip"], ["split"]), the
    # archive member or notebook cell inside `path` ("db/dump.sql", "inner.zip!a.txt",
    # "cell 3"), and the line inside that member or decoded content.
    decoded: tuple[str, ...] | None = None
    member: str | None = None
    inner_line: int | None = None
    # The key's line with every key on it masked (its redacted form) and any other long
    # token elided: what a person needs to recognise the place, never the secret.
    snippet: str | None = None

    @property
    def rule(self) -> Rule:
        """The catalogue entry for this finding's rule."""
        return RULES[self.rule_id]

    @property
    def practice(self) -> Practice:
        """Which of the six best practices this finding falls under."""
        return self.rule.practice

    @property
    def title(self) -> str:
        """The rule's title, saying where the key was found: a staged key, a key in the
        commits under review and a key in a pushed commit need different first steps."""
        return SOURCE_TITLES.get((self.rule_id, self.source), self.rule.title)

    @property
    def remediation(self) -> str:
        """What to do about it: the rule's remediation (rotation steps for an exposed key)."""
        return self.rule.remediation

    @property
    def fingerprint(self) -> str | None:
        """What identifies the thing found, independent of where: the secret's sha256, or
        for findings without a secret the key id or the message."""
        return self.secret_sha256 or self.key_id or self.message

    def with_changes(self, **changes: Any) -> Finding:
        """A copy with the given fields replaced (findings are immutable)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (DESIGN.md contract). Optional groups appear when set."""
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "severity": self.severity.label,
            "title": self.title,
            "practice": int(self.practice),
            "practice_title": self.practice.title,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "secret_sha256": self.secret_sha256,
            "redacted": self.redacted,
            "source": self.source,
            "message": self.message,
            "remediation": self.remediation,
        }
        optional = {
            "commit": self.commit,
            "author_email": self.author_email,
            "date": self.date,
            "refs": list(self.refs) if self.refs is not None else None,
            "in_head": self.in_head,
            "key_id": self.key_id,
            "key_name": self.key_name,
            "repo": self.repo,
            "evidence": dict(self.evidence) if self.evidence is not None else None,
            "verification": self.verification,
            "status": self.status,
            "decoded": list(self.decoded) if self.decoded else None,
            "member": self.member_path,
            "inner_line": self.inner_line,
            "snippet": self.snippet,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        return out

    @property
    def disguise(self) -> str | None:
        """How the key was found, in words: `decoded: base64 > gzip; member:
        backup.tgz!db/dump.sql, line 3`; None for a plain key."""
        parts = []
        if self.decoded:
            parts.append("decoded: " + " > ".join(self.decoded))
        if self.member is not None:
            parts.append(f"member: {self.member_path}")
        if self.inner_line is not None and (self.decoded or self.member):
            parts.append(f"line {self.inner_line} inside")
        return "; ".join(parts) or None

    @property
    def member_path(self) -> str | None:
        """`backup.tgz!db/dump.sql`: the file on disk, then the member inside it."""
        if self.member is None:
            return None
        return f"{self.path or ''}!{self.member}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Inverse of `to_dict`, for re-rendering and comparing saved reports."""
        rule_id = str(data["rule_id"])
        if rule_id not in RULES:
            raise ValueError(f"unknown rule_id {rule_id!r}")
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        decoded = data.get("decoded")
        if decoded is not None and (
            not isinstance(decoded, list) or not all(isinstance(d, str) for d in decoded)
        ):
            raise TypeError("field 'decoded' must be a list of strings")
        member = _typed(data, str, "member")
        if member is not None and member.startswith(f"{data.get('path') or ''}!"):
            member = member[len(f"{data.get('path') or ''}!") :]
        refs = data.get("refs")
        if refs is not None and (
            not isinstance(refs, list) or not all(isinstance(r, str) for r in refs)
        ):
            raise TypeError("field 'refs' must be a list of strings")
        evidence = data.get("evidence")
        if evidence is not None and not isinstance(evidence, Mapping):
            raise TypeError("field 'evidence' must be an object")
        in_head = data.get("in_head")
        if in_head is not None and not isinstance(in_head, bool):
            raise TypeError("field 'in_head' must be true, false or null")
        text = functools.partial(_typed, data, str)
        number = functools.partial(_typed, data, int)
        return cls(
            rule_id=rule_id,
            severity=Severity.parse(str(data["severity"])),
            path=text("path"),
            line=number("line"),
            column=number("column"),
            secret_sha256=text("secret_sha256"),
            redacted=text("redacted"),
            source=text("source") or "worktree",
            message=text("message"),
            commit=text("commit"),
            author_email=text("author_email"),
            date=text("date"),
            refs=tuple(refs) if refs is not None else None,
            in_head=in_head,
            key_id=text("key_id"),
            key_name=text("key_name"),
            repo=text("repo"),
            evidence=evidence,
            verification=text("verification"),
            status=text("status"),
            decoded=tuple(decoded) if decoded else None,
            member=member,
            inner_line=number("inner_line"),
            snippet=text("snippet"),
        )


def _typed(data: Mapping[str, Any], kind: type, name: str) -> Any:
    """`data[name]` when it is absent, null or of `kind`; TypeError otherwise."""
    value = data.get(name)
    if value is None or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    raise TypeError(f"field {name!r} must be {kind.__name__} or null, got {type(value).__name__}")


def sort_key(finding: Finding) -> tuple[Any, ...]:
    """Most severe first, then by place, so reports read top-down and diff stably."""
    return (
        -finding.severity,
        finding.repo or "",
        finding.path or "",
        finding.line or 0,
        finding.column or 0,
        finding.rule_id,
        finding.key_id or "",
        finding.commit or "",
    )


def at_or_above(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    """The findings at or above `threshold`, in their order."""
    return [f for f in findings if f.severity >= threshold]


@dataclass(frozen=True, slots=True)
class Pass:
    """A key that was checked against a practice and met it, with the reason: a report
    that shows only failures cannot tell "all good" from "nothing was checked"."""

    practice: Practice
    key_id: str
    key_name: str
    rules: tuple[str, ...]
    reason: str
    repo: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The pass as JSON shapes, for reports."""
        out: dict[str, Any] = {
            "practice": int(self.practice),
            "practice_title": self.practice.title,
            "key_id": self.key_id,
            "key_name": self.key_name,
            "rules": list(self.rules),
            "reason": self.reason,
        }
        if self.repo is not None:
            out["repo"] = self.repo
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pass:
        """A pass read back from a saved report."""
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object, got {type(data).__name__}")
        if not isinstance(data.get("rules", []), list):
            raise TypeError("field 'rules' must be a list")
        return cls(
            practice=Practice(int(data["practice"])),
            key_id=str(data["key_id"]),
            key_name=str(data["key_name"]),
            rules=tuple(data.get("rules", ())),
            reason=str(data.get("reason", "")),
            repo=data.get("repo"),
        )
