"""Baselines: the findings a team has accepted, so only new ones fail the build.

An entry is keyed by what was found (the secret's fingerprint) and where (the path), never
by line number or timestamp: editing a file above a known finding does not churn the
baseline, and the same entry matches the secret in a working-tree scan and in history.
The file is written sorted and without dates, so regenerating it unchanged is a no-op in
git. An existing detect-secrets `.secrets.baseline` is honoured too (path + sha1).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from fastaudit import __version__
from fastaudit.errors import InputError
from fastaudit.findings import Finding

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Baseline:
    """Accepted findings, as (fingerprint, path) and detect-secrets' (path, sha1) pairs."""

    entries: frozenset[tuple[str, str]] = frozenset()
    detect_secrets_entries: frozenset[tuple[str, str]] = frozenset()

    def covers(self, finding: Finding) -> bool:
        """Whether this finding was accepted: its fingerprint at its path, or detect-secrets'
        (path, hashed secret)."""
        path = finding.path or ""
        if finding.fingerprint is not None and (finding.fingerprint, path) in self.entries:
            return True
        return (
            finding.secret_sha1 is not None
            and (path, finding.secret_sha1) in self.detect_secrets_entries
        )

    def __len__(self) -> int:
        return len(self.entries) + len(self.detect_secrets_entries)

    def filter(self, findings: Iterable[Finding]) -> tuple[list[Finding], int]:
        """The findings this baseline does not accept, and how many it did: the one
        baseline step every command uses."""
        kept: list[Finding] = []
        dropped = 0
        for finding in findings:
            if self.covers(finding):
                dropped += 1
            else:
                kept.append(finding)
        return kept, dropped


def load(path: Path) -> Baseline:
    """Read a fastaudit or detect-secrets baseline; InputError when it is neither."""
    from fastaudit import jsonio

    document = jsonio.load(path, "baseline")
    if not isinstance(document, dict):
        raise InputError(f"baseline {path} is not a JSON object")
    if "fastaudit_baseline" in document:
        return _load_own(document, path)
    if "results" in document and "plugins_used" in document:
        return _load_detect_secrets(document, path)
    raise InputError(f"{path} is neither a fastaudit nor a detect-secrets baseline")


def _load_own(document: dict[str, Any], path: Path) -> Baseline:
    version = document.get("fastaudit_baseline")
    if version != FORMAT_VERSION:
        raise InputError(f"baseline {path} has unsupported version {version!r}")
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise InputError(f"baseline {path}: 'entries' must be a list")
    pairs = set()
    for index, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("fingerprint"), str)
            or not isinstance(entry.get("path", ""), str)
        ):
            raise InputError(f"baseline {path}: entry {index} needs 'fingerprint' and 'path'")
        pairs.add((entry["fingerprint"], entry.get("path") or ""))
    return Baseline(entries=frozenset(pairs))


def _load_detect_secrets(document: dict[str, Any], path: Path) -> Baseline:
    results = document.get("results")
    if not isinstance(results, dict):
        raise InputError(f"detect-secrets baseline {path}: 'results' must be an object")
    pairs = set()
    for filename, secrets in results.items():
        if not isinstance(secrets, list):
            raise InputError(f"detect-secrets baseline {path}: results for {filename} not a list")
        for secret in secrets:
            if isinstance(secret, dict) and isinstance(secret.get("hashed_secret"), str):
                pairs.add((str(filename).replace("\\", "/"), secret["hashed_secret"]))
    return Baseline(detect_secrets_entries=frozenset(pairs))


def dump(findings: Iterable[Finding], stream: IO[str]) -> int:
    """Write a baseline accepting `findings`; returns how many entries it holds."""
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in findings:
        if finding.fingerprint is None:
            continue
        key = (finding.fingerprint, finding.path or "")
        entries.setdefault(
            key,
            {
                "fingerprint": finding.fingerprint,
                "path": finding.path or "",
                "rule_id": finding.rule_id,
                "redacted": finding.redacted or finding.message or finding.key_name,
            },
        )
    document = {
        "fastaudit_baseline": FORMAT_VERSION,
        "generated_by": f"fastaudit {__version__}",
        "entries": [entries[k] for k in sorted(entries, key=lambda k: (k[1], k[0]))],
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")
    return len(entries)
