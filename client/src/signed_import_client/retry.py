"""When to try again, and how long to wait: exponential backoff with full jitter, capped, and
the server's Retry-After when it gives one. Only what can succeed on a second try is retried:
connection errors, 5xx and 429 — never another 4xx."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime


def retryable_status(status: int) -> bool:
    """429 (throttled) and every 5xx but 501; a 4xx, or a 501 (the server cannot do this at
    all, e.g. multipart on a runtime too old for it), would get the same answer again."""
    return status == 429 or (status >= 500 and status != 501)


def retry_after_seconds(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date; None if absent or bad."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all (the first included). Before try n+1 (n ≥ 1) it waits a random
    time in [0, min(cap, base · 2^(n-1))] — or what Retry-After asks, up to `max_retry_after`.

    A call the API throttles (429, not a used-up quota) is asked again past `attempts` for as
    long as `throttle_patience` seconds from its first try: a throttle says "slower", not "no",
    and a batch whose files share a stage's rate (one call each, where a deployment has no
    POST /imports) would otherwise lose files to it."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 20.0
    max_retry_after: float = 120.0
    throttle_patience: float = 300.0
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.base <= 0 or self.cap < self.base:
            raise ValueError("need 0 < base <= cap")

    def should_retry(self, attempt: int, *, throttled_for: float | None = None) -> bool:
        """Whether a try numbered `attempt` (1-based) that failed retryably gets another;
        `throttled_for`: seconds since the first try, when this one was throttled."""
        if throttled_for is not None and throttled_for < self.throttle_patience:
            return True
        return attempt < self.attempts

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed try number `attempt` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return ceiling * self.jitter()


NO_RETRY = RetryPolicy(attempts=1)
