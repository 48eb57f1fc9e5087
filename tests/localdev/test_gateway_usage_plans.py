"""API keys and usage plans through the local gateway, from the module's document rendered with
usage plans: a route admits only an enabled key on one of the stage's plans, within its plan's
throttle and quota, and refuses in the module's error shape before the Lambda is invoked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from localdev.gateway import LocalGateway, LocalResponse, UsagePlans
from localdev.gateway.usage_plans import Plan, Quota, Throttle

if TYPE_CHECKING:
    from tests.localdev.test_gateway import (
        STAGE,
        VALID_BODY,
        FakeLambda,
        assert_gateway_error,
        build_document,
        post_import,
    )
else:  # rootdir-less "prepend" import mode puts this directory on sys.path
    from test_gateway import (
        STAGE,
        VALID_BODY,
        FakeLambda,
        assert_gateway_error,
        build_document,
        post_import,
    )

MONDAY_NOON = 1_767_614_400.0  # 2026-01-05T12:00:00Z
DAY = 86_400.0


class Clock:
    def __init__(self, now: float = MONDAY_NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def keyed_gateway(fake: FakeLambda, plans: UsagePlans | None, **document: Any) -> LocalGateway:
    return LocalGateway(build_document(api_keys=True, **document), STAGE, fake, usage_plans=plans)


def post(gateway: LocalGateway, key: str | None) -> LocalResponse:
    return post_import(gateway, VALID_BODY, **({} if key is None else {"x-api-key": key}))


def test_a_key_on_a_plan_reaches_the_function() -> None:
    fake = FakeLambda()
    gateway = keyed_gateway(fake, UsagePlans({"k-acme": Plan("partners", Quota(10, "DAY"))}))

    response = post(gateway, "k-acme")

    assert response.status == 201
    assert len(fake.calls) == 1


@pytest.mark.parametrize("key", [None, "", "k-unknown", "K-ACME"], ids=repr)
def test_a_missing_or_unknown_key_is_refused_before_the_function(key: str | None) -> None:
    fake = FakeLambda()
    gateway = keyed_gateway(fake, UsagePlans({"k-acme": Plan("partners", Quota(10, "DAY"))}))

    response = post(gateway, key)

    assert_gateway_error(response, 403, "InvalidApiKey", "Forbidden")
    assert fake.calls == []


def test_without_usage_plans_every_key_is_refused() -> None:
    fake = FakeLambda()
    gateway = keyed_gateway(fake, None)

    assert_gateway_error(post(gateway, "k-acme"), 403, "InvalidApiKey", "Forbidden")
    assert fake.calls == []


def test_a_used_up_quota_is_429_until_the_next_period() -> None:
    clock = Clock()
    fake = FakeLambda()
    plans = UsagePlans({"k-acme": Plan("partners", Quota(3, "DAY"))}, clock=clock)
    gateway = keyed_gateway(fake, plans)

    statuses = [post(gateway, "k-acme").status for _ in range(3)]
    refused = post(gateway, "k-acme")
    clock.now += DAY  # the next day, from 00:00 UTC
    again = post(gateway, "k-acme")

    assert statuses == [201, 201, 201]
    assert_gateway_error(refused, 429, "QuotaExceeded", "Limit Exceeded")
    assert again.status == 201
    assert len(fake.calls) == 4


@pytest.mark.parametrize(
    ("period", "later"),
    [("DAY", DAY / 2), ("WEEK", 6.5 * DAY), ("MONTH", 26.5 * DAY)],
)
def test_a_quota_lasts_its_whole_period(period: str, later: float) -> None:
    """`later`: from Monday 5 January 2026, noon, to the start of the next day, week, month."""
    clock = Clock()
    plans = UsagePlans({"k": Plan("p", Quota(1, period))}, clock=clock)

    first = plans.admit("k")
    clock.now += later - 1
    still_used_up = plans.admit("k")
    clock.now += 1  # the next period
    next_period = plans.admit("k")

    assert first is None
    assert still_used_up == ("QUOTA_EXCEEDED", "Limit Exceeded")
    assert next_period is None


def test_the_offset_comes_off_the_first_period_only() -> None:
    clock = Clock()
    plans = UsagePlans({"k": Plan("p", Quota(3, "DAY", offset=2))}, clock=clock)

    first_period = [plans.admit("k") for _ in range(2)]
    clock.now += DAY
    next_period = [plans.admit("k") for _ in range(4)]

    assert first_period == [None, ("QUOTA_EXCEEDED", "Limit Exceeded")]
    assert next_period == [None, None, None, ("QUOTA_EXCEEDED", "Limit Exceeded")]


def test_each_key_has_its_own_quota() -> None:
    plan = Plan("partners", Quota(1, "DAY"))
    plans = UsagePlans({"k-acme": plan, "k-globex": plan})

    assert plans.admit("k-acme") is None
    assert plans.admit("k-acme") == ("QUOTA_EXCEEDED", "Limit Exceeded")
    assert plans.admit("k-globex") is None


def test_a_burst_over_the_throttle_is_429_and_the_rate_refills_it() -> None:
    clock = Clock()
    fake = FakeLambda()
    plans = UsagePlans(
        {"k": Plan("p", throttle=Throttle(rate_limit=2, burst_limit=3))}, clock=clock
    )
    gateway = keyed_gateway(fake, plans)

    burst = [post(gateway, "k").status for _ in range(3)]
    throttled = post(gateway, "k")
    clock.now += 0.5  # one request's worth at 2 a second
    refilled = [post(gateway, "k").status for _ in range(2)]

    assert burst == [201, 201, 201]
    assert_gateway_error(throttled, 429, "Throttled", "Too Many Requests")
    assert refilled == [201, 429]
    assert len(fake.calls) == 4


def test_a_throttled_request_does_not_count_against_the_quota() -> None:
    clock = Clock()
    plans = UsagePlans(
        {"k": Plan("p", Quota(2, "DAY"), Throttle(rate_limit=1, burst_limit=1))}, clock=clock
    )

    answers = [plans.admit("k"), plans.admit("k")]
    clock.now += 1
    answers += [plans.admit("k"), plans.admit("k")]
    clock.now += 1
    answers.append(plans.admit("k"))

    assert answers == [
        None,
        ("THROTTLED", "Too Many Requests"),
        None,
        ("THROTTLED", "Too Many Requests"),
        ("QUOTA_EXCEEDED", "Limit Exceeded"),
    ]


def test_the_preflight_needs_no_key() -> None:
    fake = FakeLambda()
    gateway = keyed_gateway(fake, None, cors_origins=("https://app.example.com",))

    response = gateway.handle(
        "OPTIONS",
        f"/{STAGE}/import",
        {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
    )

    assert response.status == 204
    assert "x-api-key" in (response.header("Access-Control-Allow-Headers") or "").split(",")


@pytest.fixture
def apigateway() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client(
            "apigateway",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def test_plans_are_read_from_api_gateway(apigateway: Any) -> None:
    api = apigateway.create_rest_api(name="imports")["id"]
    other = apigateway.create_rest_api(name="other")["id"]

    def plan(name: str, api_id: str, **settings: Any) -> str:
        stages = [{"apiId": api_id, "stage": STAGE}]
        return str(apigateway.create_usage_plan(name=name, apiStages=stages, **settings)["id"])

    def key(name: str, plan_id: str, *, enabled: bool = True) -> str:
        created = apigateway.create_api_key(
            name=name, enabled=enabled, value=f"{name}-0123456789abcdefghij"
        )
        apigateway.create_usage_plan_key(
            usagePlanId=plan_id, keyId=created["id"], keyType="API_KEY"
        )
        return str(created["value"])

    partners = plan("partners", api, quota={"limit": 2, "period": "DAY", "offset": 0})
    trial = plan("trial", api, throttle={"rateLimit": 1.0, "burstLimit": 1})
    elsewhere = plan("elsewhere", other, quota={"limit": 100, "period": "DAY"})
    acme, tester = key("acme", partners), key("tester", trial)
    disabled, foreign = key("disabled", partners, enabled=False), key("foreign", elsewhere)

    plans = UsagePlans.from_apigateway(apigateway, api, STAGE)

    assert [plans.admit(acme) for _ in range(3)] == [
        None,
        None,
        ("QUOTA_EXCEEDED", "Limit Exceeded"),
    ]
    assert [plans.admit(tester) for _ in range(2)] == [None, ("THROTTLED", "Too Many Requests")]
    assert plans.admit(disabled) == ("INVALID_API_KEY", "Forbidden")
    assert plans.admit(foreign) == ("INVALID_API_KEY", "Forbidden")
