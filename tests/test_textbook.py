"""autograd_mini.textbook: the matrix equations against the engine and finite differences."""

import io
import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import losses, textbook
from autograd_mini.nn import MLP, Layer, Neuron
from autograd_mini.textbook import Network, backprop, engine_backprop, explain

# ---- random problems: architecture, activations, loss, weights, a batch ------------------


@dataclass
class Problem:
    net: Network
    x: np.ndarray  # (m, n_0)
    y: object  # (m, n_L) floats, or (m,) class indices
    loss: str
    reduction: str


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    loss = draw(st.sampled_from(textbook.LOSSES))
    hidden = draw(st.sampled_from(textbook.ACTIVATIONS))
    if loss == "binary_cross_entropy":
        output = "sigmoid"  # its outputs must be probabilities
    else:
        output = draw(st.sampled_from(textbook.ACTIVATIONS))
    if loss == "softmax_cross_entropy" and sizes[-1] == 1:
        sizes[-1] = 2
    bias = draw(st.booleans())
    number = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False)
    weights = [
        np.array(draw(st.lists(number, min_size=i * o, max_size=i * o))).reshape(o, i)
        for i, o in itertools.pairwise(sizes)
    ]
    biases = (
        [np.array(draw(st.lists(number, min_size=o, max_size=o))) for o in sizes[1:]]
        if bias
        else None
    )
    m = draw(st.integers(1, 3))
    x = np.array(draw(st.lists(number, min_size=m * sizes[0], max_size=m * sizes[0])))
    n_out = sizes[-1]
    y: object
    if loss == "softmax_cross_entropy":
        y = np.array(draw(st.lists(st.integers(0, n_out - 1), min_size=m, max_size=m)))
    else:
        unit = st.floats(0.0, 1.0) if loss == "binary_cross_entropy" else number
        y = np.array(draw(st.lists(unit, min_size=m * n_out, max_size=m * n_out))).reshape(m, n_out)
    activations = [hidden] * (len(sizes) - 2) + [output]
    reduction = draw(st.sampled_from(["sum", "mean"]))
    return Problem(
        Network(weights, biases, activations), x.reshape(m, sizes[0]), y, loss, reduction
    )


