"""Cases for the merge catalog module."""

CASES: dict = {}
