"""grad and value_and_grad: floats out, tuples for several argnums, and composition."""

from __future__ import annotations

import collections
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_mini as am


def test_grad_returns_a_float() -> None:
    d = am.grad(lambda x: x * x * x)(2.0)
    assert type(d) is float and d == 12.0


def test_value_and_grad_with_several_argnums() -> None:
    value, (dx, dz) = am.value_and_grad(lambda x, y, z: x * y + z**2, argnums=(0, 2))(2.0, 3.0, 4.0)
    assert (value, dx, dz) == (22.0, 3.0, 8.0)


def test_grad_of_a_function_that_ignores_its_input_is_zero() -> None:
    assert am.grad(lambda x: 5.0)(1.0) == 0.0
    assert am.grad(lambda x, y: y * 2, argnums=0)(1.0, am.Value(3.0)) == 0.0


@given(st.floats(-3, 3))
def test_third_derivative_of_exp_is_exp(t: float) -> None:
    d3 = am.grad(am.grad(am.grad(am.exp)))
    assert d3(t) == pytest.approx(math.exp(t), rel=1e-12)


@given(st.floats(-2, 2))
def test_second_derivative_through_a_composite(t: float) -> None:
    # f = x * tanh(x): f'' = 2 sech^2 x - 2 x tanh x sech^2 x
    sech2 = 1 - math.tanh(t) ** 2
    expected = 2 * sech2 - 2 * t * math.tanh(t) * sech2
    assert am.grad(am.grad(lambda x: x * x.tanh()))(t) == pytest.approx(expected, abs=1e-12)


def test_nested_grads_do_not_confuse_their_perturbations() -> None:
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x
    assert am.grad(lambda x: x * am.grad(lambda y: x * y)(2.0))(3.0) == 6.0
    # d/dx [d/dy (x * y) at y = x] = d/dx [x] = 1, not 2
    assert am.grad(lambda x: am.grad(lambda y: x * y)(x))(2.0) == 1.0


def test_mixed_partial_derivative() -> None:
    f = lambda x, y: x * x * y  # noqa: E731
    d_dx_dy = am.grad(lambda y: am.grad(f, argnums=0)(1.5, y))
    assert d_dx_dy(4.0) == 3.0  # 2x


def test_grad_refuses_bad_argnums_and_arguments() -> None:
    with pytest.raises(TypeError, match="argnums must be a non-negative int"):
        am.grad(lambda x: x, argnums=-1)
    with pytest.raises(TypeError, match="asks for argument 2, but 1 argument"):
        am.grad(lambda x: x, argnums=2)(1.0)
    with pytest.raises(TypeError, match="argument 0 must be a real number, got str"):
        am.grad(lambda x: x)("1.0")
    with pytest.raises(TypeError, match=r"must return a Value or a number .* got list"):
        am.grad(lambda x: [x])(1.0)


def test_grad_keeps_the_function_name() -> None:
    def energy(x: am.Value) -> am.Value:
        return x * x

    assert am.grad(energy).__name__ == "energy"


def test_has_aux_returns_the_aux_beside_the_gradient_of_the_output_only() -> None:
    def loss(w: am.Value) -> tuple[am.Value, dict[str, float]]:
        prediction = w * 2.0
        return (prediction - 1.0) ** 2, {"prediction": prediction.data}

    assert am.value_and_grad(loss, has_aux=True)(3.0) == ((25.0, {"prediction": 6.0}), 20.0)
    assert am.grad(loss, has_aux=True)(3.0) == (20.0, {"prediction": 6.0})
    # Values in the aux come back as numbers at the top level (not differentiated), and
    # as Values inside another transform, where they may still be differentiated
    assert am.grad(lambda x: (x * x, [x * 3.0, (x, {"k": x})]), has_aux=True)(2.0) == (
        4.0,
        [6.0, (2.0, {"k": 2.0})],
    )
    point = collections.namedtuple("point", "x y")
    _, aux = am.grad(lambda x: (x * x, point(x, x + 1.0)), has_aux=True)(2.0)
    assert aux == point(2.0, 3.0) and type(aux) is point

    def outer(y: am.Value) -> am.Value:
        _, aux = am.grad(lambda x: (x * y, x * y * y), has_aux=True)(2.0)
        assert isinstance(aux, am.Value)
        return aux

    assert am.grad(outer)(3.0) == 12.0  # d/dy (2 y²) at y = 3
    with pytest.raises(TypeError, match=r"must return a pair \(output, aux\)"):
        am.grad(lambda x: x * x, has_aux=True)(2.0)