def library_gradients(
    problem: Problem,
) -> tuple[float, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Cost and gradients through the library's own path: MLP.__call__, a loss, backward()."""
    model = problem.net.to_mlp()
    loss_function = {
        "quadratic": losses.mse,
        "binary_cross_entropy": losses.binary_cross_entropy,
        "softmax_cross_entropy": losses.softmax_cross_entropy,
    }[problem.loss]
    outputs = []
    for row in problem.x:
        out = model([float(v) for v in row])
        outputs.append(out if isinstance(out, list) else [out])
    targets = np.asarray(problem.y).tolist()
    total = am.sum([loss_function(o, t) for o, t in zip(outputs, targets)])
    assert isinstance(total, am.Value)
    if problem.reduction == "mean":
        total = total / len(outputs)
    total.backward()
    dW = {
        l: np.array([[w.grad for w in n.w] for n in layer.neurons]) for l, layer in _layers(model)
    }
    db = {}
    if problem.net.biases is not None:
        db = {l: np.array([_bias_grad(n) for n in layer.neurons]) for l, layer in _layers(model)}
    return total.data, dW, db


def _bias_grad(neuron: Neuron) -> float:
    assert neuron.b is not None  # the network has biases
    return neuron.b.grad


def _layers(model: MLP) -> list[tuple[int, Layer]]:
    return list(enumerate(model.layers, start=1))


def parameters_of(net: Network) -> list[np.ndarray]:
    return net.weights + (net.biases or [])


def finite_differences(problem: Problem, h: float = 1e-6) -> list[np.ndarray]:
    """Central differences of the textbook cost, one array per weight matrix / bias vector."""
    out = []
    for array in parameters_of(problem.net):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + h
            up = backprop(problem.net, problem.x, problem.y, problem.loss, problem.reduction).cost
            array[index] = saved - h
            down = backprop(problem.net, problem.x, problem.y, problem.loss, problem.reduction).cost
            array[index] = saved
            grad[index] = (up - down) / (2 * h)
        out.append(grad)
    return out


def flat(dW: dict[int, np.ndarray], db: dict[int, np.ndarray]) -> list[np.ndarray]:
    return [dW[l] for l in sorted(dW)] + [db[l] for l in sorted(db)]


def assert_relative(
    actual: list[np.ndarray], expected: list[np.ndarray], rtol: float, floor: float = 1e-15
) -> None:
    """Each entry within rtol × (its own size + the largest entry of them all) + floor.

    Relative to the largest entry too, because an entry that is zero by cancellation
    (δ^1 = (W^2)ᵀ δ^2 ⊙ f'(z^1) with terms that sum to 0) carries the rounding error of its
    terms, which are as large as the rest; the floor (1e-15 by default, far below every
    gradient here) covers problems where everything is zero that way.
    """
    scale = max(float(np.max(np.abs(e), initial=0.0)) for e in expected)
    for a, e in zip(actual, expected):
        assert a.shape == e.shape
        np.testing.assert_array_less(np.abs(a - e), rtol * (np.abs(e) + scale) + floor)


def away_from_relu_kinks(problem: Problem) -> bool:
    """Finite differences straddle relu's kink when some z is within h of 0."""
    result = backprop(problem.net, problem.x, problem.y, problem.loss, problem.reduction)
    return all(
        np.min(np.abs(result.z[l])) > 1e-4
        for l, f in enumerate(problem.net.activations, start=1)
        if f == "relu"
    )


# ---- the property tests the issue asks for ---------------------------------------------------


@settings(max_examples=150)
@given(problems())
def test_engine_gradients_equal_textbook_gradients(problem: Problem) -> None:
    matrix = backprop(problem.net, problem.x, problem.y, problem.loss, problem.reduction)
    cost, dW, db = library_gradients(problem)
    assert cost == pytest.approx(matrix.cost, rel=1e-12, abs=1e-300)
    assert_relative(flat(dW, db), flat(matrix.dW, matrix.db), rtol=1e-9)


@settings(max_examples=150)
@given(problems())
def test_engine_backprop_reads_the_same_deltas_off_the_graph(problem: Problem) -> None:
    matrix = backprop(problem.net, problem.x, problem.y, problem.loss, problem.reduction)
    engine = engine_backprop(
        problem.net.to_mlp(), problem.x, problem.y, problem.loss, problem.reduction
    )
    layers = sorted(matrix.delta)
    assert_relative([engine.z[l] for l in layers], [matrix.z[l] for l in layers], rtol=1e-12)
    assert_relative([engine.a[l] for l in layers], [matrix.a[l] for l in layers], rtol=1e-12)
    assert_relative([engine.delta[l] for l in layers], [matrix.delta[l] for l in layers], 1e-9)
    assert engine.cost == pytest.approx(matrix.cost, rel=1e-12)
    assert_relative(flat(engine.dW, engine.db), flat(matrix.dW, matrix.db), rtol=1e-9)


@settings(max_examples=80)
@given(problems())
def test_both_equal_finite_differences(problem: Problem) -> None:
    assume(away_from_relu_kinks(problem))
    numeric = finite_differences(problem)
    matrix = backprop(problem.net, problem.x, problem.y, problem.loss, problem.reduction)
    _, dW, db = library_gradients(problem)
    assert_relative(flat(matrix.dW, matrix.db), numeric, rtol=1e-5, floor=1e-7)
    assert_relative(flat(dW, db), numeric, rtol=1e-5, floor=1e-7)


# ---- the equations themselves ---------------------------------------------------------------


def test_sigmoid_output_with_cross_entropy_gives_a_minus_y_even_when_saturated() -> None:
    net = Network([np.array([[50.0], [-50.0], [30.0]])], None, ["sigmoid"])
    y = np.array([0.0, 1.0, 1.0])
    result = backprop(net, [1.0], y, loss="binary_cross_entropy")
    a = result.a[1].ravel()
    assert a[0] == 1.0 and a[1] < 1e-20  # saturated, and badly wrong
    assert result.delta[1].ravel().tolist() == (a - y).tolist()
    assert result.cost == np.inf  # -log(1 - 1): the honest cost of a certain, wrong answer
    right = backprop(net, [1.0], [1.0, 0.0, 1.0], loss="binary_cross_entropy")
    assert right.cost == pytest.approx(-np.log(a[2]) - np.log1p(-a[1]), abs=1e-20)


def test_quadratic_output_error_is_a_minus_y_times_sigma_prime() -> None:
    net = Network.random([3, 2], seed=1)
    z = backprop(net, [0.5, -1.0, 2.0], [0.2, 0.9]).z[1].ravel()
    a = textbook.activation("sigmoid", z)
    expected = (a - [0.2, 0.9]) * a * (1 - a)
    actual = backprop(net, [0.5, -1.0, 2.0], [0.2, 0.9]).delta[1].ravel()
    np.testing.assert_allclose(actual, expected, rtol=1e-15)


def test_hidden_delta_is_the_transposed_weights_times_the_next_delta() -> None:
    net = Network.random([2, 3, 2], activation="tanh", output_activation="linear", seed=2)
    r = backprop(net, [0.1, 0.7], [1.0, -1.0])
    expected = (net.weights[1].T @ r.delta[2]) * (1 - np.tanh(r.z[1]) ** 2)
    np.testing.assert_array_equal(r.delta[1], expected)
    np.testing.assert_array_equal(r.dW[1], r.delta[1] @ r.a[0].T)
    np.testing.assert_array_equal(r.db[2], r.delta[2].ravel())


def test_a_batch_sums_the_examples_gradients_and_mean_divides_by_m() -> None:
    net = Network.random([2, 3, 1], seed=3)
    X, y = np.array([[0.3, 1.0], [0.5, 0.2], [1.0, 0.4]]), np.array([0.75, 0.82, 0.93])
    whole = backprop(net, X, y)
    single = [backprop(net, x, t) for x, t in zip(X, y)]
    for l in (1, 2):
        np.testing.assert_allclose(whole.dW[l], sum(s.dW[l] for s in single), rtol=1e-12)
        np.testing.assert_allclose(whole.db[l], sum(s.db[l] for s in single), rtol=1e-12)
    mean = backprop(net, X, y, reduction="mean")
    np.testing.assert_allclose(mean.dW[1], whole.dW[1] / 3, rtol=1e-15)
    assert mean.cost == pytest.approx(whole.cost / 3)


def test_activation_derivatives() -> None:
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(textbook.activation_prime("sigmoid", z), s * (1 - s))
    np.testing.assert_allclose(textbook.activation_prime("tanh", z), 1 - np.tanh(z) ** 2)
    assert textbook.activation_prime("relu", z).tolist() == [0, 0, 0, 1, 1]
    assert textbook.activation_prime("linear", z).tolist() == [1] * 5
    assert textbook.activation("relu", z).tolist() == [0, 0, 0, 0.5, 2.0]


def test_softmax_cross_entropy_is_stable_for_huge_logits() -> None:
    net = Network([np.array([[1e4], [-1e4]])], None, ["linear"])
    result = backprop(net, [1.0], 1, loss="softmax_cross_entropy")
    assert result.cost == pytest.approx(2e4)
    np.testing.assert_allclose(result.delta[1].ravel(), [1.0, -1.0])


def test_a_gradient_descent_step_lowers_the_cost() -> None:
    net = Network.random([2, 4, 1], seed=4)
    X, y = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1, 0])
    before = backprop(net, X, y, "binary_cross_entropy")
    net.step(before, 0.1)
    assert backprop(net, X, y, "binary_cross_entropy").cost < before.cost


