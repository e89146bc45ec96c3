"""The command line's expression parser: a whitelist over Python's syntax tree."""

from __future__ import annotations

import builtins
import contextlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini._parser import FUNCTIONS, MAX_LENGTH, ExpressionError, parse
from autograd_mini.testing import expressions


@settings(max_examples=150)
@given(expressions(names=("x", "y", "z"), smooth=False))
def test_printed_expressions_parse_to_the_same_values_and_gradients(expr) -> None:  # type: ignore[no-untyped-def]
    leaves = [am.Value(v) for v in expr.values]
    expected = expr(*leaves)
    parsed = parse(str(expr), expr.names)
    mine = [am.Value(v) for v in expr.values]
    got = parsed.evaluate(dict(zip(expr.names, mine)))
    assert isinstance(got, am.Value)
    assert got.data == pytest.approx(expected.data, rel=1e-12, abs=1e-12)
    for a, b in zip(am.gradients(got, mine), am.gradients(expected, leaves)):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9)


@settings(max_examples=300)
@given(st.text(max_size=40) | st.text(alphabet="xy()+-*/.,[]:=' 0123456789eiltanhp", max_size=40))
def test_arbitrary_text_is_accepted_or_refused_with_expression_error(text: str) -> None:
    try:
        expression = parse(text, ["x", "y"])
    except ExpressionError as error:
        assert "\n" not in str(error)
        return
    # a domain error such as log(-1) is a failure at run time, not a parse failure
    with contextlib.suppress(ArithmeticError, ValueError):
        expression.evaluate({"x": am.Value(0.5), "y": am.Value(-1.5)})


def test_parsing_and_evaluating_never_call_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval or exec was called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    expression = parse("tanh(x) * 2**y - sqrt(abs(x)) / e", ["x", "y"])
    value = expression.evaluate({"x": 0.5, "y": 3.0})
    assert value == pytest.approx(math.tanh(0.5) * 8 - math.sqrt(0.5) / math.e)


def test_names_are_the_variables_used_in_order_of_appearance() -> None:
    assert parse("y * x + y + pi", ["x", "y", "z"]).names == ("y", "x")


def test_a_variable_named_like_a_constant_wins() -> None:
    assert parse("e", ["e"]).evaluate({"e": 2.0}) == 2.0
    assert parse("e", []).evaluate({}) == math.e


def test_number_only_parts_are_floats_and_variables_build_a_graph() -> None:
    x = am.Value(3.0, label="x")
    result = parse("x * (2 + 3)", ["x"]).evaluate({"x": x})
    assert isinstance(result, am.Value)
    assert [v.data for v in am.topological_order(result)] == [3.0, 5.0, 15.0]


def test_constant_exponents_stay_numbers_so_negative_bases_work() -> None:
    x = am.Value(-2.0)
    result = parse("x ** 2 + x ** -1", ["x"]).evaluate({"x": x})
    assert isinstance(result, am.Value)
    assert result.data == 3.5


def test_every_function_is_callable() -> None:
    for name, function in FUNCTIONS.items():
        assert parse(f"{name}(x)", ["x"]).evaluate({"x": 0.25}) == function(0.25)


def test_very_long_chains_evaluate_without_recursion() -> None:
    text = "+".join(["x"] * 500)
    assert parse(text, ["x"]).evaluate({"x": 1.0}) == 500.0


def test_flat_sums_and_products_of_thousands_of_terms_parse_left_to_right() -> None:
    total = parse("+".join(["x"] * 5000), ["x"])  # 9,999 characters, under MAX_LENGTH
    assert total.evaluate({"x": 1.0}) == 5000.0
    differences = parse(
        "1 - " + " - ".join(["x"] * 2400), ["x"]
    )  # (1 - x) - x ..., not 1 - (x - ...)
    assert differences.evaluate({"x": 1.0}) == 1.0 - 2400.0
    quotients = parse("-".join(["2/x/x/x"] * 1000) + "*y", ["x", "y"])  # chains in a chain
    assert quotients.evaluate({"x": 2.0, "y": 3.0}) == 0.25 - 998 * 0.25 - 0.25 * 3.0
    x = am.Value(1.0001)
    result = parse("*".join(["x"] * 3000), ["x"]).evaluate({"x": x})
    assert isinstance(result, am.Value)
    assert len(am.topological_order(result)) == 3000  # x and 2,999 products, one chain
    result.backward()
    assert x.grad == pytest.approx(3000 * 1.0001**2999, rel=1e-9)


