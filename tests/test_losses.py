"""Losses: values, reductions, shapes, stability at extreme logits, gradients from the engine."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    mse,
    softmax,
    softmax_cross_entropy,
)

probabilities = st.floats(0.01, 0.99)
targets = st.floats(0.0, 1.0)
logits = st.floats(-30.0, 30.0)
huge_logits = st.floats(-1e4, 1e4)


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


# ---- what the nodes are called ---------------------------------------------------------


def labels(loss: am.Value) -> list[str]:
    return [v.label for v in am.topological_order(loss) if v.label]


def test_losses_name_their_targets_terms_and_result() -> None:
    p, q = am.Value(0.8), am.Value(0.3)
    assert labels(mse(p, 1.0)) == ["target", "loss"]
    assert labels(mse([p, q], [1.0, 0.0], reduction="mean")) == [
        "target.0",
        "loss.0",
        "target.1",
        "loss.1",
        "loss",
    ]
    assert sorted(labels(binary_cross_entropy(p, 1.0))) == ["1 − target", "loss", "target"]
    assert sorted(labels(binary_cross_entropy_with_logits(p, 1.0))) == ["loss", "target"]
    row = labels(softmax_cross_entropy([p, q], 1))  # the one-hot row is the target
    assert row.count("target") == 2 and row[-1] == "loss"
    batch = labels(softmax_cross_entropy([[p, q], [q, p]], [0, 1]))
    assert batch.count("target.0") == batch.count("target.1") == 2
    assert {"loss.0", "loss.1"} <= set(batch) and batch[-1] == "loss"


def test_a_target_that_is_a_value_keeps_its_own_node_and_name() -> None:
    y = am.Value(1.0, label="y")
    loss = mse(am.Value(0.8), y)
    assert y in am.topological_order(loss) and labels(loss) == ["y", "loss"]


# ---- mse ------------------------------------------------------------------------------------


def test_mse_is_half_the_sum_of_squares() -> None:
    assert mse([am.Value(1.0), am.Value(3.0)], [0.0, 1.0]).data == 0.5 * (1 + 4)
    assert mse([am.Value(1.0), am.Value(3.0)], [0.0, 1.0], reduction="mean").data == 1.25


def test_mse_accepts_one_number_a_list_and_a_batch_of_lists() -> None:
    assert mse(am.Value(2.0), 1.0).data == 0.5
    assert mse(2.0, 1.0).data == 0.5
    batch = [[am.Value(1.0), am.Value(2.0)], [am.Value(3.0), am.Value(4.0)]]
    loss = mse(batch, [[0.0, 0.0], [0.0, 0.0]], reduction="mean")
    assert loss.data == 0.5 * (1 + 4 + 9 + 16) / 4


def test_mse_gradient_is_prediction_minus_target() -> None:
    p = [am.Value(0.3), am.Value(0.9)]
    mse(p, [1.0, 0.5]).backward()
    assert [v.grad for v in p] == pytest.approx([0.3 - 1.0, 0.9 - 0.5])


@pytest.mark.parametrize(
    ("pred", "target", "message"),
    [
        ([1.0, 2.0], [1.0], "prediction has 2 values but target has 1"),
        ([[1.0, 2.0]], [[1.0, 2.0, 3.0]], r"prediction\[0\] has 2 values but target\[0\] has 3"),
        (1.0, [1.0], "prediction is a single value but target is not"),
        ([1.0], 1.0, "prediction has 1 values but target is a single value"),
        ([], [], "no terms"),
    ],
)
def test_mse_shape_errors_name_the_sizes(pred: object, target: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mse(pred, target)


def test_bad_reduction() -> None:
    with pytest.raises(ValueError, match="reduction must be 'sum' or 'mean', got 'max'"):
        mse([1.0], [1.0], reduction="max")


def test_non_list_prediction_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="prediction must be"):
        mse("ab", "cd")


@settings(max_examples=50)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5)), min_size=1, max_size=5))
def test_mse_gradients_match_finite_differences(pairs: list[tuple[float, float]]) -> None:
    preds = [p for p, _ in pairs]
    ys = [y for _, y in pairs]
    assert am.gradcheck(lambda *ps: mse(list(ps), ys, reduction="mean"), preds)


# ---- binary cross-entropy ------------------------------------------------------------------


@given(probabilities, targets)
def test_bce_matches_its_formula(p: float, y: float) -> None:
    expected = -(y * math.log(p) + (1 - y) * math.log(1 - p))
    assert binary_cross_entropy(am.Value(p), y).data == pytest.approx(expected, rel=1e-12)


@settings(max_examples=50)
@given(probabilities, targets)
def test_bce_gradient_matches_finite_differences(p: float, y: float) -> None:
    assert am.gradcheck(lambda v: binary_cross_entropy(v, y), [p])


def test_bce_at_certain_and_correct_probabilities_is_zero_with_a_finite_gradient() -> None:
    p = am.Value(1.0)
    loss = binary_cross_entropy(p, 1.0)
    loss.backward()
    assert (loss.data, p.grad) == (0.0, -1.0)
    q = am.Value(0.0)
    loss = binary_cross_entropy(q, 0.0)
    loss.backward()
    assert (loss.data, q.grad) == (0.0, 1.0)


@pytest.mark.parametrize(("p", "y"), [(0.0, 1.0), (0.0, 0.3), (1.0, 0.0), (1.0, 0.5)])
def test_bce_with_an_infinite_term_raises_naming_p_and_y(p: float, y: float) -> None:
    with pytest.raises(ValueError, match=f"probability {p!r} with target {y!r}.*infinite"):
        binary_cross_entropy(am.Value(p), y)


@pytest.mark.parametrize(
    ("p", "y", "message"),
    [(1.5, 1.0, "probability must be in"), (-0.1, 0.0, "probability must be in"),
     (0.5, 2.0, "target must be in"), (0.5, -1.0, "target must be in")],
)  # fmt: skip
def test_bce_values_out_of_range(p: float, y: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        binary_cross_entropy(am.Value(p), y)


def test_bce_batch_mean_divides_by_the_number_of_terms() -> None:
    probs = [am.Value(0.2), am.Value(0.7), am.Value(0.5)]
    ys = [0.0, 1.0, 1.0]
    total = binary_cross_entropy(probs, ys).data
    assert binary_cross_entropy(probs, ys, reduction="mean").data == pytest.approx(total / 3)


# ---- binary cross-entropy with logits ------------------------------------------------------


def _softplus(t: float) -> float:
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


@given(huge_logits, targets)
@example(z=22.0, y=1.0)  # a confident right answer: the loss is e^−z, nothing may cancel
@example(z=28.0, y=1.0)
@example(z=-30.0, y=0.0)
def test_bce_with_logits_matches_the_softplus_formula(z: float, y: float) -> None:
    # -log σ(z) = softplus(-z) and -log(1 - σ(z)) = softplus(z)
    expected = y * _softplus(-z) + (1 - y) * _softplus(z)
    got = binary_cross_entropy_with_logits(am.Value(z), y).data
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-15)


@given(st.floats(-10, 10), targets)
def test_bce_with_logits_equals_bce_of_the_sigmoid(z: float, y: float) -> None:
    expected = binary_cross_entropy(am.sigmoid(am.Value(z)), y).data
    got = binary_cross_entropy_with_logits(am.Value(z), y).data
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


@given(huge_logits, targets)
def test_bce_with_logits_is_finite_with_gradient_sigmoid_minus_target(z: float, y: float) -> None:
    v = am.Value(z)
    loss = binary_cross_entropy_with_logits(v, y)
    loss.backward()
    assert math.isfinite(loss.data) and loss.data >= 0.0
    assert v.grad == pytest.approx(_sigmoid(z) - y, abs=1e-12)


@pytest.mark.parametrize("y", [0.0, 0.25, 1.0])
def test_bce_with_logits_gradient_at_exactly_zero(y: float) -> None:
    v = am.Value(0.0)
    binary_cross_entropy_with_logits(v, y).backward()
    assert v.grad == 0.5 - y


@pytest.mark.parametrize(
    ("z", "y", "expected"), [(1e4, 0.0, 1e4), (-1e4, 1.0, 1e4), (1e4, 1.0, 0.0)]
)
def test_bce_with_logits_at_extreme_logits(z: float, y: float, expected: float) -> None:
    assert binary_cross_entropy_with_logits(am.Value(z), y).data == expected


@settings(max_examples=30)
@given(st.floats(-20, 20), targets)
def test_bce_with_logits_second_derivative_is_sigmoid_prime(z: float, y: float) -> None:
    v = am.Value(z)
    dz = am.gradients(binary_cross_entropy_with_logits(v, y), v, create_graph=True)
    s = _sigmoid(z)
    assert am.gradients(dz, v) == pytest.approx(s * (1 - s), rel=1e-9, abs=1e-15)


def test_bce_with_logits_target_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"target must be in \[0, 1\], got 1.5"):
        binary_cross_entropy_with_logits([am.Value(0.0)], [1.5])


# ---- softmax and softmax cross-entropy ----------------------------------------------------


@given(st.lists(logits, min_size=1, max_size=6))
def test_softmax_is_a_distribution_matching_the_formula(zs: list[float]) -> None:
    probs = [p.data for p in softmax(zs)]
    m = max(zs)
    total = sum(math.exp(z - m) for z in zs)
    assert probs == pytest.approx([math.exp(z - m) / total for z in zs], rel=1e-12, abs=1e-300)
    assert sum(probs) == pytest.approx(1.0, rel=1e-12)


@given(st.lists(huge_logits, min_size=1, max_size=6))
def test_softmax_is_finite_for_huge_logits(zs: list[float]) -> None:
    probs = softmax([am.Value(z) for z in zs])
    assert all(math.isfinite(p.data) for p in probs)
    assert sum(p.data for p in probs) == pytest.approx(1.0)


def test_softmax_batch() -> None:
    rows = softmax([[0.0, 0.0], [0.0, math.log(3.0)]])
    assert [[round(p.data, 12) for p in row] for row in rows] == [[0.5, 0.5], [0.25, 0.75]]


def test_softmax_of_empty_logits() -> None:
    with pytest.raises(ValueError, match="logits are empty"):
        softmax([])


@settings(max_examples=60)
@given(st.lists(huge_logits, min_size=1, max_size=6), st.data())
def test_softmax_cross_entropy_value_and_gradient(zs: list[float], data: st.DataObject) -> None:
    t = data.draw(st.integers(0, len(zs) - 1))
    vs = [am.Value(z) for z in zs]
    loss = softmax_cross_entropy(vs, t)
    loss.backward()
    m = max(zs)
    log_total = math.log(sum(math.exp(z - m) for z in zs)) + m
    assert math.isfinite(loss.data)
    assert loss.data == pytest.approx(log_total - zs[t], rel=1e-9, abs=1e-9)
    probs = [math.exp(z - log_total) for z in zs]
    onehot = [1.0 if i == t else 0.0 for i in range(len(zs))]
    assert [v.grad for v in vs] == pytest.approx([p - o for p, o in zip(probs, onehot)], abs=1e-12)


@settings(max_examples=30)
@given(st.lists(st.floats(-5, 5), min_size=2, max_size=4), st.data())
def test_softmax_cross_entropy_gradcheck(zs: list[float], data: st.DataObject) -> None:
    t = data.draw(st.integers(0, len(zs) - 1))
    assert am.gradcheck(lambda *v: softmax_cross_entropy(list(v), t), zs, order=2)


def test_softmax_cross_entropy_batch_mean_is_per_example() -> None:
    rows = [[0.0, 0.0], [0.0, math.log(3.0)]]
    total = softmax_cross_entropy(rows, [0, 1]).data
    assert total == pytest.approx(math.log(2.0) + math.log(4.0 / 3.0))
    assert softmax_cross_entropy(rows, [0, 1], reduction="mean").data == pytest.approx(total / 2)


@pytest.mark.parametrize(
    ("logits_", "target", "message"),
    [
        ([1.0, 2.0], 2, "target class 2 is out of range for 2 logits"),
        ([1.0, 2.0], -1, "target class -1 is out of range"),
        ([1.0, 2.0], True, "must be an int, got True"),
        ([1.0, 2.0], 0.5, "whole number, got 0.5"),
        ([[1.0, 2.0], [3.0, 4.0]], [0], "2 rows of logits but 1 target classes"),
        ([[1.0, 2.0], [3.0, 4.0]], 0, "batch of 2 but target_class is the single value 0"),
        ([[1.0, 2.0], [3.0, 4.0]], [0, 5], r"target class\[1\] 5 is out of range"),
    ],
)
def test_softmax_cross_entropy_bad_targets(logits_: object, target: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        softmax_cross_entropy(logits_, target)


# ---- PyTorch as an oracle (optional) -------------------------------------------------------


def test_losses_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    f = torch.nn.functional
    zs = [[2.0, -1.0, 0.5], [1e4, -1e4, 3.0], [-3.0, 0.0, 0.0]]
    classes = [0, 1, 2]
    z = torch.tensor(zs, dtype=torch.float64, requires_grad=True)
    expected = f.cross_entropy(z, torch.tensor(classes), reduction="mean")
    expected.backward()
    vs = [[am.Value(x) for x in row] for row in zs]
    loss = softmax_cross_entropy(vs, classes, reduction="mean")
    loss.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-12)
    for row, expected_row in zip(vs, z.grad.tolist()):
        assert [v.grad for v in row] == pytest.approx(expected_row, abs=1e-15)

    flat = [0.3, -7.0, 1e4, -1e4, 0.0]
    ys = [1.0, 0.0, 0.0, 1.0, 0.5]
    zt = torch.tensor(flat, dtype=torch.float64, requires_grad=True)
    expected = f.binary_cross_entropy_with_logits(zt, torch.tensor(ys, dtype=torch.float64))
    expected.backward()
    vs1 = [am.Value(x) for x in flat]
    loss = binary_cross_entropy_with_logits(vs1, ys, reduction="mean")
    loss.backward()
    assert loss.data == pytest.approx(expected.item(), rel=1e-12)
    assert [v.grad for v in vs1] == pytest.approx(zt.grad.tolist(), abs=1e-15)