# ---- conversions to and from an MLP -------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
def test_mlp_round_trip_and_predictions(bias: bool) -> None:
    model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", bias=bias, seed=5)
    net = Network.from_mlp(model)
    assert net.sizes == [3, 4, 2]
    assert net.activations == ["tanh", "sigmoid"]
    assert [w.shape for w in net.weights] == [(4, 3), (2, 4)]
    assert (net.biases is not None) == bias
    assert net.to_mlp().state_dict() == model.state_dict()
    x = [0.2, -0.4, 0.9]
    outputs = model(x)
    assert isinstance(outputs, list)
    np.testing.assert_allclose(net.predict(x), [v.data for v in outputs], rtol=1e-14)
    assert net.predict([x, x]).shape == (2, 2)


def test_copy_to_writes_weights_and_rejects_other_shapes() -> None:
    net = Network.random([2, 3, 1], seed=6)
    net.biases = [b + 0.5 for b in net.biases or []]
    model = MLP(2, [3, 1], seed=99)
    net.copy_to(model)
    assert model.layers[0].neurons[1].w[0].data == net.weights[0][1, 0]
    assert model.layers[1].neurons[0].b is not None
    assert model.layers[1].neurons[0].b.data == 0.5
    with pytest.raises(ValueError, match=r"sizes \[2, 4, 1\] differ from \[2, 3, 1\]"):
        net.copy_to(MLP(2, [4, 1]))


