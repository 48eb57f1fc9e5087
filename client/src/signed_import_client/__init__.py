"""Upload files to a signed-import API (the terraform-aws-signed-import module's REST API).

    from signed_import_client import Uploader, SigV4

    with Uploader(import_url, auth=SigV4()) as uploader:
        result = uploader.upload("orders.csv", metadata={"source": "crm"})
    print(result.key, result.checksum_crc64nvme)

Single PUT or multipart as the server plans it; parts in parallel with bounded memory; every
byte verified by S3 (CRC-64/NVME); interrupted multipart imports resume (`Uploader.resume`, or
with a `Journal`, simply by uploading the same file again). Many files at once:

    for outcome in uploader.upload_many(["exports/"], recursive=True, record=record):
        print(outcome.relative, outcome.status, outcome.key)
"""

from .api import ApiClient, ApiResponse
from .auth import Auth, BearerToken, NoAuth, SigV4
from .batch import BatchProgress, FileOutcome
from .batch_record import BatchRecord
from .discovery import find_files
from .errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    FileChangedError,
    ScanNotFinished,
    SignedImportError,
    TransferError,
    UploadInterrupted,
)
from .journal import Journal
from .plan import PartPlan
from .results import ImportResult, Progress
from .retry import RetryPolicy
from .uploader import Uploader

__version__ = "0.1.0"

__all__ = [
    "ApiClient",
    "ApiError",
    "ApiResponse",
    "Auth",
    "AuthenticationError",
    "BatchProgress",
    "BatchRecord",
    "BearerToken",
    "ConfigurationError",
    "FileChangedError",
    "FileOutcome",
    "ImportResult",
    "Journal",
    "NoAuth",
    "PartPlan",
    "Progress",
    "RetryPolicy",
    "ScanNotFinished",
    "SigV4",
    "SignedImportError",
    "TransferError",
    "UploadInterrupted",
    "Uploader",
    "__version__",
    "find_files",
]
