"""The one HTTP client fastaudit uses to talk to anything carrying a key.

Rules that hold for every request, whatever calls it:
- HTTPS only, with certificate verification (REQUESTS_CA_BUNDLE honoured); an http://
  URL is refused before any connection is made.
- Redirects are never followed: the key travels in a custom header, which requests would
  forward to whatever host a redirect names.
- Bounded retries with exponential backoff on 429 and 5xx (honouring Retry-After, capped)
  and on connection errors and timeouts.
- Nothing about the key reaches a message: errors name the host, never the headers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastaudit import __version__
from fastaudit.errors import NetworkError

if TYPE_CHECKING:
    import requests

API_KEY_ENV = "FAST_API_KEY"
API_KEY_HEADER = "X-Fast-Api-Key"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def require_https(url: str, what: str) -> str:
    """The URL's host, or NetworkError when it is not an https:// URL with a host."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise NetworkError(
            f"{what} must be an https:// URL (got {parts.scheme or 'no'} scheme); "
            "refused before any request"
        )
    if not parts.hostname:
        raise NetworkError(f"{what} has no host name")
    return parts.hostname


def api_key_header() -> dict[str, str]:
    """`X-Fast-Api-Key` from FAST_API_KEY when it is set."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    return {API_KEY_HEADER: key} if key else {}


def retry_after_seconds(value: str | None, cap: float) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), capped; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, min(seconds, cap))


@dataclass
class SafeClient:
    """GET with the rules above. `sleep` is injectable only so callers can count waits."""

    timeout: float = 20.0
    retries: int = 3
    backoff: float = 0.5
    max_retry_after: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)
    _session: requests.Session | None = None

    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            session = requests.Session()
            session.headers["User-Agent"] = f"fastaudit/{__version__}"
            self._session = session
        return self._session

    def get(
        self, url: str, headers: Mapping[str, str] | None = None, *, what: str = "URL"
    ) -> requests.Response:
        """The final response (possibly a 429/5xx after the retries ran out).

        Raises NetworkError for a non-HTTPS URL, a redirect, a certificate failure, or a
        connection that failed on every attempt.
        """
        import requests

        host = require_https(url, what)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session().get(
                    url, headers=dict(headers or {}), timeout=self.timeout, allow_redirects=False
                )
            except requests.exceptions.SSLError:
                raise NetworkError(
                    f"TLS certificate of {host} could not be verified (set REQUESTS_CA_BUNDLE "
                    "for a private CA); nothing was sent"
                ) from None
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
                reason = (
                    "timed out"
                    if isinstance(exc, requests.exceptions.Timeout)
                    else ("connection failed")
                )
                if attempt > self.retries:
                    raise NetworkError(f"{host} {reason} after {attempt} attempt(s)") from None
                self._wait(self.backoff * 2 ** (attempt - 1))
                continue
            except requests.exceptions.RequestException as exc:
                raise NetworkError(f"request to {host} failed: {type(exc).__name__}") from None
            if response.is_redirect or 300 <= response.status_code < 400:
                target = urlsplit(response.headers.get("Location", "")).hostname or "elsewhere"
                response.close()
                raise NetworkError(
                    f"{host} answered HTTP {response.status_code} redirecting to {target}; "
                    "not followed (the key would be sent to another URL)"
                )
            if response.status_code in RETRY_STATUSES and attempt <= self.retries:
                delay = retry_after_seconds(
                    response.headers.get("Retry-After"), self.max_retry_after
                )
                response.close()
                self._wait(delay if delay is not None else self.backoff * 2 ** (attempt - 1))
                continue
            return response

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(seconds)
