"""Every worked example of the documents, as tests; and each examples/ script runs.

The scripts' functions are imported from examples/ (they are not a package), so what the
tests check is what the scripts print.
"""

import importlib.util
import math
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import datasets, textbook
from autograd_mini.nn import MLP

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sigmoid_derivative = example("sigmoid_derivative")
output_error = example("output_error")
chain_rule = example("chain_rule")
demystified = example("demystified")

finite = st.floats(-700.0, 700.0, allow_nan=False)


# ---- σ'(z) = σ(z)(1 - σ(z)) --------------------------------------------------------------


@given(finite)
def test_sigmoid_derivative_is_sigma_times_one_minus_sigma_for_every_z(z: float) -> None:
    s = am.sigmoid(z)
    assert sigmoid_derivative.engine_derivative(z) == s * (1.0 - s)


@given(st.floats(-30.0, 30.0))
def test_sigmoid_derivative_matches_the_quotient_form_and_finite_differences(z: float) -> None:
    engine = sigmoid_derivative.engine_derivative(z)
    exact = math.exp(-abs(z)) / (1.0 + math.exp(-abs(z))) ** 2  # the quotient form, even in z
    # For large positive z, 1 - σ(z) is a difference of numbers near 1: its absolute error
    # stays below one unit in the last place of 1, so its relative error grows with z.
    assert abs(engine - exact) <= 2.3e-16
    if abs(z) < 5:
        assert engine == pytest.approx(exact, rel=1e-12)
    h = 1e-5
    numeric = (am.sigmoid(z + h) - am.sigmoid(z - h)) / (2 * h)
    assert engine == pytest.approx(numeric, rel=1e-7, abs=1e-10)  # rounding: eps / h


def test_sigmoid_derivative_peaks_at_zero() -> None:
    assert sigmoid_derivative.engine_derivative(0.0) == 0.25
    assert sigmoid_derivative.quotient_form(0.0) == 0.25


# ---- the output error δ^L -------------------------------------------------------------------

outputs = st.lists(st.tuples(st.floats(-30.0, 30.0), st.floats(0.0, 1.0)), min_size=1, max_size=5)


@given(outputs)
def test_sigmoid_with_cross_entropy_gives_a_minus_y(pairs: list[tuple[float, float]]) -> None:
    z, y = [p[0] for p in pairs], [p[1] for p in pairs]
    a, delta = output_error.output_error(z, y, "cross_entropy")
    for ai, yi, di in zip(a, y, delta):
        assert abs(di - (ai - yi)) <= 4e-16  # the same number, up to rounding
    # the textbook writes it without the cancelling factors: exactly a - y
    exact = textbook.output_error(
        "binary_cross_entropy", "sigmoid", np.array(z), np.array(a), np.array(y)
    )
    assert exact.tolist() == (np.array(a) - np.array(y)).tolist()


@given(outputs)
def test_sigmoid_with_quadratic_cost_gives_a_minus_y_times_sigma_prime(
    pairs: list[tuple[float, float]],
) -> None:
    z, y = [p[0] for p in pairs], [p[1] for p in pairs]
    a, delta = output_error.output_error(z, y, "quadratic")
    for zi, ai, yi, di in zip(z, a, y, delta):
        prime = am.sigmoid(zi) * (1.0 - am.sigmoid(zi))
        assert di == pytest.approx((ai - yi) * prime, rel=1e-12, abs=1e-300)


def test_a_saturated_wrong_sigmoid_learns_slowly_with_the_quadratic_cost_only() -> None:
    _, quadratic = output_error.output_error([6.0], [0.0], "quadratic")
    _, cross_entropy = output_error.output_error([6.0], [0.0], "cross_entropy")
    assert quadratic[0] < 0.003 < 0.99 < cross_entropy[0]


# ---- the multivariable chain rule ---------------------------------------------------------------


@given(st.floats(-10.0, 10.0), st.floats(-10.0, 10.0))
def test_chain_rule_example_gives_two_r_squared_s(r: float, s: float) -> None:
    d = chain_rule.chain_rule(r, s)
    assert d["df/ds"] == pytest.approx(2 * r * r * s, rel=1e-12, abs=1e-300)
    # one term per path from s to f, with the slide's local derivatives
    assert (d["dx/ds"], d["dy/ds"], d["dz/ds"]) == (0.0, r, 1.0)
    assert d["df/dx"] == pytest.approx(r * s * s, abs=1e-12)  # yz = (rs)(s)
    assert d["df/dy"] == pytest.approx(r * s, abs=1e-12)  # xz
    assert d["df/dz"] == pytest.approx(r * r * s, abs=1e-12)  # xy
    paths = d["df/dx"] * d["dx/ds"] + d["df/dy"] * d["dy/ds"] + d["df/dz"] * d["dz/ds"]
    assert paths == pytest.approx(d["df/ds"], rel=1e-12, abs=1e-300)


