"""History scan benchmark: fastaudit history vs git's own floor and the native peers.

    python bench/bench_history.py                      # generate a 20,000-commit repository
    python bench/bench_history.py --repo PATH          # any existing repository
    python bench/bench_history.py --peers-venv DIR     # where kingfisher-bin is installed

Times, in one run: `fastaudit history` cold (no cache) and warm (cache from the run
before), git reading every object once (`git cat-file --batch-all-objects --batch
--unordered`, the floor), that stream piped to `rg`, `git log -p --all` (what
patch-based scanners read), and Kingfisher (PyPI `kingfisher-bin`, installed into a
separate virtual environment) with a rule for the same keys. Prints a Markdown table for
bench/RESULTS.md; fastaudit's own peak RSS comes from its JSON stats (git's processes
are counted apart).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, WORK, Timing, machine, run_timed, tool_version, which

sys.path.insert(0, str(REPO))
from fastaudit.detect import generate_key

KINGFISHER_RULE = """\
rules:
  - name: Tools.FAST API Key
    id: custom.toolsfast.1
    pattern: |
      (?x)
      (?:^|[^A-Za-z0-9])
      (fast_prod_[A-Za-z0-9_-]{{20,64}})
      (?:[^A-Za-z0-9_-]|$)
    min_entropy: 2.5
    confidence: medium
    examples:
      - {example}
