"""Write the three notebooks in this folder from the cells below, without outputs.

The notebooks are generated so that git holds only their sources: edit the cells here,
run ``python examples/notebooks/build.py``, and commit both. tests/test_notebooks.py
checks that the committed notebooks are exactly what this script writes (so no outputs
are committed) and runs each one in a fresh kernel.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

BACKPROP = [
    (
        "md",
        """# Backprop from scratch

One neuron, differentiated three ways: by hand with the chain rule, by the engine's
`backward()`, and by finite differences with `gradcheck`. All three must agree.""",
    ),
    ("code", "import math\n\nimport autograd_mini as am"),
    (
        "md",
        """## The neuron, by hand

Two inputs, two weights and a bias make the weighted input $z = x_1 w_1 + x_2 w_2 + b$;
the neuron outputs $\\tanh z$. The forward pass is ordinary arithmetic on floats.""",
    ),
    (
        "code",
        """x1, x2 = 2.0, -1.0
w1, w2 = 0.5, 1.5
b = 0.25
z = x1 * w1 + x2 * w2 + b
out = math.tanh(z)
z, out""",
    ),
    (
        "md",
        """Going backwards, each step multiplies by one local derivative. The derivative of
$\\tanh$ is $1 - \\tanh^2 z$, which we already have as `1 - out**2`; $z$ is a sum, so it
passes its gradient unchanged to each product, and a product $x w$ hands $w$ the
gradient times $x$ (and $x$ the gradient times $w$).""",
    ),
    (
        "code",
        """dz = 1 - out**2  # d out / d z
by_hand = {"w1": dz * x1, "w2": dz * x2, "b": dz, "x1": dz * w1, "x2": dz * w2}
by_hand""",
    ),
    (
        "md",
        """## The same neuron on the engine

Each `Value` records the operation that made it; `backward()` walks that record from the
output back to the leaves and fills in every `.grad`. In Jupyter a Value displays as its
graph: boxes for values (with data and grad), ovals for operations.""",
    ),
    (
        "code",
        """values = {
    name: am.Value(number, label=name)
    for name, number in [("x1", x1), ("x2", x2), ("w1", w1), ("w2", w2), ("b", b)]
}
n = values["x1"] * values["w1"] + values["x2"] * values["w2"] + values["b"]
y = n.tanh()
y.backward()
y""",
    ),
    (
        "code",
        """for name, value in values.items():
    assert math.isclose(value.grad, by_hand[name], rel_tol=1e-12), name
{name: value.grad for name, value in values.items()}""",
    ),
    (
        "md",
        """`am.render` writes the same picture to a file (SVG, PNG or DOT), for a report or a
slide: `am.render.render_svg(y, "neuron.svg")`. `am.render.to_dot(y)` gives the graph
itself, a `graphviz.Digraph`.""",
    ),
    ("code", "am.render.to_dot(y, color_by_grad=True)"),
    (
        "md",
        """## Stepping through it

`am.explore(y)` shows the same graph with controls: step forward through the forward
pass, then back through the backward pass, one node at a time. Each edge shows its local
derivative as a formula and a number, the upstream gradient, and the product that backprop
adds; at the last step every node shows its `.grad`. Use the buttons or the ← → keys.""",
    ),
    ("code", "am.explore(y)"),
    (
        "md",
        """## Checking with finite differences

`gradcheck` nudges each input by a tiny amount in both directions, measures how the
output moves, and compares that slope with backprop's gradient. It raises
`GradcheckError`, naming each derivative that disagrees, when they do not match.""",
    ),
    (
        "code",
        """def neuron(x1, x2, w1, w2, b):
    return (x1 * w1 + x2 * w2 + b).tanh()


assert am.gradcheck(neuron, [x1, x2, w1, w2, b])""",
    ),
    (
        "md",
        """A function that hides part of its computation from the engine gets a wrong
gradient, and `gradcheck` says so. Here `x.data` is a plain float, so backprop sees
$x \\cdot c$ with a constant $c$ and misses half of the derivative of $x^2$.""",
    ),
    (
        "code",
        """try:
    am.gradcheck(lambda x: x * x.data, [3.0])
