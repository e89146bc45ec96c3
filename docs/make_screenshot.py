"""Draw assets/explorer.png, the README's picture of the backprop explorer, from a
real browser (Chromium through Playwright), so the picture is never hand-made.

Run it from the repository after a change to the explorer's look:

    .venv/bin/python docs/make_screenshot.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

import autograd_mini as am

OUT = Path(__file__).resolve().parent.parent / "assets" / "explorer.png"


def neuron() -> tuple[am.Value, am.Value]:
    """The docs' tanh neuron, out = tanh(x1 w1 + x2 w2 + b), and its node x1 w1."""
    x1, x2 = am.Value(2.0, label="x1"), am.Value(0.0, label="x2")
    w1, w2 = am.Value(-3.0, label="w1"), am.Value(1.0, label="w2")
    b = am.Value(6.8814, label="b")
    product = x1 * w1
    n = product + x2 * w2 + b
    n.label = "n"
    out = n.tanh()
    out.label = "out"
    return out, product


def main() -> None:
    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("needs the chromium program ('make chromium' installs it)")
    out, product = neuron()
    order = am.topological_order(out)
    step = 2 * len(order) - 1 - order.index(product)  # the backward step at x1 w1
    with tempfile.TemporaryDirectory() as directory:
        page_file = am.explore(out).save(Path(directory) / "explorer.html")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 2120, "height": 600})
            page.goto(page_file.as_uri())
            page.evaluate(f"window.autogradMini.explorers[0].goTo({step})")
            page.locator(".am-explorer").screenshot(path=str(OUT))
            browser.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
