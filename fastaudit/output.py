"""Writing reports: atomically where that is safe, so an interrupted run never leaves a half
report that looks complete, and directly where an atomic rename would do harm.

A rename replaces whatever the name points at. Onto a regular file or a new name that is
what we want; onto `/dev/null`, `/dev/full`, `/dev/stdout`, a FIFO or a socket it would
swap a device for a plain file (machine-wide, when run as root). Those are written
directly, in place. An existing file keeps its mode and owner; a symlink keeps pointing
where it did, and its target is what gets replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from fastaudit.errors import InputError


def _write_failed(path: Path | str, exc: OSError) -> InputError:
    return InputError(f"cannot write {path}: {exc.strerror or exc}")


@contextlib.contextmanager
def atomic_text_file(path: Path) -> Iterator[IO[str]]:
    """Yield a stream whose content replaces `path` only if the block completes."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        existing: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise _write_failed(path, exc) from None
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _write_failed(path, exc) from None
    try:
        if existing is not None:
            os.chmod(tmp, stat.S_IMODE(existing.st_mode))
            with contextlib.suppress(OSError):  # only root may give a file away
                os.chown(tmp, existing.st_uid, existing.st_gid)
        else:
            # mkstemp makes the file private (0600); a new report gets the usual mode.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _write_failed(path, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _is_special(path: Path) -> bool:
    """True for anything but a regular file or a name that does not exist yet, and for
    any name of a file descriptor (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`): a
    rename would replace the link itself, and the descriptor may be open for append."""
    descriptor_names = ("/proc/", "/dev/fd/", "/dev/stdout", "/dev/stderr")
    if os.path.abspath(path).startswith(descriptor_names):
        return True
    with contextlib.suppress(OSError):
        if os.readlink(path).startswith(descriptor_names):
            return True
    try:
        mode = os.stat(path).st_mode  # follows links: /dev/stdout -> /proc/self/fd/1 -> ...
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _write_failed(path, exc) from None
    return not stat.S_ISREG(mode)


def _write_stream(stream: IO[str], write: Callable[[IO[str]], None], name: str) -> None:
    try:
        write(stream)
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise BrokenPipeError from None
        raise _write_failed(name, exc) from None


def write_output(path: Path | None, write: Callable[[IO[str]], None]) -> None:
    """Send output to `path` (atomically onto regular files and new names, directly onto
    devices, FIFOs and `-`), or to stdout when no path is given."""
    if path is None or str(path) == "-":
        _write_stream(sys.stdout, write, "standard output")
        return
    if _is_special(path):
        try:
            handle = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        except OSError as exc:
            raise _write_failed(path, exc) from None
        try:
            _write_stream(handle, write, str(path))
        finally:
            with contextlib.suppress(OSError):
                handle.close()
        return
    with atomic_text_file(path) as stream:
        write(stream)
