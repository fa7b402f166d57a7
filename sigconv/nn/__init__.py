"""sigconv.nn: torch-like neural-network building blocks.

The convolution, padding and linear kernels live in :mod:`sigconv.nn._conv` (numpy arrays in and
out, Rust loops underneath).
"""
