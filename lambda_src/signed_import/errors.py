"""The one exception a client can cause; everything else is an internal error."""

from __future__ import annotations


class ClientError(Exception):
    """A request the client must fix: becomes a 4xx JSON error, never a 5xx."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
