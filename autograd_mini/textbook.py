"""The documents' backprop equations, one layer at a time, in numpy: read the maths here.

Column vectors, as in the lecture slides. Layer l (l = 1..L) turns the activations
a^(l-1) of the layer below into z^l = W^l a^(l-1) + b^l and a^l = f(z^l), where W^l has
shape (n_l, n_(l-1)) and a^0 = x. With δ^l = ∂C/∂z^l, backprop is four equations:

    δ^L = ∇_a C ⊙ f'(z^L)                (= a^L - y for a sigmoid output with cross-entropy)
    δ^l = (W^(l+1))ᵀ δ^(l+1) ⊙ f'(z^l)   for l = L-1, ..., 1
    ∂C/∂W^l = δ^l (a^(l-1))ᵀ
    ∂C/∂b^l = δ^l

A batch of m examples is a matrix with one column per example, so the same lines run on
(n_l, m) matrices; the product δ^l (a^(l-1))ᵀ then adds up the examples' gradients by
itself (the Demystified notebook's remark), and ∂C/∂b^l sums δ^l's columns.
`explain` prints this derivation for one example with the engine's numbers filled in.

>>> net = Network([np.array([[0.5, -1.0]])], [np.array([0.25])], ["sigmoid"])
>>> result = backprop(net, [1.0, 2.0], [1.0], loss="binary_cross_entropy")
>>> result.delta[1].ravel() == result.a[1].ravel() - 1.0   # δ^L = a^L - y
array([ True])
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import numpy.typing as npt

from autograd_mini._engine import ACTIVATIONS as ACTIVATION_FUNCTIONS
from autograd_mini._engine import Value, dot, gradients, ops, sum_

if TYPE_CHECKING:
    from autograd_mini.nn import MLP

Array = npt.NDArray[np.float64]

ACTIVATIONS = tuple(ACTIVATION_FUNCTIONS)
LOSSES = ("quadratic", "binary_cross_entropy", "softmax_cross_entropy")
_LOSS_ALIASES = {"mse": "quadratic"}  # the name `autograd_mini.losses` uses

# ---- activations f and their derivatives f' ------------------------------------------


def activation(name: str, z: Array) -> Array:
    """f(z) elementwise, for f one of `ACTIVATIONS`.

    >>> activation("sigmoid", np.array([0.0, 1000.0, -1000.0]))
    array([0.5, 1. , 0. ])
    """
    _check_activation(name)
    f = ACTIVATION_FUNCTIONS[name]  # the engine's own, on arrays (sigmoid never overflows)
    z = np.asarray(z, dtype=np.float64)
    return z if f is None else np.asarray(f(z))


def activation_prime(name: str, z: Array) -> Array:
    """f'(z) elementwise; sigmoid' = σ(1 - σ) and tanh' = 1 - tanh², as the documents derive.

    The derivative of relu at 0 is taken as 0, as the engine does.

    >>> activation_prime("sigmoid", np.array([0.0]))
    array([0.25])
    """
    _check_activation(name)
    if name == "sigmoid":
        s = activation("sigmoid", z)
        return s * (1.0 - s)
    if name == "tanh":
        t = np.tanh(z)
        return 1.0 - t * t
    if name == "relu":
        return np.where(z > 0.0, 1.0, 0.0)
    return np.ones_like(z, dtype=np.float64)


def _check_activation(name: str) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}")


# ---- costs C and their gradients ∇_a C (one column per example) -----------------------


def cost(loss: str, a: Array, y: Array) -> float:
    """C summed over the examples (the columns of ``a`` and ``y``).

    quadratic: ½ Σ (y - a)²; binary_cross_entropy: -Σ [y log a + (1 - y) log(1 - a)];
    softmax_cross_entropy: -Σ log softmax(a)_c, with y the one-hot columns of the classes c.

    >>> cost("quadratic", np.array([[0.5]]), np.array([[1.0]]))
    0.125
    """
    loss = _loss_name(loss)
    if loss == "quadratic":
        return float(0.5 * np.sum((y - a) ** 2))
    if loss == "binary_cross_entropy":
        with np.errstate(divide="ignore"):  # a saturated wrong output costs +inf, honestly
            # a term whose coefficient y or 1 - y is 0 is left out (so 0 log 0 counts as 0)
            hit = np.where(y > 0.0, y * np.log(np.where(y > 0.0, a, 1.0)), 0.0)
            miss = np.where(y < 1.0, (1.0 - y) * np.log(np.where(y < 1.0, 1.0 - a, 1.0)), 0.0)
        return float(-np.sum(hit + miss))
    return float(-np.sum(y * _log_softmax(a)))


def cost_gradient(loss: str, a: Array, y: Array) -> Array:
    """∇_a C, one column per example.

    quadratic: a - y; binary_cross_entropy: (a - y) / (a (1 - a));
    softmax_cross_entropy: softmax(a) - y.
    """
    loss = _loss_name(loss)
    if loss == "quadratic":
        return a - y
    if loss == "binary_cross_entropy":
        return (a - y) / (a * (1.0 - a))
    return np.exp(_log_softmax(a)) - y


def _log_softmax(a: Array) -> Array:
    """log(exp(a_c) / Σ_k exp(a_k)) per column, through log-sum-exp so nothing overflows."""
    shifted = a - a.max(axis=0, keepdims=True)
    out: Array = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    return out


def _loss_name(loss: str) -> str:
    name = _LOSS_ALIASES.get(loss, loss)
    if name not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)} (or 'mse')")
    return name


# ---- the network: one weight matrix W^l (and bias vector b^l) per layer ---------------


@dataclass
class Network:
    """Weights W^l of shape (n_l, n_(l-1)), biases b^l of shape (n_l,) or None, and each
    layer's activation; ``weights[0]`` is W^1.

    >>> net = Network.random([2, 3, 1], seed=0)
    >>> net
    Network(sizes=[2, 3, 1], activations=['sigmoid', 'sigmoid'], bias=True)
    """

    weights: list[Array]
    biases: list[Array] | None
    activations: list[str]

    def __post_init__(self) -> None:
        self.weights = [np.array(w, dtype=np.float64) for w in self.weights]
        if self.biases is not None:
            self.biases = [np.array(b, dtype=np.float64) for b in self.biases]
        _check_network(self)

    def __repr__(self) -> str:
        return (
            f"Network(sizes={self.sizes}, activations={self.activations}, "
            f"bias={self.biases is not None})"
        )

    @property
    def sizes(self) -> list[int]:
        """[n_0, n_1, ..., n_L]: the input size, then each layer's width."""
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    @classmethod
    def random(
        cls,
        sizes: Sequence[int],
        activation: str = "sigmoid",
        output_activation: str | None = None,
        *,
        bias: bool = True,
        seed: int | None = None,
    ) -> Network:
        """A network with Glorot-normal weights (variance 2 / (n_in + n_out)) and zero biases."""
        if len(sizes) < 2 or any(not isinstance(n, int) or n < 1 for n in sizes):
            raise ValueError(f"sizes must be two or more positive ints, got {list(sizes)!r}")
        rng = np.random.default_rng(seed)
        pairs = list(itertools.pairwise(sizes))
        weights = [rng.normal(0.0, math.sqrt(2.0 / (i + o)), size=(o, i)) for i, o in pairs]
        biases = [np.zeros(o) for _, o in pairs] if bias else None
        activations = [activation] * (len(pairs) - 1) + [output_activation or activation]
        return cls(weights, biases, activations)

    @classmethod
    def from_mlp(cls, model: MLP) -> Network:
        """The matrices of an `autograd_mini.nn.MLP`: row j of W^l is neuron j's weights."""
        layers = list(model.layers)
        weights = [np.array([[w.data for w in n.w] for n in layer.neurons]) for layer in layers]
        has_bias = [n.b is not None for layer in layers for n in layer.neurons]
        biases = None
        if all(has_bias):
            biases = [np.array([_data(n.b) for n in layer.neurons]) for layer in layers]
        elif any(has_bias):
            raise ValueError("from_mlp: some neurons have a bias and some do not")
        activations = [str(layer.neurons[0].activation) for layer in layers]
        for index, layer in enumerate(layers, start=1):
            found = {n.activation for n in layer.neurons}
            if len(found) != 1:
                raise ValueError(f"from_mlp: layer {index} mixes activations {sorted(found)}")
        return cls(weights, biases, activations)

    def to_mlp(self) -> MLP:
        """A new `autograd_mini.nn.MLP` holding these weights (the engine's view of the network)."""
        from autograd_mini.nn import MLP

        hidden = set(self.activations[:-1])
        if len(hidden) > 1:
            raise ValueError(
                f"to_mlp: an MLP has one hidden activation, this network has {self.activations}"
            )
        model = MLP(
            self.sizes[0],
            self.sizes[1:],
            activation=hidden.pop() if hidden else self.activations[-1],
            output_activation=self.activations[-1],
            bias=self.biases is not None,
        )
        self.copy_to(model)
        return model

    def copy_to(self, model: MLP) -> None:
        """Write these weights and biases into an existing MLP of the same shape."""
        if Network.from_mlp(model).sizes != self.sizes:
            raise ValueError(
                f"copy_to: the MLP's sizes {Network.from_mlp(model).sizes} differ from {self.sizes}"
            )
        for index, layer in enumerate(model.layers):
            for j, neuron in enumerate(layer.neurons):
                for k, w in enumerate(neuron.w):
                    w.data = float(self.weights[index][j, k])
                if neuron.b is not None and self.biases is not None:
                    neuron.b.data = float(self.biases[index][j])

    def predict(self, x: Any) -> Array:
        """a^L: one row per example for a batch (m, n_0), a vector for one example (n_0,)."""
        single = _as_columns(x, self.sizes[0], "x")[1]
        out = forward(self, x)[1][len(self.weights)]
        return out[:, 0] if single else out.T

    def step(self, gradients: Backprop, learning_rate: float) -> None:
        """One step of gradient descent: W^l <- W^l - η ∂C/∂W^l, b^l <- b^l - η ∂C/∂b^l."""
        for l, dW in gradients.dW.items():
            self.weights[l - 1] -= learning_rate * dW
        if self.biases is not None:
            for l, db in gradients.db.items():
                self.biases[l - 1] -= learning_rate * db


