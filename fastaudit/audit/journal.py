"""The run journal: each repository's result appended as it arrives, so an audit whose
client was killed continues with `--resume RUN_ID` and audits only what was not done.

One JSON line per repository (findings by fingerprint and redacted form only, as in every
report), in the user's state directory. A line cut short by the kill is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from fastaudit.audit.result import RepoResult
from fastaudit.errors import InputError

# A killed client loses nothing that was written (the OS holds it); a machine that loses
# power loses at most this many seconds of results, which a resume audits again.
SYNC_INTERVAL = 1.0


def journal_dir() -> Path:
    """Where run journals live: the user's state directory."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("fastaudit")) / "runs"


def name_id(name: str) -> str:
    """What identifies a repository in the journal: a digest, so its name can be stored
    redacted and still be matched on --resume."""
    import hashlib

    return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()


def new_run_id() -> str:
    """A run id that sorts by start time and does not repeat (what `--resume` takes)."""
    return time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


class Journal:
    """Append-only record of one run's finished repositories."""

    def __init__(self, run_id: str, directory: Path | None = None) -> None:
        if (
            not run_id
            or len(run_id) > 100
            or run_id.startswith((".", "-"))
            or not all(c.isascii() and (c.isalnum() or c in "-_.T") for c in run_id)
        ):
            shown = run_id[:40] + ("…" if len(run_id) > 40 else "")
            raise InputError(f"{shown!r} is not a run id (letters, digits, - and _, at most 100)")
        self.run_id = run_id
        self.path = (directory or journal_dir()) / f"{run_id}.jsonl"
        self._stream: IO[str] | None = None
        self._synced = 0.0

    def exists(self) -> bool:
        """Whether this run has a journal to resume from."""
        return self.path.is_file()

    def completed(self) -> Iterator[tuple[str, RepoResult]]:
        """Results already recorded, one at a time, in the order they were recorded, each
        with the digest of its repository's name (the name itself is stored redacted)."""
        if not self.exists():
            raise InputError(f"no journal for run {self.run_id} (looked in {self.path.parent})")
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    record: dict[str, Any] = json.loads(line)
                    if record.get("kind") != "repo":
                        continue
                    result = RepoResult.from_dict(record["result"])
                    ident = str(record["name_id"])
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short when the client was killed
                yield ident, result

    def record(self, result: RepoResult) -> None:
        """Append one finished repository, redacted, flushed to the OS at once and synced to disk
        at least every second."""
        if self._stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._stream = self.path.open("a", encoding="utf-8")
        from fastaudit.sanitize import for_disk

        line = json.dumps(
            {"kind": "repo", "name_id": name_id(result.name), "result": for_disk(result.to_dict())},
            ensure_ascii=True,
        )
        self._stream.write(line + "\n")
        self._stream.flush()  # in the OS's hands: survives the client being killed
        now = time.monotonic()
        if now - self._synced >= SYNC_INTERVAL:  # and on disk at least every second
            os.fsync(self._stream.fileno())
            self._synced = now

    def close(self) -> None:
        """Sync and close; later `record` calls reopen it."""
        if self._stream is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._stream.fileno())
            self._stream.close()
            self._stream = None
