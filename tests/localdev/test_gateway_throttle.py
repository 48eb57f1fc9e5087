"""The stage's throttle through the local gateway: a token bucket per method, from the stage's
method settings (`*/*`, or one method's), answering 429 THROTTLED in the module's error shape
before the Lambda is invoked — as API Gateway applies it, never more kindly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from localdev.gateway import LocalGateway, StageThrottle
from localdev.gateway.stage_throttle import Limits

if TYPE_CHECKING:
    from tests.localdev.test_gateway import (
        STAGE,
        FakeLambda,
        assert_gateway_error,
        build_document,
        post_import,
    )
else:  # rootdir-less "prepend" import mode puts this directory on sys.path
    from test_gateway import STAGE, FakeLambda, assert_gateway_error, build_document, post_import


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttled_gateway(fake: FakeLambda, settings: dict[str, Limits], clock: Clock) -> LocalGateway:
    throttle = StageThrottle(settings, clock=clock)
    return LocalGateway(build_document(), STAGE, fake, stage_throttle=throttle)


def test_a_method_past_its_burst_gets_429_until_tokens_come_back() -> None:
    fake, clock = FakeLambda(), Clock()
    gateway = throttled_gateway(fake, {"*/*": Limits(rate=2, burst=3)}, clock)

    statuses = [post_import(gateway).status for _ in range(4)]

    assert statuses == [201, 201, 201, 429]
    assert len(fake.calls) == 3
    assert_gateway_error(post_import(gateway), 429, "Throttled", "Too Many Requests")
    clock.now += 0.5  # one token at 2 a second
    assert [post_import(gateway).status for _ in range(2)] == [201, 429]
    assert len(fake.calls) == 4


def test_each_method_has_its_own_bucket() -> None:
    fake, clock = FakeLambda(), Clock()
    gateway = throttled_gateway(fake, {"*/*": Limits(rate=1, burst=1)}, clock)

    assert post_import(gateway).status == 201
    assert post_import(gateway).status == 429
    # Another method of the stage: the limits are per method, not shared.
    status = gateway.handle("GET", "/v1/import/abc").status
    assert status != 429
    assert len(fake.calls) == 2


def test_one_methods_setting_overrides_the_stage_default() -> None:
    fake, clock = FakeLambda(), Clock()
    settings = {"*/*": Limits(rate=1, burst=1), "~1import/POST": Limits(rate=1, burst=5)}
    gateway = throttled_gateway(fake, settings, clock)

    assert [post_import(gateway).status for _ in range(6)] == [201] * 5 + [429]


def test_a_stage_without_throttle_settings_throttles_nothing() -> None:
    fake, clock = FakeLambda(), Clock()
    gateway = throttled_gateway(fake, {}, clock)

    assert {post_import(gateway).status for _ in range(200)} == {201}


def test_the_settings_are_read_from_the_stage_answer() -> None:
    # GetStage's methodSettings as moto and API Gateway answer them after Terraform's
    # aws_api_gateway_method_settings with method_path "*/*" (the module's).
    stage = {
        "stageName": STAGE,
        "methodSettings": {
            "*/*": {
                "metricsEnabled": True,
                "throttlingBurstLimit": 40,
                "throttlingRateLimit": 50.0,
            },
            "~1import/GET": {"metricsEnabled": True},  # no throttle of its own
        },
    }

    assert StageThrottle.from_stage(stage).settings == {"*/*": Limits(rate=50.0, burst=40)}
    assert StageThrottle.from_stage({"stageName": STAGE}).settings == {}
