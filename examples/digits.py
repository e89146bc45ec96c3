"""Handwritten digits, learned the way the documents describe: sigmoid layers, the
cross-entropy cost and gradient descent, on the engine.

scikit-learn's bundled 8×8 digits (1,797 images) stand in for MNIST. The network has 64
pixel inputs, 16 sigmoid hidden units and 10 sigmoid outputs, one per digit. The cost of
one image is the cross-entropy summed over the ten outputs against its one-hot label,
C = -Σ_k [y_k log a_k + (1 - y_k) log(1 - a_k)], averaged over each mini-batch, so the
output error is δ^L = a^L - y; each step is W <- W - η ∂C/∂W. The predicted digit is
the output with the largest activation.

With --numpy the same network and batches are trained with the matrix equations of
`autograd_mini.textbook` instead (seconds instead of minutes; the gradients agree).

Run: python examples/digits.py [--epochs 10] [--train-size N] [--numpy]
(needs scikit-learn: pip install autograd-mini[digits])
"""

import argparse
import random
import time
from collections.abc import Sequence

import numpy as np

import autograd_mini as am
from autograd_mini import datasets, losses, textbook, train
from autograd_mini.nn import MLP
from autograd_mini.optim import SGD


def one_hot(label: int) -> list[float]:
    return [1.0 if k == label else 0.0 for k in range(10)]


def cross_entropy(outputs: list[list[am.Value]], targets: list[list[float]]) -> am.Value:
    """Σ over the outputs, averaged over the examples of the batch."""
    return losses.binary_cross_entropy(outputs, targets) / len(outputs)


def train_engine(
    model: MLP, X: list[list[float]], y: list[int], epochs: int, lr: float, batch_size: int
) -> list[float]:
    return train.fit(
        model,
        X,
        [one_hot(label) for label in y],
        loss=cross_entropy,
        optimizer=SGD(model.parameters(), lr=lr),
        epochs=epochs,
        batch_size=batch_size,
        seed=0,
        callback=lambda epoch, loss: print(f"  epoch {epoch + 1}: cost {loss:.4f}"),
    )


def train_numpy(
    net: textbook.Network,
    X: list[list[float]],
    y: list[int],
    epochs: int,
    lr: float,
    batch_size: int,
) -> None:
    """The same loop with `textbook.backprop`: shuffle, then one step per mini-batch."""
    inputs, targets = np.array(X), np.eye(10)[y]
    order, rng = list(range(len(X))), random.Random(0)
    for epoch in range(epochs):
        rng.shuffle(order)
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            result = textbook.backprop(
                net, inputs[batch], targets[batch], "binary_cross_entropy", "mean"
            )
            net.step(result, lr)
            total += result.cost * len(batch)
        print(f"  epoch {epoch + 1}: cost {total / len(order):.4f}")


def numpy_accuracy(net: textbook.Network, X: Sequence[Sequence[float]], y: list[int]) -> float:
    return float(np.mean(net.predict(np.array(X)).argmax(axis=1) == np.array(y)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--train-size", type=int, default=None, help="use the first N only")
    parser.add_argument("--numpy", action="store_true", help="train with textbook.backprop")
    args = parser.parse_args()

    X, y = datasets.digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, 0.25, seed=0)
    X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
    model = MLP(64, [args.hidden, 10], activation="sigmoid", seed=0)
    how = "textbook.backprop (numpy)" if args.numpy else "the engine"
    print(f"{len(X_train)} training and {len(X_test)} test images; {model!r}".split("\n")[0])
    print(f"sigmoid layers, cross-entropy, gradient descent (η = {args.lr}), with {how}")

    start = time.perf_counter()
    if args.numpy:
        net = textbook.Network.from_mlp(model)
        train_numpy(net, X_train, y_train, args.epochs, args.lr, args.batch_size)
        seconds = time.perf_counter() - start
        accuracy = numpy_accuracy(net, X_test, y_test)
    else:
        train_engine(model, X_train, y_train, args.epochs, args.lr, args.batch_size)
        seconds = time.perf_counter() - start
        accuracy = train.accuracy(model, X_test, y_test)
    print(f"trained {args.epochs} epochs in {seconds:.1f} s; test accuracy {accuracy:.1%}")


if __name__ == "__main__":
    main()
