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
    # Fingerprints accepted wherever they appear (`allow_fingerprints` without a path).
    anywhere: frozenset[str] = frozenset()
    # gitleaks report entries whose secret was redacted: (path, line, commit).
    places: frozenset[tuple[str, int, str]] = frozenset()

    def covers(self, finding: Finding) -> bool:
        """Whether this finding was accepted: its fingerprint at its path (or anywhere),
        detect-secrets' (path, hashed secret), or a redacted gitleaks entry's place."""
        path = finding.path or ""
        fingerprint = finding.fingerprint
        if fingerprint is not None and (
            (fingerprint, path) in self.entries or fingerprint in self.anywhere
        ):
            return True
        if (
            self.places
            and finding.line is not None
            and (
                (path, finding.line, finding.commit or "") in self.places
                or (path, finding.line, "") in self.places
            )
        ):
            return True
        return (
            finding.secret_sha1 is not None
            and (path, finding.secret_sha1) in self.detect_secrets_entries
        )

    def __len__(self) -> int:
        return (
            len(self.entries)
            + len(self.detect_secrets_entries)
            + len(self.anywhere)
            + len(self.places)
        )

    def merged(self, other: Baseline) -> Baseline:
        """Both baselines' accepted findings (a file baseline and the settings' fingerprints)."""
        return Baseline(
            self.entries | other.entries,
            self.detect_secrets_entries | other.detect_secrets_entries,
            self.anywhere | other.anywhere,
            self.places | other.places,
        )

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
    if isinstance(document, list):
        return _load_gitleaks(document, path)
    if not isinstance(document, dict):
        raise InputError(f"baseline {path} is not a JSON object")
    if "fastaudit_baseline" in document:
        return _load_own(document, path)
    if "results" in document and "plugins_used" in document:
        return _load_detect_secrets(document, path)
    raise InputError(
        f"{path} is neither a fastaudit nor a detect-secrets baseline nor a gitleaks report"
    )


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


def _load_gitleaks(document: list[Any], path: Path) -> Baseline:
    """A gitleaks JSON report used as a baseline, as gitleaks itself allows: each entry's
    secret, when the report holds it, is accepted at its file (so in the working tree and
    in every commit); an entry whose secret was redacted (`--redact`) is accepted at its
    file, line and commit. Entries that are not Tools.FAST keys are ignored."""
    from fastaudit.detect import KeySpec, find_keys

    spec = KeySpec()
    pairs: set[tuple[str, str]] = set()
    places: set[tuple[str, int, str]] = set()
    for index, entry in enumerate(document):
        if not isinstance(entry, dict) or not isinstance(entry.get("File"), str):
            raise InputError(f"gitleaks report {path}: entry {index} has no 'File'")
        file = entry["File"].replace("\\", "/")
        secret = entry.get("Secret")
        hits = []
        if isinstance(secret, str) and secret:
            data = secret.encode("utf-8", "replace")
            hits = list(find_keys(data, spec, 0, len(data)))
        if hits:
            pairs.update((hit.sha256, file) for hit in hits)
            continue
        line = entry.get("StartLine")
        if isinstance(line, int) and not isinstance(line, bool) and line > 0:
            commit = entry.get("Commit")
            places.add((file, line, commit if isinstance(commit, str) else ""))
    return Baseline(entries=frozenset(pairs), places=frozenset(places))


def from_fingerprints(values: Iterable[str]) -> Baseline:
    """The `allow_fingerprints` setting as a baseline: `<sha256>` accepts the key
    anywhere, `<sha256>:<path>` only at that path."""
    anywhere: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for value in values:
        fingerprint, _, where = value.partition(":")
        if where:
            pairs.add((fingerprint.lower(), where))
        else:
            anywhere.add(fingerprint.lower())
    return Baseline(entries=frozenset(pairs), anywhere=frozenset(anywhere))


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
