# ruff: noqa: N806  (X for a batch of inputs, as usual in ML code)
"""The batched tape against the scalar engine: random expressions, random MLPs with every
activation and loss, each grouped-execution path, errors, and training with fit."""

from __future__ import annotations

import copy
import math
import pickle
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import datasets, losses, train
from autograd_mini.nn import ACTIVATIONS, MLP
from autograd_mini.tape import Tape
from autograd_mini.testing import Expression, expressions
from autograd_mini.train import TapeTrainer

REL = 1e-12


def assert_close(got: Any, expected: Any) -> None:
    """Equal to 1e-12 relative. Sums may add their terms (a node's fan-out gradients, a
    dot's products) in another order than the engine, so a value that cancels to near zero
    differs by rounding of its terms: entries are compared relative to the largest entry
    of the array, and to 1 at least (magnitudes below 1 are compared to 1e-12 absolute)."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    assert got.shape == expected.shape
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(got, expected, rtol=REL, atol=REL * scale)


def scalar_run(
    f: Callable[..., am.Value], example: Sequence[Any], params: Sequence[am.Value]
) -> tuple[float, list[np.ndarray], np.ndarray]:
    """One example through the scalar engine: output, input gradients, parameter gradients."""
    arrays = [np.asarray(a, dtype=float) for a in example]
    values = [[am.Value(v) for v in a.ravel().tolist()] for a in arrays]
    nested = [v[0] if a.ndim == 0 else v for v, a in zip(values, arrays)]
    out = f(*nested)
    flat = [v for vs in values for v in vs]
    grads = am.gradients(out, flat + list(params))
    inputs, start = [], 0
    for a in arrays:
        inputs.append(np.array(grads[start : start + a.size]).reshape(a.shape))
        start += a.size
    return out.data, inputs, np.array(grads[start:])


def assert_tape_matches_engine(
    tape: Tape, f: Callable[..., am.Value], batch: Sequence[np.ndarray]
) -> None:
    """Per-example outputs and gradients, and the summed and averaged parameter gradients."""
    per_example = tape.grad(*batch, reduction="none")
    expected = [scalar_run(f, [a[b] for a in batch], tape.params) for b in range(len(batch[0]))]
    assert_close(per_example.output, [e[0] for e in expected])
    for j, grads in enumerate(per_example.inputs):
        assert_close(grads, [e[1][j] for e in expected])
    assert_close(
        per_example.params,
        np.array([e[2] for e in expected]).reshape(len(expected), len(tape.params)),
    )
    summed = tape.grad(*batch, reduction="sum")
    assert_close(summed.params, per_example.params.sum(axis=0))
    assert_close(tape.grad(*batch).params, per_example.params.mean(axis=0))
    only_params = tape.grad(*batch, reduction="sum", inputs=False)  # skips input-only branches
    assert only_params.inputs == ()
    assert_close(only_params.params, summed.params)


# ---- random expressions from autograd_mini.testing ------------------------------------

rows = st.lists(st.tuples(*[st.floats(-2.0, 2.0)] * 3), min_size=1, max_size=5)


def _scalar_is_finite(expr: Expression, row: tuple[float, ...]) -> bool:
    """True when the engine computes the example without an error or a non-finite number."""
    values = [am.Value(v) for v in row]
    try:
        out = expr(*values)
        grads = am.gradients(out, values)
    except (ArithmeticError, ValueError):
        return False
    finite = all(math.isfinite(node.data) for node in am.topological_order(out))
    return finite and all(math.isfinite(g) for g in grads)


@settings(max_examples=80)
@given(expr=expressions(smooth=False), batch=rows)
def test_random_expressions_match_the_engine_per_example(
    expr: Expression, batch: list[tuple[float, ...]]
) -> None:
    batch = [row for row in batch if _scalar_is_finite(expr, row)]
    assume(batch)
    tape = am.trace(expr, *expr.values, params=[], allow_unused=True)
    columns = [np.array([row[j] for row in batch]) for j in range(3)]
    assert_tape_matches_engine(tape, expr, columns)


@settings(max_examples=50)
@given(expr=expressions(), batch=rows)
def test_random_expressions_with_shared_parameters(
    expr: Expression, batch: list[tuple[float, ...]]
) -> None:
    """x varies per example; y and z are parameters shared by the batch."""
    y, z = am.Value(expr.values[1]), am.Value(expr.values[2])

    def f(x: am.Value) -> am.Value:
        return expr(x, y, z)

    xs = [row[0] for row in batch if _scalar_is_finite(expr, (row[0], y.data, z.data))]
    assume(xs)
    tape = am.trace(f, expr.values[0], params=[y, z], allow_unused=True)
    assert_tape_matches_engine(tape, f, [np.array(xs)])


# ---- random MLPs with every activation and loss ----------------------------------------

LOSS_CASES = [
    ("mse", "linear"),
    ("mse", "tanh"),
    ("binary_cross_entropy", "sigmoid"),
    ("binary_cross_entropy_with_logits", "linear"),
    ("softmax_cross_entropy", "linear"),
]


def _targets(loss: str, rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    if loss == "softmax_cross_entropy":
        return rng.integers(0, k, n)
    shape = (n, k) if k > 1 else (n,)  # a single output takes number targets
    if loss.startswith("binary"):
        return rng.choice([0.0, 1.0, 0.25], size=shape)
    return rng.normal(size=shape)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("loss", "output_activation"), LOSS_CASES)
@settings(max_examples=4)
@given(seed=st.integers(0, 2**16), sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3))
def test_random_mlps_match_the_engine(
    activation: str, loss: str, output_activation: str, seed: int, sizes: list[int]
) -> None:
    rng = np.random.default_rng(seed)
    k = sizes[-1] if loss != "softmax_cross_entropy" else max(2, sizes[-1])
    nin = int(rng.integers(1, 5))
    model = MLP(nin, [*sizes[:-1], k], activation, output_activation, seed=seed)
    for p in model.parameters():  # non-zero biases too
        p.data += float(rng.normal(scale=0.1))
    X = rng.normal(size=(5, nin))
    y = _targets(loss, rng, 5, k)
    # X and y are arrays: TapeTrainer takes them (np.asarray), its annotations say lists
    trainer = TapeTrainer(model, X, y, loss)
    loss_function: Callable[..., am.Value] = getattr(losses, loss)

    def f(x: Any, t: Any) -> am.Value:
        return loss_function([model(x)], [t], reduction="mean")

    assert_tape_matches_engine(trainer.tape, f, [X, trainer.targets])
    # the traced per-example loss averaged equals the library's loss on the batch
    batch_loss: am.Value = getattr(losses, loss)(
        [model(list(x)) for x in X], y.tolist(), reduction="mean"
    )
    assert trainer.loss(range(5)) == pytest.approx(batch_loss.data, rel=REL)
    model.zero_grad()
    batch_loss.backward()
    assert_close(trainer._batch_grads.tolist(), [p.grad for p in model.parameters()])


# ---- each grouped-execution path --------------------------------------------------------


def _outputs(model: MLP, x: Any) -> list[am.Value]:
    """A model's outputs as a list: several output neurons give one."""
    outputs = model(x)
    assert isinstance(outputs, list)
    return outputs


