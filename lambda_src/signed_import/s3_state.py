"""What S3 holds for an import: its object, its multipart upload, the parts uploaded so far.

S3 is the only store the module has: every route after POST /import reads the state it needs
here, from the key the import id names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError as BotoClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class StoredObject:
    size: int
    etag: str
    content_type: str
    last_modified: datetime
    crc64nvme: str | None  # the whole object's, as S3 computed it (None if it reports none)


@dataclass(frozen=True)
class UploadedPart:
    part_number: int
    size: int
    etag: str
    crc64nvme: str | None


def _status(err: BotoClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def stored_object(s3: S3Client, bucket: str, key: str) -> StoredObject | None:
    """The object at `key`, or None. Listing first: HeadObject on a missing key answers 403,
    not 404, to a role that may only list under the prefix (s3:ListBucket with s3:prefix)."""
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    if not any(entry.get("Key") == key for entry in listed.get("Contents", [])):
        return None
    try:
        # ChecksumMode: S3 reports the checksum it stored (needs kms:Decrypt with SSE-KMS).
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    except BotoClientError as err:
        if _status(err) == 404:  # deleted between the two calls
            return None
        raise
    return StoredObject(
        size=head["ContentLength"],
        etag=head["ETag"],
        content_type=head.get("ContentType", ""),
        last_modified=head["LastModified"],
        crc64nvme=head.get("ChecksumCRC64NVME") or None,
    )


def upload_id(s3: S3Client, bucket: str, key: str) -> str | None:
    """The multipart upload in progress for `key`: None once completed, aborted, or expired
    by the bucket's lifecycle rule. Each key gets exactly one CreateMultipartUpload."""
    listed = s3.list_multipart_uploads(Bucket=bucket, Prefix=key)
    for upload in listed.get("Uploads", []):
        if upload.get("Key") == key and "UploadId" in upload:
            return upload["UploadId"]
    return None


def uploaded_parts(s3: S3Client, bucket: str, key: str, upload: str) -> list[UploadedPart] | None:
    """Every part S3 holds, across all pages of ListParts (1,000 per page); None when the
    upload no longer exists."""
    parts: list[UploadedPart] = []
    marker = 0
    while True:
        try:
            page: Any = s3.list_parts(
                Bucket=bucket, Key=key, UploadId=upload, PartNumberMarker=marker
            )
        except BotoClientError as err:
            if err.response.get("Error", {}).get("Code") == "NoSuchUpload":
                return None
            raise
        parts.extend(
            UploadedPart(
                part_number=part["PartNumber"],
                size=part["Size"],
                etag=part["ETag"],
                crc64nvme=part.get("ChecksumCRC64NVME"),
            )
            for part in page.get("Parts", [])
        )
        if not page.get("IsTruncated"):
            return parts
        marker = int(page["NextPartNumberMarker"])


def upload_parts(s3: S3Client, bucket: str, key: str) -> list[UploadedPart] | None:
    """The parts of the upload in progress for `key`, or None when there is none."""
    upload = upload_id(s3, bucket, key)
    return None if upload is None else uploaded_parts(s3, bucket, key, upload)
