"""Unit tests for the signer Lambda.

A package so the test modules share `helpers` through a relative import that pytest and
mypy (explicit package bases) resolve the same way.
"""