def _check_network(net: Network) -> None:
    if not net.weights:
        raise ValueError("a Network needs at least one layer")
    if len(net.activations) != len(net.weights):
        raise ValueError(
            f"{len(net.weights)} weight matrices but {len(net.activations)} activations"
        )
    for name in net.activations:
        _check_activation(name)
    for l, w in enumerate(net.weights, start=1):
        if w.ndim != 2 or 0 in w.shape:
            raise ValueError(f"W^{l} must be a non-empty matrix, got shape {w.shape}")
    for l, (below, above) in enumerate(itertools.pairwise(net.weights), start=1):
        if above.shape[1] != below.shape[0]:
            raise ValueError(
                f"W^{l + 1} has shape {above.shape} but W^{l} has shape {below.shape}: "
                f"W^{l + 1} needs {below.shape[0]} columns"
            )
    if net.biases is not None:
        if len(net.biases) != len(net.weights):
            raise ValueError(f"{len(net.weights)} weight matrices but {len(net.biases)} biases")
        for l, (w, b) in enumerate(zip(net.weights, net.biases), start=1):
            if b.shape != (w.shape[0],):
                raise ValueError(f"b^{l} has shape {b.shape}, expected ({w.shape[0]},)")


# ---- forward and backward, exactly as the documents write them ------------------------


