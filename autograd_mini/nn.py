"""Neurons, layers and multi-layer perceptrons built from engine Values, and saving them.

Every weight and bias is a `Value` whose label is its dotted name (``layers.0.neurons.2.w.1``),
so a rendered graph shows which parameter is which.

>>> import autograd_mini as am
>>> from autograd_mini.nn import MLP
>>> model = MLP(2, [3, 1], seed=0)
>>> y = model([1.0, -2.0])
>>> y.backward()
>>> len(model.parameters()), model.parameters()[0].label
(13, 'layers.0.neurons.0.w.0')
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autograd_mini import _files
from autograd_mini._engine import ACTIVATIONS as ACTIVATION_FUNCTIONS
from autograd_mini._engine import Value, dot_node, is_real, named_constant

if TYPE_CHECKING:
    import torch

ACTIVATIONS = tuple(ACTIVATION_FUNCTIONS)
"""The activation names a neuron accepts."""

FORMAT_NAME = _files.FORMAT_NAME
FORMAT_VERSION = _files.FORMAT_VERSION
"""`save` writes this version; `load` reads it."""

Seed = int | random.Random | None
Input = Sequence[Value | float]


def _check_activation(activation: object, what: str = "activation") -> str:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        valid = ", ".join(repr(a) for a in ACTIVATIONS)
        raise ValueError(f"unknown {what} {activation!r}; valid ones are {valid}")
    return activation


def _check_size(n: object, what: str) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return n


def _rng(seed: Seed) -> random.Random:
    """A generator from a seed: an int (reproducible), None (fresh entropy) or a Random."""
    if isinstance(seed, random.Random):
        return seed
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, None or a random.Random, got {type(seed).__name__}")


def init_bound(activation: str, fan_in: int, fan_out: int) -> float:
    """Half-width of the uniform range weights are drawn from.

    He (Kaiming) uniform, sqrt(6 / fan_in), for relu, which zeroes half its inputs;
    Glorot (Xavier) uniform, sqrt(6 / (fan_in + fan_out)), for sigmoid, tanh and linear.
    Both keep the signal's variance roughly constant from layer to layer.

    >>> init_bound("relu", 6, 1), init_bound("tanh", 4, 2)
    (1.0, 1.0)
    """
    if _check_activation(activation) == "relu":
        return math.sqrt(6.0 / fan_in)
    return math.sqrt(6.0 / (fan_in + fan_out))


class Module:
    """Base class: a module owns named parameters; calling it runs the forward pass.

    Subclasses define `named_parameters` and `__call__`; everything else follows.
    """

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Each parameter with its stable dotted name, in a fixed order."""
        return []

    def parameters(self) -> list[Value]:
        """Every parameter (a leaf Value), in the order of `named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Parameter values by name: a plain dict of floats, easy to copy or serialise."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set parameter values from a mapping with exactly this module's names.

        Everything is checked before anything is assigned: on a missing or unexpected
        name, or a value that is not a finite real number, ValueError, and the module is
        unchanged.
        """
        values = _validated_values(self, state)
        for (_, p), value in zip(self.named_parameters(), values):
            p.data = value

    def architecture(self) -> dict[str, Any]:
        """What it takes to rebuild this module: its type and constructor arguments."""
        return {"type": type(self).__name__}

    def _label_parameters(self) -> None:
        for name, p in self.named_parameters():
            p.label = name

    def __call__(self, x: Input) -> Value | list[Value]:
        raise NotImplementedError(f"{type(self).__name__} does not define a forward pass")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.parameters())} parameters)"


def _validated_values(module: Module, state: Mapping[str, object]) -> list[float]:
    """The state's values in the module's parameter order, or ValueError naming the problem."""
    if not isinstance(state, Mapping):
        raise TypeError(f"state must be a mapping of names to numbers, got {type(state).__name__}")
    names = [name for name, _ in module.named_parameters()]
    missing = [n for n in names if n not in state]
    expected = set(names)
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {_few(missing)}")
        if unexpected:
            parts.append(f"unexpected {_few(unexpected)}")
        raise ValueError(
            f"state does not match the {type(module).__name__}'s parameters: " + "; ".join(parts)
        )
    values = []
    for name in names:
        value = state[name]
        if not is_real(value):
            raise ValueError(
                f"parameter {name!r}: expected a real number, got {type(value).__name__} {value!r}"
            )
        try:
            number = float(value)
        except OverflowError:
            number = math.inf  # an int too large for a float
        if not math.isfinite(number):
            raise ValueError(f"parameter {name!r}: value {number!r} is not finite")
        values.append(number)
    return values


