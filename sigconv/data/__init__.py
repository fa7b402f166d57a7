"""Offline data sets as numpy arrays, seeded and cached in memory.

* :func:`digits` — the 8x8 handwritten digits that scikit-learn ships (images, 10 classes).
* :func:`mnist1d` — MNIST-1D generated locally by the ``mnist1d`` package's generator (time series).
* :func:`language_phrases` — language identification of short phrases built from the word lists that
  ``wordfreq`` ships (text), with :func:`encode_chars` / :func:`char_indices` for character input.

Each returns a :class:`Split` ``(x_train, y_train, x_test, y_test)`` of fresh arrays (the cached
originals are never handed out).
"""

from __future__ import annotations

import functools
from collections import namedtuple

import numpy as np

__all__ = ["Split", "digits", "mnist1d", "language_phrases", "encode_chars", "char_indices", "ALPHABET", "LANGUAGES"]

Split = namedtuple("Split", ["x_train", "y_train", "x_test", "y_test"])
Split.__doc__ = "Training and held-out arrays: ``x_train, y_train, x_test, y_test``."


def _fresh(split):
    return Split(*(a.copy() for a in split))


def _stratified(y, test_size, seed):
    """Indices of a seeded split that keeps each class's share in both parts."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = int(round(len(idx) * test_size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    train, test = np.concatenate(train), np.concatenate(test)
    return rng.permutation(train), rng.permutation(test)


def _check_fraction(name, v):
    if not 0.0 < v < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {v!r}")


@functools.lru_cache(maxsize=8)
def _digits(test_size, seed):
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    tr, te = _stratified(y, test_size, seed)
    return Split(x[tr], y[tr], x[te], y[te])


def digits(test_size=0.2, seed=0):
    """The 1,797 handwritten digits of scikit-learn (``sklearn.datasets.load_digits``), split.

    Images are float32 ``(N, 1, 8, 8)`` scaled to [0, 1]; labels int64 in 0..9. The split is
    stratified and seeded.

    Examples
    --------
    >>> from sigconv import data
    >>> d = data.digits()
    >>> d.x_train.shape, d.x_test.shape, d.y_train.dtype
    ((1438, 1, 8, 8), (359, 1, 8, 8), dtype('int64'))
    """
    _check_fraction("test_size", test_size)
    return _fresh(_digits(float(test_size), int(seed)))


@functools.lru_cache(maxsize=8)
def _mnist1d(num_samples, train_split, seed):
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = num_samples
    args.train_split = train_split
    args.seed = seed
    # the generator draws from numpy's global random state: keep the caller's state intact
    state = np.random.get_state()
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(state)
    f = np.float32
    return Split(d["x"].astype(f)[:, None], d["y"].astype(np.int64), d["x_test"].astype(f)[:, None], d["y_test"].astype(np.int64))


def mnist1d(num_samples=5000, train_split=0.8, seed=42):
    """MNIST-1D (Greydanus & Steinbach): ten 1-D digit templates padded, scaled, translated, sheared
    and noised into length-40 signals, generated locally with the ``mnist1d`` package's own
    ``make_dataset`` (no download).

    The defaults reproduce the published data set (5,000 samples, seed 42, 4,000 for training).
    Signals are float32 ``(N, 1, 40)``; labels int64 in 0..9.

    Examples
    --------
    >>> from sigconv import data
    >>> d = data.mnist1d(num_samples=200)
    >>> d.x_train.shape, d.x_test.shape
    ((160, 1, 40), (40, 1, 40))
    """
    if int(num_samples) < 10:
        raise ValueError(f"num_samples must be at least 10 (one per class), got {num_samples!r}")
    _check_fraction("train_split", train_split)
    return _fresh(_mnist1d(int(num_samples), float(train_split), int(seed)))


LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "sv")
ALPHABET = "abcdefghijklmnopqrstuvwxyz" + "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿœß" + " '-"


def encode_chars(texts, length=32, alphabet=ALPHABET):
    """One-hot character encoding ``(N, len(alphabet) + 1, length)`` float32.

    Channel 0 marks characters outside ``alphabet``; channel ``i + 1`` is ``alphabet[i]``. Texts are
    lower-cased, cut to ``length`` and padded with all-zero columns.

    Examples
    --------
    >>> from sigconv import data
    >>> x = data.encode_chars(["ab"], length=3, alphabet="ab")
    >>> x[0]
    array([[0., 0., 0.],
           [1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    idx = char_indices(texts, length, alphabet)
    n = len(alphabet) + 1
    out = np.zeros((len(idx), n + 1, length), np.float32)
    np.put_along_axis(out, idx[:, None, :], 1.0, axis=1)
    return np.ascontiguousarray(out[:, 1:])


def char_indices(texts, length=32, alphabet=ALPHABET):
    """Character indices ``(N, length)`` int64: 0 padding, 1 unknown, ``i + 2`` for ``alphabet[i]``
    (for :class:`sigconv.nn.Embedding`)."""
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, got a single str")
    if length < 1:
        raise ValueError(f"length must be positive, got {length!r}")
    table = {c: i + 2 for i, c in enumerate(alphabet)}
    out = np.zeros((len(texts), length), np.int64)
    for r, t in enumerate(texts):
        codes = [table.get(c, 1) for c in str(t).lower()[:length]]
        out[r, : len(codes)] = codes
    return out


@functools.lru_cache(maxsize=4)
def _phrases(languages, n_per_language, min_words, max_words, vocabulary, seed, test_size):
    import wordfreq

    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for lab, lang in enumerate(languages):
        words = wordfreq.top_n_list(lang, vocabulary)
        freq = np.array([wordfreq.word_frequency(w, lang) for w in words], dtype=np.float64)
        # sample words by the square root of their frequency: common words dominate less than in
        # running text, so that short phrases are not mostly shared function words
        p = np.sqrt(freq)
        p /= p.sum()
        counts = rng.integers(min_words, max_words + 1, size=n_per_language)
        picks = rng.choice(len(words), size=int(counts.sum()), p=p)
        pos = 0
        for c in counts:
            texts.append(" ".join(words[i] for i in picks[pos : pos + c]))
            pos += c
            labels.append(lab)
    texts = np.array(texts, dtype=object)
    y = np.array(labels, np.int64)
    tr, te = _stratified(y, test_size, seed + 1)
    return Split(texts[tr], y[tr], texts[te], y[te])


def language_phrases(languages=LANGUAGES, n_per_language=1500, words=(1, 3), vocabulary=5000, test_size=0.2, seed=0):
    """Which language is a short phrase in? Phrases of 1 to 3 words drawn (seeded, by the square
    root of word frequency) from the ``vocabulary`` most frequent words of each language in the lists
    that ``wordfreq`` ships.

    Returns a :class:`Split` with ``x`` as arrays of str (encode them with :func:`encode_chars`) and
    ``y`` the index into ``languages``. Chance is ``1 / len(languages)``. A word common to several
    languages (``de``, ``a``, ``in``) makes some phrases ambiguous, so 100% is out of reach.

    Examples
    --------
    >>> from sigconv import data
    >>> d = data.language_phrases(languages=("en", "de"), n_per_language=10)
    >>> len(d.x_train), len(d.x_test), sorted(set(d.y_train.tolist()))
    (16, 4, [0, 1])
    """
    languages = tuple(languages)
    if len(languages) < 2:
        raise ValueError(f"languages must name at least two languages, got {languages!r}")
    lo, hi = words
    if not 1 <= lo <= hi:
        raise ValueError(f"words must be (min, max) with 1 <= min <= max, got {words!r}")
    _check_fraction("test_size", test_size)
    return _fresh(_phrases(languages, int(n_per_language), int(lo), int(hi), int(vocabulary), int(seed), float(test_size)))
