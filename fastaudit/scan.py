"""Working-tree and staged scans: sources feed the engine, the baseline filters the result.

This is the glue between `fastaudit.sources` (which own the disk and git) and the pure
engine; the CLI calls it and renders what it returns.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fastaudit.baseline import Baseline
from fastaudit.detect import KeySpec, KeyVault
from fastaudit.engine import CHUNK_SIZE, EngineStats, capped_notes, may_hold_findings, scan_chunks
from fastaudit.findings import Finding
from fastaudit.sources.files import FileEntry, Selection, open_regular


@dataclass
class ScanResult:
    """Findings plus the counts that tell a reader what was actually covered."""

    findings: list[Finding] = field(default_factory=list)
    files_scanned: int = 0
    bytes_scanned: int = 0
    suppressed_inline: int = 0
    suppressed_baseline: int = 0
    skipped_symlinks: int = 0
    skipped_excluded: int = 0
    warnings: list[str] = field(default_factory=list)

    def stats(self) -> dict[str, int]:
        """The counts a report carries about what was and was not looked at."""
        return {
            "files_scanned": self.files_scanned,
            "bytes_scanned": self.bytes_scanned,
            "suppressed_inline": self.suppressed_inline,
            "suppressed_baseline": self.suppressed_baseline,
            "skipped_symlinks": self.skipped_symlinks,
            "skipped_excluded": self.skipped_excluded,
        }


def _counting(chunks: Iterable[bytes], result: ScanResult) -> Iterable[bytes]:
    for chunk in chunks:
        result.bytes_scanned += len(chunk)
        yield chunk


# Below this many files one process is faster than starting a second.
PARALLEL_MIN_FILES = 1500


def scan_files(
    selection: Selection,
    spec: KeySpec,
    *,
    on_file: Callable[[FileEntry], None] | None = None,
    vault: KeyVault | None = None,
    workers: int | None = None,
) -> ScanResult:
    """Scan every selected file; unreadable files become warnings, never a stop.

    Large selections are split over `workers` forked processes (default: one per core,
    at most 4). Not when keys must be kept for `--verify` (a vault never leaves this
    process) or a per-file callback is given.
    """
    result = ScanResult(
        skipped_symlinks=selection.skipped_symlinks,
        skipped_excluded=selection.skipped_excluded,
        warnings=list(selection.warnings),
    )
    count = workers if workers is not None else min(4, os.cpu_count() or 1)
    entries = selection.entries
    parallel = count > 1 and vault is None and on_file is None
    if (
        parallel
        and len(entries) >= PARALLEL_MIN_FILES
        and _scan_in_workers(entries, spec, count, result)
    ):
        return result
    _scan_entries(entries, spec, result, vault, on_file)
    return result


def _scan_entries(
    entries: list[FileEntry],
    spec: KeySpec,
    result: ScanResult,
    vault: KeyVault | None = None,
    on_file: Callable[[FileEntry], None] | None = None,
) -> ScanResult:
    stats = EngineStats()
    for entry in entries:
        try:
            result.findings.extend(_scan_file(entry, spec, stats, vault, result))
        except FileNotFoundError:
            pass  # removed while we were scanning
        except OSError as exc:
            result.warnings.append(f"{entry.rel_path}: cannot read: {exc.strerror or exc}")
            continue
        result.files_scanned += 1
        if on_file is not None:
            on_file(entry)
    result.suppressed_inline += stats.suppressed_inline
    result.warnings.extend(capped_notes(stats))
    return result


def _worker(job: tuple[list[FileEntry], KeySpec]) -> ScanResult:
    entries, spec = job
    return _scan_entries(entries, spec, ScanResult())


def _scan_in_workers(
    entries: list[FileEntry], spec: KeySpec, count: int, result: ScanResult
) -> bool:
    """Interleaved slices (so big files spread out) scanned by forked workers, merged
    into `result`; False when this process cannot fork safely (the caller scans here)."""
    import multiprocessing
    import threading

    if threading.active_count() > 1:
        return False  # forking a threaded process can copy a held lock into the child
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return False
    jobs = [(entries[i::count], spec) for i in range(count)]
    try:
        with context.Pool(count) as pool:
            parts = pool.map(_worker, jobs)
    except OSError:
        return False
    found: list[Finding] = []
    for part in parts:
        found.extend(part.findings)
        result.files_scanned += part.files_scanned
        result.bytes_scanned += part.bytes_scanned
        result.suppressed_inline += part.suppressed_inline
        result.warnings.extend(part.warnings)
    # Restore the selection's order, which the reports and baselines rely on.
    order = {entry.rel_path: i for i, entry in enumerate(entries)}
    found.sort(key=lambda f: (order.get(f.path or "", 0), f.line or 0, f.column or 0))
    result.findings.extend(found)
    return True


def _scan_file(
    entry: FileEntry,
    spec: KeySpec,
    stats: EngineStats,
    vault: KeyVault | None,
    result: ScanResult,
) -> list[Finding]:
    """One file. Most files are small and hold nothing: read them in one call and let the
    literal pre-filter dismiss them without entering the streaming engine. A file that
    may hold a key in disguise is read whole (up to `unwrap.max_file_bytes`) and unwrapped."""
    with open_regular(entry.abs_path) as handle:
        size = os.fstat(handle.fileno()).st_size
        whole = (
            CHUNK_SIZE
            if not spec.unwrap.enabled
            else max(CHUNK_SIZE, spec.unwrap.max_file_bytes + 1)
        )
        if size < whole:
            data = handle.read(size + 1)
            if len(data) <= size:  # the whole file (it did not grow meanwhile)
                result.bytes_scanned += len(data)
                return scan_data(data, entry.rel_path, spec, stats, vault, result.warnings)
            handle.seek(0)
        pieces = iter(lambda: handle.read(CHUNK_SIZE), b"")
        return scan_pieces(
            _counting(pieces, result), entry.rel_path, spec, stats, vault, result.warnings
        )


def scan_pieces(
    pieces: Iterable[bytes],
    path: str,
    spec: KeySpec,
    stats: EngineStats,
    vault: KeyVault | None,
    warnings: list[str],
    *,
    source: str = "worktree",
) -> list[Finding]:
    """One input that arrives in pieces (a large file, a staged or historical blob): held
    whole and unpacked like any file when it is within `unwrap_max_file_bytes`, else
    searched plainly as it streams, with a warning (marked not opened) when any piece
    could hold a key in disguise: over a limit, the run says so."""
    limit = spec.unwrap.max_file_bytes if spec.unwrap.enabled else CHUNK_SIZE
    held: list[bytes] = []
    size = 0
    iterator = iter(pieces)
    for piece in iterator:
        held.append(piece)
        size += len(piece)
        if size > limit:
            break
    else:  # small enough to hold: the in-memory path, disguises included
        return scan_data(b"".join(held), path, spec, stats, vault, warnings, source=source)
    from fastaudit.limits import not_opened
    from fastaudit.unwrap.gate import may_hide_keys

    # With unwrapping off nothing was meant to be opened, so nothing is watched for.
    watch = spec.unwrap.enabled
    hidden = [False]

    def watched(chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            if watch and not hidden[0] and may_hide_keys(chunk, spec):
                hidden[0] = True
            yield chunk

    found = list(
        scan_chunks(
            watched(itertools.chain(held, iterator)),
            path,
            spec,
            source=source,
            stats=stats,
            vault=vault,
        )
    )
    if hidden[0]:
        warnings.append(
            not_opened(
                path,
                f"larger than unwrap_max_file_bytes ({spec.unwrap.max_file_bytes} bytes) and "
                "holds compressed, archived or encoded content: searched plainly, not unpacked",
            )
        )
    return found


def scan_data(
    data: bytes,
    path: str,
    spec: KeySpec,
    stats: EngineStats,
    vault: KeyVault | None,
    warnings: list[str],
    *,
    source: str = "worktree",
) -> list[Finding]:
    """Every finding in one in-memory input: plain keys and URLs, then keys in disguise.

    A key split over literals replaces the plain finding of its first piece (which alone
    can look like a shorter key)."""
    from fastaudit.unwrap.gate import may_hide_keys

    unwrap = spec.unwrap.enabled and may_hide_keys(data, spec)
    if not unwrap and not may_hold_findings(data, spec):
        return []
    plain = list(scan_chunks((data,), path, spec, source=source, stats=stats, vault=vault))
    if not unwrap:
        return plain
    from fastaudit.unwrap import views  # the readers: only for what passed the gate

    disguised, notes, superseded = views.disguised_findings(
        data, path, spec, spec.unwrap, source=source, vault=vault
    )
    warnings.extend(notes)
    return [f for f in plain if not superseded(f)] + disguised


def scan_blobs(
    blobs: Iterable[tuple[str, Iterable[bytes]]],
    spec: KeySpec,
    source: str,
    vault: KeyVault | None = None,
) -> ScanResult:
    """Scan content that is not in files (the index), named by path, in pieces."""
    result = ScanResult()
    stats = EngineStats()
    for path, pieces in blobs:
        result.files_scanned += 1
        result.findings.extend(
            scan_pieces(
                _counting(pieces, result), path, spec, stats, vault, result.warnings, source=source
            )
        )
    result.suppressed_inline = stats.suppressed_inline
    result.warnings.extend(capped_notes(stats))
    return result


def scan_staged(
    root: Path,
    spec: KeySpec,
    exclude: Callable[[str], bool] | None,
    vault: KeyVault | None = None,
) -> ScanResult:
    """The index of the work tree at `root`: what `git commit` would record."""
    from fastaudit.sources.staged import staged_blobs, staged_files

    files = [f for f in staged_files(root) if exclude is None or not exclude(f.path)]
    return scan_blobs(staged_blobs(root, files), spec, "staged", vault=vault)


def apply_baseline(result: ScanResult, baseline: Baseline | None) -> ScanResult:
    """Drop findings the baseline accepts, counting them so the report can say so."""
    if baseline is None:
        return result
    kept = [f for f in result.findings if not baseline.covers(f)]
    result.suppressed_baseline += len(result.findings) - len(kept)
    result.findings = kept
    return result


def staged_root(cwd: Path) -> Path:
    """The work tree containing `cwd`, or InputError (the index needs one)."""
    from fastaudit.errors import InputError
    from fastaudit.sources.gitproc import toplevel

    top = toplevel(cwd)
    if top is None:
        raise InputError(f"{cwd} is not inside a git work tree (--staged needs one)")
    return top
