"""The scalar engine: construction, operators, derivative rules, backprop and errors."""

from __future__ import annotations

import gc
import math
import re
import sys
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import Value
from autograd_mini.testing import expressions, operands

# ---- construction and attributes -------------------------------------------------------


@pytest.mark.parametrize("number", [3, 3.0, np.float64(3.0), np.float32(3.0), np.int64(3)])
def test_value_stores_real_numbers_as_float(number: float) -> None:
    v = Value(number)
    assert type(v.data) is float and v.data == 3.0
    assert type(v.grad) is float and v.grad == 0.0
    assert (v.label, v.op, v.parents) == ("", "", ())


@pytest.mark.parametrize(
    ("bad", "named"),
    [("3", "str"), (None, "NoneType"), (1 + 2j, "complex"), ([1.0], "list"), (True, "bool")],
)
def test_value_rejects_non_reals_naming_them(bad: object, named: str) -> None:
    with pytest.raises(TypeError, match=named):
        Value(bad)  # type: ignore[arg-type]


def test_value_rejects_another_value() -> None:
    with pytest.raises(TypeError, match=r"got Value Value\(1.0"):
        Value(Value(1.0))  # type: ignore[arg-type]


def test_label_must_be_text() -> None:
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_parents_keep_operand_order_and_repeats() -> None:
    x, y = Value(2.0, "x"), Value(5.0, "y")
    assert (x * x).parents == (x, x)
    assert (y - x).parents == (y, x)
    assert (y - x).op == "-"


def test_repr_names_data_grad_label_and_op() -> None:
    x = Value(2.0, "x")
    assert repr(x) == "Value(2.0, grad=0.0, label='x')"
    assert repr(x * 3) == "Value(6.0, grad=0.0, op='*')"


# ---- operators with numbers on either side ---------------------------------------------


OPERATOR_CASES: list[tuple[str, Callable[[Value], Value], float, float]] = [
    # name, f(x) at x = 2, expected value, expected df/dx
    ("x + 3", lambda x: x + 3, 5.0, 1.0),
    ("3 + x", lambda x: 3 + x, 5.0, 1.0),
    ("x - 3", lambda x: x - 3, -1.0, 1.0),
    ("3 - x", lambda x: 3 - x, 1.0, -1.0),
    ("x * 3", lambda x: x * 3, 6.0, 3.0),
    ("3 * x", lambda x: 3 * x, 6.0, 3.0),
    ("x / 4", lambda x: x / 4, 0.5, 0.25),
    ("4 / x", lambda x: 4 / x, 2.0, -1.0),
    ("-x", lambda x: -x, -2.0, -1.0),
    ("x ** 3", lambda x: x**3, 8.0, 12.0),
    ("3 ** x", lambda x: 3**x, 9.0, 9.0 * math.log(3.0)),
    ("x ** x", lambda x: x**x, 4.0, 4.0 * (math.log(2.0) + 1.0)),
    ("numpy scalar * x", lambda x: np.float64(3.0) * x, 6.0, 3.0),
    ("abs(x)", lambda x: abs(-x), 2.0, 1.0),
]


@pytest.mark.parametrize(("name", "f", "value", "slope"), OPERATOR_CASES)
def test_operators_accept_numbers_on_either_side(
    name: str, f: Callable[[Value], Value], value: float, slope: float
) -> None:
    x = Value(2.0)
    y = f(x)
    assert isinstance(y, Value), name
    y.backward()
    assert y.data == pytest.approx(value, rel=1e-15)
    assert x.grad == pytest.approx(slope, rel=1e-15)


@pytest.mark.parametrize("other", ["a", None, [1.0], 1j])
def test_operators_refuse_non_numbers(other: object) -> None:
    x = Value(1.0)
    with pytest.raises(TypeError):
        x + other  # type: ignore[operator]
    with pytest.raises(TypeError):
        other * x  # type: ignore[operator]


# ---- every operation's first and second derivative -------------------------------------

