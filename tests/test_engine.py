"""The engine over bytes: encodings, binaries, line endings, chunk boundaries, suppression."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastaudit.detect import KeySpec, generate_key, redact
from fastaudit.engine import scan_bytes, scan_chunks

SPEC = KeySpec()


def places(data: bytes, chunk: int | None = None) -> list[tuple[str, int]]:
    chunks = [data] if chunk is None else [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return [(f.rule_id, f.line or 0) for f in scan_chunks(chunks, "f", SPEC)]


def test_lines_with_windows_line_endings_and_several_keys() -> None:
    a, b = generate_key(), generate_key()
    data = f"one\r\ntwo {a} and {b}\r\nthree\r\n{a}".encode()
    findings = scan_bytes(data, "f", SPEC)
    assert [(f.line, f.column, f.redacted) for f in findings] == [
        (2, 5, redact(a)),
        (2, 5 + len(a) + 5, redact(b)),
        (4, 1, redact(a)),
    ]


def test_finding_never_carries_the_key() -> None:
    key = generate_key()
    (finding,) = scan_bytes(key.encode(), "f", SPEC)
    assert key not in repr(finding)
    assert key not in str(finding.to_dict())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text(encoding: str) -> None:
    key = generate_key()
    text = f"first\nsecond\nFAST_API_KEY={key}\n"
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = b"\x00\x01binary header\n" + data  # wide string inside a binary, no BOM
        expected_line = 4
    else:
        expected_line = 3
    assert places(data) == [("FAST001", expected_line)]


def test_latin1_and_invalid_utf8_do_not_hide_keys() -> None:
    key = generate_key()
    data = "café = ".encode("latin-1") + b"\xff\xfe\xfd " + key.encode() + b"\n"
    assert places(data) == [("FAST001", 1)]


def test_binary_file_with_embedded_key() -> None:
    key = generate_key()
    data = bytes(range(256)) * 10 + b"\x00" + key.encode() + b"\x00" + bytes(range(256))
    assert [f.redacted for f in scan_bytes(data, "f", SPEC)] == [redact(key)]


@pytest.mark.parametrize("chunk", [1, 3, 64, 97, 1000, 4096])
def test_key_on_every_chunk_boundary_is_found_exactly_once(chunk: int) -> None:
    key = generate_key()
    data = b"".join(b"line %d\n" % i for i in range(300)) + key.encode() + b"\n" + b"z" * 500
    assert places(data, chunk) == [("FAST001", 301)]


def test_overlong_run_split_across_chunks_is_not_a_key() -> None:
    # 200 key characters: too long to be a key, whatever chunk sees a piece of it.
    run = (generate_key()[10:] * 10)[:200]
    data = b"x " + b"fast_prod_" + run.encode() + b"\n"
    for chunk in (16, 50, 77, 128):
        assert places(data, chunk) == []


def test_pathological_long_line_of_spaces_is_scanned() -> None:
    key = generate_key()
    data = b" " * 5_000_000 + key.encode() + b" " * 5_000_000
    assert places(data, 1 << 20) == [("FAST001", 1)]


@pytest.mark.parametrize(
    ("line", "suppressed"),
    [
        ("key = '{k}'  # fastaudit: allow", True),
        ("key = '{k}'  # pragma: allowlist secret", True),
        ("key = '{k}'  # fastaudit: allowed? no", True),
        ("key = '{k}'", False),
    ],
)
def test_inline_allow_comments(line: str, suppressed: bool) -> None:
    data = line.format(k=generate_key()).encode()
    assert (places(data) == []) is suppressed


def test_allow_next_line_comment() -> None:
    key = generate_key()
    data = f"# fastaudit: allow-next-line\nkey = '{key}'\nother = '{key}'\n".encode()
    assert places(data) == [("FAST001", 3)]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("url = 'http://api.tools.fast/convert'", True),  # fastaudit: allow
        ("URL=HTTP://API.TOOLS.FAST/compress", True),  # fastaudit: allow
        ("see http://tools.fast.", True),  # fastaudit: allow
        ("http://tools.fast:8080/x", True),  # fastaudit: allow
        ("https://api.tools.fast/convert", False),
        ("http://tools.fast.example.com/", False),
        ("http://notools.fast/", False),
        ("http://mytools.fastly.net/", False),
    ],
)
def test_plain_http_urls_to_tools_fast(text: str, flagged: bool) -> None:
    findings = scan_bytes(text.encode(), "f", SPEC)
    assert [f.rule_id for f in findings] == (["FAST003"] if flagged else [])
    if flagged:
        assert findings[0].message is not None
        assert findings[0].message.startswith("http://")
        assert "/" not in findings[0].message[len("http://") :]


def test_http_url_message_drops_the_query_string_that_may_hold_a_key() -> None:
    key = generate_key()
    data = f"http://api.tools.fast/convert?api_key={key}".encode()  # fastaudit: allow
    findings = scan_bytes(data, "f", SPEC)
    assert sorted(f.rule_id for f in findings) == ["FAST001", "FAST003"]
    assert all(key not in str(f.to_dict()) for f in findings)


def _fingerprints(findings: list[Any]) -> list[tuple[Any, ...]]:
    return [(f.rule_id, f.line, f.column, f.secret_sha256) for f in findings]


@pytest.mark.parametrize("chunk", [1, 7, 53, 300])
def test_chunked_scan_judges_every_finding_as_a_whole_scan_does(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by fuzzing with a tiny LINE_CONTEXT (so buffers are trimmed constantly): an
    allow comment behind or ahead of a key on a long line, a key right after a rejected
    over-long run, a key inside an accepted one, and columns on lines that began in an
    earlier chunk must come out the same however the input is cut."""
    from fastaudit import engine

    monkeypatch.setattr(engine, "LINE_CONTEXT", 40)
    key, other = generate_key(), generate_key()
    cases = [
        "x" * 90 + f" {key} ; fastaudit: allow\n",
        f"fastaudit: allow here{'y' * 70} {key}\n",
        "fast_prod_" + "c" * 70 + f"A-{key}\nnext\n",
        f"\\u003dfast_prod_-{key}-tail\n",
        "z" * 500 + f" {key} " + "w" * 300 + f" http://tools.fast {other}\n",  # fastaudit: allow
        "fastaudit: allow-next-line\n" + "q" * 120 + f" {key}\n",
    ]
    spec = KeySpec()
    for text in cases:
        data = text.encode()
        whole = engine.scan_bytes(data, "f", spec)
        pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
        assert _fingerprints(list(engine.scan_chunks(pieces, "f", spec))) == _fingerprints(whole)
        for finding in whole:
            line = data.split(b"\n")[finding.line - 1]
            assert line[finding.column - 1 :].lower().startswith((b"fast_prod_", b"http://"))


_PIECES = [
    "fast_prod_",
    "_",
    "-",
    "\\n",
    "%3D",
    "\\u003d",
    "é",
    "\x00",
    " ",
    "\n",
    "\r\n",
    "http://tools.fast",  # fastaudit: allow
    "HTTP://API.TOOLS.FAST",  # fastaudit: allow
    "fastaudit: allow",
    "fastaudit: allow-next-line",
]


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.one_of(
            st.sampled_from(_PIECES),
            st.text(alphabet="aA0_-qz9", min_size=1, max_size=80),
            st.builds(generate_key),
        ),
        max_size=40,
    ),
    chunk=st.integers(min_value=1, max_value=400),
)
def test_property_chunking_never_changes_a_verdict(parts: list[str], chunk: int) -> None:
    from fastaudit import engine

    saved = engine.LINE_CONTEXT
    engine.LINE_CONTEXT = 24  # trim buffers constantly
    try:
        data = "".join(parts).encode("utf-8")
        spec = KeySpec()
        whole = engine.scan_bytes(data, "f", spec)
        pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)] or [b""]
        assert _fingerprints(list(engine.scan_chunks(pieces, "f", spec))) == _fingerprints(whole)
    finally:
        engine.LINE_CONTEXT = saved