def _few(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{len(names)} name(s): {shown}{more}"


def _inputs(x: object, nin: int, who: str) -> tuple[Value, ...]:
    """The input as Values: numbers become leaves labelled ``x.0``, ``x.1``, ... once,
    so every neuron of the first layer reads the same input nodes."""
    if isinstance(x, Value) or is_real(x) or isinstance(x, str):
        raise TypeError(f"{who} expects a list of {nin} numbers or Values, got {x!r}")
    try:
        items = list(x)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"{who} expects a list of {nin} numbers or Values, got {type(x).__name__}"
        ) from None
    if len(items) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(items)}")
    values = []
    for i, v in enumerate(items):
        if isinstance(v, Value):
            values.append(v)
        elif is_real(v):
            values.append(named_constant(v, f"x.{i}", who))
        else:
            raise TypeError(f"{who}: input {i} must be a number or a Value, got {v!r}")
    return tuple(values)


class Neuron(Module):
    """One unit: ``activation(w · x + b)``, with z = w · x + b a single `dot` node.

    Weights are drawn uniformly by `init_bound` (He for relu, Glorot otherwise) from
    ``seed``; the bias starts at 0. ``fan_out`` is the number of units in the neuron's
    layer (Glorot uses it; a standalone neuron has 1).

    >>> n = Neuron(2, activation="tanh", seed=0)
    >>> n
    Neuron(2, activation='tanh', bias=True)
    >>> [name for name, _ in n.named_parameters()]
    ['w.0', 'w.1', 'b']
    >>> n.w[0].data = 1.0; n.w[1].data = -1.0
    >>> round(n([0.5, 0.25]).data, 6)   # tanh(0.5 - 0.25)
    0.244919

    ``w`` and ``b`` are fixed once made (change their ``.data``, not the Values): every
    forward pass hands the same parameter tuple to its `dot` node, so the nodes of a
    whole batch share it instead of copying it.
    """

    def __init__(
        self,
        nin: int,
        activation: str = "sigmoid",
        bias: bool = True,
        seed: Seed = None,
        *,
        fan_out: int = 1,
    ) -> None:
        self.nin = _check_size(nin, "nin")
        self.activation = _check_activation(activation)
        rng = _rng(seed)
        bound = init_bound(activation, nin, _check_size(fan_out, "fan_out"))
        weights = [Value(rng.uniform(-bound, bound)) for _ in range(nin)]
        self._params = (*weights, Value(0.0)) if bias else tuple(weights)  # w, then b
        self._label_parameters()

    @property
    def w(self) -> tuple[Value, ...]:
        """The weights, one per input."""
        return self._params[: self.nin]

    @property
    def b(self) -> Value | None:
        """The bias, or None for a neuron made with ``bias=False``."""
        return self._params[self.nin] if len(self._params) > self.nin else None

    def named_parameters(self) -> list[tuple[str, Value]]:
        named = [(f"w.{i}", w) for i, w in enumerate(self.w)]
        if self.b is not None:
            named.append(("b", self.b))
        return named

    def architecture(self) -> dict[str, Any]:
        return {
            "type": "Neuron",
            "nin": self.nin,
            "activation": self.activation,
            "bias": self.b is not None,
        }

    def __call__(self, x: Input) -> Value:
        return self._forward(_inputs(x, self.nin, "Neuron"))

    def _forward(self, x: tuple[Value, ...]) -> Value:
        z = dot_node(self._params, x)  # x: Values checked by `_inputs`, one per weight
        activate = ACTIVATION_FUNCTIONS[self.activation]
        return z if activate is None else activate(z)

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r}, bias={self.b is not None})"


