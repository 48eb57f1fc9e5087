"""An HTTP proxy on 127.0.0.1 that injects faults, for testing how a client copes.

Point a client at it with HTTP_PROXY (httpx and most HTTP clients honour it): requests pass
through to their real destination (the local gateway, the S3 emulator) unchanged, except those
a rule matches, which get the rule's answer instead — a status with headers and a body (a 503,
a 429 with Retry-After, S3's 403 for an expired URL), a dropped connection, or a delay before
the request is passed on. Every request is recorded, with its body when it is small.

With an `upstream`, it is also a reverse proxy: a request for a path (not a full URL) goes to
the upstream, so that a service's endpoint can be pointed at it (the signer's S3 endpoint, and
with it the URLs it signs). `down()` makes it unreachable like a dead service — the port refuses
connections and open connections are cut at their next request — until `up()`.

Plain http only (the local stack has no TLS); nothing listens beyond the loopback interface.
"""

from __future__ import annotations

import http.client
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOOPBACK = "127.0.0.1"
RECORDED_BODY_LIMIT = 64 * 1024
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
EXPIRED_URL_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


@dataclass
class Rule:
    """Matches `method` and a regex searched in the full URL (and in the body, if given)."""

    method: str
    url: str
    status: int | None = None  # answer with this instead of passing the request on
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drop: bool = False  # close the connection without an answer
    delay: float = 0.0  # wait before passing the request on (with status None)
    times: int = 1  # how many matching requests it applies to
    body_pattern: str | None = None
    hits: int = 0

    def matches(self, method: str, url: str, body: bytes) -> bool:
        if self.hits >= self.times or method != self.method or not re.search(self.url, url):
            return False
        return (
            self.body_pattern is None
            or re.search(self.body_pattern, body.decode(errors="replace")) is not None
        )


@dataclass(frozen=True)
class Seen:
    method: str
    url: str
    status: int | None  # what the client got; None for a dropped connection
    faulted: bool
    body: bytes | None  # None when larger than RECORDED_BODY_LIMIT


class FaultProxy:
    def __init__(self, upstream: str | None = None) -> None:
        """`upstream` (http://host:port): where requests for a path go (reverse proxy)."""
        self.upstream = upstream.rstrip("/") if upstream else None
        self.rules: list[Rule] = []
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.available = True
        self._port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("the proxy has not been started")
        return f"http://{LOOPBACK}:{self._port}"

    def add(self, rule: Rule) -> Rule:
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()
            self.seen.clear()

    def requests(self, method: str, url_pattern: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and re.search(url_pattern, s.url)]

    def _match(self, method: str, url: str, body: bytes) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, url, body):
                    rule.hits += 1
                    return rule
        return None

    def _record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    def start(self) -> FaultProxy:
        """Listen (again: on the same port once it has one)."""
        self._server = _Server((LOOPBACK, self._port), self)
        self._port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.available = True
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def down(self) -> None:
        """Unreachable: connections are refused, and open ones closed at their next request."""
        self.available = False
        self.stop()

    def up(self) -> None:
        """Reachable again, on the same port."""
        self.start()

    @contextmanager
    def running(self) -> Iterator[FaultProxy]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # not socketserver's 5: a burst of connections is no fault

    def __init__(self, address: tuple[str, int], proxy: FaultProxy) -> None:
        super().__init__(address, _Handler)
        self.proxy = proxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that went away (one that gave up on a delayed answer)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 60

    def _dispatch(self) -> None:
        proxy = self.server.proxy
        if not proxy.available:  # down: a keep-alive connection from before is cut too
            self.close_connection = True
            self.connection.shutdown(2)
            return
        url = self.path
        if url.startswith("/") and proxy.upstream is not None:
            url = proxy.upstream + url
        target = urllib.parse.urlsplit(url)
        if target.scheme != "http" or not target.hostname:
            self.send_error(400, "absolute http:// URLs only (use this as HTTP_PROXY)")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        rule = proxy._match(self.command, url, body)
        recorded = body if len(body) <= RECORDED_BODY_LIMIT else None
        if rule is not None and rule.drop:
            proxy._record(Seen(self.command, url, None, True, recorded))
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if rule is not None and rule.status is not None:
            proxy._record(Seen(self.command, url, rule.status, True, recorded))
            self._answer(rule.status, list(rule.headers.items()), rule.body)
            return
        if rule is not None and rule.delay:
            time.sleep(rule.delay)
        status, headers, answer = self._forward(target, body)
        proxy._record(Seen(self.command, url, status, rule is not None, recorded))
        self._answer(status, headers, answer)

    def _forward(
        self, target: urllib.parse.SplitResult, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(
            target.hostname or LOOPBACK, target.port or 80, timeout=120
        )
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            connection.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    connection.putheader(name, value)
            connection.endheaders(body if body else None)
            response = connection.getresponse()
            answer = response.read()
            headers = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"
            ]
            return response.status, headers, answer
        finally:
            connection.close()

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the proxy keeps its own record (FaultProxy.seen)."""
