"""Bad configuration fails the import loudly; internal errors are a logged 500 without detail."""

from __future__ import annotations

import logging

import pytest

from signed_import.config import (
    MIN_PART_SIZE,
    S3_OBJECT_LIMIT,
    S3_SINGLE_PUT_LIMIT,
    ConfigError,
    load_settings,
)

from .helpers import (
    FUNCTION_ENV,
    LambdaContext,
    LoadSigner,
    Response,
    Signer,
    import_handler,
    request_body,
)

VALID_ENV = {**FUNCTION_ENV, "AWS_REGION": "us-east-1"}


CONFIG_ERRORS = [
    pytest.param({"BUCKET_NAME": None}, "BUCKET_NAME", id="bucket-missing"),
    pytest.param({"BUCKET_NAME": "  "}, "BUCKET_NAME", id="bucket-blank"),
    pytest.param({"BUCKET_NAME": "Bad_Bucket"}, "BUCKET_NAME", id="bucket-invalid"),
    pytest.param({"KEY_PREFIX": None}, "KEY_PREFIX", id="prefix-missing"),
    pytest.param({"KEY_PREFIX": "../"}, "KEY_PREFIX", id="prefix-parent"),
    pytest.param({"KEY_PREFIX": "imports/../"}, "KEY_PREFIX", id="prefix-inner-parent"),
    pytest.param({"KEY_PREFIX": "imports"}, "KEY_PREFIX", id="prefix-no-trailing-slash"),
    pytest.param({"KEY_PREFIX": "/imports/"}, "KEY_PREFIX", id="prefix-absolute"),
    pytest.param({"KEY_PREFIX": "imports//"}, "KEY_PREFIX", id="prefix-empty-segment"),
    pytest.param({"KEY_PREFIX": "my imports/"}, "KEY_PREFIX", id="prefix-space"),
    pytest.param({"KEY_PREFIX": "./"}, "KEY_PREFIX", id="prefix-dot"),
    pytest.param({"KEY_PREFIX": "imports/./"}, "KEY_PREFIX", id="prefix-inner-dot"),
    pytest.param({"ALLOWED_CONTENT_TYPES": None}, "ALLOWED_CONTENT_TYPES", id="types-missing"),
    pytest.param({"ALLOWED_CONTENT_TYPES": "*/*"}, "ALLOWED_CONTENT_TYPES", id="types-any"),
    pytest.param(
        {"ALLOWED_CONTENT_TYPES": "text/csv,"}, "ALLOWED_CONTENT_TYPES", id="types-empty-entry"
    ),
    pytest.param({"MAX_UPLOAD_BYTES": None}, "MAX_UPLOAD_BYTES", id="max-missing"),
    pytest.param({"MAX_UPLOAD_BYTES": "lots"}, "MAX_UPLOAD_BYTES", id="max-not-a-number"),
    pytest.param({"MAX_UPLOAD_BYTES": "1.5"}, "MAX_UPLOAD_BYTES", id="max-float"),
    pytest.param({"MAX_UPLOAD_BYTES": "0"}, "MAX_UPLOAD_BYTES", id="max-zero"),
    pytest.param({"MAX_UPLOAD_BYTES": "-1"}, "MAX_UPLOAD_BYTES", id="max-negative"),
    pytest.param(
        {"MAX_UPLOAD_BYTES": str(S3_SINGLE_PUT_LIMIT + 1)}, "MAX_UPLOAD_BYTES", id="max-over-5gib"
    ),
    pytest.param({"URL_EXPIRY_SECONDS": None}, "URL_EXPIRY_SECONDS", id="expiry-missing"),
    pytest.param({"URL_EXPIRY_SECONDS": "59"}, "URL_EXPIRY_SECONDS", id="expiry-59"),
    pytest.param({"URL_EXPIRY_SECONDS": "3601"}, "URL_EXPIRY_SECONDS", id="expiry-3601"),
    pytest.param({"URL_EXPIRY_SECONDS": "604800"}, "URL_EXPIRY_SECONDS", id="expiry-7-days"),
    pytest.param({"URL_EXPIRY_SECONDS": "15m"}, "URL_EXPIRY_SECONDS", id="expiry-not-a-number"),
    pytest.param({"AWS_REGION": None}, "AWS_REGION", id="region-missing"),
    pytest.param({"MULTIPART_ENABLED": "yes"}, "MULTIPART_ENABLED", id="multipart-not-bool"),
    pytest.param(
        {"MULTIPART_ENABLED": "true"}, "MULTIPART_THRESHOLD_BYTES", id="threshold-missing"
    ),
    pytest.param(
        {"MULTIPART_ENABLED": "true", "MULTIPART_THRESHOLD_BYTES": str(MIN_PART_SIZE - 1)},
        "MULTIPART_THRESHOLD_BYTES",
        id="threshold-below-5-mib",
    ),
    pytest.param(
        {"MULTIPART_ENABLED": "true", "MULTIPART_THRESHOLD_BYTES": str(S3_SINGLE_PUT_LIMIT + 1)},
        "MULTIPART_THRESHOLD_BYTES",
        id="threshold-above-5-gib",
    ),
    pytest.param(
        {
            "MULTIPART_ENABLED": "true",
            "MULTIPART_THRESHOLD_BYTES": str(MIN_PART_SIZE),
            "MAX_UPLOAD_BYTES": str(S3_OBJECT_LIMIT + 1),
        },
        "MAX_UPLOAD_BYTES",
        id="max-over-s3-object-limit",
    ),
    pytest.param({"CALLER_ISOLATION": "user"}, "CALLER_ISOLATION", id="isolation-unknown"),
    pytest.param(
        {"MAX_IMPORTS_PER_REQUEST": "101"}, "MAX_IMPORTS_PER_REQUEST", id="imports-per-call-101"
    ),
    pytest.param(
        {"MAX_IMPORTS_PER_REQUEST": "-1"}, "MAX_IMPORTS_PER_REQUEST", id="imports-per-call-neg"
    ),
    *(
        pytest.param(
            {"UPLOAD_ENDPOINT_URL": url}, "UPLOAD_ENDPOINT_URL", id=f"upload-endpoint-{name}"
        )
        for name, url in [
            (
                "http",
                "http://bucket.vpce-0123456789abcdef0-abcd1234.s3.eu-west-1.vpce.amazonaws.com",
            ),
            ("with-path", "https://bucket.vpce-1a2b3c4d-5e6f.s3.eu-west-1.vpce.amazonaws.com/x"),
            ("with-query", "https://bucket.vpce-1a2b3c4d-5e6f.s3.eu-west-1.vpce.amazonaws.com?a"),
            ("upper-case", "https://Bucket.vpce-1a2b3c4d-5e6f.s3.eu-west-1.vpce.amazonaws.com"),
            ("no-host", "https://"),
        ]
    ),
]


