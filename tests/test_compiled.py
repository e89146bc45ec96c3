# ruff: noqa: N806  (X for a feature matrix, as usual in ML code)
"""am.compile: generated source equals the scalar engine, and no label ever becomes code."""

from __future__ import annotations

import io
import math
import re
import tokenize
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import losses, train
from autograd_mini._symbolic import Symbol, python
from autograd_mini.nn import ACTIVATIONS, MLP
from autograd_mini.testing import Expression, expressions


def assert_close(got: Any, expected: Any, rel: float = 1e-12) -> None:
    got, expected = np.ravel(np.asarray(got, float)), np.ravel(np.asarray(expected, float))
    assert got.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    assert np.allclose(got, expected, rtol=rel, atol=rel * scale), (got, expected)


# ---- random expressions: value and gradients equal the scalar engine ----------------------


@settings(max_examples=200, deadline=None)
@given(expressions(smooth=False))
def test_random_expressions_equal_the_scalar_engine(expr: Expression) -> None:
    c = am.compile(expr, *expr.values, params=[], allow_unused=True)
    inputs = [am.Value(v) for v in expr.values]
    out = expr(*inputs)
    grads = c.grad(*expr.values)
    assert math.isclose(c(*expr.values), out.data, rel_tol=1e-12)
    assert grads.output == c(*expr.values)
    assert_close(grads.inputs, am.gradients(out, inputs))


def test_the_forward_and_chain_rule_are_written_out_from_the_rule_table() -> None:
    w = am.Value(0.5, label="w")

    def f(x: am.Value) -> am.Value:
        y = (w * x).tanh()
        y.label = "y"
        return y * x  # x feeds two nodes: its gradient accumulates with +=

    source = am.compile(f, 2.0, params=[w]).source
    assert "y = tanh(mul1)" in source
    assert "g_mul1 = g_y * (1.0 - y * y)" in source  # tanh's partial 1 − out², printed
    assert "g_x = g_mul2 * y" in source and "g_x += g_mul1 * w" in source
    assert "g_w += g_mul1 * x" in source  # a parameter's gradient sums over examples
    relu = am.compile(lambda x: (x * 2.0).relu(), 1.0).source
    assert "relu1 = 0.0 if mul1 <= 0.0 else mul1" in relu  # relu's forward, written out
    assert "g_mul1 = g_relu1 * (1.0 if mul1 > 0.0 else 0.0 if mul1 <= 0.0 else nan)" in relu


# ---- every nn activation and every loss ------------------------------------------------------

LOSS_CASES = [
    ("mse", "linear"),
    ("binary_cross_entropy", "sigmoid"),
    ("binary_cross_entropy_with_logits", "linear"),
    ("softmax_cross_entropy", "linear"),
]


def _data(loss: str, k: int) -> tuple[np.ndarray, Any]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    if loss == "softmax_cross_entropy":
        return X, rng.integers(0, k, 12).tolist()
    if loss.startswith("binary"):
        return X, rng.choice([0.0, 1.0, 0.25], size=(12, k)).tolist()
    return X, rng.normal(size=(12, k)).tolist()


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("loss", "output_activation"), LOSS_CASES)
def test_every_activation_and_loss_equals_the_scalar_engine(
    activation: str, loss: str, output_activation: str
) -> None:
    k = 3 if loss == "softmax_cross_entropy" else 2
    model = MLP(3, [4, k], activation, output_activation, seed=1)
    for i, p in enumerate(model.parameters()):  # non-zero biases too
        p.data += 0.01 * (i % 5 - 2)
    X, y = _data(loss, k)
    # X is an array: CompiledTrainer takes one (np.asarray), its annotation says lists of rows
    trainer = train.CompiledTrainer(model, X, y, loss)
    function = getattr(losses, loss)
    for x, t in zip(X[:4], trainer.targets[:4]):
        values = [am.Value(v) for v in x]
        target = [am.Value(v) for v in t]
        out = function([model(values)], [target], reduction="mean")
        grads = trainer.compiled.grad(x.tolist(), t.tolist())
        assert math.isclose(grads.output, out.data, rel_tol=1e-12)  # type: ignore[arg-type]
        assert_close(grads.params, am.gradients(out, model.parameters()))
        assert_close(grads.inputs[0], am.gradients(out, values))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("loss", "output_activation"), LOSS_CASES)