@dataclass
class Backprop:
    """Everything one forward and backward pass computes, keyed by layer l.

    ``z[l]``, ``a[l]`` and ``delta[l]`` have one column per example (``a[0]`` is the input;
    ``delta[l]`` holds each example's own δ^l, whatever the reduction); ``dW[l]`` and
    ``db[l]`` are ∂C/∂W^l and ∂C/∂b^l, summed or averaged over the batch, and ``cost`` is C.
    """

    z: dict[int, Array]
    a: dict[int, Array]
    delta: dict[int, Array]
    dW: dict[int, Array]
    db: dict[int, Array]
    cost: float


def forward(net: Network | MLP, x: Any) -> tuple[dict[int, Array], dict[int, Array]]:
    """z^l = W^l a^(l-1) + b^l and a^l = f(z^l) for l = 1..L, with a^0 = x.

    ``x`` is one example (n_0,) or a batch (m, n_0); z^l and a^l come back as columns.
    An `autograd_mini.nn.MLP` is read as its matrices (`Network.from_mlp`).

    >>> z, a = forward(Network([np.eye(2)], None, ["relu"]), [1.0, -1.0])
    >>> a[1].ravel()
    array([1., 0.])
    """
    net = _network(net, "forward")
    W, b, f = _by_layer(net)
    z: dict[int, Array] = {}
    a: dict[int, Array] = {0: _as_columns(x, net.sizes[0], "x")[0]}
    for l in range(1, len(W) + 1):
        z[l] = W[l] @ a[l - 1] + (b[l][:, None] if b else 0.0)
        a[l] = activation(f[l], z[l])
    return z, a