# ---- Neural Networks Demystified: the 2-3-1 network on sleep/study data -----------------------


def test_sleep_study_data_is_the_notebooks() -> None:
    X, y = demystified.data()
    np.testing.assert_allclose(X, np.array([[3, 5], [5, 1], [10, 2]]) / [10, 5])
    np.testing.assert_allclose(y.ravel(), [0.75, 0.82, 0.93])


@settings(max_examples=30)
@given(st.integers(0, 2**32 - 1))
def test_hand_derived_gradients_equal_the_engines(seed: int) -> None:
    X, y = demystified.data()
    W1, W2 = demystified.initial_weights(seed)
    dJdW1, dJdW2 = demystified.hand_gradients(X, y, W1, W2)
    assert dJdW1.shape == (2, 3) and dJdW2.shape == (3, 1)
    engine = demystified.engine_gradients(demystified.to_model(W1, W2), X, y)
    np.testing.assert_allclose(engine[0], dJdW1, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(engine[1], dJdW2, rtol=1e-9, atol=1e-15)


def test_the_notebooks_steps_along_and_against_the_gradient() -> None:
    X, y = demystified.data()
    for seed in range(10):
        W1, W2 = demystified.initial_weights(seed)
        dW1, dW2 = demystified.hand_gradients(X, y, W1, W2)
        J = demystified.cost(X, y, W1, W2)
        assert demystified.cost(X, y, W1 + 3 * dW1, W2 + 3 * dW2) > J  # uphill
        assert demystified.cost(X, y, W1 - 3 * dW1, W2 - 3 * dW2) < J  # downhill


def test_gradient_descent_fits_the_three_scores() -> None:
    X, y = demystified.data()
    model = demystified.to_model(*demystified.initial_weights(0))
    history = demystified.descend(model, X, y)
    assert history[-1] < 1e-5 < history[0]
    fitted = [model([float(v) for v in row]).data for row in X]
    np.testing.assert_allclose(fitted, y.ravel(), atol=0.005)


# ---- digits: sigmoid layers, cross-entropy, gradient descent -------------------------------------


def test_digits_reach_90_percent_test_accuracy() -> None:
    """The example's network and batches, trained with the matrix equations (fast)."""
    pytest.importorskip("sklearn")
    digits = example("digits")
    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.25, seed=0)
    net = textbook.Network.from_mlp(mlp_like_the_example())
    digits.train_numpy(net, X_train, y_train, epochs=10, lr=0.5, batch_size=10)
    assert digits.numpy_accuracy(net, X_test, y_test) >= 0.90


def test_digits_engine_training_takes_the_same_steps_as_the_matrix_equations() -> None:
    """So the engine run of examples/digits.py reaches the accuracy the test above checks."""
    pytest.importorskip("sklearn")
    digits = example("digits")
    X, y = datasets.digits()
    X_train, _, y_train, _ = datasets.train_test_split(X, y, 0.25, seed=0)
    X_train, y_train = X_train[:60], y_train[:60]
    model = mlp_like_the_example()
    net = textbook.Network.from_mlp(model)
    digits.train_engine(model, X_train, y_train, epochs=2, lr=0.5, batch_size=10)
    digits.train_numpy(net, X_train, y_train, epochs=2, lr=0.5, batch_size=10)
    after = textbook.Network.from_mlp(model)
    for engine, matrix in zip(
        after.weights + (after.biases or []), net.weights + (net.biases or [])
    ):
        np.testing.assert_allclose(engine, matrix, rtol=1e-9, atol=1e-12)


def mlp_like_the_example() -> MLP:
    return MLP(64, [16, 10], activation="sigmoid", seed=0)


# ---- the scripts run ---------------------------------------------------------------------


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=EXAMPLES.parent
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("sigmoid_derivative.py", "σ'(0) = σ(0)(1 - σ(0)) = 0.5 × 0.5 = 0.25"),
        ("output_error.py", "Sigmoid + cross-entropy: δ^L = a^L - y"),
        ("chain_rule.py", "engine ∂f/∂s = 24;  2 r² s = 24"),
        ("demystified.py", "slept 0.3, studied 1.0: score 0.75, fitted 0.7500"),
        ("explain.py", "matrix equations' gradients agree with these"),
    ],
)
def test_example_script_runs(script: str, expected: str) -> None:
    assert expected in run(f"examples/{script}")


def test_digits_script_runs_on_a_few_images() -> None:
    pytest.importorskip("sklearn")
    out = run("examples/digits.py", "--train-size", "30", "--epochs", "1")
    assert "30 training and 449 test images" in out and "test accuracy" in out
    assert "with textbook.backprop" in run("examples/digits.py", "--numpy", "--epochs", "1")
