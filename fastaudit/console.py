"""Messages for the person running fastaudit: stderr only, one line each, made safe."""

from __future__ import annotations

import click


def say(message: str) -> None:
    """One line on stderr, with keys, URL passwords and control characters neutralised
    (file names, URLs and git's own words in messages come from untrusted input)."""
    from fastaudit.sanitize import terminal

    click.echo(f"fastaudit: {terminal(message)}", err=True)


def self_command() -> str:
    """How the person reading this message runs fastaudit from their own shell: plain
    `fastaudit` when that is this installation on their PATH; under pre-commit (which
    runs hooks from its own environment, not on the user's PATH) or any other private
    environment, this interpreter with `-m fastaudit`, which works from any shell."""
    import os
    import shlex
    import shutil
    import sys
    from pathlib import Path

    found = shutil.which("fastaudit")
    if (
        not os.environ.get("PRE_COMMIT")
        and found is not None
        and Path(found).resolve().parent == Path(sys.executable).resolve().parent
    ):
        return "fastaudit"
    return f"{shlex.quote(sys.executable)} -m fastaudit"