def backprop(
    net: Network | MLP, x: Any, y: Any, loss: str = "quadratic", reduction: str = "sum"
) -> Backprop:
    """Forward, then δ from the output layer back to the first, then every gradient.

    ``x`` is one example (n_0,) or a batch (m, n_0). ``y`` is the target (n_L,) or (m, n_L)
    (a number or (m,) when n_L = 1); for softmax_cross_entropy, a class index or (m,) of them.
    ``reduction="mean"`` divides the cost and the gradients by m, as the documents do when
    they average over the samples. An `autograd_mini.nn.MLP` is read as its matrices
    (`Network.from_mlp`), so ``backprop(model, x, y)`` works on a trained model.
    """
    net = _network(net, "backprop")
    loss = _loss_name(loss)
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    if loss == "binary_cross_entropy" and net.activations[-1] != "sigmoid":
        raise ValueError(
            "binary_cross_entropy needs outputs in (0, 1), i.e. a sigmoid output layer; "
            f"this network's output activation is {net.activations[-1]!r}"
        )
    X, single = _as_columns(x, net.sizes[0], "x")
    Y = _targets(y, loss, net.sizes[-1], X.shape[1], single)
    W, b, f = _by_layer(net)
    L = len(W)

    z, a = forward(net, x)

    delta: dict[int, Array] = {L: output_error(loss, f[L], z[L], a[L], Y)}
    for l in range(L - 1, 0, -1):
        delta[l] = (W[l + 1].T @ delta[l + 1]) * activation_prime(f[l], z[l])

    scale = 1.0 / X.shape[1] if reduction == "mean" else 1.0
    dW = {l: scale * (delta[l] @ a[l - 1].T) for l in range(1, L + 1)}
    db = {l: scale * delta[l].sum(axis=1) for l in range(1, L + 1)} if b else {}
    return Backprop(z, a, delta, dW, db, scale * cost(loss, a[L], Y))


def _network(net: Network | MLP, caller: str) -> Network:
    """``net`` itself, or the matrices of an `autograd_mini.nn.MLP`; anything else is a
    TypeError that says what to pass."""
    from autograd_mini.nn import MLP

    if isinstance(net, Network):
        return net
    if isinstance(net, MLP):
        return Network.from_mlp(net)
    raise TypeError(
        f"{caller}: expected a textbook.Network or an nn.MLP, got {type(net).__name__}; "
        "build one with Network(weights, biases, activations) or Network.random(sizes)"
    )


def output_error(loss: str, f: str, z: Array, a: Array, y: Array) -> Array:
    """δ^L = ∇_a C ⊙ f'(z^L); for a sigmoid output with cross-entropy the factors a(1 - a)
    cancel and δ^L = a^L - y exactly (no division, so it holds even when a saturates)."""
    if _loss_name(loss) == "binary_cross_entropy" and f == "sigmoid":
        return a - y
    return cost_gradient(loss, a, y) * activation_prime(f, z)


def _by_layer(net: Network) -> tuple[dict[int, Array], dict[int, Array], dict[int, str]]:
    """W^l, b^l and f_l keyed by l = 1..L, so code indexes layers as the equations do."""
    W = dict(enumerate(net.weights, start=1))
    b = dict(enumerate(net.biases, start=1)) if net.biases is not None else {}
    f = dict(enumerate(net.activations, start=1))
    return W, b, f


def _as_columns(data: Any, n: int, what: str) -> tuple[Array, bool]:
    """One example (n,) or rows of examples (m, n) as columns (n, m); True if one example."""
    x = np.asarray(data, dtype=np.float64)
    if x.ndim == 1 and x.shape[0] == n:
        return x[:, None], True
    if x.ndim == 2 and x.shape[1] == n:
        return x.T, False
    raise ValueError(f"{what} must have shape ({n},) or (m, {n}), got {x.shape}")


