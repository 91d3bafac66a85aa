"""An audit's results on disk while it runs: each repository's findings and report row
are written as the repository finishes, and read back (sorted, counted, grouped by key)
when the checks run and the reports are written. The client then holds no finding and
no repository after it has been written here, so its memory stays flat whether an
organisation has a hundred repositories or fifty thousand.

SQLite in a temporary directory (the standard library, sorting and grouping on disk past
its small page cache); the directory goes when the spool is closed or collected. Rows
keep each finding in its JSON form (fingerprints and redacted keys only, as everywhere).
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from fastaudit.findings import Finding, Practice, Severity

_SCHEMA = """
CREATE TABLE findings (
    place BLOB NOT NULL,        -- the finding's place in the report: `report_place`
    ordinal INTEGER NOT NULL,   -- the repository's place in the plan; checks come last
    seq INTEGER NOT NULL,       -- the finding's place in its repository's list
    severity INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    practice INTEGER NOT NULL,
    repo BLOB NOT NULL,
    secret TEXT,
    fingerprint BLOB,
    data TEXT NOT NULL
);
CREATE TABLE repos (ordinal INTEGER PRIMARY KEY, failed INTEGER NOT NULL, data TEXT NOT NULL);
"""

# Built once every finding is in: the report's order read from an index, and a key's
# findings found together, cost a walk of the index rather than a sort in memory.
_INDEXES = """
CREATE INDEX IF NOT EXISTS findings_place ON findings (place);
CREATE INDEX IF NOT EXISTS findings_secret ON findings (secret, place);
"""


def _text_key(value: str | None) -> bytes:
    """A string as SQLite compares it like Python does: UTF-8 bytes sort in code point
    order, and `surrogatepass` keeps the odd undecodable path name in its place."""
    return (value or "").encode("utf-8", "surrogatepass")


def _ordered_text(value: str | None) -> bytes:
    """A string as a part of a composite key: NUL escaped, then a terminator below every
    escaped byte, so a string sorts before every longer string it starts."""
    return _text_key(value).replace(b"\x00", b"\x00\x01") + b"\x00\x00"


def _ordered_int(value: int) -> bytes:
    return (value + 2**63).to_bytes(8, "big")


def report_place(finding: Finding, ordinal: int, seq: int) -> bytes:
    """`findings.sort_key` as bytes that compare the same way, then where the finding was
    produced (the repository's place in the plan, its place in that repository's list):
    the same order whichever executor finished which repository first."""
    return b"".join(
        (
            _ordered_int(-int(finding.severity)),
            _ordered_text(finding.repo),
            _ordered_text(finding.path),
            _ordered_int(finding.line or 0),
            _ordered_int(finding.column or 0),
            _ordered_text(finding.rule_id),
            _ordered_text(finding.key_id),
            _ordered_text(finding.commit),
            _ordered_int(ordinal),
            _ordered_int(seq),
        )
    )


class ResultSpool:
    """Findings and repository rows of one run, written once and read many times."""

    def __init__(self, directory: Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="fastaudit-spool-", dir=directory)
        self._db = sqlite3.connect(Path(self._dir.name) / "spool.sqlite3")
        # A scratch file for one run: nothing to recover after a crash (the journal is
        # what a resume reads), so no rollback journal and no syncing.
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "PRAGMA cache_size=-512;" + _SCHEMA
        )
        self._findings = 0

    def add_findings(self, ordinal: int, findings: Iterable[Finding]) -> None:
        """Spool one repository's findings at its place in the plan."""
        rows = [
            (
                report_place(f, ordinal, seq),
                ordinal,
                seq,
                int(f.severity),
                f.rule_id,
                int(f.practice),
                _text_key(f.repo),
                f.secret_sha256,
                _text_key(f.fingerprint),
                json.dumps(f.to_dict(), ensure_ascii=True),
            )
            for seq, f in enumerate(findings)
        ]
        self._db.executemany(f"INSERT INTO findings VALUES ({', '.join('?' * 10)})", rows)
        self._findings += len(rows)

    def replace_findings(self, findings: Iterable[Finding]) -> None:
        """All findings at once, in the order given (verification's answer)."""
        self._db.execute("DELETE FROM findings")
        self._findings = 0
        self.add_findings(0, list(findings))

    def add_repo(self, ordinal: int, row: dict[str, Any]) -> None:
        """Spool one repository's report row at its place in the plan."""
        self._db.execute(
            "INSERT OR REPLACE INTO repos VALUES (?, ?, ?)",
            (ordinal, bool(row.get("error")), json.dumps(row, ensure_ascii=True)),
        )
        self._db.commit()  # to the OS, not the disk: the page cache keeps no dirty pages

    def findings(self) -> SpooledFindings:
        """Every spooled finding, read again from disk on each pass."""
        return SpooledFindings(self, sort=False)

    def repos(self) -> SpooledRepos:
        """Every spooled repository row, in plan order."""
        return SpooledRepos(self)

    def close(self) -> None:
        """Remove the spool from disk."""
        self._db.close()
        self._dir.cleanup()

    # --- reading -------------------------------------------------------------------------

    def _finding_count(self) -> int:
        return self._findings

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        # A cursor of its own: a reader may run while another is half way through.
        yield from self._db.cursor().execute(sql, params)

    def _indexed(self) -> None:
        self._db.executescript(_INDEXES)

    def _read_findings(self, *, sort: bool, offset: int | None = None) -> Iterator[Finding]:
        if sort:
            self._indexed()
        order = "place" if sort else "ordinal, seq"
        limit = "" if offset is None else f" LIMIT 1 OFFSET {int(offset)}"
        for (data,) in self._rows(f"SELECT data FROM findings ORDER BY {order}{limit}"):
            yield Finding.from_dict(json.loads(data))


