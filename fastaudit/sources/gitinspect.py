"""What a repository is before anything is read from it: bare or not, shallow or not,
its object format and directories, HEAD and HEAD's tree, and the object ids in scope."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fastaudit.errors import InputError
from fastaudit.sources.gitproc import (
    one_line_output,
    run_git,
    run_git_process,
)


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


def quarantine_object_ids(repo: RepoInfo) -> list[str] | None:
    """During a pre-receive hook: the ids of the objects the push brought (commits, tags
    and blobs; trees hold no text worth scanning), read from git's quarantine directory
    alone. None outside a hook. Listing the quarantine costs what the push holds, where
    `rev-list NEW --not --all` pays for every ref of the repository."""
    import os

    quarantine = os.environ.get("GIT_QUARANTINE_PATH")
    if not quarantine:
        return None
    out = run_git(
        ["cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectname)"],
        repo.git_dir,
        extra_env={"GIT_OBJECT_DIRECTORY": quarantine, "GIT_ALTERNATE_OBJECT_DIRECTORIES": ""},
    )
    ids = []
    for line in out.decode("ascii", "replace").splitlines():
        kind, _, oid = line.partition(" ")
        if kind != "tree" and oid:
            ids.append(oid)
    return ids


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
