"""Writing reports: atomically, so an interrupted run never leaves a half report that
looks complete."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from fastaudit.errors import InputError


@contextlib.contextmanager
def atomic_text_file(path: Path) -> Iterator[IO[str]]:
    """Yield a stream whose content replaces `path` only if the block completes."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        # mkstemp makes the file private (0600); a report should get the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_output(path: Path | None, write: Callable[[IO[str]], None]) -> None:
    """Send output to `path` atomically, or to stdout when no path is given."""
    if path is None or str(path) == "-":
        write(sys.stdout)
        sys.stdout.flush()
        return
    with atomic_text_file(path) as stream:
        write(stream)
