"""Live verification (opt-in): is a leaked key still accepted by Tools.FAST?

Asks `GET /convert/entitlements/me`, the endpoint that works with any valid key, with the
key in `X-Fast-Api-Key`:

- 200 -> `live`: an incident; rotate now.
- 401 with `{"error": "api_key.invalid_or_ip_not_allowed"}` -> `rejected`. The document
  says the answer is identical for missing, invalid, expired, deleted and
  not-allowlisted keys, so a rejected key may still be live from an allowlisted address.
- anything else (timeout, DNS, 429 or 5xx after retries, an unexpected body, a redirect,
  a certificate we cannot verify) -> `unknown`, with the reason.

Each unique key is sent once per run, at most `limit` keys, `concurrency` at a time,
only over HTTPS to the configured base (FASTAUDIT_API_BASE), never following redirects.
Definitive answers are cached by fingerprint (no key) for `cache_hours`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastaudit.detect import KeyVault
from fastaudit.errors import NetworkError
from fastaudit.findings import Finding, Severity
from fastaudit.http import API_KEY_HEADER, HttpReply, SafeClient, display_url, require_https
from fastaudit.words import plural

if TYPE_CHECKING:
    from fastaudit.config import Config

DEFAULT_API_BASE = "https://api.tools.fast"
API_BASE_ENV = "FASTAUDIT_API_BASE"
ENTITLEMENTS_PATH = "/convert/entitlements/me"
REJECTED_ERROR = "api_key.invalid_or_ip_not_allowed"

LIVE = "live"
REJECTED = "rejected"
UNKNOWN = "unknown"

REJECTED_CAVEAT = (
    "Tools.FAST answers identically for missing, invalid, expired, deleted and "
    "not-allowlisted keys, so a rejected key may still be live from an allowlisted address."
)


@dataclass(frozen=True)
class Verdict:
    """Tools.FAST's answer for one key: live, rejected or unknown, why, and when it was asked."""

    status: str
    reason: str
    checked_at: float
    cached: bool = False


def api_base() -> str:
    """The API base URL, refused unless https:// (checked before any request)."""
    base = os.environ.get(API_BASE_ENV, "").strip() or DEFAULT_API_BASE
    require_https(base, f"API base ({API_BASE_ENV})")
    return base.rstrip("/")


def endpoint(base: str) -> str:
    """The entitlements URL every verification asks."""
    return base + ENTITLEMENTS_PATH


def classify(response: HttpReply) -> tuple[str, str]:
    """A verdict from the documented responses; anything undocumented is unknown."""
    status = response.status_code
    if status == 200:
        return LIVE, "HTTP 200 from the entitlements endpoint: the key is accepted"
    if status == 401:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("error") == REJECTED_ERROR:
            return REJECTED, f"HTTP 401 {REJECTED_ERROR}. {REJECTED_CAVEAT}"
        return UNKNOWN, "HTTP 401 with an undocumented body"
    if status == 429:
        return UNKNOWN, "rate limited (HTTP 429) after the retries ran out"
    if status >= 500:
        return UNKNOWN, f"server error (HTTP {status}) after the retries ran out"
    return UNKNOWN, f"unexpected HTTP {status}"


class VerifyCache:
    """Definitive verdicts by fingerprint and API base, for `hours`. Holds no key."""

    def __init__(self, path: Path, hours: float) -> None:
        self.path = path
        self.ttl = hours * 3600
        self._lock = threading.Lock()
        self._data: dict[str, dict[str, Any]] = {}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self._data = {k: v for k, v in loaded.items() if isinstance(v, dict)}
        except (OSError, ValueError, RecursionError):
            pass  # an unreadable cache is an empty one

    @staticmethod
    def default_path() -> Path:
        """Where verdicts are cached: the user cache dir."""
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("fastaudit")) / "verify-cache.json"

    def get(self, base: str, sha256: str, now: float) -> Verdict | None:
        """The cached verdict for a key's hash, if younger than the cache's age."""
        entry = self._data.get(f"{base}|{sha256}")
        if not entry or now - float(entry.get("checked_at", 0)) > self.ttl:
            return None
        status = entry.get("status")
        if status not in (LIVE, REJECTED):
            return None
        return Verdict(status, str(entry.get("reason", "")), float(entry["checked_at"]), True)

    def put(self, base: str, sha256: str, verdict: Verdict) -> None:
        """Remember a verdict (definite ones only)."""
        if verdict.status not in (LIVE, REJECTED):
            return
        with self._lock:
            self._data[f"{base}|{sha256}"] = {
                "status": verdict.status,
                "reason": verdict.reason,
                "checked_at": verdict.checked_at,
            }

    def save(self) -> None:
        """Write the cache atomically; a cache that cannot be written is simply not there next
        time."""
        from fastaudit.output import atomic_text_file

        now = time.time()
        fresh = {k: v for k, v in self._data.items() if now - v.get("checked_at", 0) <= self.ttl}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_text_file(self.path) as stream:
                json.dump(fresh, stream, indent=1, sort_keys=True)
        except Exception:
            pass


