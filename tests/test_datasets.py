# ruff: noqa: N803, N806  (X for a feature matrix, as usual in ML code)
"""Datasets: exact tables, the deterministic two-moons generator, digits, splitting."""

from __future__ import annotations

import math
import sys

import pytest

from autograd_mini import datasets


def test_xor() -> None:
    X, y = datasets.xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [float(a != b) for a, b in X]


def test_sleep_study_is_scaled_by_column_maximum() -> None:
    X, y = datasets.sleep_study()
    assert X == [[3 / 10, 5 / 5], [5 / 10, 1 / 5], [10 / 10, 2 / 5]]
    assert y == [0.75, 0.82, 0.93]


def test_moons_is_deterministic_for_a_seed() -> None:
    assert datasets.moons(50, noise=0.2, seed=3) == datasets.moons(50, noise=0.2, seed=3)
    assert datasets.moons(50, noise=0.2, seed=3) != datasets.moons(50, noise=0.2, seed=4)


@pytest.mark.parametrize("n", [2, 7, 100])
def test_moons_sizes_and_labels(n: int) -> None:
    X, y = datasets.moons(n)
    assert len(X) == len(y) == n
    assert all(len(row) == 2 for row in X)
    assert sorted(set(y)) == [0.0, 1.0]
    assert y.count(0.0) == n // 2


def test_moons_without_noise_lie_on_two_half_circles() -> None:
    X, y = datasets.moons(40, noise=0.0)
    for (a, b), label in zip(X, y):
        if label == 0.0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_moons_noise_has_the_requested_spread() -> None:
    clean, _ = datasets.moons(2000, noise=0.0, shuffle=False)
    noisy, _ = datasets.moons(2000, noise=0.1, shuffle=False)
    offsets = [n[i] - c[i] for n, c in zip(noisy, clean) for i in range(2)]
    spread = math.sqrt(sum(d * d for d in offsets) / len(offsets))
    assert spread == pytest.approx(0.1, rel=0.05)


def test_moons_shuffles_the_classes() -> None:
    _, y = datasets.moons(100)
    assert y[:50] != [0.0] * 50
    _, y = datasets.moons(100, shuffle=False)
    assert y[:50] == [0.0] * 50


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"n": 1}, "n must be an int >= 2"), ({"noise": -0.1}, "noise must be"),
     ({"noise": math.nan}, "noise must be")],
)  # fmt: skip
def test_moons_bad_arguments(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        datasets.moons(**kwargs)  # type: ignore[arg-type]


def test_digits() -> None:
    pytest.importorskip("sklearn")
    X, y = datasets.digits()
    assert len(X) == len(y) == 1797
    assert all(len(row) == 64 for row in X)
    assert min(min(row) for row in X) == 0.0 and max(max(row) for row in X) == 1.0
    assert sorted(set(y)) == list(range(10))
    assert all(type(label) is int for label in y)
    _, y3 = datasets.digits(n_class=3)
    assert sorted(set(y3)) == [0, 1, 2]


def test_digits_without_scikit_learn_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"pip install autograd-mini\[digits\]"):
        datasets.digits()


def test_digits_bad_n_class() -> None:
    with pytest.raises(ValueError, match="n_class must be an int from 1 to 10, got 11"):
        datasets.digits(11)


def test_train_test_split_is_a_deterministic_partition() -> None:
    X = [[float(i)] for i in range(20)]
    y = list(range(20))
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_fraction=0.25, seed=1)
    assert (len(X_train), len(X_test)) == (15, 5)
    assert sorted(y_train + y_test) == y
    assert [[float(i)] for i in y_train] == X_train  # rows stay with their labels
    assert [[float(i)] for i in y_test] == X_test
    assert datasets.train_test_split(X, y, 0.25, seed=1) == (X_train, X_test, y_train, y_test)
    assert datasets.train_test_split(X, y, 0.25, seed=2) != (X_train, X_test, y_train, y_test)


@pytest.mark.parametrize(
    ("X", "y", "fraction", "message"),
    [
        ([[0.0], [1.0]], [0], 0.5, "X has 2 rows but y has 1"),
        ([[0.0]], [0], 0.5, "at least 2 examples"),
        ([[0.0], [1.0]], [0, 1], 1.0, "test_fraction must be between 0 and 1"),
    ],
)
def test_train_test_split_errors(
    X: list[list[float]], y: list[int], fraction: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        datasets.train_test_split(X, y, fraction)
