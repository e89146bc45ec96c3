"""The output layer's error δ^L = ∂C/∂z^L, read off the engine, for the documents' two costs.

- Sigmoid output with cross-entropy, C = -[y log a + (1 - y) log(1 - a)]: the factor
  a(1 - a) in ∂C/∂a = (a - y) / (a(1 - a)) cancels σ'(z) = a(1 - a), so δ^L = a^L - y.
- Sigmoid output with the quadratic cost, C = ½ (y - a)²: nothing cancels, and
  δ^L = (a^L - y) ⊙ σ'(z^L), which vanishes when the sigmoid saturates.

The engine knows none of this algebra: it multiplies local derivatives node by node.

Run: python examples/output_error.py
"""

import autograd_mini as am
from autograd_mini import losses


def output_error(z: list[float], y: list[float], cost: str) -> tuple[list[float], list[float]]:
    """(a^L, ∂C/∂z^L) for output pre-activations z and targets y, from the engine."""
    z_nodes = [am.Value(v, label=f"z{i}") for i, v in enumerate(z)]
    a = [am.sigmoid(v) for v in z_nodes]
    # cross-entropy -Σ [y log a + (1 - y) log(1 - a)], or the quadratic ½ Σ (y - a)²
    c = losses.binary_cross_entropy(a, y) if cost == "cross_entropy" else losses.mse(a, y)
    return [v.data for v in a], list(am.gradients(c, z_nodes))


def main() -> None:
    z, y = [2.0, -1.0, 0.5, 6.0], [0.0, 1.0, 1.0, 0.0]
    print(f"z^L = {z}, y = {y}\n")

    a, delta = output_error(z, y, "cross_entropy")
    print("Sigmoid + cross-entropy: δ^L = a^L - y")
    print(f"  {'a^L':>10}  {'y':>4}  {'engine ∂C/∂z':>14}  {'a^L - y':>12}")
    for ai, yi, di in zip(a, y, delta):
        print(f"  {ai:10.6f}  {yi:4.1f}  {di:14.10f}  {ai - yi:12.10f}")
    gap = max(abs(d - (ai - yi)) for d, ai, yi in zip(delta, a, y))
    print(
        f"  largest difference: {gap:.2g} (at most a rounding error: the algebra cancels exactly)\n"
    )

    a, delta = output_error(z, y, "quadratic")
    print("Sigmoid + quadratic cost: δ^L = (a^L - y) ⊙ σ'(z^L) = (a^L - y) ⊙ a^L (1 - a^L)")
    print(f"  {'a^L':>10}  {'y':>4}  {'engine ∂C/∂z':>14}  {'(a-y)a(1-a)':>12}")
    for ai, yi, di in zip(a, y, delta):
        print(f"  {ai:10.6f}  {yi:4.1f}  {di:14.10f}  {(ai - yi) * ai * (1 - ai):12.10f}")
    gap = max(abs(d - (ai - yi) * ai * (1 - ai)) for d, ai, yi in zip(delta, a, y))
    print(f"  largest difference: {gap:.2g}")
    print(
        "  note z = 6, y = 0: the output is badly wrong (a ≈ 0.998) yet its δ is tiny,\n"
        "  because σ'(6) ≈ 0.0025; with cross-entropy the same output has δ ≈ 0.998."
    )


if __name__ == "__main__":
    main()
