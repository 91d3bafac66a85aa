"""`fastaudit history`: every key ever committed, on every ref, and where it came from.

Each unique object is read once (never a diff per commit): git streams the object
database, the engine scans the few objects that hold a key prefix, and only for those
does `git log` work out which commit put them on which path. The same key on many paths
and commits is one secret with many locations; each location names the earliest commit
that introduced the key on that path.
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from fastaudit import history_cache
from fastaudit.detect import KeySpec, KeyVault
from fastaudit.engine import CHUNK_SIZE, EngineStats, capped_notes
from fastaudit.errors import InputError
from fastaudit.findings import RULES, Finding
from fastaudit.sources import gitobjects as git
from fastaudit.sources.gitproc import Deadline, current_deadline, run_git, under_deadline
from fastaudit.words import plural

COMMIT_MESSAGE = "(commit message)"
TAG_MESSAGE = "(tag message)"


@dataclass(frozen=True)
class HistoryOptions:
    """Which part of history to scan, and whether the caches may answer."""

    all_objects: bool = False  # also objects no ref reaches (dangling, amended away)
    since: str | None = None  # only what is not reachable from this revision
    branch: str | None = None  # only what this ref reaches
    use_cache: bool = True
    # A push being received: (ref name, new object id) per updated ref. The scope is what
    # those ids reach and no existing ref does (every object the push adds, nothing the
    # server had), and the refs a finding names are the pushed ones.
    pushed: tuple[tuple[str, str], ...] = ()


@dataclass
class HistoryResult:
    """A history scan's findings (attributed to commits, paths and refs), warnings and counts."""

    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    suppressed_baseline: int = 0


@dataclass
class _ObjectKeys:
    """The key findings inside one object (blob, commit or tag), location not yet known."""

    kind: str
    findings: list[Finding]


ProgressHook = Callable[[int, int, int | None], None]  # (objects, bytes, total)


def _revisions(repo: git.RepoInfo, options: HistoryOptions) -> list[str]:
    """The revisions to walk, as full commit ids: a name from the command line or a CI
    payload is resolved once (after `--end-of-options`) and never reaches git again."""
    if options.pushed:
        tips = []
        for _ref, oid in options.pushed:
            if not _OBJECT_ID.fullmatch(oid):
                raise InputError(f"{oid[:80]!r} is not an object id")
            tips.append(oid)
        return [*dict.fromkeys(tips), "--not", "--all"]
    resolved: dict[str, str] = {}
    for name in (options.branch, options.since):
        if name is None:
            continue
        if name.startswith("-"):
            raise InputError(f"{name!r} begins with '-': not a revision")
        out = run_git(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{name}^{{commit}}"],
            repo.git_dir,
            check=False,
        )
        oid = out.decode("ascii", "replace").strip()
        if not oid or "\n" in oid:
            raise InputError(f"{name!r} is not a commit or branch in {repo.path}")
        resolved[name] = oid
    if options.branch is None and options.since is None:
        return ["--all"]
    revisions = [resolved[options.branch] if options.branch else "HEAD"]
    if options.since:
        revisions.append(f"^{resolved[options.since]}")
    return revisions


