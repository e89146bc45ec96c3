"""Nothing breaks, nothing is lost: the NaN/overflow policy op by op (the table on the
concepts page), backward that raises changes nothing, and copies and pickles of any graph."""

from __future__ import annotations

import copy
import math
import multiprocessing
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import Value, losses, nn
from autograd_mini.testing import Expression, expressions

NAN, INF = math.nan, math.inf


def same(a: float, b: float) -> bool:
    """Equal, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


# ---- the policy, row by row ------------------------------------------------------------

# Row "a NaN operand": every operation gives NaN for a NaN operand and does not raise; the
# gradient is NaN where the partial depends on the operand, and the partial itself where
# it does not (d(x + 1)/dx is 1 wherever x is, as in PyTorch).
NAN_CASES: list[tuple[str, Callable[[Value], Value], float]] = [
    ("+", lambda x: x + 1.0, 1.0),
    ("-", lambda x: 1.0 - x, -1.0),
    ("*", lambda x: x * 2.0, 2.0),
    ("/", lambda x: x / 2.0, 0.5),
    ("/ divisor", lambda x: 2.0 / x, NAN),
    ("**n", lambda x: x**3, NAN),
    ("**n fractional", lambda x: x**0.5, NAN),
    ("** base", lambda x: x ** Value(2.0), NAN),
    ("** exponent", lambda x: Value(2.0) ** x, NAN),
    ("neg", lambda x: -x, -1.0),
    ("exp", lambda x: x.exp(), NAN),
    ("log", lambda x: x.log(), NAN),
    ("sqrt", lambda x: x.sqrt(), NAN),
    ("tanh", lambda x: x.tanh(), NAN),
    ("sigmoid", lambda x: x.sigmoid(), NAN),
    ("relu", lambda x: x.relu(), NAN),
    ("abs", lambda x: abs(x), NAN),
    ("sum", lambda x: am.sum([x, 1.0]), 1.0),
    ("max", lambda x: am.max([1.0, x]), NAN),
    ("dot", lambda x: am.dot([x], [2.0], bias=1.0), 2.0),
    ("xlogy x", lambda x: am.xlogy(x, 2.0), math.log(2.0)),
    ("xlogy y", lambda x: am.xlogy(2.0, x), NAN),
]


def test_every_built_in_operation_has_a_nan_case() -> None:
    built_in = subprocess.run(
        [sys.executable, "-c", "import autograd_mini as am; print(' '.join(am.ops))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()  # a fresh process: no test's own operations
    covered = {name.split()[0] for name, *_ in NAN_CASES} | {"identity"}  # identity: x itself
    assert set(built_in) <= covered


@pytest.mark.parametrize(("name", "f", "grad"), NAN_CASES, ids=[n for n, *_ in NAN_CASES])
def test_a_nan_operand_propagates_as_nan(
    name: str, f: Callable[[Value], Value], grad: float
) -> None:
    x = Value(NAN)
    y = f(x)
    assert math.isnan(y.data), name
    y.backward()
    assert same(x.grad, grad), name


def test_relu_and_abs_at_nan_are_nan_as_in_pytorch() -> None:
    assert math.isnan(am.relu(NAN)) and math.isnan(am.grad(am.relu)(NAN))
    assert math.isnan(am.abs(NAN)) and math.isnan(am.grad(am.abs)(NAN))
    assert math.isnan(am.log(NAN)) and math.isnan(am.sqrt(NAN))


OVERFLOWS: list[tuple[str, Callable[[], Any], float]] = [
    ("exp", lambda: am.exp(Value(1000.0)), INF),
    ("*", lambda: Value(1e200) * Value(1e200), INF),
    ("**n", lambda: Value(1e200) ** 2, INF),
    ("**n odd", lambda: Value(-1e200) ** 3, -INF),
    ("**", lambda: Value(10.0) ** Value(400.0), INF),
    ("+", lambda: Value(1e308) + 1e308, INF),
    ("/", lambda: Value(1e308) / 1e-308, INF),
    ("sum", lambda: am.sum([Value(1e308), Value(1e308)]), INF),
    ("dot", lambda: am.dot([Value(1e200)], [Value(1e200)]), INF),
    ("Value", lambda: Value(10**400), INF),
    ("int operand", lambda: Value(1.0) + 10**400, INF),
    ("float exp", lambda: am.exp(1000.0), INF),
]


@pytest.mark.parametrize(("name", "make", "expected"), OVERFLOWS, ids=[n for n, *_ in OVERFLOWS])
def test_an_overflow_gives_inf_everywhere(
    name: str, make: Callable[[], Any], expected: float
) -> None:
    result = make()
    assert (result.data if isinstance(result, Value) else result) == expected


def test_inf_minus_inf_is_nan_everywhere() -> None:
    assert math.isnan((Value(INF) + Value(-INF)).data)
    assert math.isnan(am.sum([Value(INF), Value(-INF)]).data)
    assert math.isnan(am.sum([INF, -INF]))
    assert math.isnan(am.dot([Value(INF), Value(1.0)], [1.0, -INF]).data)


DOMAIN_ERRORS: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: am.log(Value(0.0)), ValueError, r"log: operand must be > 0, got 0\.0"),
    (lambda: am.log(-1), ValueError, r"log: operand must be > 0, got -1\.0"),
    (lambda: am.sqrt(Value(-4.0)), ValueError, r"sqrt: operand must be >= 0, got -4\.0"),
    (lambda: Value(1.0) / 0.0, ZeroDivisionError, r"division: divisor is zero"),
    (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow: 0\.0 cannot be raised"),
    (lambda: Value(-8.0) ** (1 / 3), ValueError, r"pow: negative base -8\.0"),
    (lambda: Value(-2.0) ** Value(2.0), ValueError, r"pow: with a Value exponent .* -2\.0"),
    (lambda: am.xlogy(Value(1.0), 0.0), ValueError, r"xlogy: y must be > 0"),
    (lambda: Value(1j), TypeError, r"complex"),  # type: ignore[arg-type]
    (lambda: Value(True), TypeError, r"bool"),
]


@pytest.mark.parametrize(("make", "kind", "message"), DOMAIN_ERRORS)
def test_a_domain_error_raises_naming_the_operation_and_operand(
    make: Callable[[], Any], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind, match=message):
        make()


def test_a_neuron_follows_the_policy() -> None:
    neuron = nn.Neuron(2, activation="tanh", seed=0)
    assert math.isnan(neuron([NAN, 1.0]).data)
    big = nn.Neuron(1, activation="linear", seed=0)
    big.w[0].data = 1e300
    assert math.isinf(big([1e300]).data)


def test_the_tape_follows_the_policy_example_by_example() -> None:
    tape = am.trace(lambda x: x.exp() + x.relu(), 0.0)
    out = tape.forward([1000.0, NAN, 0.5])
    assert out[0] == INF and math.isnan(out[1]) and out[2] == pytest.approx(math.exp(0.5) + 0.5)
    with pytest.raises(ValueError, match=r"tape: forward of 'log' \(level 1, example 2\)"):
        am.trace(lambda x: x.log(), 1.0).forward([1.0, NAN, -1.0])


# ---- backward that fails ---------------------------------------------------------------------


def test_a_backward_that_raises_leaves_every_gradient_as_it_was() -> None:
    x = Value(0.0)
    y = x * 3 + x.sqrt()  # sqrt's partial 1/(2·out) divides by zero at 0
    x.grad, y.grad = 0.25, 0.5
    with pytest.raises(ZeroDivisionError, match="backward of 'sqrt'"):
        y.backward()
    assert (x.grad, y.grad) == (0.25, 0.5)


def test_under_anomaly_mode_an_error_in_backward_names_the_operation_and_line() -> None:
    with am.detect_anomaly():
        x = Value(0.0)
        y = x.sqrt() * 2.0  # the line to name
    with pytest.raises(am.AnomalyError) as caught:
        y.backward()
    message = str(caught.value)
    assert "backward of 'sqrt' failed" in message and "ZeroDivisionError" in message
    assert "y = x.sqrt() * 2.0  # the line to name" in message
    assert x.grad == 0.0


# ---- copies and pickles ----------------------------------------------------------------------


def every_op_graph() -> tuple[Value, list[Value]]:
    x, y = Value(0.7, label="x"), Value(-1.2, label="y")
    w = [Value(0.5, label="w.0"), Value(-0.3, label="w.1")]
    terms = [
        x + y,
        x - y,
        x * y,
        x / y,
        x**2,
        x**-1.5,
        x ** Value(1.5),
        (x * x + 1) ** y,
        -x,
        x.exp(),
        (x * x).log(),
        (x * x).sqrt(),
        x.tanh(),
        y.sigmoid(),
        y.relu(),
        abs(y),
        am.sum([x, y, 2.0]),
        am.max([x, y]),
        am.dot(w, [x, y]),
        am.dot(w, [x, y], bias=y),
    ]
    return am.sum(terms), [x, y, *w]


def mlp_loss_graph() -> tuple[Value, list[Value]]:
    model = nn.MLP(2, [3, 2], activation="tanh", seed=0)
    logits = [model([0.5, -1.0]), model([1.0, 2.0])]
    loss = losses.softmax_cross_entropy(logits, [1, 0], reduction="mean")
    return loss + losses.mse(model([0.1, 0.2]), [0.0, 1.0]), model.parameters()


COPIES: list[tuple[str, Callable[[Any], Any]]] = [
    ("copy", copy.copy),
    ("deepcopy", copy.deepcopy),
    ("pickle", lambda g: pickle.loads(pickle.dumps(g))),
]


def leaf_gradients_after_backward(root: Value) -> list[tuple[str, float]]:
    root.backward()
    return [(n.label, n.grad) for n in am.topological_order(root) if not n.parents]


@pytest.mark.parametrize(("how", "duplicate"), COPIES, ids=[h for h, _ in COPIES])
@pytest.mark.parametrize("build", [every_op_graph, mlp_loss_graph])
def test_every_graph_survives_a_copy_with_its_gradients(
    build: Callable[[], tuple[Value, list[Value]]], how: str, duplicate: Callable[[Any], Any]
) -> None:
    root, _ = build()
    twin = duplicate(root)
    assert twin.data == root.data and twin.op == root.op
    assert [n.op for n in am.topological_order(twin)] == [n.op for n in am.topological_order(root)]
    assert leaf_gradients_after_backward(twin) == leaf_gradients_after_backward(build()[0])


def test_a_pickled_graph_keeps_its_leaves_shared_and_its_gradients_separate() -> None:
    root, leaves = every_op_graph()
    twin_root, twin_leaves = pickle.loads(pickle.dumps((root, leaves)))
    twin_root.backward()
    order = am.topological_order(twin_root)
    assert all(any(leaf is node for node in order) for leaf in twin_leaves)  # one object each
    assert all(leaf.grad == 0.0 for leaf in leaves)  # the original is untouched
    assert [leaf.grad for leaf in twin_leaves] == pytest.approx(
        am.gradients(root, leaves), rel=1e-15
    )


def test_a_deep_chain_pickles_without_recursion() -> None:
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    twin = pickle.loads(pickle.dumps(y))
    assert twin.data == y.data and len(am.topological_order(twin)) == len(am.topological_order(y))


def test_modules_pickle_and_train_the_same_in_a_worker_process() -> None:
    model = nn.MLP(2, [4, 1], seed=3)
    twin = pickle.loads(pickle.dumps(model))
    assert twin.state_dict() == model.state_dict()
    assert twin([0.3, -0.1]).data == _output(model, [0.3, -0.1]).data
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        remote = pool.apply(_forward_in_worker, (model, [0.3, -0.1]))
    assert remote == _output(model, [0.3, -0.1]).data


def _output(model: nn.MLP, x: list[float]) -> Value:
    out = model(x)
    assert isinstance(out, Value)  # one output neuron
    return out


def _forward_in_worker(model: nn.MLP, x: list[float]) -> float:
    return _output(model, x).data


@settings(max_examples=80, deadline=None)
@given(expr=expressions(smooth=False), how=st.sampled_from([c for _, c in COPIES]))
def test_random_graphs_survive_copies_with_their_gradients(
    expr: Expression, how: Callable[[Any], Any]
) -> None:
    leaves = [Value(v, label=n) for v, n in zip(expr.values, expr.names)]
    root = expr(*leaves)
    expected = am.gradients(root, leaves)
    twin = how(root)
    twin.backward()
    got = {n.label: n.grad for n in am.topological_order(twin) if n.label in expr.names}
    for name, g in zip(expr.names, expected):
        assert same(got.get(name, 0.0), g)


def test_a_copy_of_a_node_shares_its_operands() -> None:
    x = Value(2.0)
    y = x * x
    twin = copy.copy(y)
    assert twin is not y and twin.parents == (x, x) and twin.op == "*"
    assert np.isclose(am.gradients(twin, x), 4.0)


def test_xlogy_partials_agree_with_its_forward_everywhere_in_its_domain() -> None:
    # ∂/∂x is ln y even at x = 0 (xlogy is linear in x); ∂/∂y is 0 where x is 0.
    assert am.gradcheck(lambda x, y: am.xlogy(x, y), [0.0, 2.0])
    assert am.gradcheck(lambda x, y: am.xlogy(x, y), [1.5, 0.5])
    x, y = Value(0.0), Value(0.0)
    z = am.xlogy(x, y)
    z.backward()
    assert (z.data, x.grad, y.grad) == (0.0, 0.0, 0.0)


# ---- threads ---------------------------------------------------------------------------


def _in_threads(work: Callable[[], None], threads: int = 4) -> None:
    """Run ``work`` in several threads at once, switching between them as often as Python
    allows, and re-raise the first error one of them met."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed to the main thread below
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [threading.Thread(target=run) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]


