"""MLP.to_torch / MLP.from_torch, and .safetensors files read by plain PyTorch."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from autograd_mini import Value, nn

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

ARCHITECTURES = [
    (2, [3, 1], "sigmoid", "sigmoid", True),
    (3, [5, 4, 2], "tanh", "linear", True),
    (4, [6, 3], "relu", "sigmoid", False),
    (2, [3, 3, 2], "linear", "tanh", True),
    (3, [2], "relu", "relu", True),
]


def _mlp(architecture: tuple[Any, ...], seed: int = 0) -> nn.MLP:
    nin, nouts, activation, output_activation, bias = architecture
    return nn.MLP(nin, nouts, activation, output_activation, bias, seed=seed)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_to_torch_gives_the_same_outputs_and_gradients(architecture: tuple[Any, ...]) -> None:
    model = _mlp(architecture)
    sequential = model.to_torch()
    linears = [m for m in sequential if isinstance(m, torch.nn.Linear)]
    rng = random.Random(1)
    for _ in range(5):
        x = [rng.uniform(-2, 2) for _ in range(model.nin)]
        weights = [rng.uniform(-1, 1) for _ in range(model.nouts[-1])]
        inputs = [Value(v) for v in x]
        out = model(inputs)
        outs = out if isinstance(out, list) else [out]
        model.zero_grad()
        total = sum(w * o for w, o in zip(weights, outs))
        assert isinstance(total, Value)
        total.backward()

        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        sequential.zero_grad()
        yt = sequential(xt)
        (yt * torch.tensor(weights, dtype=torch.float64)).sum().backward()

        assert yt.tolist() == pytest.approx([o.data for o in outs], abs=1e-12, rel=0)
        assert xt.grad.tolist() == pytest.approx([v.grad for v in inputs], abs=1e-12, rel=0)
        for layer, linear in zip(model.layers, linears, strict=True):
            rows = [[w.grad for w in neuron.w] for neuron in layer.neurons]
            assert linear.weight.grad.tolist() == [pytest.approx(r, abs=1e-12, rel=0) for r in rows]
            if layer.bias:
                biases = [neuron.b.grad for neuron in layer.neurons if neuron.b is not None]
                assert linear.bias.grad.tolist() == pytest.approx(biases, abs=1e-12, rel=0)


def test_to_torch_builds_a_float64_stack_of_linear_and_activation_modules() -> None:
    sequential = nn.MLP(3, [4, 4, 1], "relu", "sigmoid", seed=0).to_torch()
    assert [type(m).__name__ for m in sequential] == [
        "Linear",
        "ReLU",
        "Linear",
        "ReLU",
        "Linear",
        "Sigmoid",
    ]
    assert {p.dtype for p in sequential.parameters()} == {torch.float64}
    assert all(p.requires_grad for p in sequential.parameters())


def test_to_torch_draws_nothing_from_torchs_random_generator() -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    nn.MLP(2, [8, 1], seed=0).to_torch()
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_from_torch_inverts_to_torch(architecture: tuple[Any, ...]) -> None:
    model = _mlp(architecture)
    back = nn.MLP.from_torch(model.to_torch())
    assert back.architecture() == model.architecture()
    assert back.state_dict() == model.state_dict()


def test_from_torch_takes_a_float32_stack_built_in_pytorch() -> None:
    torch.manual_seed(0)
    sequential = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    model = nn.MLP.from_torch(sequential)
    assert model.architecture() == {
        "type": "MLP",
        "nin": 2,
        "nouts": [5, 1],
        "activation": "tanh",
        "output_activation": "linear",
        "bias": True,
    }
    x = [0.3, -1.2]
    expected = sequential.double()(torch.tensor(x, dtype=torch.float64)).item()
    out = model(x)
    assert not isinstance(out, list)
    assert out.data == pytest.approx(expected, abs=1e-12, rel=0)


def _linear(nin: int, nout: int, bias: bool = True) -> Any:
    return torch.nn.Linear(nin, nout, bias=bias, dtype=torch.float64)


@pytest.mark.parametrize(
    ("modules", "error", "message"),
    [
        ([torch.nn.ReLU(), _linear(2, 1)], TypeError, r"module 0 \(ReLU\(\)\); it takes a Linear"),
        (
            [_linear(2, 3), torch.nn.Dropout(0.5), _linear(3, 1)],
            TypeError,
            r"cannot take module 1 \(Dropout\(p=0\.5, inplace=False\)\)",
        ),
        (
            [_linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh(), _linear(3, 1)],
            TypeError,
            r"cannot take module 2 \(Tanh\(\)\)",
        ),
        ([_linear(2, 3), _linear(4, 1)], ValueError, r"module 1 .* takes 4 inputs, .* gives 3"),
        ([_linear(2, 3), _linear(3, 1, bias=False)], ValueError, r"module 1 .* in having a bias"),
        (
            [_linear(2, 3), torch.nn.ReLU(), _linear(3, 3), torch.nn.Tanh(), _linear(3, 1)],
            ValueError,
            r"hidden layer at module 2 uses tanh, the first uses relu",
        ),
        ([], ValueError, "holds no Linear layer"),
    ],
)
def test_from_torch_names_the_module_it_cannot_take(
    modules: list[Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        nn.MLP.from_torch(torch.nn.Sequential(*modules))


def test_from_torch_takes_only_a_sequential() -> None:
    with pytest.raises(TypeError, match=r"takes a torch\.nn\.Sequential .* got Linear"):
        nn.MLP.from_torch(_linear(2, 1))


def test_from_torch_refuses_non_finite_weights() -> None:
    sequential = nn.MLP(2, [3, 1], seed=0).to_torch()
    layer = sequential[2]
    assert isinstance(layer, torch.nn.Linear)
    with torch.no_grad():
        layer.weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match=r"from_torch: tensor '2\.weight' holds nan at \[0, 1\]"):
        nn.MLP.from_torch(sequential)


def test_from_torch_refuses_complex_weights() -> None:
    sequential = torch.nn.Sequential(torch.nn.Linear(2, 1, dtype=torch.complex128))
    with pytest.raises(ValueError, match=r"module 0 has torch\.complex128 weights"):
        nn.MLP.from_torch(sequential)


def test_a_safetensors_file_loads_into_the_sequential_of_to_torch(tmp_path: Path) -> None:
    model = nn.MLP(3, [4, 4, 2], activation="tanh", output_activation="linear", seed=0)
    nn.save(model, tmp_path / "m.safetensors")
    sequential = nn.MLP(3, [4, 4, 2], "tanh", "linear", seed=1).to_torch()
    sequential.load_state_dict(safetensors_torch.load_file(tmp_path / "m.safetensors"))
    x = [0.5, -0.25, 1.0]
    out = model(x)
    assert isinstance(out, list)
    expected = [o.data for o in out]
    assert sequential(torch.tensor(x, dtype=torch.float64)).tolist() == pytest.approx(
        expected, abs=1e-12, rel=0
    )
    for key, tensor in model.to_torch().state_dict().items():
        assert torch.equal(sequential.state_dict()[key], tensor)


def test_a_file_saved_by_pytorch_loads_into_the_mlp(tmp_path: Path) -> None:
    model = nn.MLP(2, [3, 1], activation="relu", seed=0)
    sequential = model.to_torch()
    layer = sequential[0]
    assert isinstance(layer, torch.nn.Linear)
    with torch.no_grad():
        layer.weight.mul_(2.0)
    path = tmp_path / "m.safetensors"
    metadata = {
        "format": "autograd_mini.state",
        "version": "1",
        "architecture": json.dumps(model.architecture()),
    }
    safetensors_torch.save_file(sequential.state_dict(), path, metadata=metadata)
    nn.load(model, path)
    assert model.state_dict() == nn.MLP.from_torch(sequential).state_dict()
