"""The audit's spool on disk gives what the lists it replaces gave: the report's order,
the same groups by key, the same tallies, every finding exactly once."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fastaudit.findings import RULES, Finding, Severity, sort_key
from fastaudit.report import Report, render
from fastaudit.report.json_report import group_by_secret
from fastaudit.sanitize import clean
from fastaudit.spool import FindingCounts, ResultSpool, rule_and_secret_groups

# Names that stress byte-wise ordering: NUL, a prefix of another name, non-ASCII, an
# undecodable byte as git paths arrive (surrogateescape), and the empty string.
_names = st.sampled_from(["", "a", "a\x00", "a\x00b", "ab", "é", "z", "\udcff", "日本", "a/b"])
_maybe = st.one_of(st.none(), _names)
_findings = st.builds(
    Finding,
    rule_id=st.sampled_from(sorted(RULES)),
    severity=st.sampled_from(list(Severity)),
    path=_maybe,
    line=st.one_of(st.none(), st.integers(0, 2**40)),
    column=st.one_of(st.none(), st.integers(0, 300)),
    secret_sha256=st.one_of(st.none(), st.sampled_from(["1" * 64, "2" * 64, "3" * 64])),
    redacted=st.just("fast_prod_ab…cd"),
    message=_maybe,
    commit=st.one_of(st.none(), st.sampled_from(["c1", "c2"])),
    key_id=_maybe,
    repo=_maybe,
)


def _spooled(batches: list[list[Finding]]) -> ResultSpool:
    spool = ResultSpool()
    for ordinal, batch in enumerate(batches):
        spool.add_findings(ordinal, batch)
    return spool


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_findings, max_size=6), max_size=8))
def test_the_spool_reads_back_what_a_list_holds(batches: list[list[Finding]]) -> None:
    flat = [f for batch in batches for f in batch]
    spool = _spooled(batches)
    try:
        spooled = spool.findings()
        assert len(spooled) == len(flat)
        assert list(spooled) == flat  # plan order, each finding once
        # The report's order, ties kept in plan order as Python's stable sort keeps them.
        expected = sorted(flat, key=sort_key)
        assert list(spooled.in_report_order()) == expected
        assert list(group_by_secret(spooled.in_report_order())) == list(group_by_secret(expected))
        on_disk, in_memory = FindingCounts.of(spooled), FindingCounts.of(flat)
        assert vars(on_disk) == vars(in_memory)
        assert Report("audit", spooled).summary() == Report("audit", flat).summary()
        assert list(rule_and_secret_groups(spooled.in_report_order())) == list(
            rule_and_secret_groups(expected)
        )
        # The text report, where no name needs escaping (a list is escaped before it is
        # sorted, the spool after: escaped names may sort apart, as in the JSON report).
        if clean(flat, human=True) == flat:
            texts = []
            for findings in (spooled, flat):
                out = io.StringIO()
                render("text", Report("history", findings, generated_at="-"), out)
                texts.append(out.getvalue())
            assert texts[0] == texts[1]
    finally:
        spool.close()


def test_the_spool_leaves_nothing_behind(tmp_path: Path) -> None:
    spool = ResultSpool(directory=tmp_path)
    spool.add_findings(0, [Finding("FAST001", Severity.HIGH, path="a.env", repo="r")])
    spool.add_repo(0, {"name": "r", "error": None})
    spool.add_repo(1, {"name": "s", "error": "not found"})
    assert [r["name"] for r in spool.repos()] == ["r", "s"]
    assert [r["name"] for r in spool.repos().failed()] == ["s"]
    assert list(tmp_path.iterdir())
    spool.close()
    assert not list(tmp_path.iterdir())


def test_the_report_is_the_same_whichever_repository_finishes_first(tmp_path: Path) -> None:
    """An executor hands results back as they finish; the report must not show in which
    order that was (findings, repository rows, warnings, failures)."""
    from collections.abc import Iterator, Sequence
    from datetime import datetime, timezone

    from fastaudit import audit
    from fastaudit.audit.result import RepoResult, TaskOptions
    from fastaudit.audit.task import audit_repository
    from fastaudit.config import Config
    from fastaudit.detect import generate_key
    from fastaudit.sources.mirrors import RepoTarget
    from tests.conftest import Repo, git

    class InOrder:
        name = "in-order"

        def __init__(self, backwards: bool) -> None:
            self.backwards = backwards

        def run(self, targets: Sequence[RepoTarget], options: TaskOptions) -> Iterator[RepoResult]:
            results = [audit_repository(target, options) for target in targets]
            yield from reversed(results) if self.backwards else results

        def running(self) -> int:
            return 0

    entries = []
    for index in range(4):
        path = tmp_path / f"repo{index}"
        path.mkdir()
        git(path, "init", "-q", "-b", "main")
        repo = Repo(path)
        repo.write("config/app.env", f"KEY={generate_key()}\n")
        if index % 2:  # a Git LFS pointer: a warning from this repository
            repo.write("model.bin", "version https://git-lfs.github.com/spec/v1\nsize 12\n")
        repo.commit("init")
        entries.append(str(path))
    # Two that fail: each a failed row and a warning.
    entries += [str(tmp_path / "not-there"), str(tmp_path / "nor-this")]
    targets = audit.plan(entries)
    cfg = Config()
    as_of = datetime(2026, 11, 25, tzinfo=timezone.utc)

    def report(backwards: bool) -> dict[str, Any]:
        from fastaudit.report.json_report import as_document

        made = audit.audit_report(
            targets,
            cfg,
            inventory=None,
            departures=[],
            as_of=as_of,
            options=TaskOptions(config=cfg, use_cache=False),
            executor=InOrder(backwards),  # type: ignore[arg-type]
        )
        document = as_document(made)
        document.pop("generated_at")
        return document

    forwards, backwards = report(False), report(True)
    assert forwards == backwards
    assert [r["name"] for r in forwards["repos"]] == [t.name for t in targets]
    warnings = forwards["warnings"]
    assert sum(": not scanned: " in w for w in warnings) == 2
    assert sum("LFS" in w for w in warnings) == 2
