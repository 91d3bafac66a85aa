"""Encoded runs around a candidate: base64 (standard and URL-safe, any alignment, wrapped
at 64 or 76 columns), hex, and character escapes (percent, `\\xNN`, `\\uNNNN`, `\\u{N}`,
HTML character references).

Each finder starts from a literal needle (an encoded form of a prefix, or the magic bytes
of a compressed stream inside base64) and decodes only the run around it. A decoded run is
kept only when encoding it again gives back exactly the text found: random base64 that
happens to decode to something never counts.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

_B64_STD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B64_URL = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_B64_ANY = _B64_STD | _B64_URL
_HEX = frozenset(b"0123456789abcdefABCDEF")
WRAP_WIDTHS = (64, 76)

# Base64 of the magic bytes of compressed data and archives (always at a quantum start).
COMPRESSED_B64 = (b"H4sI", b"QlpoO", b"/Td6WFo", b"UEsDB", b"UEsFB")

MAX_RUN = 8 * 1024 * 1024  # encoded characters decoded around one needle, at most
# Runs decoded per view and needle, at most. Only a run long enough to hold a key counts
# (a decoy `&#102; ` decodes to one character and costs nothing), an occurrence inside a
# run already decoded is not decoded again, and reaching the cap is a warning.
MAX_HITS = 10_000
MIN_RUN = 8  # decoded bytes a run needs before it counts towards MAX_HITS


@dataclass(frozen=True)
class Needle:
    """A literal that marks an encoded run, and how to decode around it."""

    text: bytes
    kind: str  # base64, hex, escape
    quantum_offset: int = 0  # base64: characters from the needle back to a quantum start
    # For half of a prefix's base64 (the halves exist because a line wrap may fall in
    # either): the whole, which must be there too, once wraps are taken out.
    whole: bytes | None = None


@dataclass(frozen=True)
class Decoded:
    """An encoded run found in a view: where it starts, what it was, what it says, and
    where it ends (-1: unknown), so an occurrence inside it is not decoded twice."""

    start: int
    kind: str
    data: bytes
    end: int = -1


def prefix_needles(prefixes: tuple[bytes, ...]) -> tuple[Needle, ...]:
    """Every literal whose presence may mean an encoded key."""
    needles: list[Needle] = []
    for prefix in prefixes:
        needles.extend(_base64_needles(prefix))
        needles.append(Needle(prefix.hex().encode(), "hex"))
        needles.append(Needle(prefix.hex().upper().encode(), "hex"))
        needles.extend(Needle(n, "escape") for n in _escape_needles(prefix[0]))
    needles.extend(Needle(n, "base64") for n in COMPRESSED_B64)
    return tuple(dict.fromkeys(needles))


def _stable_base64(text: bytes) -> Iterator[tuple[bytes, int]]:
    """The characters of `text`'s base64 that `text` alone determines, at each of the
    three byte alignments, with their offset from a quantum start."""
    for align in range(3):
        encoded = base64.b64encode(b"\0" * align + text + b"\0\0\0")
        # Skip the first character (mixed with the unknown byte before) and stop before
        # the last group touching unknown bytes after.
        first = ((align * 8) + 5) // 6
        last = ((align + len(text)) * 8) // 6
        yield encoded[first:last], first


def _base64_needles(prefix: bytes) -> Iterator[Needle]:
    """Two halves of the stable part of the prefix's base64 at each alignment (a line
    wrap can fall inside one half, never inside both), and the stable parts of the
    base64 of those: a base64'd value that is itself base64 (a Helm value holding a
    base64'd .env)."""
    for stable, first in _stable_base64(prefix):
        half = len(stable) // 2
        for piece, offset in ((stable[:half], first), (stable[half:], first + half)):
            if len(piece) >= 6:
                yield from _alphabets(piece, offset % 4, stable)
        for outer, outer_first in _stable_base64(stable):
            yield from _alphabets(outer, outer_first % 4)


def _alphabets(piece: bytes, quantum_offset: int, whole: bytes | None = None) -> Iterator[Needle]:
    yield Needle(piece, "base64", quantum_offset, whole)
    url = piece.replace(b"+", b"-").replace(b"/", b"_")
    if url != piece:
        url_whole = whole.replace(b"+", b"-").replace(b"/", b"_") if whole else None
        yield Needle(url, "base64", quantum_offset, url_whole)


_WRAPPING = b" \t\r\n"


