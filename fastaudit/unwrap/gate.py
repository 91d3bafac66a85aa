"""The cheap test every file passes through: could it hold a key in disguise? Magic bytes
at the start, then one multi-pattern pass for every encoded form of each prefix. Only
what passes pays for the readers in `views`."""

from __future__ import annotations

import functools
import re

from fastaudit.detect import KeySpec
from fastaudit.unwrap import encoded
from fastaudit.unwrap.magic import container_kind
from fastaudit.unwrap.multisearch import OVERLAP, MultiSearch


@functools.lru_cache(maxsize=16)
def needles_for(prefixes: tuple[str, ...]) -> tuple[encoded.Needle, ...]:
    """Every encoded form of the prefixes, built once per set of prefixes."""
    return encoded.prefix_needles(tuple(p.encode("ascii") for p in prefixes))


def _heads(spec: KeySpec) -> tuple[bytes, ...]:
    return tuple(dict.fromkeys(p.encode("ascii")[:4] for p in spec.prefixes))


@functools.lru_cache(maxsize=16)
def _patterns(prefixes: tuple[str, ...]) -> tuple[bytes, ...]:
    """The automaton's patterns, each once: every needle's text, then a quote before each
    prefix's start (where a split literal begins)."""
    heads = tuple(dict.fromkeys(p.encode("ascii")[:4] for p in prefixes))
    patterns = [n.text for n in needles_for(prefixes)]
    patterns += [quote + head for head in heads for quote in (b'"', b"'", b"`")]
    return tuple(dict.fromkeys(patterns))


@functools.lru_cache(maxsize=16)
def _gate(prefixes: tuple[str, ...]) -> MultiSearch:
    """Every needle in one search: a single pass over the bytes, whatever the number of
    encodings and alignments."""
    return MultiSearch(_patterns(prefixes))


def present_needles(data: bytes, spec: KeySpec) -> tuple[encoded.Needle, ...]:
    """The encoded-prefix needles that occur in `data`, found in one pass (not one search
    per needle): the readers follow only these."""
    texts = _gate(spec.prefixes).present(data)
    return tuple(n for n in needles_for(spec.prefixes) if n.text in texts)


def may_hide_keys(data: bytes, spec: KeySpec) -> bool:
    """Could `data` hold a key in any disguise this package reads? Magic bytes at the
    start, then one pass for every needle."""
    if container_kind(data) is not None or encoded.looks_base64(data):
        return True
    return _gate(spec.prefixes).any(data)


GATE_OVERLAP = OVERLAP


@functools.lru_cache(maxsize=16)
def _history_search(prefixes: tuple[str, ...]) -> MultiSearch:
    """The gate's patterns plus the plain prefixes (all free of NUL, so Hyperscan takes
    them as literals, its fastest mode)."""
    plain = [p.encode("ascii") for p in prefixes]
    return MultiSearch(tuple(dict.fromkeys([*plain, *_patterns(prefixes)])))


class HistoryGate:
    """What selects a blob of history the literal needles did not: the working tree's
    own automaton (every encoded form of each prefix and a quote before its start, so
    history can find whatever the tree finds), or an opening of base64 (a `.b64` file or
    a base64'd archive, whose line wraps may split any needle)."""

    overlap = GATE_OVERLAP

    def __init__(self, spec: KeySpec) -> None:
        self._automaton = _history_search(spec.prefixes)
        # The plain prefixes are among its patterns: a blob needs one pass for them and
        # every encoded form, not a search per prefix and then this one.
        self.covers = frozenset(spec.prefix_bytes)

    def matches(self, data: bytes | memoryview) -> bool:
        """Whether a blob (or a piece of a large one) may hold a key in any disguise."""
        return self._automaton.any(data) or _base64_head(data)


_BASE64_HEAD = re.compile(rb"[A-Za-z0-9+/_\-]{64}")


def _base64_head(data: bytes | memoryview) -> bool:
    """A C-speed match on the first bytes; most blobs fail at their first characters."""
    return _BASE64_HEAD.match(data[:64]) is not None and encoded.looks_base64(bytes(data[:256]))


def history_gate(spec: KeySpec) -> HistoryGate:
    """The gate the history stream asks of every blob."""
    return HistoryGate(spec)
