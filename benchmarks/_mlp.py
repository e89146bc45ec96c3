"""One SGD training step of the same MLP, written for every engine the benchmarks compare.

Every engine gets the same weights, batch, loss and update, so their losses agree to
rounding (`run.py` checks this before timing anything):

    hidden layers relu, output layer linear,
    C = (1/m) * sum over the m examples of 1/2 * sum_k (out_k - y_k)^2,
    p <- p - lr * dC/dp.

micrograd 0.1.0 has no exp, log or tanh, so relu with a squared error is the one network
and loss every engine can express. A `make_*` function sets an engine up (not timed) and
returns ``step``: a callable that runs one training step and returns the loss (a graph
root for the graph engines, so its nodes can be counted).
"""

from __future__ import annotations

import itertools
import math
import operator
import random
from collections.abc import Callable, Sequence
from typing import Any

Matrix = list[list[float]]
Params = list[tuple[Matrix, list[float]]]  # per layer: weight rows (one per unit), biases
Step = Callable[[], Any]
LR = 0.05


def init_params(sizes: Sequence[int], seed: int = 0) -> Params:
    """Uniform weights in +-sqrt(6 / fan_in) (He, for relu) and small random biases."""
    rng = random.Random(seed)
    params: Params = []
    for nin, nout in itertools.pairwise(sizes):
        bound = math.sqrt(6.0 / nin)
        weights = [[rng.uniform(-bound, bound) for _ in range(nin)] for _ in range(nout)]
        params.append((weights, [rng.uniform(-0.1, 0.1) for _ in range(nout)]))
    return params


def moons(n: int, seed: int = 0) -> tuple[Matrix, Matrix]:
    """Two interleaved half circles with a little noise; targets -1 and +1."""
    rng = random.Random(seed)
    X: Matrix = []
    Y: Matrix = []
    for i in range(n):
        t = rng.uniform(0.0, math.pi)
        upper = i % 2 == 1
        x = [math.cos(t), math.sin(t)] if upper else [1.0 - math.cos(t), 0.5 - math.sin(t)]
        X.append([c + rng.gauss(0.0, 0.1) for c in x])
        Y.append([1.0 if upper else -1.0])
    return X, Y


def digits_like(n: int, seed: int = 0) -> tuple[Matrix, Matrix]:
    """Random data shaped like scikit-learn's digits: 64 inputs in [0, 1], 10 one-hot targets."""
    rng = random.Random(seed)
    X = [[rng.randint(0, 16) / 16.0 for _ in range(64)] for _ in range(n)]
    Y = []
    for _ in range(n):
        row = [0.0] * 10
        row[rng.randrange(10)] = 1.0
        Y.append(row)
    return X, Y


def tree_sum(terms: list[Any]) -> Any:
    """Add terms pairwise: the graph is log2(n) deep, so micrograd's recursive sort copes."""
    while len(terms) > 1:
        paired = [a + b for a, b in zip(terms[::2], terms[1::2])]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


# ---- graph engines built from plain Value operations (micrograd's own style) --------------


def make_plain_values(value_type: type, params: Params, X: Matrix, Y: Matrix) -> Step:
    """The micrograd way, for any Value class with + * ** and relu(): each neuron is
    ``sum((w*x for ...), b)``, a chain of 2n nodes; the same code runs both engines."""
    layers = [
        ([[value_type(w) for w in row] for row in W], [value_type(b) for b in B]) for W, B in params
    ]
    flat = [p for W, B in layers for row in W for p in row] + [p for _, B in layers for p in B]
    last = len(layers) - 1
    scale = 0.5 / len(X)

    def step() -> Any:
        errors: list[Any] = []
        for x, y in zip(X, Y):
            a: list[Any] = x
            for index, (W, B) in enumerate(layers):
                z = [sum((wi * ai for wi, ai in zip(row, a)), b) for row, b in zip(W, B)]
                a = z if index == last else [zj.relu() for zj in z]
            errors.extend((o - t) ** 2 for o, t in zip(a, y))
        return _backward_and_update(tree_sum(errors) * scale, flat)

    return step


def _backward_and_update(loss: Any, params: list[Any]) -> Any:
    """Zero the gradients, backprop ``loss`` and take one SGD step: every graph engine."""
    for p in params:
        p.grad = 0.0
    loss.backward()
    for p in params:
        p.data -= LR * p.grad
    return loss


def nn_model(params: Params) -> Any:
    """An `autograd_mini.nn.MLP` (relu hidden layers, linear output) holding ``params``."""
    from autograd_mini.nn import MLP

    sizes = [len(params[0][0][0])] + [len(B) for _, B in params]
    model = MLP(sizes[0], sizes[1:], activation="relu", output_activation="linear", seed=0)
    for layer, (W, B) in zip(model.layers, params):
        for neuron, row, b in zip(layer.neurons, W, B):
            for w, value in zip(neuron.w, row):
                w.data = value
            if neuron.b is not None:
                neuron.b.data = b
    return model


def make_nn(params: Params, X: Matrix, Y: Matrix) -> Step:
    """autograd_mini.nn.MLP (one `dot` node per neuron) with an `am.sum` loss node."""
    import autograd_mini as am

    model = nn_model(params)
    flat = model.parameters()
    scale = 0.5 / len(X)

    def step() -> Any:
        errors: list[Any] = []
        for x, y in zip(X, Y):
            out = model(x)
            outs = out if isinstance(out, list) else [out]
            errors.extend((o - t) ** 2 for o, t in zip(outs, y))
        return _backward_and_update(am.sum(errors) * scale, flat)

    return step


def count_nodes(root: Any) -> int:
    """Nodes in a graph: autograd_mini's traversal for its Values, an iterative walk of
    ``_prev`` for micrograd's."""
    if hasattr(root, "parents"):
        import autograd_mini as am

        return len(am.topological_order(root))
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


