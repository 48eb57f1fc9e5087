"""The classic presigned-upload handler, as a baseline for the signer's benchmark.

This is the pattern of the widely copied write-up on uploading to S3 through a presigned URL
from Lambda, ported to Python: every call builds a fresh `boto3.client("s3")` and asks it for a
URL. It is not part of the module and is never deployed. For a fair comparison it signs in the
same region as the module, with SigV4 (`signature_version="s3v4"`), from the same environment
(`AWS_REGION`, `BUCKET_NAME`, `KEY_PREFIX`, `URL_EXPIRY_SECONDS`) and the same default boto3
session, and it answers in the same API Gateway proxy format. Like the write-up, it checks
nothing and signs only what the write-up signs:

- `handler` (POST /import): a random key, then `generate_presigned_url("put_object")` with
  `Bucket`, `Key` and `ContentType`;
- `multipart_handler` (multipart creation): `create_multipart_upload`, then one `upload_part`
  URL for each of the first parts (as many as the module signs with POST /import);
- `part_handler` (part re-signing): one `upload_part` URL for the key, upload id and part
  number the client sends.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

REGION = os.environ["AWS_REGION"]
BUCKET = os.environ["BUCKET_NAME"]
KEY_PREFIX = os.environ.get("KEY_PREFIX", "")
EXPIRY_SECONDS = int(os.environ.get("URL_EXPIRY_SECONDS", "900"))
PART_SIZE = 16 * 1024**2  # the module's default part size
FIRST_PARTS = 10  # the module's first batch of part URLs


def _s3() -> S3Client:
    return boto3.client("s3", region_name=REGION, config=Config(signature_version="s3v4"))


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """POST /import: one presigned PUT URL for a random key."""
    body = json.loads(event["body"])
    key = f"{KEY_PREFIX}{uuid.uuid4()}"
    url = _s3().generate_presigned_url(
        "put_object",
        Params={"Bucket": BUCKET, "Key": key, "ContentType": body["content_type"]},
        ExpiresIn=EXPIRY_SECONDS,
    )
    return _answer(200, {"uploadURL": url, "Key": key})


def multipart_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Multipart creation: CreateMultipartUpload, then URLs for the first parts."""
    body = json.loads(event["body"])
    key = f"{KEY_PREFIX}{uuid.uuid4()}"
    s3 = _s3()
    upload_id = s3.create_multipart_upload(
        Bucket=BUCKET, Key=key, ContentType=body["content_type"]
    )["UploadId"]
    part_count = min(FIRST_PARTS, -(-int(body["size"]) // PART_SIZE))
    parts = [
        {
            "partNumber": number,
            "url": s3.generate_presigned_url(
                "upload_part",
                Params={"Bucket": BUCKET, "Key": key, "UploadId": upload_id, "PartNumber": number},
                ExpiresIn=EXPIRY_SECONDS,
            ),
        }
        for number in range(1, part_count + 1)
    ]
    return _answer(200, {"uploadId": upload_id, "Key": key, "parts": parts})


def part_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Part re-signing: one `upload_part` URL."""
    body = json.loads(event["body"])
    url = _s3().generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": BUCKET,
            "Key": body["key"],
            "UploadId": body["upload_id"],
            "PartNumber": int(body["part_number"]),
        },
        ExpiresIn=EXPIRY_SECONDS,
    )
    return _answer(200, {"url": url})
