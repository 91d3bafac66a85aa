"""Working-tree files: which to scan, and their bytes in bounded chunks.

In a git work tree we scan what git would commit (tracked files plus untracked files that
are not ignored), because that is what can leak; `all_files` widens it to everything.
Symlinks are never followed: a link inside the root points at a file that is scanned in
its own right, and one pointing outside the root must not drag outside files into a
report about this tree.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from fastaudit.errors import InputError
from fastaudit.sources.gitproc import git_available, run_git, toplevel

if TYPE_CHECKING:
    from collections.abc import Callable

CHUNK_SIZE = 8 * 1024 * 1024


@dataclass(frozen=True)
class FileEntry:
    """A file to scan: where to open it, and how to name it in reports."""

    abs_path: str
    rel_path: str


@dataclass
class Selection:
    """The files chosen for a scan, the root their names are relative to, and why some
    were passed over."""

    root: Path
    entries: list[FileEntry] = field(default_factory=list)
    skipped_symlinks: int = 0
    skipped_excluded: int = 0
    warnings: list[str] = field(default_factory=list)


def report_root(paths: Sequence[Path], tops: _WorkTrees | None = None) -> Path:
    """The directory report paths are relative to: the git work tree when there is one
    (so SARIF locations match the repository), else the one directory scanned, else cwd."""
    if not paths:
        paths = [Path.cwd()]
    first = paths[0].resolve()
    top = (tops or _WorkTrees()).of(first)
    if top is not None and all(_inside(p.resolve(), top) for p in paths):
        return top
    if len(paths) == 1 and first.is_dir():
        return first
    return Path.cwd().resolve()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def relative_name(abs_path: str, root: Path, root_prefix: str | None = None) -> str:
    """`/`-separated path relative to `root`, or the absolute path when outside it.

    `root_prefix` (root plus a separator) makes the common case a string slice rather
    than `os.path.relpath`, which dominated the selection of large trees."""
    if root_prefix is not None and abs_path.startswith(root_prefix) and "/.." not in abs_path:
        return abs_path[len(root_prefix) :].replace(os.sep, "/")
    rel = os.path.relpath(abs_path, root)
    if rel.startswith(".."):
        rel = abs_path
    return rel.replace(os.sep, "/")


def select(
    paths: Sequence[Path],
    *,
    all_files: bool = False,
    exclude: Callable[[str], bool] | None = None,
    explicit_files: bool = False,
) -> Selection:
    """Choose the files under `paths`.

    `explicit_files` (the pre-commit hook) scans exactly the files named, nothing else.
    """
    tops = _WorkTrees()
    root = report_root(paths, tops)
    root_prefix = os.path.join(str(root), "")
    selection = Selection(root=root)
    seen: set[str] = set()
    linked = _LinkedDirectories()
    for path in paths or [Path.cwd()]:
        if not path.exists() and not path.is_symlink():
            if explicit_files:
                continue  # deleted in this commit: nothing to scan
            raise InputError(f"{path}: no such file or directory")
        if path.is_dir() and not path.is_symlink():
            base: str | None = str(path.resolve())
            candidates = _directory_files(path.resolve(), all_files, selection, tops)
        else:
            absolute = str(path.absolute())
            base = next(
                (
                    str(b)
                    for b in (root, Path.cwd())
                    if absolute.startswith(os.path.join(str(b), ""))
                ),
                None,
            )
            candidates = iter([absolute])
        for abs_path in candidates:
            if abs_path in seen:
                continue
            seen.add(abs_path)
            if base is not None and linked.below(base, abs_path):
                # A tracked folder replaced by a link (to anywhere): never followed.
                selection.skipped_symlinks += 1
                continue
            try:
                mode = os.lstat(abs_path).st_mode
            except FileNotFoundError:
                continue  # tracked but deleted in the work tree
            except OSError as exc:
                selection.warnings.append(f"{abs_path}: cannot stat: {exc.strerror}")
                continue
            if stat.S_ISLNK(mode):
                selection.skipped_symlinks += 1
                continue
            if (
                stat.S_ISDIR(mode)
                and base is not None
                and os.path.isdir(os.path.join(abs_path, ".git"))
            ):
                name = relative_name(abs_path, root, root_prefix)
                selection.warnings.append(
                    f"{name}: submodule not scanned (a separate repository: run fastaudit "
                    "scan in it)"
                )
                continue
            if not stat.S_ISREG(mode):
                continue  # directories, fifos, devices
            rel = relative_name(abs_path, root, root_prefix)
            if exclude is not None and exclude(rel):
                selection.skipped_excluded += 1
                continue
            selection.entries.append(FileEntry(abs_path, rel))
    return selection


class _LinkedDirectories:
    """Answers "is any folder between `base` and this file a symlink?", remembering each
    folder's answer so a large tree costs one lstat per folder."""

    def __init__(self) -> None:
        self._known: dict[str, bool] = {}

    def below(self, base: str, abs_path: str) -> bool:
        directory = os.path.dirname(abs_path)
        pending: list[str] = []
        found = False
        while len(directory) > len(base) and directory.startswith(base):
            known = self._known.get(directory)
            if known is not None:
                found = known
                break
            pending.append(directory)
            try:
                if stat.S_ISLNK(os.lstat(directory).st_mode):
                    found = True
                    break
            except OSError:
                break
            directory = os.path.dirname(directory)
        for folder in pending:
            # A folder is "linked" if it, or any folder above it (up to base), is a link.
            self._known[folder] = found
        return found


