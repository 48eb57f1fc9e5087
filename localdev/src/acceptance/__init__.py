"""Acceptance of examples/complete, deployed: the same checks against a sandbox AWS account
(`make test-aws`, opt-in) and against the local stack (in `make test`, so they never rot)."""
