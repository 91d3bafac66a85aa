"""fastaudit's own scanning engine: a stream of bytes in, findings out.

Speed comes from doing as little as possible in Python: a literal `in` test (C speed)
rejects almost every file before any regular expression runs. Memory stays bounded because
a large input arrives as chunks that overlap by just enough bytes for a key and its
context, so a key on a chunk boundary is seen whole exactly once. Work is linear in the
input: no backtracking pattern, and line numbers come from one running newline count.

This module is pure: it never opens a file. Sources hand it bytes.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from fastaudit.detect import LOOKBEHIND, KeyHit, KeySpec, KeyVault, detect_secrets_hash, find_keys
from fastaudit.findings import RULES, Finding

# Chunk size for inputs too large to take in one piece. Large enough that per-chunk
# overhead vanishes, small enough that a 10 GB blob costs a few tens of MB of memory.
CHUNK_SIZE = 8 * 1024 * 1024

# How far to look either side of a key for an allow comment on the same line. Bounded so
# that a 100 MB minified line costs the same per key as a short one.
LINE_CONTEXT = 64 * 1024

URL_WINDOW = 300
_HTTP_URL = re.compile(
    rb"(?i)(?<![a-z0-9+.-])http://((?:[a-z0-9-]+\.)*tools\.fast)(?![a-z0-9-]|\.[a-z0-9])"
)

ALLOW_MARKERS = (b"fastaudit: allow", b"pragma: allowlist secret", b"pragma: whitelist secret")
ALLOW_NEXT_LINE_MARKERS = (b"fastaudit: allow-next-line", b"pragma: allowlist nextline secret")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass
class EngineStats:
    """Counts a run reports so users can see what was (not) looked at."""

    suppressed_inline: int = 0
    # (path, rule, how many more) for each file whose findings went past the cap
    capped: list[tuple[str, str, int]] = field(default_factory=list)


def capped_notes(stats: EngineStats) -> list[str]:
    """One warning per file whose findings went past the per-rule cap."""
    return [
        f"{path or 'an object'}: {count} more {rule} match(es) not listed "
        "(max_findings_per_file; allow comments on them were not checked)"
        for path, rule, count in stats.capped
    ]


def _decode_bom(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Yield the chunks unchanged, or re-encoded as UTF-8 when the input starts with a
    UTF-16/32 byte order mark, so the byte-level patterns see the text."""
    iterator = iter(chunks)
    first = next(iterator, b"")
    encoding = next((enc for bom, enc in _BOMS if first.startswith(bom)), None)
    if encoding is None:
        yield first
        yield from iterator
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    yield decoder.decode(first).encode("utf-8")
    for chunk in iterator:
        yield decoder.decode(chunk).encode("utf-8")
    yield decoder.decode(b"", final=True).encode("utf-8")


def _suppressed(buf: bytes, start: int, end: int) -> bool:
    """An allow comment on the key's line, or an allow-next-line comment on the line before.

    Context is bounded (LINE_CONTEXT bytes each way from the finding, and as much again
    for the line before), so the verdict never depends on where a chunk happened to
    start or end: `scan_chunks` keeps exactly that much around every finding.
    """
    low = max(0, start - LINE_CONTEXT)
    newline = buf.rfind(b"\n", low, start)
    line_start = newline + 1 if newline >= 0 else low
    high = min(len(buf), end + LINE_CONTEXT)
    line_end = buf.find(b"\n", end, high)
    line = buf[line_start : line_end if line_end >= 0 else high]
    if any(marker in line for marker in ALLOW_MARKERS):
        return True
    if newline < 0:
        return False  # no line before this one within reach
    prev_low = max(0, newline - LINE_CONTEXT)
    prev_newline = buf.rfind(b"\n", prev_low, newline)
    previous = buf[(prev_newline + 1 if prev_newline >= 0 else prev_low) : newline]
    return any(marker in previous for marker in ALLOW_NEXT_LINE_MARKERS)