def _whole_around(view: bytes, position: int, needle: Needle) -> bool:
    """Whether the whole base64 of the prefix stands around this half (line wraps and
    indentation taken out): a half alone is a coincidence, and decoding the large base64
    block around it would cost much for nothing."""
    if needle.whole is None:
        return True
    reach = len(needle.whole) + 16
    window = view[max(0, position - reach) : position + reach]
    return needle.whole in window.translate(None, _WRAPPING)


def _escape_needles(first: int) -> Iterator[bytes]:
    for digits in {f"{first:02x}", f"{first:02X}"}:
        yield f"%{digits}".encode()
        yield f"\\x{digits}".encode()
        yield f"\\u00{digits}".encode()
        yield f"\\u{{{digits}}}".encode()
        yield f"&#x{digits};".encode()
        yield f"&#X{digits};".encode()
    yield f"&#{first};".encode()


def find_runs(
    view: bytes, needles: tuple[Needle, ...], capped: list[str] | None = None
) -> Iterator[Decoded]:
    """Decoded runs around each needle occurrence in `view`, once per run.

    Linear in the view: each needle's occurrences inside a run it already decoded are
    skipped, and the runs of an alphabet are measured once (`_SpanCache`). When a needle
    reaches MAX_HITS real runs, a note goes to `capped`."""
    seen: set[tuple[int, str]] = set()
    _SPANS.cache = _SpanCache()
    try:
        for needle in needles:
            position = view.find(needle.text)
            hits = 0
            while position >= 0:
                if not _whole_around(view, position, needle):
                    position = view.find(needle.text, position + 1)
                    continue
                decoded = _decode_at(view, position, needle)
                after = position + 1
                if decoded is not None:
                    if len(decoded.data) >= MIN_RUN:
                        hits += 1
                    if decoded.end > after:
                        after = decoded.end
                    if (decoded.start, decoded.kind) not in seen:
                        seen.add((decoded.start, decoded.kind))
                        yield decoded
                if hits >= MAX_HITS:
                    if capped is not None and view.find(needle.text, after) >= 0:
                        capped.append(
                            f"more than {MAX_HITS} {needle.kind} runs: the rest were not decoded"
                        )
                    break
                position = view.find(needle.text, after)
    finally:
        _SPANS.cache = None


class _SpanCache:
    """The maximal runs of an alphabet found so far in one view (they never overlap), so
    many needles in one long run measure it once."""

    def __init__(self) -> None:
        self.starts: dict[str, list[int]] = {}
        self.ends: dict[str, dict[int, int]] = {}
        # Wrapped base64 blocks already joined: (first start, last end) -> their segments.
        self.block_starts: list[int] = []
        self.blocks: dict[int, list[tuple[int, int]]] = {}

    def block(self, position: int) -> list[tuple[int, int]] | None:
        """The wrapped block already joined that holds `position`, if any."""
        index = bisect.bisect_right(self.block_starts, position) - 1
        if index < 0:
            return None
        segments = self.blocks[self.block_starts[index]]
        inside = bisect.bisect_right(segments, (position, len(segments) and 2**62)) - 1
        if inside >= 0 and segments[inside][0] <= position < segments[inside][1]:
            return segments
        return None

    def add_block(self, segments: list[tuple[int, int]]) -> None:
        start = segments[0][0]
        if start not in self.blocks:
            bisect.insort(self.block_starts, start)
        self.blocks[start] = segments

    def find(self, alphabet: str, position: int) -> tuple[int, int] | None:
        starts = self.starts.get(alphabet)
        if not starts:
            return None
        index = bisect.bisect_right(starts, position) - 1
        if index < 0:
            return None
        start = starts[index]
        end = self.ends[alphabet][start]
        return (start, end) if start <= position < end else None

    def add(self, alphabet: str, start: int, end: int) -> None:
        if end <= start:
            return
        ends = self.ends.setdefault(alphabet, {})
        if start not in ends:
            bisect.insort(self.starts.setdefault(alphabet, []), start)
        ends[start] = max(end, ends.get(start, end))


_SPANS = threading.local()


def _decode_at(view: bytes, position: int, needle: Needle) -> Decoded | None:
    if needle.kind == "base64":
        return _base64_run(view, position, needle)
    if needle.kind == "hex":
        return _hex_run(view, position)
    return _escape_run(view, position)


# --- base64 ------------------------------------------------------------------------------