def _env(changes: dict[str, str | None]) -> dict[str, str]:
    env: dict[str, str | None] = {**VALID_ENV, **changes}
    return {name: value for name, value in env.items() if value is not None}


@pytest.mark.parametrize(("changes", "variable"), CONFIG_ERRORS)
def test_bad_setting_raises_config_error(changes: dict[str, str | None], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(_env(changes))


@pytest.mark.parametrize(("changes", "variable"), CONFIG_ERRORS)
def test_bad_setting_fails_the_handler_import(
    aws: None, monkeypatch: pytest.MonkeyPatch, changes: dict[str, str | None], variable: str
) -> None:
    for name, value in changes.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)

    with pytest.raises(ConfigError, match=variable):
        import_handler()


@pytest.mark.parametrize(
    ("changes", "attribute", "expected"),
    [
        pytest.param({"URL_EXPIRY_SECONDS": "60"}, "url_expiry_seconds", 60, id="expiry-60"),
        pytest.param({"URL_EXPIRY_SECONDS": "3600"}, "url_expiry_seconds", 3600, id="expiry-3600"),
        pytest.param(
            {"MAX_UPLOAD_BYTES": str(S3_SINGLE_PUT_LIMIT)},
            "max_upload_bytes",
            S3_SINGLE_PUT_LIMIT,
            id="max-5gib",
        ),
        pytest.param({"MAX_UPLOAD_BYTES": "1"}, "max_upload_bytes", 1, id="max-1"),
        pytest.param(
            {
                "MULTIPART_ENABLED": "true",
                "MULTIPART_THRESHOLD_BYTES": str(MIN_PART_SIZE),
                "MAX_UPLOAD_BYTES": str(S3_OBJECT_LIMIT),
            },
            "max_upload_bytes",
            S3_OBJECT_LIMIT,
            id="max-s3-object-limit-with-multipart",
        ),
        pytest.param({}, "multipart_enabled", False, id="multipart-off-when-unset"),
        pytest.param({"CALLER_ISOLATION": "cognito"}, "caller_isolation", "cognito", id="cognito"),
        pytest.param({}, "caller_isolation", "off", id="isolation-off-when-unset"),
        pytest.param(
            {"KEY_PREFIX": "tenant-a/imports/"}, "key_prefix", "tenant-a/imports/", id="nested"
        ),
        pytest.param({"BUCKET_NAME": "a.b-c"}, "bucket", "a.b-c", id="short-dotted-bucket"),
        pytest.param(
            {"AWS_REGION": None, "AWS_DEFAULT_REGION": "eu-west-1"},
            "region",
            "eu-west-1",
            id="default-region",
        ),
        pytest.param({}, "endpoint_url", None, id="no-endpoint"),
        pytest.param(
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
            "endpoint_url",
            "http://127.0.0.1:4566",
            id="endpoint",
        ),
    ],
)
def test_valid_settings_load(
    changes: dict[str, str | None], attribute: str, expected: object
) -> None:
    assert getattr(load_settings(_env(changes)), attribute) == expected


