"""The two engines behind the disguise gate answer alike: Hyperscan where its wheel
exists, the Aho-Corasick automaton elsewhere (a window at a time)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastaudit.unwrap.gate import _patterns
from fastaudit.unwrap.multisearch import WINDOW, MultiSearch

PATTERNS = (
    *_patterns(("fast_prod_",)),
    b"fast_prod_",
    "fast_prod_".encode("utf-16-le"),  # holds NULs
)

pieces = st.sampled_from([*PATTERNS, b"x", b"\n", b"\0", b"fast", b"%6", b"ZmFz", b"\\x6"])


@pytest.fixture(scope="module")
def engines() -> tuple[MultiSearch, MultiSearch]:
    fast = MultiSearch(PATTERNS)
    if fast.engine != "hyperscan":
        pytest.skip("no Hyperscan wheel on this platform")
    return fast, MultiSearch(PATTERNS, hyperscan=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(pieces, max_size=40))
def test_both_engines_agree(engines: tuple[MultiSearch, MultiSearch], parts: list[bytes]) -> None:
    data = b"".join(parts)
    fast, automaton = engines
    expected = {p for p in PATTERNS if p in data}
    assert fast.present(data) == automaton.present(data) == expected
    assert fast.any(data) == automaton.any(memoryview(data)) == bool(expected)


def test_overlapping_patterns_are_all_present() -> None:
    """`%66` then the hex of the prefix starting inside it: both occur (the automaton once
    resumed after the first match and missed the second)."""
    data = b"%6666173745f70726f645f"
    for engine in (MultiSearch(PATTERNS), MultiSearch(PATTERNS, hyperscan=False)):
        assert {b"%66", b"666173745f70726f645f"} <= engine.present(data)


def test_a_match_across_the_automatons_windows_is_seen() -> None:
    automaton = MultiSearch(PATTERNS, hyperscan=False)
    data = b"x" * (WINDOW - 3) + b"%66" + b"y" * WINDOW
    assert automaton.any(data) and automaton.present(data) == {b"%66"}
    assert not automaton.any(b"x" * (3 * WINDOW))