def test_training_compiled_matches_training_scalar(
    activation: str, loss: str, output_activation: str
) -> None:
    k = 3 if loss == "softmax_cross_entropy" else 2
    X, y = _data(loss, k)
    trained = {}
    for engine in ("scalar", "compiled"):
        model = MLP(3, [4, k], activation, output_activation, seed=2)
        history = train.fit(
            model, X.tolist(), y, loss=loss, optimizer="adam", lr=0.05, epochs=4,
            batch_size=5, seed=0, progress=False, engine=engine,
        )  # fmt: skip
        trained[engine] = ([p.data for p in model.parameters()], list(history))
    assert_close(trained["compiled"][0], trained["scalar"][0], rel=1e-9)
    assert_close(trained["compiled"][1], trained["scalar"][1], rel=1e-9)


# ---- labels never become code ----------------------------------------------------------------

HOSTILE = [
    'x\n__import__("os").system("echo hi")',
    "w'; print(1) #\r\n\u2028eval('2')",
    "σ\u200b·ω²\x00\x1b[31m",
    "1st",
    "lambda",
    "g_x0",
    "",
]


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(source).readline))


@pytest.mark.parametrize("label", HOSTILE)
def test_a_hostile_label_stays_in_comments_and_changes_nothing(
    label: str, capfd: pytest.CaptureFixture[str]
) -> None:
    w = am.Value(0.7, label=label)
    u = am.Value(-0.3, label=label)  # the same label twice: two distinct names

    def f(x: am.Value) -> am.Value:
        z = w * x + u
        z.label = label
        return z.tanh() * z

    c = am.compile(f, 1.5, params=[w, u])
    tokens = _tokens(c.source)
    assert not [t for t in tokens if t.type == tokenize.STRING]  # no string anywhere
    names = {t.string for t in tokens if t.type == tokenize.NAME}
    assert not names & {"__import__", "os", "system", "print", "eval"}
    code = [t.string for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL)]
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) for name in names)
    if label and not re.fullmatch(r"[A-Za-z0-9_]*", label):
        assert label not in " ".join(code)
    inputs = [am.Value(1.5)]
    out = f(inputs[0])
    grads = c.grad(1.5)
    assert grads.output == out.data
    assert_close(grads.params, am.gradients(out, [w, u]))
    assert capfd.readouterr().out == ""


def test_a_hostile_operation_name_is_only_an_identifier() -> None:
    name = 'op"\n__import__("os")'
    evil = am.defop(name, lambda x: 2.0 * x, 2.0)
    c = am.compile(lambda x: evil(x) * x, 3.0)
    names = {t.string for t in _tokens(c.source) if t.type == tokenize.NAME}
    assert "__import__" not in names
    assert c.grad(3.0).inputs[0] == 12.0


# ---- user operations and domain errors -------------------------------------------------------

cube = am.defop("cube_compiled", lambda x: x**3, lambda out, x: 3.0 * x**2)
wave = am.defop("wave_compiled", math.sin, lambda out, x: math.cos(x))  # floats only
clamp = am.defop(
    "recip_compiled",
    lambda x: 1.0 / x,
    lambda out, x: -out * out,
    domain=lambda x: x != 0,
    domain_error=lambda x: ZeroDivisionError(f"recip_compiled: x must not be 0, got {x!r}"),
)


