"""The examples in sigconv.signal's docstrings run and print what they show."""

import doctest

import sigconv.signal


def test_docstring_examples():
    result = doctest.testmod(sigconv.signal, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 8
    assert result.failed == 0
