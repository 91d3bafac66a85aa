"""Inventory loading: JSON, CSV, and HTTPS against a real local server with a test CA."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fastaudit.inventory import from_csv_text, from_document
from tests.servers import Reply

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "inventory.json"


def write_json(path: Path, keys: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"schema_version": 1, "keys": keys}), encoding="utf-8")
    return path


GOOD = {
    "id": "k1",
    "name": "Production Backend",
    "created_at": "2026-01-01",
    "allowed_ips": ["52.14.7.10"],
}


def test_example_inventory_matches_the_schema_and_triggers_every_inventory_rule(
    run_cli: Any,
) -> None:
    import jsonschema

    schema = json.loads((REPO_ROOT / "schemas" / "inventory.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(EXAMPLE.read_text()), schema)

    result = run_cli(
        "check",
        "--inventory",
        str(EXAMPLE),
        "--departures",
        str(REPO_ROOT / "examples" / "departures.csv"),
        "--as-of",
        "2026-06-30",
        "--format",
        "json",
    )
    assert result.code == 1
    found = {f["rule_id"] for f in result.json()["findings"]}
    assert found >= {
        "FAST101",
        "FAST102",
        "FAST103",
        "FAST104",
        "FAST110",
        "FAST111",
        "FAST112",
        "FAST120",
        "FAST121",
        "FAST130",
    }


def test_csv_with_space_and_semicolon_separated_allowlists() -> None:
    text = (
        "id,name,environment,created_at,last_used_at,allowed_ips,key_hint,owner,deleted_at\n"
        "k1,Production Backend,production,2026-01-01,,52.14.7.10 52.14.7.11,,ops,\n"
        "k2,CI Pipeline,,2026-02-01T10:00:00+01:00,2026-03-01,52.14.7.12;52.14.7.0/24,,,\n"
    )
    inventory = from_csv_text(text, "keys.csv")
    first, second = inventory.keys
    assert first.allowed_ips == ("52.14.7.10", "52.14.7.11")
    assert first.last_used_at is None
    assert second.allowed_ips == ("52.14.7.12", "52.14.7.0/24")
    assert second.environment == "ci" and second.environment_inferred
    assert second.created_at.isoformat() == "2026-02-01T09:00:00+00:00"


def test_bare_list_and_aliases_are_accepted() -> None:
    inventory = from_document([{**GOOD, "environment": "prod"}], "list.json")
    assert inventory.keys[0].environment == "production"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        (
            json.dumps({"schema_version": 1, "keys": [{**GOOD, "allowed_ips": 5}]}),
            "record 1 (id k1): field 'allowed_ips'",
        ),
        (
            json.dumps({"schema_version": 1, "keys": [{**GOOD, "created_at": "last tuesday"}]}),
            "record 1 (id k1): field 'created_at'",
        ),
        (
            json.dumps(
                {
                    "schema_version": 1,
                    "keys": [GOOD, {**GOOD, "id": "k2", "environment": "prodution"}],
                }
            ),
            "record 2 (id k2): field 'environment': unknown environment 'prodution'",
        ),
        (
            json.dumps({"schema_version": 1, "keys": [{"id": "k1", "created_at": "2026-01-01"}]}),
            "record 1 (id k1): field 'name': is required",
        ),
        (
            json.dumps({"schema_version": 1, "keys": [{**GOOD, "colour": "red"}]}),
            "record 1: unknown field 'colour'",
        ),
        (json.dumps({"schema_version": 1, "keys": [GOOD, GOOD]}), "record 2: duplicate id 'k1'"),
        (json.dumps({"schema_version": 2, "keys": []}), "unsupported inventory schema_version"),
        (
            json.dumps({"schema_version": 1, "keys": [{**GOOD, "id": 7}]}),
            "record 1: field 'id': expected text",
        ),
    ],
)
def test_malformed_inventory_is_one_line_exit_2(
    content: str, expected: str, tmp_path: Path, run_cli: Any
) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(content, encoding="utf-8")
    result = run_cli("check", "--inventory", str(path))
    assert result.code == 2
    assert expected in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


# --- over HTTPS ------------------------------------------------------------------------


@pytest.fixture
def api_key(make_key: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    key = make_key()
    monkeypatch.setenv("FAST_API_KEY", key)
    return str(key)


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    path = tmp_path / "fast.toml"
    path.write_text("[tool.fastaudit]\nhttp_timeout_seconds = 0.5\nhttp_retries = 2\n")
    return path


def inventory_body() -> dict[str, Any]:
    return {"schema_version": 1, "keys": [GOOD]}


def test_inventory_url_sends_the_key_header_over_https(
    https: Any, api_key: str, run_cli: Any
) -> None:
    https.script("/inventory", Reply(200, inventory_body()))
    result = run_cli(
        "check",
        "--inventory-url",
        f"{https.base}/inventory",
        "--format",
        "json",
        "--as-of",
        "2026-01-10",
    )
    assert result.code == 0, result.err
    assert result.json()["stats"]["keys_checked"] == 1
    assert [r.headers.get("X-Fast-Api-Key") for r in https.requests] == [api_key]


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(Reply(429, {"error": "rate_limited"}, {"Retry-After": "1"}), id="429"),
        pytest.param(Reply(500, "oops"), id="500"),
    ],
)
def test_transient_failure_then_success(
    first: Reply, https: Any, api_key: str, run_cli: Any, fast_config: Path
) -> None:
    https.script("/inventory", first, Reply(200, inventory_body()))
    result = run_cli(
        "check",
        "--inventory-url",
        f"{https.base}/inventory",
        "--config",
        str(fast_config),
        "--as-of",
        "2026-01-10",
    )
    assert result.code == 0, result.err
    assert len(https.requests) == 2


def test_persistent_500_is_a_one_line_error(
    https: Any, api_key: str, run_cli: Any, fast_config: Path
) -> None:
    https.script("/inventory", Reply(503, "down"))
    result = run_cli(
        "check", "--inventory-url", f"{https.base}/inventory", "--config", str(fast_config)
    )
    assert result.code == 2
    assert "HTTP 503" in result.err and api_key not in result.err
    assert len(https.requests) == 3  # first try + 2 retries


def test_redirect_is_not_followed_and_the_key_goes_nowhere_else(
    https: Any, other_https: Any, api_key: str, run_cli: Any
) -> None:
    other_https.script("/inventory", Reply(200, inventory_body()))
    https.script("/inventory", Reply(302, "", {"Location": f"{other_https.base}/inventory"}))
    result = run_cli("check", "--inventory-url", f"{https.base}/inventory")
    assert result.code == 2
    assert "redirect" in result.err and "not followed" in result.err
    assert other_https.requests == []
    assert api_key not in result.err


def test_timeout_is_a_one_line_error(
    https: Any, api_key: str, run_cli: Any, fast_config: Path
) -> None:
    https.script("/inventory", Reply(200, inventory_body(), delay=2.0))
    result = run_cli(
        "check", "--inventory-url", f"{https.base}/inventory", "--config", str(fast_config)
    )
    assert result.code == 2
    assert "timed out" in result.err and result.err.count("\n") == 1


def test_plain_http_is_refused_before_any_request(https: Any, api_key: str, run_cli: Any) -> None:
    result = run_cli("check", "--inventory-url", f"http://127.0.0.1:{https.port}/inventory")
    assert result.code == 2
    assert "https://" in result.err and "refused before any request" in result.err
    assert https.requests == []


def test_unknown_certificate_authority_is_refused(
    https: Any, api_key: str, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    https.script("/inventory", Reply(200, inventory_body()))
    result = run_cli("check", "--inventory-url", f"{https.base}/inventory")
    assert result.code == 2
    assert "certificate" in result.err
    assert https.requests == []  # the handshake failed: no request, no header


def test_departures_json_and_malformed(tmp_path: Path, run_cli: Any) -> None:
    inventory = write_json(tmp_path / "inv.json", [{**GOOD, "created_at": "2026-01-01"}])
    good = tmp_path / "left.json"
    good.write_text(json.dumps([{"name": "Sam", "left_at": "2026-02-01T09:00:00+02:00"}]))
    result = run_cli(
        "check",
        "--inventory",
        str(inventory),
        "--departures",
        str(good),
        "--as-of",
        "2026-03-01",
        "--format",
        "json",
    )
    fast112 = [f for f in result.json()["findings"] if f["rule_id"] == "FAST112"]
    assert [f["evidence"]["departures"] for f in fast112] == [
        [{"name": "Sam", "left_at": "2026-02-01"}]
    ]
    bad = tmp_path / "left.csv"
    bad.write_text("name,left_at\nSam,sometime\n")
    result = run_cli("check", "--inventory", str(inventory), "--departures", str(bad))
    assert result.code == 2
    assert "record 1: field 'left_at'" in result.err and result.err.count("\n") == 1
