"""The progress bar: drawn on a terminal, silent otherwise (CI logs, pipes)."""

from __future__ import annotations

import io
from typing import Any

from fastaudit.progress import Progress
from tests.conftest import Repo


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_draws_objects_bytes_rate_and_eta_on_a_terminal() -> None:
    stream = Terminal()
    bar = Progress("history", 200, stream=stream, interval=0)
    bar.update(50, 5 * 1024 * 1024, force=True)
    drawn = stream.getvalue()
    assert "50/200 objects" in drawn and "25%" in drawn
    assert "MiB" in drawn and "/s" in drawn and "ETA" in drawn
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_bar_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    bar = Progress("history", 200, stream=stream, interval=0)
    bar.update(100, 10, force=True)
    bar.close()
    assert stream.getvalue() == ""


def test_history_keeps_stderr_clean_when_redirected(
    repo: Repo, make_key: Any, run_cli: Any
) -> None:
    repo.write("a.env", f"KEY={make_key()}\n")
    repo.commit("a")
    result = run_cli("history", str(repo.path), "--format", "json", "--no-cache")
    assert result.err == ""
