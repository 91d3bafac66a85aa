"""A damaged repository read anyway: when git stops at an object it cannot read, the
rest is read again in a way that steps over each unreadable object, and what a damaged
pack still holds is recovered, so one bad object never hides the keys in the others."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path

from fastaudit.errors import InputError
from fastaudit.sources.gitinspect import RepoInfo, all_object_ids
from fastaudit.sources.gitproc import (
    popen_git,
    run_git,
)
from fastaudit.sources.gitstream import (
    ObjectHit,
    Search,
    StreamStats,
    parse_stream,
    stream_once,
)

# A damaged repository is read again object by object; past this many unreadable objects
# the rest are counted as unreadable without trying each (every try restarts git).
MAX_UNREADABLE_RETRIES = 2000


def salvage(
    repo: RepoInfo, search: Search, ids: Sequence[str] | None, stats: StreamStats
) -> Iterator[ObjectHit]:
    """Read every wanted object again, skipping the ones git cannot read."""
    if ids is None:
        try:
            wanted = all_object_ids(repo).decode("ascii").split()
        except InputError as exc:
            stats.git_errors.append(str(exc))
            return
    else:
        wanted = list(ids)
    skip: set[str] = set()
    for pack in damaged_packs(repo):
        in_pack = pack_object_ids(repo, pack)
        recovered = yield from _recover_pack(repo, pack, search, stats)
        skip |= in_pack
        stats.unreadable.extend(sorted(in_pack - recovered))
    remaining = [oid for oid in wanted if oid not in skip]
    position = 0
    while position < len(remaining):
        attempt = StreamStats()
        yield from stream_once(repo, search, remaining[position:], attempt, None)
        stats.missing.extend(attempt.missing)
        stats.git_errors.extend(attempt.git_errors)
        position += attempt.done
        if attempt.truncated is None:
            break
        if position < len(remaining):
            stats.unreadable.append(remaining[position])
            position += 1
        if len(stats.unreadable) >= MAX_UNREADABLE_RETRIES:
            stats.unreadable.extend(remaining[position:])
            break
    stats.truncated = None  # every object was either read or counted as unreadable


def damaged_packs(repo: RepoInfo) -> list[Path]:
    """Packs git refuses to open: missing, or whose trailing checksum is not the one
    their index records (a truncated or overwritten pack)."""
    width = 32 if repo.object_format == "sha256" else 20
    damaged = []
    for index in sorted((repo.common_dir / "objects" / "pack").glob("*.idx")):
        pack = index.with_suffix(".pack")
        try:
            with index.open("rb") as handle:
                handle.seek(-2 * width, os.SEEK_END)
                expected = handle.read(width)
            with pack.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < 12 + width:
                    damaged.append(pack)
                    continue
                handle.seek(-width, os.SEEK_END)
                if handle.read(width) != expected:
                    damaged.append(pack)
        except OSError:
            damaged.append(pack)
    return damaged


def pack_object_ids(repo: RepoInfo, pack: Path) -> set[str]:
    """The ids a pack's index lists (the index survives when the pack is damaged)."""
    index = pack.with_suffix(".idx")
    try:
        with index.open("rb") as handle:
            listing = run_git(
                ["show-index", f"--object-format={repo.object_format}"],
                repo.git_dir,
                check=False,
                stdin=handle,
            )
    except OSError:
        return set()
    ids = set()
    for line in listing.decode("ascii", "replace").splitlines():
        fields = line.split()
        if len(fields) >= 2:
            ids.add(fields[1])
    return ids


def _recover_pack(
    repo: RepoInfo, pack: Path, search: Search, stats: StreamStats
) -> Generator[ObjectHit, None, set[str]]:
    """What `git unpack-objects -r` (its recovery mode) can still read from a damaged
    pack, unpacked into a private temporary object store and searched there; the
    repository itself is never written. Returns the ids recovered."""
    recovered: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="fastaudit-salvage-") as scratch:
        objects = Path(scratch) / "objects"
        objects.mkdir()
        env = {"GIT_OBJECT_DIRECTORY": str(objects), "GIT_ALTERNATE_OBJECT_DIRECTORIES": ""}
        try:
            with pack.open("rb") as handle:
                run_git(
                    ["unpack-objects", "-r", "-q"],
                    repo.git_dir,
                    check=False,  # it fails at the damage, having kept what it read
                    stdin=handle,
                    extra_env=env,
                )
        except OSError:
            return recovered
        listing = run_git(
            ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"],
            repo.git_dir,
            check=False,
            extra_env=env,
        )
        recovered = set(listing.decode("ascii", "replace").split())
        stats.recovered += len(recovered)
        attempt = StreamStats()
        proc = popen_git(
            ["cat-file", "--batch-all-objects", "--batch", "--unordered"],
            repo.git_dir,
            stdin=subprocess.DEVNULL,
            extra_env=env,
        )
        assert proc.stdout is not None
        try:
            for hit in parse_stream(proc.stdout.fileno(), search, attempt, None):
                if hit.data is None:  # too large to hold, and gone with the scratch store
                    stats.git_errors.append(f"{hit.oid}: recovered but too large to re-read")
                    continue
                yield hit
        finally:
            proc.stdout.close()
            proc.wait()
    return recovered
