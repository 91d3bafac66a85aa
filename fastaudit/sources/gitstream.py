"""Git's object database as a stream: every object's bytes, read once, at git's own speed.

Objects come through `git cat-file --batch`, either for every object in pack order
(`--batch-all-objects --unordered`, the fastest way git can hand them over) or for a
given list of ids. The reader does almost nothing per object in Python: it parses the
header, skips trees, and runs a literal search (C speed, no copy) over the content in
place; only objects the search selects are copied out. Objects larger than
`LARGE_OBJECT` are never held whole: they are searched as they stream past, and the
few selected are re-read in bounded chunks later."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Protocol

from fastaudit.sources.gitinspect import RepoInfo
from fastaudit.sources.gitproc import (
    popen_git,
)

# Objects above this size are searched while streaming and never held whole in memory.
LARGE_OBJECT = 32 * 1024 * 1024
READ_SIZE = 1024 * 1024
_F_SETPIPE_SZ = 1031  # Linux: grow the pipe so each read returns up to 1 MiB
LFS_POINTER = b"version https://git-lfs.github.com/spec/"


@dataclass
class ObjectHit:
    """An object whose bytes hold a literal needle (a key prefix)."""

    oid: str
    kind: str  # blob, commit or tag
    data: bytes | None  # None for a large object: re-read it in chunks


class Gate(Protocol):
    """A test a blob the needles did not select must pass to be read (the caller's: the
    encoded forms of a key, which this module knows nothing about)."""

    # Bytes a match can span: a large blob's pieces are tested overlapping by this much.
    overlap: int
    # The needles `matches` also answers for: a blob is not searched for them again.
    covers: frozenset[bytes]

    def matches(self, data: bytes | memoryview) -> bool:
        """Whether `data` may hold what the caller looks for."""
        raise NotImplementedError


@dataclass(frozen=True)
class Search:
    """What selects an object: a literal needle in it, a blob starting with one of
    `magics` (compressed data, archives), or a blob (or a large blob's piece) that `gate`
    matches."""

    needles: tuple[bytes, ...]
    magics: tuple[bytes, ...] = ()
    gate: Gate | None = None


@dataclass
class StreamStats:
    """Counts for the report and the progress bar."""

    objects: int = 0
    blobs: int = 0
    bytes: int = 0
    missing: list[str] = field(default_factory=list)
    lfs_pointers: int = 0
    truncated: str | None = None  # git's reason when the stream ended early
    git_errors: list[str] = field(default_factory=list)  # objects git could not read
    done: int = 0  # objects (and "missing" answers) read to their end
    unreadable: list[str] = field(default_factory=list)  # ids git could not read at all
    recovered: int = 0  # objects salvaged from damaged packs
    commits: list[str] = field(default_factory=list)  # every commit read, for attribution


def popen_cat_file(
    repo: RepoInfo, args: list[str], stdin: int, stderr: IO[bytes] | int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """git cat-file with stdout piped. Its stderr goes to a file, never a pipe: on a
    corrupt repository git may write more errors than a pipe holds while we are busy
    reading stdout, and both would wait forever."""
    proc = popen_git(["cat-file", *args], repo.git_dir, stdin=stdin, stderr=stderr)
    assert proc.stdout is not None
    try:
        import fcntl

        fcntl.fcntl(proc.stdout.fileno(), _F_SETPIPE_SZ, READ_SIZE)
    except (ImportError, OSError):
        pass  # a smaller pipe only means more reads
    return proc


# A damaged repository is read again object by object; past this many unreadable objects
# the rest are counted as unreadable without trying each (every try restarts git).


def stream_once(
    repo: RepoInfo,
    search: Search,
    ids: Sequence[str] | None,
    stats: StreamStats,
    on_progress: Callable[[StreamStats], None] | None,
) -> Iterator[ObjectHit]:
    """One `git cat-file` pass; stops where git stops."""
    errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    if ids is None:
        args = ["--batch-all-objects", "--batch", "--unordered"]
        proc = popen_cat_file(repo, args, subprocess.DEVNULL, errors)
        writer = None
    else:
        proc = popen_cat_file(repo, ["--batch"], subprocess.PIPE, errors)
        writer = threading.Thread(target=_feed, args=(proc, ids), daemon=True)
        writer.start()
    assert proc.stdout is not None
    try:
        yield from parse_stream(proc.stdout.fileno(), search, stats, on_progress)
    finally:
        if proc.poll() is None:
            # Stopped early (error, interrupt, or a parse problem): closing the pipe ends
            # git with SIGPIPE instead of leaving it blocked on a full pipe forever.
            proc.stdout.close()
        proc.wait()
        if writer is not None:
            writer.join(timeout=5)
        errors.seek(0)
        error = errors.read().decode("utf-8", "replace").strip()
        errors.close()
        lines = [line for line in error.splitlines() if line.strip()]
        if proc.returncode not in (0, None) and stats.truncated is None:
            first = lines[0] if lines else f"exit status {proc.returncode}"
            stats.truncated = f"git cat-file stopped early: {first}"
        elif lines:
            stats.git_errors.extend(lines)


def _feed(proc: subprocess.Popen[bytes], ids: Iterable[str]) -> None:
    assert proc.stdin is not None
    try:
        batch: list[str] = []
        for oid in ids:
            batch.append(oid)
            if len(batch) >= 4096:
                proc.stdin.write(("\n".join(batch) + "\n").encode("ascii"))
                batch.clear()
        if batch:
            proc.stdin.write(("\n".join(batch) + "\n").encode("ascii"))
        proc.stdin.close()
    except (BrokenPipeError, ValueError):
        pass  # the reader stopped (error or interrupt); it reports why


def parse_stream(
    fd: int,
    search: Search,
    stats: StreamStats,
    on_progress: Callable[[StreamStats], None] | None,
) -> Iterator[ObjectHit]:
    """Objects `search` selects from git's `--batch` output; the id of every commit read
    goes to `stats.commits` (attribution walks them, in parallel, instead of history)."""
    commits: list[bytes] = []
    try:
        yield from _parse_into(fd, search, stats, on_progress, commits)
    finally:
        stats.commits.extend(c.decode("ascii") for c in commits)


class _Pipe:
    """git's output as it arrives: a buffer, the read position in it, and whether git has
    finished. `refill` drops what was consumed and appends the next read."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = bytearray()
        self.pos = 0
        self.eof = False

    def refill(self) -> bool:
        """Read more; False at the end of git's output."""
        if self.pos:
            del self.buf[: self.pos]
            self.pos = 0
        data = os.read(self.fd, READ_SIZE)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True


def _parse_into(
    fd: int,
    search: Search,
    stats: StreamStats,
    on_progress: Callable[[StreamStats], None] | None,
    commits: list[bytes],
) -> Iterator[ObjectHit]:
    """The hot loop. Kept flat and free of per-object allocations on purpose.

    What selects an object is `search`'s."""
    pipe = _Pipe(fd)
    buf = pipe.buf  # the same bytearray throughout: refills change it in place
    next_progress = 0
    while True:
        newline = buf.find(b"\n", pipe.pos)
        if newline < 0:
            if pipe.eof or not pipe.refill():
                if len(buf) - pipe.pos:
                    stats.truncated = "git cat-file output ended inside an object header"
                return
            continue
        parts = bytes(buf[pipe.pos : newline]).split()
        if len(parts) == 2 and parts[1] == b"missing":
            stats.missing.append(parts[0].decode("ascii"))
            stats.done += 1
            pipe.pos = newline + 1
            continue
        if len(parts) != 3:
            stats.truncated = "unexpected output from git cat-file"
            return
        oid, kind, size = parts[0], parts[1], int(parts[2])
        stats.objects += 1
        if kind == b"commit":
            commits.append(oid)
        elif kind == b"blob":
            stats.blobs += 1
            stats.bytes += size
        pipe.pos = newline + 1
        if size > LARGE_OBJECT:
            found = _search_large(pipe, size, kind, search)
            if found is None:
                stats.truncated = "git cat-file output ended inside an object"
                return
            hit = ObjectHit(oid.decode("ascii"), kind.decode("ascii"), None) if found else None
        else:
            while len(buf) < pipe.pos + size + 1:
                if pipe.eof or not pipe.refill():
                    stats.truncated = "git cat-file output ended inside an object"
                    return
            start = pipe.pos
            data = _select_small(buf, start, start + size, kind, search, stats)
            pipe.pos = start + size + 1
            hit = (
                ObjectHit(oid.decode("ascii"), kind.decode("ascii"), data)
                if data is not None
                else None
            )
        stats.done += 1
        if hit is not None:
            yield hit
        if on_progress is not None and stats.objects >= next_progress:
            on_progress(stats)
            next_progress = stats.objects + 2048


def _select_small(
    buf: bytearray, start: int, end: int, kind: bytes, search: Search, stats: StreamStats
) -> bytes | None:
    """An object held whole in `buf[start:end]`: its bytes when `search` selects it (a
    needle; for a blob, magic bytes at its start or the gate), else None."""
    if kind == b"tree":
        return None
    if kind == b"blob" and end - start < 1024 and buf.startswith(LFS_POINTER, start):
        stats.lfs_pointers += 1
    gate = search.gate if kind == b"blob" else None
    skip = gate.covers if gate is not None else frozenset()
    for needle in search.needles:
        if needle not in skip and buf.find(needle, start, end) >= 0:
            return bytes(buf[start:end])
    if kind != b"blob":
        return None
    if search.magics and buf.startswith(search.magics, start):
        return bytes(buf[start:end])
    if gate is not None:
        with memoryview(buf) as whole, whole[start:end] as blob:
            matched = gate.matches(blob)
        if matched:
            return bytes(buf[start:end])
    return None


def _search_large(pipe: _Pipe, size: int, kind: bytes, search: Search) -> bool | None:
    """An object too large to hold, searched as it streams past: whether `search` selects
    it (None when git's output ends inside it). The same tests as a small object, each on
    a window that overlaps the last piece by enough for a match across the boundary."""
    gate = search.gate
    overlap = max(gate.overlap if gate is not None else 0, max(len(n) for n in search.needles))
    found = False
    remaining = size
    tail = b""
    first = True
    while remaining:
        if pipe.pos >= len(pipe.buf) and not pipe.refill():
            return None
        take = min(remaining, len(pipe.buf) - pipe.pos)
        if kind != b"tree" and not found:
            piece = bytes(pipe.buf[pipe.pos : pipe.pos + take])
            window = tail + piece
            blob_gate = gate if kind == b"blob" else None
            skip = blob_gate.covers if blob_gate is not None else frozenset()
            found = (
                (first and bool(search.magics) and piece.startswith(search.magics))
                or any(n in window for n in search.needles if n not in skip)
                or (blob_gate is not None and blob_gate.matches(window))
            )
            tail = window[-overlap:]
        first = False
        pipe.pos += take
        remaining -= take
    if pipe.pos >= len(pipe.buf) and not pipe.refill():  # the newline ending every object
        return None
    pipe.pos += 1
    return found


def read_object_chunks(repo: RepoInfo, oid: str, chunk_size: int) -> Iterator[bytes]:
    """One object's content in bounded chunks (for objects too large to hold)."""
    proc = popen_cat_file(repo, ["-p", oid], subprocess.DEVNULL)
    assert proc.stdout is not None
    try:
        while True:
            chunk = proc.stdout.read(chunk_size)
            if not chunk:
                break
            yield chunk
    finally:
        proc.stdout.close()
        proc.wait()
