"""Warm-invocation cost of the signer, loaded from the deployed zip.

Prints median / p95 / p99 handler time over many calls and the container's import (cold start)
time, and exits 1 when the median misses the target. Run with `make bench`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MEDIAN_US = 1000.0

ENV = {
    "BUCKET_NAME": "bench-bucket",
    "KEY_PREFIX": "imports/",
    "ALLOWED_CONTENT_TYPES": "application/octet-stream,text/csv,application/json",
    "MAX_UPLOAD_BYTES": str(5 * 1024**3),
    "URL_EXPIRY_SECONDS": "900",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "AKIDBENCHMARK",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_SESSION_TOKEN": "bench-token",
    "BOTO_DISABLE_CRT": "true",  # Lambda's runtime has no awscrt; the dev venv does
}
EVENT = {
    "resource": "/import",
    "httpMethod": "POST",
    "headers": {"Content-Type": "application/json"},
    "body": json.dumps(
        {
            "size": 123456789,
            "content_type": "text/csv",
            "checksum_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "filename": "orders 2026.csv",
            "metadata": {"source": "crm", "team": "data"},
        }
    ),
    "isBase64Encoded": False,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--zip", type=Path, default=ROOT / "dist" / "signer.zip")
    args = parser.parse_args()

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(ENV)
    sys.path.insert(0, str(args.zip))
    started = time.perf_counter()
    handler = importlib.import_module("signed_import.handler").handler
    cold_ms = (time.perf_counter() - started) * 1000

    for _ in range(200):  # warm caches the way a busy container would be
        assert handler(EVENT, None)["statusCode"] == 201
    samples = []
    for _ in range(args.calls):
        begin = time.perf_counter_ns()
        handler(EVENT, None)
        samples.append((time.perf_counter_ns() - begin) / 1000)
    samples.sort()
    median = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95)]
    p99 = samples[int(len(samples) * 0.99)]
    print(f"signer import (cold start, in-process): {cold_ms:.0f} ms")
    print(
        f"warm handler over {args.calls} calls: median {median:.0f} us, p95 {p95:.0f} us, "
        f"p99 {p99:.0f} us (target: median < {TARGET_MEDIAN_US:.0f} us)"
    )
    return 0 if median < TARGET_MEDIAN_US else 1


if __name__ == "__main__":
    sys.exit(main())
