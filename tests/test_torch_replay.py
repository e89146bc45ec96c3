"""testing.torch_replay and assert_matches_torch: backprop against a replay in PyTorch
(the checks that need no PyTorch are in test_gradcheck.py)."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given, settings

import autograd_mini as am
from autograd_mini import Value, losses, nn, testing, train
from autograd_mini._engine import identity, xlogy
from autograd_mini.testing import assert_matches_torch, expressions, torch_replay

torch = pytest.importorskip("torch")


def _leaves(*values: float) -> list[Value]:
    return [Value(v, label=f"x{i}") for i, v in enumerate(values)]


# One graph per built-in op, at ordinary points and at its kinks and ties.
CASES: list[tuple[str, Any, tuple[float, ...]]] = [
    ("+", lambda x: x[0] + x[1], (1.5, -2.0)),
    ("-", lambda x: x[0] - x[1], (1.5, -2.0)),
    ("*", lambda x: x[0] * x[1], (1.5, -2.0)),
    ("*", lambda x: x[0] * x[0], (3.0,)),
    ("/", lambda x: x[0] / x[1], (1.5, -2.0)),
    ("**", lambda x: x[0] ** x[1], (1.5, -2.5)),
    ("**n", lambda x: x[0] ** 3, (-1.5,)),
    ("**n", lambda x: x[0] ** -0.5, (2.0,)),
    ("**n", lambda x: x[0] ** 0, (0.0,)),
    ("neg", lambda x: -x[0], (2.0,)),
    ("exp", lambda x: am.exp(x[0]), (0.7,)),
    ("log", lambda x: am.log(x[0]), (0.7,)),
    ("sqrt", lambda x: am.sqrt(x[0]), (0.7,)),
    ("tanh", lambda x: am.tanh(x[0]), (0.7,)),
    ("sigmoid", lambda x: am.sigmoid(x[0]), (-0.7,)),
    ("sigmoid", lambda x: am.sigmoid(x[0]), (-800.0,)),
    ("relu", lambda x: am.relu(x[0]), (0.7,)),
    ("relu", lambda x: am.relu(x[0]), (0.0,)),
    ("abs", lambda x: am.abs(x[0]), (-0.7,)),
    ("abs", lambda x: am.abs(x[0]), (0.0,)),
    ("identity", lambda x: identity(x[0]), (0.7,)),
    ("sum", lambda x: am.sum(x), (1.0, 2.0, -3.0)),
    ("max", lambda x: am.max(x), (1.0, 3.0, -3.0)),
    ("max", lambda x: am.max(x), (1.0, 3.0, 3.0)),  # a tie: the first arg-max gets it all
    ("max", lambda x: am.max([x[0], x[0] * 1.0]), (2.0,)),
    ("dot", lambda x: am.dot(x[:2], x[2:4]), (1.0, 2.0, -3.0, 0.5)),
    ("dot", lambda x: am.dot(x[:2], x[2:4], bias=x[4]), (1.0, 2.0, -3.0, 0.5, 4.0)),
    ("xlogy", lambda x: xlogy(x[0], x[1]), (0.5, 2.0)),
]


@pytest.mark.parametrize(("name", "build", "at"), CASES, ids=[f"{c[0]}{c[2]}" for c in CASES])
def test_each_built_in_op_matches_torch(name: str, build: Any, at: tuple[float, ...]) -> None:
    y = build(_leaves(*at))
    assert name in {node.op for node in am.topological_order(y)}
    assert_matches_torch(y, rtol=1e-14, atol=0.0)


def test_xlogy_gives_y_no_gradient_where_x_is_0_even_at_y_0() -> None:
    # torch's own ∂/∂y is x/y: NaN at x = y = 0; the rule table's is 0 wherever x is 0
    x, y = Value(0.0), Value(0.0)
    bare = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    torch.xlogy(torch.tensor(0.0, dtype=torch.float64), bare).backward()
    assert math.isnan(bare.grad.item())
    assert torch_replay(xlogy(x, y), [y]) == [0.0]
    assert_matches_torch(xlogy(x, Value(2.0)) + xlogy(x, y), [y])


def test_xlogy_gradient_for_x_at_0_is_ln_y_as_in_torch() -> None:
    x = Value(0.0)  # xlogy is linear in x: ∂/∂x is ln y even where x is 0
    assert_matches_torch(xlogy(x, Value(2.0)), [x])


def test_max_gives_its_gradient_to_the_first_arg_max_as_torch_does_along_a_dim() -> None:
    terms = _leaves(3.0, 1.0, 3.0, 3.0)
    assert torch_replay(am.max(terms)) == [1.0, 0.0, 0.0, 0.0]


@settings(max_examples=200)
@given(expressions(smooth=False))
def test_random_graphs_match_torch(expr: testing.Expression) -> None:
    inputs = [Value(v, label=name) for name, v in zip(expr.names, expr.values)]
    assert_matches_torch(expr(*inputs))  # the default tolerances held on 3,000 draws


@pytest.mark.parametrize("activation", nn.ACTIVATIONS)
def test_every_activation_of_an_mlp_matches_torch(activation: str) -> None:
    model = nn.MLP(3, [4, 2], activation=activation, output_activation=activation, seed=0)
    outs = model([0.5, -1.0, 2.0])
    assert isinstance(outs, list)
    y = outs[0] * 0.3 - outs[1] * 1.7
    assert_matches_torch(y)
    assert all(p.grad == 0.0 for p in model.parameters())  # .grad is not touched


LOGITS = [[0.3, -1.2, 2.0], [1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]]


@pytest.mark.parametrize("row", LOGITS)
def test_the_logit_losses_match_torch_even_at_extreme_logits(row: list[float]) -> None:
    z = [Value(v) for v in row]
    for loss in (
        losses.binary_cross_entropy_with_logits(z, [1.0, 0.0, 1.0], reduction="mean"),
        losses.softmax_cross_entropy(z, 2),
        losses.softmax_cross_entropy([z, z[::-1]], [0, [0.2, 0.3, 0.5]], reduction="mean"),
    ):
        assert_matches_torch(loss, z)
        assert all(math.isfinite(g) for g in torch_replay(loss, z))


@pytest.mark.parametrize("target", [0.0, 1.0, 0.3])
def test_the_probability_losses_match_torch(target: float) -> None:
    # p = y = 0 and p = y = 1 meet xlogy(0, 0), where torch's own ∂/∂y is NaN
    p = [Value(0.2), Value(target if target in (0.0, 1.0) else 0.9), Value(0.5)]
    for loss in (
        losses.mse(p, [target, target, 1.0]),
        losses.binary_cross_entropy(p, [target, target, 1.0], reduction="mean"),
    ):
        assert_matches_torch(loss, p)  # the targets are constants: no gradient compared


def test_every_loss_of_train_is_covered_here() -> None:
    covered = {
        "mse",
        "binary_cross_entropy",
        "binary_cross_entropy_with_logits",
        "softmax_cross_entropy",
    }
    assert set(train.LOSSES) == covered


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def test_a_wrong_user_partial_is_caught_given_a_torch_counterpart() -> None:
    wrong = am.defop("softplus_wrong_partial", _softplus, lambda out, x: 1.0 - am.sigmoid(x))
    right = am.defop("softplus_right_partial", _softplus, lambda out, x: am.sigmoid(x))
    softplus = torch.nn.functional.softplus
    x = Value(0.5, label="x")
    assert_matches_torch(right(x) * x, extra={"softplus_right_partial": softplus})
    with pytest.raises(AssertionError) as caught:
        assert_matches_torch(wrong(x) * x, extra={"softplus_wrong_partial": softplus})
    ours = _softplus(0.5) + 0.5 * (1.0 - am.sigmoid(0.5))
    theirs = _softplus(0.5) + 0.5 * am.sigmoid(0.5)
    message = str(caught.value)
    assert "1 number(s) differ" in message
    assert f"input 0 'x' (value 0.5): ours {ours!r}, torch {theirs!r}"[:50] in message
    assert "y itself" not in message


def test_a_wrong_forward_fools_finite_differences_but_not_the_replay() -> None:
    shifted = am.defop(
        "softplus_plus_1", lambda x: _softplus(x) + 1.0, lambda out, x: am.sigmoid(x)
    )
    assert am.gradcheck(shifted, [0.5])  # its slope is right: finite differences agree
    with pytest.raises(AssertionError, match=r"y itself: ours 1\.97\d*, torch 0\.97"):
        assert_matches_torch(
            shifted(Value(0.5)), extra={"softplus_plus_1": torch.nn.functional.softplus}
        )


def test_a_user_op_without_a_counterpart_is_named() -> None:
    cube = am.defop("cube_without_torch", lambda x: x**3, lambda out, x: 3.0 * x * x)
    with pytest.raises(
        ValueError, match=r"no PyTorch counterpart for the operation\(s\) 'cube_without_torch'"
    ):
        torch_replay(cube(Value(2.0)) + 1.0)
    assert torch_replay(cube(Value(2.0)), extra={"cube_without_torch": lambda x: x**3}) == [12.0]


def test_a_user_op_with_a_setting_gets_it_as_a_float() -> None:
    scaled = am.defop("scale_by_setting", lambda x, k: k * x, lambda out, x, k: k, None)
    seen: list[object] = []

    def counterpart(x: Any, k: Any) -> Any:
        seen.append(k)
        return k * x

    x = Value(2.0)
    y = scaled(x, 3.0)
    assert_matches_torch(y, extra={"scale_by_setting": counterpart})
    assert seen == [3.0]


def test_the_replay_is_aligned_with_the_leaves_or_the_inputs() -> None:
    x, unused = Value(2.0, label="x"), Value(5.0)
    y = x * x + 1.0
    assert [v.label or v.data for v in am.topological_order(y) if not v.op] == ["x", 1.0]
    assert torch_replay(y) == [4.0, 1.0]
    assert torch_replay(y, [unused, x, x]) == [0.0, 4.0, 4.0]
    assert torch_replay(x) == [1.0] and torch_replay(y, []) == []
    assert torch_replay(x**2, [x, *am.topological_order(x**2)[1:2]]) == [4.0, 0.0]  # exponent


def test_no_grad_is_left_changed() -> None:
    x = Value(2.0)
    y = am.tanh(x * x)
    x.grad, y.grad = 7.0, 1.5
    assert_matches_torch(y)
    torch_replay(y)
    assert (x.grad, y.grad) == (7.0, 1.5)


def test_mismatches_list_every_leaf_that_differs() -> None:
    wrong = am.defop("mul_wrong_partials", lambda a, b: a * b, lambda out, a, b: a, 1.0)
    a, b = Value(2.0, label="a"), Value(3.0)
    with pytest.raises(AssertionError) as caught:
        assert_matches_torch(wrong(a, b), extra={"mul_wrong_partials": lambda a, b: a * b})
    assert str(caught.value).splitlines()[1:] == [
        "  input 0 'a' (value 2.0): ours 2.0, torch 3.0",
        "  input 1 (value 3.0): ours 1.0, torch 2.0",
    ]


def test_graphs_made_under_detect_anomaly_replay_too() -> None:
    with am.detect_anomaly():
        x = Value(0.3)
        y = am.sigmoid(x) * am.log(x)
    assert_matches_torch(y)


def test_a_deep_chain_replays() -> None:
    x = Value(0.1)
    y = x
    for _ in range(3000):
        y = am.tanh(y) + 0.01
    assert_matches_torch(y)


@pytest.mark.parametrize(
    ("call", "kind", "message"),
    [
        (lambda: torch_replay(1.0), TypeError, "torch_replay: y must be a Value, got float"),  # type: ignore[arg-type]
        (lambda: torch_replay(Value(1.0), Value(1.0)), TypeError, "inputs must be a sequence"),  # type: ignore[arg-type]
        (lambda: torch_replay(Value(1.0), [1.0]), TypeError, r"inputs\[0\] must be a Value"),  # type: ignore[list-item]
        (lambda: torch_replay(Value(1.0), extra=[]), TypeError, "extra must be a mapping"),  # type: ignore[arg-type]
        (lambda: torch_replay(Value(1.0), extra={"f": 1}), TypeError, r"extra\['f'\] must be a"),  # type: ignore[dict-item]
        (lambda: assert_matches_torch(Value(1.0), rtol=-1), ValueError, "rtol must be a number"),
        (lambda: assert_matches_torch(Value(1.0), atol=math.nan), ValueError, "atol must be"),
    ],
)
def test_bad_arguments_are_named(call: Any, kind: type[Exception], message: str) -> None:
    with pytest.raises(kind, match=message):
        call()


def test_a_counterpart_that_returns_no_tensor_is_named() -> None:
    half = am.defop("half_returning_float", lambda x: x / 2, 0.5)
    with pytest.raises(TypeError, match="counterpart of 'half_returning_float' must return a"):
        torch_replay(half(Value(1.0)), extra={"half_returning_float": lambda x: 0.5})  # type: ignore[dict-item, return-value]


def test_the_tolerances_decide() -> None:
    rng = random.Random(0)
    xs = [Value(rng.uniform(-1, 1)) for _ in range(50)]
    y = am.sum([am.tanh(x) * x for x in xs])
    assert_matches_torch(y)
    off = am.defop("tanh_off_by_1e-9", math.tanh, lambda out, x: 1.0 - out * out + 1e-9)
    z = off(Value(0.5))
    assert_matches_torch(z, rtol=1e-8, extra={"tanh_off_by_1e-9": lambda x: x.tanh()})
    with pytest.raises(AssertionError):
        assert_matches_torch(z, extra={"tanh_off_by_1e-9": lambda x: x.tanh()})
