"""Command line: declare the options, call the command (`fastaudit.commands`), print or
write what it returns, and exit with its code. Nothing else lives here.

Exit codes (decided by `fastaudit.commands`): 0 nothing at or above --fail-on; 1 findings;
2 usage, configuration or input error (one line on stderr), or something not read or
opened; 3 internal error. Heavy modules are imported inside commands so the pre-commit
hook starts fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fastaudit import __version__
from fastaudit.console import say
from fastaudit.words import plural

if TYPE_CHECKING:
    from fastaudit.report import Report

F = TypeVar("F", bound=Callable[..., Any])

SEVERITIES = ["info", "low", "medium", "high", "critical"]
OUTPUT_FORMATS = ["text", "json", "sarif", "html", "junit", "gitlab"]


def _stack(func: F, options: Sequence[Callable[[Any], Any]]) -> F:
    """Apply click options so they show in `--help` in the order listed."""
    for option in reversed(options):
        func = option(func)
    return func


# Where any report goes instead of stdout: the same option on every reporting command.
_OUTPUT = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write it here (atomically) instead of stdout.",
)


def _common_options(func: F) -> F:
    options = [
        click.option(
            "--format",
            "output_format",
            type=click.Choice(OUTPUT_FORMATS),
            default="text",
            show_default=True,
            help="Report format.",
        ),
        _OUTPUT,
        click.option(
            "--baseline",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Only findings this baseline does not accept count (fastaudit's, "
            "detect-secrets', or a gitleaks JSON report).",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(SEVERITIES),
            help="Exit 1 when a finding is at or above this severity [default: low].",
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            help="Settings file (default: [tool.fastaudit] in pyproject.toml, else "
            ".fastaudit.toml).",
        ),
    ]
    return _stack(func, options)


def _db_option(func: F) -> F:
    return click.option(
        "--db",
        "db_url",
        is_flag=False,
        flag_value="default",
        metavar="URL",
        help="Keep this run in the audit store: a SQLAlchemy URL (sqlite:///F, "
        "postgresql+psycopg://…) or a file path; --db alone is the default SQLite store "
        "in the user data dir.",
    )(func)


def _verify_options(func: F) -> F:
    options = [
        click.option(
            "--verify",
            is_flag=True,
            help="Ask Tools.FAST whether each unique leaked key is live (sends the keys over "
            "HTTPS to FASTAUDIT_API_BASE, default https://api.tools.fast).",
        ),
        click.option(
            "--verify-limit",
            type=click.IntRange(min=0),
            help="Send at most this many keys per run [default: verify_limit, 100].",
        ),
    ]
    return _stack(func, options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fastaudit")
def cli() -> None:
    """Keep Tools.FAST API keys out of source code and keep existing keys healthy."""


def _unopened_option(func: F) -> F:
    return click.option(
        "--fail-on-unopened/--no-fail-on-unopened",
        "fail_on_unopened",
        default=None,
        help="Exit 2 when content could not be opened (a limit, a corrupt or encrypted "
        "container) and no finding already fails [default: fail_on_unopened, true].",
    )(func)


def _emit(report: Report, output_format: str, output: Path | None) -> None:
    from fastaudit.output import write_output
    from fastaudit.report import render

    write_output(output, lambda stream: render(output_format, report, stream))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--all-files", is_flag=True, help="Scan ignored files too, not only what git would commit."
)
@click.option(
    "--staged", is_flag=True, help="Scan the staged content (the index) instead of files."
)
@_verify_options
@click.option("--no-cache", is_flag=True, help="Do not use cached verification results.")
@_unopened_option
@_common_options
def scan(
    paths: tuple[Path, ...],
    all_files: bool,
    staged: bool,
    verify: bool,
    verify_limit: int | None,
    no_cache: bool,
    fail_on_unopened: bool | None,
    output_format: str,
    output: Path | None,
    baseline: Path | None,
    fail_on: str | None,
    config_path: Path | None,
) -> int:
    """Scan files and directories for Tools.FAST keys and http:// Tools.FAST URLs.

    In a git work tree: tracked files plus untracked files that are not ignored.
    `scan -` scans standard input (reported as `-`).
    """
    import sys

    from fastaudit.commands.scan import ScanRequest
    from fastaudit.commands.scan import scan as run

    done = run(
        ScanRequest(
            paths=paths,
            all_files=all_files,
            staged=staged,
            verify=verify,
            verify_limit=verify_limit,
            use_cache=not no_cache,
            baseline=baseline,
            fail_on=fail_on,
            fail_on_unopened=fail_on_unopened,
            config=config_path,
            stdin=sys.stdin.buffer if paths == (Path("-"),) else None,
        )
    )
    _emit(done.report, output_format, output)
    return done.code


@cli.command()
@click.argument(
    "repo", required=False, type=click.Path(file_okay=False, path_type=Path), default="."
)
@click.option(
    "--all-objects",
    is_flag=True,
    help="Also scan objects no ref reaches (deleted branches, amended commits) until gc.",
)
@click.option("--since", metavar="REV", help="Only what is not reachable from REV (e.g. main).")
@click.option(
    "--branch",
    metavar="NAME",
    help="Only what this ref reaches [default: every ref; HEAD when --since is given].",
)
@click.option(
    "--no-cache", is_flag=True, help="Ignore caches: read every object, re-verify every key."
)
@_verify_options
@_db_option
@_unopened_option
@_common_options
def history(
    repo: Path,
    all_objects: bool,
    since: str | None,
    branch: str | None,
    no_cache: bool,
    verify: bool,
    verify_limit: int | None,
    db_url: str | None,
    fail_on_unopened: bool | None,
    output_format: str,
    output: Path | None,
    baseline: Path | None,
    fail_on: str | None,
    config_path: Path | None,
) -> int:
    """Every Tools.FAST key ever committed: all refs, every unique blob, read once."""
    from fastaudit.commands.history import HistoryRequest
    from fastaudit.commands.history import history as run

    done = run(
        HistoryRequest(
            repo=repo,
            all_objects=all_objects,
            since=since,
            branch=branch,
            use_cache=not no_cache,
            verify=verify,
            verify_limit=verify_limit,
            db_url=db_url,
            baseline=baseline,
            fail_on=fail_on,
            fail_on_unopened=fail_on_unopened,
            config=config_path,
        )
    )
    _emit(done.report, output_format, output)
    return done.code


def _inventory_options(func: F) -> F:
    options = [
        click.option(
            "--inventory",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Key inventory (JSON or CSV; schema: schemas/inventory.schema.json).",
        ),
        click.option(
            "--inventory-url",
            metavar="URL",
            help="Fetch the JSON inventory over HTTPS (key from FAST_API_KEY, if set).",
        ),
        click.option(
            "--departures",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Team members who left (CSV name,left_at or JSON), for FAST112.",
        ),
        click.option(
            "--as-of",
            metavar="DATE",
            help="Judge ages as of this date (ISO 8601) [default: now, UTC].",
        ),
    ]
    return _stack(func, options)


@cli.command()
@_inventory_options
@click.option(
    "--findings",
    "findings_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON report(s) of scan/history: leaked keys to match against the inventory.",
)
@_db_option
@_common_options
def check(
    inventory: Path | None,
    inventory_url: str | None,
    departures: Path | None,
    as_of: str | None,
    findings_files: tuple[Path, ...],
    db_url: str | None,
    output_format: str,
    output: Path | None,
    baseline: Path | None,
    fail_on: str | None,
    config_path: Path | None,
) -> int:
    """Hygiene rules over the key inventory (the vendor's best-practice list)."""
    from fastaudit.commands.check import CheckRequest
    from fastaudit.commands.check import check as run

    done = run(
        CheckRequest(
            inventory=inventory,
            inventory_url=inventory_url,
            departures=departures,
            as_of=as_of,
            findings_files=findings_files,
            db_url=db_url,
            baseline=baseline,
            fail_on=fail_on,
            config=config_path,
        )
    )
    _emit(done.report, output_format, output)
    return done.code


def _write_reports(report: Report, targets: dict[str, Path | None]) -> None:
    from fastaudit.audit import write_reports

    write_reports(report, targets)


_REPORT_FILES = (
    ("html", "Write the HTML report here."),
    ("json", "Write the JSON report here."),
    ("sarif", "Write SARIF 2.1.0 here."),
    ("junit", "Write JUnit XML here (one suite per rule, one case per key)."),
    ("gitlab", "Write GitLab's secret-detection report here (gl-secret-detection-report.json)."),
)


def _report_files(func: F) -> F:
    for name, help_text in reversed(_REPORT_FILES):
        func = click.option(
            f"--{name}",
            f"{name}_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help=help_text,
        )(func)
    return func


@cli.command()
@click.argument("repos", nargs=-1)
@click.option(
    "--repos-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A file listing repositories, one per line: local paths or clone URLs "
    "(https://, ssh://, git@host:org/repo.git, file://).",
)
@_inventory_options
@_report_files
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Last run's JSON report: mark findings new, still open or fixed.",
)
@click.option("--all-objects", is_flag=True, help="Include objects no ref reaches.")
@click.option("--no-cache", is_flag=True, help="Ignore the history and verification caches.")
@_verify_options
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where repositories are audited: threads here, or a Dask cluster.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Dask scheduler (tcp://HOST:8786) for --executor dask [default: a local cluster].",
)
@click.option(
    "--mirror-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where clone URLs are kept as bare mirrors [default: the user cache dir].",
)
@click.option(
    "--repo-timeout",
    type=click.FloatRange(min=1),
    help="Give up on a repository after this many seconds (it is reported as failed).",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(min=1, max=20),
    default=3,
    show_default=True,
    help="Dask: workers a repository may take down before it is marked failed.",
)
@click.option(
    "--repo-settings",
    is_flag=True,
    help="Let each local repository's own [tool.fastaudit] / .fastaudit.toml govern its own "
    "audit (never another's) [default: the auditor's settings govern every repository].",
)
@click.option(
    "--resume",
    "resume_id",
    metavar="RUN_ID",
    help="Continue an interrupted run: repositories already done are not audited again.",
)
@_db_option
@_unopened_option
@_common_options
def audit(
    repos: tuple[str, ...],
    repos_file: Path | None,
    inventory: Path | None,
    inventory_url: str | None,
    departures: Path | None,
    as_of: str | None,
    html_path: Path | None,
    json_path: Path | None,
    sarif_path: Path | None,
    junit_path: Path | None,
    gitlab_path: Path | None,
    previous: Path | None,
    all_objects: bool,
    no_cache: bool,
    verify: bool,
    verify_limit: int | None,
    executor: str,
    scheduler: str | None,
    mirror_dir: Path | None,
    repo_timeout: float | None,
    max_attempts: int,
    repo_settings: bool,
    resume_id: str | None,
    db_url: str | None,
    fail_on_unopened: bool | None,
    output_format: str,
    output: Path | None,
    baseline: Path | None,
    fail_on: str | None,
    config_path: Path | None,
) -> int:
    """Scan + history of each repository + inventory checks (+ --verify), one report.

    Repositories are local paths or clone URLs (kept as bare mirrors, fetched on later
    runs). Every finished repository is journaled: a killed run continues with --resume.
    """
    from fastaudit.commands.audit import AuditRequest
    from fastaudit.commands.audit import audit as run

    done = run(
        AuditRequest(
            repos=repos,
            repos_file=repos_file,
            inventory=inventory,
            inventory_url=inventory_url,
            departures=departures,
            as_of=as_of,
            previous=previous,
            all_objects=all_objects,
            use_cache=not no_cache,
            verify=verify,
            verify_limit=verify_limit,
            executor=executor,
            scheduler=scheduler,
            mirror_dir=mirror_dir,
            repo_timeout=repo_timeout,
            max_attempts=max_attempts,
            repo_settings=repo_settings,
            resume_id=resume_id,
            db_url=db_url,
            baseline=baseline,
            fail_on=fail_on,
            fail_on_unopened=fail_on_unopened,
            config=config_path,
        )
    )
    _write_reports(
        done.report,
        {
            "html": html_path,
            "json": json_path,
            "sarif": sarif_path,
            "junit": junit_path,
            "gitlab": gitlab_path,
        },
    )
    _emit(done.report, output_format, output)
    return done.code


