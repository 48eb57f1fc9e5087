"""S3 unreachable, slow or throttling: every route answers a 503 the caller can retry, quickly,
in the module's error shape and with Retry-After; a real bug stays an opaque 500.

The first tests make every S3 call of the signer fail with a given botocore error; the last
ones point the signer at a local socket that refuses, never answers or answers 503, and time
how long it takes to give up.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import hcl2
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)

from signed_import import s3_client
from signed_import.config import load_settings

from .helpers import (
    BUCKET,
    FUNCTION_ENV,
    HANDLER_MODULE,
    LambdaContext,
    LoadSigner,
    Response,
    Signer,
    import_handler,
    route_event,
)

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024**2
THRESHOLD = 8 * MIB
ENDPOINT = "http://s3.local.test"
IMPORT = "/import"
IMPORT_ID = "/import/{import_id}"
PARTS = "/import/{import_id}/parts"
COMPLETE = "/import/{import_id}/complete"
MULTIPART_ENV = {
    "MULTIPART_ENABLED": "true",
    "MULTIPART_THRESHOLD_BYTES": str(THRESHOLD),
    "MAX_UPLOAD_BYTES": str(1024 * MIB),
}


def s3_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "detail"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "CreateMultipartUpload")


UNAVAILABLE = [
    pytest.param(EndpointConnectionError(endpoint_url=ENDPOINT), id="connection-refused"),
    pytest.param(ConnectTimeoutError(endpoint_url=ENDPOINT), id="connect-timeout"),
    pytest.param(ReadTimeoutError(endpoint_url=ENDPOINT), id="read-timeout"),
    pytest.param(ConnectionClosedError(endpoint_url=ENDPOINT), id="connection-closed"),
    pytest.param(s3_error("SlowDown", 503), id="slow-down"),
    pytest.param(s3_error("ServiceUnavailable", 503), id="service-unavailable"),
    pytest.param(s3_error("InternalError", 500), id="internal-error"),
    pytest.param(s3_error("InternalError", 200), id="internal-error-inside-a-200"),
    pytest.param(s3_error("GatewayTimeout", 504), id="gateway-timeout"),
]
BUGS = [
    pytest.param(s3_error("AccessDenied", 403), id="access-denied"),
    pytest.param(s3_error("NotImplemented", 501), id="not-implemented"),
    pytest.param(s3_error("NoSuchBucket", 404), id="no-such-bucket"),
    pytest.param(
        SSLError(endpoint_url=ENDPOINT, error=OSError("certificate verify failed")), id="tls"
    ),
    pytest.param(NoCredentialsError(), id="no-credentials"),
    pytest.param(KeyError("UploadId"), id="a-bug"),
]


class FailingS3:
    """Stands in for the signer's S3 client: every call raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        def fail(**kwargs: Any) -> Any:
            self.calls.append(name)
            raise self.error

        return fail


@pytest.fixture
def mp(load_signer: LoadSigner) -> Signer:
    return load_signer(**MULTIPART_ENV)


def start_multipart(signer: Signer, **fields: Any) -> str:
    created = signer.invoke({"size": THRESHOLD + 1, "content_type": "text/csv", **fields})
    assert created.status == 201, created.body
    return str(created.body["import_id"])