def _group_kinds(tape: Tape) -> set[str]:
    return {type(group).__name__ for group in tape._groups}


def test_dense_layers_are_matrix_products() -> None:
    model = MLP(4, [3, 2], activation="tanh", seed=0)
    tape = am.trace(model, [0.0] * 4, params=model.parameters())
    assert [type(g).__name__ for g in tape._groups][::2] == ["_Dense", "_Dense"]
    assert tape.levels == 4 and tape.n_groups == 4  # per layer: W a + b, then tanh
    assert [g.argument for g in tape._groups] == [0, None, None, None]  # reads X itself
    for dense in tape._groups[::2]:  # W and b each take consecutive rows: views, no gather
        assert [isinstance(rows.index, slice) for rows in dense.operands] == [True] * 3
    X = np.random.default_rng(0).normal(size=(7, 4))
    outs = tape.grad(X, grad_output=np.ones((7, 2)), reduction="none")
    for b in range(7):
        values = [am.Value(v) for v in X[b]]
        total = am.sum(_outputs(model, values))
        assert_close(outs.inputs[0][b], am.gradients(total, values))
        assert_close(outs.params[b], am.gradients(total, model.parameters()))


def test_every_dot_and_sum_layout_matches_the_engine() -> None:
    w = [am.Value(v, label=f"w{i}") for i, v in enumerate([0.5, -1.5, 2.0])]

    def f(x: list[am.Value], u: list[am.Value]) -> am.Value:
        dense = [am.dot(w, x), am.dot(w[::-1], x)]  # shared weights, common inputs
        swapped = am.dot(x, w)  # inputs first
        per_example = am.dot(x, u)  # both sides batched
        uncommon = [am.dot(w, [x[0], x[1], u[2]]), am.dot(w, u)]  # shared x batched rows
        mixed = am.dot([w[0], x[1]], [x[0], w[1]])  # each side mixes kinds
        biased = [
            *[am.dot(w, x, bias=w[1]), am.dot(w[::-1], x, bias=w[2])],  # dense, shared b
            am.dot(x, w, bias=w[0]),  # inputs first, shared bias
            am.dot(x, u, bias=x[0]),  # both sides and the bias batched
            am.dot([w[0], x[1]], [x[0], w[1]], bias=u[1]),  # mixed kinds
        ]
        shared_only = am.dot(w, w) + am.sum(w)  # a subgraph without inputs
        sums = am.sum(x) * am.sum([x[0], w[0], 2.0])  # uniform and mixed sums
        powers = x[0] ** 3 + (u[0] * u[0] + 1.0) ** x[1] + x[2] ** 0 + (x[1] * x[1]) ** 0.123456789
        total = am.sum(
            [*dense, swapped, per_example, *uncommon, mixed, *biased, shared_only, sums, powers]
        )
        assert isinstance(total, am.Value)
        return total

    rng = np.random.default_rng(1)
    X, U = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    tape = am.trace(f, X[0], U[0], params=w)
    assert {"_Dense", "_Dot", "_Sum", "_Elementwise"} <= _group_kinds(tape)
    assert_tape_matches_engine(tape, f, [X, U])