def _base64_run(view: bytes, position: int, needle: Needle) -> Decoded | None:
    """The base64 run holding `position`, joined across wrapped lines, decoded from the
    quantum boundary the needle implies."""
    segments = _wrapped_segments(view, position)
    if not segments:
        return None
    text = b"".join(view[a:b] for a, b in segments)
    # Where, in the joined text, the needle sits; the run's decoding starts at the
    # quantum boundary before it, a multiple of four characters back.
    before = sum(b - a for a, b in segments if b <= position)
    inside = next(position - a for a, b in segments if a <= position < b)
    anchor = before + inside - needle.quantum_offset
    start = anchor % 4
    text = text[start:].rstrip(b"=")
    if len(text) % 4 == 1:
        text = text[:-1]
    if len(text) < 8:
        return None
    url = b"-" in text or b"_" in text
    if url and (b"+" in text or b"/" in text):
        return None  # mixed alphabets: not one base64 run
    try:
        padded = text + b"=" * (-len(text) % 4)
        data = base64.urlsafe_b64decode(padded) if url else base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    again = (base64.urlsafe_b64encode(data) if url else base64.b64encode(data)).rstrip(b"=")
    if again != text:
        return None  # not a faithful round trip: not really base64
    first = _offset_of(segments, start)
    return Decoded(first, "base64", data, segments[-1][1])


def _offset_of(segments: list[tuple[int, int]], index: int) -> int:
    for a, b in segments:
        if index < b - a:
            return a + index
        index -= b - a
    return segments[-1][1]


_RUN_AFTER = {
    "base64": re.compile(rb"[A-Za-z0-9+/_\-]*"),
    "hex": re.compile(rb"[0-9A-Fa-f]*"),
}
_NOT_IN = {
    "base64": re.compile(rb"[^A-Za-z0-9+/_\-]"),
    "hex": re.compile(rb"[^0-9A-Fa-f]"),
}
_BACK_STEP = 4096


def _span(view: bytes, position: int, alphabet: str) -> tuple[int, int]:
    """The run of `alphabet` characters around `position` (C-speed regex, bounded).

    Linear in the run: backwards in growing steps (never a search that retries at each
    start, which made a long run quadratic), and a run measured once per view."""
    cache: _SpanCache | None = getattr(_SPANS, "cache", None)
    if cache is not None:
        known = cache.find(alphabet, position)
        if known is not None:
            return known
    floor = max(0, position - MAX_RUN)
    start = position
    step = _BACK_STEP
    while start > floor:
        low = max(floor, start - step)
        outside = _NOT_IN[alphabet].search(view[low:start][::-1])
        if outside is not None:
            start -= outside.start()
            break
        start = low
        step *= 2
    after = _RUN_AFTER[alphabet].match(view, position, min(len(view), position + MAX_RUN))
    end = after.end() if after else position
    if cache is not None:
        cache.add(alphabet, start, end)
    return start, end


def _wrapped_segments(view: bytes, position: int) -> list[tuple[int, int]]:
    """The run's pieces: the span on the needle's line, plus whole lines above and below
    when the text is wrapped at a fixed width (64 or 76, the MIME and PEM widths). A
    block is joined once per view: every needle met inside it reuses the join."""
    cache: _SpanCache | None = getattr(_SPANS, "cache", None)
    if cache is not None:
        known = cache.block(position)
        if known is not None:
            return known
    segments = _join_wrapped(view, position)
    if cache is not None and len(segments) > 1:
        cache.add_block(segments)
    return segments


_B64_CHAR = rb"[A-Za-z0-9+/_\-]"
# A full-width line above, read backwards (the text reversed): its newline, then exactly
# `width` base64 characters, then only indentation back to the line's start.
_LINE_ABOVE = {
    width: re.compile(rb"\n\r?(" + _B64_CHAR + b"{%d})[ \t]*(?=\n|\\Z)" % width)
    for width in WRAP_WIDTHS
}
# The next line below: after the line break and indentation, a run of at most `width`.
_LINE_BELOW = {
    width: re.compile(rb"\r?\n[ \t]*(" + _B64_CHAR + b"{1,%d})(?!" % width + _B64_CHAR + b")")
    for width in WRAP_WIDTHS
}


