"""Cases for the recurrent catalog module."""

CASES: dict = {}