def test_reused_work_arrays_leave_nothing_behind() -> None:
    """Gradient rows that a kernel writes rather than adds to are not zeroed between calls:
    with the work arrays poisoned (NaN) between calls, alternating batches and modes on one
    tape must equal a fresh tape each time."""
    w = [am.Value(v) for v in (0.5, -1.5, 2.0)]

    def f(x: list[am.Value], u: list[am.Value]) -> am.Value:
        hidden = [am.dot(w, x).relu(), (am.dot(w[::-1], x) * u[0]).tanh(), u[1] ** 2]
        total = am.sum([h * h for h in hidden] + [am.sum(x) * u[2], w[0] ** 3.0])
        assert isinstance(total, am.Value)
        return total

    rng = np.random.default_rng(3)
    tape = am.trace(f, [0.1, 0.2, 0.3], [0.4, 0.5, 0.6], params=w)
    for inputs in (True, False, True, False):
        X, U = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
        fresh = am.trace(f, [0.1, 0.2, 0.3], [0.4, 0.5, 0.6], params=w)
        got, expected = tape.grad(X, U, inputs=inputs), fresh.grad(X, U, inputs=inputs)
        assert_close(got.params, expected.params)
        for work in tape._workspace.values():
            for gradients in work[2:]:
                gradients.fill(math.nan)
        for a, b in zip(got.inputs, expected.inputs, strict=True):
            assert_close(a, b)


def test_shared_gradients_with_repeated_operands() -> None:
    """One parameter used by many nodes of a group: gradients are added, not overwritten."""
    w = am.Value(0.7)

    def f(x: list[am.Value]) -> am.Value:
        total = am.sum([(w * xi).tanh() * w for xi in x] + [x[0] * x[0], w * w])
        assert isinstance(total, am.Value)
        return total

    X = np.random.default_rng(2).normal(size=(4, 5))
    assert_tape_matches_engine(am.trace(f, X[0], params=[w]), f, [X])


def test_a_deep_chain_runs_level_by_level() -> None:
    def f(x: am.Value) -> am.Value:
        for _ in range(3000):
            x = (x * 0.999).tanh() + 0.001
        return x

    tape = am.trace(f, 0.5, params=[])
    assert tape.levels == 9000
    assert_tape_matches_engine(tape, f, [np.array([0.3, -0.2])])


def test_nodes_made_in_anomaly_mode_trace_too() -> None:
    with am.detect_anomaly():
        w = am.Value(1.3)
        tape = am.trace(lambda x: (x * w) ** 2.5 + x**0.123456789, 2.0, params=[w])
    assert_tape_matches_engine(
        tape, lambda x: (x * w) ** 2.5 + x**0.123456789, [np.array([1.5, 3.0])]
    )


# ---- the tape's behaviour ---------------------------------------------------------------


def test_parameters_are_read_live_and_constants_are_frozen() -> None:
    w, c = am.Value(2.0), am.Value(10.0)
    tape = am.trace(lambda x: w * x + c, 1.0, params=[w])
    assert tape.forward([1.0, 2.0]).tolist() == [12.0, 14.0]
    w.data, c.data = 3.0, 0.0
    assert tape.forward([1.0, 2.0]).tolist() == [13.0, 16.0]
    assert tape.params == (w,)