@dataclass
class Verifier:
    """Asks Tools.FAST about keys over HTTPS: each unique key once, at most `limit`, a few at a
    time, cached."""

    base: str
    limit: int = 100
    concurrency: int = 4
    client: SafeClient = field(default_factory=SafeClient)
    cache: VerifyCache | None = None

    def verify(self, vault: KeyVault, fingerprints: Iterable[str]) -> dict[str, Verdict]:
        """One verdict per unique fingerprint; beyond `limit`, unknown without a request."""
        unique = list(dict.fromkeys(fingerprints))
        now = time.time()
        verdicts: dict[str, Verdict] = {}
        to_send: list[str] = []
        for sha in unique:
            cached = self.cache.get(display_url(self.base), sha, now) if self.cache else None
            if cached is not None:
                verdicts[sha] = cached
            elif vault.get(sha) is None:
                verdicts[sha] = Verdict(UNKNOWN, "key not available in this run", now)
            elif len(to_send) >= self.limit:
                verdicts[sha] = Verdict(
                    UNKNOWN, f"not sent: the per-run limit of {self.limit} keys was reached", now
                )
            else:
                to_send.append(sha)
        if to_send:
            with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
                for sha, verdict in zip(
                    to_send, pool.map(lambda s: self._one(vault, s), to_send), strict=True
                ):
                    verdicts[sha] = verdict
                    if self.cache is not None:
                        self.cache.put(display_url(self.base), sha, verdict)
            if self.cache is not None:
                self.cache.save()
        return verdicts

    def plan(self, vault: KeyVault, fingerprints: Sequence[str]) -> tuple[int, int]:
        """(keys that will be sent, keys answered from the cache), for the announcement."""
        now = time.time()
        unique = list(dict.fromkeys(fingerprints))
        cached = sum(
            1 for s in unique if self.cache and self.cache.get(display_url(self.base), s, now)
        )
        sendable = sum(1 for s in unique if vault.get(s) is not None) - cached
        return min(max(sendable, 0), self.limit), cached

    def _one(self, vault: KeyVault, sha256: str) -> Verdict:
        key = vault.get(sha256)
        assert key is not None
        try:
            response = self.client.get(
                endpoint(self.base), headers={API_KEY_HEADER: key}, what="API base"
            )
        except NetworkError as exc:
            return Verdict(UNKNOWN, str(exc), time.time())
        status, reason = classify(response)
        return Verdict(status, reason, time.time())


def apply(findings: Sequence[Finding], verdicts: dict[str, Verdict]) -> list[Finding]:
    """Findings with their verification; a live key's findings become critical."""
    out = []
    for finding in findings:
        verdict = verdicts.get(finding.secret_sha256 or "")
        if verdict is None:
            out.append(finding)
            continue
        evidence = dict(finding.evidence or {})
        evidence["verification_reason"] = verdict.reason
        if verdict.cached:
            evidence["verification_cached"] = True
        severity = Severity.CRITICAL if verdict.status == LIVE else finding.severity
        out.append(
            finding.with_changes(verification=verdict.status, evidence=evidence, severity=severity)
        )
    return out


def verify_findings(
    findings: list[Finding],
    vault: KeyVault,
    cfg: Config,
    *,
    limit: int | None,
    use_cache: bool,
    announce: Callable[[str], None],
) -> list[Finding]:
    """Verify every leaked key once; a live one becomes critical and gains a FAST140.

    `announce` is told, before anything is sent, how many keys go where.
    """
    from datetime import datetime, timezone

    from fastaudit.checks import CheckContext, leaks
    from fastaudit.inventory import Inventory

    base = api_base()
    secrets = [f.secret_sha256 for f in findings if f.secret_sha256]
    verifier = Verifier(
        base=base,
        limit=cfg.verify_limit if limit is None else limit,
        concurrency=cfg.verify_concurrency,
        client=cfg.http_client(),
        cache=VerifyCache(VerifyCache.default_path(), cfg.verify_cache_hours)
        if use_cache
        else None,
    )
    sending, cached = verifier.plan(vault, secrets)
    announce(
        f"verifying {plural(len(set(secrets)), 'unique key')}: "
        f"sending {sending} to {display_url(endpoint(base))}"
        + (f", {cached} answered from the cache" if cached else "")
    )
    checked = apply(findings, verifier.verify(vault, secrets))
    context = CheckContext(config=cfg, as_of=datetime.now(timezone.utc), leaks=tuple(checked))
    return checked + leaks.check(Inventory((), "none"), context).findings
