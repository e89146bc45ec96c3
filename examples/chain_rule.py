"""The multivariable chain rule from the lecture slides, on the engine.

f = x y z with x = r, y = r s and z = s. The slides add up one term per path from s to f,

    ∂f/∂s = ∂f/∂x ∂x/∂s + ∂f/∂y ∂y/∂s + ∂f/∂z ∂z/∂s = yz · 0 + xz · r + xy · 1 = 2 r² s,

which is also what differentiating f = r² s² directly gives. Backprop does exactly this
sum: s feeds two nodes (y and z), and its gradient accumulates one term from each.

Run: python examples/chain_rule.py
"""

import autograd_mini as am


def chain_rule(r: float, s: float) -> dict[str, float]:
    """Every factor of the slide's sum, and ∂f/∂s, from the engine."""
    rv, sv = am.Value(r, label="r"), am.Value(s, label="s")
    x = 1.0 * rv  # x = r, as its own node so that ∂f/∂x can be asked for
    y = rv * sv
    z = 1.0 * sv  # z = s, likewise
    f = x * y * z
    df_dx, df_dy, df_dz, df_ds = am.gradients(f, [x, y, z, sv])
    return {
        "df/dx": df_dx,
        "df/dy": df_dy,
        "df/dz": df_dz,
        "dx/ds": float(am.gradients(x, sv)),
        "dy/ds": float(am.gradients(y, sv)),
        "dz/ds": float(am.gradients(z, sv)),
        "df/ds": df_ds,
    }


def main() -> None:
    print("f = x y z, x = r, y = r s, z = s:  ∂f/∂s = 2 r² s\n")
    for r, s in [(1.0, 1.0), (2.0, 3.0), (-1.5, 0.5)]:
        d = chain_rule(r, s)
        paths = d["df/dx"] * d["dx/ds"] + d["df/dy"] * d["dy/ds"] + d["df/dz"] * d["dz/ds"]
        print(f"r = {r}, s = {s}")
        print(
            f"  ∂f/∂x ∂x/∂s + ∂f/∂y ∂y/∂s + ∂f/∂z ∂z/∂s = "
            f"{d['df/dx']:g}·{d['dx/ds']:g} + {d['df/dy']:g}·{d['dy/ds']:g} + "
            f"{d['df/dz']:g}·{d['dz/ds']:g} = {paths:g}"
        )
        print(f"  engine ∂f/∂s = {d['df/ds']:g};  2 r² s = {2 * r * r * s:g}")


if __name__ == "__main__":
    main()
