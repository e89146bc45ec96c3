"""Neural Networks Demystified, part 4, run: backprop by hand and by the engine agree.

The network: 2 inputs (hours slept, hours studied, each divided by its column's maximum),
3 sigmoid hidden units, 1 sigmoid output (the test score / 100), no biases. The notebook
keeps one example per row, so its weights are W1 (2 × 3) and W2 (3 × 1), and with
J = ½ Σ (y - ŷ)² it derives

    δ3 = -(y - ŷ) ⊙ f'(z3)         dJ/dW2 = a2ᵀ δ3
    δ2 = δ3 W2ᵀ ⊙ f'(z2)           dJ/dW1 = Xᵀ δ2

(the matrix products add up the three examples' gradients). This script computes those
by hand in numpy, compares them with the engine's gradients on an `MLP(2, [3, 1],
bias=False)` holding the same weights, takes the notebook's two steps (along the gradient:
J rises; against it: J falls), then trains by gradient descent until the three scores fit.

Run: python examples/demystified.py
"""

import numpy as np
import numpy.typing as npt

import autograd_mini as am
from autograd_mini import datasets, losses, textbook, train
from autograd_mini.nn import MLP
from autograd_mini.optim import SGD

Matrix = npt.NDArray[np.float64]


def sigmoid(z: Matrix) -> Matrix:
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z: Matrix) -> Matrix:
    """The notebook's form of the derivative, e^-z / (1 + e^-z)²."""
    return np.exp(-z) / (1.0 + np.exp(-z)) ** 2


def cost(X: Matrix, y: Matrix, W1: Matrix, W2: Matrix) -> float:
    """J = ½ Σ (y - ŷ)² with ŷ = f(f(X W1) W2)."""
    y_hat = sigmoid(sigmoid(X @ W1) @ W2)
    return float(0.5 * np.sum((y - y_hat) ** 2))


def hand_gradients(X: Matrix, y: Matrix, W1: Matrix, W2: Matrix) -> tuple[Matrix, Matrix]:
    """dJ/dW1 and dJ/dW2 exactly as the notebook derives them (rows are examples)."""
    z2 = X @ W1
    a2 = sigmoid(z2)
    z3 = a2 @ W2
    y_hat = sigmoid(z3)
    delta3 = -(y - y_hat) * sigmoid_prime(z3)
    dJdW2 = a2.T @ delta3
    delta2 = (delta3 @ W2.T) * sigmoid_prime(z2)
    dJdW1 = X.T @ delta2
    return dJdW1, dJdW2


def to_model(W1: Matrix, W2: Matrix) -> MLP:
    """An engine MLP with these weights. Hidden unit j reads column j of W1, so the
    slides' W^1 (one row per unit) is the notebook's W1ᵀ."""
    return textbook.Network([W1.T, W2.T], None, ["sigmoid", "sigmoid"]).to_mlp()


def from_model(model: MLP) -> tuple[Matrix, Matrix]:
    W = textbook.Network.from_mlp(model).weights
    return W[0].T, W[1].T


def engine_cost(model: MLP, X: Matrix, y: Matrix) -> am.Value:
    predictions = [model([float(v) for v in row]) for row in X]
    return losses.mse(predictions, [float(v) for v in y[:, 0]])  # ½ Σ (y - ŷ)²


def engine_gradients(model: MLP, X: Matrix, y: Matrix) -> tuple[Matrix, Matrix]:
    """dJ/dW1 and dJ/dW2 from the engine's backward pass, in the notebook's layout."""
    model.zero_grad()
    engine_cost(model, X, y).backward()
    hidden, output = model.layers
    dJdW1 = np.array([[n.w[i].grad for n in hidden.neurons] for i in range(2)])
    dJdW2 = np.array([[w.grad] for w in output.neurons[0].w])
    return dJdW1, dJdW2


def data() -> tuple[Matrix, Matrix]:
    X, y = datasets.sleep_study()
    return np.array(X), np.array(y)[:, None]


def initial_weights(seed: int = 0) -> tuple[Matrix, Matrix]:
    """Standard-normal weights, as the notebook draws them."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((2, 3)), rng.standard_normal((3, 1))


def descend(model: MLP, X: Matrix, y: Matrix, lr: float = 5.0, steps: int = 6000) -> list[float]:
    """Full-batch gradient descent on J with the engine; returns J before each step."""
    optimizer = SGD(model.parameters(), lr=lr)
    history = []
    for _ in range(steps):
        J = engine_cost(model, X, y)
        optimizer.zero_grad()
        J.backward()
        optimizer.step()
        history.append(J.data)
    return history


def main() -> None:
    np.set_printoptions(precision=6, suppress=False)
    X, y = data()
    W1, W2 = initial_weights()
    print("X (slept, studied; scaled) =\n", X, "\ny (score / 100) =", y.ravel())

    by_hand = hand_gradients(X, y, W1, W2)
    model = to_model(W1, W2)
    by_engine = engine_gradients(model, X, y)
    print("\ndJ/dW1 = Xᵀ δ2, by hand:\n", by_hand[0], "\n... and from the engine:\n", by_engine[0])
    print("dJ/dW2 = a2ᵀ δ3, by hand:\n", by_hand[1], "\n... and from the engine:\n", by_engine[1])
    gap = max(float(np.max(np.abs(h - e))) for h, e in zip(by_hand, by_engine))
    print(f"largest difference: {gap:.2g}")
    slides = textbook.backprop(textbook.Network.from_mlp(model), X, y)
    print("the slides' column form, ∂C/∂W^l = δ^l (a^(l-1))ᵀ, gives the transposes:")
    print(f"  |∂C/∂W^1 - (dJ/dW1)ᵀ| <= {np.max(np.abs(slides.dW[1] - by_hand[0].T)):.2g}, ", end="")
    print(f"|∂C/∂W^2 - (dJ/dW2)ᵀ| <= {np.max(np.abs(slides.dW[2] - by_hand[1].T)):.2g}")

    scalar = 3.0
    J1 = cost(X, y, W1, W2)
    J2 = cost(X, y, W1 + scalar * by_hand[0], W2 + scalar * by_hand[1])
    J3 = cost(X, y, W1 - scalar * by_hand[0], W2 - scalar * by_hand[1])
    print(f"\nJ = {J1:.6f}; a step of {scalar:g} × the gradient: along it J = {J2:.6f} (up),")
    print(f"against it J = {J3:.6f} (down)")

    history = descend(model, X, y)
    predictions = train.predict(model, X.tolist())
    print(f"\ngradient descent, {len(history)} steps: J {history[0]:.6f} -> {history[-1]:.2e}")
    for (slept, studied), score, fitted in zip(X, y.ravel(), predictions):
        print(f"  slept {slept:.1f}, studied {studied:.1f}: score {score:.2f}, fitted {fitted:.4f}")


if __name__ == "__main__":
    main()
