"""Cases for the normalization catalog module."""

CASES: dict = {}