@cli.command("report")
@click.argument("findings_json", type=click.Path(dir_okay=False, path_type=Path))
@_report_files
@click.option(
    "--format",
    "output_format",
    type=click.Choice(OUTPUT_FORMATS),
    default="text",
    show_default=True,
    help="Report format (printed, or written to --output).",
)
@_OUTPUT
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Leave out the findings this baseline accepts (fastaudit, detect-secrets or a "
    "gitleaks JSON report).",
)
def report_command(
    findings_json: Path,
    html_path: Path | None,
    json_path: Path | None,
    sarif_path: Path | None,
    junit_path: Path | None,
    gitlab_path: Path | None,
    output_format: str,
    output: Path | None,
    baseline: Path | None,
) -> int:
    """Re-render a saved JSON report as HTML, SARIF, JUnit, GitLab's format or text."""
    from fastaudit import saved
    from fastaudit.commands import apply_baseline

    report = saved.load_report(findings_json)
    if baseline is not None:
        report.findings = apply_baseline(list(report.findings), baseline, report.stats)
    targets = {
        "html": html_path,
        "json": json_path,
        "sarif": sarif_path,
        "junit": junit_path,
        "gitlab": gitlab_path,
    }
    _write_reports(report, targets)
    if output is not None or not any(targets.values()):
        _emit(report, output_format, output)
    return 0


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Accept the findings in this baseline (never rewritten by the hook).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Settings file.",
)
def hook(files: tuple[Path, ...], baseline: Path | None, config_path: Path | None) -> int:
    """Pre-commit entry point: scan the staged files named (or the whole index).

    Never modifies any file, the baseline included.
    """
    from fastaudit.commands.scan import hook as run

    done = run(files, baseline, config_path)
    if done.report.findings or done.report.warnings:
        _emit(done.report, "text", None)
    if done.code == 2:
        click.echo(
            "fastaudit: commit blocked: content above could not be opened and may hide a key; "
            "set fail_on_unopened = false to let such commits through.",
            err=True,
        )
    elif done.code:
        click.echo(
            "fastaudit: commit blocked: remove the keys above from the staged files (and "
            "rotate any real one), or accept a false alarm as shown under 'How to fix'.",
            err=True,
        )
    return done.code


