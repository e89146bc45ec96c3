# ruff: noqa: N803, N806  (X for a feature matrix, y for targets: the usual ML names)
"""Small datasets as plain lists: XOR, two moons, the sleep/study table, handwritten digits.

Each loader returns ``(X, y)``: ``X`` a list of feature lists, ``y`` a list of targets
(floats for regression and binary labels, ints for class labels).

>>> X, y = xor()
>>> X[1], y[1]
([0.0, 1.0], 1.0)
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")


def xor() -> tuple[list[list[float]], list[float]]:
    """The four points of exclusive or: label 1.0 when exactly one input is 1.

    >>> xor()[1]
    [0.0, 1.0, 1.0, 0.0]
    """
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    return X, [0.0, 1.0, 1.0, 0.0]


def moons(
    n: int = 100, noise: float = 0.1, seed: int = 0, shuffle: bool = True
) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles with Gaussian noise: a small non-linear problem.

    Label 0.0: (cos t, sin t); label 1.0: (1 − cos t, 0.5 − sin t), for ``n // 2`` and
    ``n − n // 2`` values of t evenly spaced on [0, π]. Then noise of standard deviation
    ``noise`` is added to each coordinate and the points are shuffled, both from
    ``random.Random(seed)``, so the same arguments always give the same data.

    >>> X, y = moons(n=6, noise=0.0, shuffle=False)
    >>> X[0], y[0], X[3], y[3]
    ([1.0, 0.0], 0.0, [0.0, 0.5], 1.0)
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 2:
        raise ValueError(f"moons: n must be an int >= 2, got {n!r}")
    if not isinstance(noise, int | float) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"moons: noise must be a finite number >= 0, got {noise!r}")
    rng = random.Random(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    X: list[list[float]] = []
    y: list[float] = []
    for i in range(n_outer):
        t = math.pi * i / (n_outer - 1) if n_outer > 1 else 0.0
        X.append([math.cos(t), math.sin(t)])
        y.append(0.0)
    for i in range(n_inner):
        t = math.pi * i / (n_inner - 1) if n_inner > 1 else 0.0
        X.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
        y.append(1.0)
    if noise:
        X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in X]
    if shuffle:
        order = list(range(n))
        rng.shuffle(order)
        X = [X[i] for i in order]
        y = [y[i] for i in order]
    return X, y


def sleep_study() -> tuple[list[list[float]], list[float]]:
    """Hours slept and hours studied against test score, from "Neural Networks Demystified".

    X = [[3, 5], [5, 1], [10, 2]] with each column divided by its maximum, and
    y = [75, 82, 93] / 100.

    >>> sleep_study()
    ([[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]], [0.75, 0.82, 0.93])
    """
    raw = [[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]]
    maxima = [max(row[j] for row in raw) for j in range(2)]
    X = [[row[j] / maxima[j] for j in range(2)] for row in raw]
    return X, [score / 100.0 for score in (75.0, 82.0, 93.0)]


def digits(n_class: int = 10) -> tuple[list[list[float]], list[int]]:
    """scikit-learn's bundled 8×8 handwritten digits (1,797 images, no download needed).

    Each image is 64 pixel intensities scaled from 0..16 to [0, 1]; labels are ints
    0..n_class − 1. Needs scikit-learn: ``pip install autograd-mini[digits]``.
    """
    if not isinstance(n_class, int) or not 1 <= n_class <= 10:
        raise ValueError(f"digits: n_class must be an int from 1 to 10, got {n_class!r}")
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "digits() needs scikit-learn, which is not installed; "
            "install it with: pip install autograd-mini[digits]"
        ) from None
    data = load_digits(n_class=n_class)
    X = [[float(v) / 16.0 for v in row] for row in data.data]
    y = [int(label) for label in data.target]
    return X, y


def train_test_split(
    X: Sequence[T], y: Sequence[U], test_fraction: float = 0.25, seed: int = 0
) -> tuple[list[T], list[T], list[U], list[U]]:
    """Shuffle with ``random.Random(seed)`` and split: ``X_train, X_test, y_train, y_test``.

    The test set gets ``round(test_fraction * n)`` examples, at least one of each side.

    >>> X_train, X_test, y_train, y_test = train_test_split([[0], [1], [2], [3]], [0, 1, 2, 3])
    >>> len(X_train), len(X_test), sorted(y_train + y_test)
    (3, 1, [0, 1, 2, 3])
    """
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} rows but y has {len(y)}")
    if len(X) < 2:
        raise ValueError(f"train_test_split: need at least 2 examples, got {len(X)}")
    if not isinstance(test_fraction, int | float) or not 0.0 < test_fraction < 1.0:
        raise ValueError(
            f"train_test_split: test_fraction must be between 0 and 1, got {test_fraction!r}"
        )
    n = len(X)
    n_test = min(max(1, round(test_fraction * n)), n - 1)
    order = list(range(n))
    random.Random(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]