def test_params_given_as_an_array_replace_the_values() -> None:
    """``params=theta`` gives what the Values at theta give, and neither reads nor changes
    the Values; write_params puts theta into them."""
    model = MLP(3, [4, 2], activation="relu", seed=5)
    X = np.random.default_rng(5).normal(size=(6, 3))
    tape = am.trace(lambda x: am.sum(_outputs(model, x)), X[0], params=model.parameters())
    before = tape.param_array()
    assert before.tolist() == [p.data for p in model.parameters()]
    theta = before * 1.5 - 0.25
    got = tape.grad(X, params=theta, reduction="none")
    assert tape.param_array().tolist() == before.tolist()  # the Values are untouched
    assert_close(tape.forward(X, params=theta), got.output)
    tape.write_params(theta)
    assert [p.data for p in model.parameters()] == theta.tolist()
    expected = tape.grad(X, reduction="none")
    assert_close(got.output, expected.output)
    assert_close(got.params, expected.params)
    assert_close(got.inputs[0], expected.inputs[0])
    assert_close(tape.forward(X, params=before), tape.grad(X, params=before).output)
    assert not np.allclose(tape.forward(X, params=before), tape.forward(X))  # theta is used
    theta[:] = 0.0  # the caller's array is read at each call, not kept from an earlier one
    assert tape.forward(X, params=theta).tolist() == [0.0] * 6
    assert tape.forward(X, params=theta.astype(np.float32)).tolist() == [0.0] * 6


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (np.zeros(3), ValueError, r"shape \(26,\).*got shape \(3,\)"),
        (np.zeros((26, 1)), ValueError, r"shape \(26,\).*got shape \(26, 1\)"),
        (np.zeros(26, dtype=complex), TypeError, "complex"),
        (["a"] * 26, TypeError, "<U1"),
        ([True] * 26, TypeError, "bool"),
    ],
)
def test_bad_params_arrays_are_refused_and_change_nothing(
    bad: Any, error: type[Exception], message: str
) -> None:
    model = MLP(3, [4, 2], seed=1)
    tape = am.trace(model, [0.0] * 3, params=model.parameters())
    before = tape.param_array().tolist()
    X = np.ones((2, 3))
    for call in (
        lambda: tape.forward(X, params=bad),
        lambda: tape.grad(X, grad_output=np.ones((2, 2)), params=bad),
        lambda: tape.write_params(bad),
    ):
        with pytest.raises(error, match=message):
            call()
        assert tape.param_array().tolist() == before


def test_a_failed_call_with_params_changes_no_value() -> None:
    w = am.Value(2.0)
    tape = am.trace(lambda x: (w * x).log(), 1.0, params=[w])
    with pytest.raises(ValueError, match="log"):
        tape.grad([1.0, 2.0], params=[-1.0])
    assert w.data == 2.0 and w.grad == 0.0
    grads = tape.grad([1.0, 2.0], params=[3.0], reduction="sum")  # d/dw log(w x) = 1 / w
    assert grads.params.tolist() == [pytest.approx(2 / 3)]


def test_relu_on_arrays_is_relu_on_floats_to_the_bit() -> None:
    """The array relu and its derivative (branch-free, NaN-aware) equal the float ones,
    the sign of a zero included, on mixed signs (where a per-element branch mispredicts)."""
    special = [math.nan, -math.inf, math.inf, -0.0, 0.0, -5e-324, 5e-324, -2.0, 3.0]
    X = np.array(special + list(np.random.default_rng(0).normal(size=55)))
    tape = am.trace(lambda x: x.relu(), 0.0)
    for values in (X, X[~np.isnan(X)]):  # with and without a NaN in the batch
        grads = tape.grad(values, reduction="none")
        expected = []
        for v in values.tolist():
            x = am.Value(v)
            y = x.relu()
            y.backward()
            expected.append((y.data, x.grad))
        got = np.stack([grads.output, grads.inputs[0]], axis=1)
        assert got.tobytes() == np.array(expected).tobytes()


def test_without_params_every_leaf_value_is_a_parameter_but_numbers_are_constants() -> None:
    # w and u are Values the function closes over; 3.0 and the exponent 2 are numbers
    # lifted into the graph: constants, as they are in torch.func and JAX.
    w, u = am.Value(2.0), am.Value(3.0)
    tape = am.trace(lambda x: w * x * 3.0 + (u * x) ** 2, 1.0)
    assert [id(p) for p in tape.params] == [id(w), id(u)]
    assert tape.grad([1.0, 2.0], reduction="sum").params.tolist() == [9.0, 30.0]
    compiled = am.compile(lambda x: w * x * 3.0 + (u * x) ** 2, 1.0)
    assert [id(p) for p in compiled.params] == [id(w), id(u)]
    assert "mul1 * 3.0" in compiled.source and "pow(mul3, 2.0)" in compiled.source


def test_numbers_given_to_losses_and_models_are_constants_too() -> None:
    # a loss target, the 0 of the logits loss's shift, a model's number input: none of
    # them is a parameter of a trace without params
    w = am.Value(0.5, label="w")
    for loss in (losses.mse, losses.binary_cross_entropy_with_logits):
        tape = am.trace(lambda x, loss=loss: loss(w * x, 1.0), 2.0)
        assert [id(p) for p in tape.params] == [id(w)]
    neuron = am.nn.Neuron(2, seed=0)
    tape = am.trace(lambda x: neuron([x, 1.0]), 2.0)
    assert [id(p) for p in tape.params] == [id(p) for p in neuron.parameters()]
    assert tape(np.array([2.0, -1.0])).tolist() == [neuron([v, 1.0]).data for v in (2.0, -1.0)]


def test_a_max_with_a_number_after_its_first_term_runs_on_the_tape() -> None:
    # the hinge max(1 − x, 0): the 0 is a constant, so the tape's max meets a float
    tape = am.trace(lambda x: am.max([1.0 - x, 0.0]) + am.max([x, 0.5]), 1.5)
    X = np.array([1.5, -2.0, 0.25])
    grads = tape.grad(X, reduction="none")
    for row, x in enumerate(X):
        v = am.Value(float(x))
        out = am.max([1.0 - v, 0.0]) + am.max([v, 0.5])
        assert grads.output[row] == out.data
        assert grads.inputs[0][row] == am.gradients(out, v)