def test_user_operations_compile_through_the_rule_table() -> None:
    def f(x: am.Value, y: am.Value) -> am.Value:
        out = cube(x) + wave(x * y) + clamp(y) + am.max([x, y])
        assert isinstance(out, am.Value)
        return out

    c = am.compile(f, 0.7, -1.3)
    assert "cube_compiled(" in c.source and "wave_compiled_partials(" in c.source
    assert "g_cube_compiled1 * (3.0 * x ** 2.0)" in c.source  # printed from its partial
    for x, y in [(0.7, -1.3), (-2.0, 0.5), (1.5, 1.5)]:
        inputs = [am.Value(x), am.Value(y)]
        out = f(*inputs)
        grads = c.grad(x, y)
        assert grads.output == out.data
        assert_close(grads.inputs, am.gradients(out, inputs))


@pytest.mark.parametrize(
    ("f", "bad", "error", "message"),
    [
        (lambda x: am.log(x), -1.0, ValueError, "log: operand must be > 0, got -1.0"),
        (lambda x: 1.0 / x, 0.0, ZeroDivisionError, r"division: divisor is zero \(1.0 / 0.0\)"),
        (lambda x: x.sqrt(), -4.0, ValueError, "sqrt: operand must be >= 0"),
        (lambda x: clamp(x), 0.0, ZeroDivisionError, "recip_compiled: x must not be 0"),
        (lambda x: x**0.5, -1.0, ValueError, "pow: negative base -1.0"),
    ],
)
def test_domain_errors_name_the_operation_and_operand(
    f: Any, bad: float, error: type[Exception], message: str
) -> None:
    c = am.compile(f, 2.0)
    with pytest.raises(error, match=message):
        f(am.Value(bad))  # the scalar engine's own error ...
    with pytest.raises(error, match=message) as raised:
        c(bad)  # ... is the compiled code's
    assert raised.value.__context__ is None  # raised once to the user, even if run twice
    with pytest.raises(error, match=message):
        c.grad(bad)


# ---- sums: left to right like the engine's, overflow to inf -----------------------------------


