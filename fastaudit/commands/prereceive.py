"""`pre-receive`: push protection on the server. git runs the hook with one `<old> <new>
<ref>` line per updated ref on stdin, the pushed objects in a quarantine directory
(named in the environment, which git processes inherit) and the push options in
`GIT_PUSH_OPTION_*`. Exit 0 accepts the whole push; anything else refuses it.

Only what the push adds is scanned, through the one history pipeline: every object the
new tips reach and no existing ref does (every new commit, not just the tips; blobs,
commit and tag messages; every form the working tree scan finds). Settings come from the
server (options, a config file it names), never from the pushed content.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.commands import apply_baseline, incomplete, keep_run, store_first, threshold
from fastaudit.errors import FastauditError, InputError
from fastaudit.words import plural

if TYPE_CHECKING:
    from fastaudit.config import Config
    from fastaudit.findings import Finding
    from fastaudit.report import Report

_OID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
BYPASS_OPTION = "fastaudit.allow"
# Where the hosting software names the person pushing, most specific first.
_PUSHER_VARIABLES = (
    "GL_USERNAME",  # GitLab server hooks
    "GITEA_PUSHER_NAME",  # Gitea and Forgejo
    "GITHUB_USER_LOGIN",  # GitHub Enterprise Server pre-receive hooks
    "REMOTE_USER",  # git-http-backend behind a web server
    "USER",  # plain git over SSH: the account
)
ON_TIMEOUT = ("reject", "accept")


@dataclass(frozen=True)
class RefUpdate:
    """One line of the hook's input."""

    old: str
    new: str
    ref: str

    @property
    def deletes(self) -> bool:
        return not self.new.strip("0")

    @property
    def creates(self) -> bool:
        return not self.old.strip("0")


def parse_updates(text: str) -> list[RefUpdate]:
    """The hook's stdin; InputError (one line) on anything git would not send."""
    updates = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(" ", 2)
        if len(parts) != 3 or not all(_OID.fullmatch(p) for p in parts[:2]) or not parts[2]:
            raise InputError(f"pre-receive input line {number} is not '<old> <new> <ref>'")
        updates.append(RefUpdate(*parts))
    return updates


def push_options(env: Mapping[str, str]) -> list[str]:
    """The push options (`git push -o`), from git's `GIT_PUSH_OPTION_*` variables."""
    try:
        count = int(env.get("GIT_PUSH_OPTION_COUNT", "0"))
    except ValueError:
        return []
    return [env.get(f"GIT_PUSH_OPTION_{i}", "") for i in range(min(count, 1000))]


def pusher(env: Mapping[str, str]) -> str | None:
    """Who is pushing, as git or the hosting software says (never trusted for access:
    recorded with a bypass)."""
    for name in _PUSHER_VARIABLES:
        if env.get(name):
            return env[name]
    return None


@dataclass(frozen=True)
class PreReceiveRequest:
    """What the hook was asked: the ref updates and the server's own settings."""

    updates: Sequence[RefUpdate]
    repo: Path = Path(".")
    env: Mapping[str, str] = field(default_factory=dict)
    config: Path | None = None
    baseline: Path | None = None
    fail_on: str | None = None
    allow_bypass: bool = True
    log: Path | None = None
    db_url: str | None = None


@dataclass
class PushOutcome:
    """The verdict and the lines the pusher sees (git shows them as `remote:`)."""

    code: int
    lines: list[str]
    report: Report | None = None
    bypass: dict[str, Any] | None = None


def server_config(request: PreReceiveRequest) -> Config:
    """The server's settings only: the file its hook names, else the defaults. Never a
    settings file found in the repository (a pushed pyproject.toml never reaches this)."""
    from fastaudit import config as settings

    return settings.load(request.config, None) if request.config else settings.Config()


