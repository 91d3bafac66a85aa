"""The cheap test every file passes through: could it hold a key in disguise? Magic bytes
at the start, then one multi-pattern pass for every encoded form of each prefix. Only
what passes pays for the readers in `views`."""

from __future__ import annotations

import functools
import re
from typing import Any

from fastaudit.detect import KeySpec
from fastaudit.unwrap import encoded
from fastaudit.unwrap.magic import container_kind


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
def _gate(prefixes: tuple[str, ...]) -> Any:
    """One multi-pattern automaton over every needle: a single pass over the bytes,
    whatever the number of encodings and alignments."""
    import ahocorasick_rs

    return ahocorasick_rs.BytesAhoCorasick(list(_patterns(prefixes)))


def present_needles(data: bytes, spec: KeySpec) -> tuple[encoded.Needle, ...]:
    """The encoded-prefix needles that occur in `data`, found in one windowed pass of the
    automaton (not one search per needle): the readers follow only these."""
    needles = needles_for(spec.prefixes)
    automaton = _gate(spec.prefixes)
    seen: set[int] = set()
    size = len(data)
    with memoryview(data) as view:
        start = 0
        while start < size:
            with view[start : start + GATE_WINDOW] as window:
                seen.update(match[0] for match in automaton.find_matches_as_indexes(window))
            if start + GATE_WINDOW >= size:
                break
            start += GATE_WINDOW - GATE_OVERLAP
    texts = {_patterns(spec.prefixes)[i] for i in seen}
    return tuple(n for n in needles if n.text in texts)


def may_hide_keys(data: bytes, spec: KeySpec) -> bool:
    """Could `data` hold a key in any disguise this package reads? Magic bytes at the
    start, then one pass for every needle."""
    if container_kind(data) is not None or encoded.looks_base64(data):
        return True
    return gate_matches(_gate(spec.prefixes), data)


# The automaton lists every match it finds; a file made of one needle repeated would make
# that list forty times the file's size. It is asked one window at a time instead, and
# the first window with a match answers.
GATE_WINDOW = 256 * 1024
GATE_OVERLAP = 256  # longer than any needle: a match across two windows is still seen


def gate_matches(gate: Any, data: bytes | bytearray | memoryview) -> bool:
    """Whether `gate` matches anywhere in `data`, in memory bounded by one window."""
    size = len(data)
    if size <= GATE_WINDOW:
        return bool(gate.find_matches_as_indexes(data))
    with memoryview(data) as view:
        start = 0
        while start < size:
            with view[start : start + GATE_WINDOW] as window:
                if gate.find_matches_as_indexes(window):
                    return True
            start += GATE_WINDOW - GATE_OVERLAP
    return False


class HistoryGate:
    """What selects a blob of history the literal needles did not: the working tree's
    own automaton (every encoded form of each prefix and a quote before its start, so
    history can find whatever the tree finds), or an opening of base64 (a `.b64` file or
    a base64'd archive, whose line wraps may split any needle)."""

    overlap = GATE_OVERLAP

    def __init__(self, spec: KeySpec) -> None:
        self._automaton = _gate(spec.prefixes)

    def matches(self, data: bytes | memoryview) -> bool:
        """Whether a blob (or a piece of a large one) may hold a key in any disguise."""
        return gate_matches(self._automaton, data) or _base64_head(data)


_BASE64_HEAD = re.compile(rb"[A-Za-z0-9+/_\-]{64}")


def _base64_head(data: bytes | memoryview) -> bool:
    """A C-speed match on the first bytes; most blobs fail at their first characters."""
    return _BASE64_HEAD.match(data[:64]) is not None and encoded.looks_base64(bytes(data[:256]))


def history_gate(spec: KeySpec) -> HistoryGate:
    """The gate the history stream asks of every blob."""
    return HistoryGate(spec)
