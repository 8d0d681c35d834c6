"""Cases for the pooling catalog module."""

CASES: dict = {}
