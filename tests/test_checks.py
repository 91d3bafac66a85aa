"""The hygiene rules, table-driven, with boundary dates and time zones."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from fastaudit import checks
from fastaudit.checks.leaks import hint_matches
from fastaudit.config import Config
from fastaudit.findings import Finding, Practice, Severity
from fastaudit.inventory import Departure, from_document, parse_when

AS_OF = datetime(2026, 6, 30, tzinfo=timezone.utc)


def key(**fields: Any) -> dict[str, Any]:
    record = {
        "id": "k1",
        "name": "Staging Backend",
        "environment": "staging",
        "created_at": "2026-06-01",
        "last_used_at": "2026-06-29",
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def run(
    *records: dict[str, Any],
    as_of: datetime = AS_OF,
    config: Config | None = None,
    departures: tuple[Departure, ...] = (),
    leaks: tuple[Finding, ...] = (),
) -> checks.CheckResult:
    inventory = from_document({"schema_version": 1, "keys": list(records)}, "test")
    context = checks.CheckContext(config or Config(), as_of, departures, leaks)
    return checks.run(inventory, context)


def rules(result: checks.CheckResult, key_id: str | None = None) -> list[tuple[str, str]]:
    return sorted(
        (f.rule_id, f.severity.label)
        for f in result.findings
        if key_id is None or f.key_id == key_id
    )


# --- FAST110 rotation overdue: exactly 90 days passes, 91 fails, past 180 is high -----


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2026-04-01T00:00:00Z", []),  # exactly 90 days
        ("2026-04-01T00:00:01Z", []),  # 89 days and change
        ("2026-03-31T23:59:59Z", [("FAST110", "medium")]),  # 90 days and a second
        ("2026-03-31", [("FAST110", "medium")]),  # 91 days
        ("2026-01-01", [("FAST110", "medium")]),  # 180 days: not yet twice the limit
        ("2025-12-31", [("FAST110", "high")]),  # 181 days
        # Time zones: 2026-04-01T01:00+02:00 is 2026-03-31T23:00Z, i.e. over 90 days.
        ("2026-04-01T01:00:00+02:00", [("FAST110", "medium")]),
        ("2026-03-31T20:00:00-05:00", []),  # 2026-04-01T01:00Z
    ],
)
def test_rotation_overdue_boundaries(created_at: str, expected: list[tuple[str, str]]) -> None:
    result = run(key(created_at=created_at, last_used_at="2026-06-29"))
    assert [r for r in rules(result) if r[0] == "FAST110"] == expected


def test_max_age_is_configurable() -> None:
    result = run(key(created_at="2026-06-01"), config=Config(max_age_days=20))
    finding = next(f for f in result.findings if f.rule_id == "FAST110")
    assert finding.evidence == {"age_days": 29, "max_age_days": 20, "created_at": "2026-06-01"}
    assert finding.practice is Practice.ROTATE
    assert "(4) Delete the old key." in finding.remediation


# --- FAST111 rotation left half done -----------------------------------------------------


@pytest.mark.parametrize(
    ("new_created", "old_last_used", "expected_step"),
    [
        ("2026-06-23", "2026-06-29", None),  # 7 days of overlap: within the window
        ("2026-06-22", "2026-06-29", 2),  # 8 days, old key still used: deploy pending
        ("2026-06-22", "2026-06-20", 4),  # 8 days, old key idle: delete forgotten
    ],
)
def test_rotation_half_done(
    new_created: str, old_last_used: str, expected_step: int | None
) -> None:
    old = key(id="old", created_at="2026-05-01", last_used_at=old_last_used)
    new = key(id="new", name="Staging Backend (new)", created_at=new_created)
    result = run(old, new)
    half = [f for f in result.findings if f.rule_id == "FAST111"]
    if expected_step is None:
        assert half == []
        return
    assert [f.key_id for f in half] == ["old"]
    assert half[0].evidence["pending_step"] == expected_step
    assert half[0].evidence["new_key"] == "new"
    assert ("still being used" in half[0].message) is (expected_step == 2)


@pytest.mark.parametrize(
    ("old_name", "new_name", "rotation"),
    [
        ("Production Used44", "Production Used46", False),  # a number glued to a word
        ("Slash24", "Slash23", False),
        ("Renew Service", "Renew Service2", False),
        ("Staging Backend", "Staging Backend v2", True),
        ("Staging Backend", "Staging Backend (new)", True),
        ("Staging Backend old", "Staging Backend", True),
        ("Staging Backend", "staging_backend_2026-06-22", True),
        ("Staging Backend 1", "Staging Backend 2", True),
    ],
)
def test_rotation_pairs_by_name(old_name: str, new_name: str, rotation: bool) -> None:
    old = key(id="old", name=old_name, created_at="2026-05-01", last_used_at="2026-06-29")
    new = key(id="new", name=new_name, created_at="2026-06-01")
    half = [f.key_id for f in run(old, new).findings if f.rule_id == "FAST111"]
    assert half == (["old"] if rotation else [])


def test_keys_of_different_environments_are_not_a_rotation() -> None:
    a = key(id="a", name="Backend", environment="staging", created_at="2026-05-01")
    b = key(
        id="b",
        name="Backend",
        environment="production",
        created_at="2026-06-01",
        allowed_ips=["52.14.7.10"],
    )
    assert [f for f in run(a, b).findings if f.rule_id == "FAST111"] == []


# --- FAST112 departures --------------------------------------------------------------------


def test_key_created_before_a_departure_is_flagged() -> None:
    left = (Departure("Sam", parse_when("2026-06-10", "test")),)
    before = key(id="before", created_at="2026-06-09T23:59:59Z")
    after = key(id="after", name="CI Pipeline", environment="ci", created_at="2026-06-10T00:00:01Z")
    result = run(before, after, departures=left)
    assert rules(result, "before") == [("FAST112", "high")]
    assert rules(result, "after") == []
    assert result.findings[0].evidence["departures"] == [{"name": "Sam", "left_at": "2026-06-10"}]


def test_departure_after_as_of_is_ignored() -> None:
    left = (Departure("Sam", parse_when("2026-07-10", "test")),)
    assert run(key(), departures=left).findings == []


# --- FAST120 / FAST121 usage --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"last_used_at": "2026-05-16"}, []),  # 45 days idle
        ({"last_used_at": "2026-05-15"}, [("FAST120", "low")]),  # 46 days
        ({"last_used_at": None, "created_at": "2026-06-16"}, []),  # 14 days, never used
        ({"last_used_at": None, "created_at": "2026-06-15"}, [("FAST121", "low")]),  # 15 days
    ],
)
def test_usage(fields: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert rules(run(key(**fields))) == expected


# --- FAST101-104 allowlists ------------------------------------------------------------


def prod(*ips: str) -> dict[str, Any]:
    return key(name="Production Backend", environment="production", allowed_ips=list(ips))


@pytest.mark.parametrize(
    ("ips", "expected"),
    [
        ((), [("FAST101", "high")]),
        (("52.14.7.10",), []),
        (("52.14.7.0/24",), []),
        (("2600:1f18:abcd::/48",), []),
        (("2600:1f18:abcd::10",), []),
        (("0.0.0.0/0",), [("FAST102", "high")]),
        (("0.0.0.0",), [("FAST102", "high")]),
        (("::/0",), [("FAST102", "high")]),
        (("::",), [("FAST102", "high")]),
        (("52.14.0.0/23",), [("FAST102", "medium")]),
        (("2600:1f00::/24",), [("FAST102", "medium")]),
        (("52.14.7.5/24",), [("FAST103", "medium")]),  # host bits set
        (("2600:1f18::1/64",), [("FAST103", "medium")]),
        (("not-an-ip",), [("FAST103", "medium")]),
        (("52.14.7.300",), [("FAST103", "medium")]),
        (("52.14.7.0/33",), [("FAST103", "medium")]),
        (("",), [("FAST103", "medium")]),
        (("52.14.7.10", "52.14.7.10"), [("FAST103", "low")]),  # duplicate
        (("52.14.7.0/24", "52.14.7.10"), [("FAST103", "low")]),  # overlapping
        (("10.1.2.3",), [("FAST104", "low")]),
        (("192.168.0.0/16",), [("FAST104", "low")]),
        (("127.0.0.1",), [("FAST104", "low")]),
        (("169.254.10.1",), [("FAST104", "low")]),
        (("fe80::1",), [("FAST104", "low")]),
        (("fd12:3456::1",), [("FAST104", "low")]),
        (("203.0.113.7",), [("FAST104", "low")]),  # documentation range
        (("100.64.1.1",), [("FAST104", "low")]),  # carrier-grade NAT
    ],
)
def test_allowlist_forms(ips: tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    assert rules(run(prod(*ips))) == expected


def test_wide_prefix_thresholds_are_configurable() -> None:
    assert rules(run(prod("52.14.0.0/20"), config=Config(wide_ipv4_prefix=16))) == []


def test_non_production_key_without_allowlist_passes_with_a_reason() -> None:
    result = run(key())
    passed = [p for p in result.passes if p.practice is Practice.IP_ALLOWLISTS]
    assert len(passed) == 1 and "staging" in passed[0].reason


# --- FAST130 environments ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected", "inferred"),
    [
        (
            {"name": "Production Backend", "environment": None, "allowed_ips": ["52.1.2.3"]},
            [],
            True,
        ),
        ({"name": "Backend", "environment": None}, [("FAST130", "medium")], False),
        (
            {"name": "Staging/Production shared", "environment": "staging"},
            [("FAST130", "medium")],
            False,
        ),
        ({"name": "Production Backend", "environment": "staging"}, [("FAST130", "medium")], False),
        ({"name": "CI Pipeline", "environment": None}, [], True),
    ],
)
def test_environment_rules(fields: dict[str, Any], expected: list[Any], inferred: bool) -> None:
    result = run(key(**fields))
    assert [r for r in rules(result) if r[0] == "FAST130"] == expected
    assert any("inferred" in note for note in result.notes) is inferred


def leak(redacted: str, path: str, secret: str = "a" * 64, rule_id: str = "FAST001") -> Finding:
    return Finding(
        rule_id=rule_id,
        severity=Severity.HIGH,
        path=path,
        line=1,
        secret_sha256=secret,
        redacted=redacted,
    )


def test_same_leaked_key_in_staging_and_production_files_is_fast004() -> None:
    leaks = (
        leak("fast_prod_Ab12…Yz89", "config/staging.env"),
        leak("fast_prod_Ab12…Yz89", "deploy/production/app.json"),
        leak("fast_prod_Cd34…Wx67", "config/staging.env", secret="b" * 64),
    )
    result = run(key(), leaks=leaks)
    shared = [f for f in result.findings if f.rule_id == "FAST004"]
    assert len(shared) == 1
    assert shared[0].secret_sha256 == "a" * 64
    assert shared[0].evidence == {
        "production": ["deploy/production/app.json"],
        "staging": ["config/staging.env"],
    }


# --- FAST140 leaked and still active -------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "matches"),
    [
        ("fast_prod_Ab12…Yz89", True),
        ("fast_prod_Ab12...Yz89", True),
        ("Ab12…Yz89", True),
        ("fast_prod_Ab12", True),
        ("…Yz89", True),
        ("fast_prod_Ab1…", False),  # three characters prove nothing
        ("fast_prod_Ab13…Yz89", False),
        ("fast_prod_Ab12…Yz88", False),
        ("fast_test_Ab12…Yz89", False),
    ],
)
def test_hint_matching(hint: str, matches: bool) -> None:
    assert hint_matches(hint, "fast_prod_Ab12…Yz89") is matches


def test_leaked_key_matching_an_active_key_is_critical_and_deleted_is_a_pass() -> None:
    active = key(id="live", key_hint="fast_prod_Ab12…Yz89")
    deleted = key(
        id="gone",
        name="CI Pipeline",
        environment="ci",
        key_hint="fast_prod_Cd34…Wx67",
        deleted_at="2026-06-02",
    )
    leaks = (
        leak("fast_prod_Ab12…Yz89", "app.py"),
        leak("fast_prod_Cd34…Wx67", "old.env", secret="b" * 64, rule_id="FAST002"),
    )
    result = run(active, deleted, leaks=leaks)
    critical = [f for f in result.findings if f.rule_id == "FAST140"]
    assert [(f.key_id, f.severity) for f in critical] == [("live", Severity.CRITICAL)]
    assert "matches inventory key live" in (critical[0].message or "")
    assert critical[0].remediation.startswith("Rotate now.")
    gone = [p for p in result.passes if p.key_id == "gone"]
    assert gone and "deleted on 2026-06-02" in gone[0].reason


def test_every_finding_names_its_practice_and_remediation() -> None:
    result = run(prod(), key(id="k2", name="Backend", environment=None, created_at="2025-01-01"))
    assert result.findings
    for finding in result.findings:
        data = finding.to_dict()
        assert data["practice"] in range(1, 7)
        assert data["remediation"]
        assert data["evidence"]


def test_leaks_no_key_explains_are_named_up_to_twenty_then_counted() -> None:
    """An organisation's audit can hold thousands of unmatched leaks: the notes name the
    first twenty and count the rest; with no inventory at all, one note says what is
    unknown instead of one line per key."""
    leaks = tuple(
        leak(f"fast_prod_Zz{n:02d}…Qq{n:02d}", f"c{n}.env", secret=f"{n:064x}") for n in range(30)
    )
    notes = run(key(), leaks=leaks).notes
    with_inventory = [n for n in notes if "leaked key" in n and "not checked" not in n]
    assert len(with_inventory) == 21
    # A key with no hint is not a pass: a note says it could not be checked.
    assert [n for n in notes if n.startswith("not checked against the 30 leaked keys found")]
    assert "fast_prod_Zz00…Qq00" in with_inventory[0]
    assert with_inventory[-1].startswith("... and 10 more leaked keys")
    (alone,) = [n for n in run(leaks=leaks).notes if "leaked key" in n]
    assert alone.startswith("30 leaked keys found and no inventory given")