# name -> (function on a Value, derivative, second derivative, where to draw x)
UNARY: dict[
    str, tuple[Callable[[Value], Value], Callable[[float], float], Callable[[float], float], str]
] = {
    "exp": (lambda x: x.exp(), math.exp, math.exp, "exp"),
    "log": (lambda x: x.log(), lambda t: 1 / t, lambda t: -1 / t**2, "log"),
    "sqrt": (lambda x: x.sqrt(), lambda t: 0.5 / math.sqrt(t), lambda t: -0.25 * t**-1.5, "sqrt"),
    "tanh": (
        lambda x: x.tanh(),
        lambda t: 1 - math.tanh(t) ** 2,
        lambda t: -2 * math.tanh(t) * (1 - math.tanh(t) ** 2),
        "tanh",
    ),
    "sigmoid": (
        lambda x: x.sigmoid(),
        lambda t: _sig(t) * (1 - _sig(t)),
        lambda t: _sig(t) * (1 - _sig(t)) * (1 - 2 * _sig(t)),
        "sigmoid",
    ),
    "relu": (lambda x: x.relu(), lambda t: float(t > 0), lambda t: 0.0, "relu"),
    "abs": (lambda x: x.abs(), lambda t: math.copysign(1.0, t), lambda t: 0.0, "abs"),
    "neg": (lambda x: -x, lambda t: -1.0, lambda t: 0.0, "neg"),
    "square": (lambda x: x**2, lambda t: 2 * t, lambda t: 2.0, "mul"),
    "x**-1.5": (lambda x: x**-1.5, lambda t: -1.5 * t**-2.5, lambda t: 3.75 * t**-3.5, "log"),
    "3*x": (lambda x: 3 * x, lambda t: 3.0, lambda t: 0.0, "mul"),
    "x/3": (lambda x: x / 3, lambda t: 1 / 3, lambda t: 0.0, "mul"),
    "3/x": (lambda x: 3 / x, lambda t: -3 / t**2, lambda t: 6 / t**3, "div"),
    "2**x": (
        lambda x: 2**x,
        lambda t: 2**t * math.log(2),
        lambda t: 2**t * math.log(2) ** 2,
        "tanh",
    ),
}


def _sig(t: float) -> float:
    return 1 / (1 + math.exp(-t))


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=30)
@given(data=st.data())
def test_first_and_second_derivative_of_every_unary_operation(
    name: str, data: st.DataObject
) -> None:
    f, df, d2f, domain = UNARY[name]
    t = data.draw(operands(domain), label="x")
    d = am.grad(f)
    assert d(t) == pytest.approx(df(t), rel=1e-9, abs=1e-12)
    assert am.grad(d)(t) == pytest.approx(d2f(t), rel=1e-9, abs=1e-12)
    assert am.gradgradcheck(f, [t])


BINARY: dict[str, tuple[Callable[[Value, Value], Value], str, str]] = {
    "+": (lambda a, b: a + b, "add", "add"),
    "-": (lambda a, b: a - b, "sub", "sub"),
    "*": (lambda a, b: a * b, "mul", "mul"),
    "/": (lambda a, b: a / b, "mul", "div"),
    "**": (lambda a, b: a**b, "pow", "tanh"),
    "dot": (lambda a, b: am.dot([a, b], [b, a * a]), "mul", "mul"),
    "dot with bias": (lambda a, b: am.dot([a, b], [b, a * a], bias=a * b), "mul", "mul"),
    "sum": (lambda a, b: am.sum([a, b, a * b, 2.0]), "mul", "mul"),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=30)
@given(data=st.data())
def test_first_and_second_derivatives_of_every_binary_operation(
    name: str, data: st.DataObject
) -> None:
    f, domain_a, domain_b = BINARY[name]
    a = data.draw(operands(domain_a), label="a")
    b = data.draw(operands(domain_b), label="b")
    assert am.gradgradcheck(f, [a, b])


@settings(max_examples=150)
@given(expressions())
def test_random_expressions_match_finite_differences(expr: am.testing.Expression) -> None:
    assert am.gradcheck(expr, expr.values, rtol=1e-4, atol=1e-6)


@settings(max_examples=40)
@given(expressions(max_depth=3))
def test_random_expressions_second_order(expr: am.testing.Expression) -> None:
    assert am.gradgradcheck(expr, expr.values, rtol=1e-3, atol=1e-4)


