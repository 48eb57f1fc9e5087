"""Every URL form the module outputs reaches the same routes: the stage's execute-api URL, a
custom domain at its root or under a base path, a VPC endpoint's name for a private API; and
SigV4 finds its region where the hostname has one."""

from __future__ import annotations

import pytest

from signed_import_client.api import ApiClient
from signed_import_client.auth import SigV4, region_of
from signed_import_client.errors import ConfigurationError

STAGE = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1"
ENDPOINT = "https://a1b2c3d4e5-vpce-0a1b2c3d4e5f67890.execute-api.eu-west-1.amazonaws.com/v1"
DOMAIN = "https://uploads.example.com"
UNDER_A_BASE_PATH = "https://uploads.example.com/uploads"


@pytest.mark.parametrize("base", [STAGE, ENDPOINT, DOMAIN, UNDER_A_BASE_PATH])
@pytest.mark.parametrize("given", ["{base}/import", "{base}", "{base}/", "{base}/import/"])
def test_routes_hang_off_the_import_url_whatever_its_prefix(base: str, given: str) -> None:
    api = ApiClient(given.format(base=base))

    assert api.url() == f"{base}/import"
    assert api.url("imp_1", "parts") == f"{base}/import/imp_1/parts"
    assert api.url("imp_1", "complete") == f"{base}/import/imp_1/complete"
    api.close()


@pytest.mark.parametrize("bad", ["uploads.example.com/import", "ftp://uploads.example.com/import"])
def test_a_url_that_is_not_http_is_refused(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="not an http"):
        ApiClient(bad)


@pytest.mark.parametrize(
    ("url", "region"),
    [
        (f"{STAGE}/import", "eu-west-1"),
        (f"{ENDPOINT}/import", "eu-west-1"),
        ("https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn/v1/import", "cn-north-1"),
        (f"{DOMAIN}/import", None),  # a custom domain names no region
    ],
)
def test_the_region_is_read_from_execute_api_hostnames_only(url: str, region: str | None) -> None:
    assert region_of(url) == region


def test_on_a_custom_domain_sigv4_signs_for_the_region_it_is_given() -> None:
    auth = SigV4.from_keys("AKIDEXAMPLE", "secret", region="ap-southeast-2")

    signed = auth.headers("POST", f"{DOMAIN}/import", {"Content-Type": "application/json"}, b"{}")

    assert "/ap-southeast-2/execute-api/aws4_request" in signed["Authorization"]
    assert auth.region_for(f"{STAGE}/import") == "ap-southeast-2"  # given wins over the hostname
