"""The one definition of what a Tools.FAST API key is.

Both fastaudit's own engine and the detect-secrets plugin call into this module, so the two
can never disagree about a string. Everything here is pure: bytes or text in, verdicts out.

The vendor publishes only the prefix (``fast_prod_``); the length and alphabet of the random
part are not published. We therefore accept a run of URL-safe characters whose length is in
a configurable range, and reject what a human wrote rather than a generator: documentation
placeholders, identifiers made of words, and repeated or sequential filler. Those decisions
use character classes, entropy and shape, never a list of known examples.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from fastaudit.limits import UnwrapLimits

DEFAULT_PREFIXES: tuple[str, ...] = ("fast_prod_",)
DEFAULT_MIN_LENGTH = 20
DEFAULT_MAX_LENGTH = 64
MAX_KEY_LENGTH = 1024
DEFAULT_MAX_FINDINGS_PER_RULE = 100

# Random parts below this many bits of Shannon entropy per character are filler: a random
# 20-character string over even the smallest plausible alphabet (hex) averages ~3.4.
MIN_ENTROPY_BITS = 2.5

# Bumped whenever a change here could turn a past "no key" verdict into "key": caches of
# scanned objects made under an older version are then ignored.
DETECTION_VERSION = 3

# How far before a prefix we may look to decide whether it is glued to a word or preceded
# by an escape sequence (`\u003d` is the longest escape we recognise: 6 bytes).
LOOKBEHIND = 6

_KEY_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_WORD_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_SINGLE_ESCAPES = frozenset(b"abfnrtv0")

# Separated identifiers: every segment a single-case word, a Title word or a number
# (`settings_for_backend`, `YOUR_API_KEY_HERE_123`).
_WORD_SEGMENT = re.compile(r"[a-z]+|[A-Z]+|[A-Z][a-z]+|[0-9]+")
# One unseparated camelCase phrase, optionally ending in a number (`yourApiKeyGoesHere42`,
# `ThisIsNotARealKey`). Every word must be pronounceable (have a vowel; one-letter words
# only "a" and "I"), which random strings almost never manage.
# Written so that every character has one way to match (a leading lower-case run, then
# words that each start with a capital): `(?:[A-Z][a-z]*|[a-z]+)+` is the same language
# but backtracks exponentially on a long lower-case run that fails at its end.
_CAMEL_PHRASE = re.compile(r"(?=[A-Za-z])[a-z]*(?:[A-Z][a-z]*)*[0-9]*")
_CAMEL_WORD = re.compile(r"[A-Z][a-z]*|[a-z]+")
_SEGMENT_SPLIT = re.compile(r"[_\-]+")


@dataclass(frozen=True)
class KeySpec:
    """What counts as a key: prefixes and the allowed length of the random part.

    Frozen because one spec is shared by every worker and by the detect-secrets plugin.
    """

    prefixes: tuple[str, ...] = DEFAULT_PREFIXES
    min_length: int = DEFAULT_MIN_LENGTH
    max_length: int = DEFAULT_MAX_LENGTH
    # Findings reported per file (or object) and rule; past it they are only counted, so a
    # file dense with matches costs linear time and bounded memory.
    max_findings_per_rule: int = DEFAULT_MAX_FINDINGS_PER_RULE
    # How far the scan looks inside content (encodings, archives, split literals).
    unwrap: UnwrapLimits = field(default_factory=UnwrapLimits)

    def __post_init__(self) -> None:
        if not self.prefixes:
            raise ValueError("at least one key prefix is required")
        if not 1 <= self.min_length <= self.max_length:
            raise ValueError(
                f"key length range {self.min_length}-{self.max_length} is not a valid range"
            )
        if self.max_length > MAX_KEY_LENGTH:
            raise ValueError(
                f"max_length {self.max_length} is over {MAX_KEY_LENGTH}: no key is that long, "
                "and the bound keeps scanning linear"
            )
        if self.max_findings_per_rule < 1:
            raise ValueError("max_findings_per_file must be at least 1")
        for prefix in self.prefixes:
            if not prefix or not prefix.isascii() or not prefix[0].isalnum():
                raise ValueError(f"key prefix {prefix!r} must be ASCII and start with a letter")

    @cached_property
    def pattern(self) -> re.Pattern[bytes]:
        """Prefix followed by the run of key characters, up to `max_length + 1` of them.

        One character more than a key may have is enough to see that a run is too long
        (and reject it, rather than mistake its first `max_length` characters for a key),
        and the bound keeps every candidate's cost fixed, however long the run.
        """
        alternatives = b"|".join(
            re.escape(p.encode("ascii")) for p in sorted(self.prefixes, key=len, reverse=True)
        )
        bound = str(self.max_length + 1).encode("ascii")
        return re.compile(b"(" + alternatives + b")([A-Za-z0-9_\\-]{0," + bound + b"})")

    @property
    def cache_id(self) -> str:
        """Identifies what this spec accepts, for caches of objects already scanned."""
        text = (
            f"v{DETECTION_VERSION}|{'|'.join(self.prefixes)}|{self.min_length}|"
            f"{self.max_length}|unwrap={self.unwrap.enabled}:{self.unwrap.max_depth}"
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @cached_property
    def prefix_bytes(self) -> tuple[bytes, ...]:
        """The prefixes as bytes, for the engine's literal pre-filter."""
        return tuple(p.encode("ascii") for p in self.prefixes)

    @cached_property
    def utf16_markers(self) -> tuple[bytes, ...]:
        """The prefixes as UTF-16-LE, to spot wide strings inside binary files."""
        return tuple(p.encode("utf-16-le") for p in self.prefixes)

    @property
    def window(self) -> int:
        """Bytes a key and its context can span: what overlapping chunks must share."""
        return LOOKBEHIND + max(len(p) for p in self.prefixes) + self.max_length + 2