def _targets(y: Any, loss: str, n_out: int, m: int, single: bool) -> Array:
    """Targets as columns (n_L, m); class indices become one-hot columns."""
    if loss == "softmax_cross_entropy":
        classes = np.atleast_1d(np.asarray(y))
        if classes.shape != (m,) or not np.issubdtype(classes.dtype, np.integer):
            raise ValueError(f"softmax_cross_entropy needs {m} integer class(es), got {y!r}")
        if classes.min() < 0 or classes.max() >= n_out:
            raise ValueError(f"class indices must be in [0, {n_out}), got {classes.tolist()}")
        return np.eye(n_out)[:, classes]
    target = np.asarray(y, dtype=np.float64)
    if loss == "binary_cross_entropy" and not np.all((target >= 0.0) & (target <= 1.0)):
        raise ValueError(f"binary_cross_entropy targets must be in [0, 1], got {y!r}")
    if single:
        target = target.reshape(-1)
        if target.shape != (n_out,):
            raise ValueError(f"y must have {n_out} value(s) for one example, got {y!r}")
        return target[:, None]
    if target.shape == (m,) and n_out == 1:
        return target[None, :]
    if target.shape != (m, n_out):
        raise ValueError(f"y must have shape ({m}, {n_out}), got {target.shape}")
    return target.T


# ---- the engine's view: the same quantities, read off a graph of Values ---------------


@dataclass
class _EngineGraph:
    """One example's graph on an MLP's own parameters, its z^l and a^l nodes exposed."""

    z: dict[int, list[Value]]
    a: dict[int, list[Value]]
    cost: Value


def _engine_graph(
    model: MLP, activations: list[str], x: Array, loss: str, y: Array
) -> _EngineGraph:
    """z^l = W^l a^(l-1) + b^l neuron by neuron with `dot`, as `nn.Neuron` computes it,
    then the cost from `autograd_mini.losses`."""
    z: dict[int, list[Value]] = {}
    a: dict[int, list[Value]] = {}
    below: list[Any] = [float(v) for v in x]
    for l, layer in enumerate(model.layers, start=1):
        z[l] = [dot(n.w, below, n.b) for n in layer.neurons]
        a[l] = [_engine_activation(activations[l - 1], node) for node in z[l]]
        below = a[l]
    return _EngineGraph(z, a, _engine_cost(loss, a[len(a)], y))


def _engine_activation(name: str, z: Value) -> Value:
    f = ACTIVATION_FUNCTIONS[name]
    return z if f is None else f(z)


def _engine_cost(loss: str, a: list[Value], y: Array) -> Value:
    """One example's cost, from the library's own loss functions."""
    from autograd_mini import losses

    if loss == "quadratic":
        return losses.mse(a, [float(t) for t in y])
    if loss == "binary_cross_entropy":
        return losses.binary_cross_entropy(a, [float(t) for t in y])
    return losses.softmax_cross_entropy(a, int(np.argmax(y)))


def engine_backprop(
    model: MLP, x: Any, y: Any, loss: str = "quadratic", reduction: str = "sum"
) -> Backprop:
    """The quantities of `backprop`, computed by the engine on an MLP's own parameters.

    Builds each example's graph from the model's weight Values and the cost from
    `autograd_mini.losses`, then reads δ^l = ∂C/∂z^l and every ∂C/∂w off one
    `autograd_mini.gradients` call. No matrix equation is involved.
    """
    net = Network.from_mlp(model)  # checks the architecture, gives the activations
    loss = _loss_name(loss)
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    X, single = _as_columns(x, net.sizes[0], "x")
    Y = _targets(y, loss, net.sizes[-1], X.shape[1], single)
    m, layers = X.shape[1], range(1, len(net.weights) + 1)

    graphs = [_engine_graph(model, net.activations, X[:, i], loss, Y[:, i]) for i in range(m)]
    total = sum_([g.cost for g in graphs])
    if reduction == "mean":
        total = total / m
    z_nodes = [node for l in layers for g in graphs for node in g.z[l]]
    params = [p for layer in model.layers for n in layer.neurons for p in _params(n)]
    grads = iter(gradients(total, z_nodes + params))

    def columns(rows: list[list[float]]) -> Array:
        return np.array(rows, dtype=np.float64).T

    # δ is each example's own ∂C_x/∂z^l, as in the documents: undo the mean's 1/m
    per_example = float(m) if reduction == "mean" else 1.0
    delta = {
        l: per_example * columns([[next(grads) for _ in g.z[l]] for g in graphs]) for l in layers
    }
    z = {l: columns([[v.data for v in g.z[l]] for g in graphs]) for l in layers}
    a = {0: X} | {l: columns([[v.data for v in g.a[l]] for g in graphs]) for l in layers}
    dW: dict[int, Array] = {}
    db: dict[int, Array] = {}
    for l, layer in zip(layers, model.layers):
        rows, bias = [], []
        for n in layer.neurons:  # the order of `_params`: weights, then the bias
            rows.append([next(grads) for _ in n.w])
            if n.b is not None:
                bias.append(next(grads))
        dW[l] = np.array(rows, dtype=np.float64)
        if bias:
            db[l] = np.array(bias, dtype=np.float64)
    return Backprop(z, a, delta, dW, db, total.data)