except am.GradcheckError as error:
    print(error)
else:
    raise AssertionError("gradcheck accepted a wrong gradient")""",
    ),
]

DERIVATIONS = [
    (
        "md",
        """# The derivations, checked against the engine

Three results that backprop is built on, each computed from its formula and compared
with what the engine gets by multiplying local derivatives (see the documentation's
page on the derivations). Every cell ends in assertions, so a wrong formula stops the
notebook.""",
    ),
    (
        "code",
        """import math

import numpy as np

import autograd_mini as am
from autograd_mini import datasets, losses, textbook""",
    ),
    (
        "md",
        """## 1. The sigmoid's derivative

Differentiating $\\sigma(z) = 1 / (1 + e^{-z})$ gives $e^{-z} / (1 + e^{-z})^2$, which
rearranges to $\\sigma(z)(1 - \\sigma(z))$: the slope is largest, 1/4, at $z = 0$ and
vanishes as the sigmoid saturates.""",
    ),
    (
        "code",
        """for z in [-8.0, -2.0, -0.5, 0.0, 0.5, 2.0, 8.0]:
    x = am.Value(z)
    engine = am.gradients(am.sigmoid(x), x)
    s = am.sigmoid(z)
    product = s * (1 - s)
    quotient = math.exp(-z) / (1 + math.exp(-z)) ** 2
    assert math.isclose(engine, product, rel_tol=1e-12)
    assert math.isclose(engine, quotient, rel_tol=1e-9)
    print(f"z = {z:5.1f}   sigma'(z) = {engine:.8f}")
x = am.Value(0.0)
assert am.gradients(am.sigmoid(x), x) == 0.25  # the steepest point""",
    ),
    (
        "md",
        """## 2. The output error $\\delta = a - y$

For a sigmoid output $a = \\sigma(z)$ with the cross-entropy cost
$C = -[y \\ln a + (1 - y) \\ln(1 - a)]$, the derivative $\\partial C / \\partial a =
(a - y) / (a(1 - a))$ meets $\\sigma'(z) = a(1 - a)$ and the two cancel, leaving
$\\partial C / \\partial z = a - y$. With the quadratic cost $\\frac12 (y - a)^2$ nothing
cancels: $\\partial C / \\partial z = (a - y)\\, a (1 - a)$.""",
    ),
    (
        "code",
        """zs, ys = [2.0, -1.0, 0.5, 6.0], [0.0, 1.0, 1.0, 0.0]
nodes = [am.Value(z) for z in zs]
a = [am.sigmoid(node) for node in nodes]

cross_entropy = am.gradients(losses.binary_cross_entropy(a, ys), nodes)
quadratic = am.gradients(losses.mse(a, ys), nodes)
for ai, yi, ce, q in zip(a, ys, cross_entropy, quadratic):
    assert math.isclose(ce, ai.data - yi, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(q, (ai.data - yi) * ai.data * (1 - ai.data), rel_tol=1e-9)
list(zip(cross_entropy, quadratic))""",
    ),
    (
        "md",
        """The last example shows why the cancellation matters: at $z = 6$ the sigmoid is
saturated, so the quadratic cost's gradient is about 400 times smaller than the
cross-entropy's, although the prediction is badly wrong.""",
    ),
    ("code", "cross_entropy[3] / quadratic[3]"),
    (
        "md",
        """## 3. The 2-3-1 network on the sleep/study data

Three students: hours slept and hours studied (each scaled by its column's maximum)
and their test scores / 100. The network has two inputs, three sigmoid hidden units,
one sigmoid output and no biases. With examples as rows and
$J = \\frac12 \\sum (y - \\hat y)^2$, backprop in matrix form is

$$\\delta_3 = -(y - \\hat y) \\odot \\sigma'(z_3), \\quad
\\nabla_{W_2} J = a_2^\\top \\delta_3, \\qquad
\\delta_2 = \\delta_3 W_2^\\top \\odot \\sigma'(z_2), \\quad
\\nabla_{W_1} J = X^\\top \\delta_2 ,$$

where $\\nabla_{W} J$ is the matrix of the cost's derivatives by each entry of $W$.""",
    ),
    (
        "code",
        """X_rows, y_list = datasets.sleep_study()
X, y = np.array(X_rows), np.array(y_list)[:, None]
rng = np.random.default_rng(0)
W1, W2 = rng.standard_normal((2, 3)), rng.standard_normal((3, 1))


def sig(z):
    return 1 / (1 + np.exp(-z))


z2 = X @ W1
a2 = sig(z2)
z3 = a2 @ W2
y_hat = sig(z3)
delta3 = -(y - y_hat) * sig(z3) * (1 - sig(z3))
dJdW2 = a2.T @ delta3
delta2 = (delta3 @ W2.T) * sig(z2) * (1 - sig(z2))
dJdW1 = X.T @ delta2
dJdW1, dJdW2""",
    ),
    (
        "md",
        """The engine's network holds the same weights (hidden unit $j$ reads column $j$ of
$W_1$) and computes the same cost; one `backward()` must reproduce both matrices.""",
    ),
    (
        "code",
        """model = textbook.Network([W1.T, W2.T], None, ["sigmoid", "sigmoid"]).to_mlp()
J = losses.mse([model(row) for row in X_rows], y_list)
J.backward()
hidden, output = model.layers
engine_dW1 = np.array([[unit.w[i].grad for unit in hidden.neurons] for i in range(2)])
engine_dW2 = np.array([[w.grad] for w in output.neurons[0].w])
assert np.allclose(engine_dW1, dJdW1, rtol=1e-10, atol=1e-14)
assert np.allclose(engine_dW2, dJdW2, rtol=1e-10, atol=1e-14)
assert math.isclose(J.data, 0.5 * float(np.sum((y - y_hat) ** 2)), rel_tol=1e-12)
J.data""",
    ),
    (
        "md",
        """Stepping against the gradient lowers the cost; stepping along it raises it.""",
    ),
    (
        "code",
        """def cost(W1, W2):
    return 0.5 * float(np.sum((y - sig(sig(X @ W1) @ W2)) ** 2))


step = 3.0
down = cost(W1 - step * dJdW1, W2 - step * dJdW2)
up = cost(W1 + step * dJdW1, W2 + step * dJdW2)
assert down < J.data < up
down, J.data, up""",
    ),
]

