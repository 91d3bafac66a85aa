"""The one way fastaudit runs git: every git process starts from `git_command`.

A scanned repository is untrusted input, and its own configuration (`.git/config`, and
anything that file includes) can make git run programs: an fsmonitor hook, a gpg program
for signature checks, an external diff or textconv driver, a pager, hooks, credential
helpers, `ext::` transports. Every git process fastaudit starts therefore carries
command-line overrides for all of them (command-line settings outrank every config file,
`includeIf` included), and the same overrides in the environment (`GIT_CONFIG_COUNT`), so
that anything git spawns in turn inherits them.

Errors become `InputError` with git's own first line, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from fastaudit.errors import InputError

# Settings that neutralise everything a repository's config can make git execute, or
# write, while fastaudit reads it. `false` is a program that does nothing and fails.
SAFE_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.sshCommand", "false"),
    ("log.showSignature", "false"),
    ("gpg.program", "false"),
    ("gpg.openpgp.program", "false"),
    ("gpg.x509.program", "false"),
    ("gpg.ssh.program", "false"),
    ("gpg.ssh.defaultKeyCommand", "false"),
    ("diff.external", "false"),
    ("credential.helper", ""),
    ("core.askPass", ""),
    ("core.gitProxy", ""),
    ("protocol.ext.allow", "never"),
    ("protocol.fd.allow", "never"),
    ("protocol.file.allow", "user"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
)

# Network operations (cloning a mirror, deepening a CI checkout) need the *user's*
# credential helpers, ssh command, askpass and proxy: those are taken from the user's own
# (global and system) configuration, never from the repository's, whose config is input.
NETWORK_FROM_USER = ("credential.helper", "core.sshCommand", "core.askPass", "core.gitProxy")

# Options for `git log` / `git diff`: no external diff, no textconv, no signatures.
SAFE_DIFF_OPTIONS = ("--no-ext-diff", "--no-textconv")

# Git must not page, prompt, or localise messages we may show the user; variables that
# would make it run a program of the caller's choosing are dropped.
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "LC_ALL": "C", "PAGER": "cat"}
_DROPPED_ENV = ("GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR")


def _overrides(network: bool) -> list[tuple[str, str]]:
    if not network:
        return list(SAFE_CONFIG)
    user = _user_network_settings()
    kept = [(k, v) for k, v in SAFE_CONFIG if k not in NETWORK_FROM_USER]
    for key in NETWORK_FROM_USER:
        values = user.get(key.lower())
        if key == "credential.helper":
            # An empty value first clears any helper a repository's config added.
            kept += [(key, "")] + [(key, v) for v in values or ()]
        elif values:
            kept.append((key, values[-1]))
        elif key == "core.sshCommand":
            kept.append((key, "ssh"))
        else:
            kept.append((key, ""))
    return kept


_NETWORK_SETTINGS = r"^(credential\.helper|core\.(sshcommand|askpass|gitproxy))$"
_USER_SETTINGS: dict[str, list[str]] | None = None
_USER_LOCK = threading.Lock()


def _user_network_settings() -> dict[str, list[str]]:
    """The user's own values of the settings a network operation needs, read once from
    the global and system files only (`git config --global/--system`, outside any
    repository), so a scanned repository's `.git/config` cannot supply them."""
    global _USER_SETTINGS
    with _USER_LOCK:
        if _USER_SETTINGS is None:
            found: dict[str, list[str]] = {}
            for scope in ("--system", "--global"):
                # Outside any repository (the root directory): only that one file is read.
                try:
                    proc = run_git_process(
                        ["config", scope, "-z", "--get-regexp", _NETWORK_SETTINGS], os.sep
                    )
                except InputError:
                    continue
                for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
                    name, _, value = entry.partition("\n")
                    if name:
                        found.setdefault(name.lower(), []).append(value)
            _USER_SETTINGS = found
        return _USER_SETTINGS


