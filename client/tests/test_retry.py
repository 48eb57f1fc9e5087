"""The retry policy: what is retried, how long it waits, and that Retry-After wins."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from signed_import_client.retry import RetryPolicy, retry_after_seconds, retryable_status


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (429, True),
        (500, True),
        (501, False),  # not implemented here: asking again changes nothing
        (502, True),
        (503, True),
        (504, True),
        (400, False),
        (403, False),
        (404, False),
        (409, False),
        (412, False),
        (413, False),
        (415, False),
        (200, False),
    ],
)
def test_only_throttling_and_server_errors_are_retried(status: int, retried: bool) -> None:
    assert retryable_status(status) is retried


def test_backoff_grows_exponentially_up_to_the_cap_with_full_jitter() -> None:
    top = RetryPolicy(base=0.5, cap=4.0, jitter=lambda: 1.0)
    bottom = RetryPolicy(base=0.5, cap=4.0, jitter=lambda: 0.0)

    assert [top.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [bottom.delay(n) for n in range(1, 7)] == [0.0] * 6


def test_jitter_spreads_delays_between_zero_and_the_ceiling() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0)
    delays = [policy.delay(4) for _ in range(500)]
    assert all(0.0 <= d <= 8.0 for d in delays)
    assert max(delays) - min(delays) > 4.0  # not a constant


def test_retry_after_overrides_backoff_within_a_bound() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0, max_retry_after=30.0, jitter=lambda: 1.0)
    assert policy.delay(1, retry_after=7.0) == 7.0
    assert policy.delay(1, retry_after=3600.0) == 30.0
    assert policy.delay(1, retry_after=-5.0) == 0.0


def test_attempts_count_the_first_try() -> None:
    policy = RetryPolicy(attempts=3)
    assert [policy.should_retry(n) for n in (1, 2, 3, 4)] == [True, True, False, False]
    assert not RetryPolicy(attempts=1).should_retry(1)


@pytest.mark.parametrize("attempts", [0, -1])
def test_a_policy_without_tries_is_refused(attempts: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RetryPolicy(attempts=attempts)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    later = format_datetime(datetime(2026, 11, 25, 12, 0, 9, tzinfo=UTC), usegmt=True)

    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds(later, now=now.timestamp) == 9.0
    assert retry_after_seconds("Wed, 25 Nov 2026 11:00:00 GMT", now=now.timestamp) == 0.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("") is None


def test_a_throttled_call_is_asked_again_past_its_attempts_within_the_patience() -> None:
    policy = RetryPolicy(attempts=3, throttle_patience=60.0)

    assert policy.should_retry(10, throttled_for=59.0)
    assert not policy.should_retry(10, throttled_for=60.0)
    assert not policy.should_retry(3)  # anything else: the attempts alone
    assert not RetryPolicy(attempts=3, throttle_patience=0.0).should_retry(3, throttled_for=0.0)