TRAINING = [
    (
        "md",
        """# Training: two moons and handwritten digits

The same models trained two ways: on the scalar engine (a graph of Values per example)
and on the tape (`engine="tape"`: the graph of one example is traced once, then every
batch runs as numpy arrays). Few epochs, so the notebook runs in seconds.""",
    ),
    (
        "code",
        """import time

import matplotlib.pyplot as plt
import numpy as np

from autograd_mini import datasets, train
from autograd_mini.nn import MLP""",
    ),
    (
        "md",
        """## Two moons on the scalar engine

A 2-16-16-1 network with tanh hidden units and a linear output (a logit), trained with
Adam on the binary cross-entropy. `fit` shows a progress bar in a notebook and returns a
`History`: the loss of each epoch, which displays as a small table.""",
    ),
    (
        "code",
        """X, y = datasets.moons(n=100, noise=0.1, seed=0)
model = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
history = train.fit(
    model,
    X,
    y,
    loss="binary_cross_entropy_with_logits",
    optimizer="adam",
    lr=0.03,
    epochs=30,
    batch_size=20,
    seed=0,
)
assert history[-1] < history[0] / 3
print(f"training accuracy {train.accuracy(model, X, y):.0%}")
history""",
    ),
    (
        "code",
        """fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.plot(range(1, len(history) + 1), history)
left.set(xlabel="epoch", ylabel="loss", yscale="log", title="two moons: training loss")

xs = np.linspace(-1.5, 2.5, 40)
ys = np.linspace(-1.0, 1.5, 30)
grid = [[float(a), float(b)] for b in ys for a in xs]
logits = np.array(train.predict(model, grid)).reshape(len(ys), len(xs))
right.contourf(xs, ys, logits > 0, cmap="coolwarm", alpha=0.4)
points = np.array(X)
right.scatter(points[:, 0], points[:, 1], c=y, cmap="coolwarm", edgecolors="k")
right.set(title="decision boundary")
plt.show()""",
    ),
    (
        "md",
        """## The same training on the tape

Same seed, same batches, same updates: the loss curves agree to rounding, and the tape
takes a fraction of the time.""",
    ),
    (
        "code",
        """def moons_run(engine):
    fresh = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    return train.fit(
        fresh,
        X,
        y,
        loss="binary_cross_entropy_with_logits",
        optimizer="adam",
        lr=0.03,
        epochs=30,
        batch_size=20,
        seed=0,
        progress=False,
        engine=engine,
    )


scalar, tape = moons_run("scalar"), moons_run("tape")
assert np.allclose(scalar, tape, rtol=1e-9)
print(f"scalar engine {scalar.seconds:.2f} s, tape {tape.seconds:.2f} s")""",
    ),
    (
        "md",
        """## Handwritten digits on the tape

scikit-learn's 8×8 digits (1,797 images, bundled with it): 64 inputs, 32 tanh units, 10
logits and the softmax cross-entropy. Ten epochs on the tape take a few seconds.""",
    ),
    (
        "code",
        """images, labels = datasets.digits()
X_train, X_test, y_train, y_test = datasets.train_test_split(images, labels, seed=0)
digits_model = MLP(64, [32, 10], activation="tanh", output_activation="linear", seed=0)
digits_history = train.fit(
    digits_model,
    X_train,
    y_train,
    loss="softmax_cross_entropy",
    optimizer="adam",
    lr=0.01,
    epochs=10,
    batch_size=32,
    seed=0,
    engine="tape",
)
test_accuracy = train.accuracy(digits_model, X_test, y_test)
assert test_accuracy > 0.85
print(f"test accuracy {test_accuracy:.1%} on {len(X_test)} images")
digits_history""",
    ),
    (
        "code",
        """fig, axes = plt.subplots(1, 8, figsize=(12, 2))
for ax, image, label in zip(axes, X_test, y_test):
    scores = train.predict(digits_model, [image])[0]
    ax.imshow(np.array(image).reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{int(np.argmax(scores))} (true {label})")
    ax.axis("off")
plt.show()""",
    ),
    (
        "md",
        """## Digits on the scalar engine

The scalar engine builds a graph of about two thousand products per image, so a few
hundred images are enough to compare: one epoch on both engines gives the same loss.""",
    ),
    (
        "code",
        """def digits_run(engine):
    fresh = MLP(64, [32, 10], activation="tanh", output_activation="linear", seed=0)
    started = time.perf_counter()
    losses = train.fit(
        fresh,
        X_train[:200],
        y_train[:200],
        loss="softmax_cross_entropy",
        epochs=1,
        batch_size=50,
        seed=0,
        progress=False,
        engine=engine,
    )
    return losses, time.perf_counter() - started


(scalar_loss, scalar_s), (tape_loss, tape_s) = digits_run("scalar"), digits_run("tape")
assert np.allclose(scalar_loss, tape_loss, rtol=1e-9)
print(f"loss {scalar_loss[0]:.6f}: scalar engine {scalar_s:.2f} s, tape {tape_s:.2f} s")""",
    ),
]

NOTEBOOKS = {
    "01-backprop-from-scratch.ipynb": BACKPROP,
    "02-the-derivations.ipynb": DERIVATIONS,
    "03-training.ipynb": TRAINING,
}


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook of these (kind, source) cells, with no outputs."""
    notebook = new_notebook(
        cells=[new_markdown_cell(s) if kind == "md" else new_code_cell(s) for kind, s in cells],
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    assert isinstance(notebook, nbformat.NotebookNode)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # stable ids, so rebuilding changes nothing
    return notebook


def text(cells: list[tuple[str, str]]) -> str:
    """The notebook file's text, as written to disk."""
    source = nbformat.writes(build(cells))
    assert isinstance(source, str)
    return source + "\n"


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        (HERE / name).write_text(text(cells), encoding="utf-8")
        print(f"wrote {HERE / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
