"""Attribution: which commit put an object on which path, asked of `git log` only for the
objects that held a key, so a clean history costs nothing beyond the read."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from fastaudit.sources.gitinspect import RepoInfo
from fastaudit.sources.gitproc import (
    SAFE_DIFF_OPTIONS,
    current_deadline,
    popen_git,
    run_git,
    under_deadline,
)

FIND_OBJECT_BATCH = 400


@dataclass(frozen=True)
class Introduction:
    """A commit that put an object on a path (a diff entry adding or changing to it)."""

    oid: str
    path: str
    commit: str
    timestamp: int  # committer time, to find the earliest
    author_email: str
    date: str  # author date, ISO 8601


def introductions(
    repo: RepoInfo,
    oids: Sequence[str],
    revisions: Sequence[str],
    commits: Sequence[str] | None = None,
) -> list[Introduction]:
    """Every commit in `revisions` whose diff (against each parent, or the empty tree for
    a root) adds `oid` at a path. Merges are diffed against every parent, so a blob that
    only a conflict resolution created is found; renames are off, so a renamed file is
    an addition at its new path.

    With `commits` (the commits of `revisions`, or more), they are shown by several
    `git log --no-walk` at once, one share each, instead of one walk: a commit's diffs
    do not depend on the walk, and git's walk is single-threaded."""
    found: list[Introduction] = []
    for index in range(0, len(oids), FIND_OBJECT_BATCH):
        batch = oids[index : index + FIND_OBJECT_BATCH]
        wanted = set(batch)
        args = [
            "log",
            "-z",
            *SAFE_DIFF_OPTIONS,
            "--no-show-signature",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "-m",
            "--root",
            "--format=%x01%H %ct %aI %ae",
            *(f"--find-object={oid}" for oid in batch),
        ]
        if commits is not None:
            outputs = _show_in_shares(repo, args, commits)
        else:
            outputs = [run_git([*args, *revisions, "--"], repo.git_dir)]
        for out in outputs:
            found.extend(_parse_raw_log(out, wanted))
    return found


def _show_in_shares(repo: RepoInfo, args: list[str], commits: Sequence[str]) -> list[bytes]:
    """`git log ARGS --no-walk` over `commits`, dealt round-robin into one share per core
    (at least two, at most eight: each share reads the pack indexes and trees again),
    each share's git running at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    shares = min(8, max(2, os.cpu_count() or 1))
    deadline = current_deadline()  # --repo-timeout stops every share

    def show(share: int) -> bytes:
        with under_deadline(deadline), tempfile.TemporaryFile() as listing:
            listing.write("".join(f"{c}\n" for c in commits[share::shares]).encode("ascii"))
            listing.seek(0)
            command = [args[0], "--no-walk=unsorted", "--stdin", *args[1:], "--"]
            return run_git(command, repo.git_dir, stdin=listing)

    with ThreadPoolExecutor(max_workers=shares) as pool:
        return list(pool.map(show, range(shares)))


def _parse_raw_log(out: bytes, wanted: set[str]) -> Iterator[Introduction]:
    for record in out.split(b"\x01"):
        if not record:
            continue
        header, _, rest = record.partition(b"\0")
        fields = header.decode("utf-8", "replace").split(" ", 3)
        if len(fields) < 4:
            continue
        commit, timestamp, date, email = fields
        tokens = rest.split(b"\0")
        for meta, raw_path in zip(tokens[::2], tokens[1::2], strict=False):
            meta_fields = meta.strip(b"\n").split()
            if len(meta_fields) < 5 or meta_fields[1] == b"160000":
                continue
            new = meta_fields[3].decode("ascii")
            if new in wanted:
                yield Introduction(
                    oid=new,
                    path=raw_path.decode("utf-8", "surrogateescape"),
                    commit=commit,
                    timestamp=int(timestamp),
                    author_email=email,
                    date=date,
                )


def commit_metadata(repo: RepoInfo, commits: Sequence[str]) -> dict[str, tuple[int, str, str]]:
    """commit -> (committer time, author email, author date) for the given commits.

    One `git log --no-walk` for all of them, fed on stdin. Fields are NUL-separated and
    records start with \\x01: an e-mail address in a crafted commit may hold anything but
    those."""
    if not commits:
        return {}
    proc = popen_git(
        [
            "log",
            "--no-walk=unsorted",
            "--no-show-signature",
            "--format=%x01%H%x00%ct%x00%aI%x00%ae",
            "--stdin",
        ],
        repo.git_dir,
        stdin=subprocess.PIPE,
    )
    out, _ = proc.communicate(("\n".join(commits) + "\n").encode("ascii"))
    meta: dict[str, tuple[int, str, str]] = {}
    for record in out.split(b"\x01"):
        fields = record.rstrip(b"\n").split(b"\0")
        if len(fields) != 4:
            continue
        sha, timestamp, date, email = (f.decode("utf-8", "surrogateescape") for f in fields)
        try:
            meta[sha] = (int(timestamp), email, date)
        except ValueError:
            continue
    return meta
