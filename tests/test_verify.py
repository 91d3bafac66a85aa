"""`--verify` against a real local HTTPS server (test CA) speaking the documented answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fastaudit.verify import ENTITLEMENTS_PATH, REJECTED_ERROR
from tests.conftest import Repo
from tests.servers import Reply, Seen

REJECTED = Reply(401, {"error": REJECTED_ERROR, "message": "Invalid API key"})


class FakeToolsFast:
    """Answers by key: live keys get 200, everything else the one documented 401."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.live: set[str] = set()
        server.route(ENTITLEMENTS_PATH, self.answer)

    def answer(self, seen: Seen) -> Reply:
        key = seen.headers.get("X-Fast-Api-Key", "")
        if key in self.live:
            return Reply(200, {"plan": "pro", "credits": 1200})
        return REJECTED

    def keys_sent(self) -> list[str]:
        return [r.headers.get("X-Fast-Api-Key", "") for r in self.server.requests]


@pytest.fixture
def api(https: Any, monkeypatch: pytest.MonkeyPatch) -> FakeToolsFast:
    monkeypatch.setenv("FASTAUDIT_API_BASE", https.base)
    return FakeToolsFast(https)


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    path = tmp_path / "fast.toml"
    path.write_text("[tool.fastaudit]\nhttp_timeout_seconds = 0.5\nhttp_retries = 1\n")
    return path


def scan_verified(run_cli: Any, repo: Repo, *extra: str) -> tuple[Any, Any]:
    result = run_cli("scan", str(repo.path), "--verify", "--format", "json", *extra)
    assert result.code in (0, 1), result.err
    return result, result.json()


def by_rule(document: Any, rule_id: str) -> list[dict[str, Any]]:
    return [f for f in document["findings"] if f["rule_id"] == rule_id]


def test_live_key_becomes_critical_fast140(
    repo: Repo, make_key: Any, run_cli: Any, api: FakeToolsFast
) -> None:
    key = make_key()
    api.live.add(key)
    repo.write("app.py", f'KEY = "{key}"\n')
    result, document = scan_verified(run_cli, repo)

    leak = by_rule(document, "FAST001")[0]
    assert leak["verification"] == "live" and leak["severity"] == "critical"
    critical = by_rule(document, "FAST140")
    assert len(critical) == 1 and critical[0]["severity"] == "critical"
    assert "verified live" in critical[0]["message"]
    assert critical[0]["remediation"].startswith("Rotate now.")
    assert "(4) Delete the old key." in critical[0]["remediation"]
    assert "verifying 1 unique key: sending 1 to https://127.0.0.1" in result.err
    assert api.keys_sent() == [key]
    assert key not in result.out and key not in result.err


def test_deleted_key_is_rejected_with_the_documents_caveat(
    repo: Repo, make_key: Any, run_cli: Any, api: FakeToolsFast
) -> None:
    repo.write("old.env", f"KEY={make_key()}\n")
    _, document = scan_verified(run_cli, repo)
    leak = by_rule(document, "FAST001")[0]
    assert leak["verification"] == "rejected" and leak["severity"] == "high"
    assert (
        "identically for missing, invalid, expired, deleted and not-allowlisted"
        in leak["evidence"]["verification_reason"]
    )
    assert by_rule(document, "FAST140") == []


def test_rejected_key_allowlisted_elsewhere_is_still_flagged_through_the_inventory(
    repo: Repo, make_key: Any, run_cli: Any, api: FakeToolsFast, tmp_path: Path
) -> None:
    key = make_key()  # live, but only from its allowlisted servers: we get the 401
    repo.write("deploy.sh", f"curl -H 'X-Fast-Api-Key: {key}' https://api.tools.fast/x\n")
    report = tmp_path / "scan.json"
    run_cli("scan", str(repo.path), "--verify", "--format", "json", "-o", str(report))
    body = key[len("fast_prod_") :]
    inventory = tmp_path / "inv.json"
    inventory.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "keys": [
                    {
                        "id": "k-prod",
                        "name": "Production Backend",
                        "created_at": "2026-01-01",
                        "allowed_ips": ["52.14.7.10"],
                        "key_hint": f"fast_prod_{body[:4]}…{body[-4:]}",
                    }
                ],
            }
        )
    )
    result = run_cli(
        "check",
        "--inventory",
        str(inventory),
        "--findings",
        str(report),
        "--as-of",
        "2026-02-01",
        "--format",
        "json",
    )
    critical = by_rule(result.json(), "FAST140")
    assert [f["key_id"] for f in critical] == ["k-prod"]
    assert "has an IP allowlist" in critical[0]["message"]
    assert key not in result.out and key not in report.read_text()