def _data(v: Value | None) -> float:
    return v.data if v is not None else 0.0


def _params(neuron: Any) -> list[Value]:
    """A neuron's weights, then its bias: the order `engine_backprop` reads gradients in."""
    return list(neuron.w) + ([neuron.b] if neuron.b is not None else [])


# ---- explain: the derivation for one example, with its numbers ------------------------


def explain(
    model: MLP | Network,
    x: Sequence[float],
    y: Any,
    loss: str = "quadratic",
    *,
    file: TextIO | None = None,
) -> None:
    """Print, for one example, every equation of backprop with the example's numbers.

    The numbers (z, a, δ for every layer, then each weight's and bias's gradient) are the
    engine's: δ^l is the gradient of the cost at the z^l nodes. Each δ line and the final
    check say how far the matrix equations of `backprop` are from them. Meant for small
    networks: there is one line per parameter.

    >>> net = Network([np.array([[2.0]])], None, ["sigmoid"])
    >>> explain(net, [0.0], [1.0], loss="binary_cross_entropy")  # doctest: +ELLIPSIS
    Backprop for one example, equation by equation
    ...
      δ^1 = ∇_a C ⊙ sigmoid'(z^1) = (a^1 - y) / (a^1 (1 - a^1)) ⊙ a^1 (1 - a^1) = a^1 - y
          = [0.5] - [1]
          = [-0.5]   (matrix equations: same to 0)
    ...
    """
    from autograd_mini.nn import MLP

    net = model if isinstance(model, Network) else Network.from_mlp(model)
    mlp = model if isinstance(model, MLP) else net.to_mlp()
    loss = _loss_name(loss)
    point = np.asarray(x, dtype=np.float64)
    if point.ndim != 1:
        raise ValueError(f"explain takes one example, shape ({net.sizes[0]},); got {point.shape}")
    engine = engine_backprop(mlp, point, y, loss)
    matrix = backprop(net, point, y, loss)
    target = _targets(y, loss, net.sizes[-1], 1, True)
    text = _derivation(net, mlp, engine, matrix, loss, target)
    print(text, file=file if file is not None else sys.stdout)


