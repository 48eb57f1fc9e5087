"""Usage plans, as API Gateway applies them to a method that requires an API key: the key in
the x-api-key header must be an enabled key on a usage plan of this stage, else 403
INVALID_API_KEY; the plan's throttle (a token bucket per key) answers 429 THROTTLED, its quota
(requests a DAY, WEEK or MONTH) 429 QUOTA_EXCEEDED.

AWS applies throttles and quotas "on a best-effort basis" (API Gateway developer guide, "Usage
plans and API keys"): a consumer may get a little more than its plan there, never here. AWS does
not document where a period starts; here a day starts at 00:00 UTC, a week on Monday, a month on
its first day, and a quota's offset comes off the limit in the period the plans were loaded in.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

API_KEY_HEADER = "x-api-key"
# The messages API Gateway answers with, rendered through the document's gateway responses.
INVALID_API_KEY = ("INVALID_API_KEY", "Forbidden")
THROTTLED = ("THROTTLED", "Too Many Requests")
QUOTA_EXCEEDED = ("QUOTA_EXCEEDED", "Limit Exceeded")


@dataclass(frozen=True)
class Quota:
    limit: int
    period: str  # DAY, WEEK or MONTH
    offset: int = 0


@dataclass(frozen=True)
class Throttle:
    rate_limit: float  # requests a second
    burst_limit: int


@dataclass(frozen=True)
class Plan:
    name: str
    quota: Quota | None = None
    throttle: Throttle | None = None


@dataclass
class _Meter:
    """One key's use: its token bucket and its requests in the current quota period."""

    tokens: float
    refilled: float
    period: str = ""
    used: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def period_of(now: datetime.datetime, period: str) -> str:
    """The quota period `now` falls in, as a label that changes when a new period starts."""
    if period == "DAY":
        return now.strftime("%Y-%m-%d")
    if period == "WEEK":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "MONTH":
        return now.strftime("%Y-%m")
    raise ValueError(f"unknown quota period {period!r}")


class UsagePlans:
    """The enabled API keys of a stage's usage plans, and what each key has used."""

    def __init__(
        self,
        plans_by_key: Mapping[str, Plan],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._plans = dict(plans_by_key)
        self._clock = clock
        started = datetime.datetime.fromtimestamp(clock(), datetime.UTC)
        self._first_periods = {
            key: period_of(started, plan.quota.period)
            for key, plan in self._plans.items()
            if plan.quota is not None
        }
        self._meters: dict[str, _Meter] = {}
        self._meters_lock = threading.Lock()

    @classmethod
    def from_apigateway(cls, client: Any, rest_api_id: str, stage: str) -> UsagePlans:
        """The plans of `stage` and their enabled keys, as an API Gateway client reads them."""
        enabled = {
            key["id"]: key["value"]
            for key in _pages(client, "get_api_keys", includeValues=True)
            if key.get("enabled", True)
        }
        plans_by_key: dict[str, Plan] = {}
        for item in _pages(client, "get_usage_plans"):
            stages = {(s.get("apiId"), s.get("stage")) for s in item.get("apiStages", [])}
            if (rest_api_id, stage) not in stages:
                continue
            plan = _plan(item)
            for key in _pages(client, "get_usage_plan_keys", usagePlanId=item["id"]):
                if key["id"] in enabled:
                    plans_by_key[enabled[key["id"]]] = plan
        return cls(plans_by_key)

    def admit(self, key: str | None) -> tuple[str, str] | None:
        """None when a request with this key may go on (and is counted); else the gateway
        response type and message API Gateway answers with."""
        plan = self._plans.get(key) if key else None
        if key is None or plan is None:
            return INVALID_API_KEY
        now = self._clock()
        meter = self._meter(key, plan, now)
        with meter.lock:
            if plan.throttle is not None:
                rate, burst = plan.throttle.rate_limit, plan.throttle.burst_limit
                meter.tokens = min(burst, meter.tokens + (now - meter.refilled) * rate)
                meter.refilled = now
                if meter.tokens < 1:
                    return THROTTLED
            if plan.quota is not None:
                moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
                period = period_of(moment, plan.quota.period)
                if period != meter.period:
                    meter.period, meter.used = period, 0
                limit = plan.quota.limit
                if period == self._first_periods.get(key):
                    limit -= plan.quota.offset
                if meter.used >= limit:
                    return QUOTA_EXCEEDED
                meter.used += 1
            if plan.throttle is not None:
                meter.tokens -= 1
        return None

    def _meter(self, key: str, plan: Plan, now: float) -> _Meter:
        with self._meters_lock:
            meter = self._meters.get(key)
            if meter is None:
                burst = plan.throttle.burst_limit if plan.throttle is not None else 0
                meter = self._meters[key] = _Meter(tokens=float(burst), refilled=now)
            return meter


def _plan(item: Mapping[str, Any]) -> Plan:
    quota = item.get("quota") or None
    throttle = item.get("throttle") or None
    return Plan(
        name=str(item.get("name", item["id"])),
        quota=None
        if quota is None
        else Quota(int(quota["limit"]), str(quota["period"]), int(quota.get("offset", 0))),
        throttle=None
        if throttle is None
        else Throttle(float(throttle["rateLimit"]), int(throttle["burstLimit"])),
    )


def _pages(client: Any, operation: str, **params: Any) -> Iterable[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get("items", [])
