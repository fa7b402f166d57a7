"""The examples in sigconv.ndimage's docstrings run and print what they show."""

import doctest

import sigconv.ndimage


def test_docstring_examples():
    result = doctest.testmod(sigconv.ndimage, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 13
    assert result.failed == 0
