"""SGD and Adam: hand-computed updates, PyTorch's numbers (when torch is installed), errors."""

from __future__ import annotations

import math
import random

import pytest

import autograd_mini as am
from autograd_mini.optim import SGD, Adam, Optimizer


def _run(opt: Optimizer, p: am.Value, grads: list[float]) -> list[float]:
    """Apply one step per gradient; return p after each step."""
    history = []
    for g in grads:
        p.grad = g
        opt.step()
        history.append(p.data)
    return history


# ---- SGD ----------------------------------------------------------------------------------


def test_plain_sgd_steps_against_the_gradient() -> None:
    p = am.Value(1.0)
    assert _run(SGD([p], lr=0.1), p, [2.0, -1.0]) == pytest.approx([0.8, 0.9])


def test_sgd_momentum_by_hand() -> None:
    # buf1 = 1; p = 1 - 0.1 = 0.9.  buf2 = 0.9 * 1 + 2 = 2.9; p = 0.9 - 0.29 = 0.61
    p = am.Value(1.0)
    assert _run(SGD([p], lr=0.1, momentum=0.9), p, [1.0, 2.0]) == pytest.approx([0.9, 0.61])


def test_sgd_weight_decay_by_hand() -> None:
    # g = 1 + 0.5 * 2 = 2; p = 2 - 0.1 * 2 = 1.8
    p = am.Value(2.0)
    assert _run(SGD([p], lr=0.1, weight_decay=0.5), p, [1.0]) == pytest.approx([1.8])


def test_sgd_momentum_and_weight_decay_by_hand() -> None:
    # step 1: g = 1 + 0.1 * 1 = 1.1, buf = 1.1, p = 1 - 0.5 * 1.1 = 0.45
    # step 2: g = 0 + 0.1 * 0.45 = 0.045, buf = 0.5 * 1.1 + 0.045 = 0.595, p = 0.45 - 0.2975
    p = am.Value(1.0)
    opt = SGD([p], lr=0.5, momentum=0.5, weight_decay=0.1)
    assert _run(opt, p, [1.0, 0.0]) == pytest.approx([0.45, 0.1525])


def test_sgd_minimises_a_quadratic() -> None:
    x = am.Value(5.0)
    opt = SGD([x], lr=0.1, momentum=0.5)
    for _ in range(200):
        opt.zero_grad()
        loss = (x - 3.0) ** 2
        loss.backward()
        opt.step()
    assert x.data == pytest.approx(3.0, abs=1e-9)


# ---- Adam --------------------------------------------------------------------------------


def test_adam_by_hand() -> None:
    # step 1: m = 0.1 * 2 = 0.2, v = 0.001 * 4 = 0.004; m̂ = 2, v̂ = 4
    #         p = 1 - 0.1 * 2 / (2 + 1e-8)
    # step 2 (g = 1): m = 0.9 * 0.2 + 0.1 = 0.28, v = 0.999 * 0.004 + 0.001 = 0.004996
    #         p -= 0.1 / (1 - 0.81) * 0.28 / (sqrt(0.004996) / sqrt(1 - 0.998001) + 1e-8)
    p = am.Value(1.0)
    got = _run(Adam([p], lr=0.1), p, [2.0, 1.0])
    p1 = 1.0 - 0.1 * 2.0 / (2.0 + 1e-8)
    p2 = p1 - 0.1 / 0.19 * 0.28 / (math.sqrt(0.004996) / math.sqrt(1 - 0.998001) + 1e-8)
    assert got == pytest.approx([p1, p2], rel=1e-12)


def test_adam_weight_decay_adds_to_the_gradient() -> None:
    a, b = am.Value(2.0), am.Value(2.0)
    _run(Adam([a], lr=0.1, weight_decay=0.5), a, [1.0, 3.0])
    opt = Adam([b], lr=0.1)
    b.grad = 1.0 + 0.5 * 2.0
    opt.step()
    b.grad = 3.0 + 0.5 * b.data
    opt.step()
    assert a.data == b.data


def test_adam_minimises_a_quadratic() -> None:
    x, y = am.Value(5.0), am.Value(-4.0)
    opt = Adam([x, y], lr=0.1)
    for _ in range(500):
        opt.zero_grad()
        loss = (x - 3.0) ** 2 + 10 * (y + 1.0) ** 2
        loss.backward()
        opt.step()
    assert (x.data, y.data) == pytest.approx((3.0, -1.0), abs=1e-3)