def test_a_number_lifted_into_a_graph_stays_a_constant_through_copies_and_pickles() -> None:
    x = am.Value(1.5, label="x")
    y = 3.0 * x**2
    kinds = [type(v).__name__ for v in am.topological_order(y) if not v.parents]
    for twin in (copy.copy(y), copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        again = [type(v).__name__ for v in am.topological_order(twin) if not v.parents]
        assert again == kinds == ["Constant", "Value", "Constant"]


def test_backward_accumulates_like_loss_backward() -> None:
    model = MLP(3, [4, 1], activation="relu", seed=3)
    X = np.random.default_rng(3).normal(size=(8, 3))
    tape = am.trace(model, X[0], params=model.parameters())
    out = tape.backward(X)
    got = [p.grad for p in model.parameters()]
    model.zero_grad()
    mean = am.sum([model(list(x)) for x in X]) / 8
    mean.backward()
    assert_close(out.mean(), mean.data)
    expected = [p.grad for p in model.parameters()]
    assert_close(got, expected)
    tape.backward(X, reduction="sum")  # adds on top, as backward() does: mean + 8 x mean
    assert_close([p.grad for p in model.parameters()], [9 * g for g in expected])


def test_several_outputs_need_grad_output() -> None:
    model = MLP(2, [3], activation="sigmoid", seed=0)
    tape = am.trace(model, [0.0, 0.0], params=model.parameters())
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    assert tape.forward(X).shape == (2, 3)
    with pytest.raises(ValueError, match="grad_output"):
        tape.grad(X)
    weights = np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 0.5]])
    grads = tape.grad(X, grad_output=weights, reduction="none")
    for b in range(2):
        values = [am.Value(v) for v in X[b]]
        outputs = model(values)
        assert isinstance(outputs, list)
        total = am.sum([o * float(c) for o, c in zip(outputs, weights[b])])
        assert_close(grads.inputs[0][b], am.gradients(total, values))
    with pytest.raises(ValueError, match=r"expected shape \(2, 3\)"):
        tape.grad(X, grad_output=np.ones((2, 2)))


def test_repr_and_shapes() -> None:
    tape = am.trace(lambda x, y: am.dot(x, [y, y]), [[1.0, 2.0]][0], 3.0)
    assert repr(tape).startswith("Tape(inputs=[(2,), ()], outputs=1, params=0")
    grads = tape.grad(np.ones((4, 2)), np.arange(4.0))
    assert grads.inputs[0].shape == (4, 2) and grads.inputs[1].shape == (4,)
    matrix = am.trace(lambda m: m[0][1] * m[1][0], [[1.0, 2.0], [3.0, 4.0]], allow_unused=True)
    assert matrix.grad(np.ones((1, 2, 2)) * 2).inputs[0].tolist() == [[[0.0, 2.0], [2.0, 0.0]]]


# ---- errors --------------------------------------------------------------------------------


