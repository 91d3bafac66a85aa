"""Staged changes: the content of the index, which is what `git commit` will record.

Reading the index rather than the work tree matters when a file is partly staged: the
key may be in the staged half only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from fastaudit.errors import InputError
from fastaudit.sources.gitproc import SAFE_DIFF_OPTIONS, popen_git, run_git


@dataclass(frozen=True)
class StagedFile:
    """A path in the index and the blob it holds there."""

    path: str
    oid: str


def staged_files(top: Path) -> list[StagedFile]:
    """Paths added, copied, modified, renamed or type-changed in the index, with their
    staged blob ids. NUL-separated throughout: a file name may hold a newline, a tab or
    bytes that are not UTF-8, and must neither hide itself nor the next file."""
    out = run_git(
        [
            "diff",
            "--cached",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--diff-filter=ACMT",
            *SAFE_DIFF_OPTIONS,
        ],
        top,
    )
    tokens = out.split(b"\0")
    files: list[StagedFile] = []
    for meta, raw_path in zip(tokens[::2], tokens[1::2], strict=False):
        fields = meta.lstrip(b":").split()
        if len(fields) < 5 or fields[1] == b"160000":  # a submodule: another repository
            continue
        files.append(StagedFile(os.fsdecode(raw_path), fields[3].decode("ascii")))
    return files


# Staged content is handed over in pieces of this size, so a huge staged file costs
# bounded memory. Each path's pieces must be consumed before the next path is asked for.
PIECE_SIZE = 8 * 1024 * 1024


def staged_blobs(top: Path, files: list[StagedFile]) -> Iterator[tuple[str, Iterator[bytes]]]:
    """(path, staged content in pieces) for each file, through one `git cat-file --batch`
    asked for blob ids (never for names, which the line-based protocol cannot carry)."""
    if not files:
        return
    proc = popen_git(["cat-file", "--batch"], top, stdin=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for staged in files:
            proc.stdin.write(staged.oid.encode("ascii") + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                continue  # missing, or not a blob: nothing to read for it
            size = int(header[2])
            pieces = _pieces(proc.stdout, size)
            yield staged.path, pieces
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
