"""Fuzzing every output format with hostile strings in every field a repository or an
inventory controls: file names, commit metadata, refs, inventory ids, names and allowlist
entries. Whatever the input, text output has no raw control character, JSON and SARIF
parse, JUnit and HTML are well-formed, and no key-shaped run survives anywhere."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastaudit import checks
from fastaudit.config import Config
from fastaudit.detect import fingerprint, generate_key, redact
from fastaudit.errors import InputError
from fastaudit.findings import RULES, Finding
from fastaudit.inventory import from_document
from fastaudit.report import Report, render

KEYS = [generate_key() for _ in range(4)]
_RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# Text with the characters that break outputs: controls, escapes, surrogates (file names
# that are not UTF-8), bidi overrides, quotes and markup, and now and then a whole key.
_nasty_chars = st.sampled_from(
    ["\x1b", "\r", "\n", "\t", "\x00", "\x07", "\x9b", "\u202e", "\u2028", "\udcff", "\udc80",
     "<", "&", '"', "]]>", "%", "#", " ", "/", "é", "☃", "\ufffe"]
)  # fmt: skip
_piece = st.one_of(
    st.text(max_size=8), _nasty_chars, st.sampled_from(KEYS), st.just("https://u:pw@h/")
)
hostile = st.lists(_piece, max_size=6).map("".join)
# File names and paths: anything but NUL, which no file system or git path can hold.
hostile_path = hostile.map(lambda text: text.replace("\x00", ""))


@st.composite
def findings(draw: Any) -> Finding:
    key = draw(st.sampled_from(KEYS))
    rule_id = draw(st.sampled_from(["FAST001", "FAST002", "FAST003"]))
    return Finding(
        rule_id=rule_id,
        severity=RULES[rule_id].severity,
        path=draw(hostile_path) or "x",
        line=draw(st.integers(1, 10**6)),
        column=draw(st.integers(1, 500)),
        secret_sha256=fingerprint(key) if rule_id != "FAST003" else None,
        redacted=redact(key) if rule_id != "FAST003" else None,
        message=draw(hostile) if rule_id == "FAST003" else None,
        commit=draw(st.sampled_from([None, "a" * 40])),
        author_email=draw(hostile),
        date="2026-01-01T00:00:00+00:00",
        refs=tuple(draw(st.lists(hostile, max_size=3))),
        in_head=draw(st.booleans()),
        repo=draw(st.sampled_from([None, "repo"])),
    )


@st.composite
def inventory_findings(draw: Any) -> tuple[list[Finding], list[Any]]:
    record = {
        "id": draw(hostile) or "k",
        "name": draw(hostile) or "n",
        "environment": "production",
        "created_at": "2025-01-01",
        "allowed_ips": draw(st.lists(hostile, max_size=3)),
        "owner": draw(hostile),
    }
    try:
        inventory = from_document({"keys": [record]}, "fuzz")
    except InputError:
        return [], []
    context = checks.CheckContext(Config(), datetime(2026, 6, 30, tzinfo=timezone.utc))
    result = checks.run(inventory, context)
    return result.findings, result.passes


def _check_outputs(report: Report) -> None:
    for name in ("text", "json", "sarif", "html", "junit"):
        stream = io.StringIO()
        render(name, report, stream)
        body = stream.getvalue()
        body.encode("utf-8")  # no lone surrogate: valid UTF-8 on disk
        for key in KEYS:
            assert key not in body, f"{name}: a full key survived"
        if name == "text":
            found = _RAW_CONTROL.search(body)
            assert found is None, f"raw control {found.group(0)!r} in text output"
        elif name in ("json", "sarif"):
            json.loads(body)
        elif name == "junit":
            ET.fromstring(body.encode("utf-8"))
        else:
            assert "\x1b" not in body and "\x00" not in body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(findings(), max_size=5),
    inventory_findings(),
    st.lists(hostile, max_size=3),
    hostile_path,
)
def test_every_format_survives_hostile_metadata(
    found: list[Finding],
    inventory: tuple[list[Finding], list[Any]],
    warnings: list[str],
    root: str,
) -> None:
    inventory_found, passes = inventory
    report = Report(
        command="audit",
        findings=found + inventory_found,
        root=root or "/",
        warnings=warnings,
        passes=passes,
        parameters={"inventory": root, "prefixes": ["fast_prod_"]},
        repos=[{"name": root or "r", "path": root or "/", "stats": {}, "error": root or None}],
    )
    _check_outputs(report)
