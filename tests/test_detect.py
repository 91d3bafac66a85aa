"""The one definition of a key: truth tables, near misses and properties."""

from __future__ import annotations

import hashlib
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastaudit.detect import (
    KeySpec,
    find_keys,
    generate_key,
    is_key,
    redact,
    rejection_reason,
)
from fastaudit.sanitize import redact_keys

SPEC = KeySpec()
# A fixed-shape body built at run time: mixed case and digits, no words, no runs.
BODY = "".join(a + b + c for a, b, c in zip("qWeRtZuIoP", "7392018465", "mXnBvCkJhG", strict=False))


def verdict(text: str, spec: KeySpec = SPEC) -> list[str]:
    return [hit.key for hit in find_keys(text.encode(), spec)]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param(f"fast_prod_{BODY}", True, id="bare key"),
        pytest.param(f'KEY="fast_prod_{BODY}"', True, id="quoted assignment"),
        pytest.param(f"X-Fast-Api-Key: fast_prod_{BODY}", True, id="header"),
        pytest.param(f'{{"k": "a\\nfast_prod_{BODY}"}}', True, id="after JSON escape"),
        pytest.param(f"q=x%3Dfast_prod_{BODY}&y", True, id="after URL-encoding"),
        pytest.param(f"\\u003dfast_prod_{BODY}", True, id="after unicode escape"),
        pytest.param(f"breakfast_prod_{BODY}", False, id="glued to a word"),
        pytest.param(f"my_fast_prod_{BODY}", False, id="glued to an identifier"),
        pytest.param(f"9fast_prod_{BODY}", False, id="glued to a digit"),
        pytest.param(f"fast_prod_{BODY[:19]}", False, id="19 characters: too short"),
        pytest.param(f"fast_prod_{BODY[:20]}", True, id="20 characters: shortest"),
        pytest.param(generate_key(length=64), True, id="64 characters: longest"),
        pytest.param(generate_key(length=64) + "x", False, id="65 characters: too long"),
        pytest.param("fast_prod_" + generate_key()[10:] * 3, False, id="96 characters: too long"),
        pytest.param("fast_prod_...", False, id="placeholder dots"),
        pytest.param("fast_prod_your_key_here", False, id="placeholder your_key_here"),
        pytest.param("fast_prod_YOUR_API_KEY", False, id="placeholder YOUR_API_KEY"),
        pytest.param("fast_prod_YOUR_API_KEY_GOES_HERE_1234", False, id="long placeholder"),
        pytest.param("fast_prod_<key>", False, id="angle placeholder"),
        pytest.param("fast_prod_${VAR}", False, id="shell variable"),
        pytest.param("fast_prod_{{ api_key }}", False, id="template"),
        pytest.param("fast_prod_settings_for_backend", False, id="identifier of words"),
        pytest.param(
            "fast_prod_" + "".join(["Replace", "With", "Your", "Own", "Key", "2024"]),
            False,
            id="camel-case phrase",
        ),
        pytest.param("fast_prod_" + "x" * 30, False, id="repeated x"),
        pytest.param("fast_prod_" + "0" * 30, False, id="repeated zero"),
        pytest.param("fast_prod_" + string.ascii_lowercase, False, id="alphabet"),
        pytest.param("fast_prod_" + "1234567890" * 3, False, id="digits in sequence"),
        pytest.param("fast_prod_" + "aB3" * 10, False, id="periodic"),
        pytest.param("fast_prod_" + "Ab1Cd2" * 5, False, id="periodic unit of six"),
        pytest.param(f"FAST_PROD_{BODY}", False, id="upper-case prefix is not the prefix"),
    ],
)
def test_truth_table(text: str, found: bool) -> None:
    assert bool(verdict(text)) is found


def test_several_keys_on_one_line_are_all_found() -> None:
    a, b = generate_key(), generate_key()
    assert verdict(f"{a},{b} {a}") == [a, b, a]


def test_key_at_end_of_input_without_newline() -> None:
    key = generate_key()
    assert verdict(f"x\ny={key}") == [key]


def test_extra_prefix_and_length_range_are_configurable() -> None:
    spec = KeySpec(prefixes=("fast_prod_", "fast_stag_"), min_length=24, max_length=40)
    staging = generate_key("fast_stag_", 30)
    assert verdict(staging, spec) == [staging]
    assert verdict(staging) == []  # not a default prefix
    assert verdict(f"fast_prod_{BODY[:22]}", spec) == []  # below the raised minimum


def test_invalid_spec_is_refused() -> None:
    with pytest.raises(ValueError, match="length range"):
        KeySpec(min_length=30, max_length=20)
    with pytest.raises(ValueError, match="prefix"):
        KeySpec(prefixes=("",))


