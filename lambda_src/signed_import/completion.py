"""POST /import/{import_id}/complete: check the parts against the plan and S3, then assemble.

S3 assembles with three guards: `If-None-Match: *` (the key is written once; a second
completion cannot replace the object), `MpuObjectSize` (S3 checks the total against the declared
size) and, for imports verified with CRC-64/NVME, the whole object's CRC (S3 answers BadDigest
when the assembled bytes differ from the file the client declared). Completing twice answers the
same 200: a client that lost the first answer simply asks again.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError as BotoClientError

from .body import b64, load_json_object, optional_crc64nvme, whole_number
from .call import NOT_FOUND, Call, Target, require_multipart, target
from .config import MAX_PART_COUNT
from .errors import ClientError
from .malware_scan import PENDING, scan_result
from .multipart import plan_of
from .planning import Plan
from .responses import part_numbers
from .s3_state import UploadedPart, stored_object, upload_id, uploaded_parts

MAX_BODY_BYTES = 1024 * 1024  # 10,000 parts with their ETags
MAX_ETAG_CHARS = 1024


def _listed_parts(event: dict[str, Any], with_crc: bool) -> tuple[dict[int, str], str | None]:
    """The client's part list ({number: etag}, ascending, no repeats) and whole-object CRC."""
    body = load_json_object(event, ("parts", "checksum_crc64nvme"), MAX_BODY_BYTES)
    entries = body.get("parts")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_PART_COUNT:
        raise ClientError(
            400, "InvalidBody", f"parts must list 1 to {MAX_PART_COUNT} uploaded parts"
        )
    listed: dict[int, str] = {}
    last = 0
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"part_number", "etag"}:
            raise ClientError(
                400, "InvalidBody", "each entry of parts is {part_number, etag}, nothing else"
            )
        number, etag = entry["part_number"], entry["etag"]
        if not whole_number(number) or not 1 <= number <= MAX_PART_COUNT:
            raise ClientError(400, "InvalidPartNumber", "part_number must be 1 to 10000")
        if not isinstance(etag, str) or not 1 <= len(etag) <= MAX_ETAG_CHARS:
            raise ClientError(400, "InvalidBody", "etag must be the ETag S3 answered for the part")
        if number in listed:
            raise ClientError(400, "DuplicatePartNumber", f"part {number} is listed twice")
        if number < last:
            raise ClientError(400, "PartOrder", "list parts in ascending part_number order")
        listed[number] = etag
        last = number
    return listed, optional_crc64nvme(body, with_crc)


def _whole_crc(found: Target, sent: str | None) -> str | None:
    declared = found.decoded.crc64nvme
    if declared is not None:
        if sent is not None and sent != b64(declared):
            raise ClientError(
                400,
                "ChecksumMismatch",
                "checksum_crc64nvme differs from the one declared with POST /import",
            )
        return b64(declared)
    if found.decoded.verifies_crc64nvme and sent is None:
        raise ClientError(
            400, "MissingChecksum", "send the whole file's checksum_crc64nvme to complete"
        )
    return sent


def _unquoted(etag: str) -> str:
    return etag.strip('"')


def _check_against_plan(plan: Plan, listed: dict[int, str]) -> None:
    extra = [n for n in listed if n > plan.part_count]
    if extra:
        raise ClientError(
            409,
            "ExtraPart",
            f"parts {part_numbers(extra)} are beyond this import's {plan.part_count} parts",
        )
    missing = [n for n in range(1, plan.part_count + 1) if n not in listed]
    if missing:
        raise ClientError(409, "MissingPart", f"parts {part_numbers(missing)} are not in the list")


def _check_against_s3(plan: Plan, listed: dict[int, str], held: list[UploadedPart]) -> None:
    by_number = {part.part_number: part for part in held}
    absent = [n for n in listed if n not in by_number]
    if absent:
        raise ClientError(
            409,
            "MissingPart",
            f"parts {part_numbers(absent)} have not been uploaded (or were lost)",
        )
    wrong_size = [n for n in listed if by_number[n].size != plan.part_length(n)]
    if wrong_size:
        raise ClientError(
            409,
            "PartSizeMismatch",
            f"parts {part_numbers(wrong_size)} differ from the planned size",
        )
    wrong_etag = [n for n in listed if _unquoted(listed[n]) != _unquoted(by_number[n].etag)]
    if wrong_etag:
        raise ClientError(
            409,
            "ETagMismatch",
            f"the ETags of parts {part_numbers(wrong_etag)} are not those of the uploaded parts",
        )