def same(a: float, b: float) -> bool:
    """Equal, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_sums_add_left_to_right_and_follow_the_overflow_policy() -> None:
    def f(w: list[am.Value], x: list[am.Value]) -> am.Value:
        out = am.dot(w, x, bias=-1.0) + am.sum([w[0], w[1], -1.0])
        assert isinstance(out, am.Value)
        return out

    c = am.compile(f, [1.0, 2.0], [1.0, 1.0])
    assert "fsum" not in c.source and "sum(" not in c.source  # written as +, not called
    tiny, INF = 2.0**-60, math.inf  # 1 + 2^-60 - 1: 0, rounded at each addition
    cases = [([1.0, tiny], [1.0, 1.0]), ([1e308, 1e308], [1.0, 1.0]), ([INF, 1.0], [1.0, -INF])]
    for w, x in cases:  # rounded at each +; an overflow gives inf; inf - inf gives NaN
        values = [[am.Value(v) for v in w], [am.Value(v) for v in x]]
        out = f(*values)
        grads = c.grad(w, x)
        assert same(c(w, x), out.data) and same(grads.output, out.data), (w, x)  # type: ignore[arg-type]
        assert grads.inputs == tuple(am.gradients(out, v) for v in values)
    assert c([1.0, tiny], [1.0, 1.0]) == 0.0
    assert c([1e308, 1e308], [1.0, 1.0]) == INF and math.isnan(c([INF, 1.0], [1.0, -INF]))


# ---- the object ------------------------------------------------------------------------------


def test_backward_adds_into_grad_and_check_finds_a_data_dependent_graph() -> None:
    w = am.Value(2.0)
    c = am.compile(lambda x: w * x * x, [3.0][0], params=[w])
    w.grad = 1.0
    assert c.backward(3.0) == 18.0
    assert w.grad == 10.0
    c.check(-1.5)

    def branchy(x: am.Value) -> am.Value:
        return x * x if x.data > 0 else -x

    branch = am.compile(branchy, 2.0)
    branch.check(3.0)
    with pytest.raises(ValueError, match="depends on its data"):
        branch.check(-3.0)


def test_several_outputs_and_list_arguments() -> None:
    def f(xs: list[list[am.Value]]) -> list[am.Value]:
        return [xs[0][0] * xs[1][1], xs[0][1].exp()]

    c = am.compile(f, [[1.0, 2.0], [3.0, 4.0]], allow_unused=True)
    assert c([[1.0, 2.0], [3.0, 4.0]]) == [4.0, math.exp(2.0)]
    grads = c.grad([[1.0, 2.0], [3.0, 4.0]], grad_output=[1.0, 2.0])
    assert grads.inputs[0] == [[4.0, 2 * math.exp(2.0)], [0.0, 1.0]]
    with pytest.raises(ValueError, match="grad_output"):
        c.grad([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"expected shape \(2, 2\)"):
        c([1.0, 2.0])
    with pytest.raises(TypeError, match="1 argument"):
        c(1.0, 2.0)
    assert repr(c).startswith("Compiled(inputs=[(2, 2)], outputs=2, params=0")


def test_tracing_errors_are_those_of_trace() -> None:
    with pytest.raises(ValueError, match="does not depend on input"):
        am.compile(lambda x, y: x * 2.0, 1.0, 2.0)
    with pytest.raises(TypeError, match="must return a Value"):
        am.compile(lambda x: 3.0, 1.0)
    with pytest.raises(TypeError, match="must be a real number"):
        am.compile(lambda x: x, "a")
    assert "compile" not in am.__all__ and am.compile.__module__ == "autograd_mini.compiled"


# ---- the printer -----------------------------------------------------------------------------


def test_python_keeps_the_grouping_of_the_formula() -> None:
    a, b, c = Symbol("a"), Symbol("b"), Symbol("c")
    env = {"a": 0.3, "b": -1.7, "c": 2.9}
    formulas = [
        a - (b - c), (a - b) - c, a * (b * c), a / (b / c), -(a * b), a ** -b, (-a) ** c,
        (a + b) ** 2.0, 2.0 ** (a - c), a * a, -2.0 * a, a - -b, 1.0 - a * a,
    ]  # fmt: skip
    for formula in formulas:
        text = python(formula, lambda f: "f")
        value = eval(text, {"__builtins__": {}}, env)  # our own printed formula, not user text
        floats = _evaluate(formula, env)
        assert value == floats, (text, str(formula))


def _evaluate(s: Symbol, env: dict[str, float]) -> float:
    if s.kind == "name":
        return env[s.text]
    if s.kind == "number":
        return float(s.text)
    args = [_evaluate(a, env) for a in s.args]
    if s.kind == "neg":
        return -args[0]
    if s.kind == "**":
        return args[0] * args[0] if s.text == "*" else args[0] ** args[1]
    x, y = args
    return {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[s.kind]


@pytest.mark.parametrize("x", [math.nan, -0.0, 0.0, -1.5, 2.5, math.inf, -math.inf, 5e-324])
def test_a_forward_written_out_computes_what_the_rule_table_does(x: float) -> None:
    from autograd_mini.compiled import _WRITTEN_OUT

    for name, form in _WRITTEN_OUT.items():
        got = eval(form.format("x"), {"__builtins__": {}}, {"x": x})  # our own text
        expected = am.ops[name].forward(x)
        assert same(got, expected) and math.copysign(1.0, got) == math.copysign(1.0, expected)


@given(st.one_of(st.floats(-5, 5), st.just(math.nan), st.just(-0.0)), st.floats(-5, 5))
def test_an_indicator_prints_as_the_conditional_its_function_computes(x: float, at: float) -> None:
    from autograd_mini._symbolic import step, step_below

    env = {"x": x, "nan": math.nan}
    for formula, function in [(Symbol("x") > at, step), (Symbol("x") < at, step_below)]:
        text = python(formula, lambda f: "no_call")
        assert "no_call" not in text
        value = eval(text, {"__builtins__": {}}, env)  # our own printed formula, not user text
        assert same(value, function(x, at)), text


@given(st.floats(-5, 5), st.floats(-5, 5))
def test_step_helpers_are_the_engine_derivatives(x: float, at: float) -> None:
    from autograd_mini._symbolic import step, step_below

    assert step(x, at) == (1.0 if x > at else 0.0)
    assert step_below(x, at) == (1.0 if x < at else 0.0)
    assert math.isnan(step(math.nan, 0.0)) and math.isnan(step_below(math.nan, 0.0))


def test_labels_that_clash_with_generated_names_get_other_names() -> None:
    def f(x: am.Value) -> list[am.Value]:
        y = x.tanh()
        y.label = "seed_0"
        z = y * x
        z.label = "tanh"  # the name of tanh's function
        return [z, y]

    c = am.compile(f, 0.4)
    grads = c.grad(0.4, grad_output=[1.0, 3.0])
    x = am.Value(0.4)
    z, y = f(x)
    assert grads.inputs[0] == pytest.approx(am.gradients(z + 3.0 * y, x), rel=1e-12)
    assert "seed_0_2 = tanh(x)" in c.source and "tanh_2 = seed_0_2 * x" in c.source


def test_an_arithmetic_error_in_backward_names_the_operation_like_the_engine() -> None:
    x = am.Value(0.0)
    with pytest.raises(ZeroDivisionError) as engine:
        am.gradients(am.sqrt(x * 1.0), x)
    c = am.compile(lambda x: am.sqrt(x * 1.0), 4.0)
    with pytest.raises(ZeroDivisionError) as compiled:
        c.grad(0.0)
    assert (
        str(compiled.value)
        == str(engine.value)
        == ("backward of 'sqrt' at operand(s) 0.0: float division by zero")
    )


def test_grad_batch_sums_or_averages_the_examples() -> None:
    w = am.Value(1.5)
    c = am.compile(lambda x: (w * x).sigmoid(), 0.0, params=[w])
    X = [0.5, -1.0, 2.0]
    values, summed = c.grad_batch(X, reduction="sum")
    _, mean = c.grad_batch(X, reduction="mean")
    each = [c.grad(x) for x in X]
    assert values == [g.output for g in each]
    assert summed == [pytest.approx(sum(g.params[0] for g in each), rel=1e-15)]
    assert mean == [pytest.approx(summed[0] / 3, rel=1e-15)]
    with pytest.raises(ValueError, match=r"expected shape \(B, \)"):
        c.grad_batch([[0.5]])
    with pytest.raises(ValueError, match="reduction"):
        c.grad_batch(X, reduction="none")  # type: ignore[arg-type]


def test_fit_refuses_a_loss_whose_graph_depends_on_the_targets() -> None:
    X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0]
    model = MLP(2, [2, 1], seed=0)

    def label_dependent(predictions: list[am.Value], targets: list[Any]) -> am.Value:
        def value(t: Any) -> float:
            return t.data if isinstance(t, am.Value) else float(t)

        terms = [
            (p - t) * (p - t) if value(t) > 0.5 else p + t for p, t in zip(predictions, targets)
        ]
        total = am.sum(terms)
        assert isinstance(total, am.Value)
        return total

    with pytest.raises(ValueError, match="depends on its data"):
        train.fit(model, X, y, loss=label_dependent, epochs=1, progress=False, engine="compiled")
    with pytest.raises(ValueError, match="'scalar', 'tape', 'compiled'"):
        train.fit(model, X, y, epochs=1, progress=False, engine="gpu")


def test_a_negative_zero_constant_keeps_its_sign() -> None:
    # x * -0.0 is -0.0 for x > 0, and 1 / (x * -0.0) is -inf: the source must say -0.0
    c = am.compile(lambda x: x * -0.0, 2.0)
    assert "-0.0" in c.source
    assert math.copysign(1.0, c(2.0)) == -1.0 == math.copysign(1.0, (am.Value(2.0) * -0.0).data)
