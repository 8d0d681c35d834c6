"""Cases for the preprocessing catalog module."""

CASES: dict = {}
