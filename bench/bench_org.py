"""Organisation-wide audit at scale: many small repositories on a Dask cluster.

    python bench/bench_org.py [--repos 1000] [--runs 3] [--keep-repos] [--peers-venv DIR]

Generates N small repositories (short histories, a few keys each, some keys shared
between repositories) with git fast-import, starts a real Dask scheduler and workers on
127.0.0.1, and measures: the first audit, a re-run with warm caches, 1 worker against 2,
the client's peak memory at N/4 and N repositories, each worker's peak memory, and a
shell loop of Kingfisher over the same repositories. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import WORK, machine, run_timed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fastaudit.detect import generate_key

FASTAUDIT = [sys.executable, "-m", "fastaudit"]
BIN = Path(sys.executable).parent


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def generate(root: Path, count: int, seed: int = 3) -> Path:
    """`count` repositories, each 6 commits over 8 files, 1-3 keys (a fifth of them
    shared with another repository); returns the repos file listing them."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = random.Random(seed)
    shared = [generate_key() for _ in range(max(1, count // 20))]
    listing = []
    for index in range(count):
        path = root / f"repo{index:05d}"
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
        stream = []
        ts = 1_700_000_000 + index
        for number in range(6):
            who = b"Dev <dev@example.com> %d +0000\n" % (ts + number * 60)
            body = b"commit refs/heads/main\nmark :%d\nauthor " % (number + 1) + who
            body += b"committer " + who + _data(f"change {number}".encode())
            if number:
                body += b"from :%d\n" % number
            for _ in range(2):
                name = f"src/mod{rng.randrange(8)}.py"
                text = "\n".join(
                    f"value_{rng.getrandbits(32):x} = {rng.random()}" for _ in range(40)
                )
                body += f"M 100644 inline {name}\n".encode() + _data(text.encode() + b"\n")
            if number in (1, 3):
                key = rng.choice(shared) if rng.random() < 0.2 else generate_key()
                body += b"M 100644 inline config/app.env\n" + _data(f"KEY={key}\n".encode())
            stream.append(body + b"\n")
        subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream),
                       check=True)  # fmt: skip
        subprocess.run(["git", "checkout", "-q", "main"], cwd=path, check=True)
        listing.append(str(path))
    repos_file = root / "repos.txt"
    repos_file.write_text("\n".join(listing) + "\n")
    return repos_file


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A scheduler and `workers` single-threaded workers on 127.0.0.1."""

    def __init__(self, workers: int) -> None:
        self.address = f"tcp://127.0.0.1:{_port()}"
        port = self.address.rsplit(":", 1)[1]
        # Workers share the bench's cache and state folders, so clearing them is a cold start.
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": ENV}
        self.procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1",
                                        "--port", port, "--no-dashboard"], **quiet)]  # type: ignore[call-overload]  # fmt: skip
        for index in range(workers):
            self.procs.append(subprocess.Popen(
                [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--host",
                 "127.0.0.1", "--no-dashboard", "--name", f"w{index}",
                 "--local-directory", str(WORK / f"dask-w{index}")], **quiet))  # type: ignore[call-overload]  # fmt: skip
        from distributed import Client

        self.client = Client(self.address, timeout="30s")
        self.client.wait_for_workers(workers, timeout=120)

    def worker_peak_mb(self) -> dict[str, float]:
        import resource

        def peak() -> float:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        return {k: round(v, 1) for k, v in self.client.run(peak).items()}

    def close(self) -> None:
        self.client.close()
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=30)


CACHE_HOME = WORK / "org-cache"
ENV = {**os.environ, "XDG_CACHE_HOME": str(CACHE_HOME), "XDG_STATE_HOME": str(CACHE_HOME)}


def clear_caches(root: Path) -> None:
    """History caches in each repository, and the per-repository results."""
    for cache in root.glob("repo*/.git/fastaudit"):
        shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(CACHE_HOME, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--peers-venv", type=Path, default=WORK / "peers")
    parser.add_argument(
        "--runs", type=int, default=3, help="first audits, 1 and 2 workers in turn; medians"
    )
    parser.add_argument(
        "--keep-repos", action="store_true", help="reuse an earlier run's repositories"
    )
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    root = WORK / "org"
    started = time.monotonic()
    listing = root / "repos.txt"
    kept = args.keep_repos and listing.exists() and len(listing.read_text().split()) == args.repos
    repos_file = listing if kept else generate(root, args.repos)
    print(f"Machine: {machine()}\n")
    print(f"{args.repos} repositories {'reused' if kept else 'generated'} in "
          f"{time.monotonic() - started:.0f} s "
          "(6 commits, 8 files, 1-3 keys each; 5% of keys shared).\n")  # fmt: skip
    quarter = root / "quarter.txt"
    quarter.write_text("".join(repos_file.read_text().splitlines(True)[: args.repos // 4]))
    rows = []
    firsts: dict[int, list[float]] = {1: [], 2: []}
    # The machine's speed moves between minutes: the 1- and 2-worker first audits take
    # turns, and the ratio is of their medians.
    for attempt in range(max(1, args.runs)):
        for workers in (1, 2):
            cluster = Cluster(workers)
            try:
                clear_caches(root)
                cmd = [*FASTAUDIT, "audit", "--repos-file", str(repos_file), "--executor", "dask",
                       "--scheduler", cluster.address, "--format", "json"]  # fmt: skip
                first = run_timed("first", cmd, runs=1, env=ENV)
                firsts[workers].append(first.median)
                if attempt == 0:
                    rows.append((f"first audit, {workers} worker(s)", first.median,
                                 first.peak_rss_mb))  # fmt: skip
                if workers == 2 and attempt == 0:
                    again = run_timed("again", cmd, runs=1, env=ENV)
                    rows.append(("re-run, warm caches, 2 workers", again.median,
                                 again.peak_rss_mb))  # fmt: skip
                    small = [*cmd[:5], str(quarter), *cmd[6:]]
                    clear_caches(root)
                    part = run_timed("quarter", small, runs=1, env=ENV)
                    rows.append((f"first audit of {args.repos // 4} repositories, 2 workers",
                                 part.median, part.peak_rss_mb))  # fmt: skip
                    peaks = cluster.worker_peak_mb()
            finally:
                cluster.close()
    print("| run | wall (s) | client peak RSS (MB) |")
    print("| --- | ---: | ---: |")
    for label, seconds, rss in rows:
        print(f"| {label} | {seconds:.1f} | {rss:.0f} |")
    print(f"\nWorker peak RSS (MB): {peaks}")
    one, two = statistics.median(firsts[1]), statistics.median(firsts[2])
    print(f"\nFirst audits, 1 worker: {firsts[1]} s; 2 workers: {firsts[2]} s")
    print(f"2 workers vs 1 (medians): {one / two:.2f}x; "
          f"re-run vs first: {rows[1][1] / rows[2][1]:.1f}x")  # fmt: skip
    kingfisher = args.peers_venv / "bin" / "kingfisher"
    if kingfisher.exists():
        rules = WORK / "kingfisher-rules.yaml"
        loop = (f"for r in $(cat {repos_file}); do {kingfisher} scan \"$r\" --rules-path {rules} "
                "--rule custom.toolsfast --load-builtins false --no-validate --format json "
                "--no-update-check >/dev/null 2>&1; done")  # fmt: skip
        if rules.exists():
            timing = run_timed("kingfisher loop", [loop], runs=1, shell=True)
            print(f"\nKingfisher 2.14 shell loop over the same repositories: {timing.median:.1f} s")
    print(f"\nOne machine (2 cores) audits about {3600 * args.repos / two:,.0f} repositories "
          "an hour on a first run.")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