def test_backward_in_several_threads_on_shared_parameters_adds_every_gradient() -> None:
    # Each thread builds its own graphs from one model's parameters and backprops them, as
    # a data-parallel loop in threads would. Every pass must add its whole gradient once:
    # walks over shared nodes must not confuse each other, nor additions be lost.
    model = nn.MLP(3, [8, 1], activation="tanh")
    x = [0.3, -0.7, 0.2]
    passes, threads = 40, 4
    expected = am.gradients(_output(model, x), model.parameters())

    def work() -> None:
        for _ in range(passes):
            _output(model, x).backward()

    _in_threads(work, threads)
    for p, g in zip(model.parameters(), expected):
        assert p.grad == pytest.approx(passes * threads * g, rel=1e-9, abs=1e-12)


def test_gradients_in_several_threads_leave_shared_grads_alone() -> None:
    # `am.gradients` sets the nodes' .grad aside while it works; threads doing it on the
    # same parameters at once must each get the right answer and leave .grad as it was.
    model = nn.MLP(2, [6, 1], activation="relu")
    for i, p in enumerate(model.parameters()):
        p.grad = float(i)
    x = [0.5, -0.25]
    expected = am.gradients(_output(model, x), model.parameters())

    def work() -> None:
        for _ in range(40):
            assert am.gradients(_output(model, x), model.parameters()) == expected

    _in_threads(work)
    assert [p.grad for p in model.parameters()] == [float(i) for i in range(len(expected))]


