"""The backprop explorer: first its data (steps in the engine's order, final gradients
equal to ``.grad``, per-edge checks, escaping, limits, files, the CLI), then the page in
a real browser, Debian's Chromium driven by Playwright.

One browser per test session. Without Chromium the browser tests skip on a developer's
machine and fail under CI (CI=true), so they never silently stop running there.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import autograd_mini as am
from autograd_mini import _drawing, _engine, _explore, losses, nn, render


def fan_out() -> am.Value:
    x = am.Value(3.0, label="x")
    return x * x + x


def neuron() -> am.Value:
    x1, x2 = am.Value(2.0, label="x1"), am.Value(-1.0, label="x2")
    w1, w2, b = am.Value(-0.5, label="w1"), am.Value(1.5, label="w2"), am.Value(1.0, label="b")
    return am.dot([w1, w2], [x1, x2], bias=b).sigmoid()


def mlp_loss() -> am.Value:
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=1)
    logit = model([am.Value(0.5, label="x1"), am.Value(-0.25, label="x2")])
    assert isinstance(logit, am.Value)
    return losses.binary_cross_entropy_with_logits(logit, 1.0)


def every_op() -> am.Value:
    """Divisions, powers, logs and sigmoids: where g·∂ and the rule's own product can
    differ in the last bit, so only the rule's own order gives ``.grad`` exactly."""
    a, b = am.Value(0.7, label="a"), am.Value(-1.3, label="b")
    c = (a / b).sigmoid() * (a**2.5) + am.log(a * 3.1) / (b**3) - am.sqrt(a).exp()
    d = am.sum([c.tanh(), (-b).relu(), abs(b), a ** b.abs()])
    assert isinstance(d, am.Value)
    return d / (a + 2.0)


GRAPHS: dict[str, Callable[[], am.Value]] = {
    "fan_out": fan_out,
    "neuron": neuron,
    "mlp_loss": mlp_loss,
    "every_op": every_op,
}


def explorer_data(explorer: _explore.Explorer) -> dict[str, object]:
    match = re.search(
        r'<script type="application/json" class="am-data">(.*?)</script>', explorer.fragment
    )
    assert match is not None
    data: dict[str, object] = json.loads(match.group(1))
    return data


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_the_last_steps_give_exactly_the_engines_grad(name: str) -> None:
    y = GRAPHS[name]()
    explorer = am.explore(y)
    assert all(node.grad == 0.0 for node in am.topological_order(y))  # explore touched none
    y.backward()
    order = am.topological_order(y)
    steps = explorer.steps
    assert len(steps) == 2 * len(order)
    forward, backward = steps[: len(order)], steps[len(order) :]
    assert [s["node"] for s in forward] == list(range(len(order)))
    assert [s["node"] for s in backward] == list(reversed(range(len(order))))
    assert {s["phase"] for s in forward} == {"forward"}
    assert {s["phase"] for s in backward} == {"backward"}
    for step in forward:
        assert step["value"] == order[step["node"]].data and step["grad"] == 0.0
    for step in backward:
        node = order[step["node"]]
        assert step["grad"] == node.grad, (node, step)  # exactly, not approximately
        assert step["label"] == node.label and step["value"] == node.data


def test_fan_out_accumulates_across_steps() -> None:
    data = explorer_data(am.explore(fan_out()))
    effects = data["effects"]
    assert isinstance(effects, list)
    # backward of "+" gives x 1, backward of "*" adds 3 + 3: x's grad grows 1, then 7
    x_grads = [grad for effect in effects for e, grad in effect if e in (0, 1, 2)]
    assert x_grads[:1] == ["1"] and "7" in x_grads


def test_edges_show_formula_local_derivative_and_product() -> None:
    x = am.Value(0.5, label="x")
    y = x.tanh()
    data = explorer_data(am.explore(y))
    edges = data["edges"]
    assert isinstance(edges, list)
    (edge,) = edges
    assert edge["formula"] == "∂out/∂x = 1 − out²"
    assert edge["local"] == f"{1 - math.tanh(0.5) ** 2:.4g}"
    assert edge["adds"] == f"× 1 = {1 - math.tanh(0.5) ** 2:.4g}"
    assert edge["bad"] is False


# A user operation whose partial is wrong: tanh with twice its derivative.
wrong_tanh = am.defop("explorer_wrong_tanh", math.tanh, lambda out, x: 2.0 * (1.0 - out * out))
# And one whose partial is wrong everywhere but constant, to read its number on the page.
half_tanh = am.defop("explorer_half_tanh", math.tanh, 0.5)


