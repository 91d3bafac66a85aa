"""A real HTTPS server on 127.0.0.1 with a test CA (trustme), scripted per path.

Stands in for what cannot exist here (the Tools.FAST API, a team's inventory service),
speaking the documented responses. Every request is recorded, headers included, so tests
can prove where a key was and was not sent.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON, str/bytes -> as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drip: float = 0.0  # seconds between single bytes of the body (a slow-loris server)
    huge: int = 0  # send this many filler bytes, announced in Content-Length


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


Route = Callable[[Seen], Reply]


class ScriptedHTTPS:
    """`script(path, *replies)` queues replies (the last one repeats); `route(path, fn)`
    answers from a function of the request."""

    def __init__(self, ca: trustme.CA, hostnames: tuple[str, ...] = ("127.0.0.1", "localhost")):
        self.requests: list[Seen] = []
        self.closed = threading.Event()
        self._queues: dict[str, list[Reply]] = defaultdict(list)
        self._routes: dict[str, Route] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen = Seen("GET", self.path, {k: v for k, v in self.headers.items()})
                outer.requests.append(seen)
                reply = outer._reply(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body
                if isinstance(body, (dict, list)):
                    payload = json.dumps(body).encode()
                    content_type = "application/json"
                elif isinstance(body, str):
                    payload, content_type = body.encode(), "text/plain"
                else:
                    payload, content_type = body or b"", "application/octet-stream"
                if reply.huge:
                    payload = b""
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", content_type)
                    length = reply.huge or len(payload)
                    if not reply.headers.get("Transfer-Encoding"):
                        self.send_header("Content-Length", str(length))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if reply.huge:
                        filler = b" " * 65536
                        for _ in range(reply.huge // len(filler)):
                            self.wfile.write(filler)
                    elif reply.drip:
                        for index in range(len(payload)):
                            self.wfile.write(payload[index : index + 1])
                            self.wfile.flush()
                            if outer.closed.wait(reply.drip):
                                return
                    else:
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*hostnames).configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def script(self, path: str, *replies: Reply) -> None:
        self._queues[path].extend(replies)

    def route(self, path: str, handler: Route) -> None:
        self._routes[path] = handler

    def _reply(self, seen: Seen) -> Reply:
        path = seen.path.split("?", 1)[0]
        if path in self._routes:
            return self._routes[path](seen)
        queue = self._queues.get(path)
        if not queue:
            return Reply(404, {"error": "not_found"})
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def close(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


def write_ca_bundle(ca: trustme.CA, directory: Path) -> Path:
    path = directory / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path