def test_a_refused_term_of_a_long_sum_is_named_where_it_stands() -> None:
    text = "+".join(["x"] * 3000) + " + (x +\n é.real)"
    with pytest.raises(ExpressionError, match=r"attribute access is not allowed: 'é\.real'"):
        parse(text, ["x", "é"])


@pytest.mark.parametrize(
    "text",
    [
        "-" * 5000 + "x",  # unary minus nested 5,000 deep
        "exp(" + "+".join(["x"] * 4000) + ")",  # a long sum inside a call
        "x**" * 3300 + "x",  # a power tower, which is right-associative: real nesting
    ],
)
def test_real_nesting_beyond_the_parser_says_which_limit_was_hit(text: str) -> None:
    with pytest.raises(ExpressionError, match="nested too deeply for Python's parser") as info:
        parse(text, ["x"])
    assert "unary operators, powers or calls" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x.data", "attribute access is not allowed: 'x.data'"),
        ("x[0]", "subscripts are not allowed"),
        ("x[1:2]", "subscripts are not allowed"),
        ("b'x'", "strings are not allowed"),
        ("f'{x}'", "strings are not allowed"),
        ("(i for i in x)", "comprehensions are not allowed"),
        ("{i: 1 for i in x}", "comprehensions are not allowed"),
        ("x; y", "several statements are not allowed"),
        ("None", "only numbers are allowed as constants, not None"),
        ("~x", "the operator '~' is not allowed"),
        ("{x: 1}", "dicts are not allowed"),
        ("[x]", "lists are not allowed"),
        ("x.exp()", "only the functions .* may be called"),
        ("(y := x)", "assignment expressions are not allowed"),
        ("1j", "complex numbers are not allowed"),
        ("'a'", "strings are not allowed"),
        ("lambda: 0", "lambda expressions are not allowed"),
        ("[x for x in y]", "comprehensions are not allowed"),
        ("import os", "import statements are not allowed"),
        ("z", "name 'z' has no value; give it one with --at z=NUMBER"),
        ("open(x)", "unknown function 'open'"),
        ("tanh", "the function 'tanh' must be called"),
        ("tanh(x=1)", "keyword arguments are not allowed"),
        ("tanh(*y)", "starred arguments are not allowed"),
        ("exp()", "exp takes exactly one argument, got 0"),
        ("x ^ 2", "the operator '^' is not allowed"),
        ("x == 1", "comparisons are not allowed"),
        ("True", "only numbers are allowed as constants, not True"),
        ("1" * 400, "is too large"),
        ("x * 1e999", "the number '1e999' is too large"),
        ("x + 1e400 - 2", "the number '1e400' is too large"),
        ("x +", "invalid syntax"),
        ("", "the expression is empty"),
        ("x" * (MAX_LENGTH + 1), "too long"),
        ("(" * 300 + "x" + ")" * 300, "nested"),
    ],
)
def test_refusals_name_what_was_refused(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace("^", r"\^")):
        parse(text, ["x", "y"])


def test_variables_named_like_functions_are_refused() -> None:
    with pytest.raises(ExpressionError, match="'exp' is a function"):
        parse("x", ["x", "exp"])


def test_evaluate_needs_every_variable() -> None:
    with pytest.raises(ExpressionError, match="'y' has no value"):
        parse("x + y", ["x", "y"]).evaluate({"x": 1.0})


def test_domain_errors_come_from_the_engine_with_its_messages() -> None:
    with pytest.raises(ZeroDivisionError, match="division: divisor is zero"):
        parse("1 / (x - x)", ["x"]).evaluate({"x": 1.0})
    with pytest.raises(ZeroDivisionError, match="division: divisor is zero"):
        parse("1 / 0", []).evaluate({})
    with pytest.raises(ValueError, match="log: operand must be > 0"):
        parse("log(0 - 1)", []).evaluate({})


def test_parse_needs_a_string() -> None:
    with pytest.raises(TypeError, match="str"):
        parse(b"x", ["x"])  # type: ignore[arg-type]