@cli.command("pre-receive")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The server's settings file (never the pushed content's) [default: the defaults].",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Accept the findings in this baseline (a file on the server).",
)
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Refuse at or above this.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds the check may take (GitHub Enterprise Server kills hooks after 5).",
)
@click.option(
    "--on-timeout",
    type=click.Choice(["reject", "accept"]),
    default="reject",
    show_default=True,
    help="What a push gets when the time runs out (never a silent pass: it is said).",
)
@click.option("--no-bypass", is_flag=True, help="Refuse the push option fastaudit.allow=<reason>.")
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append each bypass as a JSON line here.",
)
@click.option(
    "--db",
    "db_url",
    is_flag=False,
    flag_value="default",
    metavar="URL",
    help="Also record each bypass as a run in this audit store (a SQLAlchemy URL or a "
    "file path; --db alone: the default store).",
)
@click.option(
    "--install",
    "install_repo",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Write hooks/pre-receive into this bare repository (with these options) and exit.",
)
@click.option("--force", is_flag=True, help="With --install: replace an existing hook.")
def pre_receive_command(
    config_path: Path | None,
    baseline: Path | None,
    fail_on: str | None,
    timeout: float,
    on_timeout: str,
    no_bypass: bool,
    log_path: Path | None,
    db_url: str | None,
    install_repo: Path | None,
    force: bool,
) -> int:
    """Push protection: git's pre-receive hook; refuses pushes that add keys."""
    import os
    import sys

    from fastaudit.commands import prereceive

    if install_repo is not None:
        options = [f"--timeout={timeout:g}", f"--on-timeout={on_timeout}"]
        for flag, value in (
            ("--config", config_path),
            ("--baseline", baseline),
            ("--fail-on", fail_on),
            ("--log", log_path),
            ("--db", db_url),
        ):
            if value is not None:
                resolved = Path(value).resolve() if isinstance(value, Path) else value
                options.append(f"{flag}={resolved}")
        if no_bypass:
            options.append("--no-bypass")
        hook = prereceive.install(install_repo, sys.executable, options, force=force)
        say(f"installed {hook}")
        return 0
    text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    request = prereceive.PreReceiveRequest(
        updates=prereceive.parse_updates(text),
        repo=Path(os.environ.get("GIT_DIR") or "."),
        env=dict(os.environ),
        config=config_path,
        baseline=baseline,
        fail_on=fail_on,
        allow_bypass=not no_bypass,
        log=log_path,
        db_url=db_url,
    )
    done = prereceive.run_within(request, timeout, accept_on_timeout=on_timeout == "accept")
    for line in done.lines:
        click.echo(line, err=True)
    return done.code