def test_redaction_shows_prefix_first_and_last_four() -> None:
    key = "fast_prod_" + BODY
    assert redact(key) == f"fast_prod_{BODY[:4]}…{BODY[-4:]}"
    assert BODY[4:-4] not in redact(key)


def test_fingerprint_is_sha256_of_the_full_key() -> None:
    key = generate_key()
    (hit,) = find_keys(key.encode(), SPEC)
    assert hit.sha256 == hashlib.sha256(key.encode()).hexdigest()
    assert key not in repr(hit)


def test_scrub_masks_key_shaped_text_in_messages() -> None:
    key = generate_key()
    message = f"cannot parse {key!r} at line 3"
    assert key not in redact_keys(message)
    assert redact(key) in redact_keys(message)


def test_rejection_reason_never_contains_the_body() -> None:
    for body in ("your_key_here_please_1234", "x" * 30, BODY):
        reason = rejection_reason(body, SPEC) or ""
        assert body not in reason


def test_random_keys_are_accepted() -> None:
    """Generated keys of the documented shape must all pass (no false negatives)."""
    keys = [generate_key(length=n) for n in (20, 24, 32, 48, 64) for _ in range(200)]
    assert all(is_key(k) for k in keys)


# --- properties --------------------------------------------------------------------------

_KEY_CHARS = string.ascii_letters + string.digits + "_-"
# Surrounding text: anything, but the character touching the key must not extend it.
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=80)
_left_edge = st.sampled_from([*list(" \t\n\"'=:;,({[<>/|"), "\\n", "%3D"])
_right_edge = st.sampled_from([*list(" \t\n\"'=:;,)}]<>/|."), "\\n", "%22"])


def real_keys() -> st.SearchStrategy[str]:
    body = st.text(alphabet=string.ascii_letters + string.digits, min_size=20, max_size=64)
    return body.map(lambda b: "fast_prod_" + b).filter(is_key)


@settings(max_examples=300, deadline=None)
@given(real_keys(), _text, _left_edge, _right_edge, _text)
def test_any_real_key_in_any_text_is_found_once_on_its_line(
    key: str, before: str, left: str, right: str, after: str
) -> None:
    # Surrounding text must not itself contain the prefix (that would be another key).
    before, after = before.replace("fast_prod_", ""), after.replace("fast_prod_", "")
    text = before + left + key + right + after
    data = text.encode("utf-8")
    hits = [h for h in find_keys(data, SPEC) if h.key == key]
    assert len(hits) == 1
    line = data[: hits[0].start].count(b"\n") + 1
    assert line == (before + left).count("\n") + 1


_PLACEHOLDERS = st.one_of(
    st.just("..."),
    st.builds(lambda w: "<" + w + ">", st.text(alphabet=string.ascii_letters, min_size=1)),
    st.builds(lambda w: "${" + w + "}", st.text(alphabet=string.ascii_uppercase, min_size=1)),
    st.builds(lambda w: "{{ " + w + " }}", st.text(alphabet=string.ascii_lowercase, min_size=1)),
    st.builds(
        lambda words, sep, upper: sep.join(w.upper() if upper else w for w in words),
        st.lists(
            st.sampled_from(
                [
                    "your",
                    "api",
                    "key",
                    "here",
                    "token",
                    "secret",
                    "goes",
                    "replace",
                    "me",
                    "with",
                    "backend",
                    "settings",
                    "for",
                ]
            ),
            min_size=2,
            max_size=8,
        ),
        st.sampled_from(["_", "-"]),
        st.booleans(),
    ),
    st.builds(lambda c, n: c * n, st.sampled_from(list(_KEY_CHARS)), st.integers(20, 64)),
)


@settings(max_examples=300, deadline=None)
@given(_PLACEHOLDERS, _text)
def test_no_placeholder_form_is_ever_reported(placeholder: str, after: str) -> None:
    text = f"key = fast_prod_{placeholder}\n{after.replace('fast_prod_', '')}"
    assert verdict(text) == []


@pytest.mark.parametrize("tail", ["1q", "1qQ", "7ab-c", "1q_"])
def test_long_lower_case_runs_are_judged_in_linear_time(tail: str) -> None:
    # Regression: a nested quantifier in the word-shape check backtracked exponentially
    # on a long lower-case run that fails at its very end (this call never returned).
    body = "q" * 58 + tail
    assert not is_key("fast_prod_" + body)
    assert list(find_keys(f"k=fast_prod_{body}\n".encode(), KeySpec())) == []
