"""Staged changes: the content of the index, which is what `git commit` will record.

Reading the index rather than the work tree matters when a file is partly staged: the
key may be in the staged half only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from fastaudit.errors import InputError
from fastaudit.sources.gitproc import git_env, run_git


def staged_paths(top: Path) -> list[str]:
    """Paths added, copied, modified, renamed or type-changed in the index."""
    out = run_git(
        ["diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=ACMT"], top
    )
    return [os.fsdecode(name) for name in out.split(b"\0") if name]


# Staged content is handed over in pieces of this size, so a huge staged file costs
# bounded memory. Each path's pieces must be consumed before the next path is asked for.
PIECE_SIZE = 8 * 1024 * 1024


def staged_blobs(top: Path, paths: list[str]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """(path, staged content in pieces) for each path, through one `git cat-file --batch`."""
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
            pieces = _pieces(proc.stdout, size)
            yield path, pieces
            for _ in pieces:  # whatever the consumer left unread
                pass
            proc.stdout.read(1)
    except (BrokenPipeError, ValueError) as exc:
        raise InputError(f"reading staged files failed: {exc}") from None
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait()


def _pieces(stream: IO[bytes], size: int) -> Iterator[bytes]:
    remaining = size
    while remaining:
        piece = stream.read(min(remaining, PIECE_SIZE))
        if not piece:
            raise InputError("git cat-file output ended early while reading the index")
        remaining -= len(piece)
        yield piece