def scan_history(
    path: Path,
    spec: KeySpec,
    options: HistoryOptions | None = None,
    *,
    on_progress: ProgressHook | None = None,
    vault: KeyVault | None = None,
    repo: git.RepoInfo | None = None,
) -> HistoryResult:
    """Scan a repository's object database and attribute every key found. `repo` is
    `inspect(path)` when the caller has it already."""
    options = options or HistoryOptions()
    started = time.monotonic()
    repo = repo if repo is not None else git.inspect(path)
    result = HistoryResult()
    revisions = _revisions(repo, options)
    narrowed = revisions != ["--all"]

    if repo.shallow:
        boundary = git.shallow_boundary(repo)
        result.warnings.append(
            f"shallow clone: history behind {plural(len(boundary), 'boundary commit')} is not "
            "in this "
            "repository and was not scanned (git fetch --unshallow, then scan again)"
        )

    ids, listing, cache, total = _objects_in_scope(repo, spec, options, revisions)
    stream_stats = git.StreamStats()
    deferred = _Deferred(repo, spec)
    try:
        objects = _scan_objects(
            repo, spec, ids, stream_stats, total, on_progress, vault, result.warnings, deferred
        )
    except BaseException:
        deferred.close()
        raise
    late_notes: list[str] = []
    late = deferred.finish(late_notes)
    unreadable = _unreadable_warnings(stream_stats, cache, result)
    # The commits in scope, when the stream read them all (not a re-scan that read only
    # new objects, nor a damaged repository): attribution shows them in parallel.
    walk = list(dict.fromkeys(stream_stats.commits)) if cache is None and not unreadable else None
    if options.pushed:
        # "Still in HEAD" for a push means still in what the push leaves: its first
        # branch's new tip, not the server's default branch. Asked only when there is
        # something to attribute: a clean push (the usual one) pays for none of it.
        if objects or late is not None:
            repo = dataclasses.replace(repo, head=_pushed_head(repo, options.pushed))
            head_blobs = _head_and_outside(repo, stream_stats, result)
        else:
            head_blobs = {}
    else:
        head_blobs = _head_and_outside(repo, stream_stats, result)
    memo = dict(cache.attribution) if cache and options.use_cache else {}

    def merge_late() -> bool:
        """The put-aside objects' keys into `objects`; True when there were any."""
        nonlocal unreadable
        assert late is not None
        unpacked, late_stats = late.get()
        result.warnings.extend(late_notes)
        if late_stats.unreadable or late_stats.truncated:
            lost = len(late_stats.unreadable) or len(deferred.oids)
            unreadable += lost
            result.warnings.append(
                f"{plural(lost, 'object')} to unpack could not be read again"
                + (f": {late_stats.truncated}" if late_stats.truncated else "")
            )
        objects.update(unpacked)
        return bool(unpacked)

    if late is not None and memo:
        # A re-scan whose attribution is remembered: one attribution of everything.
        merge_late()
        late = None
    scope = _Scope(revisions, walk)
    result.findings = _attribute(repo, objects, scope, head_blobs, options, result, memo)
    if late is not None and merge_late():
        # Keys only an unpacked object held: attribute everything again, together.
        result.findings = _attribute(repo, objects, scope, head_blobs, options, result, memo)

    cache_path = None
    clean_read = not (unreadable or stream_stats.git_errors)
    if not narrowed and options.use_cache and clean_read:
        saved = history_cache.ObjectCache(spec.cache_id, listing, sorted(objects), memo)
        cache_path = history_cache.save(repo.common_dir, saved)

    result.stats = _stats(
        repo, options, revisions, stream_stats, listing, total, cache, objects, unreadable
    )
    result.stats["cache"] = str(cache_path) if cache_path else None
    result.stats["seconds"] = round(time.monotonic() - started, 3)
    return result


def _pushed_head(repo: git.RepoInfo, pushed: Sequence[tuple[str, str]]) -> str | None:
    """The commit the push's first updated branch will point at (else the first pushed
    commit, a tag's peeled); None when the push holds no commit."""
    ordered = sorted(pushed, key=lambda update: not update[0].startswith("refs/heads/"))
    for _ref, oid in ordered:
        out = run_git(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{oid}^{{commit}}"],
            repo.git_dir,
            check=False,
        )
        commit = out.decode("ascii", "replace").strip()
        if _OBJECT_ID.fullmatch(commit):
            return commit
    return None


class _RefOracle(Protocol):
    """Which refs hold a commit, and the walk's order: the whole commit graph for a scan
    of every ref, the scope's own tips for a narrowed one."""

    @property
    def order(self) -> Mapping[str, int]: ...

    def refs_containing(self, commits: Sequence[str]) -> dict[str, list[str]]: ...


