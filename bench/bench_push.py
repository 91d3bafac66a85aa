"""What a gate costs when it scans a change, not a repository: short ranges and pushes.

    python bench/bench_push.py --source /work/.mirror/pypa+pip/repo [--runs 5]

`--source` is a bare mirror of a public repository (the search tool's `fetch`). The
script makes, under bench/work/:

- a working clone of the default branch with 20 commits on top (real files edited, three
  of them adding keys, one of those removing it again), and times `fastaudit history
  --since HEAD~20 --no-cache` beside betterleaks on the same range (`--log-opts
  HEAD~20..HEAD`), medians of `--runs`;
- a server: a bare copy of the mirror with `fastaudit pre-receive` installed (from a
  `pip install` of this checkout into its own venv, bytecode compiled as pip does), and times
  a one-commit push (a clean commit, accepted; the server's ref is put back after each
  push so every push is the same) with the hook and without it;
- the same server with every ref that holds the default branch's last 300 commits
  removed (the rest, tags and pull-request refs included, kept), and times pushing those
  300 commits with and without the hook, beside `git log -p` of the same range alone.

Each figure is a median of wall times on this machine; the push figures include git's
own receive-pack work, which is the same with and without the hook.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, WORK, Timing, machine, run_timed, tool_version
from bench_disguise import GITLEAKS_CONFIG, peers

sys.path.insert(0, str(REPO))
from fastaudit.detect import generate_key

FASTAUDIT = [sys.executable, "-m", "fastaudit"]
IDENTITY = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com",
            "-c", "commit.gpgsign=false"]  # fmt: skip


def git(repo: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=check
    )
    return done.stdout


def fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def ranged_clone(source: Path, name: str) -> Path:
    """The default branch and 20 commits on top: edits of real files, 3 keys."""
    work = fresh(WORK / f"push-{name}-range")
    subprocess.run(["git", "clone", "-q", "--no-local", str(source), str(work)], check=True)
    files = [f for f in git(work, "ls-files", "*.py").split() if (work / f).stat().st_size > 2000]
    for index in range(20):
        # Commit 12 edits the file commit 11 put a key in, and takes the key out again.
        target = work / files[(11 if index == 12 else index) * 7 % len(files)]
        text = target.read_text(encoding="utf-8", errors="replace")
        if index in (4, 11, 17):
            text += f"\nFAST_API_KEY = '{generate_key()}'\n"
        elif index == 12:
            text = text.replace("FAST_API_KEY = 'fast_prod_", "FAST_API_KEY = os.environ['x_")
        else:
            text += f"\n# change {index}\n"
        target.write_text(text, encoding="utf-8")
        git(work, *IDENTITY, "commit", "-q", "-am", f"change {index}")
    return work


def range_figures(work: Path, runs: int, peers_venv: Path) -> list[tuple[str, Timing]]:
    rows = [
        (
            "fastaudit history --since HEAD~20 --no-cache",
            run_timed("fastaudit", [*FASTAUDIT, "history", str(work), "--since", "HEAD~20",
                                    "--no-cache", "--format", "json"], runs=runs),
        )
    ]  # fmt: skip
    config = WORK / "push-gitleaks.toml"
    config.write_text(GITLEAKS_CONFIG)
    better = peers(peers_venv).get("betterleaks")
    if better is not None:
        argv = [str(better), "git", str(work), "--config", str(config), "--no-banner",
                "--exit-code", "0", "--log-opts=HEAD~20..HEAD", "-l", "error",
                "-o", str(WORK / "push-betterleaks.json")]  # fmt: skip
        rows.append(("betterleaks git --log-opts HEAD~20..HEAD", run_timed("bl", argv, runs=runs)))
    return rows


def release_install() -> Path:
    """fastaudit as a server gets it: `pip install` (not editable) into its own venv,
    which compiles the bytecode at install time, as pip does by default."""
    venv = WORK / "release-venv"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--force-reinstall", "--no-deps",
                    str(REPO)], check=True)  # fmt: skip
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(REPO)], check=True)
    return venv / "bin" / "fastaudit"


def server_copy(source: Path, name: str, hook: Path | None) -> Path:
    bare = fresh(WORK / f"push-{name}-{'hook' if hook else 'plain'}.git")
    # A local clone: hard links, no walk of the objects (some mirrors miss a few blobs).
    subprocess.run(["git", "clone", "-q", "--mirror", str(source), str(bare)],
                   check=True)  # fmt: skip
    if hook is not None:
        subprocess.run([str(hook), "pre-receive", "--install", str(bare)], check=True,
                       capture_output=True)  # fmt: skip
    return bare


def push_timing(label: str, work: Path, bare: Path, branch: str, old: str, runs: int) -> Timing:
    """Push HEAD to `branch`, then put the server's ref back, `runs` times."""

    def reset() -> None:
        git(bare, "update-ref", f"refs/heads/{branch}", old)

    reset()
    timing = run_timed(
        label,
        ["git", "-C", str(work), "push", "-q", bare.as_uri(), f"HEAD:refs/heads/{branch}"],
        runs=1,
    )
    for _ in range(runs - 1):
        reset()
        again = ["git", "-C", str(work), "push", "-q", bare.as_uri(), f"HEAD:refs/heads/{branch}"]
        timing.seconds += run_timed(label, again, runs=1).seconds
    assert timing.returncode == 0, f"{label}: push failed"
    reset()
    return timing


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peers-venv", type=Path, default=WORK / "peers")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    name = args.source.parent.name if args.source.name == "repo" else args.source.stem
    branch = git(args.source, "symbolic-ref", "--short", "HEAD").strip() or "main"

    work = ranged_clone(args.source, name)
    rows = range_figures(work, args.runs, args.peers_venv)

    # One clean commit on the default branch, pushed with and without the hook.
    one = fresh(WORK / f"push-{name}-one")
    subprocess.run(["git", "clone", "-q", "--no-local", str(args.source), str(one)], check=True)
    old = git(one, "rev-parse", "HEAD").strip()
    (one / "PUSHED.txt").write_text("a clean change\n")
    git(one, "add", "PUSHED.txt")
    git(one, *IDENTITY, "commit", "-q", "-m", "one clean commit")
    installed = release_install()
    with_hook = server_copy(args.source, name, installed)
    without = server_copy(args.source, name, None)
    plain = push_timing("plain", one, without, branch, old, args.runs)
    hooked = push_timing("hook", one, with_hook, branch, old, args.runs)
    rows.append(("one-commit push, no hook", plain))
    rows.append(("one-commit push, fastaudit pre-receive", hooked))

    # 300 commits of the real history, pushed to servers that lack them.
    tip = git(args.source, "rev-parse", "HEAD").strip()
    base = git(args.source, "rev-parse", f"{tip}~300").strip()
    holds = git(args.source, "rev-parse", f"{base}^{{commit}}").strip()
    for bare in (with_hook, without):
        for ref in git(bare, "for-each-ref", "--format=%(refname)", "--contains", holds).split():
            if ref != f"refs/heads/{branch}":
                git(bare, "update-ref", "-d", ref)
    latest = _worktree(args.source, name, tip)
    rows.append(("300-commit push, no hook",
                 push_timing("plain300", latest, without, branch, base, args.runs)))  # fmt: skip
    rows.append(("300-commit push, fastaudit pre-receive",
                 push_timing("hook300", latest, with_hook, branch, base, args.runs)))  # fmt: skip
    rows.append(("git log -p of the same 300 commits",
                 run_timed("log", ["git", "-C", str(args.source), "log", "-p",
                                   f"{base}..{tip}"], runs=args.runs)))  # fmt: skip

    print(f"Machine: {machine()}\n")
    print(f"Repository: {name}\n")
    print("| what | median (s) | runs |\n| --- | ---: | ---: |")
    for label, timing in rows:
        print(f"| {label} | {timing.median:.3f} | {len(timing.seconds)} |")
    figures = dict(rows)
    fa = figures["fastaudit history --since HEAD~20 --no-cache"].median
    bl = figures.get("betterleaks git --log-opts HEAD~20..HEAD")
    if bl is not None:
        print(f"\n20-commit range: fastaudit {fa:.3f} s, {fa / bl.median:.2f}x betterleaks")
    extra = figures["one-commit push, fastaudit pre-receive"].median - figures[
        "one-commit push, no hook"].median  # fmt: skip
    print(f"one-commit push: the hook adds {extra:.3f} s")
    extra300 = figures["300-commit push, fastaudit pre-receive"].median - figures[
        "300-commit push, no hook"].median  # fmt: skip
    log = figures["git log -p of the same 300 commits"].median
    print(f"300-commit push: the hook adds {extra300:.3f} s; git log -p alone takes {log:.3f} s")
    versions = {"fastaudit": tool_version([*FASTAUDIT, "--version"])}
    print("\nVersions: " + "; ".join(f"{k} {v}" for k, v in versions.items()))
    return 0


_WORKTREES: dict[str, Path] = {}


def _worktree(source: Path, name: str, tip: str) -> Path:
    """A clone whose HEAD is the default branch's tip (to push the last 300 commits)."""
    if name not in _WORKTREES:
        work = fresh(WORK / f"push-{name}-300")
        subprocess.run(["git", "clone", "-q", "--no-local", str(source), str(work)], check=True)
        git(work, "checkout", "-q", tip)
        _WORKTREES[name] = work
    return _WORKTREES[name]


if __name__ == "__main__":
    raise SystemExit(main())
