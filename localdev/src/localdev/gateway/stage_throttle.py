"""The stage's throttle, as API Gateway applies it: a token bucket per method.

"Per-API, per-stage throttling limits are applied at the API method level for a stage. You can
configure the same settings for all methods, or configure different throttle settings for each
method" (API Gateway developer guide, "Throttle requests to your REST APIs for better throughput",
How throttling limit settings are applied). The settings are the stage's method settings: `*/*`
for every method, `import/POST` (Terraform's method_path) or `~1import/POST` for one. Past its
bucket a method answers 429 THROTTLED. AWS applies throttles "on a best-effort basis": a caller
may get a little more there, never here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

THROTTLED = ("THROTTLED", "Too Many Requests")
EVERY_METHOD = "*/*"


@dataclass(frozen=True)
class Limits:
    rate: float  # requests a second
    burst: int


class _Bucket:
    def __init__(self, limits: Limits, now: float) -> None:
        self.limits = limits
        self.tokens = float(limits.burst)
        self.refilled = now
        self.lock = threading.Lock()

    def take(self, now: float) -> bool:
        with self.lock:
            rate, burst = self.limits.rate, self.limits.burst
            self.tokens = min(burst, self.tokens + (now - self.refilled) * rate)
            self.refilled = now
            if self.tokens < 1:
                return False
            self.tokens -= 1
            return True


class StageThrottle:
    """The stage's method settings' throttles; a stage without them throttles nothing."""

    def __init__(
        self, settings: Mapping[str, Limits], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settings = dict(settings)
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_stage(cls, stage: Mapping[str, Any]) -> StageThrottle:
        """From a GetStage answer's methodSettings."""
        settings = {}
        for path, item in (stage.get("methodSettings") or {}).items():
            rate, burst = item.get("throttlingRateLimit"), item.get("throttlingBurstLimit")
            if rate is not None and burst is not None:
                settings[path] = Limits(float(rate), int(burst))
        return cls(settings)

    @property
    def settings(self) -> dict[str, Limits]:
        return dict(self._settings)

    def admit(self, resource: str, method: str) -> tuple[str, str] | None:
        """None when a request to `method` on `resource` (its template, e.g.
        /import/{import_id}) may go on (and takes a token); else API Gateway's answer."""
        # One method's setting, named as Terraform's method_path ("import/POST") or with its
        # slashes escaped as in UpdateStage's patch paths ("~1import/POST"); else the stage's.
        plain = f"{resource.lstrip('/')}/{method.upper()}"
        escaped = f"{resource.replace('/', '~1')}/{method.upper()}"
        limits = (
            self._settings.get(plain)
            or self._settings.get(escaped)
            or self._settings.get(EVERY_METHOD)
        )
        if limits is None:
            return None
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get((resource, method.upper()))
            if bucket is None:
                bucket = self._buckets[(resource, method.upper())] = _Bucket(limits, now)
        return None if bucket.take(now) else THROTTLED