def test_content_types_are_normalised() -> None:
    settings = load_settings(_env({"ALLOWED_CONTENT_TYPES": " Text/CSV , image/* "}))

    assert settings.allowed_content_types == frozenset({"text/csv", "image/*"})
    assert settings.allows("text/csv")
    assert settings.allows("image/webp")
    assert not settings.allows("text/html")
    assert not settings.allows("imagex/png")


def _assert_opaque_500(response: Response, request_id: str) -> None:
    assert response.status == 500
    assert response.body == {
        "error": {
            "code": "InternalError",
            "message": f"the request could not be completed; quote request id {request_id}",
        }
    }
    assert response.headers["Content-Type"] == "application/json"


def _signing_failure(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    [record] = [r for r in caplog.records if r.getMessage() == "request failed"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    return record


def test_signing_error_is_an_opaque_500_with_a_logged_traceback(
    signer: Signer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: object, **kwargs: object) -> str:
        raise RuntimeError("kms key arn:aws:kms:us-east-1:123456789012:key/secret-detail")

    monkeypatch.setattr(signer.module.PRESIGNER, "presign", explode)
    caplog.set_level(logging.INFO)

    response = signer.invoke(request_body(), context=LambdaContext("req-42"))

    _assert_opaque_500(response, "req-42")
    assert "secret-detail" not in str(response.body)
    record = _signing_failure(caplog)
    assert record.__dict__["request_id"] == "req-42"
    traceback = logging.Formatter().format(record)
    assert "RuntimeError" in traceback
    assert "secret-detail" in traceback
    assert "X-Amz-Signature" not in caplog.text


def test_missing_credentials_are_an_opaque_500(
    load_signer: LoadSigner, caplog: pytest.LogCaptureFixture
) -> None:
    signer = load_signer(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    caplog.set_level(logging.INFO)

    response = signer.invoke(request_body(), context=object())  # a context without a request id

    _assert_opaque_500(response, "unknown")
    traceback = logging.Formatter().format(_signing_failure(caplog))
    assert "NoCredentialsError" in traceback
    assert "X-Amz-Signature" not in caplog.text
    assert signer.object_count() == 0