def _wide_hits(buf: bytes, spec: KeySpec, own_start: int, own_end: int) -> Iterator[KeyHit]:
    """Keys stored as UTF-16 without a byte order mark (wide strings in binaries).

    Every other byte of such text is the ASCII character, so a strided slice is a narrow
    view whose offsets map straight back (offset * 2 + parity).
    """
    seen: set[int] = set()
    for marker in spec.utf16_markers:
        for big_endian in (False, True):
            needle = (b"\x00" + marker[:-1]) if big_endian else marker
            pos = buf.find(needle)
            while pos >= 0:
                parity = (pos + 1) % 2 if big_endian else pos % 2
                if parity not in seen:
                    seen.add(parity)
                    narrow = buf[parity::2]
                    lo = max(0, (own_start - parity + 1) // 2)
                    hi = max(0, (own_end - parity + 1) // 2)
                    for hit in find_keys(narrow, spec, lo, hi):
                        raw = parity + 2 * hit.start
                        zeros = buf[raw + (-1 if big_endian else 1) : parity + 2 * hit.end : 2]
                        if big_endian and raw == 0:
                            continue
                        if zeros.strip(b"\x00"):
                            continue  # not ASCII-in-UTF-16 after all
                        yield KeyHit(raw, parity + 2 * hit.end, hit.prefix, hit.key)
                pos = buf.find(needle, pos + 1)
                if len(seen) == 2:
                    return


def scan_chunks(
    chunks: Iterable[bytes],
    path: str,
    spec: KeySpec,
    *,
    source: str = "worktree",
    rule_id: str = "FAST001",
    stats: EngineStats | None = None,
    vault: KeyVault | None = None,
) -> Iterator[Finding]:
    """Findings in a byte stream, in order. `chunks` may be one piece or many."""
    # A finding is judged once LINE_CONTEXT bytes past it are in the buffer (its line,
    # for allow comments), and the buffer keeps 2 * LINE_CONTEXT behind it (its line and
    # the one before): the same verdicts as scanning the input in one piece.
    overlap = max(spec.window, URL_WINDOW) + LOOKBEHIND + LINE_CONTEXT
    stats = stats if stats is not None else EngineStats()
    buf = b""
    base = 0  # absolute offset of buf[0]
    own_start = 0  # absolute offset from which matches belong to the current buffer
    newlines = 0  # newlines in [0, counted)
    counted = 0
    last_newline = -1  # absolute offset of the last newline in [0, counted)
    cap = spec.max_findings_per_rule
    reported: Counter[str] = Counter()
    over: Counter[str] = Counter()
    iterator = iter(_decode_bom(chunks))
    pending = next(iterator, None)
    while pending is not None:
        chunk, pending = pending, next(iterator, None)
        buf = buf + chunk if buf else chunk
        final = pending is None
        own_end = base + len(buf) if final else base + len(buf) - overlap + LOOKBEHIND
        if own_end > own_start:
            lo, hi = own_start - base, own_end - base
            events: list[tuple[int, int, Finding]] = []
            for hit in _iter_key_hits(buf, spec, lo, hi):
                if reported[rule_id] >= cap:
                    over[rule_id] += 1  # counted, not judged: the cap keeps this linear
                    continue
                if _suppressed(buf, hit.start, hit.end):
                    stats.suppressed_inline += 1
                    continue
                if vault is not None:
                    vault.add(hit)
                reported[rule_id] += 1
                keyed = key_finding(hit, path, rule_id, source)
                line_text = masked_line(buf, hit, spec)
                if line_text is not None:
                    keyed = keyed.with_changes(snippet=line_text)
                events.append((hit.start, hit.end, keyed))
            url_budget = cap - reported["FAST003"]
            for event in _url_events(buf, path, source, lo, hi, url_budget, over):
                reported["FAST003"] += 1
                events.append(event)
            events.sort(key=lambda e: e[0])
            for start, _end, finding in events:
                found = buf.count(b"\n", counted - base, start)
                if found:
                    newlines += found
                    last_newline = base + buf.rfind(b"\n", counted - base, start)
                counted = base + start
                # Columns from the running newline position: correct even when the line
                # began in an earlier chunk, and linear however many keys share a line.
                yield finding.with_changes(line=newlines + 1, column=base + start - last_newline)
            own_start = own_end
        if final:
            break
        # Keep the overlap a key needs ahead, plus the two lines of context an allow
        # comment may sit in behind (the key's line and the one before it), so a key just
        # past a chunk boundary is judged exactly as it would be in one piece.
        keep = buf[-(overlap + 2 * LINE_CONTEXT + 2) :]
        new_base = base + len(buf) - len(keep)
        if counted < new_base:  # an event may already have counted a little further
            found = buf.count(b"\n", counted - base, new_base - base)
            if found:
                newlines += found
                last_newline = base + buf.rfind(b"\n", counted - base, new_base - base)
            counted = new_base
        base, buf = new_base, keep
    for rule, count in sorted(over.items()):
        stats.capped.append((path, rule, count))


# How much of the line a snippet shows on each side of the key.
SNIPPET_SIDE = 60
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{24,}")


def masked_line(buf: bytes, hit: KeyHit, spec: KeySpec) -> str | None:
    """The key's line as a person would recognise it, shortened around the key: the key
    shown redacted, any other key on the line reduced to its prefix, and any other long
    token (which could be a key in another encoding) elided. None when the key is not
    plain text in `buf` (a UTF-16 hit)."""
    if buf[hit.start : hit.end] != hit.key.encode("ascii", "replace"):
        return None
    line_start = buf.rfind(b"\n", 0, hit.start) + 1
    line_end = buf.find(b"\n", hit.end)
    if line_end < 0:
        line_end = len(buf)
    lo = max(line_start, hit.start - SNIPPET_SIDE)
    hi = min(line_end, hit.end + SNIPPET_SIDE)
    before = _mask_text(buf[lo : hit.start], spec)
    after = _mask_text(buf[hit.end : hi], spec)
    text = ("…" if lo > line_start else "") + before.lstrip()
    text += hit.redacted + after.rstrip() + ("…" if hi < line_end else "")
    return text


def _mask_text(data: bytes, spec: KeySpec) -> str:
    text = data.decode("utf-8", "replace")
    text = "".join(" " if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in text)
    for prefix in spec.prefixes:
        text = re.sub(re.escape(prefix) + r"[A-Za-z0-9_\-]+", prefix + "…", text)
    return _LONG_TOKEN.sub("…", text)


def _iter_key_hits(buf: bytes, spec: KeySpec, lo: int, hi: int) -> Iterator[KeyHit]:
    if any(p in buf for p in spec.prefix_bytes):
        yield from find_keys(buf, spec, lo, hi)
    if b"\x00" in buf and any(m in buf for m in spec.utf16_markers):
        yield from _wide_hits(buf, spec, lo, hi)


def key_finding(hit: KeyHit, path: str, rule_id: str, source: str) -> Finding:
    """The FAST001/FAST002 finding for one key hit: hashes and the redacted form, never the key."""
    rule = RULES[rule_id]
    return Finding(
        rule_id=rule_id,
        severity=rule.severity,
        path=path,
        secret_sha256=hit.sha256,
        secret_sha1=detect_secrets_hash(hit.key),
        redacted=hit.redacted,
        source=source,
    )


def _may_hold_http_url(buf: bytes) -> bool:
    """Cheap test before the URL regex: some `://` followed closely by a Tools.FAST host
    in any letter case. Lower-cases only small windows, never the whole buffer."""
    if b"tools.fast" in buf:
        return b"://" in buf
    pos = buf.find(b"://")
    while pos >= 0:
        if b"tools.fast" in buf[pos : pos + URL_WINDOW].lower():
            return True
        pos = buf.find(b"://", pos + 3)
    return False


def _url_events(
    buf: bytes, path: str, source: str, lo: int, hi: int, budget: int, over: Counter[str]
) -> Iterator[tuple[int, int, Finding]]:
    if not _may_hold_http_url(buf):
        return
    rule = RULES["FAST003"]
    for match in _HTTP_URL.finditer(buf, max(0, lo - LOOKBEHIND)):
        if match.start() < lo:
            continue
        if match.start() >= hi:
            break
        if budget <= 0:
            over["FAST003"] += 1
            continue
        if _suppressed(buf, match.start(), match.end()):
            continue
        budget -= 1
        host = match.group(1).decode("ascii").lower()
        url = f"http://{host}"
        yield (
            match.start(),
            match.end(),
            # The message (scheme and host only: a query string could hold a key) is also
            # what identifies this finding in a baseline (see Finding.fingerprint).
            Finding(
                rule_id="FAST003",
                severity=rule.severity,
                path=path,
                source=source,
                message=url,
                evidence={"url": url},
            ),
        )


def may_hold_findings(data: bytes, spec: KeySpec) -> bool:
    """The whole engine's pre-filter for one in-memory input: False means `scan_chunks`
    would find nothing, so callers with many small files can skip it entirely."""
    if any(p in data for p in spec.prefix_bytes):
        return True
    if data[:4].startswith(tuple(bom for bom, _ in _BOMS)):
        return True  # UTF-16/32 text: only the decoded form can be judged
    if b"\x00" in data and any(m in data for m in spec.utf16_markers):
        return True
    return _may_hold_http_url(data)


def scan_bytes(
    data: bytes, path: str, spec: KeySpec, *, source: str = "worktree", rule_id: str = "FAST001"
) -> list[Finding]:
    """All findings in an in-memory blob."""
    return list(scan_chunks((data,), path, spec, source=source, rule_id=rule_id))
