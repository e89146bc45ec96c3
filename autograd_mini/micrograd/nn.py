"""micrograd's `Module`, `Neuron`, `Layer` and `MLP`, built from the drop-in `Value`.

The constructors, defaults and parameter order are micrograd's: weights drawn with
``random.uniform(-1, 1)`` from the global `random` module, neuron by neuron, layer by
layer; biases start at 0; hidden layers are ReLU and the last layer is linear. A neuron
sums ``b + w1*x1 + w2*x2 + ...`` one product at a time, as micrograd does, so a seeded
model gives micrograd's numbers exactly. The modules are `autograd_mini.nn.Module`s
too, so `autograd_mini.train.fit`, `state_dict` and `autograd_mini.render` take them.

>>> import random
>>> random.seed(1337)
>>> model = MLP(2, [3, 1])
>>> model
MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]
>>> len(model.parameters())
13
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from autograd_mini import Value as _EngineValue
from autograd_mini import nn as _nn
from autograd_mini.micrograd.engine import Value


class Module(_nn.Module):
    """micrograd's base class: `parameters` lists the module's Values.

    A subclass written for micrograd defines `parameters` only; its parameters are named
    by position for `autograd_mini.nn.Module.state_dict`.
    """

    def parameters(self) -> list[_EngineValue]:
        """Every parameter; micrograd's base module has none."""
        return []

    def named_parameters(self) -> list[tuple[str, _EngineValue]]:
        """The parameters named by their position in `parameters`."""
        return [(str(i), p) for i, p in enumerate(self.parameters())]

    def zero_grad(self) -> None:
        """Set each parameter's grad to 0 (micrograd's behaviour: parameters only)."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """``relu(b + w · x)`` (``nonlin=True``) or ``b + w · x``, with ``nin`` weights."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x: Sequence[Any]) -> Value:
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[_EngineValue]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons on the same inputs; one output is returned as a Value, not a list."""

    def __init__(self, nin: int, nout: int, nonlin: bool = True) -> None:
        self.neurons = [Neuron(nin, nonlin=nonlin) for _ in range(nout)]

    def __call__(self, x: Sequence[Any]) -> Value | list[Value]:  # type: ignore[override]
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[_EngineValue]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` after ``nin`` inputs: ReLU hidden layers, a linear last one."""

    def __init__(self, nin: int, nouts: list[int]) -> None:
        sz = [nin, *nouts]
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
        ]

    def __call__(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[_EngineValue]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