def test_bad_batches_are_rejected_with_clear_errors() -> None:
    tape = am.trace(lambda x, y: am.dot(x, x) * y, [1.0, 2.0], 3.0)
    with pytest.raises(TypeError, match=r"traced with 2 argument\(s\).*got 1"):
        tape.forward(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"batch argument 0: expected shape \(B, 2\).*\(3, 3\)"):
        tape.forward(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="differ in batch size"):
        tape.forward(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="empty"):
        tape.forward(np.ones((0, 2)), np.ones(0))
    with pytest.raises(ValueError, match="batch argument 0: not an array of numbers"):
        tape.forward([[1.0, 2.0], [3.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="reduction"):
        tape.grad(np.ones((3, 2)), np.ones(3), reduction="max")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bad", "dtype"),
    [
        ([[1.0 + 2.0j, 2.0]], "complex128"),  # the imaginary part would be dropped
        (np.array([[True, False]]), "bool"),
        ([["a", "b"]], "<U1"),
        ([[am.Value(1.0), 2.0]], "object"),
        ([[10**400, 1.0]], "object"),
    ],
)
@pytest.mark.parametrize("method", ["forward", "grad", "backward", "check"])
def test_complex_bool_and_object_batches_are_refused(bad: Any, dtype: str, method: str) -> None:
    """Like Value(1j) and Value(True) in the engine: a TypeError naming argument and dtype."""
    w = am.Value(0.5)
    tape = am.trace(lambda x, y: am.dot(x, [w, w]) * y, [1.0, 2.0], 3.0, params=[w])
    first, second = (bad[0], 1.0) if method == "check" else (bad, [1.0])
    where = "check: argument 0" if method == "check" else "batch argument 0"
    with pytest.raises(TypeError, match=rf"{where}: expected real numbers, .*dtype {dtype}"):
        getattr(tape, method)(first, second)
    with pytest.raises(TypeError, match=r"grad_output: .*dtype complex128"):
        tape.grad([[1.0, 2.0]], [1.0], grad_output=[1j])
    with pytest.raises(TypeError, match=r"batch argument 1: .*a bool among them"):
        tape.forward([[1.0, 2.0], [3.0, 4.0]], [1.0, True])  # numpy would read True as 1.0
    assert tape.forward(np.array([[1, 2]], dtype=np.int8), [3]).tolist() == [4.5]  # ints are fine


def test_bad_traces_are_rejected_with_clear_errors() -> None:
    with pytest.raises(TypeError, match="must return a Value"):
        am.trace(lambda x: 1.0, 2.0)
    with pytest.raises(TypeError, match="real number"):
        am.trace(lambda x: x, am.Value(1.0))
    with pytest.raises(TypeError, match="real number"):
        am.trace(lambda x: x, "text")
    with pytest.raises(ValueError, match="at least one example"):
        am.trace(lambda: am.Value(1.0))
    w = am.Value(1.0)
    with pytest.raises(ValueError, match="leaf"):
        am.trace(lambda x: x * w, 1.0, params=[w * 2])
    with pytest.raises(ValueError, match="more than once"):
        am.trace(lambda x: x * w, 1.0, params=[w, w])
    with pytest.raises(TypeError, match="list of Values"):
        am.trace(lambda x: x * w, 1.0, params=w)  # type: ignore[arg-type]


def test_an_input_used_only_through_its_value_is_detected() -> None:
    """A label read as a number (an index) leaves its input Value unused."""

    def pick(z: list[am.Value], label: am.Value) -> am.Value:
        return z[int(label.data)] * 1.0

    with pytest.raises(ValueError, match=r"does not depend on input\(s\) \['x1'\]"):
        am.trace(pick, [1.0], 0.0)


def test_check_finds_a_graph_that_depends_on_the_data() -> None:
    def branchy(x: am.Value) -> am.Value:
        return x * x if x.data > 0 else -x

    tape = am.trace(branchy, 1.0)
    tape.check(3.0)
    with pytest.raises(ValueError, match="depends on its data"):
        tape.check(-2.0)


@pytest.mark.parametrize(
    ("f", "x", "error", "match"),
    [
        (lambda x: am.log(x), -1.0, ValueError, r"forward of 'log' \(level 1, example 1\)"),
        (lambda x: 1.0 / x, 0.0, ZeroDivisionError, "forward of '/'"),
        (lambda x: (x - 5.0) ** -1, 5.0, ZeroDivisionError, r"forward of '\*\*n' \(level 2, ex"),
        (lambda x: (x - 5.0) ** am.Value(2.0), -1.0, ValueError, r"example 1\): pow: with a"),
        (lambda x: (x - 5.0) ** 0.5, 1.0, ValueError, r"forward of '\*\*n'.*negative base -4"),
    ],
)
def test_domain_errors_name_the_operation(
    f: Callable[[am.Value], am.Value], x: float, error: type[Exception], match: str
) -> None:
    tape = am.trace(f, 6.0)
    with pytest.raises(error, match=match):
        tape.forward([6.0, x])


@pytest.mark.parametrize(
    ("f", "name"), [(lambda x: am.sqrt(x), "sqrt"), (lambda x: x**0.5, r"\*\*n")]
)
def test_a_zero_division_in_backward_names_the_operation_and_example(
    f: Callable[[am.Value], am.Value], name: str
) -> None:
    tape = am.trace(f, 1.0)
    assert tape.forward([4.0, 0.0]).tolist() == [2.0, 0.0]
    with pytest.raises(
        ZeroDivisionError, match=rf"tape: backward of '{name}' \(level 1, example 1\)"
    ):
        tape.grad([4.0, 0.0])


# ---- training --------------------------------------------------------------------------------


@pytest.mark.parametrize("given_as", ["name", "function"])
@pytest.mark.parametrize(("loss", "output_activation"), LOSS_CASES)
def test_fit_with_the_tape_trains_like_the_scalar_path(
    loss: str, output_activation: str, given_as: str
) -> None:
    # A loss given as the library's function (default reduction "sum") trains too: the
    # tape runs that same definition per example and sums, as the scalar path does.
    X, y = datasets.moons(n=40, noise=0.2, seed=1)
    if loss == "softmax_cross_entropy":
        targets: list[Any] = [int(v) for v in y]
        k = 2
    else:
        targets, k = list(y), 1
    results = []
    for engine in ("scalar", "tape"):
        model = MLP(2, [5, k], activation="tanh", output_activation=output_activation, seed=4)
        history = train.fit(
            model,
            X,
            targets,
            loss=loss if given_as == "name" else getattr(losses, loss),
            optimizer="adam",
            lr=0.05 if given_as == "name" else 0.005,
            epochs=4,
            batch_size=16,
            seed=2,
            progress=False,
            engine=engine,
        )
        results.append((history, [p.data for p in model.parameters()]))
    (h_scalar, p_scalar), (h_tape, p_tape) = results
    np.testing.assert_allclose(h_tape, h_scalar, rtol=1e-10)
    np.testing.assert_allclose(p_tape, p_scalar, rtol=1e-9, atol=1e-12)
    assert h_tape[-1] < h_tape[0]


def test_fit_rejects_an_unknown_engine_and_a_data_dependent_loss() -> None:
    X, y = datasets.xor()
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="engine must be"):
        train.fit(model, X, y, epochs=1, progress=False, engine="gpu")

    def label_dependent(predictions: list[am.Value], targets: list[Any]) -> am.Value:
        def value(t: Any) -> float:
            return t.data if isinstance(t, am.Value) else float(t)

        # a Python branch on the target's value: another target takes another graph
        terms = [
            (p - t) ** 2 if value(t) > 0.5 else (p + t) ** 2 for p, t in zip(predictions, targets)
        ]
        total = am.sum(terms)
        assert isinstance(total, am.Value)
        return total

    with pytest.raises(ValueError, match="depends on its data"):
        train.fit(model, X, y, loss=label_dependent, epochs=1, progress=False, engine="tape")