def test_to_mlp_needs_one_hidden_activation() -> None:
    net = Network.random([1, 2, 2, 1], seed=0)
    net.activations = ["tanh", "relu", "sigmoid"]
    with pytest.raises(ValueError, match="one hidden activation"):
        net.to_mlp()


# ---- bad input -----------------------------------------------------------------------------------


def test_bad_networks_are_rejected_with_the_offending_shapes() -> None:
    with pytest.raises(ValueError, match=r"W\^2 has shape \(1, 2\) but W\^1 has shape \(3, 2\)"):
        Network([np.ones((3, 2)), np.ones((1, 2))], None, ["sigmoid", "sigmoid"])
    with pytest.raises(ValueError, match=r"b\^1 has shape \(2,\), expected \(3,\)"):
        Network([np.ones((3, 2))], [np.ones(2)], ["sigmoid"])
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        Network([np.ones((3, 2))], None, ["softplus"])
    with pytest.raises(ValueError, match="2 weight matrices but 1 activations"):
        Network([np.ones((3, 2)), np.ones((1, 3))], None, ["sigmoid"])
    with pytest.raises(ValueError, match=r"W\^1 must be a non-empty matrix"):
        Network([np.ones(3)], None, ["sigmoid"])
    with pytest.raises(ValueError, match="sizes must be two or more positive ints"):
        Network.random([3])


def test_bad_arguments_to_backprop() -> None:
    net = Network.random([2, 2], seed=0)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        backprop(net, [0.0, 1.0], [0.0, 1.0], loss="hinge")
    with pytest.raises(ValueError, match="reduction must be 'sum' or 'mean', got 'max'"):
        backprop(net, [0.0, 1.0], [0.0, 1.0], reduction="max")
    with pytest.raises(ValueError, match=r"x must have shape \(2,\) or \(m, 2\), got \(3,\)"):
        backprop(net, [0.0, 1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"y must have shape \(2, 2\), got \(2, 3\)"):
        backprop(net, np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"class indices must be in \[0, 2\), got \[2\]"):
        backprop(net, [0.0, 1.0], 2, loss="softmax_cross_entropy")
    with pytest.raises(ValueError, match="integer class"):
        backprop(net, [0.0, 1.0], 0.5, loss="softmax_cross_entropy")
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\], got \[1.5, 0.0\]"):
        backprop(net, [0.0, 1.0], [1.5, 0.0], loss="binary_cross_entropy")
    linear = Network.random([2, 1], activation="linear", seed=0)
    with pytest.raises(ValueError, match=r"needs outputs in \(0, 1\).*'linear'"):
        backprop(linear, [0.0, 1.0], [1.0], loss="binary_cross_entropy")


def test_mse_is_an_alias_of_the_quadratic_cost() -> None:
    net = Network.random([2, 1], seed=0)
    a = backprop(net, [0.3, 0.4], [1.0], loss="mse")
    b = backprop(net, [0.3, 0.4], [1.0], loss="quadratic")
    assert a.cost == b.cost


# ---- explain ---------------------------------------------------------------------------


def explained(model: MLP | Network, x: list[float], y: object, loss: str) -> str:
    out = io.StringIO()
    explain(model, x, y, loss, file=out)
    return out.getvalue()