def test_relu_and_abs_have_zero_derivative_at_zero() -> None:
    assert am.grad(am.relu)(0.0) == 0.0
    assert am.grad(am.abs)(0.0) == 0.0
    assert am.grad(am.relu)(1e-300) == 1.0
    assert am.grad(am.abs)(-1e-300) == -1.0


def test_dot_and_sum_are_single_nodes() -> None:
    w = [Value(1.0), Value(2.0)]
    x = [Value(3.0), Value(4.0)]
    z = am.dot(w, x)
    assert z.op == "dot" and z.parents == (*w, *x) and z.data == 11.0
    z.backward()
    assert [v.grad for v in w + x] == [3.0, 4.0, 1.0, 2.0]
    s = am.sum([w[0], 5, w[0]])
    assert s.op == "sum" and len(s.parents) == 3 and s.data == 7.0


def test_dot_with_a_bias_is_one_node_whose_bias_gets_the_upstream_gradient() -> None:
    w, x, b = [Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)], Value(0.5)
    z = am.dot(w, x, bias=b)
    assert z.op == "dot" and z.parents == (*w, *x, b) and z.data == 11.5
    (z * 2.0).backward()
    assert [v.grad for v in [*w, *x, b]] == [6.0, 8.0, 2.0, 4.0, 2.0]
    assert am.dot([1.0], [2.0], bias=3).data == 5.0  # numbers become constant leaves
    with pytest.raises(TypeError, match="dot: expected a Value or a real number, got str"):
        am.dot([1.0], [2.0], bias="3")  # type: ignore[arg-type]


def test_dot_adds_left_to_right_like_the_rule_table() -> None:
    # 1 + 2^-60 rounds to 1 before the bias -1 is added: 0, as (1.0 + tiny) - 1.0 is.
    tiny = 2.0**-60
    z = am.dot([Value(1.0), Value(tiny)], [1.0, 1.0], bias=-1.0)
    assert z.data == 0.0 == am.ops["dot"].forward(1.0, tiny, 1.0, 1.0, -1.0) == (1.0 + tiny) - 1.0


_finite = st.floats(-1e3, 1e3) | st.sampled_from([0.0, -0.0, 1e300, -1e300])


@given(st.lists(st.tuples(_finite, _finite), max_size=12), st.none() | _finite)
def test_a_neurons_dot_adds_exactly_as_the_rule_table_and_the_written_sum(
    pairs: list[tuple[float, float]], bias: float | None
) -> None:
    """`nn`'s dot (`dot_node`, written out for speed) makes the same additions in the same
    order as `ops["dot"].forward` and as the chain w1·x1 + ... + wn·xn + b that
    `am.compile` writes: equal to the last bit, the sign of zero and overflow included."""
    from autograd_mini._engine import dot_node

    w, x = [a for a, _ in pairs], [b for _, b in pairs]
    params = tuple(Value(v) for v in (w if bias is None else [*w, bias]))
    node = dot_node(params, tuple(Value(v) for v in x))
    terms = [a * b for a, b in pairs] + ([] if bias is None else [bias])
    chain = terms[0] if terms else 0.0
    for term in terms[1:]:
        chain += term
    table = am.ops["dot"].forward(*w, *x, *([] if bias is None else [bias]))
    for got in (node.data, table):
        assert got == chain or (math.isnan(got) and math.isnan(chain))
        assert math.copysign(1.0, got) == math.copysign(1.0, chain)


def test_dot_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match=r"differ in length \(2 and 3\)"):
        am.dot([1.0, 2.0], [1.0, 2.0, 3.0])


def test_functions_on_plain_numbers_return_floats() -> None:
    assert am.tanh(0.5) == math.tanh(0.5)
    assert am.sigmoid(np.float32(0.0)) == 0.5
    assert isinstance(am.exp(1), float)
    with pytest.raises(TypeError, match="tanh: expected a Value or a real number, got str"):
        am.tanh("0.5")  # type: ignore[call-overload]


# ---- backprop: accumulation, fan-out, depth --------------------------------------------


