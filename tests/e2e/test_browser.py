"""examples/browser in a real browser: Debian's headless Chromium, driven by Playwright.

Three loopback origins, as in production: the page (a static server on its own port), the API
(the local gateway, rendering examples/local applied on moto with the page's origin in
cors_allowed_origins and Cognito-style bearer tokens) and S3 (moto, whose bucket carries the
module's CORS rule). The browser enforces CORS; nothing here bypasses it. A screenshot of the
finished page is kept in build/e2e/.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests  # type: ignore[import-untyped]  # no types-requests in the dev group
from playwright.sync_api import BrowserContext, Page, Playwright, Route, sync_playwright

from localdev.emulator import LOOPBACK, MotoServer, free_port
from localdev.stack import LocalStack, deployed

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "browser"
ARTIFACTS = ROOT / "build" / "e2e"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# Headless on a closed network: no GPU, no QUIC, no first-run or background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER_POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_browser"
MIB = 1024 * 1024
PART_SIZE = 5 * MIB  # the page's part size (examples/browser/app.js)


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 (the base class declares it an instance variable)
        **SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_example() -> tuple[ThreadingHTTPServer, str]:
    """examples/browser on a loopback port of its own: one origin."""
    server = ThreadingHTTPServer((LOOPBACK, free_port()), partial(_Quiet, directory=str(EXAMPLE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{LOOPBACK}:{server.server_address[1]}"


def bearer_token(subject: str) -> str:
    """A JWT as a Cognito user pool issues one; the local gateway reads its claims unverified."""

    def part(value: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {
        "sub": subject,
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_browser",
    }
    return f"{part({'alg': 'RS256', 'kid': 'local'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    server, origin = serve_example()
    yield origin
    server.shutdown()


@pytest.fixture(scope="module")
def unlisted_origin() -> Iterator[str]:
    server, origin = serve_example()
    yield origin
    server.shutdown()


@pytest.fixture(scope="module")
def stack(
    moto: MotoServer, page_origin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    variables = {
        "cors_allowed_origins": json.dumps([page_origin]),
        "authorization_type": "COGNITO_USER_POOLS",
        "cognito_user_pool_arns": json.dumps([USER_POOL]),
    }
    with deployed(moto, tmp_path_factory.mktemp("tf"), variables) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def s3(moto: MotoServer, stack: LocalStack) -> Any:
    return moto.client("s3")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """Chromium with a fresh profile (its own localStorage) for each test."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield context
    context.close()


def open_page(browser: BrowserContext, origin: str, stack: LocalStack, subject: str) -> Page:
    page = browser.pages[0] if browser.pages else browser.new_page()
    api = stack.gateway.invoke_url
    page.goto(f"{origin}/index.html?api={api}&token={bearer_token(subject)}")
    page.wait_for_function("window.signedImport !== undefined")
    return page


def page_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate("window.signedImport")
    return state