def assert_unavailable(response: Response) -> None:
    assert response.status == 503
    assert response.error_code == "ServiceUnavailable"
    assert set(response.body) == {"error"}
    assert set(response.body["error"]) == {"code", "message"}
    assert "try again in 1 s" in response.body["error"]["message"]
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("error", UNAVAILABLE)
def test_s3_unavailable_is_a_503_with_retry_after_and_no_traceback(
    mp: Signer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    monkeypatch.setattr(mp.module, "S3", FailingS3(error))
    caplog.set_level(logging.INFO)

    response = mp.invoke({"size": THRESHOLD + 1, "content_type": "text/csv"})

    assert_unavailable(response)
    assert "request id 11111111-2222-3333-4444-555555555555" in response.body["error"]["message"]
    assert "detail" not in str(response.body)
    assert ENDPOINT not in str(response.body)
    [line] = [r for r in caplog.records if r.getMessage() == "import request"]
    assert line.levelno == logging.WARNING
    assert line.exc_info is None
    fields = vars(line)
    assert (fields["outcome"], fields["status"]) == ("unavailable", 503)
    assert fields["s3_error"] == type(error).__name__
    assert not [r for r in caplog.records if r.exc_info is not None]
    assert mp.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


@pytest.mark.parametrize("error", BUGS)
def test_anything_else_stays_an_opaque_500_with_its_traceback_logged(
    mp: Signer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    monkeypatch.setattr(mp.module, "S3", FailingS3(error))
    caplog.set_level(logging.INFO)

    response = mp.invoke({"size": THRESHOLD + 1, "content_type": "text/csv"})

    assert (response.status, response.error_code) == (500, "InternalError")
    assert "Retry-After" not in response.headers
    [failure] = [r for r in caplog.records if r.getMessage() == "request failed"]
    assert failure.exc_info is not None


@pytest.mark.parametrize(
    ("method", "resource", "body"),
    [
        pytest.param("GET", IMPORT_ID, None, id="status"),
        pytest.param("GET", PARTS, None, id="list-parts"),
        pytest.param("POST", PARTS, {"part_numbers": [1]}, id="sign-parts"),
        pytest.param(
            "POST", COMPLETE, {"parts": [{"part_number": 1, "etag": '"x"'}]}, id="complete"
        ),
        pytest.param("DELETE", IMPORT_ID, None, id="abort"),
    ],
)
def test_every_route_that_calls_s3_answers_503(
    mp: Signer,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    resource: str,
    body: object,
) -> None:
    import_id = start_multipart(mp)
    failing = FailingS3(ReadTimeoutError(endpoint_url=ENDPOINT))
    monkeypatch.setattr(mp.module, "S3", failing)

    response = mp.route(method, resource, import_id, body)

    assert_unavailable(response)
    assert len(failing.calls) == 1  # the first S3 call fails the request; nothing after it runs


def test_a_single_put_is_signed_even_when_s3_is_down(
    mp: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = FailingS3(EndpointConnectionError(endpoint_url=ENDPOINT))
    monkeypatch.setattr(mp.module, "S3", failing)

    response = mp.invoke({"size": 10, "content_type": "text/csv"})

    assert response.status == 201
    assert failing.calls == []  # presigning needs no S3 call


def test_a_completion_s3_refuses_inside_a_200_is_retryable(
    mp: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = start_multipart(mp, size=5 * MIB + 1, multipart=True, part_size=5 * MIB)
    [upload_in_s3] = mp.s3.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    key, upload = upload_in_s3["Key"], upload_in_s3["UploadId"]
    parts = []
    for number, size in ((1, 5 * MIB), (2, 1)):
        etag = mp.s3.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload, PartNumber=number, Body=b"x" * size
        )["ETag"]
        parts.append({"part_number": number, "etag": etag})

    def refused(**kwargs: Any) -> Any:
        # What botocore raises for S3's "200 OK" whose body is an <Error>.
        error = s3_error("InternalError", 200)
        error.operation_name = "CompleteMultipartUpload"
        raise error

    real = mp.module.S3
    monkeypatch.setattr(real, "complete_multipart_upload", refused)

    response = mp.route("POST", COMPLETE, import_id, {"parts": parts})

    assert_unavailable(response)
    monkeypatch.undo()
    assert mp.route("POST", COMPLETE, import_id, {"parts": parts}).status == 200


# --- the client's bounds ---------------------------------------------------------------------


def default_lambda_timeout() -> int:
    with (ROOT / "variables.tf").open() as file:
        variables = hcl2.load(file)["variable"]
    [timeout] = [
        v['"lambda_timeout"'] for v in variables if '"lambda_timeout"' in v
    ]  # names stay quoted
    return int(timeout["default"])


def test_the_s3_client_gives_up_well_inside_the_function_timeout() -> None:
    settings = load_settings({**FUNCTION_ENV, **MULTIPART_ENV, "AWS_REGION": "eu-west-1"})
    config: Any = s3_client.make_s3_client(settings).meta.config  # stubs omit its fields

    assert config.connect_timeout == s3_client.CONNECT_TIMEOUT_SECONDS
    assert config.read_timeout == s3_client.READ_TIMEOUT_SECONDS
    assert config.retries == {"mode": "standard", "total_max_attempts": s3_client.MAX_ATTEMPTS}
    # One S3 call, every attempt timing out, plus the route's own work, before Lambda stops it.
    assert default_lambda_timeout() - 1 >= s3_client.WORST_CALL_SECONDS


# --- against a socket -------------------------------------------------------------------------


class FakeS3:
    """A loopback port that refuses connections, never answers, or answers 503 SlowDown;
    counts the connections (blackhole) or requests (503) it sees."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.count = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if mode == "refuse":
            self._listener.close()
        elif mode == "blackhole":
            self._listener.listen(16)
            self._listener.settimeout(0.1)
            self._thread = threading.Thread(target=self._accept, daemon=True)
            self._thread.start()
        else:
            port = self._listener.getsockname()[1]
            self._listener.close()
            self._http = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
            threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.count += 1
            self._held.append(connection)  # read nothing, answer nothing

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake.count += 1
                body = b"<Error><Code>SlowDown</Code><Message>Please reduce</Message></Error>"
                self.send_response(503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        return Handler

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for connection in self._held:
            connection.close()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        self._listener.close()


@pytest.fixture
def signer_against(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Import the handler with its S3 endpoint at a FakeS3 of the given mode."""
    fakes: list[FakeS3] = []

    def load(mode: str) -> tuple[Any, FakeS3]:
        fake = FakeS3(mode)
        fakes.append(fake)
        for name, value in {**MULTIPART_ENV, "AWS_ENDPOINT_URL_S3": fake.endpoint}.items():
            monkeypatch.setenv(name, value)
        return import_handler(), fake

    yield load
    for fake in fakes:
        fake.close()
    sys.modules.pop(HANDLER_MODULE, None)


def create_multipart(module: Any) -> tuple[dict[str, Any], float]:
    event = route_event("POST", IMPORT, body={"size": THRESHOLD + 1, "content_type": "text/csv"})
    started = time.monotonic()
    raw = module.handler(event, LambdaContext())
    return raw, time.monotonic() - started


def test_a_refused_connection_is_a_503_at_once(signer_against: Any) -> None:
    module, _ = signer_against("refuse")

    raw, elapsed = create_multipart(module)

    assert raw["statusCode"] == 503
    assert raw["headers"]["Retry-After"] == "1"
    assert elapsed < 2


def test_throttling_is_retried_once_then_a_503(signer_against: Any) -> None:
    module, fake = signer_against("503")

    raw, elapsed = create_multipart(module)

    assert raw["statusCode"] == 503
    assert fake.count == s3_client.MAX_ATTEMPTS
    assert elapsed < s3_client.WORST_CALL_SECONDS


def test_an_s3_that_never_answers_is_given_up_on_after_the_read_timeouts(
    signer_against: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shorter than the real 3 s, so that the test is quick; the mechanism is the same.
    monkeypatch.setattr(s3_client, "READ_TIMEOUT_SECONDS", 0.4)
    module, fake = signer_against("blackhole")

    raw, elapsed = create_multipart(module)

    assert raw["statusCode"] == 503
    assert fake.count == s3_client.MAX_ATTEMPTS  # one connection per attempt
    assert s3_client.MAX_ATTEMPTS * 0.4 <= elapsed < s3_client.MAX_ATTEMPTS * 0.4 + 1.5
