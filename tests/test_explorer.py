"""The backprop explorer's data, without a browser: steps in the engine's order, final
gradients equal to ``.grad``, per-edge checks, escaping, limits, files and the CLI."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import autograd_mini as am
from autograd_mini import _explore, _ops, losses, nn, render


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
    d = am.sum([c.tanh(), (-b).relu(), abs(b), a**b.abs()])
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
    (edge,) = data["edges"]  # type: ignore[misc]
    assert edge["formula"] == "1 − out²"
    assert edge["local"] == f"{1 - math.tanh(0.5) ** 2:.4g}"
    assert edge["adds"] == f"× 1 = {1 - math.tanh(0.5) ** 2:.4g}"
    assert edge["bad"] is False


def test_a_wrong_local_derivative_is_marked_with_both_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    right = _ops.local_derivatives

    def wrong(node: am.Value) -> list[float | None]:
        values = right(node)
        return [2.0 * v for v in values if v is not None] if node.op == "tanh" else values

    monkeypatch.setattr(_ops, "local_derivatives", wrong)
    x = am.Value(0.5, label="x")
    explorer = am.explore((x * 2.0).tanh())
    bad = [e for e in explorer_data(explorer)["edges"] if e["bad"]]  # type: ignore[attr-defined]
    assert [e["formula"] for e in bad] == ["1 − out²"]
    assert bad[0]["numeric"] == f"{1 - math.tanh(1.0) ** 2:.4g}"
    assert f"≠ {bad[0]['numeric']}" in explorer.fragment  # both numbers on the edge
    red = f'stroke="{_explore._BAD}"'
    assert red in explorer.fragment and red not in am.explore((x * 2.0).exp()).fragment


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_edge_agrees_with_the_central_difference_of_its_forward(name: str) -> None:
    data = explorer_data(am.explore(GRAPHS[name]()))
    assert not [e for e in data["edges"] if e["bad"]]  # type: ignore[attr-defined]
    assert all(e["numeric"] != "undefined" for e in data["edges"])  # type: ignore[attr-defined]


def test_ops_surface_covers_every_built_in_op() -> None:
    for node in am.topological_order(every_op()):
        if not node.parents:
            assert _ops.local_derivatives(node) == [] and _ops.forward_of(node) is None
            continue
        forward = _ops.forward_of(node)
        assert forward is not None, node.op
        assert forward(*[p.data for p in node.parents]) == pytest.approx(node.data)
        formulas = _ops.derivative_formulas(node)
        assert len(formulas) == len(node.parents) and node.op not in formulas
    z = am.dot([am.Value(1.0), am.Value(2.0)], [am.Value(3.0), am.Value(4.0)], bias=0.5)
    assert _ops.derivative_formulas(z) == ["x1", "x2", "w1", "w2", "1"]
    assert _ops.local_derivatives(z) == [3.0, 4.0, 1.0, 2.0, 1.0]


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
    paths = sorted(big["clusters"][c]["path"] for c in big["collapsed"])  # type: ignore[index]
    assert paths == ["layers.0", "layers.1"]
    with pytest.raises(render.GraphTooLargeError, match="max_nodes"):
        am.explore(y, max_nodes=n - 1)
    with pytest.raises(TypeError, match="explore: expected a Value"):
        am.explore([y])  # type: ignore[arg-type]


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
