"""Cases for the convolution catalog module."""

CASES: dict = {}