def test_a_wrong_local_derivative_is_marked_with_both_numbers() -> None:
    x = am.Value(0.5, label="x")
    explorer = am.explore(wrong_tanh(x * 2.0))
    bad = [e for e in explorer_data(explorer)["edges"] if e["bad"]]  # type: ignore[attr-defined]
    assert [e["formula"] for e in bad] == ["∂out/∂x = 2·(1 − out²)"]
    assert bad[0]["numeric"] == f"{1 - math.tanh(1.0) ** 2:.4g}"
    assert f"≠ {bad[0]['numeric']}" in explorer.fragment  # both numbers on the edge
    red = f'stroke="{_explore._BAD}"'
    assert red in explorer.fragment and red not in am.explore((x * 2.0).tanh()).fragment


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_edge_agrees_with_the_central_difference_of_its_forward(name: str) -> None:
    data = explorer_data(am.explore(GRAPHS[name]()))
    assert not [e for e in data["edges"] if e["bad"]]  # type: ignore[attr-defined]
    differentiated = [e for e in data["edges"] if e["differentiated"]]  # type: ignore[attr-defined]
    assert all(e["numeric"] != "undefined" for e in differentiated)


def test_ops_surface_covers_every_built_in_op() -> None:
    for node in am.topological_order(every_op()):
        if not node.parents:
            assert _engine.local_derivatives(node) == [] and _engine.forward_of(node) is None
            continue
        forward = _engine.forward_of(node)
        assert forward is not None, node.op
        assert forward(*[p.data for p in node.parents]) == pytest.approx(node.data)
        formulas = _engine.derivative_formulas(node)
        assert len(formulas) == len(node.parents) and node.op not in formulas
    z = am.dot([am.Value(1.0), am.Value(2.0)], [am.Value(3.0), am.Value(4.0)], bias=0.5)
    assert _engine.derivative_formulas(z) == ["x1", "x2", "w1", "w2", "1"]
    assert _engine.local_derivatives(z) == [3.0, 4.0, 1.0, 2.0, 1.0]


def test_labels_are_escaped_in_the_svg_and_in_the_json() -> None:
    label = 'a</script><script>alert(1)</script>&\u2028"'
    x = am.Value(1.0, label=label)
    fragment = am.explore(x * 2.0).fragment
    assert fragment.count("</script>") == 2  # the data's and the script's own
    assert "<script>alert" not in fragment
    data = fragment[fragment.index('class="am-data">') : fragment.index("</script>")]
    assert "\u2028" not in data and "<" not in data[len('class="am-data">') :]
    assert explorer_data(am.explore(x * 2.0))["nodes"][0]["label"] == label  # type: ignore[index]


def test_non_finite_numbers_reach_the_page_as_text() -> None:
    x = am.Value(-1.0, label="x")
    y = am.relu(x) * math.inf
    fragment = am.explore(y).fragment
    assert "NaN" not in fragment.replace('"NaN"', "")  # never a bare NaN in the JSON
    assert '"Infinity"' in fragment


def test_anomaly_mode_gives_the_line_that_made_a_node() -> None:
    x = am.Value(2.0, label="x")
    with am.detect_anomaly():
        y = x.tanh()  # the line the explorer shows
    origin = explorer_data(am.explore(y))["nodes"][1]["origin"]  # type: ignore[index]
    assert isinstance(origin, str) and "test_explorer.py" in origin and "x.tanh()" in origin
    assert explorer_data(am.explore(x.tanh()))["nodes"][1]["origin"] is None  # type: ignore[index]


def test_svg_has_no_document_level_ids_and_every_node_its_index() -> None:
    y = mlp_loss()
    fragment = am.explore(y).fragment
    assert not re.search(r'<g id="', fragment)
    indices = {int(i) for i in re.findall(r'<g class="node" data-node="(\d+)"', fragment)}
    assert indices == set(range(len(am.topological_order(y))))


def test_big_graphs_open_collapsed_and_too_big_ones_are_refused() -> None:
    y = mlp_loss()
    n = len(am.topological_order(y))
    small = explorer_data(am.explore(y))
    assert small["collapsed"] == [] and len(small["clusters"]) == 6  # type: ignore[arg-type]
    big = explorer_data(am.explore(y, collapse_above=n - 1))
    clusters, collapsed = big["clusters"], big["collapsed"]
    assert isinstance(clusters, dict) and isinstance(collapsed, list)
    paths = sorted(clusters[c]["path"] for c in collapsed)
    assert paths == ["layers.0", "layers.1"]
    with pytest.raises(render.GraphTooLargeError, match="max_nodes"):
        am.explore(y, max_nodes=n - 1)
    with pytest.raises(TypeError, match="explore: expected a Value"):
        am.explore([y])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="collapse_above"):
        am.explore(y, collapse_above=-1)