# ---- shared behaviour and errors ------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps)])
def test_zero_grad_clears_every_parameter(make: object) -> None:
    ps = [am.Value(1.0), am.Value(2.0)]
    for p in ps:
        p.grad = 3.0
    make(ps).zero_grad()  # type: ignore[operator]
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SGD([am.Value(1.0)], lr=-0.1), "lr must be >= 0.0, got -0.1"),
        (lambda: SGD([am.Value(1.0)], lr=math.nan), "lr must be a finite real number"),
        (lambda: SGD([am.Value(1.0)], lr=0.1, momentum=-1), "momentum must be >= 0.0"),
        (lambda: SGD([am.Value(1.0)], lr=0.1, weight_decay=-1), "weight_decay must be"),
        (lambda: Adam([am.Value(1.0)], betas=(1.0, 0.9)), r"betas\[0\] must be \[0.0, 1.0\)"),
        (lambda: Adam([am.Value(1.0)], betas=(0.9,)), "betas must be a pair"),  # type: ignore[arg-type]
        (lambda: Adam([am.Value(1.0)], eps=-1.0), "eps must be >= 0.0"),
        (lambda: SGD([], lr=0.1), "SGD got an empty parameter list"),
        (lambda: Adam([am.Value(1.0)] * 2), "appears more than once"),
    ],
)
def test_bad_arguments(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_non_value_parameters() -> None:
    with pytest.raises(TypeError, match="parameters must be Values, got float"):
        SGD([1.0], lr=0.1)  # type: ignore[list-item]


def test_reprs() -> None:
    assert repr(SGD([am.Value(1.0)], lr=0.1)) == (
        "SGD(1 parameters, lr=0.1, momentum=0.0, weight_decay=0.0)"
    )
    assert repr(Adam([am.Value(1.0)])).startswith("Adam(1 parameters, lr=0.001, betas=(0.9, 0.999)")


def test_base_optimizer_has_no_step() -> None:
    with pytest.raises(NotImplementedError):
        Optimizer([am.Value(1.0)]).step()


# ---- PyTorch as an oracle (optional) -------------------------------------------------------


def _torch_trajectory(
    name: str, kwargs: dict[str, object], start: list[float], grads: list[list[float]]
) -> list[list[float]]:
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64))
    opt = getattr(torch.optim, name)([p], **kwargs)
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().tolist())
    return out


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"lr": 0.1}),
        ("SGD", {"lr": 0.05, "momentum": 0.9}),
        ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}),
        ("Adam", {"lr": 0.01}),
        ("Adam", {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ],
)
def test_matches_pytorch_over_many_steps(name: str, kwargs: dict[str, object]) -> None:
    rng = random.Random(0)
    start = [rng.uniform(-1, 1) for _ in range(4)]
    grads = [[rng.gauss(0, 1) for _ in range(4)] for _ in range(25)]
    expected = _torch_trajectory(name, kwargs, start, grads)
    params = [am.Value(x) for x in start]
    opt = {"SGD": SGD, "Adam": Adam}[name](params, **kwargs)
    for g, want in zip(grads, expected):
        for p, gi in zip(params, g):
            p.grad = gi
        opt.step()
        assert [p.data for p in params] == pytest.approx(want, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: Adam(ps, lr=0.05, weight_decay=0.01),
    ],
    ids=["sgd", "adam"],
)
def test_update_on_an_array_is_step_on_the_values_to_the_last_bit(make: object) -> None:
    """`step` is `update` on the Values' numbers: a flat array updated alongside ends
    exactly where the Values do (the array path `fit(engine="tape")` takes), state and all."""
    import numpy as np

    rng = random.Random(3)
    start = [rng.uniform(-1, 1) for _ in range(7)]
    values = [am.Value(v) for v in start]
    by_values = make(values)  # type: ignore[operator]
    by_array = make([am.Value(v) for v in start])  # type: ignore[operator]
    data = np.array(start)
    for _ in range(5):
        grads = [rng.uniform(-2, 2) for _ in values]
        for p, g in zip(values, grads):
            p.grad = g
        by_values.step()
        by_array.update(data, np.array(grads))
        assert data.tolist() == [p.data for p in values]


def test_update_names_an_array_of_the_wrong_shape_or_type() -> None:
    import numpy as np

    opt = SGD([am.Value(1.0), am.Value(2.0)], lr=0.1)
    data = np.array([1.0, 2.0])
    with pytest.raises(
        ValueError, match=r"SGD.update: grad must be a float64 array of shape \(2,\), got \(3,\)"
    ):
        opt.update(data, np.zeros(3))
    with pytest.raises(ValueError, match=r"data must be a float64 array.*int64"):
        opt.update(np.array([1, 2]), np.zeros(2))
    assert data.tolist() == [1.0, 2.0]
