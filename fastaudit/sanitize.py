"""The one step every string passes through before fastaudit prints or writes it.

Strings in a report come from places an attacker controls: file names, author e-mails,
branch and tag names, inventory ids and allowlist entries, URLs, error messages. Any of
them may hold a key (a file named after one, an inventory `id` that is one), a password
in a URL, terminal escape sequences that clear the screen or forge a finding line, or
bytes that are not UTF-8 and would make JSON, SARIF or XML invalid. So, wherever a
string came from:

- anything key-shaped is redacted (wider than detection on purpose: this is no place to
  decide whether a string really is a key);
- `user:password@` in a URL is removed;
- bytes that were not UTF-8 (kept as surrogate escapes) become the text `\\xNN`;
- control characters become visible escapes. Human-facing text escapes every one, line
  breaks and tabs included, so a value can never start a new line of its own; machine
  formats keep tab and line breaks, which JSON and XML carry safely, and escape the rest.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
from collections.abc import Iterable
from typing import IO, Any, TypeVar

from fastaudit.detect import is_wordlike, redact

T = TypeVar("T")

# Generic key shape: a word, an environment-ish middle part, then a run of key characters.
_KEY_SHAPED = re.compile(
    r"([A-Za-z][A-Za-z0-9]*_(?:prod|live|test|stage|staging|dev|sandbox)_)([A-Za-z0-9_\-]{8,})"
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#@\s]*@")

# Characters that must never reach a terminal raw: C0 and C1 controls, DEL, and the
# Unicode format characters that reorder or break lines (bidi overrides, U+2028/2029).
_HUMAN_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# Machine formats (JSON, XML): the same minus tab, newline and carriage return, plus what
# XML 1.0 cannot carry at all.
_MACHINE_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def redact_keys(text: str, prefixes: Iterable[str] = ()) -> str:
    """Mask every key-shaped run: the generic shape and each configured prefix."""

    def mask(match: re.Match[str]) -> str:
        prefix, body = match.group(1), match.group(2)
        if len(body) <= 256 and is_wordlike(body):
            return match.group(0)  # `fast_prod_settings_for_backend` stays readable
        return redact(prefix + body, prefix)

    text = _KEY_SHAPED.sub(mask, text)
    for prefix in prefixes:
        if prefix and prefix in text and not _KEY_SHAPED.fullmatch(prefix + "x" * 8):
            pattern = re.compile("(" + re.escape(prefix) + r")([A-Za-z0-9_\-]{8,})")
            text = pattern.sub(_mask_configured, text)
    return text


def _mask_configured(match: re.Match[str]) -> str:
    return redact(match.group(1) + match.group(2), match.group(1))


def strip_url_credentials(text: str) -> str:
    """`https://user:secret@host/x` -> `https://host/x`, anywhere in `text`."""
    return _URL_CREDENTIALS.sub(r"\1", text)


# Anything that could need work; most strings in a report (ids, dates, titles) have none.
_SUSPECT = re.compile(r"_(?:prod|live|test|stage|staging|dev|sandbox)_|://")


def clean_text(text: str, *, human: bool, prefixes: Iterable[str] = ()) -> str:
    """One string made safe to show (`human`) or to write into JSON/XML/HTML."""
    prefixes = tuple(prefixes)
    if _is_plain(text, prefixes):
        return text  # the common case, decided without rewriting anything
    return _clean_slow(text, human, prefixes)


def _is_plain(text: str, prefixes: tuple[str, ...]) -> bool:
    """Nothing in `text` could need cleaning: printable ASCII, nothing key- or URL-like."""
    return (
        text.isascii()
        and text.isprintable()
        and not _SUSPECT.search(text)
        and not (prefixes and any(p in text for p in prefixes))
    )


@functools.lru_cache(maxsize=16384)
def _clean_slow(text: str, human: bool, prefixes: tuple[str, ...]) -> str:
    text = strip_url_credentials(redact_keys(text, prefixes))
    return (_HUMAN_UNSAFE if human else _MACHINE_UNSAFE).sub(_escape, text)


class RedactingWriter:
    """A text stream that redacts keys and URL credentials line by line on the way out:
    the last guard over everything a renderer assembled, in memory bounded by the longest
    line (a key never spans a line break)."""

    def __init__(self, stream: IO[str], prefixes: Iterable[str] = ()) -> None:
        self._stream = stream
        self._prefixes = tuple(prefixes)
        self._pending: list[str] = []

    def write(self, text: str) -> int:
        """Take text: whole lines are redacted and passed on, the rest held until it ends."""
        if "\n" not in text:
            self._pending.append(text)
            return len(text)
        head, _, tail = text.rpartition("\n")
        self._pending.append(head + "\n")
        self._emit("".join(self._pending))
        self._pending = [tail] if tail else []
        return len(text)

    def _emit(self, text: str) -> None:
        if _SUSPECT.search(text) or any(p in text for p in self._prefixes):
            text = strip_url_credentials(redact_keys(text, self._prefixes))
        self._stream.write(text)

    def close(self) -> None:
        """Write what is left (a last line without a newline)."""
        if self._pending:
            self._emit("".join(self._pending))
            self._pending = []

    def isatty(self) -> bool:
        """Whether the stream underneath is a terminal."""
        isatty = getattr(self._stream, "isatty", None)
        return bool(isatty and isatty())


def terminal(text: str) -> str:
    """A message for stderr or a terminal: keys, credentials and controls all neutralised."""
    return clean_text(text, human=True)


def for_disk(value: T, prefixes: Iterable[str] = ()) -> T:
    """`value` as it may be persisted (journal, caches, the audit store): the same step as
    the reports, so a file, branch or URL named after a key is never written in full."""
    return clean(value, human=False, prefixes=prefixes)


def clean(value: T, *, human: bool, prefixes: Iterable[str] = ()) -> T:
    """`value` with every string inside it (dict keys, lists, tuples, dataclass fields)
    passed through `clean_text`. Numbers, booleans, enums and None are left alone."""
    prefixes = tuple(prefixes)

    def walk(item: Any) -> Any:
        # Returns `item` itself when nothing inside it changed: a large clean report is
        # traversed, never copied. JSON's own shapes are tested before dataclasses: most
        # of what is cleaned is a document about to be written.
        if isinstance(item, str):
            return item if _is_plain(item, prefixes) else _clean_slow(item, human, prefixes)
        if item is None or isinstance(item, (enum.Enum, int, float, bool)):
            return item
        if isinstance(item, (list, tuple)):
            cleaned = [walk(v) for v in item]
            if all(a is b for a, b in zip(cleaned, item, strict=True)):
                return item
            return cleaned if isinstance(item, list) else tuple(cleaned)
        if isinstance(item, dict):
            return walk_mapping(item)
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            changes = {}
            for f in dataclasses.fields(item):
                if f.init:
                    old = getattr(item, f.name)
                    new = walk(old)
                    if new is not old:
                        changes[f.name] = new
            return dataclasses.replace(item, **changes) if changes else item
        if hasattr(item, "items"):
            return walk_mapping(item)
        if hasattr(item, "cleaned_on_read"):
            # A collection read from disk on each pass (an audit's spool): cleaned as
            # each entry is read, never loaded whole to be cleaned here.
            return item.cleaned_on_read(walk)
        return item

    def walk_mapping(item: Any) -> Any:
        changed = False
        entries = []
        for key, old in item.items():
            new_key, new = walk(key), walk(old)
            changed = changed or new_key is not key or new is not old
            entries.append((new_key, new))
        return dict(entries) if changed else item

    result: T = walk(value)
    return result
