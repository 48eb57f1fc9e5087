"""Import ids and object keys.

An import id is 128 random bits, base32 without padding: opaque, unguessable and safe in a
URL path. The key is `key_prefix + import_id`, so later endpoints under /import/{import_id}
find the object again without any database, and no client input ever reaches the key.
"""

from __future__ import annotations

import base64
import re
import secrets

IMPORT_ID_PATTERN = re.compile(r"^[a-z2-7]{26}$")


def new_import_id() -> str:
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


def object_key(key_prefix: str, import_id: str) -> str:
    if not IMPORT_ID_PATTERN.match(import_id):
        raise ValueError("not an import id")
    return key_prefix + import_id
