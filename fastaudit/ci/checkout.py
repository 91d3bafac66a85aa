"""The commits a CI event asks about, and a checkout that holds them.

CI checkouts are shallow by default (GitHub's `fetch-depth: 1`, GitLab's `GIT_DEPTH: 20`).
Scanning a range whose base is missing would silently scan too much or too little, so the
range is checked first; a shallow clone is deepened from `origin`, and if that fails the
error names the exact setting to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fastaudit.errors import InputError
from fastaudit.sources.gitproc import run_git

ZERO_SHA = "0" * 40
_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def object_id(value: object, what: str) -> str:
    """`value` when it is a full object id (40 or 64 lower-case hex digits, SHA-1 or
    SHA-256), else InputError. Payloads and CI variables are input: nothing else from them
    may reach git, where `--upload-pack=…` would be an option."""
    if isinstance(value, str) and _OBJECT_ID.fullmatch(value):
        return value
    shown = repr(value)[:60] if isinstance(value, str) else type(value).__name__
    raise InputError(f"{what} is not a commit id (40 or 64 hex digits): {shown}")


def branch_name(value: object, what: str) -> str:
    """A branch name from a payload: a string git would accept as one, never an option."""
    if (
        not isinstance(value, str)
        or not value
        or value.startswith("-")
        or any(c in value for c in "\0\n\r ~^:?*[\\")
        or ".." in value
    ):
        shown = repr(value)[:60] if isinstance(value, str) else type(value).__name__
        raise InputError(f"{what} is not a branch name: {shown}")
    return value


class ShallowCheckoutError(InputError):
    """The checkout lacks commits the scan needs, and they could not be fetched."""


@dataclass(frozen=True)
class Range:
    """What to scan: the history `head` reaches that `base` does not (all of it when
    `base` is None). `commits` is how many commits the event says the range has, when it
    says, for the fetch-depth advice."""

    head: str
    base: str | None
    description: str
    commits: int | None = None

    @property
    def is_full_history(self) -> bool:
        """Whether the whole history is scanned (no base to exclude)."""
        return self.base is None


def is_shallow(repo: Path) -> bool:
    """Whether the checkout is a shallow clone."""
    out = run_git(["rev-parse", "--is-shallow-repository"], repo, check=False)
    return out.strip() == b"true"


def has_commit(repo: Path, revision: str) -> bool:
    """Whether `revision` names a commit this checkout holds (never fetched, never an option)."""
    try:
        run_git(["cat-file", "-e", "--end-of-options", f"{revision}^{{commit}}"], repo)
    except InputError:
        return False
    return True


def _complete(repo: Path, scan: Range) -> bool:
    """Whether everything the range needs is here: both ends, their merge base, and (for
    a whole-history scan, or a shallow clone) no shallow boundary inside the range."""
    if not has_commit(repo, scan.head):
        return False
    if scan.base is None:
        return not is_shallow(repo)
    if not has_commit(repo, scan.base):
        return False
    try:
        run_git(["merge-base", "--end-of-options", scan.base, scan.head], repo)
    except InputError:
        return False
    return True


def _fetch(repo: Path, options: list[str], wanted: list[str]) -> bool:
    """`git fetch` from origin, with the network settings of the user, never of the
    checkout (its `remote.origin.uploadpack` is overridden too); revisions after `--`."""
    try:
        run_git(
            [
                "fetch",
                "--no-tags",
                "--quiet",
                "--upload-pack=git-upload-pack",
                *options,
                "--",
                "origin",
                *wanted,
            ],
            repo,
            network=True,
            timeout=_network_timeout(),
        )
    except InputError:
        return False
    return True


def _network_timeout() -> float:
    from fastaudit.sources.mirrors import DEFAULT_NETWORK_TIMEOUT

    return DEFAULT_NETWORK_TIMEOUT


def ensure_range(repo: Path, scan: Range, advice: str) -> list[str]:
    """Make the checkout hold `scan`, deepening it from `origin` when it is shallow;
    returns notes on what was fetched. Raises ShallowCheckoutError with `advice` (the
    platform's own setting, e.g. "set `fetch-depth: 0` on actions/checkout") when the
    commits cannot be had."""
    if _complete(repo, scan):
        return []
    notes = []
    wanted = [rev for rev in (scan.base, scan.head) if rev]
    depth = (scan.commits or 0) + 50
    if scan.base is not None:
        for attempt in (depth, depth * 10):
            if _fetch(repo, [f"--depth={attempt}"], wanted) and _complete(repo, scan):
                notes.append(f"deepened the shallow checkout to {attempt} commits")
                return notes
    if is_shallow(repo) and _fetch(repo, ["--unshallow"], []):
        if scan.base is not None and not has_commit(repo, scan.base):
            _fetch(repo, [], wanted)
        if _complete(repo, scan):
            notes.append("fetched the whole history (the checkout was shallow)")
            return notes
    missing = [rev[:12] for rev in wanted if not has_commit(repo, rev)]
    shallow = "a shallow checkout" if is_shallow(repo) else "the checkout"
    what = (
        f"commit {', '.join(missing)} is not in {shallow}"
        if missing
        else f"{shallow} does not reach the merge base of {scan.description}"
        if scan.base
        else f"{shallow} cuts the history short"
    )
    raise ShallowCheckoutError(
        f"cannot scan {scan.description}: {what}, and fetching it from origin failed; {advice}"
    )