"""


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def generate(path: Path, commits: int, files: int, seed: int = 11) -> int:
    """A repository with a long linear history, side branches that add a key and remove
    it again (half merged back, half left as branches), written with git fast-import."""
    rng = random.Random(seed)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    words = [f"w{rng.getrandbits(40):x}" for _ in range(4000)]
    pool = [" ".join(rng.choices(words, k=rng.randint(4, 14))).encode() for _ in range(60000)]
    contents: dict[int, list[bytes]] = {}
    stream: list[bytes] = []
    ts = 1_600_000_000
    planted = 0
    side_every = max(1, commits // 12)

    marks = 0
    tips: dict[str, int] = {}

    def commit(ref: str, message: str, changes: list[bytes], parents: list[str]) -> None:
        nonlocal ts, marks
        ts += 60
        marks += 1
        if ref in tips and not parents:
            parents = [f":{tips[ref]}"]
        tips[ref] = marks
        header = b"commit %s\nmark :%d\n" % (ref.encode(), marks)
        who = b"Bench <bench@example.com> %d +0000\n" % ts
        body = header + b"author " + who + b"committer " + who + _data(message.encode())
        for index, parent in enumerate(parents):
            body += (b"from " if index == 0 else b"merge ") + parent.encode() + b"\n"
        stream.append(body + b"".join(changes) + b"\n")

    def modify(index: int) -> bytes:
        lines = contents.setdefault(index, [])
        start = rng.randrange(len(pool) - 200)
        fresh = pool[start : start + rng.randint(20, 200)]
        cut = rng.randint(0, len(lines))
        lines[cut:cut] = fresh
        del lines[: max(0, len(lines) - 400)]
        payload = b"\n".join(lines) + b"\n"
        name = f"src/pkg{index % 50}/module{index}.py".encode()
        return b"M 100644 inline " + name + b"\n" + _data(payload)

    for number in range(1, commits + 1):
        changes = [modify(rng.randrange(files)) for _ in range(rng.randint(1, 3))]
        commit("refs/heads/main", f"change {number}", changes, [])
        if number % side_every == 0:
            planted += 1
            branch = f"refs/heads/side-{planted}"
            key = generate_key(length=rng.choice([24, 32, 40]))
            tips[branch] = tips["refs/heads/main"]
            add = b"M 100644 inline config/side.env\n" + _data(f"FAST_API_KEY={key}\n".encode())
            commit(branch, "try the api", [add], [])
            commit(branch, "remove the key", [b"D config/side.env\n"], [])
            if planted % 2:
                main_tip = f":{tips['refs/heads/main']}"
                commit("refs/heads/main", f"merge {planted}", [], [main_tip, f":{tips[branch]}"])
    proc = subprocess.run(
        ["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=False
    )
    if proc.returncode:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "repack", "-a", "-d", "-q"], cwd=path, check=True)
    return planted


def _repo_stats(path: Path) -> str:
    commits = subprocess.run(
        ["git", "rev-list", "--all", "--count"],
        cwd=path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    listing = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)"],
        cwd=path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    blobs = [int(line.split()[1]) for line in listing if line.startswith("blob ")]
    pack = (
        sum(p.stat().st_size for p in (Path(path) / ".git" / "objects" / "pack").glob("*.pack"))
        if (Path(path) / ".git").is_dir()
        else 0
    )
    return (
        f"{commits} commits, {len(listing) - 1} objects, {len(blobs)} blobs, "
        f"{sum(blobs) / 2**20:.0f} MiB of blob content"
        + (f", {pack / 2**20:.0f} MiB packed" if pack else "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="benchmark this repository instead")
    parser.add_argument("--commits", type=int, default=20000)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers-venv", type=Path, default=WORK / "peers-venv")
    args = parser.parse_args()

    if args.repo:
        repo = args.repo.resolve()
        planted = None
    else:
        repo = WORK / "history-repo"
        planted = generate(repo, args.commits, args.files)
    fastaudit = which("fastaudit") or "fastaudit"
    env = dict(os.environ)
    rows: list[tuple[str, Timing, str]] = []

    floor = run_timed(
        "floor",
        ["git cat-file --batch-all-objects --batch --unordered >/dev/null"],
        cwd=repo,
        runs=args.runs,
        shell=True,
    )
    rows.append(
        ("`git cat-file --batch-all-objects --batch --unordered >/dev/null` (floor)", floor, "")
    )
    cold = run_timed(
        "cold",
        [fastaudit, "history", ".", "--no-cache", "--format", "json"],
        cwd=repo,
        runs=args.runs,
        env=env,
    )
    report = json.loads(cold.stdout)
    secrets = len({f["secret_sha256"] for f in report["findings"]})
    rows.append(
        (
            "`fastaudit history --no-cache` (first scan)",
            cold,
            f"{secrets} keys, {len(report['findings'])} locations; "
            f"fastaudit process peak RSS {report['stats']['peak_rss_mb']} MB",
        )
    )
    subprocess.run(
        [fastaudit, "history", ".", "--format", "json"], cwd=repo, capture_output=True, check=False
    )  # build the cache
    warm = run_timed(
        "warm", [fastaudit, "history", ".", "--format", "json"], cwd=repo, runs=args.runs, env=env
    )
    warm_report = json.loads(warm.stdout)
    rows.append(
        (
            "`fastaudit history` (re-scan, cache warm)",
            warm,
            f"{warm_report['stats']['objects_scanned']} objects read; "
            f"same findings: {warm_report['findings'] == report['findings']}",
        )
    )
    rg = which("rg")
    if rg:
        piped = run_timed(
            "rg",
            [f"git cat-file --batch-all-objects --batch --unordered | {rg} -c fast_prod_"],
            cwd=repo,
            runs=args.runs,
            shell=True,
        )
        rows.append(
            (
                "`git cat-file ... | rg -c fast_prod_` (no validation, no attribution)",
                piped,
                f"{piped.stdout.decode().strip()} matching lines",
            )
        )
    log = run_timed("log", ["git log -p --all >/dev/null"], cwd=repo, runs=1, shell=True)
    rows.append(("`git log -p --all >/dev/null` (what patch-based scanners read)", log, ""))

    kingfisher = args.peers_venv / "bin" / "kingfisher"
    if not kingfisher.exists():
        subprocess.run([sys.executable, "-m", "venv", str(args.peers_venv)], check=True)
        subprocess.run(
            [str(args.peers_venv / "bin" / "pip"), "install", "-q", "kingfisher-bin"], check=False
        )
    if kingfisher.exists():
        rules = WORK / "kingfisher-rules.yaml"
        rules.write_text(KINGFISHER_RULE.format(example=generate_key()))  # made at run time
        kf = run_timed(
            "kingfisher",
            [
                str(kingfisher),
                "scan",
                ".",
                "--rules-path",
                str(rules),
                "--rule",
                "custom.toolsfast",
                "--load-builtins",
                "false",
                "--no-validate",
                "--format",
                "json",
                "--no-update-check",
            ],
            cwd=repo,
            runs=args.runs,
        )
        found = json.loads(kf.stdout.splitlines()[0]).get("findings", []) if kf.stdout else []
        rows.append(
            (
                f"Kingfisher {tool_version([str(kingfisher), '--version'])} "
                "(`kingfisher-bin`, one custom rule, -j 2)",
                kf,
                f"{len(found)} findings",
            )
        )
    else:
        print("kingfisher-bin could not be installed; its row is missing", file=sys.stderr)
    print(
        "gitleaks: no binary distribution on PyPI or Debian reachable here; not measured",
        file=sys.stderr,
    )

    print(f"Machine: {machine()}")
    print(
        f"Repository: {repo.name if args.repo else 'generated'}: {_repo_stats(repo)}"
        + (f"; {planted} keys planted on side branches" if planted is not None else "")
    )
    print()
    print("| command | median wall (s) | runs | vs floor | note |")
    print("| --- | ---: | ---: | ---: | --- |")
    for label, timing, note in rows:
        if timing.returncode not in (0, 1):
            note = f"FAILED (exit {timing.returncode}): time not comparable. {note}".strip()
        print(
            f"| {label} | {timing.median:.2f} | {len(timing.seconds)} | "
            f"{timing.median / floor.median:.2f}x | {note} |"
        )
    print()
    print(f"Re-scan speed-up: {cold.median / warm.median:.1f}x faster than the first scan.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