def _as_read(value: Any) -> Any:
    return value


class SpooledFindings(Sequence[Finding]):
    """The spool's findings as a read-only sequence: each iteration reads them again, so
    any number of passes costs time, never memory. `clean` is applied to each finding as
    it is read (the reports' sanitising step, `sanitize.clean`)."""

    def __init__(
        self, spool: ResultSpool, *, sort: bool, clean: Callable[[Any], Any] = _as_read
    ) -> None:
        self._spool = spool
        self._sort = sort
        self._clean = clean

    def cleaned_on_read(self, clean: Callable[[Any], Any]) -> SpooledFindings:
        """The same findings, each passed through `clean` as it is read."""
        return SpooledFindings(self._spool, sort=self._sort, clean=clean)

    def __len__(self) -> int:
        return self._spool._finding_count()

    def __iter__(self) -> Iterator[Finding]:
        return map(self._clean, self._spool._read_findings(sort=self._sort))

    @overload
    def __getitem__(self, index: int) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Finding]: ...
    def __getitem__(self, index: int | slice) -> Finding | Sequence[Finding]:
        if isinstance(index, slice):
            return list(self)[index]
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("finding index out of range")
        found: Finding = self._clean(
            next(self._spool._read_findings(sort=self._sort, offset=position))
        )
        return found

    def in_report_order(self) -> SpooledFindings:
        """The same findings, read in report order."""
        return SpooledFindings(self._spool, sort=True, clean=self._clean)

    def by_secret(self) -> Iterator[tuple[str, list[Finding]]]:
        """Findings that hold a key, grouped by key: keys in the order the report first
        shows them, each key's findings in report order. One group in memory at a time."""
        self._spool._indexed()
        return self._grouped("secret", "WHERE secret IS NOT NULL")

    def by_rule_and_secret(self) -> Iterator[tuple[str, list[Finding]]]:
        """Findings grouped by rule and key (a finding without a key alone), in the order
        the report first shows each group: the text report's entries."""
        return self._grouped("rule_id || ' ' || COALESCE(secret, '#' || rowid)", "")

    def _grouped(self, key: str, where: str) -> Iterator[tuple[str, list[Finding]]]:
        sql = f"""
            WITH keyed AS (SELECT {key} AS grp, place, data FROM findings {where})
            SELECT keyed.grp, keyed.data FROM keyed JOIN (
                SELECT grp, MIN(place) AS first FROM keyed GROUP BY grp
            ) AS groups ON groups.grp = keyed.grp
            ORDER BY groups.first, keyed.place
        """
        current: str | None = None
        group: list[Finding] = []
        for grp, data in self._spool._rows(sql):
            if grp != current and group:
                yield current or "", group
                group = []
            current = grp
            group.append(self._clean(Finding.from_dict(json.loads(data))))
        if group:
            yield current or "", group

    def counts(self) -> FindingCounts:
        """The report summary's tallies, counted by SQLite rather than by reading every
        finding back."""
        tally = FindingCounts()
        rows = self._spool._rows(
            "SELECT severity, rule_id, practice, repo, COUNT(*) FROM findings "
            "GROUP BY severity, rule_id, practice, repo"
        )
        for severity, rule_id, practice, repo, count in rows:
            tally.add(Severity(severity), rule_id, Practice(practice), count)
            if repo:
                name = repo.decode("utf-8", "surrogatepass")
                tally.by_repo[name] = tally.by_repo.get(name, 0) + count
        ((tally.secrets,),) = self._spool._rows(
            "SELECT COUNT(DISTINCT secret) FROM findings WHERE secret IS NOT NULL"
        )
        for practice, subjects in self._spool._rows(
            "SELECT practice, COUNT(DISTINCT fingerprint) FROM findings GROUP BY practice"
        ):
            tally.subjects[Practice(practice)] = subjects
        tally.by_repo = self._clean(tally.by_repo)
        return tally