@cli.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--all-files", is_flag=True, help="Include ignored files.")
@click.option(
    "--history/--no-history",
    "with_history",
    default=True,
    show_default=True,
    help="In a git repository, accept what every commit of its history holds too, so "
    "`history`, `audit` and the CI gates fail only on new keys.",
)
@_OUTPUT
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Settings file.",
)
def baseline_command(
    paths: tuple[Path, ...],
    all_files: bool,
    with_history: bool,
    output: Path | None,
    config_path: Path | None,
) -> int:
    """Write a baseline of today's findings so CI fails only on new ones."""
    from fastaudit.commands.baseline import write_baseline
    from fastaudit.output import write_output

    counted: list[int] = []
    write_output(
        output,
        lambda stream: counted.append(
            write_baseline(paths, all_files, config_path, stream, with_history=with_history)
        ),
    )
    say(f"baseline holds {plural(counted[0], 'accepted finding')}")
    return 0


@cli.command("portable-ds-baseline")
@click.argument("baseline_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def portable_ds_baseline(baseline_file: Path) -> int:
    """Make a detect-secrets baseline's plugin paths repository-relative (portable)."""
    from fastaudit.commands.baseline import portable_ds_baseline as rewrite

    changed = rewrite(baseline_file)
    for path in changed:
        say(f"plugin path now {path}")
    if not changed:
        click.echo("fastaudit: no absolute plugin paths inside the repository", err=True)
    return 0


@cli.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build the example repository here and keep it (default: a temporary directory).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("fastaudit-demo-report"),
    show_default=True,
    help="Where to write report.html, report.json and the example inventory.",
)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def demo(keep: Path | None, out: Path, output_format: str) -> int:
    """Audit a throw-away repository with planted keys against the example inventory."""
    from fastaudit import demo as demos

    return demos.run(keep, output_format, out)


