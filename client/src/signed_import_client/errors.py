"""What can go wrong, as exceptions a script can tell apart; each says what to do about it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SignedImportError(Exception):
    """Base class of every error this package raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str = "", import_id: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        self.import_id = import_id


class ConfigurationError(SignedImportError):
    """Bad arguments, or nothing to authenticate with: nothing was sent."""


class AuthenticationError(ConfigurationError):
    """No usable credentials (SigV4) or token."""


class ApiError(SignedImportError):
    """The API answered a 4xx (or a 5xx/429 still failing after every retry)."""

    def __init__(
        self, route: str, status: int, body: Mapping[str, Any], *, import_id: str | None = None
    ) -> None:
        nested = body.get("error")
        error: Mapping[str, Any] = nested if isinstance(nested, dict) else {}
        # API Gateway's own default answers are {"message": ...}; the module's are {"error": ...}.
        self.code = str(error.get("code") or body.get("code") or f"HTTP{status}")
        self.message = str(error.get("message") or body.get("message") or "no message")
        self.route = route
        self.status = status
        self.body = dict(body)
        super().__init__(
            f"{route} answered {status} {self.code}: {self.message}",
            hint=api_hint(status, self.code, self.message),
            import_id=import_id,
        )


class TransferError(SignedImportError):
    """S3 refused or kept failing a PUT; the import stays resumable (multipart)."""


class ScanNotFinished(SignedImportError):
    """GuardDuty had not scanned the import when the wait for it ended."""


class FileChangedError(SignedImportError):
    """The file is not the one the import began with: resuming would mix two versions."""


class UploadInterrupted(SignedImportError):
    """Stopped before completion (Ctrl-C, a signal, or a progress callback that raised).
    A multipart import is resumable: `import_id` names it."""

    def __init__(
        self, message: str, *, hint: str = "", import_id: str | None = None, resumable: bool
    ) -> None:
        super().__init__(message, hint=hint, import_id=import_id)
        self.resumable = resumable


_HINTS_BY_CODE = {
    "MultipartDisabled": "this API signs single PUTs only: upload a file of at most 5 GiB",
    "InvalidPartSize": "choose another `part_size` (5 MiB to 5 GiB, at most 10,000 parts)",
    "InvalidMetadata": "fix `metadata`: keys [a-z0-9-], printable ASCII values, 2 KB in all",
    "InvalidFilename": "pass `filename` with a plain name (no path, no control characters)",
    "BadDigest": "S3 computed another checksum than the file's: did the file change? retry",
    "AlreadyComplete": "the import is already complete; `status ID` shows it",
    "NotMultipart": "a single-PUT import has nothing to resume or abort: its URL just expires",
    "InvalidApiKey": "this API meters consumers by API key: pass `api_key` (the key the API's "
    "owner gave you, from the module's api_keys output); a key that worked may be disabled",
    "QuotaExceeded": "your API key's quota is used up until its period (a day, week or month) "
    "starts again; ask the API's owner for a larger plan. A multipart upload resumes then",
}
_HINTS_BY_STATUS = {
    400: "the request was refused as invalid; fix it and run the command again",
    401: "the API did not accept the caller: check the API URL, your AWS credentials "
    "(AWS_PROFILE, `profile`, `region`) for AWS_IAM, or `token` / SIGNED_IMPORT_TOKEN for a "
    "Cognito or Lambda authorizer",
    404: "no such import for this caller: the id may be mistyped, aborted, expired (the bucket "
    "aborts unfinished uploads after some days) or another identity's",
    409: "the import's state does not allow this; `status ID` shows it",
    413: "the file is larger than this API accepts",
    429: "the API keeps throttling: try again later or lower `concurrency`",
    500: "the API kept failing; try again later (a multipart upload resumes)",
}


def api_hint(status: int, code: str, message: str) -> str:
    """What the caller can do about an API error."""
    if code in _HINTS_BY_CODE:
        return _HINTS_BY_CODE[code]
    if status == 415:
        return f"pass `content_type` with an allowed type ({message})"
    if status == 403:
        status = 401
    return _HINTS_BY_STATUS.get(min(status, 500), "")
