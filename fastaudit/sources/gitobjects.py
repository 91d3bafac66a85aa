"""Git's object database as a source: every object's bytes, read once, at git's own speed.

Objects come through `git cat-file --batch`, either for every object in pack order
(`--batch-all-objects --unordered`, the fastest way git can hand them over) or for a
given list of ids. The reader does almost nothing per object in Python: it parses the
header, skips trees, and runs a literal search (C speed, no copy) over the content in
place; only objects holding a literal needle are copied out. Objects larger than
`LARGE_OBJECT` are never held whole: they are searched as they stream past, and the
few that hold a needle are re-read in bounded chunks later.

Attribution (which commit put a blob on which path) is asked of `git log` only for the
objects that held a key, so a clean history costs nothing beyond the read.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from fastaudit.errors import InputError
from fastaudit.sources.gitproc import (
    SAFE_DIFF_OPTIONS,
    current_deadline,
    one_line_output,
    popen_git,
    run_git,
    run_git_process,
    under_deadline,
)

# Objects above this size are searched while streaming and never held whole in memory.
LARGE_OBJECT = 32 * 1024 * 1024
READ_SIZE = 1024 * 1024
_F_SETPIPE_SZ = 1031  # Linux: grow the pipe so each read returns up to 1 MiB
LFS_POINTER = b"version https://git-lfs.github.com/spec/"
FIND_OBJECT_BATCH = 400


@dataclass(frozen=True)
class RepoInfo:
    """What a history scan needs to know about a repository before reading it."""

    path: Path  # where the user pointed (work tree or bare repository)
    git_dir: Path
    common_dir: Path  # shared by all worktrees; holds objects and refs
    bare: bool
    shallow: bool
    head: str | None  # commit id, or None for an unborn HEAD
    object_format: str = "sha1"


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


def inspect(path: Path) -> RepoInfo:
    """Resolve `path` to a repository, or raise InputError with a one-line reason."""
    if not path.exists():
        raise InputError(f"{path} does not exist")
    where = path if path.is_dir() else path.parent
    return _inspect_at_once(path, where) or _inspect_step_by_step(path, where)


# Everything `inspect` needs, asked of one `git rev-parse`: an audit of many small
# repositories pays for each git process it starts.
_INSPECT_ALL = (
    "rev-parse",
    "--is-bare-repository",
    "--is-shallow-repository",
    "--show-object-format",
    "--absolute-git-dir",
    "--git-common-dir",
    "--verify",
    "--quiet",
    "HEAD^{commit}",
)


def _inspect_at_once(path: Path, where: Path) -> RepoInfo | None:
    """One process, when its answer can be read safely: two flags, the format, two paths
    and (unless HEAD is unborn, git's exit status 1) the commit, one per line. A path
    holding a newline makes more lines than that, and the answer is asked again value by
    value; so does any other surprise."""
    child = run_git_process(list(_INSPECT_ALL), where)
    if child.returncode not in (0, 1):
        return None
    text = child.stdout.decode("utf-8", "surrogateescape")
    lines = text[:-1].split("\n") if text.endswith("\n") else []
    if len(lines) != (6 if child.returncode == 0 else 5):
        return None
    bare, shallow, fmt, git_dir, common = lines[:5]
    head = lines[5] if child.returncode == 0 else None
    if bare not in ("true", "false") or shallow not in ("true", "false"):
        return None
    if head is not None and not _HEX_ID.fullmatch(head):
        return None
    common_dir = Path(common)
    if not common_dir.is_absolute():
        common_dir = (where / common_dir).resolve()
    return RepoInfo(
        path=path,
        git_dir=Path(git_dir),
        common_dir=common_dir,
        bare=bare == "true",
        shallow=shallow == "true",
        head=head,
        object_format=fmt or "sha1",
    )


_HEX_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def _inspect_step_by_step(path: Path, where: Path) -> RepoInfo:
    # One value per call: a repository path may hold a newline, so a multi-line answer
    # cannot be split safely.
    flags = run_git(["rev-parse", "--is-bare-repository", "--is-shallow-repository"], where)
    lines = flags.decode("ascii", "replace").splitlines()
    if len(lines) < 2:
        raise InputError(f"{path} is not a git repository")
    git_dir = Path(one_line_output(run_git(["rev-parse", "--absolute-git-dir"], where)))
    common = Path(one_line_output(run_git(["rev-parse", "--git-common-dir"], where)))
    if not common.is_absolute():
        common = (where / common).resolve()
    head_out = run_git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], path, check=False)
    head = head_out.decode().strip() or None
    fmt = run_git(["rev-parse", "--show-object-format"], path, check=False).decode().strip()
    return RepoInfo(
        path=path,
        git_dir=git_dir,
        common_dir=common,
        bare=lines[0] == "true",
        shallow=lines[1] == "true",
        head=head,
        object_format=fmt or "sha1",
    )


def all_object_ids(repo: RepoInfo) -> bytes:
    """Every object id in the repository (reachable or not), sorted, one per line.

    Reads only pack indexes and loose object names: a fraction of a second even for
    hundreds of thousands of objects, which is what makes the history cache pay off.
    """
    return run_git(["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"], repo.git_dir)


def rev_list_objects(repo: RepoInfo, revisions: Sequence[str]) -> list[str]:
    """Ids of the objects reachable from `revisions` (which may exclude, `^BASE`)."""
    out = run_git(["rev-list", "--objects", "--no-object-names", *revisions, "--"], repo.git_dir)
    return out.decode("ascii").split()


def _popen_cat_file(
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
MAX_UNREADABLE_RETRIES = 2000


def stream_objects(
    repo: RepoInfo,
    needles: Sequence[bytes],
    *,
    ids: Sequence[str] | None = None,
    stats: StreamStats,
    on_progress: Callable[[StreamStats], None] | None = None,
    magics: tuple[bytes, ...] = (),
    gate: Gate | None = None,
) -> Iterator[ObjectHit]:
    """Objects of kind blob, commit or tag that hold any of `needles` (or blobs that
    start with one of `magics`: compressed data and archives).

    With `ids` None, every object in the repository in pack order; otherwise those ids.
    Git stops at the first object it cannot read; when that happens, everything is read
    again in a way that steps over each unreadable object (and salvages what a damaged
    pack still holds), so one bad object never hides the keys in the others. The ids git
    could not read end up in `stats.unreadable`.
    """
    yielded: set[str] = set()
    search = Search(tuple(needles), magics, gate)
    for hit in _stream_once(repo, search, ids, stats, on_progress):
        yielded.add(hit.oid)
        yield hit
    if stats.truncated is None:
        return
    for hit in _salvage(repo, search, ids, stats):
        if hit.oid not in yielded:
            yielded.add(hit.oid)
            yield hit


def _salvage(
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
        yield from _stream_once(repo, search, remaining[position:], attempt, None)
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
            for hit in _parse(proc.stdout.fileno(), search, attempt, None):
                if hit.data is None:  # too large to hold, and gone with the scratch store
                    stats.git_errors.append(f"{hit.oid}: recovered but too large to re-read")
                    continue
                yield hit
        finally:
            proc.stdout.close()
            proc.wait()
    return recovered


def _stream_once(
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
        proc = _popen_cat_file(repo, args, subprocess.DEVNULL, errors)
        writer = None
    else:
        proc = _popen_cat_file(repo, ["--batch"], subprocess.PIPE, errors)
        writer = threading.Thread(target=_feed, args=(proc, ids), daemon=True)
        writer.start()
    assert proc.stdout is not None
    try:
        yield from _parse(proc.stdout.fileno(), search, stats, on_progress)
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


def _parse(
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


def _parse_into(
    fd: int,
    search: Search,
    stats: StreamStats,
    on_progress: Callable[[StreamStats], None] | None,
    commits: list[bytes],
) -> Iterator[ObjectHit]:
    """The hot loop. Kept flat and free of per-object allocations on purpose.

    What selects an object is `search`'s."""
    needles, magics, gate = search.needles, search.magics, search.gate
    overlap = max(gate.overlap if gate is not None else 0, max(len(n) for n in needles))
    buf = bytearray()
    pos = 0
    eof = False
    read = os.read
    next_progress = 0

    def refill() -> bool:
        nonlocal buf, pos, eof
        if pos:
            del buf[:pos]
            pos = 0
        data = read(fd, READ_SIZE)
        if not data:
            eof = True
            return False
        buf += data
        return True

    while True:
        newline = buf.find(b"\n", pos)
        if newline < 0:
            if eof or not refill():
                if len(buf) - pos:
                    stats.truncated = "git cat-file output ended inside an object header"
                return
            continue
        parts = bytes(buf[pos:newline]).split()
        if len(parts) == 2 and parts[1] == b"missing":
            stats.missing.append(parts[0].decode("ascii"))
            stats.done += 1
            pos = newline + 1
            continue
        if len(parts) != 3:
            stats.truncated = "unexpected output from git cat-file"
            return
        oid, kind, size = parts[0], parts[1], int(parts[2])
        start = newline + 1
        end = start + size
        stats.objects += 1
        if kind == b"commit":
            commits.append(oid)
        elif kind == b"blob":
            stats.blobs += 1
            stats.bytes += size
        if size > LARGE_OBJECT:
            pos = start
            found = False
            remaining = size
            tail = b""
            first = True
            while remaining:
                if pos >= len(buf) and not refill():
                    stats.truncated = "git cat-file output ended inside an object"
                    return
                take = min(remaining, len(buf) - pos)
                piece = bytes(buf[pos : pos + take])
                if kind != b"tree" and not found:
                    window = tail + piece
                    # The same three tests as a small object: magic bytes at its start,
                    # a needle, or (a blob) the gate, each on the window that overlaps
                    # the last piece by enough for a needle across the boundary.
                    found = (
                        (first and bool(magics) and piece.startswith(magics))
                        or any(n in window for n in needles)
                        or (kind == b"blob" and gate is not None and gate.matches(window))
                    )
                    tail = window[-overlap:]
                first = False
                pos += take
                remaining -= take
            if pos >= len(buf) and not refill():  # the newline that ends every object
                stats.truncated = "git cat-file output ended inside an object"
                return
            pos += 1
            stats.done += 1
            if found:
                yield ObjectHit(oid.decode("ascii"), kind.decode("ascii"), None)
        else:
            header_len = start - pos
            while len(buf) < end + 1:
                if eof or not refill():
                    stats.truncated = "git cat-file output ended inside an object"
                    return
                start = pos + header_len  # refill() dropped what was consumed
                end = start + size
            data = None
            if kind != b"tree":
                for needle in needles:
                    if buf.find(needle, start, end) >= 0:
                        data = bytes(buf[start:end])
                        break
                if kind == b"blob":
                    if data is None and magics and buf.startswith(magics, start):
                        data = bytes(buf[start:end])
                    if data is None and gate is not None:
                        with memoryview(buf) as whole, whole[start:end] as blob:
                            matched = gate.matches(blob)
                        if matched:
                            data = bytes(buf[start:end])
                    if buf.startswith(LFS_POINTER, start) and size < 1024:
                        stats.lfs_pointers += 1
            pos = end + 1
            stats.done += 1
            if data is not None:
                yield ObjectHit(oid.decode("ascii"), kind.decode("ascii"), data)
        if on_progress is not None and stats.objects >= next_progress:
            on_progress(stats)
            next_progress = stats.objects + 2048


def read_object_chunks(repo: RepoInfo, oid: str, chunk_size: int) -> Iterator[bytes]:
    """One object's content in bounded chunks (for objects too large to hold)."""
    proc = _popen_cat_file(repo, ["-p", oid], subprocess.DEVNULL)
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


@dataclass
class CommitGraph:
    """Every commit the refs reach, with its children, and the refs at each tip: enough to
    say which refs hold any commit without asking git once per commit."""

    tips: dict[str, list[str]]
    children: dict[str, list[str]]
    order: dict[str, int]

    def refs_containing(self, commits: Sequence[str]) -> dict[str, list[str]]:
        """For each commit, the refs whose history holds it (what `for-each-ref
        --contains` answers), walking descendants child to child and reusing the answer
        of any other asked-about commit met on the way."""
        wanted = list(dict.fromkeys(commits))
        answers: dict[str, set[str]] = {}
        # Newest first (rev-list's order), so an ancestor's walk can usually stop at a
        # descendant whose answer is known.
        for target in sorted(wanted, key=lambda c: self.order.get(c, -1)):
            if target not in self.order:
                answers[target] = set()
                continue
            found: set[str] = set()
            seen = {target}
            stack = [target]
            while stack:
                commit = stack.pop()
                if commit != target and commit in answers:
                    found |= answers[commit]
                    continue
                found.update(self.tips.get(commit, ()))
                for child in self.children.get(commit, ()):
                    if child not in seen:
                        seen.add(child)
                        stack.append(child)
            answers[target] = found
        return {commit: sorted(answers[commit]) for commit in wanted}


@dataclass(frozen=True)
class RefEntry:
    """One ref as `for-each-ref` lists it: its own value and kind, and for a tag the
    object it points at (one level; a tag of a tag is peeled by `commit_graph`)."""

    name: str
    oid: str
    kind: str
    peeled: str | None = None
    peeled_kind: str | None = None


_REF_FORMAT = "%(objectname) %(objecttype) %(*objectname) %(*objecttype) %(refname)"


def ref_listing(repo: RepoInfo) -> list[RefEntry]:
    """Every ref, from one `for-each-ref`: what `ref_state`, `commit_graph` and
    `refs_by_object` each need, so one scan lists the refs once. Ref names hold no
    spaces (git refuses them), so the name is the rest of the line."""
    out = run_git(["for-each-ref", f"--format={_REF_FORMAT}"], repo.git_dir)
    entries = []
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        fields = line.split(" ", 4)
        if len(fields) != 5 or not fields[4]:
            continue
        oid, kind, peeled, peeled_kind, name = fields
        entries.append(RefEntry(name, oid, kind, peeled or None, peeled_kind or None))
    return entries


def commit_graph(repo: RepoInfo, refs: Sequence[RefEntry] | None = None) -> CommitGraph:
    """The refs' commits (tags peeled) and the graph they reach from one `rev-list
    --parents`.

    It replaces a `for-each-ref --contains` per commit, which walks from every ref each
    time: a mirror of a GitHub repository has thousands of pull-request refs, where 14
    such calls took 89 seconds on pip's history."""
    import tempfile

    refs = ref_listing(repo) if refs is None else refs
    tips: dict[str, list[str]] = {}
    nested: list[str] = []  # tags of tags: peeled by git below
    for ref in refs:
        if ref.kind == "commit":
            tips.setdefault(ref.oid, []).append(ref.name)
        elif ref.kind == "tag" and ref.peeled_kind == "commit" and ref.peeled:
            tips.setdefault(ref.peeled, []).append(ref.name)
        elif ref.kind == "tag" and ref.peeled_kind == "tag":
            nested.append(ref.name)
    if nested:
        with tempfile.TemporaryFile() as query:
            query.write(
                b"".join(f"{n}^{{commit}}\n".encode("utf-8", "surrogateescape") for n in nested)
            )
            query.seek(0)
            out = run_git(
                ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
                repo.git_dir,
                stdin=query,
            )
        for name, line in zip(nested, out.decode("ascii", "replace").splitlines(), strict=False):
            oid, _, kind = line.partition(" ")
            if kind == "commit":
                tips.setdefault(oid, []).append(name)
    children: dict[str, list[str]] = {}
    order: dict[str, int] = {}
    if tips:
        with tempfile.TemporaryFile() as query:
            query.write("".join(f"{tip}\n" for tip in tips).encode("ascii"))
            query.seek(0)
            graph = run_git(["rev-list", "--parents", "--stdin"], repo.git_dir, stdin=query)
        for index, line in enumerate(graph.decode("ascii", "replace").splitlines()):
            commit, *parents = line.split()
            order[commit] = index
            for parent in parents:
                children.setdefault(parent, []).append(commit)
    return CommitGraph(tips, children, order)


def refs_containing_many(repo: RepoInfo, commits: Sequence[str]) -> dict[str, list[str]]:
    """For each of `commits`, every ref whose history holds it."""
    if not commits:
        return {}
    return commit_graph(repo).refs_containing(commits)


def ref_state(repo: RepoInfo, refs: Sequence[RefEntry]) -> str:
    """Every ref's name and value plus HEAD and the shallow boundary, as one string:
    when it is unchanged, so is everything reachable."""
    shallow = " ".join(shallow_boundary(repo)) if repo.shallow else ""
    return f"{repo.head}|{shallow}|" + "".join(f"{r.oid} {r.name}\n" for r in refs)


def refs_by_object(refs: Sequence[RefEntry]) -> dict[str, list[str]]:
    """Every ref's own value (not peeled) -> the refs holding it: an annotated tag object
    is named by the refs that point at it."""
    by_object: dict[str, list[str]] = {}
    for ref in refs:
        by_object.setdefault(ref.oid, []).append(ref.name)
    return by_object


def head_tree(repo: RepoInfo) -> tuple[dict[str, list[str]], list[str]]:
    """HEAD's blobs (id -> paths) and its submodule paths."""
    if repo.head is None:
        return {}, []
    out = run_git(["ls-tree", "-r", "-z", "--full-tree", repo.head], repo.git_dir)
    blobs: dict[str, list[str]] = {}
    submodules: list[str] = []
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        _mode, kind, oid = meta.decode("ascii").split()
        path = raw_path.decode("utf-8", "surrogateescape")
        if kind == "commit":
            submodules.append(path)
        elif kind == "blob":
            blobs.setdefault(oid, []).append(path)
    return blobs, submodules


def unreachable_commits(repo: RepoInfo) -> list[str]:
    """Commits no ref reaches (reflogs not counted): deleted branches, amended commits."""
    out = run_git(
        ["fsck", "--unreachable", "--no-reflogs", "--connectivity-only", "--no-progress"],
        repo.git_dir,
        check=False,
    )
    commits = []
    for line in out.decode("utf-8", "replace").splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "unreachable" and fields[1] == "commit":
            commits.append(fields[2])
    return commits


def shallow_boundary(repo: RepoInfo) -> list[str]:
    """Commits at the edge of a shallow clone (their parents are missing)."""
    shallow_file = repo.common_dir / "shallow"
    try:
        return shallow_file.read_text(encoding="ascii").split()
    except OSError:
        return []