@cli.group("db")
def db_group() -> None:
    """The audit store: its schema revision and migrations."""


_DB_URL = click.option(
    "--db",
    "db_url",
    metavar="URL",
    default=None,
    is_flag=False,
    flag_value="default",
    help="SQLAlchemy URL or SQLite file path; --db alone, or no --db, is the default SQLite "
    "store in the user data dir.",
)


@db_group.command("upgrade")
@_DB_URL
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(db_url: str | None, revision: str) -> int:
    """Migrate the store to the newest schema (Alembic); a new store is created."""
    from fastaudit import store
    from fastaudit.store.db import upgrade

    url = store.normalise_url(db_url)
    before, after = upgrade(url, revision)
    shown = store.display_url(url)
    if before == after:
        say(f"{shown}: already at revision {after}")
    else:
        say(f"{shown}: upgraded from {before or 'an empty database'} to revision {after}")
    return 0


@db_group.command("current")
@_DB_URL
def db_current(db_url: str | None) -> int:
    """Print the store's schema revision and the one this fastaudit needs."""
    from fastaudit import store
    from fastaudit.store.db import head_revision, read_revision

    url = store.normalise_url(db_url)
    revision = read_revision(url)
    click.echo(
        f"{store.display_url(url)}: revision {revision or 'none'} (newest {head_revision()})"
    )
    return 0