class _WorkTrees:
    """`toplevel` of each folder, asked of git once per selection (a git process each)."""

    def __init__(self) -> None:
        self._known: dict[Path, Path | None] = {}

    def of(self, path: Path) -> Path | None:
        if path not in self._known:
            self._known[path] = toplevel(path)
        return self._known[path]


def _directory_files(
    directory: Path, all_files: bool, selection: Selection, tops: _WorkTrees
) -> Iterator[str]:
    top = None if all_files else tops.of(directory)
    if top is None:
        if not all_files and not git_available():
            selection.warnings.append(
                f"git is not available: scanned every file under {directory}, including "
                "files git would ignore"
            )
        yield from _walk(directory, selection)
        return
    git_warnings: list[str] = []
    out = run_git(
        ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", str(directory)],
        top,
        warnings=git_warnings,
    )
    selection.warnings.extend(f"git: {w}" for w in git_warnings)
    for name in out.split(b"\0"):
        if name:
            yield os.path.join(str(top), os.fsdecode(name))


def _walk(directory: Path, selection: Selection) -> Iterator[str]:
    """Every file below `directory`, depth first without recursion (a tree 1,000 folders
    deep must not exhaust the stack); `.git` folders are passed over, links to folders
    are yielded for the caller to count as skipped, unreadable folders are warnings."""
    stack = [str(directory)]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            selection.warnings.append(f"{current}: cannot read folder: {exc.strerror or exc}")
            continue
        folders = []
        for entry in entries:
            try:
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_folder = False
            if is_folder:
                if entry.name != ".git":
                    folders.append(entry.path)
            else:
                yield entry.path  # files, and links (counted as skipped by the caller)
        stack.extend(reversed(folders))


def open_regular(abs_path: str) -> BinaryIO:
    """The file at `abs_path` opened for reading, if it is still a regular file.

    Selection saw a regular file, but a tree can change under a scan: a FIFO swapped in
    would block `open()` forever and a symlink would lead outside the tree. So the name is
    opened without blocking and without following a link, and the *opened* file is
    checked (`fstat`), never the name."""
    flags = os.O_RDONLY | os.O_NONBLOCK
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(abs_path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "no longer a regular file (changed during the scan)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def read_chunks(abs_path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The file's bytes: one piece when small, bounded chunks when large."""
    with open_regular(abs_path) as handle:
        # Ask for no more than the file holds: a read of `chunk_size` allocates (and faults
        # in) that much even for a 2 KB file, which dominated small-file scans.
        want = min(chunk_size, os.fstat(handle.fileno()).st_size + 1)
        while True:
            chunk = handle.read(want)
            if not chunk:
                return
            yield chunk
            if len(chunk) < want:
                return
            want = chunk_size


def exclude_matcher(patterns: Sequence[str]) -> Callable[[str], bool] | None:
    """A predicate for gitignore-style `exclude` globs, or None when there are none."""
    if not patterns:
        return None
    import pathspec  # lazy: only runs that configure excludes pay for it

    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    return spec.match_file
