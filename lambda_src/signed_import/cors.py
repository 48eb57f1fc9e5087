"""CORS headers on the signer's responses, for the module's cors_allowed_origins.

API Gateway answers the preflight (OPTIONS) itself; the browser then reads a response only when
it carries Access-Control-Allow-Origin naming the page's origin, so every answer (errors
included, or the page never sees the message) names it when it is listed, and only then.
Credentials (cookies) are never allowed: callers authenticate with an Authorization header.
"""

from __future__ import annotations

from typing import Any


def cors_headers(event: dict[str, Any], allowed_origins: frozenset[str]) -> dict[str, str]:
    if not allowed_origins:
        return {}
    if "*" in allowed_origins:
        return {"Access-Control-Allow-Origin": "*"}
    # The answer depends on the request's Origin: caches must keep one copy per origin.
    headers = {"Vary": "Origin"}
    origin = _origin(event)
    if origin in allowed_origins:
        headers["Access-Control-Allow-Origin"] = origin
    return headers


def _origin(event: dict[str, Any]) -> str | None:
    """The request's Origin header, whatever its case (HTTP/2 clients send it lowercase)."""
    for name, value in (event.get("headers") or {}).items():
        if name.lower() == "origin" and isinstance(value, str):
            return value
    return None
