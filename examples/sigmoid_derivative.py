"""The sigmoid's derivative is σ(z)(1 - σ(z)): the engine's gradient against the formula.

The documents derive σ'(z) = e^-z / (1 + e^-z)² and rewrite it as σ(z)(1 - σ(z)), the
form backprop uses (δ^L = (a - y) ⊙ a(1 - a) for the quadratic cost). Here the engine
differentiates sigmoid(z) and both closed forms are evaluated at the same points.

Run: python examples/sigmoid_derivative.py
"""

import math

import autograd_mini as am


def engine_derivative(z: float) -> float:
    """d sigmoid(z) / dz, by backprop through one sigmoid node."""
    x = am.Value(z, label="z")
    return float(am.gradients(am.sigmoid(x), x))


def product_form(z: float) -> float:
    """σ(z)(1 - σ(z))."""
    s = am.sigmoid(z)
    return s * (1.0 - s)


def quotient_form(z: float) -> float:
    """e^-z / (1 + e^-z)², as the Demystified notebook writes sigmoidPrime."""
    e = math.exp(-z)
    return e / (1.0 + e) ** 2


def main() -> None:
    print("σ'(z) three ways: engine backprop, σ(z)(1 - σ(z)), e^-z / (1 + e^-z)²")
    print(f"{'z':>6}  {'engine':>12}  {'σ(1 - σ)':>12}  {'e^-z/(1+e^-z)²':>15}")
    worst = 0.0
    for z in [-10.0, -5.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 5.0, 10.0]:
        engine, product, quotient = engine_derivative(z), product_form(z), quotient_form(z)
        worst = max(worst, abs(engine - product) / product, abs(engine - quotient) / quotient)
        print(f"{z:6.1f}  {engine:12.8f}  {product:12.8f}  {quotient:15.8f}")
    print(f"largest relative difference: {worst:.2g}")
    print(
        "the peak is at z = 0, where σ'(0) = σ(0)(1 - σ(0)) = 0.5 × 0.5 =", engine_derivative(0.0)
    )


if __name__ == "__main__":
    main()
