"""The local gateway over HTTP: a threading server that hands every request to the gateway."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localdev.gateway.stage import LocalGateway

LOGGER = logging.getLogger("localdev.gateway")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's REST payload limit


class Server(ThreadingHTTPServer):
    # socketserver's default listen backlog (5) resets connections beyond the fifth that
    # arrives at once: concurrent consumers would see errors API Gateway never gives.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], gateway: LocalGateway) -> None:
        super().__init__(address, _Handler)
        self.gateway = gateway


class _Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that never sends its declared body holds only its own thread

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "Send a Content-Length; chunked bodies are not supported here")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.send_error(400, "Invalid Content-Length")
            return
        # Read at most one byte past the limit: enough for the gateway to refuse the request.
        oversized = length > MAX_PAYLOAD_BYTES
        body = self.rfile.read(min(length, MAX_PAYLOAD_BYTES + 1))
        response = self.server.gateway.handle(
            self.command,
            path,
            self.headers.items(),
            query=query,
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if oversized:
            self.close_connection = True  # the rest of the body is still unread
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, PROPFIND, ...) reaches the gateway too, which answers it as
        # API Gateway answers a method the document does not define, not with a 501 page.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        LOGGER.debug(format, *args)  # the gateway writes its own access log