def wait_for(page: Page, condition: Callable[[dict[str, Any]], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition(state := page_state(page)):
        assert not state["errors"], state["errors"]
        assert time.monotonic() < deadline, f"the page did not get there: {state}"
        page.wait_for_timeout(100)


def stored(s3: Any, stack: LocalStack, key: str) -> bytes:
    body: bytes = s3.get_object(Bucket=stack.outputs["bucket_name"], Key=key)["Body"].read()
    return body


def test_a_small_file_in_one_put_from_the_page(
    browser: BrowserContext, stack: LocalStack, page_origin: str, s3: Any, tmp_path: Path
) -> None:
    data = b"order_id,amount\n" + b"".join(b"%d,9.99\n" % i for i in range(2000))
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    page = open_page(browser, page_origin, stack, "alice")

    page.set_input_files("#file", str(path))
    page.click("#single")
    wait_for(page, lambda state: len(state["results"]) == 1)

    [imported] = page_state(page)["results"]
    assert imported["status"] == "complete"
    assert imported["size"] == len(data)
    assert imported["content_type"] == "text/csv"
    assert stored(s3, stack, imported["key"]) == data


def test_a_multipart_file_with_uppy_from_the_page(
    browser: BrowserContext, stack: LocalStack, page_origin: str, s3: Any, tmp_path: Path
) -> None:
    data = secrets.token_bytes(2 * PART_SIZE + 1 * MIB + 17)  # 3 parts
    path = tmp_path / "dataset.bin"
    path.write_bytes(data)
    page = open_page(browser, page_origin, stack, "bob")
    lock = json.loads((EXAMPLE / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/@uppy/aws-s3"]["version"]

    page.set_input_files("#file", str(path))
    page.click("#multipart")
    wait_for(page, lambda state: len(state["results"]) == 1)

    state = page_state(page)
    assert state["awsS3Version"] == pinned
    assert pinned.startswith("5.")
    assert state["partsUploaded"] == 3
    [imported] = state["results"]
    assert imported["status"] == "complete"
    assert imported["size"] == len(data)
    assert stored(s3, stack, imported["key"]) == data
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser-finished-page.png"), full_page=True)


def test_a_reload_mid_upload_resumes_through_list_parts(
    browser: BrowserContext, stack: LocalStack, page_origin: str, s3: Any, tmp_path: Path
) -> None:
    data = secrets.token_bytes(3 * PART_SIZE + 5)  # 4 parts
    path = tmp_path / "resumed.bin"
    path.write_bytes(data)
    page = open_page(browser, page_origin, stack, "carol")
    held: list[Route] = []

    def hold(route: Route) -> None:  # never answered: the request hangs until the reload
        held.append(route)

    # S3 never answers part 3 before the reload: parts 1, 2 and 4 land, the upload cannot finish.
    browser.route(re.compile(r".*[?&]partNumber=3(&|$)"), hold)

    page.set_input_files("#file", str(path))
    page.click("#multipart")
    wait_for(page, lambda state: state["partsUploaded"] == 3 and len(held) == 1)
    saved = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    page.reload()
    page.wait_for_function("window.signedImport !== undefined")
    browser.unroute_all(behavior="ignoreErrors")
    requests_after_reload: list[tuple[str, str]] = []
    page.on("request", lambda request: requests_after_reload.append((request.method, request.url)))
    page.set_input_files("#file", str(path))
    page.click("#multipart")
    wait_for(page, lambda state: len(state["results"]) == 1)

    [imported] = page_state(page)["results"]
    [resumed] = json.loads(saved).values()
    assert json.loads(resumed)["uploadId"] == imported["import_id"]
    assert ("GET", f"{stack.gateway.invoke_url}/import/{imported['import_id']}/parts") in (
        requests_after_reload
    )
    part_puts = [url for method, url in requests_after_reload if method == "PUT"]
    assert len(part_puts) == 1
    assert "partNumber=3" in part_puts[0]
    assert not any(m == "POST" and u.endswith("/import") for m, u in requests_after_reload)
    assert stored(s3, stack, imported["key"]) == data


def test_a_page_on_an_unlisted_origin_is_refused_by_cors(
    browser: BrowserContext, stack: LocalStack, unlisted_origin: str, tmp_path: Path
) -> None:
    path = tmp_path / "refused.csv"
    path.write_bytes(b"a,b\n1,2\n")
    page = open_page(browser, unlisted_origin, stack, "mallory")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.set_input_files("#file", str(path))
    page.click("#single")
    page.wait_for_function("window.signedImport.errors.length > 0")

    assert page_state(page)["errors"] == ["Failed to fetch"]
    assert any("blocked by CORS policy" in line and unlisted_origin in line for line in console)
    # The API itself would have answered: the browser refused to let the page ask, because the
    # preflight names no origin for this page.
    import_url = f"{stack.gateway.invoke_url}/import"
    preflight = requests.options(
        import_url,
        headers={
            "Origin": unlisted_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight.headers
    direct = requests.post(
        import_url,
        json={"size": 8, "content_type": "text/csv"},
        headers={"Origin": unlisted_origin, "Authorization": f"Bearer {bearer_token('mallory')}"},
        timeout=10,
    )
    assert direct.status_code == 201
    assert "Access-Control-Allow-Origin" not in direct.headers
