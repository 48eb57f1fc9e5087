"""The module's key layout, as the tests and the load generator read it back."""


def partition_of(key: str) -> str:
    """`<key_prefix>/<the caller's partition>/` of a key the signer chose: where everything a
    caller imports lives."""
    prefix, caller, _ = key.split("/", 2)
    return f"{prefix}/{caller}/"
