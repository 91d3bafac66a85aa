"""Many literal patterns searched in one pass: the engine behind the disguise gate.

Hyperscan (Intel's SIMD regex engine, the one Kingfisher and other fast scanners use)
keeps its speed with dozens of short patterns: about 2.4 GB/s on real source with the
thirty-odd encoded forms of a prefix, where an Aho-Corasick automaton drops from several
GB/s with three long patterns to about 0.5 GB/s. Where no Hyperscan wheel exists, the
automaton (`ahocorasick-rs`) answers the same questions, a bounded window at a time so
its list of matches never grows with the input.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from typing import Any

# The automaton lists every match in what it is given: asked a window at a time, a file
# made of one pattern repeated costs a window's list, not forty times the file.
WINDOW = 256 * 1024
OVERLAP = 256  # longer than any pattern: a match across two windows is still seen


class MultiSearch:
    """Literal `patterns`, searched together; answers whether any occurs, or which."""

    def __init__(self, patterns: Sequence[bytes], *, hyperscan: bool = True) -> None:
        self.patterns = tuple(patterns)
        self._database: Any = _hyperscan_database(self.patterns) if hyperscan else None
        self._scratch = threading.local()  # Hyperscan's scratch space is per thread
        self._automaton: Any = None
        if self._database is None:
            import ahocorasick_rs

            self._automaton = ahocorasick_rs.BytesAhoCorasick(list(self.patterns))

    @property
    def engine(self) -> str:
        return "hyperscan" if self._database is not None else "aho-corasick"

    def any(self, data: bytes | bytearray | memoryview) -> bool:
        """Whether any pattern occurs in `data` (stops at the first)."""
        if self._database is not None:
            return bool(self._scan(data, stop_at_first=True))
        size = len(data)
        if size <= WINDOW:
            return bool(self._automaton.find_matches_as_indexes(data))
        with memoryview(data) as view:
            for start in range(0, size, WINDOW - OVERLAP):
                with view[start : start + WINDOW] as window:
                    if self._automaton.find_matches_as_indexes(window):
                        return True
                if start + WINDOW >= size:
                    break
        return False

    def present(self, data: bytes | bytearray | memoryview) -> set[bytes]:
        """Every pattern that occurs in `data` (each once, however often it occurs)."""
        if self._database is not None:
            return {self.patterns[i] for i in self._scan(data, stop_at_first=False)}
        seen: set[int] = set()
        size = len(data)
        with memoryview(data) as view:
            for start in range(0, max(size, 1), WINDOW - OVERLAP):
                with view[start : start + WINDOW] as window:
                    # Overlapping: a pattern starting inside another's match counts too.
                    matches = self._automaton.find_matches_as_indexes(window, overlapping=True)
                    seen.update(m[0] for m in matches)
                if start + WINDOW >= size:
                    break
        return {self.patterns[i] for i in seen}

    def _scan(self, data: bytes | bytearray | memoryview, *, stop_at_first: bool) -> set[int]:
        # Called once per object of a history stream: nothing here that can be done once.
        scratch = getattr(self._scratch, "value", None)
        if scratch is None:
            import hyperscan

            scratch = self._scratch.value = hyperscan.Scratch(self._database)
        found: set[int] = set()
        with contextlib.suppress(_TERMINATED):
            self._database.scan(
                data,
                match_event_handler=_first if stop_at_first else _every,
                context=found,
                scratch=scratch,
            )
        return found


def _first(pattern: int, start: int, end: int, flags: int, found: set[int]) -> bool:
    found.add(pattern)
    return True  # stops the scan


def _every(pattern: int, start: int, end: int, flags: int, found: set[int]) -> bool:
    found.add(pattern)
    return False


def _terminated() -> type[BaseException]:
    try:
        from hyperscan import ScanTerminated
    except ImportError:  # the automaton answers instead; nothing raises this
        return LookupError
    return ScanTerminated


_TERMINATED = _terminated()


def _hyperscan_database(patterns: tuple[bytes, ...]) -> Any:
    """A compiled Hyperscan database of the literals, or None where Hyperscan is missing
    or refuses them (the automaton then answers)."""
    try:
        import hyperscan
    except ImportError:
        return None
    try:
        database = hyperscan.Database()
        # The binding passes expressions as C strings: literals (its fastest mode) when
        # none holds a NUL; else every byte written as `\xNN`, still matched exactly.
        literal = not any(b"\0" in p for p in patterns)
        database.compile(
            expressions=list(patterns)
            if literal
            else [b"".join(b"\\x%02x" % byte for byte in p) for p in patterns],
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(patterns),
            literal=literal,
        )
    except Exception:  # an old libhs without the literal compiler, or any refusal
        return None
    return database