def _join_wrapped(view: bytes, position: int) -> list[tuple[int, int]]:
    """`_wrapped_segments` without the cache: each line matched by one C-speed regex."""
    start, end = _span(view, position, "base64")
    width = end - start if end - start in WRAP_WIDTHS else None
    budget = MAX_RUN // 64
    above: list[tuple[int, int]] = []
    # Upwards: each line above must be one full-width run of base64, alone on its line
    # (after indentation), and this span must start its own line.
    line_start = view.rfind(b"\n", 0, start) + 1
    if line_start > 0 and view[line_start:start].strip(b" \t") == b"":
        floor = max(0, line_start - MAX_RUN)
        backwards = view[floor:line_start][::-1]
        widths = (width,) if width else WRAP_WIDTHS
        for candidate in widths:
            pattern, cursor = _LINE_ABOVE[candidate], 0
            while len(above) < budget:
                line = pattern.match(backwards, cursor)
                if line is None:
                    break
                a, b = line.span(1)
                above.append((line_start - b, line_start - a))
                cursor = line.end()
            if above:
                width = candidate
                break
    below: list[tuple[int, int]] = []
    last = (start, end)
    # Downwards: while the last line is full width, take the next line.
    while width and last[1] - last[0] == width and len(below) < budget:
        line = _LINE_BELOW[width].match(view, last[1])
        if line is None:
            break
        last = line.span(1)
        below.append(last)
    return [*reversed(above), (start, end), *below]


def looks_base64(view: bytes) -> bool:
    """Cheap: does the content open with a long run of base64 and nothing else (a `.b64`
    file, a decoded value that is itself base64)? Only the first 256 bytes are read."""
    head = view[:256].translate(None, b"\r\n")
    return len(head) >= 64 and all(c in _B64_ANY or c == 61 for c in head)


def whole_base64(view: bytes) -> Decoded | None:
    """The whole content decoded as one base64 run, when it is one (line breaks
    allowed): how base64 nested many times over is peeled, a layer per view."""
    if not looks_base64(view):
        return None
    text = view.translate(None, b" \t\r\n")
    if text.rstrip(b"=").translate(None, bytes(_B64_ANY)):
        return None  # something other than base64 in it
    stripped = text.rstrip(b"=")
    if len(stripped) % 4 == 1:
        return None
    url = b"-" in stripped or b"_" in stripped
    try:
        padded = stripped + b"=" * (-len(stripped) % 4)
        data = base64.urlsafe_b64decode(padded) if url else base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return Decoded(len(view) - len(view.lstrip()), "base64", data)


# --- hex ---------------------------------------------------------------------------------


def _hex_run(view: bytes, position: int) -> Decoded | None:
    start, end = _span(view, position, "hex")
    start += (position - start) % 2
    length = (end - start) // 2 * 2
    try:
        data = bytes.fromhex(view[start : start + length].decode("ascii"))
    except ValueError:
        return None
    return Decoded(start, "hex", data, start + length)


# --- character escapes -------------------------------------------------------------------

_ESCAPE = re.compile(
    rb"%([0-9A-Fa-f]{2})|\\x([0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})|\\u\{([0-9A-Fa-f]{1,6})\}"
    rb"|&#[xX]([0-9A-Fa-f]{1,6});|&#([0-9]{1,7});"
)
_ESCAPE_KIND = {1: "percent", 2: "escape", 3: "escape", 4: "escape", 5: "html", 6: "html"}
ESCAPE_WINDOW = 12  # bytes an escaped character can take, at most
_KEY_RUN = re.compile(rb"[A-Za-z0-9_\-]*")


def _escape_run(view: bytes, position: int, key_chars: int = 1100) -> Decoded | None:
    """Decode the escapes from `position` on (plain characters pass through), for as
    long as a key could run."""
    # Matched in place (never a copy of the window): a decoy costs what it is long.
    limit = min(len(view), position + key_chars * ESCAPE_WINDOW)
    first = _ESCAPE.match(view, position, limit)
    if first is None:
        return None
    kind = _ESCAPE_KIND[first.lastindex or 1]
    out = bytearray()
    cursor = position
    while cursor < limit:
        match = _ESCAPE.match(view, cursor, limit)
        if match is None:
            run = _KEY_RUN.match(view, cursor, limit)
            if run is None or run.end() == cursor:
                break  # the run of key characters ended: nothing after it belongs here
            out += run.group(0)
            cursor = run.end()
            continue
        index = match.lastindex or 1
        value = int(match.group(index), 10 if index == 6 else 16)
        try:
            out += chr(value).encode("utf-8")
        except (ValueError, OverflowError):
            break
        cursor = match.end()
    return Decoded(position, kind, bytes(out), cursor)