def git_env(*, network: bool = False) -> dict[str, str]:
    """The environment for every git process: the caller's, plus the safe overrides as
    `GIT_CONFIG_*` entries after any the caller set (later entries win)."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(_GIT_ENV)
    try:
        count = int(env.get("GIT_CONFIG_COUNT", "0"))
    except ValueError:
        count = 0
    for key, value in _overrides(network):
        env[f"GIT_CONFIG_KEY_{count}"] = key
        env[f"GIT_CONFIG_VALUE_{count}"] = value
        count += 1
    env["GIT_CONFIG_COUNT"] = str(count)
    return env


def git_command(args: list[str], *, network: bool = False) -> list[str]:
    """`git` with the safe overrides on its command line, then `args`."""
    command = ["git", "--no-pager"]
    for key, value in _overrides(network):
        command += ["-c", f"{key}={value}"]
    return command + list(args)


class Deadline:
    """A time limit on all the git work of one thread (one repository's audit). When it
    passes, every git process the thread has running is killed and any further git call
    fails, so the scan ends with a one-line error instead of hanging a worker."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.expired = False
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._started = time.monotonic()

    def __enter__(self) -> Deadline:
        self._started = time.monotonic()
        _SCOPE.deadline = self
        if self.seconds:
            self._timer = threading.Timer(self.seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        _SCOPE.deadline = None

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for proc in list(self._procs):
                with contextlib.suppress(OSError):
                    proc.kill()

    def remaining(self) -> float | None:
        """Seconds left (None: no limit), for work handed to another process."""
        if not self.seconds:
            return None
        return max(0.1, self.seconds - (time.monotonic() - self._started))

    def check(self) -> None:
        """Raise InputError once the deadline has passed."""
        if self.expired:
            raise InputError(f"timed out after {self.seconds:g} s (--repo-timeout)")

    def track(self, proc: subprocess.Popen[bytes]) -> None:
        """Kill `proc` when the deadline passes (at once if it has)."""
        with self._lock:
            if self.expired:
                with contextlib.suppress(OSError):
                    proc.kill()
            self._procs.add(proc)

    def untrack(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop watching a process that has ended."""
        with self._lock:
            self._procs.discard(proc)


_SCOPE = threading.local()


def current_deadline() -> Deadline | None:
    """This thread's deadline, to hand to a helper thread working on the same scan."""
    return getattr(_SCOPE, "deadline", None)


@contextlib.contextmanager
def under_deadline(deadline: Deadline | None) -> Iterator[None]:
    """Run this thread's git calls under another thread's deadline: a helper thread of one
    repository's scan is stopped with it."""
    previous = getattr(_SCOPE, "deadline", None)
    _SCOPE.deadline = deadline
    try:
        yield
    finally:
        _SCOPE.deadline = previous


def _deadline() -> Deadline | None:
    deadline: Deadline | None = getattr(_SCOPE, "deadline", None)
    if deadline is not None:
        deadline.check()
    return deadline


def run_git(
    args: list[str],
    cwd: Path | str,
    *,
    check: bool = True,
    network: bool = False,
    warnings: list[str] | None = None,
    stdin: IO[bytes] | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> bytes:
    """Run `git ARGS` in `cwd` and return stdout; raise InputError on failure. With
    `warnings`, what git printed on stderr while succeeding is appended to it; `stdin`
    is a file to feed git, `extra_env` variables added to the safe environment."""
    proc = run_git_process(
        args, cwd, network=network, stdin=stdin, extra_env=extra_env, timeout=timeout
    )
    if check and proc.returncode != 0:
        first = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = first[0] if first else f"exit status {proc.returncode}"
        raise InputError(f"git {args[0]} failed in {cwd}: {reason}")
    if warnings is not None and proc.stderr:
        text = proc.stderr.decode("utf-8", "replace")
        warnings.extend(line.strip() for line in text.splitlines() if line.strip())
    return proc.stdout


def run_git_process(
    args: list[str],
    cwd: Path | str,
    *,
    network: bool = False,
    stdin: IO[bytes] | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """`run_git` for a caller that reads the exit status itself (git's status can be an
    answer, as `rev-parse --verify` on an unborn HEAD). Raises InputError only when git
    cannot be started in `cwd`, or the thread's deadline has passed."""
    deadline = _deadline()
    try:
        child = subprocess.Popen(
            git_command(args, network=network),
            cwd=cwd,
            env={**git_env(network=network), **(extra_env or {})},
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        if deadline is not None:
            deadline.track(child)
        try:
            stdout, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise InputError(f"git {args[0]} took longer than {timeout:g} s; stopped") from None
        finally:
            if deadline is not None:
                deadline.untrack(child)
        if deadline is not None:
            deadline.check()
    except FileNotFoundError:
        if not Path(cwd).is_dir():
            raise InputError(f"{cwd} is not a directory") from None
        raise InputError("git is not installed or not on PATH") from None
    except NotADirectoryError:
        raise InputError(f"{cwd} is not a directory") from None
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def popen_git(
    args: list[str],
    cwd: Path | str,
    *,
    stdin: int,
    stderr: int | IO[bytes] = subprocess.DEVNULL,
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """A streaming git process (stdout piped) with the same overrides as `run_git`. Under
    a `Deadline`, it is killed when the deadline passes (the reader then sees its end)."""
    deadline = _deadline()
    try:
        proc = subprocess.Popen(
            git_command(args),
            cwd=cwd,
            env={**git_env(), **(extra_env or {})},
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    except FileNotFoundError:
        raise InputError("git is not installed or not on PATH") from None
    if deadline is not None:
        deadline.track(proc)
    return proc


def git_available() -> bool:
    """Whether a git executable can be started at all."""
    try:
        subprocess.run(
            ["git", "--version"], capture_output=True, check=False, stdin=subprocess.DEVNULL
        )
    except OSError:
        return False
    return True


def one_line_output(out: bytes) -> str:
    """A single value git printed, without its final newline (and nothing else stripped:
    a path may end in spaces or hold a newline)."""
    text = out.decode("utf-8", "surrogateescape")
    return text[:-1] if text.endswith("\n") else text


def toplevel(path: Path) -> Path | None:
    """The work tree containing `path`, or None when it is not inside one."""
    directory = path if path.is_dir() else path.parent
    try:
        out = run_git(["rev-parse", "--show-toplevel"], directory, check=False)
    except InputError:
        return None
    text = one_line_output(out)
    return Path(text) if text else None