def test_fan_out_accumulates_every_path() -> None:
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0


def test_repeated_backward_accumulates_like_pytorch() -> None:
    x = Value(3.0)
    h = x * x
    y = h * 2
    y.backward()
    assert (x.grad, h.grad, y.grad) == (12.0, 2.0, 1.0)
    y.backward()
    assert (x.grad, h.grad, y.grad) == (24.0, 4.0, 2.0)
    y.zero_grad()
    assert (x.grad, h.grad, y.grad) == (0.0, 0.0, 0.0)
    y.backward()
    assert x.grad == 12.0


def test_backward_of_two_outputs_sharing_a_subgraph_adds_up() -> None:
    x = Value(2.0)
    shared = x.exp()
    a, b = shared * 3, shared * 4
    a.backward()
    b.backward()
    assert x.grad == pytest.approx(7 * math.exp(2.0))


def test_chain_of_a_million_nodes_backprops_without_recursion() -> None:
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert x.grad == 1.0
    assert len(am.topological_order(y)) == 1_000_001
    del y  # freeing a deep chain must not overflow the C stack either


def test_topological_order_puts_parents_first_once_each() -> None:
    x, w = Value(1.0, "x"), Value(2.0, "w")
    h = x * w
    out = h + h * x
    order = am.topological_order(out)
    assert len(order) == len(set(order)) == 5
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]
    assert am.topological_order(out) == order  # deterministic
    assert am.topological_order(h, out)[: len(am.topological_order(h))] == am.topological_order(h)


def _reachable(root: Value) -> set[Value]:
    """Every node ``root`` depends on, by the plainest walk there is."""
    found, stack = {root}, [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in found:
                found.add(parent)
                stack.append(parent)
    return found


@settings(max_examples=25)
@given(st.integers(1, 4), st.lists(st.integers(1, 4), min_size=1, max_size=3), st.booleans())
def test_topological_order_of_graphs_that_share_operand_tuples(
    nin: int, nouts: list[int], bias: bool
) -> None:
    # nn's dot nodes share tuples: a neuron's parameters across examples, a layer's inputs
    # across its neurons; the order walks each shared tuple once and must miss nothing.
    model = am.nn.MLP(nin, nouts, activation="tanh", bias=bias, seed=0)
    outputs = [model([0.1 * (i + k) for i in range(nin)]) for k in range(3)]
    out = am.sum([v for o in outputs for v in (o if isinstance(o, list) else [o])])
    order = am.topological_order(out)
    assert len(order) == len(set(order)) and set(order) == _reachable(out)
    position = {node: i for i, node in enumerate(order)}
    assert all(position[p] < position[node] for node in order for p in node.parents)


def test_a_shared_operand_tuple_is_skipped_only_once_its_nodes_are_in_order() -> None:
    # `_dot` nodes may share operand tuples. Here y reads the inputs tuple that z also
    # reads, and y is reached through z's weight w: when y is walked, z's inputs are still
    # pending, so y must not treat the tuple as done.
    from autograd_mini._engine import dot_node as _dot

    x = Value(0.5, "x")
    inputs = (x * 2.0,)
    y = _dot((Value(3.0, "v"),), inputs)
    w = y * 1.5
    out = _dot((w,), inputs) * 1.0
    order = am.topological_order(out)
    position = {node: i for i, node in enumerate(order)}
    assert set(order) == _reachable(out)
    assert all(position[p] < position[node] for node in order for p in node.parents)
    out.backward()  # out = w u = 4.5 u**2 (w = 1.5 * 3 u), u = 2 x: d(out)/dx = 9 u * 2
    assert x.grad == pytest.approx(18.0 * inputs[0].data)


# ---- gradients(): the functional core --------------------------------------------------


def test_gradients_leave_grad_untouched() -> None:
    x, y = Value(2.0), Value(5.0)
    out = x * y
    assert am.gradients(out, [x, y]) == [5.0, 2.0]
    assert x.grad == y.grad == out.grad == 0.0
    assert am.gradients(out, Value(1.0)) == 0.0  # an input the output ignores


def test_gradients_with_create_graph_are_differentiable() -> None:
    x = Value(0.7)
    dy = am.gradients(x.tanh(), x, create_graph=True)
    assert isinstance(dy, Value)
    assert dy.data == pytest.approx(1 - math.tanh(0.7) ** 2)
    d2y = am.gradients(dy, x)
    assert d2y == pytest.approx(-2 * math.tanh(0.7) * (1 - math.tanh(0.7) ** 2))


def test_gradients_refuse_non_values() -> None:
    with pytest.raises(TypeError, match="output must be a Value, got float"):
        am.gradients(1.0, [Value(1.0)])  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="inputs must be Values, got float"):
        am.gradients(Value(1.0), [1.0])  # type: ignore[list-item]


