"""Cases for the attention catalog module."""

CASES: dict = {}