def _completed(call: Call, found: Target) -> tuple[int, dict[str, Any]] | None:
    stored = stored_object(call.s3, call.settings.bucket, found.key)
    if stored is None:
        return None
    body: dict[str, Any] = {
        "import_id": found.import_id,
        "bucket": call.settings.bucket,
        "key": found.key,
        "status": "complete",
        "size": stored.size,
        "etag": stored.etag,
    }
    if stored.crc64nvme is not None:
        body["checksum_crc64nvme"] = stored.crc64nvme
    if call.settings.malware_scanning:
        body["malware_scan"] = scan_result(call.s3, call.settings.bucket, found.key)
    return 200, body


def complete(call: Call) -> tuple[int, dict[str, Any]]:
    found = target(call)
    require_multipart(found)
    plan = plan_of(found)
    listed, sent_crc = _listed_parts(call.event, found.decoded.verifies_crc64nvme)
    whole_crc = _whole_crc(found, sent_crc)

    upload = upload_id(call.s3, call.settings.bucket, found.key)
    if upload is None:
        done = _completed(call, found)
        if done is None:
            raise NOT_FOUND
        return done
    _check_against_plan(plan, listed)
    held = uploaded_parts(call.s3, call.settings.bucket, found.key, upload)
    if held is None:  # completed or aborted by someone else meanwhile
        return _completed(call, found) or _raise(NOT_FOUND)
    _check_against_s3(plan, listed, held)

    # S3's own ETags and CRCs (the client's were checked equal): nothing the client sent beyond
    # part numbers reaches the request S3 parses.
    by_number = {part.part_number: part for part in held}
    parts: list[dict[str, Any]] = []
    for number in listed:
        part: dict[str, Any] = {"PartNumber": number, "ETag": by_number[number].etag}
        if whole_crc is not None and by_number[number].crc64nvme:
            part["ChecksumCRC64NVME"] = by_number[number].crc64nvme
        parts.append(part)
    params: dict[str, Any] = {
        "Bucket": call.settings.bucket,
        "Key": found.key,
        "UploadId": upload,
        "MultipartUpload": {"Parts": parts},
        "IfNoneMatch": "*",
        "MpuObjectSize": plan.size,
    }
    if whole_crc is not None:
        params.update(ChecksumCRC64NVME=whole_crc, ChecksumType="FULL_OBJECT")
    try:
        answer = call.s3.complete_multipart_upload(**params)
    except BotoClientError as err:
        return _refused(call, found, err)
    call.log["part_count"] = plan.part_count
    body: dict[str, Any] = {
        "import_id": found.import_id,
        "bucket": call.settings.bucket,
        "key": found.key,
        "status": "complete",
        "size": plan.size,
        "etag": answer["ETag"],
    }
    # The CRC S3 computed over the assembled object, when it reports one: what lets a client
    # say "verified by S3" rather than "declared".
    if answer.get("ChecksumCRC64NVME"):
        body["checksum_crc64nvme"] = answer["ChecksumCRC64NVME"]
    if call.settings.malware_scanning:
        # GuardDuty starts on the object's creation event: this answer comes before its tag.
        body["malware_scan"] = dict(PENDING)
    return 200, body


def _refused(call: Call, found: Target, err: BotoClientError) -> tuple[int, dict[str, Any]]:
    """S3's refusal as the client's error; a lost race with another completion is a success."""
    error = err.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    if code in ("PreconditionFailed", "NoSuchUpload"):
        return _completed(call, found) or _raise(NOT_FOUND)
    if code == "ConditionalRequestConflict":
        # A conflicting write to the key: here, only another completion of this import (keys
        # are unique). S3: "On a 409 failure you should re-initiate the multipart upload with
        # CreateMultipartUpload and re-upload each part" — so answer what S3 now holds.
        return _completed(call, found) or _raise(_after_conflict(call, found))
    if code == "BadDigest":
        raise ClientError(
            400,
            "BadDigest",
            "S3 refused the object: its CRC-64/NVME differs from checksum_crc64nvme. "
            "The upload is kept: re-upload the wrong parts or send the right checksum.",
        ) from None
    if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall", "InvalidRequest"):
        raise ClientError(409, "CompletionRefused", f"S3 refused to assemble: {message}") from None
    raise err


def _after_conflict(call: Call, found: Target) -> ClientError:
    """What the client can do after S3's 409 ConditionalRequestConflict, nothing stored yet."""
    if upload_id(call.s3, call.settings.bucket, found.key) is not None:
        # The other completion is still assembling, or failed and left the upload: asking
        # again either finds the object or completes the upload.
        return ClientError(
            409, "CompletionInProgress", "S3 is still completing this import: ask again shortly"
        )
    return ClientError(
        409,
        "UploadLost",
        "S3 refused to complete this import after a conflicting request and no longer holds "
        "its upload; nothing was stored. Start a new import (POST /import) and upload again.",
    )


def _raise(error: ClientError) -> tuple[int, dict[str, Any]]:
    raise error