def pre_receive(request: PreReceiveRequest) -> PushOutcome:
    """Scan what the push adds; refuse it on findings (unless bypassed), on anything that
    could not be read, and say why, what to do and how to bypass."""
    from fastaudit import history as histories
    from fastaudit.report import Report

    cfg = server_config(request)
    tips = tuple((u.ref, u.new) for u in request.updates if not u.deletes)
    if not tips:
        return PushOutcome(0, [])
    result = histories.scan_history(
        request.repo,
        cfg.key_spec,
        histories.HistoryOptions(pushed=tips, use_cache=False),
    )
    pushed = [f.with_changes(source="push") for f in result.findings]
    findings = apply_baseline(pushed, request.baseline, result.stats, cfg)
    report = Report(
        command="pre-receive",
        findings=findings,
        root=str(request.repo),
        stats=result.stats,
        warnings=result.warnings,
        parameters={"refs": [u.ref for u in request.updates]},
    )
    failing = [f for f in findings if f.severity >= threshold(request.fail_on, cfg)]
    unseen = incomplete(report, cfg)
    if not failing and not unseen:
        return PushOutcome(0, [], report)
    lines = _explain(failing, report.warnings if unseen else [])
    reason = _bypass_reason(request)
    if reason is None:
        lines += _bypass_help(request.allow_bypass)
        return PushOutcome(1 if failing else 2, _escaped(lines, cfg), report)
    record = _record_bypass(request, report, failing, reason, cfg)
    lines = [f"fastaudit: push accepted with findings: bypassed by {BYPASS_OPTION}: {reason}"]
    return PushOutcome(0, _escaped(lines, cfg), report, record)


