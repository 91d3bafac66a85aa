"""The one way fastaudit runs git: every subprocess goes through here.

Errors become `InputError` with git's own first line, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fastaudit.errors import InputError

# Git must not page, prompt, or localise messages we may show the user.
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C"}


def git_env() -> dict[str, str]:
    return {**os.environ, **_GIT_ENV}


def run_git(args: list[str], cwd: Path | str, *, check: bool = True) -> bytes:
    """Run `git ARGS` in `cwd` and return stdout; raise InputError on failure."""
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=git_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise InputError("git is not installed or not on PATH") from None
    except NotADirectoryError:
        raise InputError(f"{cwd} is not a directory") from None
    if check and proc.returncode != 0:
        first = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = first[0] if first else f"exit status {proc.returncode}"
        raise InputError(f"git {args[0]} failed in {cwd}: {reason}")
    return proc.stdout


def toplevel(path: Path) -> Path | None:
    """The work tree containing `path`, or None when it is not inside one."""
    directory = path if path.is_dir() else path.parent
    try:
        out = run_git(["rev-parse", "--show-toplevel"], directory, check=False)
    except InputError:
        return None
    text = out.decode("utf-8", "surrogateescape").strip()
    return Path(text) if text else None
