"""The rule table: user operations, formulas, forward mode, Jacobians, Hessians, no_grad."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import Value
from autograd_mini._symbolic import Symbol
from autograd_mini.testing import Expression, expressions

# the docs' example (docs/adding-an-operation.md registers "softplus" itself)
softplus = am.defop("softplus_op", lambda x: math.log1p(math.exp(x)), lambda out, x: am.sigmoid(x))
# the same, with a forward that takes numpy arrays too, so the tape can batch it
softplus_batched = am.defop(
    "softplus_batched",
    lambda x: np.log1p(np.exp(x)) if isinstance(x, np.ndarray) else math.log1p(math.exp(x)),
    lambda out, x: am.sigmoid(x),
)
hypot = am.defop(
    "hypot_op",
    math.hypot,
    lambda out, a, b: a / out,
    lambda out, a, b: b / out,
    symbol="hypot({}, {})",
)
wrong_softplus = am.defop(
    "wrong_softplus", lambda x: math.log1p(math.exp(x)), lambda out, x: am.tanh(x)
)


# ---- the table --------------------------------------------------------------------------


def test_every_operation_is_in_the_table_and_the_table_is_read_only() -> None:
    assert {"+", "-", "*", "/", "**", "**n", "neg", "exp", "log", "sqrt", "tanh"} <= set(am.ops)
    assert {"sigmoid", "relu", "abs", "identity", "sum", "max", "dot", "xlogy"} <= set(am.ops)
    with pytest.raises(TypeError):
        am.ops["tanh"] = am.ops["exp"]  # type: ignore[index]
    x = Value(0.5)
    made = [x + 1, x - 1, x * 2, x / 2, x**2, 2**x, -x, x.exp(), x.log(), x.sqrt(), x.tanh()]
    made += [x.sigmoid(), x.relu(), abs(x), am.sum([x, x]), am.max([x, 1.0]), am.dot([x], [x])]
    assert all(node._rule is am.ops[node.op] for node in made)


def test_the_derivative_of_tanh_is_one_lookup_away() -> None:
    assert am.ops["tanh"].formulas() == ["1 − out²"]
    assert am.ops["*"].formulas() == ["b", "a"]
    assert am.ops["sigmoid"].formulas() == ["out·(1 − out)"]
    assert am.ops["/"].formulas() == ["1/b", "−out/b"]
    assert am.ops["dot"].formulas(5) == ["x1", "x2", "w1", "w2", "1"]
    assert am.ops["**n"].formulas() == ["n·x^(n − 1)", "none"]
    assert repr(am.ops["tanh"]) == "<op 'tanh': 1 − out²>"


# The built-in operations, read in a fresh process (other test modules register wrong ones
# on purpose), and this module's own user operations.
BUILT_IN = subprocess.run(
    [sys.executable, "-c", "import autograd_mini as am; print(' '.join(am.ops))"],
    capture_output=True,
    text=True,
    check=True,
).stdout.split()


@pytest.mark.parametrize("name", [*BUILT_IN, "softplus_op", "softplus_batched", "hypot_op"])
@settings(max_examples=20)
@given(points=st.lists(st.floats(0.1, 3.0), min_size=5, max_size=5))
def test_each_symbolic_partial_evaluated_equals_the_numeric_partial(
    name: str, points: list[float]
) -> None:
    # Symbolic (the formula, evaluated), numeric (the partial on floats) and a central
    # difference of the forward agree for every entry of the table, built-in or not.
    op = am.ops[name]
    n = 3 if op.arity is None else op.arity
    values = points[:n]
    if name == "**n":
        values = [values[0], round(values[1] * 2.0)]
    names = op.names(n)
    out = op.forward(*values)
    symbolic = op.local(Symbol("out"), [Symbol(s) for s in names])
    numeric = op.local(out, values)
    for i, (s, d) in enumerate(zip(symbolic, numeric)):
        if d is None:
            assert s is None
            continue
        env = dict(zip(names, values), out=out)
        evaluated = s.evaluate(**env) if isinstance(s, Symbol) else s
        assert evaluated == pytest.approx(d, rel=1e-12, abs=1e-12), (name, i, str(s))
        if name != "max":  # a kink: no difference quotient at a tie, none needed elsewhere
            h = 1e-6
            up = [v + h if j == i else v for j, v in enumerate(values)]
            down = [v - h if j == i else v for j, v in enumerate(values)]
            difference = (op.forward(*up) - op.forward(*down)) / (2 * h)
            assert d == pytest.approx(difference, rel=1e-5, abs=1e-6), (name, i)


# ---- user operations -----------------------------------------------------------------------


def test_a_user_op_works_in_backward_and_to_every_order() -> None:
    x = Value(0.3)
    y = softplus(x * 2.0)
    y.backward()
    assert y.data == pytest.approx(math.log1p(math.exp(0.6)))
    assert x.grad == pytest.approx(2.0 / (1.0 + math.exp(-0.6)))
    d2 = am.grad(am.grad(softplus))(0.3)  # σ'(x) = σ(x)(1 − σ(x))
    s = 1.0 / (1.0 + math.exp(-0.3))
    assert d2 == pytest.approx(s * (1 - s))
    d3 = am.grad(am.grad(am.grad(softplus)))(0.3)
    assert d3 == pytest.approx(s * (1 - s) * (1 - 2 * s))
    first = am.gradients(softplus(x), x, create_graph=True)
    assert am.gradients(first, x) == pytest.approx(s * (1 - s))
    assert softplus(0.3) == pytest.approx(math.log1p(math.exp(0.3)))  # a number gives a float


def test_a_binary_user_op_lifts_numbers_and_prints_its_partials() -> None:
    a = Value(3.0)
    c = hypot(a, 4.0)
    c.backward()
    assert (c.data, a.grad) == (5.0, 0.6)
    assert am.ops["hypot_op"].formulas() == ["a/out", "b/out"]
    assert am.gradcheck(lambda a, b: hypot(a, b) * a, [3.0, 4.0], order=2)


def test_registering_twice_or_with_the_wrong_number_of_partials_is_refused() -> None:
    with pytest.raises(ValueError, match="'softplus_op' is already registered"):
        am.defop("softplus_op", math.exp, lambda out, x: out)
    with pytest.raises(ValueError, match=r"forward takes 2 operand.* but 1 partial"):
        am.defop("two_args", lambda a, b: a * b, lambda out, a, b: b)
    with pytest.raises(TypeError, match="partial 0 must be a function"):
        am.defop("bad_partial", math.exp, "out")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="forward must be callable"):
        am.defop("not_callable", 3.0, 1.0)  # type: ignore[arg-type]
    assert "two_args" not in am.ops


def test_a_user_op_in_forward_mode_the_tape_rendering_and_anomaly_mode() -> None:
    assert am.jvp(softplus, [0.3], [2.0])[1] == pytest.approx(2.0 / (1.0 + math.exp(-0.3)))
    tape = am.trace(lambda x: softplus_batched(x * 3.0), 0.1)
    grads = tape.grad([0.1, -0.2], reduction="sum")
    assert grads.inputs[0].tolist() == pytest.approx([3 * am.sigmoid(0.3), 3 * am.sigmoid(-0.6)])
    unbatched = am.trace(lambda x: softplus(x * 3.0), 0.1)
    with pytest.raises(NotImplementedError, match="forward of 'softplus_op' does not take numpy"):
        unbatched.forward([0.1, 0.2])
    source = am.render.to_dot(softplus(Value(0.3, label="x")), edge_labels=True).source
    assert "softplus_op" in source and "σ(x)" in source
    with am.detect_anomaly():
        a = Value(0.0)
        c = hypot(a, 0.0)  # its partial a/out divides by zero here
    with pytest.raises(
        am.AnomalyError, match=r"backward of 'hypot_op' failed.*c = hypot\(a, 0.0\)"
    ):
        c.backward()
    assert a.grad == 0.0 and c.grad == 0.0  # a failed backward changes no gradient


def test_gradcheck_names_a_wrong_user_partial() -> None:
    with pytest.raises(am.GradcheckError, match="op 'wrong_softplus'"):
        am.gradcheck(lambda x: wrong_softplus(x * 2.0) + x, [0.3])
    assert am.gradcheck(lambda x: softplus(x * 2.0) + x, [0.3], order=2)


def test_a_graph_with_a_user_op_pickles_by_the_op_name() -> None:
    x = Value(0.3, label="x")
    copy = pickle.loads(pickle.dumps(softplus(x) * 2))
    copy.backward()
    leaf = am.topological_order(copy)[0]
    assert leaf.label == "x" and leaf.grad == pytest.approx(2 * am.sigmoid(0.3))


# ---- forward mode, Jacobians, Hessians -------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(expr=expressions(), tangent=st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_jvp_equals_the_gradient_contracted_with_the_tangent(
    expr: Expression, tangent: list[float]
) -> None:
    point, t = list(expr.values), tangent[: len(expr.names)]
    try:
        _, jvp = am.jvp(expr, point, t)
        leaves = [Value(v) for v in point]
        grads = am.gradients(expr(*leaves), leaves)
    except (ArithmeticError, ValueError):
        return  # a partial undefined at this point: both modes raise
    expected = math.fsum(g * d for g, d in zip(grads, t))
    assert jvp == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    exprs=st.lists(expressions(), min_size=1, max_size=3),
    cotangent=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
)
def test_vjp_equals_the_cotangent_times_the_jacobian_and_jvp_agrees(
    exprs: list[Expression], cotangent: list[float]
) -> None:
    # f maps (x, y, z) to one output per expression; uᵀ(J v) from forward mode must
    # equal (uᵀJ) v from vjp, and each vjp row must be that output's gradient.
    point = [0.3, -0.7, 1.1]
    u = cotangent[: len(exprs)]

    def f(x: Value, y: Value, z: Value) -> list[Value]:
        return [e(*[{"x": x, "y": y, "z": z}[n] for n in e.names]) for e in exprs]

    try:
        values, vjp_fn = am.vjp(f, *point)
        row = vjp_fn(u)
        jacobian = am.jacobian(lambda v: f(*v), mode="reverse")(point)
        directional = [am.jvp(f, point, [float(i == j) for i in range(3)])[1] for j in range(3)]
    except (ArithmeticError, ValueError):
        return  # a partial undefined at this point: every mode raises
    assert values == [o.data for o in f(*[Value(p) for p in point])]
    for j in range(3):
        by_rows = math.fsum(u[i] * jacobian[i][j] for i in range(len(exprs)))
        by_columns = math.fsum(u[i] * directional[j][i] for i in range(len(exprs)))
        assert row[j] == pytest.approx(by_rows, rel=1e-9, abs=1e-9)
        assert row[j] == pytest.approx(by_columns, rel=1e-9, abs=1e-9)


def test_vjp_fn_serves_many_cotangents_and_composes_with_grad() -> None:
    value, vjp_fn = am.vjp(lambda x: x * x * x, 2.0)
    assert value == 8.0 and vjp_fn(1.0) == (12.0,) and vjp_fn(0.5) == (6.0,)
    # d/dx of (the vjp of y ↦ x·y² at y = 3, cotangent 1) = d/dx (6x) = 6
    assert am.grad(lambda x: am.vjp(lambda y: x * y * y, 3.0)[1](1.0)[0])(5.0) == 6.0
    assert am.vjp(lambda x, y: 4.0, 1.0, 2.0)[1](1.0) == (0.0, 0.0)


def test_vjp_names_a_cotangent_that_does_not_fit() -> None:
    _, vjp_fn = am.vjp(lambda x: [x, x * x], 1.0)
    with pytest.raises(ValueError, match="2 outputs but the cotangent has 3"):
        vjp_fn([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="must be a list of 2 numbers"):
        vjp_fn(1.0)
    with pytest.raises(TypeError, match="cotangent 1 must be a real number"):
        vjp_fn([1.0, "2"])
    with pytest.raises(TypeError, match="argument 0 must be a real number"):
        am.vjp(lambda x: x, "1")
    _, single = am.vjp(lambda x: x * x, 1.0)
    for bad in ([1.0], "a", None):
        with pytest.raises(TypeError, match="vjp: cotangent must be a real number"):
            single(bad)
    # a numpy array or a tuple is a list of cotangents too
    assert vjp_fn(np.array([1.0, 2.0])) == vjp_fn((1.0, 2.0)) == vjp_fn([1.0, 2.0]) == (5.0,)


def test_jacobian_picks_a_mode_by_shape_and_both_modes_agree() -> None:
    def f(v: list[Any]) -> list[Any]:
        return [v[0] * v[1], v[0].exp(), v[1] / v[0]]

    point = [1.5, -0.5]
    forward = am.jacobian(f, mode="forward")(point)
    reverse = am.jacobian(f, mode="reverse")(point)
    auto = am.jacobian(f)(point)
    closed = [[-0.5, 1.5], [math.exp(1.5), 0.0], [0.5 / 1.5**2, 1 / 1.5]]  # ∂(y/x) = −y/x²
    for got in (forward, reverse, auto):
        assert np.allclose(got, closed, rtol=1e-12)
    assert am.jacobian(lambda x, y: x * y, argnums=(0, 1))(2.0, 3.0) == (3.0, 2.0)
    assert am.jacobian(am.tanh)(0.5) == pytest.approx(1 - math.tanh(0.5) ** 2)
    with pytest.raises(ValueError, match="mode must be"):
        am.jacobian(f, mode="sideways")  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(point=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_the_hessian_is_symmetric_and_equals_differences_of_the_gradient(
    point: list[float],
) -> None:
    def f(v: list[Any]) -> Any:
        return (v[0] * v[1]).tanh() + v[2] * v[2] * v[0] + (v[1] - v[2]).exp()

    hessian = np.array(am.hessian(f)(point))
    assert np.allclose(hessian, hessian.T, rtol=1e-12, atol=1e-12)
    gradient = am.grad(f)
    h = 1e-5
    for j in range(3):
        up = [x + h if k == j else x for k, x in enumerate(point)]
        down = [x - h if k == j else x for k, x in enumerate(point)]
        column = (np.array(gradient(up)) - np.array(gradient(down))) / (2 * h)
        assert np.allclose(hessian[:, j], column, rtol=1e-5, atol=1e-6)


def test_transforms_compose() -> None:
    # the derivative of a Jacobian entry, and a Hessian of a function that takes a gradient
    d = am.grad(lambda x: am.jacobian(lambda y: y * y * x)(x))(3.0)  # d/dx (2 x · x) = 4x
    assert d == pytest.approx(12.0)
    assert am.hessian(lambda x: x**3)(2.0) == pytest.approx(12.0)
    # f(x) = ∂(y³ x)/∂y at y = x = 3x³, so f''(x) = 18 x
    assert am.hessian(lambda x: am.grad(lambda y: y**3 * x)(x))(2.0) == pytest.approx(36.0)


# ---- no_grad, detach, a seeded backward ---------------------------------------------------------


def test_no_grad_records_nothing_and_is_restored_after_an_error() -> None:
    x = Value(2.0)
    with am.no_grad():
        y = (x * x).tanh() + am.dot([x], [x])
    assert y.parents == () and y.op == "" and y.data == pytest.approx(math.tanh(4.0) + 4.0)
    y.backward()
    assert x.grad == 0.0
    with pytest.raises(RuntimeError), am.no_grad():
        raise RuntimeError("inside")
    assert (x * x).parents == (x, x)  # the graph is recorded again


def test_detach_cuts_the_graph_and_backward_takes_a_seed() -> None:
    x = Value(3.0, label="x")
    y = x * x.detach()  # d/dx treats the detached copy as a constant
    y.backward()
    assert x.grad == 3.0 and x.detach().label == "x" and x.detach().parents == ()
    z = x * 2
    x.grad = 0.0
    z.backward(gradient=0.5)
    assert x.grad == 1.0 and z.grad == 0.5
    with pytest.raises(TypeError, match="gradient"):
        z.backward(gradient="1")  # type: ignore[arg-type]
