"""Staged changes: the content of the index, which is what `git commit` will record.

Reading the index rather than the work tree matters when a file is partly staged: the
key may be in the staged half only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from fastaudit.errors import InputError
from fastaudit.sources.gitproc import git_env, run_git


def staged_paths(top: Path) -> list[str]:
    """Paths added, copied, modified, renamed or type-changed in the index."""
    out = run_git(
        ["diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=ACMT"], top
    )
    return [os.fsdecode(name) for name in out.split(b"\0") if name]


def staged_blobs(top: Path, paths: list[str]) -> Iterator[tuple[str, bytes]]:
    """(path, staged content) for each path, through one `git cat-file --batch`."""
    if not paths:
        return
    proc = subprocess.Popen(
        ["git", "cat-file", "--batch"],
        cwd=top,
        env=git_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for path in paths:
            proc.stdin.write(b":" + os.fsencode(path) + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                continue  # a submodule (commit) or something git cannot show
            size = int(header[2])
            data = proc.stdout.read(size)
            proc.stdout.read(1)
            yield path, data
    except (BrokenPipeError, ValueError) as exc:
        raise InputError(f"reading staged files failed: {exc}") from None
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait()