# ---- numerics and errors ---------------------------------------------------------------


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_sigmoid_never_overflows(t: float) -> None:
    y = Value(t).sigmoid()
    assert 0.0 <= y.data <= 1.0
    assert 0.0 <= am.grad(am.sigmoid)(t) <= 0.25


ERRORS: list[tuple[Callable[[], object], type[Exception], str]] = [
    (lambda: Value(-1.0).log(), ValueError, r"log: operand must be > 0, got -1\.0"),
    (lambda: Value(0.0).log(), ValueError, r"log: operand must be > 0, got 0\.0"),
    (lambda: am.log(-2), ValueError, r"log: operand must be > 0, got -2\.0"),
    (lambda: Value(-4.0).sqrt(), ValueError, r"sqrt: operand must be >= 0, got -4\.0"),
    (lambda: Value(1.0) / 0, ZeroDivisionError, r"division: divisor is zero \(1\.0 / 0\.0\)"),
    (lambda: 1 / Value(0.0), ZeroDivisionError, r"division: divisor is zero"),
    (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow: 0\.0 cannot be raised to .* -1\.0"),
    (lambda: Value(-8.0) ** (1 / 3), ValueError, r"pow: negative base -8\.0 with non-integer"),
    (lambda: Value(-2.0) ** Value(2.0), ValueError, r"base must be > 0, got base -2\.0"),
]


@pytest.mark.parametrize(("make", "kind", "message"), ERRORS)
def test_domain_errors_name_the_operation_and_operand(
    make: Callable[[], object], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind, match=message):
        make()


def test_negative_base_with_integer_exponent_is_fine() -> None:
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)


def test_an_infinite_derivative_in_backward_names_the_operation() -> None:
    x = Value(0.0)
    y = x.sqrt()
    with pytest.raises(ZeroDivisionError, match=r"backward of 'sqrt' at operand\(s\) 0\.0"):
        y.backward()
    assert x.grad == 0.0  # nothing half-applied is left behind


def test_a_failed_backward_puts_every_gradient_back() -> None:
    # backprop accumulates in .grad itself: the gradients held before must come back
    x, w = Value(0.0), Value(2.0)
    y = x.sqrt() + w * w * 3.0
    for node in am.topological_order(y):
        node.grad = 0.5
    with pytest.raises(ZeroDivisionError):
        y.backward()  # w's gradient is computed before sqrt's derivative fails
    assert all(node.grad == 0.5 for node in am.topological_order(y))
    x.data = 1.0  # now it works, and adds to what was there
    (x.sqrt() + w * w * 3.0).backward()
    assert (x.grad, w.grad) == (0.5 + 0.5, 0.5 + 12.0)


def test_gradients_leave_nonzero_grads_untouched() -> None:
    x, y = Value(2.0), Value(5.0)
    x.grad, y.grad = 0.25, -1.0
    out = x * y + x
    assert am.gradients(out, [x, y, Value(1.0)]) == [6.0, 2.0, 0.0]
    assert (x.grad, y.grad, out.grad) == (0.25, -1.0, 0.0)


