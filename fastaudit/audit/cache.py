"""A repository's audit result, reused while nothing it depends on has changed.

A nightly audit of thousands of repositories mostly finds them as they were. Checking
that costs no git process at all: the result is stored with the file-system state of
everything it was computed from (HEAD, the refs, packed-refs, the shallow list, the
index, every scanned file and every folder that holds one, and with `--all-objects` the
object folders), and is reused only when every one of those still has the same inode,
size and modification time, under the same settings. Any change (a commit, a fetch, an
edited or new file, a new setting) means a full audit of that repository.

Stored in the user's cache directory (never in the repository), holding what a report
holds: fingerprints and redacted forms, never a key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastaudit.audit.result import RepoResult

FORMAT = 1


def _cache_file(repo_path: Path) -> Path:
    from platformdirs import user_cache_dir

    digest = hashlib.sha256(str(repo_path.resolve()).encode("utf-8", "surrogateescape"))
    return Path(user_cache_dir("fastaudit")) / "audit-results" / f"{digest.hexdigest()[:32]}.json"


def snapshot(paths: Iterable[str]) -> list[list[int]]:
    """(inode, size, mtime in ns) of each path, without following links; -1s when gone."""
    state = []
    for path in paths:
        try:
            info = os.lstat(path)
            state.append([info.st_ino, info.st_size, info.st_mtime_ns])
        except OSError:
            state.append([-1, -1, -1])
    return state


def git_paths(git_dir: Path, common_dir: Path, all_objects: bool) -> list[str]:
    """What a history result depends on: HEAD, the index, the shallow list, packed refs,
    and every folder and file under refs/ (a new branch changes its folder)."""
    paths = [
        str(git_dir / "HEAD"),
        str(git_dir / "index"),
        str(common_dir / "packed-refs"),
        str(common_dir / "shallow"),
    ]
    for folder, dirs, files in os.walk(common_dir / "refs"):
        paths.append(folder)
        paths.extend(os.path.join(folder, name) for name in files)
        dirs.sort()
    if all_objects:  # dangling objects count: any new object changes these folders
        objects = common_dir / "objects"
        paths.append(str(objects / "pack"))
        with contextlib.suppress(OSError):
            paths.extend(str(objects / d) for d in sorted(os.listdir(objects)) if len(d) == 2)
    return paths


def worktree_paths(root: Path, files: Iterable[str]) -> list[str]:
    """Each scanned file and each folder between it and `root`: a new file, even an
    ignored one, changes its folder's modification time (a conservative miss)."""
    paths = [str(root)]
    folders: set[str] = set()
    root_text = str(root)
    for path in files:
        paths.append(path)
        folder = os.path.dirname(path)
        while (
            folder.startswith(root_text) and len(folder) > len(root_text) and folder not in folders
        ):
            folders.add(folder)
            folder = os.path.dirname(folder)
    return paths + sorted(folders)


def settings_key(*parts: object) -> str:
    """One digest of everything a stored result depends on: a change to any part is a miss."""
    return hashlib.sha256("\x00".join(repr(p) for p in parts).encode()).hexdigest()


def load(repo_path: Path, key: str) -> RepoResult | None:
    """The stored result, if its settings match and nothing it watched has changed."""
    try:
        record: dict[str, Any] = json.loads(_cache_file(repo_path).read_text(encoding="utf-8"))
        if record.get("format") != FORMAT or record.get("key") != key:
            return None
        if snapshot(record["watched"]) != record["state"]:
            return None
        result = RepoResult.from_dict(record["result"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    result.from_journal = False
    return result


def save(
    repo_path: Path, key: str, watched: list[str], state: list[list[int]], result: RepoResult
) -> None:
    """Store atomically; a cache that cannot be written is simply not there next time."""
    target = _cache_file(repo_path)
    from fastaudit.sanitize import for_disk

    # Redacted like every persisted string: a watched path named after a key then no
    # longer matches, which only costs a re-scan.
    record = for_disk(
        {
            "format": FORMAT,
            "key": key,
            "watched": watched,
            "state": state,
            "result": result.to_dict(),
        }
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".audit-result.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=True)
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
