"""Repositories from anywhere: a local path, or a clone URL kept as a bare mirror.

One bare mirror per URL under the mirror directory: cloned the first time, fetched (all
branches and tags, pruned) on later runs, so an organisation's nightly audit moves only
what changed. Credentials come from git itself (credential helpers, the SSH agent); a
`user:password@` in a URL is used for the transfer only: it is stripped from the URL the
mirror stores, and never shown.

A clone or fetch that fails is a `MirrorError` with one line and a kind (authentication,
not found, network, timeout, corrupt): the repository is reported as failed, the audit
goes on.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fastaudit.errors import InputError
from fastaudit.http import display_url
from fastaudit.sources.gitproc import git_command, git_env

# scp-like syntax: git@host:org/repo.git (no scheme, a colon before the first slash)
_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?[A-Za-z0-9.\-]+:(?!//)[^\s]+$")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


class MirrorError(InputError):
    """A repository that could not be cloned or fetched."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class RepoTarget:
    """One repository to audit: where it is (a path or a URL) and what to call it."""

    name: str
    location: str  # a local path, or a URL (shown without credentials)
    is_url: bool
    url: str | None = None  # the URL as given, credentials included: used, never shown

    @property
    def shown(self) -> str:
        """The location as reports show it: a URL without credentials."""
        return display_url(self.location) if self.is_url else self.location


# `<transport>::<address>`: a remote helper chosen by the URL (`ext::` runs a command,
# `fd::` talks over inherited descriptors and hangs). Never a repository to audit.
_HELPER_SYNTAX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.\-]*::")

# A repository's clone (or fetch) that takes longer than this is given up when no
# `--repo-timeout` is set: a server that drips a byte at a time cannot hang the audit.
DEFAULT_NETWORK_TIMEOUT = 600.0


def check_entry(text: str) -> str:
    """`text` as a repository to audit, or InputError: nothing that git could read as an
    option (a leading `-`) or as a remote-helper transport (`ext::`, `fd::`)."""
    if text.startswith("-"):
        raise InputError(f"repository {display_url(text)!r} begins with '-': refused")
    if _HELPER_SYNTAX.match(text):
        raise InputError(
            f"repository {display_url(text)!r} names a git remote helper (TRANSPORT::): refused"
        )
    if "\0" in text:
        raise InputError("a repository entry holds a NUL byte: refused")
    return text


def is_clone_url(text: str) -> bool:
    """Whether `text` is a clone URL (scheme:// or scp-like), not a local path that exists."""
    if _URL.match(text):
        return True
    return bool(_SCP_LIKE.match(text)) and not os.path.exists(text)


def mirror_path(mirror_dir: Path, url: str) -> Path:
    """A stable folder per URL (credentials do not change which mirror it is)."""
    clean = display_url(url)
    digest = hashlib.sha256(clean.encode("utf-8")).hexdigest()[:12]
    tail = re.sub(r"[^A-Za-z0-9._-]+", "_", clean.rstrip("/").split("/")[-1].split(":")[-1])
    tail = tail.removesuffix(".git")[:60] or "repo"
    return mirror_dir / f"{tail}-{digest}.git"


def ensure_mirror(url: str, mirror_dir: Path, *, timeout: float | None = None) -> Path:
    """The up-to-date bare mirror of `url`: cloned once, fetched after. Raises
    MirrorError with a one-line reason.

    The URL goes after `--` and never carries its password on a command line (any user
    on the machine can read those): a `user:password@` is handed to git by a credential
    helper that reads it from this process's environment."""
    check_entry(url)
    timeout = timeout or DEFAULT_NETWORK_TIMEOUT
    bare, credentials = _split_credentials(url)
    target = mirror_path(mirror_dir, url)
    refspec = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
    # The repository's own upload-pack setting is input too: name git's own program.
    upload = "--upload-pack=git-upload-pack"
    if (target / "HEAD").is_file():
        _git(
            ["fetch", "--quiet", "--prune", "--no-write-fetch-head", upload, "--", bare, *refspec],
            target,
            timeout,
            credentials,
        )
        return target
    mirror_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        _git(
            ["clone", "--quiet", "--mirror", upload, "--", bare, str(partial)],
            mirror_dir,
            timeout,
            credentials,
        )
        os.replace(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


# A credential helper that answers from the environment: the password reaches git without
# appearing in any process's command line.
_ENV_HELPER = (
    '!f() { test "$1" = get && '
    "printf 'username=%s\\npassword=%s\\n' "
    '"$FASTAUDIT_GIT_USERNAME" "$FASTAUDIT_GIT_PASSWORD"; }; f'
)


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its `user:password@`, and the environment that hands them to git."""
    from urllib.parse import unquote, urlsplit

    if not _URL.match(url):
        return url, {}
    parts = urlsplit(url)
    if parts.password is None:
        return url, {}
    return display_url(url), {
        "FASTAUDIT_GIT_USERNAME": unquote(parts.username or ""),
        "FASTAUDIT_GIT_PASSWORD": unquote(parts.password),
    }


def _git(
    args: list[str], cwd: Path, timeout: float, credentials: dict[str, str] | None = None
) -> None:
    helper: list[str] = []
    if credentials:
        # Last on the command line, so it outranks every other helper; it names the
        # variables, the values stay in the environment.
        helper = ["-c", "credential.helper=", "-c", f"credential.helper={_ENV_HELPER}"]
    try:
        proc = subprocess.run(
            git_command([], network=True) + helper + args,
            cwd=cwd,
            env={**git_env(network=True), **(credentials or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MirrorError("timeout", f"git {args[0]} took longer than {timeout:g} s") from None
    except FileNotFoundError:
        raise MirrorError("network", "git is not installed or not on PATH") from None
    if proc.returncode != 0:
        text = proc.stderr.decode("utf-8", "replace")
        raise MirrorError(classify(text), f"git {args[0]} failed: {_first_line(text)}")


def _first_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:", "remote:"))]
    chosen = (fatal or lines or ["no message"])[0]
    return re.sub(r"[a-z][a-z0-9+.\-]*://[^\s'\"]*", lambda m: display_url(m.group(0)), chosen)


# Checked in this order: git daemon answers "access denied or repository not exported"
# for a repository it does not have, which is a "not found".
_KINDS = (
    (
        "not found",
        ("not found", "not exported", "does not appear to be a git repository",
         "does not exist", "404", "no such repository"),
    ),
    (
        "authentication",
        ("authentication failed", "could not read username", "could not read password",
         "permission denied", "access denied", "403", "401", "terminal prompts disabled"),
    ),
    (
        "network",
        ("could not resolve", "unable to look up", "name or service not known",
         "connection refused", "unable to connect", "timed out", "network is unreachable",
         "connection reset", "failed to connect", "unable to access"),
    ),
    (
        "corrupt",
        ("corrupt", "bad object", "index-pack failed", "did not send all necessary objects",
         "invalid index-pack", "packfile"),
    ),
)  # fmt: skip


def classify(stderr: str) -> str:
    """authentication, not found, network, corrupt, or failed (anything else)."""
    text = stderr.lower()
    for kind, markers in _KINDS:
        if any(marker in text for marker in markers):
            return kind
    return "failed"
