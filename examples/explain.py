"""Backprop for one example, every equation with its numbers: `autograd_mini.textbook.explain`.

The network is the Demystified one (2 inputs, 3 sigmoid hidden units, 1 sigmoid output,
no biases) and the example is the first row of the sleep/study table: 3 hours slept and
5 hours studied (scaled to 0.3 and 1.0), score 75 (0.75). The numbers printed are the
engine's; the matrix equations of the lecture slides are checked against them line by line.

Run: python examples/explain.py [quadratic | binary_cross_entropy]
"""

import sys

from autograd_mini import datasets, textbook
from autograd_mini.nn import MLP


def main() -> None:
    loss = sys.argv[1] if len(sys.argv) > 1 else "quadratic"
    X, y = datasets.sleep_study()
    model = MLP(2, [3, 1], activation="sigmoid", bias=False, seed=0)
    textbook.explain(model, X[0], [y[0]], loss=loss)


if __name__ == "__main__":
    main()