def _while_another_thread_is_inside(block: Callable[[], Any], work: Callable[[], None]) -> None:
    """Run ``work`` here while another thread sits inside the context ``block()``."""
    inside, done = threading.Event(), threading.Event()

    def hold() -> None:
        with block():
            inside.set()
            done.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert inside.wait(10)
        work()
    finally:
        done.set()
        other.join()


def test_no_grad_and_detect_anomaly_hold_only_in_their_own_thread() -> None:
    w = Value(2.0)

    def train_step() -> None:
        loss = w * w
        assert loss.parents == (w, w) and loss.origin is None
        loss.backward()

    _while_another_thread_is_inside(am.no_grad, train_step)
    _while_another_thread_is_inside(am.detect_anomaly, train_step)
    assert w.grad == 8.0


def test_a_transform_running_in_another_thread_does_not_nest_this_ones() -> None:
    inside, done = threading.Event(), threading.Event()

    def slow_square(x: Value) -> Value:  # holds its thread inside am.grad
        inside.set()
        done.wait(10)
        return x * x

    other = threading.Thread(target=lambda: am.grad(slow_square)(1.0))
    other.start()
    try:
        assert inside.wait(10)
        assert am.grad(lambda x: x * x)(3.0) == 6.0  # a float, not a nested Value
        assert am.value_and_grad(lambda x: x * x)(3.0) == (9.0, 6.0)
        assert am.vjp(lambda x: x * x, 3.0)[0] == 9.0
    finally:
        done.set()
        other.join()


def test_a_power_whose_derivative_overflows_gives_inf_not_an_error() -> None:
    # n·x^(n − 1) for x = 2, n = 1e308 is beyond the floats: inf, as the forward gives
    x = Value(2.0)
    y = x**1e308
    y.backward()
    assert y.data == x.grad == math.inf
    a, b = Value(2.0), Value(1e308)
    z = a**b
    z.backward()
    assert z.data == a.grad == b.grad == math.inf