class _TipRefs:
    """Refs for a narrowed scan (a range, a push): every commit in scope is in the history
    of the scope's tips, so the answer is those tips' names, with no walk of the rest of
    the repository (which a 20-commit range of a large repository would pay for)."""

    def __init__(
        self, repo: git.RepoInfo, revisions: Sequence[str], tips: Sequence[tuple[str, str]]
    ) -> None:
        self._repo, self._revisions, self._tips = repo, list(revisions), list(tips)
        self._held: dict[str, set[str]] | None = None
        self._order: dict[str, int] | None = None

    @property
    def order(self) -> Mapping[str, int]:
        if self._order is None:
            out = run_git(["rev-list", *self._revisions, "--"], self._repo.git_dir)
            self._order = {c: i for i, c in enumerate(out.decode("ascii").split())}
        return self._order

    def refs_containing(self, commits: Sequence[str]) -> dict[str, list[str]]:
        names = list(dict.fromkeys(name for name, _ in self._tips))
        if len(names) <= 1:
            return {c: names for c in commits}
        if self._held is None:
            self._held = {}
            excluded = (
                self._revisions[self._revisions.index("--not") :]
                if "--not" in self._revisions
                else []
            )
            for name, oid in self._tips:
                out = run_git(["rev-list", oid, *excluded, "--"], self._repo.git_dir)
                for commit in out.decode("ascii").split():
                    self._held.setdefault(commit, set()).add(name)
        return {c: sorted(self._held.get(c, ())) for c in commits}


def _scope_tips(
    repo: git.RepoInfo, options: HistoryOptions, revisions: Sequence[str]
) -> list[tuple[str, str]]:
    """The named tips of a narrowed scope: the pushed refs, or the branch walked."""
    if options.pushed:
        return list(options.pushed)
    return [(options.branch or "HEAD", revisions[0])]


def _objects_in_scope(
    repo: git.RepoInfo, spec: KeySpec, options: HistoryOptions, revisions: list[str]
) -> tuple[list[str] | None, bytes, history_cache.ObjectCache | None, int | None]:
    """What the object stream must read: (ids, or None for every object; the listing of
    every object id, for the cache; the cache that answered; how many objects that is)."""
    if revisions != ["--all"]:
        wanted = git.quarantine_object_ids(repo) if options.pushed else None
        if wanted is None:
            wanted = git.rev_list_objects(repo, revisions)
        return wanted, b"", None, len(wanted)
    listing = git.all_object_ids(repo)
    cache = history_cache.load(repo.common_dir, spec.cache_id) if options.use_cache else None
    if cache is None:
        return None, listing, None, listing.count(b"\n")
    fresh = list(dict.fromkeys(cache.new_ids(listing) + cache.hit_ids))
    return fresh, listing, cache, len(fresh)


def _head_and_outside(
    repo: git.RepoInfo, stream_stats: git.StreamStats, result: HistoryResult
) -> dict[str, list[str]]:
    """HEAD's blobs (id -> paths, for `in_head`), with a warning for each kind of content the
    history holds only a pointer to: Git LFS files and submodules."""
    if stream_stats.lfs_pointers:
        result.warnings.append(
            f"{plural(stream_stats.lfs_pointers, 'Git LFS pointer')}: the files' content is stored "
            "outside git history and was not scanned (scan the checked-out files)"
        )
    try:
        head_blobs, submodules = git.head_tree(repo)
    except InputError as exc:
        result.warnings.append(f"HEAD's tree could not be read ({exc}); in_head is unknown")
        return {}
    if submodules:
        result.warnings.append(
            f"{plural(len(submodules), 'submodule')} not scanned (their history is another "
            f"repository; run fastaudit history there): {', '.join(sorted(submodules)[:5])}"
        )
    return head_blobs