@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3), st.floats(-1e3, 1e3))
def test_the_float_loop_writes_out_mul_and_add(a: float, b: float, g: float) -> None:
    # backward() writes out * and + (the partials b, a and 1, 1); anomaly mode runs the
    # table's partials through Op.local, so both must give the same gradients
    def grads(checked: bool) -> list[float]:
        x, y = Value(a), Value(b)
        if checked:
            with am.detect_anomaly():
                out = (x * y + x) * y
        else:
            out = (x * y + x) * y
        out.backward(g)
        return [x.grad, y.grad]

    table = [am.ops["*"].local(a * b, [a, b]), am.ops["+"].local(a * b + a, [a * b, a])]
    assert table == [[b, a], [1.0, 1.0]]
    assert grads(checked=False) == grads(checked=True)


def test_gc_paused_restores_the_collector_even_on_an_error() -> None:
    gc_paused = am.gc_paused

    with pytest.raises(ZeroDivisionError), gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the inner pause leaves the outer one in charge
            pass
        assert not gc.isenabled()
        Value(0.0).sqrt().backward()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # switched off by the caller: stays off
    finally:
        gc.enable()


# ---- anomaly mode ----------------------------------------------------------------------


def test_anomaly_mode_names_the_operation_and_the_user_line() -> None:
    with am.detect_anomaly():
        x = Value(1e-320)
        y = x.log() * 2  # the line the error must point at
    with pytest.raises(am.AnomalyError) as caught:
        y.backward()
    message = str(caught.value)
    assert "backward of 'log' produced inf" in message
    assert "test_engine.py" in message
    assert "y = x.log() * 2  # the line the error must point at" in message


def test_without_anomaly_mode_infinities_propagate_silently() -> None:
    x = Value(1e-320)
    y = x.log() * 2
    y.backward()
    assert math.isinf(x.grad)


def test_anomaly_mode_checks_higher_order_gradients_too() -> None:
    with am.detect_anomaly():
        x = Value(0.0)
        y = x.relu() * Value(float("inf"))
    with pytest.raises(am.AnomalyError, match="backward of '\\*' produced inf"):
        am.gradients(y, x, create_graph=True)


@given(
    st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5)), min_size=1, max_size=8),
    st.one_of(st.none(), st.floats(-5, 5)),
)
def test_fast_dot_backward_agrees_with_the_dot_rule(
    pairs: list[tuple[float, float]], bias: float | None
) -> None:
    # backward() inlines dot's rule; create_graph=True and anomaly mode call `_d_dot` itself.
    w = [Value(a) for a, _ in pairs]
    x = [Value(b) for _, b in pairs]
    b = [] if bias is None else [Value(bias)]
    z = am.dot(w, x, *b) * 3.0
    z.backward()
    leaves = w + x + b
    fast = [v.grad for v in leaves]
    by_rule = [d.data for d in am.gradients(z, leaves, create_graph=True)]
    with am.detect_anomaly():
        z_checked = am.dot(w, x, *b) * 3.0
    checked = am.gradients(z_checked, leaves)
    expected = [3.0 * b for _, b in pairs] + [3.0 * a for a, _ in pairs] + [3.0] * len(b)
    assert fast == by_rule == checked == expected


def test_a_number_power_made_by_the_operator_equals_the_rule_tables_function() -> None:
    # `x ** n` builds its node itself (the fast path); the table's own function is the
    # reference: same value, same node, same errors, same gradient
    from autograd_mini import _ops

    for base in (2.0, -2.0, 0.0, -0.0, 0.5, math.inf, math.nan):
        for n in (2, 3, 2.0, 0, -1, -2.0, 0.5, 1e308, math.inf, -math.inf, math.nan):
            x, y = Value(base), Value(base)
            try:
                expected = _ops.power(y, n)
            except (ArithmeticError, ValueError) as error:  # outside the domain
                with pytest.raises(type(error), match=re.escape(str(error))):
                    x**n
                continue
            got = x**n
            assert got.op == expected.op == "**n"
            assert str(got.data) == str(expected.data)
            assert str(got.parents[1].data) == str(float(n))
            outcomes = []
            for node, leaf in ((got, x), (expected, y)):
                try:  # a derivative may be undefined where the power is not (0 ** 0.5)
                    node.backward()
                    outcomes.append(str(leaf.grad))
                except ArithmeticError as error:
                    outcomes.append(f"{type(error).__name__}: {error}")
            assert outcomes[0] == outcomes[1], (base, n)