@pytest.mark.parametrize("loss", textbook.LOSSES)
def test_explain_shows_every_equation_with_the_engines_numbers(loss: str) -> None:
    model = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=7)
    x = [0.3, 1.0]
    y: object = 1 if loss == "softmax_cross_entropy" else [1.0, 0.0]
    text = explained(model, x, y, loss)

    # the engine's own gradients, from the model's graph and backward()
    out = model(x)
    assert isinstance(out, list)
    cost = {
        "quadratic": lambda: losses.mse(out, y),
        "binary_cross_entropy": lambda: losses.binary_cross_entropy(out, y),
        "softmax_cross_entropy": lambda: losses.softmax_cross_entropy(out, y),
    }[loss]()
    cost.backward()

    for line in (
        "z^1 = W^1 a^0 + b^1",
        "a^1 = tanh(z^1)",
        "z^2 = W^2 a^1 + b^2",
        "a^2 = sigmoid(z^2)",
        "δ^1 = (W^2)ᵀ δ^2 ⊙ tanh'(z^1)",
    ):
        assert line in text
    assert f"= {cost.data:.6g}" in text
    for name, p in model.named_parameters():  # one line per parameter, ending in its grad
        (line,) = [t for t in text.splitlines() if t.endswith(f"({name})")]
        assert f"= {p.grad:.6g}   (" in line
    assert text.count("(matrix equations: same to") == 2
    assert "matrix equations' gradients agree with these" in text
    assert "DIFFERENT" not in text and "DISAGREE" not in text


def test_explain_the_cross_entropy_simplification_and_a_network_without_biases() -> None:
    net = Network([np.array([[1.0, -1.0]])], None, ["sigmoid"])
    text = explained(net, [0.5, 0.5], [1.0], "binary_cross_entropy")
    assert (
        "δ^1 = ∇_a C ⊙ sigmoid'(z^1) = (a^1 - y) / (a^1 (1 - a^1)) ⊙ a^1 (1 - a^1) = a^1 - y"
        in text
    )
    assert "= [0.5] - [1]" in text
    assert "without biases" in text and "∂C/∂b" not in text
    assert "∂C/∂w^1_12 = δ^1_1 a^0_2 = -0.5 × 0.5 = -0.25   (layers.0.neurons.0.w.1)" in text


def test_explain_reports_a_disagreement(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the matrix equations were wrong, explain would say so rather than hide it."""
    net = Network.random([2, 2, 1], seed=0)
    real = textbook.backprop

    def off_by_a_bit(*args: object, **kwargs: object) -> textbook.Backprop:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        result.delta[1] = result.delta[1] * 1.01
        result.dW[1] = result.dW[1] * 1.01
        return result

    monkeypatch.setattr(textbook, "backprop", off_by_a_bit)
    text = explained(net, [0.1, 0.2], [1.0], "quadratic")
    assert "(matrix equations: DIFFERENT by 0.0099)" in text  # 0.01 / 1.01
    assert "gradients DISAGREE with these" in text


def test_explain_takes_one_example() -> None:
    with pytest.raises(ValueError, match="explain takes one example"):
        explain(Network.random([2, 1], seed=0), [[0.0, 1.0], [1.0, 0.0]], [1.0, 0.0])  # type: ignore[list-item]


def test_backprop_and_forward_accept_an_mlp_as_its_matrices() -> None:
    model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=4)
    X, y = [[0.5, -1.0], [1.5, 0.25]], [1.0, 0.0]
    from_model = textbook.backprop(model, X, y, loss="binary_cross_entropy")
    from_matrices = textbook.backprop(
        textbook.Network.from_mlp(model), X, y, "binary_cross_entropy"
    )
    assert from_model.cost == from_matrices.cost
    for l in (1, 2):
        np.testing.assert_array_equal(from_model.dW[l], from_matrices.dW[l])
        np.testing.assert_array_equal(from_model.db[l], from_matrices.db[l])
    _, a = textbook.forward(model, X)

    def output(x: list[float]) -> float:
        out = model(x)
        assert isinstance(out, am.Value)
        return out.data

    np.testing.assert_allclose(a[2].ravel(), [output(x) for x in X], rtol=1e-12)


def test_backprop_of_something_else_says_what_to_pass() -> None:
    with pytest.raises(
        TypeError, match=r"backprop: expected a textbook.Network or an nn.MLP, got list"
    ):
        textbook.backprop([[1.0, 2.0]], [1.0, 2.0], [1.0])  # type: ignore[arg-type]