def test_digits_with_the_tape_reaches_95_percent_in_ten_epochs() -> None:
    """The issue's bar (≥ 95% test accuracy) after 10 epochs instead of the example's 30."""
    pytest.importorskip("sklearn")
    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, seed=0)
    model = MLP(64, [32, 10], activation="tanh", output_activation="linear", seed=0)
    train.fit(
        model,
        X_train,
        y_train,
        loss="softmax_cross_entropy",
        optimizer="adam",
        lr=0.01,
        epochs=10,
        batch_size=32,
        seed=0,
        progress=False,
        engine="tape",
    )
    scores = am.trace(model, X_test[0], params=model.parameters()).forward(X_test)
    assert np.mean(scores.argmax(axis=1) == np.array(y_test)) >= 0.95


@pytest.mark.parametrize(
    ("loss", "logits", "targets"),
    [
        (
            "softmax_cross_entropy",
            [[1e4, -1e4, 0.0], [-800.0, -800.0, -800.0], [0.0, 1.0, 2.0]],
            [[1, 0, 0], [0, 0, 1], [0, 1, 0]],
        ),
        (
            "binary_cross_entropy_with_logits",
            [[1e4], [-1e4], [0.0], [-800.0], [35.0]],
            [[0.0], [0.0], [1.0], [1.0], [0.5]],
        ),
    ],
)
def test_the_tape_keeps_the_losses_stable_at_extreme_logits_within_one_batch(
    loss: str, logits: list[list[float]], targets: list[list[float]]
) -> None:
    # Traced on a tame example, run on logits spanning ±1e4 in one batch: the tape's loss
    # and gradients equal the scalar loss's (which shifts by a max node, not a number).
    function: Callable[..., am.Value] = getattr(losses, loss)

    def f(z: Any, t: Any) -> am.Value:
        return function([z], [t], reduction="mean")

    tape = am.trace(f, [0.1] * len(logits[0]), targets[0])
    grads = tape.grad(np.array(logits), np.array(targets), reduction="sum")
    for k, (z, t) in enumerate(zip(logits, targets)):
        value, (dz, _), _ = scalar_run(f, [z, t], [])
        assert math.isfinite(value)
        assert grads.output[k] == pytest.approx(value, rel=1e-12, abs=1e-12)
        assert_close(grads.inputs[0][k], dz)


def _fit_twice(**kwargs: Any) -> list[tuple[list[float], list[float], list[float]]]:
    """fit on the scalar engine and on the tape from the same start: history, data, grad."""
    X, y = datasets.moons(n=30, noise=0.2, seed=3)
    out = []
    for engine in ("scalar", "tape"):
        model = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=5)
        make = kwargs.get("make_optimizer")
        options = {k: v for k, v in kwargs.items() if k != "make_optimizer"}
        if make is not None:
            options["optimizer"] = make(model)
        history = train.fit(
            model, X, y, epochs=3, batch_size=8, seed=1, progress=False, engine=engine, **options
        )
        params = model.parameters()
        out.append((list(history), [p.data for p in params], [p.grad for p in params]))
    return out


def test_fit_on_the_tape_trains_a_parameter_array_and_leaves_the_model_as_the_scalar_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a built-in optimizer the tape's step is `Optimizer.update` on one array (no
    Value is read or written between steps); afterwards the model's data and grad are what
    the scalar path leaves: the trained weights and the last batch's gradients."""
    from autograd_mini.optim import Optimizer

    steps = []
    monkeypatch.setattr(Optimizer, "zero_grad", lambda self: steps.append("values"))
    (h_s, d_s, g_s), (h_t, d_t, g_t) = _fit_twice(optimizer="sgd", lr=0.1)
    assert steps == ["values"] * 12  # the scalar path's 3 x 4 steps only
    np.testing.assert_allclose(h_t, h_s, rtol=1e-10)
    np.testing.assert_allclose(d_t, d_s, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g_t, g_s, rtol=1e-9, atol=1e-12)


