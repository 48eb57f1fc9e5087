"""examples/browser in a real browser, set up exactly as its README says: Debian's headless
Chromium, driven by Playwright.

`make local-api CORS_ORIGINS=<the page's origin>` serves the API (examples/local applied on moto,
the page's origin in cors_allowed_origins) and prints the page URL to open; the page is served by
`python3 -m http.server PORT --bind 127.0.0.1` run inside examples/browser. Three loopback origins,
as in production: the page, the API (the local gateway) and S3 (moto, whose bucket carries the
module's CORS rule). The browser enforces CORS; nothing here bypasses it. A screenshot of the
finished page is kept in build/e2e/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests  # type: ignore[import-untyped]  # no types-requests in the dev group
from playwright.sync_api import BrowserContext, Page, Playwright, Route, sync_playwright

from localdev.emulator import LOOPBACK, REGION, free_port

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
MIB = 1024 * 1024
PART_SIZE = 5 * MIB  # the page's part size (examples/browser/app.js)
START_SECONDS = 300  # terraform apply on moto, with the provider's lifecycle wait
CONSUMER = "page"  # given an API key on a usage plan: every route then requires one


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1):
            return True
    except OSError:
        return False


def serve_example() -> Iterator[str]:
    """The README's static server, run inside examples/browser; its origin."""
    port = free_port()
    server = subprocess.Popen(
        ["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=EXAMPLE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not is_listening(port):
            assert server.poll() is None, "the static server exited"
            assert time.monotonic() < deadline, "the static server did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    yield from serve_example()


@pytest.fixture(scope="module")
def unlisted_origin() -> Iterator[str]:
    yield from serve_example()


@dataclass(frozen=True)
class LocalApi:
    """What `make local-api` printed."""

    output: str

    def _find(self, pattern: str) -> str:
        match = re.search(pattern, self.output, re.MULTILINE)
        assert match, self.output
        return match.group(1)

    @property
    def invoke_url(self) -> str:
        return self._find(r"stage URL \(invoke_url\): +(\S+)")

    @property
    def import_url(self) -> str:
        return self._find(r"import URL \(import_url\): +(\S+)")

    def page_url(self, origin: str) -> str:
        return self._find(rf"^  open ({re.escape(origin)}/index\.html\?\S+)$")

    def s3(self) -> Any:
        endpoint = self._find(r"S3 endpoint \(moto\): (\S+)")
        return boto3.client(
            "s3",
            region_name=REGION,
            endpoint_url=endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    @property
    def bucket(self) -> str:
        return self._find(r"bucket: (\S+)")

    @property
    def api_key(self) -> str:
        """The page consumer's key: the routes require one (API_CONSUMERS=page)."""
        return self._find(rf"^  {CONSUMER}: (\S+)$")


@pytest.fixture(scope="module")
def local_api(page_origin: str) -> Iterator[LocalApi]:
    """`make local-api CORS_ORIGINS=<page origin>`, as a user runs it in a terminal; Ctrl-C (a
    SIGINT to its process group) at the end, which must destroy the stack and stop moto."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    process = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "local-api",
            f"CORS_ORIGINS={page_origin}",
            f"API_CONSUMERS={CONSUMER}",
        ],
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    stdout = process.stdout
    assert stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")))
    reader.start()
    deadline = time.monotonic() + START_SECONDS
    while not any(line.startswith("Press Ctrl-C") for line in list(lines)):
        assert process.poll() is None, "".join(lines)
        assert time.monotonic() < deadline, "".join(lines)
        time.sleep(0.2)
    try:
        yield LocalApi("".join(lines))
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=START_SECONDS)
        reader.join(timeout=10)
    output = "".join(lines)
    assert "terraform destroy" in output, output
    assert "moto_server stopped" in output, output


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


def open_page(browser: BrowserContext, url: str) -> Page:
    page = browser.pages[0] if browser.pages else browser.new_page()
    page.goto(url)
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


def stored(local_api: LocalApi, key: str) -> bytes:
    body: bytes = local_api.s3().get_object(Bucket=local_api.bucket, Key=key)["Body"].read()
    return body


def test_make_local_api_prints_the_page_url_for_the_allowed_origin(
    local_api: LocalApi, page_origin: str
) -> None:
    page_url = local_api.page_url(page_origin)

    assert page_url == (
        f"{page_origin}/index.html?api={local_api.invoke_url}&token=local"
        f"&api_key={local_api.api_key}"
    )
    assert f"python3 -m http.server {page_origin.rsplit(':', 1)[1]} --bind 127.0.0.1" in (
        local_api.output
    )
    assert local_api.import_url == f"{local_api.invoke_url}/import"


FILES = {
    "small": 2 * MIB + 3,  # below the page's part size: Uppy signs one PUT
    "three-parts": 2 * PART_SIZE + MIB + 17,
    "empty": 0,
}


@pytest.mark.parametrize(
    "case",
    [(button, file) for button in ("single", "multipart") for file in FILES],
    ids="-".join,
)
def test_a_file_from_the_page(
    browser: BrowserContext,
    local_api: LocalApi,
    page_origin: str,
    tmp_path: Path,
    case: tuple[str, str],
) -> None:
    button, file = case
    size = FILES[file]
    data = secrets.token_bytes(size)
    path = tmp_path / f"{file}.bin"
    path.write_bytes(data)
    page = open_page(browser, local_api.page_url(page_origin))

    page.set_input_files("#file", str(path))
    page.click(f"#{button}")
    wait_for(page, lambda state: len(state["results"]) == 1)

    state = page_state(page)
    [imported] = state["results"]
    assert imported["status"] == "complete"
    assert imported["size"] == size
    assert stored(local_api, imported["key"]) == data
    assert page.text_content("#status") == f"Imported {file}.bin."
    assert page.eval_on_selector("#progress", "bar => bar.value") == 1
    uses_parts = button == "multipart" and size > PART_SIZE
    assert imported["method"] == ("MULTIPART" if uses_parts else "PUT")
    if uses_parts:
        assert state["partsUploaded"] == 3
        lock = json.loads((EXAMPLE / "package-lock.json").read_text())
        pinned = lock["packages"]["node_modules/@uppy/aws-s3"]["version"]
        assert state["awsS3Version"] == pinned
        assert pinned.startswith("5.")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-finished-page.png"), full_page=True)


def test_the_page_takes_the_import_url_too(
    browser: BrowserContext, local_api: LocalApi, page_origin: str, tmp_path: Path
) -> None:
    data = b"order_id,amount\n" + b"".join(b"%d,9.99\n" % i for i in range(2000))
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    query = f"api={local_api.import_url}&token=x&api_key={local_api.api_key}"
    page = open_page(browser, f"{page_origin}/index.html?{query}")

    page.set_input_files("#file", str(path))
    page.click("#single")
    wait_for(page, lambda state: len(state["results"]) == 1)

    [imported] = page_state(page)["results"]
    assert (imported["status"], imported["content_type"]) == ("complete", "text/csv")
    assert stored(local_api, imported["key"]) == data


def test_a_reload_mid_upload_resumes_through_list_parts(
    browser: BrowserContext, local_api: LocalApi, page_origin: str, tmp_path: Path
) -> None:
    data = secrets.token_bytes(3 * PART_SIZE + 5)  # 4 parts
    path = tmp_path / "resumed.bin"
    path.write_bytes(data)
    page = open_page(browser, local_api.page_url(page_origin))
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
    assert ("GET", f"{local_api.import_url}/{imported['import_id']}/parts") in (
        requests_after_reload
    )
    part_puts = [url for method, url in requests_after_reload if method == "PUT"]
    assert len(part_puts) == 1
    assert "partNumber=3" in part_puts[0]
    assert not any(m == "POST" and u.endswith("/import") for m, u in requests_after_reload)
    assert stored(local_api, imported["key"]) == data


def test_a_page_on_an_unlisted_origin_is_refused_by_cors(
    browser: BrowserContext, local_api: LocalApi, unlisted_origin: str, tmp_path: Path
) -> None:
    path = tmp_path / "refused.csv"
    path.write_bytes(b"a,b\n1,2\n")
    page = open_page(
        browser,
        f"{unlisted_origin}/index.html?api={local_api.invoke_url}&token=mallory"
        f"&api_key={local_api.api_key}",
    )
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    page.set_input_files("#file", str(path))
    page.click("#single")
    page.wait_for_function("window.signedImport.errors.length > 0")

    assert page_state(page)["errors"] == ["Failed to fetch"]
    assert any("blocked by CORS policy" in line and unlisted_origin in line for line in console)
    # The API itself would have answered: the browser refused to let the page ask, because the
    # preflight names no origin for this page.
    preflight = requests.options(
        local_api.import_url,
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
        local_api.import_url,
        json={"size": 8, "content_type": "text/csv"},
        headers={
            "Origin": unlisted_origin,
            "Authorization": "Bearer mallory",
            "x-api-key": local_api.api_key,
        },
        timeout=10,
    )
    assert direct.status_code == 201
    assert "Access-Control-Allow-Origin" not in direct.headers


def test_a_page_without_the_api_key_is_told_so(
    browser: BrowserContext, local_api: LocalApi, page_origin: str, tmp_path: Path
) -> None:
    path = tmp_path / "keyless.csv"
    path.write_bytes(b"a,b\n1,2\n")
    page = open_page(browser, f"{page_origin}/index.html?api={local_api.invoke_url}&token=x")

    page.set_input_files("#file", str(path))
    page.click("#single")
    page.wait_for_function("window.signedImport.errors.length > 0")

    # API Gateway's own refusal, readable by the page: the gateway response names its origin.
    assert page_state(page)["errors"] == ["403 InvalidApiKey: Forbidden"]
    assert page_state(page)["results"] == []
