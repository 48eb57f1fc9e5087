"""API latency for the client benchmark: a reverse proxy (localdev.faults) in front of the local
gateway that can hold every API call for a while before passing it on, as API Gateway and Lambda
take tens of milliseconds where the local gateway takes one. S3 traffic does not go through it.
It also counts the API calls an upload makes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from localdev.faults import FaultProxy, Rule

# Every method the API has; each rule holds its calls for the delay.
API_METHODS = ("POST", "GET", "DELETE")


class DelayedApi:
    def __init__(self, proxy: FaultProxy, import_url: str) -> None:
        self.proxy = proxy
        self.import_url = import_url  # the same API, through the proxy

    def delay(self, seconds: float) -> None:
        """From now on, hold every API call `seconds` (0: pass them on at once)."""
        self.proxy.clear()
        if seconds:
            for method in API_METHODS:
                self.proxy.add(Rule(method, r"/import", delay=seconds, times=10**9))

    @property
    def calls(self) -> int:
        """API calls answered since the last `delay()`, not counting those answered 5xx (the
        signer's 503 when the local S3 is too busy to answer its call in time: retried)."""
        return sum(seen.status is not None and seen.status < 500 for seen in self.proxy.seen)

    @property
    def unavailable(self) -> int:
        """API calls answered 5xx since the last `delay()` (each retried by the client)."""
        return len(self.proxy.seen) - self.calls


@contextmanager
def delayed_api(import_url: str) -> Iterator[DelayedApi]:
    address = urlsplit(import_url)
    with FaultProxy(upstream=f"{address.scheme}://{address.netloc}").running() as proxy:
        yield DelayedApi(proxy, f"{proxy.url}{address.path}")
