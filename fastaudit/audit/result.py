"""What an executor is given and what it hands back for one repository: plain, picklable
records shared by the task, the cache, the journal and the merge (none of which need the
others to read them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastaudit.baseline import Baseline
from fastaudit.config import Config
from fastaudit.findings import Finding


@dataclass(frozen=True)
class TaskOptions:
    """What every repository's audit shares."""

    config: Config
    all_objects: bool = False
    use_cache: bool = True
    mirror_dir: Path | None = None  # None: the user cache dir of the machine running it
    repo_timeout: float | None = None
    # Whether a repository's own settings file governs its own audit (the auditor's
    # choice, off by default). Never another repository's.
    repo_settings: bool = False
    # Findings the team has accepted (--baseline, allow_fingerprints): left out as each
    # repository's result arrives, and counted.
    accepted: Baseline | None = None


@dataclass
class RepoResult:
    """What comes back from one repository: small enough to ship from a worker."""

    name: str
    path: str
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    failure: str | None = None  # authentication, not found, network, timeout, corrupt, …
    worker: str | None = None  # which machine/process ran it (for affinity, not reports)
    from_journal: bool = False

    @property
    def status(self) -> str:
        """`failed` when the repository could not be audited, else `scanned`."""
        return "failed" if self.error else "scanned"

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON shapes (journal, result cache), findings by fingerprint and redacted
        form only."""
        return {
            "name": self.name,
            "path": self.path,
            "findings": [f.to_dict() for f in self.findings],
            "stats": self.stats,
            "warnings": self.warnings,
            "error": self.error,
            "failure": self.failure,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RepoResult:
        """A result read back from `to_dict`'s shape; raises KeyError/TypeError/ValueError on a
        damaged record."""
        return cls(
            name=str(data["name"]),
            path=str(data["path"]),
            findings=[Finding.from_dict(f) for f in data.get("findings") or []],
            stats=dict(data.get("stats") or {}),
            warnings=[str(w) for w in data.get("warnings") or []],
            error=data.get("error"),
            failure=data.get("failure"),
            from_journal=True,
        )