# ---- no graph at all: the floors ------------------------------------------------------------


def make_pure_python(params: Params, X: Matrix, Y: Matrix) -> Step:
    """Forward and backward written by hand on lists of floats, a layer at a time: what any
    scalar graph engine must compute, and nothing more, so no pure-Python engine can beat it.
    Inner products use ``sum(map(mul, ...))``, the fastest form plain Python has."""
    W = [[list(row) for row in Wl] for Wl, _ in params]
    B = [list(Bl) for _, Bl in params]
    last = len(W) - 1
    scale = 1.0 / len(X)
    mul = operator.mul

    def step() -> float:
        acts = [X]
        A = X
        for index, (Wl, Bl) in enumerate(zip(W, B)):
            Z = [[sum(map(mul, row, a)) + b for row, b in zip(Wl, Bl)] for a in A]
            A = Z if index == last else [[v if v > 0.0 else 0.0 for v in z] for z in Z]
            acts.append(A)
        D = [[o - t for o, t in zip(a, y)] for a, y in zip(A, Y)]
        loss = 0.5 * scale * sum([sum(map(mul, d, d)) for d in D])
        D = [[v * scale for v in d] for d in D]  # dC/d(out), one row per example
        for index in range(last, -1, -1):
            below, Wl, Bl = acts[index], W[index], B[index]
            delta_columns = list(zip(*D))
            below_columns = list(zip(*below))
            if index:  # the layer below's delta, with these weights before their update
                WT = list(zip(*Wl))
                D = [
                    [g if v > 0.0 else 0.0 for g, v in zip([sum(map(mul, c, d)) for c in WT], a)]
                    for d, a in zip(D, below)
                ]
            for j, dc in enumerate(delta_columns):
                Wl[j] = [w - LR * sum(map(mul, dc, bc)) for w, bc in zip(Wl[j], below_columns)]
                Bl[j] -= LR * sum(dc)
        return loss

    return step


def make_numpy(params: Params, X: Matrix, Y: Matrix) -> Step:
    """Minimal batched matrix backprop in numpy (rows are examples), updated in place."""
    import numpy as np

    W = [np.array(Wl, dtype=np.float64) for Wl, _ in params]
    B = [np.array(Bl, dtype=np.float64) for _, Bl in params]
    Xa, Ya = np.array(X, dtype=np.float64), np.array(Y, dtype=np.float64)
    last, scale = len(W) - 1, 1.0 / len(X)

    def step() -> float:
        acts = [Xa]
        a = Xa
        for index, (Wl, Bl) in enumerate(zip(W, B)):
            z = a @ Wl.T + Bl
            a = z if index == last else np.maximum(z, 0.0)
            acts.append(a)
        diff = a - Ya
        loss = 0.5 * scale * float(np.vdot(diff, diff))
        delta = diff * scale
        for index in range(last, -1, -1):
            gW = delta.T @ acts[index]
            gB = delta.sum(axis=0)
            if index:
                delta = (delta @ W[index]) * (acts[index] > 0.0)
            W[index] -= LR * gW
            B[index] -= LR * gB
        return loss

    return step


def make_textbook(params: Params, X: Matrix, Y: Matrix) -> Step:
    """autograd_mini.textbook: the documents' column-vector equations, one layer at a time."""
    import numpy as np

    from autograd_mini import textbook

    activations = ["relu"] * (len(params) - 1) + ["linear"]
    net = textbook.Network(
        [np.array(W, dtype=np.float64) for W, _ in params],
        [np.array(B, dtype=np.float64) for _, B in params],
        activations,
    )
    Xa, Ya = np.array(X, dtype=np.float64), np.array(Y, dtype=np.float64)

    def step() -> float:
        result = textbook.backprop(net, Xa, Ya, loss="quadratic", reduction="mean")
        net.step(result, LR)
        return result.cost

    return step


def make_torch(params: Params, X: Matrix, Y: Matrix) -> Step:
    """PyTorch's usual batched CPU step (float64, like every other engine here)."""
    import torch

    modules: list[torch.nn.Module] = []
    for index, (W, B) in enumerate(params):
        linear = torch.nn.Linear(len(W[0]), len(W), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(W, dtype=torch.float64))
            linear.bias.copy_(torch.tensor(B, dtype=torch.float64))
        modules.append(linear)
        if index < len(params) - 1:
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    Xt, Yt = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    scale = 0.5 / len(X)

    def step() -> Any:
        optimizer.zero_grad(set_to_none=True)
        loss = ((model(Xt) - Yt) ** 2).sum() * scale
        loss.backward()
        optimizer.step()
        return loss.detach()

    return step


def loss_value(result: Any) -> float:
    """The float loss from whatever a step returned (a Value, a tensor or a float)."""
    data = getattr(result, "data", result)
    return float(data if not hasattr(data, "item") else data.item())


def make_compiled(params: Params, X: Matrix, Y: Matrix) -> Step:
    """`am.compile` of one example's loss on the `nn.MLP`, run over the batch: each example
    is one pass of the generated straight-line Python, the gradients averaged."""
    import autograd_mini as am

    model = nn_model(params)
    flat = model.parameters()

    def example_loss(x: Any, y: Any) -> Any:
        out = model(x)
        outs = out if isinstance(out, list) else [out]
        return am.sum([0.5 * ((o - t) * (o - t)) for o, t in zip(outs, y)])

    compiled = am.compile(example_loss, X[0], Y[0], params=flat)

    def step() -> float:
        losses, grads = compiled.grad_batch(X, Y, reduction="mean")
        for p, g in zip(flat, grads):
            p.data -= LR * g
        return math.fsum(losses) / len(losses)

    return step