@cli.command("trends")
@_DB_URL
@click.option(
    "--since", metavar="AGE|DATE", help="Runs from 180d, 26w or 6m before the latest, or a date."
)
@click.option("--repo", "repo_name", metavar="NAME", help="Only findings in this repository.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the trends page here.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the trends JSON here.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Settings file (SLA days per severity, rotation limit).",
)
def trends_command(
    db_url: str | None,
    since: str | None,
    repo_name: str | None,
    html_path: Path | None,
    json_path: Path | None,
    config_path: Path | None,
) -> int:
    """Open findings, new vs fixed, time to fix, SLA and key lifecycles across stored runs."""
    import functools

    from fastaudit.commands.trends import trends
    from fastaudit.output import write_output
    from fastaudit.report.html import render_trends
    from fastaudit.report.json_report import render_trends as trends_json
    from fastaudit.sanitize import clean_text
    from fastaudit.store.trends import summary_text

    done = trends(db_url, since, repo_name, config_path)
    if json_path is not None:
        write_output(json_path, functools.partial(trends_json, done.document))
        say(f"wrote trends JSON to {json_path}")
    if html_path is not None:
        write_output(html_path, lambda stream: render_trends(done.document, stream, done.store))
        say(f"wrote trends page to {html_path}")
    # Cleaned line by line: human text escapes a line break, and these are lines.
    for line in summary_text(done.document, done.store).splitlines():
        click.echo(clean_text(line, human=True))
    return 0


@cli.group("ci")
def ci_group() -> None:
    """The CI gate, as the GitHub Action and the GitLab CI template run it."""


def _gate_options(func: F) -> F:
    options = [
        click.option(
            "--mode",
            type=click.Choice(["diff", "history", "audit"]),
            default="diff",
            show_default=True,
            help="diff: what the pull request, merge request or push adds; history: every "
            "commit; audit: working tree, history and checks.",
        ),
        click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True),
        click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path)),
        click.option("--verify", is_flag=True, help="Ask Tools.FAST whether found keys are live."),
    ]
    return _stack(func, options)


def _gate(
    mode: str, fail_on: str, baseline: Path | None, config_path: Path | None, verify: bool
) -> Any:
    from fastaudit.ci.gate import GateOptions

    return GateOptions(
        mode=mode, fail_on=fail_on, baseline=baseline, config=config_path, verify=verify
    )


@ci_group.command("github")
@_gate_options
@click.option(
    "--sarif",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("fastaudit.sarif"),
    show_default=True,
    help="SARIF for github/codeql-action/upload-sarif (relative to the workspace).",
)
@click.option("--no-sarif", is_flag=True, help="Write no SARIF file.")
def ci_github(
    mode: str,
    fail_on: str,
    baseline: Path | None,
    config_path: Path | None,
    verify: bool,
    sarif: Path,
    no_sarif: bool,
) -> int:
    """Scan what a GitHub event adds: annotations, job summary, SARIF, step outputs."""
    import os

    from fastaudit.ci import github

    options = _gate(mode, fail_on, baseline, config_path, verify)
    return github.run(os.environ, options, None if no_sarif else sarif)


@ci_group.command("gitlab")
@_gate_options
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("gl-secret-detection-report.json"),
    show_default=True,
    help="GitLab's secret-detection report (relative to the project dir).",
)
def ci_gitlab(
    mode: str,
    fail_on: str,
    baseline: Path | None,
    config_path: Path | None,
    verify: bool,
    report_path: Path,
) -> int:
    """Scan what a GitLab pipeline asks for and write its secret-detection report."""
    import os

    from fastaudit.ci import gitlab

    options = _gate(mode, fail_on, baseline, config_path, verify)
    return gitlab.run(os.environ, options, report_path)


def main(argv: list[str] | None = None) -> int:
    """Entry point: every failure becomes a one-line message and its exit code."""
    from fastaudit.errors import FastauditError

    try:
        result = cli.main(args=argv, prog_name="fastaudit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("fastaudit: aborted", err=True)
        return 130
    except click.ClickException as exc:
        say(f"error: {exc.format_message()}")
        return 2
    except FastauditError as exc:
        say(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("fastaudit: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else ""
        say(
            f"internal error: {type(exc).__name__}: {message} "
            "(please report this; run with FASTAUDIT_DEBUG=1 for details)"
        )
        import os

        if os.environ.get("FASTAUDIT_DEBUG"):
            raise
        return 3
    return result if isinstance(result, int) else 0