def test_a_big_mlp_opens_with_its_layers_collapsed() -> None:
    model = nn.MLP(4, [16, 16, 1], activation="tanh", seed=0)
    out = model([0.1, -0.2, 0.3, 0.4])
    assert isinstance(out, am.Value)
    assert len(am.topological_order(out)) > _explore.DEFAULT_COLLAPSE_ABOVE
    data = explorer_data(am.explore(out))
    clusters, collapsed = data["clusters"], data["collapsed"]
    assert isinstance(clusters, dict) and isinstance(collapsed, list)
    paths = sorted(clusters[c]["path"] for c in collapsed)
    assert paths == ["layers.0", "layers.1", "layers.2"]


def test_render_html_writes_one_page_per_call(tmp_path: Path) -> None:
    path = render.render_html([fan_out(), neuron()], tmp_path / "two.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count('class="am-explorer"') == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.html"]  # no temporary left
    assert render.to_html(fan_out()) == am.explore(fan_out()).save(tmp_path / "a.html").read_text(
        encoding="utf-8"
    )
    explorer = am.explore(fan_out())
    assert explorer._repr_html_() == explorer.fragment
    assert repr(explorer) == "<Explorer: 3 values, 6 steps>"


def test_cli_render_picks_html_by_suffix(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "autograd_mini", "render", "x*x + x", "--at", "x=3", "-o", "g.html"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote g.html" in result.stdout
    assert 'class="am-explorer"' in (tmp_path / "g.html").read_text(encoding="utf-8")


# ---- in the browser -------------------------------------------------------------------

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None  # type: ignore[assignment]  # the optional dependency is missing


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if sync_playwright is None or executable is None:
        missing = "playwright" if sync_playwright is None else "the chromium program"
        message = f"{missing} is missing ('make test' installs both)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


class Opened:
    """A page showing a file, with every request and console error it made."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def node_texts(self, explorer: int = 0) -> list[str]:
        """The displayed text of each value node, by its ``data-node`` index."""
        return list(
            self.evaluate(
                """k => {
                  const root = window.autogradMini.explorers[k].root;
                  const texts = [];
                  root.querySelectorAll("g[data-node]").forEach(g => {
                    texts[Number(g.getAttribute("data-node"))] = g.textContent;
                  });
                  return texts;
                }""",
                explorer,
            )
        )


@pytest.fixture
def open_page(browser: Browser, tmp_path: Path) -> Iterator[Callable[[str], Opened]]:
    pages: list[Page] = []

    def open_html(html: str) -> Opened:
        path = tmp_path / f"page{len(pages)}.html"
        path.write_text(html, encoding="utf-8")
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        pages.append(page)
        opened = Opened(page)

        def route(route: Any) -> None:
            url = route.request.url
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                opened.requests.append(url)
                route.abort()

        page.route("**/*", route)
        page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: opened.errors.append(str(error)))
        page.goto(path.as_uri())
        return opened

    yield open_html
    for page in pages:
        page.close()


def number(x: float) -> str:
    return _drawing.number(x, 4)


def single_leaf() -> am.Value:
    return am.Value(1.5, label="only")


@pytest.mark.parametrize("build", [fan_out, neuron, mlp_loss, single_leaf])
def test_every_step_shows_the_engines_numbers(
    build: Callable[[], am.Value], open_page: Callable[[str], Opened]
) -> None:
    y = build()
    opened = open_page(render.to_html(y))
    y.backward()
    order = am.topological_order(y)
    n = len(order)
    steps = opened.evaluate("window.autogradMini.explorers[0].steps")
    assert len(steps) == 2 * n
    for k, step in enumerate(steps):
        opened.evaluate("k => window.autogradMini.explorers[0].goTo(k)", k)
        texts = opened.node_texts()
        i = step["node"]
        if step["phase"] == "forward":
            assert i == k and step["grad"] == 0
            assert f"data {number(order[i].data)}" in texts[i]
            assert all("data ·" in t for t in texts[k + 1 :])  # not computed yet
        else:
            assert step["grad"] == order[i].grad  # the engine's gradient, exactly
            assert f"grad {number(order[i].grad)}" in texts[i]
    for node, text in zip(order, opened.node_texts()):  # the last step: every .grad
        assert f"data {number(node.data)}" in text and f"grad {number(node.grad)}" in text
    assert opened.requests == [] and opened.errors == []


def test_fan_out_grad_grows_across_the_backward_steps(open_page: Callable[[str], Opened]) -> None:
    opened = open_page(render.to_html(fan_out()))  # x, x*x, x*x + x
    shown = []
    for k in range(3, 6):
        opened.evaluate("k => window.autogradMini.explorers[0].goTo(k)", k)
        shown.append(opened.node_texts()[0])
    assert [t.split("grad ")[1].strip() for t in shown] == ["1", "7", "7"]


def test_buttons_keys_and_slider_move_the_step(open_page: Callable[[str], Opened]) -> None:
    opened = open_page(render.to_html(neuron()))
    page = opened.page

    def index() -> int:
        return int(opened.evaluate("window.autogradMini.explorers[0].index"))

    last = len(opened.evaluate("window.autogradMini.explorers[0].steps")) - 1
    page.click(".am-forward")
    page.click(".am-forward")
    assert index() == 2
    page.click(".am-back")
    assert index() == 1
    page.focus(".am-explorer")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert index() == 3
    page.keyboard.press("ArrowLeft")
    assert index() == 2
    page.keyboard.press("End")
    assert index() == last
    page.click(".am-start")
    assert index() == 0
    page.click(".am-end")
    assert index() == last and page.input_value(".am-slider") == str(last)
    page.eval_on_selector(
        ".am-slider", "s => { s.value = '4'; s.dispatchEvent(new Event('input')); }"
    )
    assert index() == 4 and "step 5 of" in page.inner_text(".am-counter")
    page.click(".am-play")
    page.wait_for_function("window.autogradMini.explorers[0].index > 4")
    page.click(".am-play")  # pause
    assert page.inner_text(".am-play") == "play"
    assert opened.errors == []


def test_a_wrong_partial_is_red_with_both_numbers(open_page: Callable[[str], Opened]) -> None:
    x = am.Value(0.3, label="x")
    y = half_tanh(x * 2.0)  # an am.defop whose partial (0.5) is wrong
    opened = open_page(render.to_html(y))
    opened.evaluate(f"window.autogradMini.explorers[0].goTo({len(am.topological_order(y))})")
    bad = opened.page.locator("tr.am-bad")
    assert bad.count() == 1
    text = bad.inner_text()
    assert "0.5" in text and f"✗ numeric {number(1 - math.tanh(0.6) ** 2)}" in text
    edge = opened.page.locator("g[data-edge].edge path[stroke='#d73027']")
    assert edge.count() == 1


def test_two_explorers_on_one_page_are_independent(open_page: Callable[[str], Opened]) -> None:
    opened = open_page(render.to_html([fan_out(), neuron()]))
    assert opened.evaluate("window.autogradMini.explorers.length") == 2
    opened.evaluate("window.autogradMini.explorers[1].goTo(5)")
    assert opened.evaluate("window.autogradMini.explorers.map(e => e.index)") == [0, 5]
    opened.page.locator(".am-explorer").nth(0).locator(".am-forward").click()
    assert opened.evaluate("window.autogradMini.explorers.map(e => e.index)") == [1, 5]
    assert opened.evaluate("document.querySelectorAll('[id]').length") == 0
    assert opened.errors == []


NOTEBOOK = "<!DOCTYPE html><html><body><div class='output'></div></body></html>"


def show_like_a_notebook_output(opened: Opened, fragment: str) -> None:
    """What JupyterLab and VS Code do: put the HTML into the output, replacing what was
    there, then re-create each script so that it runs."""
    opened.evaluate(
        """html => {
          const output = document.querySelector(".output");
          output.innerHTML = html;
          output.querySelectorAll("script").forEach(old => {
            const script = document.createElement("script");
            if (old.type) script.type = old.type;
            if (old.className) script.className = old.className;
            script.textContent = old.textContent;
            old.replaceWith(script);
          });
        }""",
        fragment,
    )


def test_the_fragment_works_when_inserted_like_a_notebook_output(
    open_page: Callable[[str], Opened],
) -> None:
    opened = open_page(NOTEBOOK)
    show_like_a_notebook_output(opened, am.explore(neuron())._repr_html_())
    assert opened.evaluate("window.autogradMini.explorers.length") == 1
    opened.evaluate("window.autogradMini.explorers[0].goTo(3)")
    assert "data" in opened.node_texts()[3] and opened.errors == []


def test_rerunning_a_cell_forgets_the_explorers_it_replaced(
    open_page: Callable[[str], Opened],
) -> None:
    opened = open_page(NOTEBOOK)
    for build in (neuron, fan_out, fan_out):
        show_like_a_notebook_output(opened, am.explore(build())._repr_html_())
    assert opened.evaluate("window.autogradMini.explorers.length") == 1
    assert opened.evaluate("window.autogradMini.explorers[0].root.isConnected")
    assert len(opened.evaluate("window.autogradMini.explorers[0].steps")) == 6  # fan_out's
    assert opened.errors == []


def explain_rows(opened: Opened) -> list[str]:
    return list(
        opened.evaluate("[...document.querySelectorAll('.am-explain tr')].map(r => r.innerText)")
    )


def test_edges_say_which_operand_and_an_exponent_is_not_differentiated(
    open_page: Callable[[str], Opened],
) -> None:
    w, x = am.Value(0.5, label="w"), am.Value(2.0, label="x")
    z = am.dot([w], [x], bias=am.Value(0.25, label="b"))
    y = z**3
    order = am.topological_order(y)
    opened = open_page(render.to_html(y))
    opened.evaluate(f"window.autogradMini.explorers[0].goTo({len(order)})")  # y's backward
    (base, exponent) = explain_rows(opened)[1:]
    assert "∂out/∂x = 3·x²" in base and "✓ numeric" in base
    assert "∂out/∂n: not differentiated" in exponent and "not checked" in exponent
    assert "undefined" not in exponent and "× 1 = nothing" in exponent
    step = 2 * len(order) - 1 - order.index(z)  # z's backward step
    opened.evaluate(f"window.autogradMini.explorers[0].goTo({step})")
    rows = explain_rows(opened)[1:]
    assert [r.split("\t")[:2] for r in rows] == [
        ["w", "∂out/∂w₁ = x₁"],
        ["x", "∂out/∂x₁ = w₁"],
        ["b", "∂out/∂b = 1"],
    ]
    edges = opened.evaluate(
        "[...document.querySelectorAll('g[data-edge]')].map(g => g.textContent)"
    )
    assert any("∂out/∂n: not differentiated" in e for e in edges)
    assert not any("undefined" in e for e in edges) and opened.errors == []


def test_clusters_collapse_and_expand(open_page: Callable[[str], Opened]) -> None:
    y = mlp_loss()
    opened = open_page(am.explore(y, collapse_above=10)._repr_html_())
    page = opened.page
    collapsed = page.locator("g.cluster.am-collapsed")
    assert collapsed.count() == 2  # the two layers
    assert "values" in (collapsed.first.text_content() or "")
    inputs = [i for i, v in enumerate(am.topological_order(y)) if v.label in ("x1", "x2")]
    on_top = """i => {
      const all = [...document.querySelectorAll("g")];
      const box = all.indexOf(document.querySelector(`g[data-node="${i}"]`));
      return [...document.querySelectorAll("g.cluster.am-collapsed")]
        .every(c => all.indexOf(c) < box);
    }"""
    assert all(opened.evaluate(on_top, i) for i in inputs)  # drawn in layers.0, not hidden
    collapsed.first.locator("text").first.click()
    assert page.locator("g.cluster.am-collapsed").count() == 1
    assert opened.errors == []


def test_hover_shows_the_node_and_the_line_that_made_it(
    open_page: Callable[[str], Opened],
) -> None:
    x = am.Value(2.0, label="x")
    with am.detect_anomaly():
        y = x.tanh()
    opened = open_page(render.to_html(y))
    opened.page.hover("g[data-node='1']")
    info = opened.page.inner_text(".am-info")
    assert "op: tanh" in info and "1 − out²" in info
    assert "test_explorer.py" in info and "x.tanh()" in info


def test_the_demo_page_and_a_screenshot_that_is_not_blank(
    open_page: Callable[[str], Opened],
) -> None:
    from PIL import Image

    opened = open_page(_explore.page([am.explore(neuron()), am.explore(mlp_loss())]))
    opened.evaluate("window.autogradMini.explorers[0].goTo(12)")
    image = Image.open(io.BytesIO(opened.page.screenshot()))
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20  # None: more colours than that
    assert opened.requests == [] and opened.errors == []