def _derivation(net: Network, mlp: MLP, e: Backprop, m: Backprop, loss: str, Y: Array) -> str:
    """The text `explain` prints: e holds the engine's numbers, m the matrix equations'."""
    f = dict(enumerate(net.activations, start=1))
    L = len(net.weights)
    b = "b" if net.biases is not None else ""
    y = Y[:, 0]
    sizes = " -> ".join(str(n) for n in net.sizes)
    lines = [
        "Backprop for one example, equation by equation",
        f"network {sizes} ({', '.join(net.activations)}), "
        f"{'with' if b else 'without'} biases; cost {_COST_TEXT[loss]}",
        "Numbers are the engine's (Values and autograd_mini.gradients); the matrix",
        "equations of autograd_mini.textbook.backprop are checked against them.",
        "",
        f"Forward pass: z^l = W^l a^(l-1){' + b^l' if b else ''}, a^l = f(z^l)",
        f"  a^0 = x = {_vec(e.a[0])}",
    ]
    for l in range(1, L + 1):
        lines.append(f"  z^{l} = W^{l} a^{l - 1}{f' + b^{l}' if b else ''} = {_vec(e.z[l])}")
        lines.append(f"  a^{l} = {f[l]}(z^{l}) = {_vec(e.a[l])}")
    lines.append(
        f"  {_COST_TEXT[loss].replace('a^L', f'a^{L}')} = {e.cost:.6g}   with y = {_vec(y)}"
    )

    lines += ["", "Backward pass: δ^l = ∂C/∂z^l, the engine's gradient at the z^l nodes"]
    used = [name for name in dict.fromkeys(net.activations) if name != "linear"]
    if used:  # the derivatives as the rule table states them, out being f(z)
        rules = ", ".join(f"{name}'(z) = {ops[name].formulas()[0]}" for name in used)
        lines.append(f"  (from the rule table, with out = f(z): {rules})")
    prime = {l: activation_prime(f[l], e.z[l]) for l in range(1, L + 1)}
    if loss == "binary_cross_entropy" and f[L] == "sigmoid":
        lines += [
            f"  δ^{L} = ∇_a C ⊙ sigmoid'(z^{L}) = (a^{L} - y) / (a^{L} (1 - a^{L})) ⊙ "
            f"a^{L} (1 - a^{L}) = a^{L} - y",
            f"      = {_vec(e.a[L])} - {_vec(y)}",
        ]
    else:
        lines += [
            f"  δ^{L} = ∇_a C ⊙ {f[L]}'(z^{L}) = "
            f"{_GRADIENT_TEXT[loss].format(L=L)} ⊙ {f[L]}'(z^{L})",
            f"      = {_vec(cost_gradient(loss, e.a[L], Y))} ⊙ {_vec(prime[L])}",
        ]
    lines.append(f"      = {_vec(e.delta[L])}   {_same(e.delta[L], m.delta[L])}")
    for l in range(L - 1, 0, -1):
        back = net.weights[l].T @ e.delta[l + 1]
        lines += [
            f"  δ^{l} = (W^{l + 1})ᵀ δ^{l + 1} ⊙ {f[l]}'(z^{l})",
            f"      = {_vec(back)} ⊙ {_vec(prime[l])}",
            f"      = {_vec(e.delta[l])}   {_same(e.delta[l], m.delta[l])}",
        ]

    lines += [
        "",
        f"Gradients: ∂C/∂W^l = δ^l (a^(l-1))ᵀ, so ∂C/∂w^l_jk = δ^l_j a^(l-1)_k"
        f"{'; ∂C/∂b^l = δ^l' if b else ''}",
    ]
    for l, layer in enumerate(mlp.layers, start=1):
        delta, below = _col(e.delta[l]), _col(e.a[l - 1])
        for j, neuron in enumerate(layer.neurons):
            for k, w in enumerate(neuron.w):
                lines.append(
                    f"  ∂C/∂w^{l}_{j + 1}{k + 1} = δ^{l}_{j + 1} a^{l - 1}_{k + 1} = "
                    f"{delta[j]:.6g} × {below[k]:.6g} = {e.dW[l][j, k]:.6g}   ({w.label})"
                )
            if neuron.b is not None:
                lines.append(
                    f"  ∂C/∂b^{l}_{j + 1} = δ^{l}_{j + 1} = {e.db[l][j]:.6g}   ({neuron.b.label})"
                )
    gaps = [_gap(e.dW[l], m.dW[l]) for l in e.dW] + [_gap(e.db[l], m.db[l]) for l in e.db]
    verdict = "agree with" if max(gaps) <= 1e-9 else "DISAGREE with"
    lines.append(
        f"Check: the matrix equations' gradients {verdict} these to {max(gaps):.2g} (relative)."
    )
    return "\n".join(lines)


_COST_TEXT = {
    "quadratic": "C = ½ Σ (y - a^L)²",
    "binary_cross_entropy": "C = -Σ [y log a^L + (1 - y) log(1 - a^L)]",
    "softmax_cross_entropy": "C = -Σ y log softmax(a^L), y one-hot",
}
_GRADIENT_TEXT = {
    "quadratic": "(a^{L} - y)",
    "binary_cross_entropy": "(a^{L} - y) / (a^{L} (1 - a^{L}))",
    "softmax_cross_entropy": "(softmax(a^{L}) - y)",
}


def _col(v: Array) -> Array:
    """A one-example column (n, 1) as a flat vector."""
    return np.asarray(v, dtype=np.float64).reshape(-1)


def _vec(v: Array) -> str:
    return "[" + ", ".join(f"{x:.6g}" for x in _col(v)) + "]"


def _gap(engine: Array, matrix: Array) -> float:
    """Largest difference, relative to the largest entry (0 when both are all zero)."""
    scale = max(float(np.max(np.abs(matrix), initial=0.0)), 1e-300)
    return float(np.max(np.abs(engine - matrix), initial=0.0)) / scale


def _same(engine: Array, matrix: Array) -> str:
    gap = _gap(engine, matrix)
    verdict = "same to" if gap <= 1e-9 else "DIFFERENT by"
    return f"(matrix equations: {verdict} {gap:.2g})"