class FindingCounts:
    """How many findings by severity, rule, practice and repository, and how many distinct
    things (keys, inventory keys) fail each practice."""

    def __init__(self) -> None:
        self.total = 0
        self.by_severity: dict[Severity, int] = {}
        self.by_rule: dict[str, int] = {}
        self.by_practice: dict[Practice, int] = {}
        self.by_repo: dict[str, int] = {}
        self.subjects: dict[Practice, int] = {}
        self.secrets = 0  # distinct keys

    def add(self, severity: Severity, rule_id: str, practice: Practice, count: int = 1) -> None:
        """Count one finding."""
        self.total += count
        self.by_severity[severity] = self.by_severity.get(severity, 0) + count
        self.by_rule[rule_id] = self.by_rule.get(rule_id, 0) + count
        self.by_practice[practice] = self.by_practice.get(practice, 0) + count

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> FindingCounts:
        """Totals of `findings`: counted by SQLite for a spool, in one pass for a list."""
        if isinstance(findings, SpooledFindings):
            return findings.counts()
        tally = cls()
        subjects: dict[Practice, set[str]] = {}
        for f in findings:
            tally.add(f.severity, f.rule_id, f.practice)
            if f.repo:
                tally.by_repo[f.repo] = tally.by_repo.get(f.repo, 0) + 1
            subjects.setdefault(f.practice, set()).add(f.fingerprint or "")
        tally.subjects = {practice: len(found) for practice, found in subjects.items()}
        tally.secrets = len({f.secret_sha256 for f in findings if f.secret_sha256})
        return tally


def rule_and_secret_groups(findings: Iterable[Finding]) -> Iterator[list[Finding]]:
    """Findings grouped by rule and key (a finding without a key alone), in the order each
    group is first met; a spool groups on disk."""
    if isinstance(findings, SpooledFindings):
        yield from (group for _, group in findings.by_rule_and_secret())
        return
    groups: dict[tuple[str, str | int], list[Finding]] = {}
    for number, finding in enumerate(findings):
        groups.setdefault((finding.rule_id, finding.secret_sha256 or number), []).append(finding)
    yield from groups.values()


def secret_groups(findings: Iterable[Finding]) -> Iterator[tuple[str, list[Finding]]]:
    """Findings that hold a key, grouped by key, in the order each key is first met; a
    spool groups on disk."""
    if isinstance(findings, SpooledFindings):
        yield from findings.by_secret()
        return
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.secret_sha256 is not None:
            groups.setdefault(finding.secret_sha256, []).append(finding)
    yield from groups.items()


class SpooledRepos(Sequence[dict[str, Any]]):
    """The report's repository rows, in plan order, read from the spool on each pass."""

    def __init__(self, spool: ResultSpool, clean: Callable[[Any], Any] = _as_read) -> None:
        self._spool = spool
        self._clean = clean

    def cleaned_on_read(self, clean: Callable[[Any], Any]) -> SpooledRepos:
        """The same rows, each passed through `clean` as it is read."""
        return SpooledRepos(self._spool, clean)

    def __len__(self) -> int:
        ((count,),) = self._spool._rows("SELECT COUNT(*) FROM repos")
        return int(count)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for (data,) in self._spool._rows("SELECT data FROM repos ORDER BY ordinal"):
            yield self._clean(json.loads(data))

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | Sequence[dict[str, Any]]:
        return list(self)[index]

    def failed(self) -> list[dict[str, Any]]:
        """The rows of repositories that could not be audited (few, and listed in full)."""
        return [self._clean(json.loads(d)) for (d,) in self._spool._rows(
            "SELECT data FROM repos WHERE failed ORDER BY ordinal"
        )]  # fmt: skip