def run_within(
    request: PreReceiveRequest, seconds: float, *, accept_on_timeout: bool = False
) -> PushOutcome:
    """`pre_receive` within a time budget. At the deadline every git process is killed
    and the verdict is the server's choice (refuse by default) or the pusher's recorded
    bypass, said in so many words; a watchdog ends the process a moment later if Python
    work is still running, so the hook never outlives its budget by more than that."""
    import sys
    import threading

    from fastaudit.sources.gitproc import Deadline

    def give_up() -> None:
        late = timed_out(request, seconds, accept_on_timeout)
        for line in late.lines:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        os._exit(late.code)

    watchdog = threading.Timer(seconds + 0.5, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        with Deadline(seconds) as deadline:
            try:
                return pre_receive(request)
            except FastauditError:
                if not deadline.expired:
                    raise
        return timed_out(request, seconds, accept_on_timeout)
    finally:
        watchdog.cancel()


def timed_out(request: PreReceiveRequest, seconds: float, accept: bool) -> PushOutcome:
    """The outcome when the budget ran out: the server's choice, unless the pusher asked
    to bypass (then accepted, and recorded as a bypass of a check that did not finish)."""
    lines = timed_out_lines(seconds, accept, request.allow_bypass)
    reason = _bypass_reason(request)
    if reason is not None and not accept:
        cfg = server_config(request)
        record = _record_bypass(request, None, [], reason, cfg)
        said = (
            f"fastaudit: the check did not finish within {seconds:g} s; push accepted: "
            f"bypassed by {BYPASS_OPTION}: {reason}"
        )
        return PushOutcome(0, _escaped([said], cfg), None, record)
    return PushOutcome(0 if accept else 1, lines)


def _escaped(lines: Sequence[str], cfg: Config) -> list[str]:
    """Every line as it may reach a terminal: file names, messages and ref names come
    from the push, so control characters are escaped and key-shaped runs redacted."""
    from fastaudit.sanitize import clean_text

    prefixes = cfg.key_spec.prefixes
    return [clean_text(line, human=True, prefixes=prefixes) for line in lines]


def timed_out_lines(seconds: float, accept: bool, bypass_allowed: bool = True) -> list[str]:
    """What the pusher reads when the time budget ran out."""
    verdict = "accepted without a complete check" if accept else "refused"
    lines = [
        f"fastaudit: the check did not finish within {seconds:g} s, so the push is {verdict} "
        f"(the server's --on-timeout {'accept' if accept else 'reject'})."
    ]
    if not accept and bypass_allowed:
        lines.append(
            f'To push anyway: git push -o {BYPASS_OPTION}="<reason>" (recorded), or ask the '
            "server's administrator to raise --timeout."
        )
    elif not accept:
        lines.append("Ask the server's administrator to raise --timeout.")
    return lines


def _bypass_reason(request: PreReceiveRequest) -> str | None:
    if not request.allow_bypass:
        return None
    for option in push_options(request.env):
        name, _sep, value = option.partition("=")
        if name == BYPASS_OPTION:
            return value.strip().strip('"') or "(no reason given)"
    return None


def _bypass_help(allowed: bool) -> list[str]:
    if not allowed:
        return ["fastaudit: this server does not allow bypassing the check."]
    return [
        "If this is a false alarm, or the key is already rotated and you must push now:",
        f'  git push -o {BYPASS_OPTION}="<reason>" (the bypass, your reason and the '
        "redacted keys are recorded)",
    ]


def _explain(failing: Sequence[Finding], warnings: Sequence[str]) -> list[str]:
    """For each key: commit, file and line, the masked line; then how to rewrite the
    commits and rotate the key. Every string from the push is escaped by the caller."""
    from fastaudit.findings import ROTATION_STEPS

    lines: list[str] = []
    if failing:
        keys = len({f.secret_sha256 or f.message for f in failing})
        lines.append(
            f"fastaudit: push refused: {plural(keys, 'Tools.FAST API key')} in the pushed commits"
        )
    for finding in failing:
        where = finding.path or "-"
        if finding.line:
            where += f":{finding.line}"
        commit = (finding.commit or "")[:12]
        subject = finding.redacted or finding.message or finding.title
        lines.append(f"  {subject}  {where}" + (f"  (commit {commit})" if commit else ""))
        if finding.snippet:
            lines.append(f"      {finding.snippet}")
    for warning in warnings:
        lines.append(f"fastaudit: push refused: not everything could be checked: {warning}")
    dated = {f.commit: f.date or "" for f in failing if f.commit}
    if dated:
        oldest = min(dated, key=lambda c: (dated[c], c))[:12]
        marked = ", ".join(c[:12] for c in sorted(dated, key=lambda c: (dated[c], c)))
        lines.append("Remove the key from every commit that holds it, then push again:")
        lines.append(
            f"  git rebase -i {oldest}~1   (mark {marked} as 'edit'; at each stop remove the "
            "key, git commit --amend, git rebase --continue; for a repository's first "
            "commit: git rebase -i --root)"
        )
        lines.append("  or, when the key is only in your last commit: git commit --amend")
        lines.append("Treat the key as exposed and rotate it:")
        lines += [f"  {n}. {step}" for n, step in enumerate(ROTATION_STEPS, 1)]
    return lines


def _record_bypass(
    request: PreReceiveRequest,
    report: Report | None,
    failing: Sequence[Finding],
    reason: str,
    cfg: Config,
) -> dict[str, Any]:
    """One JSON line (and a store run with `--db`): when, which refs and commits, who,
    why, and the redacted keys; never a key."""
    from fastaudit.sanitize import for_disk

    record = for_disk(
        {
            "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "event": "bypass" if report is not None else "bypass-unchecked",
            "reason": reason,
            "pusher": pusher(request.env),
            "refs": [
                {"ref": u.ref, "old": u.old, "new": u.new} for u in request.updates if not u.deletes
            ],
            "commits": sorted({f.commit for f in failing if f.commit}),
            "keys": sorted({f.redacted or f.message or f.rule_id for f in failing}),
            "findings": [
                {"rule_id": f.rule_id, "path": f.path, "line": f.line, "commit": f.commit}
                for f in failing
            ],
        }
    )
    if request.log is not None:
        try:
            with request.log.open("a", encoding="utf-8") as log:
                log.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        except OSError as exc:
            raise InputError(f"cannot write the bypass log {request.log}: {exc.strerror}") from None
    if request.db_url is not None and report is not None:
        db_url, failed = store_first(request.db_url)
        report.parameters["bypass"] = {k: record[k] for k in ("reason", "pusher", "commits")}
        if db_url is not None and not failed:
            keep_run(db_url, report, None, cfg)
    return record


def hook_script(python: str, options: Sequence[str]) -> str:
    """The `hooks/pre-receive` that `--install` writes: this interpreter, these options."""
    command = " ".join(
        shlex.quote(part) for part in [python, "-m", "fastaudit", "pre-receive", *options]
    )
    return (
        "#!/bin/sh\n"
        "# Push protection by fastaudit: refuses pushes that add Tools.FAST API keys.\n"
        f"exec {command}\n"
    )


def install(repo: Path, python: str, options: Sequence[str], *, force: bool = False) -> Path:
    """Write the hook into the bare repository `repo` and let pushers send the bypass
    option (`receive.advertisePushOptions`). Refuses to replace another hook."""
    from fastaudit.sources.gitproc import run_git

    try:
        out = run_git(["rev-parse", "--git-dir"], repo).decode("utf-8", "surrogateescape").strip()
    except FastauditError:
        raise InputError(f"{repo} is not a git repository") from None
    git_dir = (repo / out).resolve() if not os.path.isabs(out) else Path(out)
    hook = git_dir / "hooks" / "pre-receive"
    text = hook_script(python, options)
    if hook.exists() and not force and hook.read_text(encoding="utf-8", errors="replace") != text:
        raise InputError(f"{hook} exists and is not fastaudit's: pass --force to replace it")
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(text, encoding="utf-8")
    hook.chmod(0o755)
    run_git(["config", "receive.advertisePushOptions", "true"], git_dir)
    return hook
