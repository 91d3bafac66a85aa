"""The one HTTP client fastaudit uses to talk to anything carrying a key.

Rules that hold for every request, whatever calls it:
- HTTPS only, with certificate verification (REQUESTS_CA_BUNDLE honoured); an http://
  URL is refused before any connection is made.
- Redirects are never followed: the key travels in a custom header, which requests would
  forward to whatever host a redirect names.
- Bounded retries with exponential backoff on 429 and 5xx (honouring Retry-After, capped)
  and on connection errors and timeouts.
- Every attempt has a total deadline, not only a per-read timeout: a server that drips a
  byte every few seconds never times out a read, but does hit the deadline.
- The body is capped (`max_bytes`): a huge answer is refused, never held whole.
- Nothing about the key reaches a message: errors name the host, never the headers, and a
  URL's `user:password@` is never shown.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastaudit import __version__
from fastaudit.errors import NetworkError
from fastaudit.words import plural

if TYPE_CHECKING:
    import requests

API_KEY_ENV = "FAST_API_KEY"
API_KEY_HEADER = "X-Fast-Api-Key"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


DEFAULT_DEADLINE = 120.0
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_READ_PIECE = 64 * 1024


@dataclass(frozen=True)
class HttpReply:
    """A complete answer: status, headers and the whole (capped) body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> object:
        """The body parsed as JSON, or ValueError."""
        return json.loads(self.content)


def display_url(url: str) -> str:
    """`url` without any `user:password@`, for messages and reports."""
    if "://" not in url:
        # scp-like `user:password@host:path`: the user part stays (`git@`), a password
        # never does.
        user, at, rest = url.rpartition("@")
        if at and ":" in user and "/" not in user:
            return rest
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


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
    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = DEFAULT_MAX_BYTES
    sleep: Callable[[float], None] = time.sleep
    waits: list[float] = field(default_factory=list)

    def get(
        self, url: str, headers: Mapping[str, str] | None = None, *, what: str = "URL"
    ) -> HttpReply:
        """The final answer (possibly a 429/5xx after the retries ran out).

        Raises NetworkError for a non-HTTPS URL, a redirect, a certificate failure, a body
        over the cap, or a connection that failed or ran past the deadline on every
        attempt.
        """
        host = require_https(url, what)
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = self._attempt(url, dict(headers or {}), host)
            except _Retryable as exc:
                if attempt > self.retries:
                    raise NetworkError(f"{host} {exc} after {plural(attempt, 'attempt')}") from None
                self._wait(self.backoff * 2 ** (attempt - 1))
                continue
            if 300 <= reply.status_code < 400:
                target = urlsplit(reply.headers.get("Location", "")).hostname or "elsewhere"
                raise NetworkError(
                    f"{host} answered HTTP {reply.status_code} redirecting to {target}; "
                    "not followed (the key would be sent to another URL)"
                )
            if reply.status_code in RETRY_STATUSES and attempt <= self.retries:
                delay = retry_after_seconds(reply.headers.get("Retry-After"), self.max_retry_after)
                self._wait(delay if delay is not None else self.backoff * 2 ** (attempt - 1))
                continue
            return reply

    def _attempt(self, url: str, headers: dict[str, str], host: str) -> HttpReply:
        """One request, run in a helper thread so the whole of it (connect, headers and
        body) fits in `deadline` seconds, however slowly the server drips."""
        outcome: list[HttpReply | BaseException] = []
        session_box: list[requests.Session] = []

        def work() -> None:
            try:
                outcome.append(self._fetch(url, headers, host, session_box))
            except BaseException as exc:  # handed to the caller's thread
                outcome.append(exc)

        worker = threading.Thread(target=work, name="fastaudit-http", daemon=True)
        worker.start()
        worker.join(self.deadline)
        if worker.is_alive():
            for session in session_box:
                session.close()  # the daemon thread ends with its connection
            raise _Retryable(f"did not answer in full within {self.deadline:g} s")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _fetch(
        self, url: str, headers: dict[str, str], host: str, session_box: list[requests.Session]
    ) -> HttpReply:
        import requests

        session = requests.Session()
        session.headers["User-Agent"] = f"fastaudit/{__version__}"
        session_box.append(session)
        try:
            response = session.get(
                url, headers=headers, timeout=self.timeout, allow_redirects=False, stream=True
            )
            with response:
                if 300 <= response.status_code < 400:
                    return HttpReply(response.status_code, dict(response.headers), b"")
                return HttpReply(
                    response.status_code, dict(response.headers), self._body(response, host)
                )
        except requests.exceptions.SSLError:
            raise NetworkError(
                f"TLS certificate of {host} could not be verified (set REQUESTS_CA_BUNDLE "
                "for a private CA); nothing was sent"
            ) from None
        except requests.exceptions.Timeout:
            raise _Retryable("timed out") from None
        except requests.exceptions.ConnectionError:
            raise _Retryable("connection failed") from None
        except requests.exceptions.RequestException as exc:
            raise NetworkError(f"request to {host} failed: {type(exc).__name__}") from None
        except OSError as exc:  # e.g. REQUESTS_CA_BUNDLE names a missing file
            raise NetworkError(f"request to {host} could not be made: {exc}") from None
        finally:
            session.close()

    def _body(self, response: requests.Response, host: str) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise NetworkError(
                f"{host} sent {int(declared)} bytes, over the {self.max_bytes}-byte limit "
                "(http_max_response_bytes)"
            )
        body = bytearray()
        for piece in response.iter_content(_READ_PIECE):
            body += piece
            if len(body) > self.max_bytes:
                raise NetworkError(
                    f"{host} sent more than the {self.max_bytes}-byte limit "
                    "(http_max_response_bytes)"
                )
        return bytes(body)

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(seconds)


class _Retryable(Exception):
    """A failed attempt worth another try (timeout, connection failure, deadline)."""
