"""A stand-in for GuardDuty Malware Protection for S3 on the local stack, where no emulator runs
GuardDuty: it tags each new object under the prefix as GuardDuty does once it has scanned it
(GuardDutyMalwareScanStatus), THREATS_FOUND for the EICAR test file, NO_THREATS_FOUND otherwise.
What it shows is the module's side: the signer reporting the tag and the CLI waiting for it."""

from __future__ import annotations

import threading
from typing import Any

SCAN_TAG = "GuardDutyMalwareScanStatus"
# The EICAR anti-malware test file (eicar.org), assembled here so that no scanner flags this
# source: every scanner, GuardDuty included, reports it as a threat.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class GuardDutyStandIn:
    """Tags new objects under `prefix` every `interval` seconds until stopped."""

    def __init__(self, s3: Any, bucket: str, prefix: str, interval: float = 0.5) -> None:
        self._s3, self._bucket, self._prefix, self._interval = s3, bucket, prefix, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="guardduty-stand-in", daemon=True)
        self.scanned: dict[str, str] = {}

    def __enter__(self) -> GuardDutyStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=self._prefix
            )
            for item in (entry for page in pages for entry in page.get("Contents", [])):
                if item["Key"] not in self.scanned:
                    self.scanned[item["Key"]] = self._scan(item["Key"])

    def _scan(self, key: str) -> str:
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        result = "THREATS_FOUND" if EICAR in body else "NO_THREATS_FOUND"
        tags = self._s3.get_object_tagging(Bucket=self._bucket, Key=key)["TagSet"]
        tags.append({"Key": SCAN_TAG, "Value": result})
        self._s3.put_object_tagging(Bucket=self._bucket, Key=key, Tagging={"TagSet": tags})
        return result
