"""Messages for the person running fastaudit: stderr only, one line each, made safe."""

from __future__ import annotations

import click


def say(message: str) -> None:
    """One line on stderr, with keys, URL passwords and control characters neutralised
    (file names, URLs and git's own words in messages come from untrusted input)."""
    from fastaudit.sanitize import terminal

    click.echo(f"fastaudit: {terminal(message)}", err=True)
