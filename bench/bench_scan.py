"""Working-tree scan benchmark: fastaudit vs detect-secrets (with the plugin) vs ripgrep.

    python bench/bench_scan.py [--files 4000] [--mb 40] [--runs 3]

Generates a git repository under bench/work/ (source-like text, JSON, minified bundles,
binary files, a file of long space runs; a few planted keys made at run time), then times
each tool over it in one run and prints a Markdown table for bench/RESULTS.md. Also times
the pre-commit hook on a commit of 10 files.
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
from _common import REPO, WORK, machine, run_timed, table, tool_version, which

sys.path.insert(0, str(REPO))
from fastaudit.detect import generate_key

WORDS = [
    "def",
    "return",
    "self",
    "value",
    "config",
    "request",
    "response",
    "client",
    "token",
    "import",
    "from",
    "class",
    "async",
    "await",
    "fast",
    "prod",
    "convert",
    "entitlements",
    "header",
    "json",
    "none",
    "true",
    "false",
    "data",
    "path",
]


def _text_file(rng: random.Random, size: int) -> bytes:
    lines = []
    total = 0
    while total < size:
        words = rng.choices(WORDS, k=rng.randint(3, 14))
        line = "    " * rng.randint(0, 3) + " ".join(words) + f" = {rng.randint(0, 99999)}"
        lines.append(line)
        total += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def _minified(rng: random.Random, size: int) -> bytes:
    parts = []
    total = 0
    while total < size:
        part = f"var {rng.choice(WORDS)}{rng.randint(0, 999)}=function(a,b){{return a+b}};"
        parts.append(part)
        total += len(part)
    return "".join(parts).encode()


def generate(
    tree: Path, files: int, megabytes: int, spaces_kb: int = 0, seed: int = 7
) -> list[str]:
    """Build the tree as a committed git repository; return the planted keys' paths."""
    rng = random.Random(seed)
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    average = megabytes * 1024 * 1024 // files
    planted: list[str] = []
    for index in range(files):
        folder = tree / f"pkg{index % 40:02d}" / f"mod{index % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        kind = index % 20
        size = max(200, int(rng.expovariate(1 / average)))
        if kind == 0:
            name, data = f"bundle{index}.min.js", _minified(rng, size)
        elif kind == 1:
            name, data = f"blob{index}.bin", rng.randbytes(size)
        elif kind == 2:
            name = f"data{index}.json"
            data = json.dumps({f"k{i}": rng.choice(WORDS) for i in range(size // 12)}).encode()
        else:
            name, data = f"file{index}.py", _text_file(rng, size)
        path = folder / name
        if index % 397 == 5:  # a few planted keys, mid-file
            key = generate_key(length=32)
            cut = data.rfind(b"\n", 0, len(data) // 2) + 1
            data = data[:cut] + f'API_KEY = "{key}"\n'.encode() + data[cut:]
            planted.append(str(path.relative_to(tree)))
        path.write_bytes(data)
    if spaces_kb:
        # Long runs of spaces: the input that makes line-regex scanners slow.
        (tree / "spaces.txt").write_bytes(b" " * spaces_kb * 1024 + b"x\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "tree"]):
        subprocess.run(["git", *args], cwd=tree, check=True, env=env)
    return planted


def _ds_plugin_only_args() -> list[str]:
    out = subprocess.run(
        [which("detect-secrets") or "detect-secrets", "scan", "--list-all-plugins"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    disable: list[str] = []
    for name in out:
        disable += ["--disable-plugin", name]
    return disable


def _count_json(stdout: bytes, key: str) -> int:
    document = json.loads(stdout or b"{}")
    if key == "fastaudit":
        return sum(1 for f in document.get("findings", []) if f["rule_id"] == "FAST001")
    return sum(
        1
        for items in document.get("results", {}).values()
        for i in items
        if i["type"] == "Tools.FAST API Key"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4000)
    parser.add_argument("--mb", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ds-runs", type=int, default=1, help="detect-secrets is slow")
    parser.add_argument(
        "--spaces-kb",
        type=int,
        default=0,
        help="add one line of this many KiB of spaces (pathological for line regexes)",
    )
    args = parser.parse_args()

    tree = WORK / "scan-tree"
    planted = generate(tree, args.files, args.mb, args.spaces_kb)
    size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file() and ".git" not in p.parts)
    fastaudit = which("fastaudit") or "fastaudit"
    detect_secrets = which("detect-secrets") or "detect-secrets"
    plugin = str(REPO / "plugins" / "fast_api_key.py")

    rows = []
    fa = run_timed(
        "fastaudit", [fastaudit, "scan", ".", "--format", "json"], cwd=tree, runs=args.runs
    )
    rows.append(
        (
            "`fastaudit scan . --format json`",
            fa,
            f"{_count_json(fa.stdout, 'fastaudit')} keys found",
        )
    )
    rg_path = which("rg")
    if rg_path:
        rg = run_timed(
            "rg", [rg_path, "--count-matches", "fast_prod_", "."], cwd=tree, runs=args.runs
        )
        rows.append(
            (
                "`rg --count-matches fast_prod_ .` (no validation)",
                rg,
                f"{len(rg.stdout.splitlines())} files matched",
            )
        )
    ds = run_timed(
        "detect-secrets",
        [detect_secrets, "scan", "--plugin", plugin, *_ds_plugin_only_args()],
        cwd=tree,
        runs=args.ds_runs,
    )
    rows.append(
        (
            "`detect-secrets scan --plugin plugins/fast_api_key.py` (only that plugin)",
            ds,
            f"{_count_json(ds.stdout, 'ds')} keys found",
        )
    )

    # The pre-commit hook on a commit of 10 files.
    staged = sorted(p for p in tree.rglob("file*.py"))[:10]
    for p in staged:
        p.write_bytes(p.read_bytes() + b"# edited\n")
    subprocess.run(["git", "add", *map(str, staged)], cwd=tree, check=True)
    names = [str(p.relative_to(tree)) for p in staged]
    hook = run_timed("hook", [fastaudit, "hook", *names], cwd=tree, runs=10)
    ds_hook = run_timed(
        "ds-hook",
        [which("detect-secrets-hook") or "detect-secrets-hook", "--plugin", plugin, *names],
        cwd=tree,
        runs=5,
    )
    subprocess.run(["git", "checkout", "-q", "HEAD", "--", "."], cwd=tree, check=True)

    print(f"Machine: {machine()}")
    count = args.files + bool(args.spaces_kb)
    print(f"Tree: {count} files, {size / 2**20:.1f} MiB, {len(planted)} planted keys")
    print(
        f"Versions: fastaudit {tool_version([fastaudit, '--version'])}; "
        f"detect-secrets {tool_version([detect_secrets, '--version'])}; "
        f"{tool_version([rg_path or 'rg', '--version'])}"
    )
    print()
    print(table(rows, fa))
    print()
    print(
        table(
            [
                ("`fastaudit hook <10 staged files>`", hook, "pre-commit entry point"),
                ("`detect-secrets-hook --plugin ... <10 files>`", ds_hook, ""),
            ],
            hook,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