class Layer(Module):
    """``nout`` neurons reading the same inputs.

    Returns a single Value when ``nout == 1``, else a list of Values.

    >>> layer = Layer(3, 2, activation="relu", seed=1)
    >>> layer
    Layer(3 -> 2, activation='relu', bias=True)
    >>> len(layer([1.0, 2.0, 3.0]))
    2
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "sigmoid",
        bias: bool = True,
        seed: Seed = None,
    ) -> None:
        self.nin = _check_size(nin, "nin")
        self.nout = _check_size(nout, "nout")
        self.activation = _check_activation(activation)
        self.bias = bool(bias)
        rng = _rng(seed)
        self.neurons = [Neuron(nin, activation, bias, rng, fan_out=nout) for _ in range(nout)]
        self._label_parameters()

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"neurons.{i}.{name}", p)
            for i, neuron in enumerate(self.neurons)
            for name, p in neuron.named_parameters()
        ]

    def architecture(self) -> dict[str, Any]:
        return {
            "type": "Layer",
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
            "bias": self.bias,
        }

    def __call__(self, x: Input) -> Value | list[Value]:
        out = self._forward(_inputs(x, self.nin, "Layer"))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: Sequence[Value]) -> list[Value]:
        shared = tuple(x)  # one tuple: every neuron's dot node keeps it as its inputs
        return [neuron._forward(shared) for neuron in self.neurons]

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, activation={self.activation!r}, bias={self.bias})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``nouts`` applied in turn.

    Hidden layers use ``activation``; the last uses ``output_activation`` (None means the
    same as ``activation``). One ``seed`` draws every layer's weights in order.

    >>> model = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    >>> model
    MLP(2 -> 16 -> 16 -> 1, 337 parameters)
      layers.0: Layer(2 -> 16, activation='tanh', bias=True)
      layers.1: Layer(16 -> 16, activation='tanh', bias=True)
      layers.2: Layer(16 -> 1, activation='linear', bias=True)
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "sigmoid",
        output_activation: str | None = None,
        bias: bool = True,
        seed: Seed = None,
    ) -> None:
        self.nin = _check_size(nin, "nin")
        if isinstance(nouts, int) or not isinstance(nouts, Sequence) or len(nouts) == 0:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        self.nouts = [_check_size(n, "each layer size in nouts") for n in nouts]
        self.activation = _check_activation(activation)
        if output_activation is None:
            output_activation = activation
        self.output_activation = _check_activation(output_activation, "output_activation")
        self.bias = bool(bias)
        rng = _rng(seed)
        sizes = [nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                self.output_activation if i == last else activation,
                bias,
                rng,
            )
            for i in range(len(self.nouts))
        ]
        self._label_parameters()

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"layers.{i}.{name}", p)
            for i, layer in enumerate(self.layers)
            for name, p in layer.named_parameters()
        ]

    def architecture(self) -> dict[str, Any]:
        return {
            "type": "MLP",
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "bias": self.bias,
        }

    def __call__(self, x: Input) -> Value | list[Value]:
        """The network's outputs, called ``prediction`` (``prediction.0``, ... for several)
        so that a drawn graph says where the network ends and the loss begins."""
        values: Sequence[Value] = _inputs(x, self.nin, "MLP")
        for layer in self.layers:
            values = layer._forward(values)
        if len(values) == 1:
            values[0].label = "prediction"
            return values[0]
        for i, value in enumerate(values):
            value.label = f"prediction.{i}"
        return list(values)

    def to_torch(self) -> torch.nn.Sequential:
        """The same network in PyTorch: a float64 ``torch.nn.Sequential`` of ``Linear`` layers,
        each followed by its activation's module (none for linear), with these weights.

        Needs PyTorch (imported here only). Its state dict has the keys and shapes that
        `save` writes to a ``.safetensors`` file.
        """
        import torch

        modules: list[torch.nn.Module] = []
        for layer in self.layers:
            # On the meta device: no storage and no random draws; the weights are copied in.
            modules.append(
                torch.nn.Linear(
                    layer.nin, layer.nout, self.bias, device="meta", dtype=torch.float64
                )
            )
            if layer.activation != "linear":
                modules.append(_torch_activations()[layer.activation]())
        sequential = torch.nn.Sequential(*modules).to_empty(device="cpu")
        arrays = _files.sequential_arrays(self)
        sequential.load_state_dict({k: torch.from_numpy(a) for k, a in arrays.items()})
        return sequential

    @classmethod
    def from_torch(cls, module: torch.nn.Module) -> MLP:
        """An MLP with the weights of a ``torch.nn.Sequential`` like `to_torch` builds:
        ``Linear`` layers, each followed by at most one ``Sigmoid``, ``Tanh`` or ``ReLU``.

        The hidden layers share one activation and all layers have a bias or none do
        (an MLP's constraints). A module it cannot take raises TypeError naming it; a
        stack that breaks a constraint or holds a non-finite weight raises ValueError.
        """
        import torch

        if type(module) is not torch.nn.Sequential:
            raise TypeError(
                "from_torch takes a torch.nn.Sequential of Linear and activation modules, "
                f"got {type(module).__name__}"
            )
        names = {kind: name for name, kind in _torch_activations().items()}
        layers: list[tuple[int, torch.nn.Linear, str]] = []  # index, Linear, activation
        for index, child in enumerate(module):
            if type(child) is torch.nn.Linear:
                layers.append((index, child, "linear"))
            elif type(child) in names and layers and layers[-1][2] == "linear":
                layers[-1] = (*layers[-1][:2], names[type(child)])
            else:
                takes = "a Linear" if not layers else "a Linear or one activation after a Linear"
                raise TypeError(
                    f"from_torch: cannot take module {index} ({child!r}); it takes {takes} "
                    f"(activations: {', '.join(c.__name__ for c in names)})"
                )
        if not layers:
            raise ValueError("from_torch: the Sequential holds no Linear layer")
        first = layers[0][1]
        bias, hidden = first.bias is not None, layers[0][2]
        for number, (index, linear, activation) in enumerate(layers):
            wanted = first.in_features if number == 0 else layers[number - 1][1].out_features
            if linear.in_features != wanted:
                raise ValueError(
                    f"from_torch: module {index} ({linear!r}) takes {linear.in_features} "
                    f"inputs, but the layer before gives {wanted}"
                )
            if (linear.bias is not None) != bias:
                raise ValueError(
                    f"from_torch: module {index} ({linear!r}) differs from module 0 in having "
                    "a bias; an MLP's layers all have one or none do"
                )
            if number < len(layers) - 1 and activation != hidden:
                raise ValueError(
                    f"from_torch: hidden layer at module {index} uses {activation}, the first "
                    f"uses {hidden}; an MLP's hidden layers share one activation"
                )
            if not linear.weight.is_floating_point():
                raise ValueError(
                    f"from_torch: module {index} has {linear.weight.dtype} weights; "
                    "an MLP holds real numbers"
                )
        model = cls(
            first.in_features,
            [linear.out_features for _, linear, _ in layers],
            activation=hidden,
            output_activation=layers[-1][2],
            bias=bias,
            seed=0,
        )
        arrays = {
            key: tensor.detach().to(device="cpu", dtype=torch.float64).numpy()
            for key, tensor in module.state_dict().items()
        }
        _files.assign_sequential_arrays(model, arrays, "from_torch")
        return model

    def __repr__(self) -> str:
        sizes = " -> ".join(str(n) for n in [self.nin, *self.nouts])
        lines = [f"MLP({sizes}, {len(self.parameters())} parameters)"]
        lines += [f"  layers.{i}: {layer!r}" for i, layer in enumerate(self.layers)]
        return "\n".join(lines)


def _torch_activations() -> dict[str, type[torch.nn.Module]]:
    """The PyTorch module of each activation but linear (which has none)."""
    import torch

    return {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}


# ---- saving and loading ------------------------------------------------------------------


def save(module: Module, path: str | os.PathLike[str]) -> None:
    """Write the module's parameters and architecture to ``path``: JSON, or safetensors
    when the path ends in ``.safetensors`` (an `MLP` only, laid out like `MLP.to_torch`).

    The file is written beside its destination under a temporary name and renamed over
    it, so a crash never leaves a half-written file; a symlink is written through, and
    the file gets ordinary permissions. Non-finite parameters raise ValueError and
    nothing is written.
    """
    path = os.fspath(path)
    if _files.is_safetensors(path):
        data = _files.safetensors_bytes(_safetensors_model(module, "save"))
    else:
        data = _files.json_bytes(module)
    _files.write_atomically(path, data)


def load(module: Module, path: str | os.PathLike[str]) -> None:
    """Set ``module``'s parameters from a file written by `save` (format by suffix, as there).

    The whole file is checked first: an invalid or truncated file, another format or
    version, a different architecture, missing, extra or misshapen parameters, another
    dtype, or a non-finite value raise ValueError naming the problem, and the module is
    left unchanged.
    """
    path = os.fspath(path)
    if _files.is_safetensors(path):
        _files.load_safetensors(_safetensors_model(module, "load"), path)
    else:
        _files.load_json(module, path)


def _safetensors_model(module: Module, who: str) -> MLP:
    if not isinstance(module, MLP):
        raise TypeError(
            f"{who}: a .safetensors file holds an MLP (the layout of MLP.to_torch()), "
            f"not a {type(module).__name__}; use a .json path"
        )
    return module
