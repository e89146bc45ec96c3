"""gradcheck and gradgradcheck: they pass correct gradients and catch wrong ones."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given

import autograd_mini as am
from autograd_mini import Value, testing
from autograd_mini.testing import Expression, expressions


def test_passes_a_correct_gradient() -> None:
    assert am.gradcheck(lambda x, y: (x * y).tanh() + y.exp(), [0.3, -1.2]) is True


def test_reports_each_wrong_input_with_both_values() -> None:
    # x.data is a constant to backprop: d/dx (x * x.data) comes out as x instead of 2x.
    with pytest.raises(am.GradcheckError) as caught:
        am.gradcheck(lambda x, y: x * x.data + y, [3.0, 1.0])
    message = str(caught.value)
    assert "1 derivative(s) disagree" in message
    assert "d f/d x[0]: analytic 3.0, numeric 6.0" in message
    assert "relative error 0.5" in message
    assert "x[1]" not in message


def test_fast_mode_catches_a_wrong_gradient_with_one_direction() -> None:
    f = lambda *xs: am.sum([x * x.data for x in xs])  # noqa: E731
    with pytest.raises(am.GradcheckError, match="along a random direction"):
        am.gradcheck(f, [1.0, 2.0, 3.0, 4.0], fast_mode=True)
    assert am.gradcheck(lambda *xs: am.sum([x * x for x in xs]), [1.0, 2.0, 3.0], fast_mode=True)


# x**2 whose partial treats x as a constant: right first derivative, wrong second.
_square_with_first_order_only_rule = am.defop(
    "square_first_order_only",
    lambda x: x * x,
    lambda out, x: 2.0 * (x.data if isinstance(x, Value) else x),
)


def test_order_two_catches_a_rule_that_is_only_right_to_first_order() -> None:
    assert am.gradcheck(_square_with_first_order_only_rule, [1.5])
    with pytest.raises(
        am.GradcheckError, match=r"d²f/d x\[0\] d x\[0\]: analytic 0.0, numeric 1.99999"
    ):
        am.gradgradcheck(_square_with_first_order_only_rule, [1.5])
    with pytest.raises(am.GradcheckError):
        am.gradcheck(_square_with_first_order_only_rule, [1.5], order=2, fast_mode=True)


@pytest.mark.parametrize(
    ("inputs", "kind", "message"),
    [
        ([], ValueError, "inputs is empty"),
        ([1.0, float("nan")], ValueError, r"inputs\[1\] must be a finite real number, got nan"),
        (["1"], ValueError, r"inputs\[0\] must be a finite real number, got '1'"),
        ("12", TypeError, "inputs must be a sequence of numbers"),
    ],
)
def test_refuses_bad_inputs(inputs: object, kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        am.gradcheck(lambda x: x, inputs)  # type: ignore[arg-type]


def test_refuses_a_function_that_does_not_return_a_value() -> None:
    with pytest.raises(TypeError, match="must return a Value, got float"):
        am.gradcheck(lambda x: 1.0, [1.0])  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        am.gradcheck(lambda x: x, [1.0], order=3)


@given(expressions(names=("a", "b")))
def test_expressions_are_functions_gradcheck_accepts(expr: Expression) -> None:
    assert am.gradcheck(expr, expr.values, fast_mode=True)
    assert set(expr.names) == {"a", "b"} and len(expr.values) == 2
    assert isinstance(expr(*expr.values), Value)


def test_testing_module_says_how_to_install_hypothesis() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n    import autograd_mini.testing\n"
        "except ImportError as e:\n    print(e)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "pip install 'autograd-mini[testing]'" in result.stdout


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_built_in_op_has_exactly_one_torch_counterpart() -> None:
    # the built-ins: the table of a fresh interpreter with every module of the library
    # loaded, before any test registers its own operations
    code = "import autograd_mini as am; [getattr(am, n) for n in dir(am)]; print(*am.ops)"
    built_in = _run(code).split()
    assert "xlogy" in built_in and "**n" in built_in
    assert sorted(testing.TORCH_OPS) == sorted(built_in)


def test_the_testing_module_imports_without_torch_and_the_replay_says_what_it_needs() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import autograd_mini as am, autograd_mini.testing as t\n"
        "try:\n    t.torch_replay(am.Value(1.0) * 2)\n"
        "except ImportError as e:\n    print(e)\n"
    )
    assert _run(code).strip() == "torch_replay needs PyTorch: pip install torch"
