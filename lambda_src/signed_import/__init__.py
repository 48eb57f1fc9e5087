"""Signer for the signed-import module: POST /import returns a signed S3 upload."""
