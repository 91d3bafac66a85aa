"""Reading JSON and text that a user (or an attacker) hands us: every failure, however
odd the input, becomes one `InputError` line naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastaudit.errors import InputError


def parse(text: str, what: str) -> Any:
    """`text` as JSON; InputError for anything malformed, including nesting so deep that
    the parser would run out of stack (a 100,000-deep array).

    The garbage collector is paused while parsing: a collection that happens at the
    bottom of a deep parse runs other objects' finalizers with no stack left, and their
    failures would print tracebacks past the one-line error."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except RecursionError:
        raise InputError(f"{what} nests too deeply to be a real document") from None
    except ValueError as exc:  # e.g. integers too long to convert
        raise InputError(f"{what} is not usable JSON: {exc}") from None
    finally:
        if was_enabled:
            gc.enable()


def read_text(path: Path, what: str, *, encoding: str = "utf-8") -> str:
    """A file's text; InputError when it is missing, unreadable or not UTF-8."""
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {path} is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def load(path: Path, what: str, *, encoding: str = "utf-8") -> Any:
    """A JSON file, with both of the above."""
    return parse(read_text(path, what, encoding=encoding), f"{what} {path}")