def test_fit_on_the_tape_keeps_the_values_path_for_an_optimizer_with_its_own_step() -> None:
    from autograd_mini.optim import SGD

    class Clipped(SGD):
        """An SGD whose step clips every weight to [-0.3, 0.3] after the update."""

        def step(self) -> None:
            super().step()
            for p in self.params:
                p.data = min(0.3, max(-0.3, p.data))

    (h_s, d_s, _), (h_t, d_t, _) = _fit_twice(
        make_optimizer=lambda m: Clipped(m.parameters(), lr=0.5)
    )
    assert max(abs(v) for v in d_t) <= 0.3
    np.testing.assert_allclose(h_t, h_s, rtol=1e-10)
    np.testing.assert_allclose(d_t, d_s, rtol=1e-9, atol=1e-12)


def test_fit_on_the_tape_shows_the_callback_the_current_model_and_keeps_its_changes() -> None:
    seen = []

    def shrink(epoch: int, loss: float, model: Any) -> None:
        seen.append([p.data for p in model.parameters()])
        for p in model.parameters():
            p.data *= 0.5  # the next epoch must start from these

    results = []
    for engine in ("scalar", "tape"):
        X, y = datasets.moons(n=30, noise=0.2, seed=3)
        model = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=5)

        def callback(e: int, v: float, m: MLP = model) -> None:
            shrink(e, v, m)

        train.fit(
            model,
            X,
            y,
            epochs=3,
            batch_size=8,
            seed=1,
            progress=False,
            engine=engine,
            optimizer="adam",
            lr=0.05,
            callback=callback,
        )
        results.append([p.data for p in model.parameters()])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(seen[3:], seen[:3], rtol=1e-9, atol=1e-12)


def test_fit_on_the_tape_that_diverges_leaves_the_model_where_the_scalar_path_does() -> None:
    X, y = datasets.moons(n=30, noise=0.2, seed=3)
    ends = []
    for engine in ("scalar", "tape"):
        model = MLP(2, [4, 1], activation="relu", output_activation="linear", seed=5)
        with pytest.raises(FloatingPointError, match="loss became"):
            train.fit(
                model,
                X,
                y,
                optimizer="sgd",
                lr=1e6,
                epochs=50,
                batch_size=8,
                seed=1,
                progress=False,
                engine=engine,
            )
        ends.append(([p.data for p in model.parameters()], [p.grad for p in model.parameters()]))
    np.testing.assert_allclose(ends[1][0], ends[0][0], rtol=1e-9)
    np.testing.assert_allclose(ends[1][1], ends[0][1], rtol=1e-9)


# Numbers in every operand position of every kind of operation: with params=None they are
# constants, so the tape's array kernels and the compiled source meet them as floats.
_CONSTANT_PLACES: dict[str, Callable[[Any], Any]] = {
    "sum, first": lambda x: am.sum([0.5, x, x * 2.0]),
    "sum, last": lambda x: am.sum([x, 0.5]),
    "max, first": lambda x: am.max([0.5, x]),
    "max, middle": lambda x: am.max([x * 0.1, 2.0, x]),
    "dot, weights": lambda x: am.dot([1.5, -2.0], [x, x * x]),
    "dot, inputs and bias": lambda x: am.dot([x, x * 3.0], [1.5, -2.0], 0.25),
    "xlogy, x": lambda x: am.xlogy(2.0, x),
    "xlogy, y": lambda x: am.xlogy(x, 3.0),
    "pow, base": lambda x: 2.0**x,
    "pow, exponent": lambda x: x**3,
    "div, numerator": lambda x: 1.0 / x,
    "div, denominator": lambda x: x / 4.0,
    "sub, left": lambda x: 1.0 - x,
    "abs and relu": lambda x: (x - 1.0).abs() + (1.0 - x).relu(),
}


@pytest.mark.parametrize("f", list(_CONSTANT_PLACES.values()), ids=list(_CONSTANT_PLACES))
def test_constants_in_any_operand_place_agree_with_the_scalar_engine(
    f: Callable[[Any], Any],
) -> None:
    X = np.array([0.3, 1.7, 2.5])
    tape, compiled = am.trace(f, 1.0), am.compile(f, 1.0)
    assert len(tape.params) == len(compiled.params) == 0
    batch = tape.grad(X, reduction="none")
    for row, x in enumerate(X.tolist()):
        v = am.Value(x)
        out = f(v)
        expected = am.gradients(out, v)
        one = compiled.grad(x)
        assert batch.output[row] == pytest.approx(out.data, rel=1e-12)
        assert one.output == pytest.approx(out.data, rel=1e-12)
        assert batch.inputs[0][row] == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert one.inputs[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)