def test_429_with_retry_after_then_200(
    repo: Repo, make_key: Any, run_cli: Any, https: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAUDIT_API_BASE", https.base)
    https.script(
        ENTITLEMENTS_PATH,
        Reply(429, {"error": "rate_limited"}, {"Retry-After": "1"}),
        Reply(200, {"plan": "pro"}),
    )
    repo.write("a.env", f"KEY={make_key()}\n")
    _, document = scan_verified(run_cli, repo)
    assert by_rule(document, "FAST001")[0]["verification"] == "live"
    assert len(https.requests) == 2


def test_500_then_200(
    repo: Repo, make_key: Any, run_cli: Any, https: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAUDIT_API_BASE", https.base)
    https.script(ENTITLEMENTS_PATH, Reply(500, "boom"), Reply(200, {"plan": "pro"}))
    repo.write("a.env", f"KEY={make_key()}\n")
    _, document = scan_verified(run_cli, repo)
    assert by_rule(document, "FAST001")[0]["verification"] == "live"


def test_hanging_server_is_unknown_with_the_reason(
    repo: Repo,
    make_key: Any,
    run_cli: Any,
    https: Any,
    monkeypatch: pytest.MonkeyPatch,
    fast_config: Path,
) -> None:
    monkeypatch.setenv("FASTAUDIT_API_BASE", https.base)
    https.script(ENTITLEMENTS_PATH, Reply(200, {"plan": "pro"}, delay=2.0))
    repo.write("a.env", f"KEY={make_key()}\n")
    _, document = scan_verified(run_cli, repo, "--config", str(fast_config))
    leak = by_rule(document, "FAST001")[0]
    assert leak["verification"] == "unknown"
    assert "timed out" in leak["evidence"]["verification_reason"]


def test_redirect_is_not_followed_and_the_key_is_not_sent_there(
    repo: Repo,
    make_key: Any,
    run_cli: Any,
    https: Any,
    other_https: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FASTAUDIT_API_BASE", https.base)
    other = FakeToolsFast(other_https)
    key = make_key()
    other.live.add(key)
    https.script(
        ENTITLEMENTS_PATH, Reply(307, "", {"Location": f"{other_https.base}{ENTITLEMENTS_PATH}"})
    )
    repo.write("a.env", f"KEY={key}\n")
    _, document = scan_verified(run_cli, repo)
    leak = by_rule(document, "FAST001")[0]
    assert leak["verification"] == "unknown"
    assert "not followed" in leak["evidence"]["verification_reason"]
    assert other_https.requests == []


def test_plain_http_base_is_refused_before_any_connection(
    repo: Repo, make_key: Any, run_cli: Any, https: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAUDIT_API_BASE", f"http://127.0.0.1:{https.port}")
    key = make_key()
    repo.write("a.env", f"KEY={key}\n")
    result = run_cli("scan", str(repo.path), "--verify")
    assert result.code == 2
    assert "refused before any request" in result.err
    assert https.requests == []
    assert key not in result.err


def test_certificate_from_an_unknown_ca_is_refused(
    repo: Repo, make_key: Any, run_cli: Any, api: FakeToolsFast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    repo.write("a.env", f"KEY={make_key()}\n")
    _, document = scan_verified(run_cli, repo)
    leak = by_rule(document, "FAST001")[0]
    assert leak["verification"] == "unknown"
    assert "certificate" in leak["evidence"]["verification_reason"]
    assert api.server.requests == []


def test_each_key_sent_once_and_the_limit_holds(
    repo: Repo, make_key: Any, run_cli: Any, api: FakeToolsFast
) -> None:
    first, second = make_key(), make_key()
    for name in ("a.env", "b.env", "c/d.env"):
        repo.write(name, f"KEY={first}\n")
    repo.write("e.env", f"KEY={second}\n")
    _, document = scan_verified(run_cli, repo, "--verify-limit", "1", "--no-cache")
    assert len(api.keys_sent()) == 1
    reasons = {f["evidence"]["verification_reason"] for f in by_rule(document, "FAST001")}
    assert any("limit of 1" in r for r in reasons)


def test_results_are_cached_without_the_key(
    repo: Repo, make_key: Any, run_cli: Any, api: FakeToolsFast
) -> None:
    key = make_key()
    repo.write("a.env", f"KEY={key}\n")
    scan_verified(run_cli, repo)
    result, document = scan_verified(run_cli, repo)
    assert len(api.keys_sent()) == 1  # the second run was answered from the cache
    assert "1 answered from the cache" in result.err
    assert by_rule(document, "FAST001")[0]["evidence"]["verification_cached"] is True
    from fastaudit.verify import VerifyCache

    assert key not in VerifyCache.default_path().read_text()
    scan_verified(run_cli, repo, "--no-cache")
    assert len(api.keys_sent()) == 2


def test_history_verify(repo: Repo, make_key: Any, run_cli: Any, api: FakeToolsFast) -> None:
    key = make_key()
    api.live.add(key)
    repo.write("a.env", f"KEY={key}\n")
    repo.commit("add")
    (repo.path / "a.env").unlink()
    repo.commit("remove")
    result = run_cli("history", str(repo.path), "--verify", "--no-cache", "--format", "json")
    document = result.json()
    assert by_rule(document, "FAST002")[0]["verification"] == "live"
    assert len(by_rule(document, "FAST140")) == 1
    assert key not in result.out