@dataclass(frozen=True)
class KeyHit:
    """One key found at a byte offset. Holds the key itself, so it never leaves the core:
    callers turn it into a fingerprint and a redacted form straight away."""

    start: int
    end: int
    prefix: str
    key: str = field(repr=False)

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of the whole key: how findings name a key without holding it."""
        return fingerprint(self.key)

    @property
    def redacted(self) -> str:
        """The prefix and the first and last four characters: the only form ever shown."""
        return redact(self.key, self.prefix)


class KeyVault:
    """Full keys by fingerprint, kept in memory only while `--verify` needs them.

    The one place a key outlives the scan that found it. It never prints its contents,
    refuses to be pickled, and is dropped when the run ends.
    """

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}

    def add(self, hit: KeyHit) -> None:
        """Keep a found key in this process, by its SHA-256, for verification."""
        self._keys.setdefault(hit.sha256, hit.key)

    def get(self, sha256: str) -> str | None:
        """The key with this SHA-256, if this process found it."""
        return self._keys.get(sha256)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyVault({len(self._keys)} keys)"

    def __reduce__(self) -> Any:
        raise TypeError("KeyVault holds keys and is never serialised")


def fingerprint(key: str) -> str:
    """Hex sha256 of the full key: how a secret is identified everywhere without storing it."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def detect_secrets_hash(key: str) -> str:
    """Hex sha1 of the key, the form detect-secrets stores in `.secrets.baseline`."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def redact(key: str, prefix: str | None = None) -> str:
    """Prefix plus the first and last four characters of the random part.

    Eight characters of a 20+ character random part leave well over 70 bits unknown, and
    match what the vendor's accounts page shows, so a person can recognise the key.
    """
    if prefix is None:
        prefix = next((p for p in DEFAULT_PREFIXES if key.startswith(p)), "")
    body = key[len(prefix) :]
    if len(body) <= 8:
        return prefix + "…"
    return f"{prefix}{body[:4]}…{body[-4:]}"


def shannon_entropy(text: str) -> float:
    """Bits per character of `text`, as a measure of how random it looks."""
    if not text:
        return 0.0
    length = len(text)
    return -sum((n / length) * math.log2(n / length) for n in Counter(text).values())


def _character_classes(text: str) -> int:
    return (
        any(c.islower() for c in text)
        + any(c.isupper() for c in text)
        + any(c.isdigit() for c in text)
    )


def is_wordlike(body: str) -> bool:
    """True for identifiers and placeholders built from words: `settings_for_backend`,
    `YOUR_API_KEY_HERE`, `yourApiKeyGoesHere`."""
    segments = [s for s in _SEGMENT_SPLIT.split(body) if s]
    if len(segments) >= 2:
        return all(_WORD_SEGMENT.fullmatch(s) for s in segments)
    if not segments or not _CAMEL_PHRASE.fullmatch(segments[0]):
        return False
    words = _CAMEL_WORD.findall(segments[0])
    return all(
        w.lower() in ("a", "i") if len(w) == 1 else any(c in "aeiouy" for c in w.lower())
        for w in words
    )


def _is_sequential(body: str) -> bool:
    """True for runs such as `abcdefgh…`, `123456789…` or `zyxw…` (keyboard-free filler)."""
    steps = sum(1 for a, b in itertools.pairwise(body) if abs(ord(b) - ord(a)) == 1)
    return steps * 2 >= len(body) - 1


def _is_stepping_filler(body: str) -> bool:
    """True for filler that steps through the alphabet in disguise: alternating case
    (`AbCdEfGh…`, sequential once case is ignored) or two interleaved runs
    (`a1b2c3d4…`: a, b, c, d and 1, 2, 3, 4)."""
    if _is_sequential(body.lower()):
        return True
    evens, odds = body[0::2], body[1::2]
    return len(odds) >= 4 and _is_sequential(evens) and _is_sequential(odds)


def _is_periodic(body: str) -> bool:
    """True when the body repeats a short unit at least three times (`xyz123xyz123…`)."""
    for period in range(1, len(body) // 3 + 1):
        if all(body[i] == body[i - period] for i in range(period, len(body))):
            return True
    return False


def rejection_reason(body: str, spec: KeySpec) -> str | None:
    """Why the random part `body` is not a key, or None when it is one.

    The reason is for explanations and tests; it never contains the body itself.
    """
    if len(body) < spec.min_length:
        return "too short"
    if len(body) > spec.max_length:
        return "too long"
    if _character_classes(body) < 2:
        return "a single character class (lower, upper or digits only)"
    if is_wordlike(body):
        return "made of words: an identifier or a placeholder"
    if shannon_entropy(body) < MIN_ENTROPY_BITS:
        return "low entropy: repeated filler"
    if _is_sequential(body) or _is_stepping_filler(body):
        return "sequential filler"
    if _is_periodic(body):
        return "a repeated pattern"
    return None


def _glued(data: bytes, start: int) -> bool:
    """True when the prefix at `start` continues a word (`breakfast_prod_…`).

    A letter or digit that ends an escape sequence is not glue: `\\nfast_prod_…` inside a
    JSON string, `%3Dfast_prod_…` in a URL-encoded value, `\\u003dfast_prod_…`.
    """
    if start == 0:
        return False
    before = data[start - 1]
    if before not in _WORD_CHARS:
        return False
    if start >= 2 and data[start - 2] == 0x5C and before in _SINGLE_ESCAPES:  # \n, \t
        return False
    if start >= 3 and data[start - 3] == 0x25 and _all_hex(data[start - 2 : start]):  # %3D
        return False
    if (
        start >= 4
        and data[start - 4 : start - 2] in (b"\\x", b"\\X")
        and _all_hex(data[start - 2 : start])
    ):
        return False
    return (
        start < 6
        or data[start - 6 : start - 4] not in (b"\\u", b"\\U")
        or not _all_hex(data[start - 4 : start])
    )


def _all_hex(chunk: bytes) -> bool:
    return all(b in _HEX for b in chunk)


def find_keys(
    data: bytes, spec: KeySpec, start: int = 0, stop: int | None = None
) -> Iterator[KeyHit]:
    """Every key whose prefix begins in `data[start:stop]`, in order.

    Offsets are into `data`. `data` may extend past `stop` (and before `start`) to give the
    context needed to judge a key near the edge; callers scanning in chunks rely on that.
    """
    stop = len(data) if stop is None else stop
    search = spec.pattern.search
    # Start a key's length early, so that a key straddling `start` (judged by whoever
    # scanned before it) is stepped over as a whole, exactly as a scan from 0 would.
    position = max(0, start - spec.window) if start else 0
    while True:
        match = search(data, position)
        if match is None or match.start() >= stop:
            return
        key_start = match.start()
        # Every prefix is judged on its own: after a rejected candidate the search goes
        # on inside it, so `…-fast_prod_KEY` at the end of a long run is still seen, and
        # the verdict for a prefix never depends on where the scan happened to start.
        position = key_start + 1
        if _glued(data, key_start):
            continue
        body = match.group(2).decode("ascii")
        if rejection_reason(body, spec) is not None:
            continue
        position = match.end()
        if key_start < start:
            continue
        prefix = match.group(1).decode("ascii")
        yield KeyHit(key_start, match.end(), prefix, prefix + body)


def find_keys_in_text(text: str, spec: KeySpec) -> Iterator[KeyHit]:
    """`find_keys` for a line of text (the detect-secrets route). Offsets are into the
    UTF-8 encoding of `text`."""
    return find_keys(text.encode("utf-8", "surrogateescape"), spec)


def is_key(candidate: str, spec: KeySpec | None = None) -> bool:
    """True when `candidate` on its own is exactly one key."""
    spec = spec or KeySpec()
    hits = list(find_keys(candidate.encode("utf-8", "surrogateescape"), spec))
    return len(hits) == 1 and hits[0].key == candidate


def could_contain_key(data: bytes, spec: KeySpec) -> bool:
    """Cheap pre-filter: a literal search for any prefix (plain or as UTF-16)."""
    return any(p in data for p in spec.prefix_bytes) or any(m in data for m in spec.utf16_markers)


def generate_key(prefix: str = DEFAULT_PREFIXES[0], length: int = 32) -> str:
    """A fresh random key of the documented shape, for demos and tests.

    Keys are made at run time so that no realistic key is ever committed.
    """
    import secrets
    import string

    alphabet = string.ascii_letters + string.digits
    spec = KeySpec(prefixes=(prefix,))
    while True:
        key = prefix + "".join(secrets.choice(alphabet) for _ in range(length))
        if is_key(key, spec):
            return key