def _stats(
    repo: git.RepoInfo,
    options: HistoryOptions,
    revisions: list[str],
    stream_stats: git.StreamStats,
    listing: bytes,
    total: int | None,
    cache: history_cache.ObjectCache | None,
    objects: dict[str, _ObjectKeys],
    unreadable: int,
) -> dict[str, Any]:
    """The counts a history report carries about what was and was not read."""
    return {
        "objects_total": listing.count(b"\n") if listing else total,
        "objects_scanned": stream_stats.objects,
        "objects_from_cache": (listing.count(b"\n") - stream_stats.objects) if cache else 0,
        "blobs_scanned": stream_stats.blobs,
        "bytes_scanned": stream_stats.bytes,
        "objects_with_keys": len(objects),
        "scope": " ".join(revisions) + (" + unreachable" if options.all_objects else ""),
        "shallow": repo.shallow,
        "bare": repo.bare,
        "objects_unreadable": unreadable,
        "objects_recovered": stream_stats.recovered,
        "incomplete": (
            f"{plural(unreadable, 'git object')} could not be read, so part of the history "
            "was not checked"
            if unreadable
            else None
        ),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _unreadable_warnings(
    stats: git.StreamStats, cache: history_cache.ObjectCache | None, result: HistoryResult
) -> int:
    """Warnings for every object git could not hand over; returns how many there were."""
    if stats.truncated:
        result.warnings.append(f"{stats.truncated}; findings so far are reported")
    cached_hits = set(cache.hit_ids) if cache else set()
    missing = [oid for oid in stats.missing if oid not in cached_hits]
    if missing:
        result.warnings.append(
            f"{plural(len(missing), 'object')} missing (first: {missing[0]}); "
            "the repository may be corrupt (git fsck)"
        )
    if stats.unreadable:
        recovered = (
            f"; {plural(stats.recovered, 'object')} from damaged packs were recovered and scanned"
            if stats.recovered
            else ""
        )
        result.warnings.append(
            f"{plural(len(stats.unreadable), 'object')} could not be read (first: "
            f"{stats.unreadable[0]}); every other object was scanned{recovered}"
        )
    named = {m for line in stats.git_errors for m in _OBJECT_ID.findall(line)}
    named -= set(stats.unreadable)
    if stats.git_errors:
        result.warnings.append(
            f"git could not read some objects ({stats.git_errors[0]}; "
            f"{plural(len(stats.git_errors), 'message')}); every other object was scanned"
        )
    errors = len(named) or (1 if stats.git_errors else 0)
    return len(missing) + len(stats.unreadable) + errors + (1 if stats.truncated else 0)


_OBJECT_ID = re.compile(r"\b[0-9a-f]{40}(?:[0-9a-f]{24})?\b")


def _peak_rss_mb() -> float:
    """This process's own peak resident memory. VmHWM belongs to the current address
    space, whereas ru_maxrss also counts what a parent had mapped when it forked us."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# Objects at least this large that may hide keys in disguise (archives, compressed or
# encoded data) are unpacked after the stream, beside the attribution walk: unpacking is
# Python's work and the walk is git's, so on two cores they overlap instead of queueing.
DEFER_UNWRAP_BYTES = 64 * 1024


def _scan_objects(
    repo: git.RepoInfo,
    spec: KeySpec,
    ids: list[str] | None,
    stats: git.StreamStats,
    total: int | None,
    on_progress: ProgressHook | None,
    vault: KeyVault | None = None,
    notes: list[str] | None = None,
    deferred: _Deferred | None = None,
) -> dict[str, _ObjectKeys]:
    """Objects holding keys, from one read of the objects in scope. With `deferred`, large
    objects that need unpacking are only named there, for `_scan_deferred`."""
    from fastaudit.scan import scan_data, scan_pieces
    from fastaudit.unwrap.gate import history_gate, may_hide_keys

    needles = list(spec.prefix_bytes) + list(spec.utf16_markers)
    magics: tuple[bytes, ...] = ()
    gate = None
    if spec.unwrap.enabled:
        # Few, long needles (base64 of each prefix at every alignment) and the magic
        # bytes of compressed data: the history read stays at git's speed.
        from fastaudit.unwrap.containers import MAGICS

        magics = MAGICS
        gate = history_gate(spec)
    progress = None
    if on_progress is not None:
        hook = on_progress

        def progress(s: git.StreamStats) -> None:
            hook(s.objects, s.bytes, total)

    objects: dict[str, _ObjectKeys] = {}
    notes = notes if notes is not None else []
    engine_stats = EngineStats()
    if ids is not None and not ids:
        return objects
    stream = git.stream_objects(
        repo, needles, ids=ids, stats=stats, on_progress=progress, magics=magics, gate=gate
    )
    defer = deferred is not None and spec.unwrap.enabled and vault is None
    for hit in stream:
        name = f"object {hit.oid}"
        if (
            defer
            and deferred is not None
            and hit.data is not None
            and len(hit.data) >= DEFER_UNWRAP_BYTES
            and may_hide_keys(hit.data, spec)
        ):
            deferred.add(hit.oid, len(hit.data))
            continue
        if hit.data is not None:
            found = scan_data(hit.data, name, spec, engine_stats, vault, notes, source="history")
        else:
            chunks = git.read_object_chunks(repo, hit.oid, CHUNK_SIZE)
            found = scan_pieces(chunks, name, spec, engine_stats, vault, notes, source="history")
        found = [f for f in found if f.secret_sha256 is not None]
        if found:
            objects[hit.oid] = _ObjectKeys(hit.kind, found)
    if on_progress is not None:
        on_progress(stats.objects, stats.bytes, total)
    notes.extend(capped_notes(engine_stats))
    return objects


def _scan_deferred(
    repo: git.RepoInfo, spec: KeySpec, oids: list[str], notes: list[str]
) -> tuple[dict[str, _ObjectKeys], git.StreamStats]:
    """The objects `_scan_objects` put aside, read again by id and unpacked."""
    stats = git.StreamStats()
    objects = _scan_objects(repo, spec, oids, stats, None, None, None, notes)
    return objects, stats


class _Deferred:
    """The large objects the stream put aside for unpacking (Python's slowest work).

    Once they add up to `POOL_BYTES`, they are unpacked in a second process, a batch at a
    time while the stream goes on: the stream's parse and the unpacking then use both
    cores instead of sharing one interpreter. Fewer go to a thread after the stream (a
    process costs more to start than they take), as does everything where a process
    cannot be had (one core, or inside a daemonic Dask worker)."""

    POOL_BYTES = 16 * 1024 * 1024
    BATCH_BYTES = 8 * 1024 * 1024

    def __init__(self, repo: git.RepoInfo, spec: KeySpec) -> None:
        self.repo, self.spec = repo, spec
        self.oids: list[str] = []
        self._pending: list[str] = []
        self._pending_bytes = 0
        self._total_bytes = 0
        self._pool: Any = None
        self._futures: list[tuple[list[str], Any]] = []

    def add(self, oid: str, size: int) -> None:
        self.oids.append(oid)
        self._pending.append(oid)
        self._pending_bytes += size
        self._total_bytes += size
        if self._pending_bytes >= self.BATCH_BYTES and self._pool_ready():
            self._submit()

    def _pool_ready(self) -> bool:
        if self._pool is not None:
            return True
        if self._total_bytes < self.POOL_BYTES or (os.cpu_count() or 1) < 2:
            return False
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        try:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        except Exception:  # no process to be had here: the thread does it all
            self._pool = None
            return False
        return True

    def _submit(self) -> None:
        batch, self._pending, self._pending_bytes = self._pending, [], 0
        deadline = current_deadline()
        seconds = deadline.remaining() if deadline is not None else None
        try:
            future = self._pool.submit(_unpack_batch, self.repo, self.spec, batch, seconds)
        except Exception:
            future = None  # unpacked here instead, after the stream
        self._futures.append((batch, future))

    def finish(self, notes: list[str]) -> _Prefetch[tuple[dict[str, _ObjectKeys], Any]] | None:
        """The unpacked objects, gathered on a thread (under the scan's deadline)."""
        if not self.oids:
            self.close()
            return None
        if self._pending:
            if self._pool is not None:
                self._submit()
            else:
                self._futures.append((self._pending, None))
                self._pending = []
        return _Prefetch(lambda repo: self._gather(notes), self.repo).start()

    def _gather(self, notes: list[str]) -> tuple[dict[str, _ObjectKeys], git.StreamStats]:
        objects: dict[str, _ObjectKeys] = {}
        stats = git.StreamStats()
        try:
            for batch, future in self._futures:
                try:
                    found, batch_stats, batch_notes = (
                        future.result() if future is not None else _unpack_batch_here(self, batch)
                    )
                except InputError:
                    raise  # the deadline: the scan stops with it
                except Exception:  # the process died: unpack that batch here
                    found, batch_stats, batch_notes = _unpack_batch_here(self, batch)
                objects.update(found)
                notes.extend(batch_notes)
                stats.unreadable += batch_stats.unreadable
                stats.truncated = stats.truncated or batch_stats.truncated
                stats.git_errors += batch_stats.git_errors
        finally:
            self.close()
        return objects, stats

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _unpack_batch_here(
    deferred: _Deferred, batch: list[str]
) -> tuple[dict[str, _ObjectKeys], git.StreamStats, list[str]]:
    notes: list[str] = []
    objects, stats = _scan_deferred(deferred.repo, deferred.spec, batch, notes)
    return objects, stats, notes


def _unpack_batch(
    repo: git.RepoInfo, spec: KeySpec, oids: list[str], seconds: float | None
) -> tuple[dict[str, _ObjectKeys], git.StreamStats, list[str]]:
    """In the second process: one batch of put-aside objects, read by id and unpacked,
    under what is left of the scan's deadline."""
    notes: list[str] = []
    with Deadline(seconds):
        objects, stats = _scan_deferred(repo, spec, oids, notes)
    stats.commits = []  # not needed back, and can be long
    return objects, stats, notes


@dataclass(frozen=True)
class _Location:
    oid: str
    path: str
    commit: str | None
    timestamp: int
    author_email: str | None
    date: str | None
    reachable: bool = True


T = TypeVar("T")


class _Prefetch(Generic[T]):
    """A value computed on a background thread from `start()` on (under the scan's own
    deadline), or on first use if never started; an error is raised where the value is
    asked for, as if computed there."""

    def __init__(self, compute: Callable[[git.RepoInfo], T], repo: git.RepoInfo) -> None:
        self._compute, self._repo = compute, repo
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> _Prefetch[T]:
        deadline = current_deadline()

        def work() -> None:
            try:
                with under_deadline(deadline):
                    self._value = self._compute(self._repo)
            except BaseException as exc:  # handed to the caller of get()
                self._error = exc

        self._thread = threading.Thread(target=work, name="fastaudit-prefetch", daemon=True)
        self._thread.start()
        return self

    def get(self) -> T:
        if self._thread is None:
            self._value = self._compute(self._repo)
            self._thread = threading.current_thread()  # computed: never again
        elif self._thread is not threading.current_thread():
            self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


# Below this many commits one walk is quicker than starting several git processes.
PARALLEL_WALK_COMMITS = 5000


@dataclass(frozen=True)
class _Scope:
    """What attribution walks: `revisions`, and when the stream met them all, the commits
    themselves (for `--all`, every commit in the object store, reachable or not)."""

    revisions: Sequence[str]
    commits: Sequence[str] | None = None


def _attribute(
    repo: git.RepoInfo,
    objects: dict[str, _ObjectKeys],
    scope: _Scope,
    head_blobs: dict[str, list[str]],
    options: HistoryOptions,
    result: HistoryResult,
    memo: dict[str, Any] | None = None,
) -> list[Finding]:
    """Turn objects-with-keys into findings with commit, path, refs and in_head."""
    if not objects:
        return []
    narrowed = list(scope.revisions) != ["--all"]
    refs: list[git.RefEntry] | None = None
    if not narrowed or (not options.pushed and any(o.kind == "tag" for o in objects.values())):
        try:
            refs = git.ref_listing(repo)
        except InputError:
            refs = None
    memo_key = _attribution_key(repo, objects, scope.revisions, options, refs)
    remembered = memo.get(memo_key) if memo is not None and memo_key else None
    graph: _Prefetch[_RefOracle]
    if narrowed:
        tips = _scope_tips(repo, options, scope.revisions)
        graph = _Prefetch(lambda r: _TipRefs(r, scope.revisions, tips), repo)
    else:
        # Which refs hold each commit needs the whole commit graph; git reads it on the
        # other core while the attribution walk below runs on this one.
        graph = _Prefetch(lambda r: git.commit_graph(r, refs), repo)
        if remembered is None:
            graph.start()
    if remembered is not None:
        locations = [_Location(**loc) for loc in remembered["locations"]]
        refs_cache: dict[str, list[str]] = dict(remembered["refs"])
        skipped = int(remembered["skipped"])
    else:
        try:
            locations, refs_cache, skipped = _locate(repo, objects, scope, options, graph, refs)
        except InputError as exc:
            # A damaged repository can hold readable key blobs whose commits are gone:
            # the keys are still reported, without the commit that added them.
            result.warnings.append(
                f"attribution failed ({exc}); keys are reported by object, without commit"
            )
            locations = [
                _Location(oid, f"(blob {oid[:12]})", None, 0, None, None, reachable=False)
                for oid in objects
            ]
            refs_cache, skipped = {}, 0
    if skipped:
        result.warnings.append(
            f"{plural(skipped, 'object')} holding a key are not reachable from any ref (deleted "
            "branch, amended commit); add --all-objects to report them"
        )
    findings = _findings(repo, objects, locations, refs_cache, head_blobs, graph)
    if memo is not None and memo_key:
        memo.clear()
        memo[memo_key] = {
            "locations": [loc.__dict__ for loc in locations],
            "refs": refs_cache,
            "skipped": skipped,
        }
    return findings


def _attribution_key(
    repo: git.RepoInfo,
    objects: dict[str, _ObjectKeys],
    revisions: Sequence[str],
    options: HistoryOptions,
    refs: Sequence[git.RefEntry] | None,
) -> str | None:
    """Identifies everything attribution depends on: which objects hold keys, the scope,
    and every ref's value. Same key, same answer, so a re-scan need not walk history."""
    import hashlib

    if refs is None:
        return None
    state = git.ref_state(repo, refs)
    text = "\n".join([*sorted(objects), "|", *revisions, "|", str(options.all_objects), "|", state])
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _locate(
    repo: git.RepoInfo,
    objects: dict[str, _ObjectKeys],
    scope: _Scope,
    options: HistoryOptions,
    graph: _Prefetch[_RefOracle],
    listing: Sequence[git.RefEntry] | None,
) -> tuple[list[_Location], dict[str, list[str]], int]:
    """Every (object, path, commit) that put a key-holding object into history. `listing`
    is the scan's one ref listing (None when it failed: asked again, so that the error
    is the attribution's)."""
    locations: list[_Location] = []
    blobs = [oid for oid, o in objects.items() if o.kind == "blob"]
    shares = scope.commits if len(scope.commits or ()) >= PARALLEL_WALK_COMMITS else None
    found = git.introductions(repo, blobs, scope.revisions, shares)
    if shares is not None and found:
        found = _as_walked(repo, found, scope, graph.get())
    for intro in found:
        locations.append(
            _Location(
                intro.oid, intro.path, intro.commit, intro.timestamp, intro.author_email, intro.date
            )
        )
    attributed = {loc.oid for loc in locations}
    orphans = [oid for oid in blobs if oid not in attributed]
    if orphans and options.all_objects:
        dangling = git.unreachable_commits(repo)
        if dangling:
            for intro in git.introductions(repo, orphans, [*dangling, "--not", "--all"]):
                locations.append(
                    _Location(
                        intro.oid,
                        intro.path,
                        intro.commit,
                        intro.timestamp,
                        intro.author_email,
                        intro.date,
                        reachable=False,
                    )
                )
        attributed = {loc.oid for loc in locations}
        for oid in orphans:
            if oid not in attributed:
                locations.append(
                    _Location(
                        oid, f"(unreachable blob {oid[:12]})", None, 0, None, None, reachable=False
                    )
                )
    skipped = 0 if options.all_objects else len(orphans)

    messages = [oid for oid, o in objects.items() if o.kind in ("commit", "tag")]
    commit_meta = git.commit_metadata(repo, [o for o in messages if objects[o].kind == "commit"])
    refs_cache: dict[str, list[str]] = {}
    tag_refs: dict[str, list[str]] = {}
    if options.pushed:
        for name, oid in options.pushed:
            tag_refs.setdefault(oid, []).append(name)
    elif any(objects[o].kind == "tag" for o in messages):
        tag_refs = git.refs_by_object(listing if listing is not None else git.ref_listing(repo))
    message_commits = [o for o in messages if objects[o].kind == "commit"]
    if message_commits:
        refs_cache.update(graph.get().refs_containing(message_commits))
    for oid in messages:
        kind = objects[oid].kind
        if kind == "commit":
            refs = refs_cache.get(oid, [])
            meta = commit_meta.get(oid, (0, None, None))
            path = COMMIT_MESSAGE
        else:
            refs = sorted(tag_refs.get(oid, []))
            meta = (0, None, None)
            path = TAG_MESSAGE
        if not refs and not options.all_objects:
            skipped += 1
            continue
        locations.append(
            _Location(
                oid,
                path,
                oid if kind == "commit" else None,
                meta[0],
                meta[1],
                meta[2],
                reachable=bool(refs),
            )
        )
        if refs:
            refs_cache[oid] = refs
    return locations, refs_cache, skipped


def _as_walked(
    repo: git.RepoInfo,
    found: list[git.Introduction],
    scope: _Scope,
    graph: _RefOracle,
) -> list[git.Introduction]:
    """Introductions shown commit by commit, made what a walk of `scope.revisions` gives:
    for `--all`, only commits a ref or HEAD reaches (the stream also met unreachable
    ones), in the walk's order (newest first), which decides ties between equally old
    introductions."""
    order = graph.order
    if scope.revisions == ["--all"]:
        reached: Container[str] = order
        if repo.head is not None and repo.head not in order:
            # A detached HEAD no ref holds: its history is in `--all` too.
            detached = run_git(["rev-list", repo.head, "--"], repo.git_dir)
            reached = set(order) | set(detached.decode("ascii").split())
        found = [intro for intro in found if intro.commit in reached]
    last = len(order)
    return sorted(found, key=lambda intro: order.get(intro.commit, last))


def _findings(
    repo: git.RepoInfo,
    objects: dict[str, _ObjectKeys],
    locations: list[_Location],
    refs_cache: dict[str, list[str]],
    head_blobs: dict[str, list[str]],
    graph: _Prefetch[_RefOracle],
) -> list[Finding]:

    # The earliest introduction of each secret on each path.
    secret_blobs: dict[str, set[str]] = defaultdict(set)
    for oid, obj in objects.items():
        for finding in obj.findings:
            assert finding.secret_sha256 is not None
            secret_blobs[finding.secret_sha256].add(oid)
    in_head = {s: any(o in head_blobs for o in oids) for s, oids in secret_blobs.items()}
    boundary = set(git.shallow_boundary(repo)) if repo.shallow else set()

    earliest: dict[tuple[str, str], _Location] = {}
    for loc in locations:
        for secret in {f.secret_sha256 for f in objects[loc.oid].findings}:
            assert secret is not None
            key = (secret, loc.path)
            best = earliest.get(key)
            if best is None or (loc.reachable, -loc.timestamp) > (best.reachable, -best.timestamp):
                earliest[key] = loc

    asked = [
        loc.commit
        for loc in earliest.values()
        if loc.commit is not None and loc.reachable and not refs_cache.get(loc.commit)
    ]
    if asked:
        refs_cache.update(graph.get().refs_containing(asked))
    findings: list[Finding] = []
    for (secret, _path), loc in earliest.items():
        refs = refs_cache.get(loc.oid, []) if loc.commit is None else []  # a tag object
        if loc.commit is not None and loc.reachable:
            refs = refs_cache.get(loc.commit, [])
        rule_id = "FAST001" if in_head[secret] else "FAST002"
        evidence: dict[str, object] = {"object": loc.oid}
        if not loc.reachable:
            evidence["unreachable"] = True
        if loc.commit in boundary:
            evidence["shallow_boundary"] = True
        if in_head[secret]:
            evidence["head_paths"] = sorted(
                p for o in secret_blobs[secret] for p in head_blobs.get(o, [])
            )
        for occurrence in objects[loc.oid].findings:
            if occurrence.secret_sha256 != secret:
                continue
            findings.append(
                occurrence.with_changes(
                    rule_id=rule_id,
                    severity=RULES[rule_id].severity,
                    path=loc.path,
                    source="history",
                    commit=loc.commit,
                    author_email=loc.author_email,
                    date=loc.date,
                    refs=tuple(refs),
                    in_head=in_head[secret],
                    evidence=evidence,
                )
            )
    return findings
