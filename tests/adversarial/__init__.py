"""Adversarial tests of the deployed module: a hostile corpus and contract fuzzing.

A package so the test modules share the deployment fixture's types through a relative import
that pytest and mypy (explicit package bases) resolve the same way.
"""
