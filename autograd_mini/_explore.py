"""The backprop explorer: one self-contained HTML page that steps through a graph's
forward pass and then its backward pass, one node at a time.

Python computes every step in the engine's own order, each product the rule table's
partial times the upstream gradient as backprop computes it, so the last step shows
exactly what `Value.backward` gives. Graphviz lays the graph out as inline SVG; a small
script of the package's own (``explorer.js``) only shows the steps. Nothing is fetched:
the page works from ``file://``, offline, and in a notebook cell.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from autograd_mini import render
from autograd_mini._drawing import (
    Key,
    build,
    check_options,
    checked_order,
    cluster_keys,
    input_keys,
    is_int,
    markup,
    number,
    partials,
    value_table,
)
from autograd_mini._engine import Value, forward_of, local_derivatives
from autograd_mini._files import write_atomically

__all__ = ["DEFAULT_COLLAPSE_ABOVE", "DEFAULT_MAX_NODES", "Explorer", "explore"]

DEFAULT_MAX_NODES = 2000
"""Graphs with more values than this are refused (`render.GraphTooLargeError`)."""

DEFAULT_COLLAPSE_ABOVE = 300
"""Graphs with more values than this open with their layer clusters collapsed."""

# The per-edge check's step and tolerance: those of `autograd_mini.gradcheck`.
_EPS, _ATOL, _RTOL = 1e-6, 1e-5, 1e-3
_BAD = "#d73027"


@dataclass(frozen=True)
class Explorer:
    """A graph's explorer: shows inline in Jupyter and VS Code, and saves as one file.

    >>> import autograd_mini as am
    >>> x = am.Value(3.0, label="x")
    >>> page = am.explore(x * x + x)
    >>> len(page.steps), page.steps[-1]  # a forward and a backward step per node
    (6, {'phase': 'backward', 'node': 0, 'label': 'x', 'value': 3.0, 'grad': 7.0})
    """

    fragment: str = field(repr=False)
    """The explorer as an HTML fragment (style, SVG, data and script), for embedding."""
    steps: list[dict[str, Any]] = field(repr=False)
    """The steps as the page's ``steps``: ``{phase, node, label, value, grad}`` each."""

    def _repr_html_(self) -> str:
        return self.fragment

    def __repr__(self) -> str:
        return f"<Explorer: {len(self.steps) // 2} values, {len(self.steps)} steps>"

    def save(self, path: str | Path) -> Path:
        """Write the explorer as a complete HTML page (atomically); returns the path."""
        target = Path(path)
        write_atomically(str(target), page([self]).encode("utf-8"))
        return target


def explore(
    root: Value,
    *,
    precision: int = 4,
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
    collapse_above: int = DEFAULT_COLLAPSE_ABOVE,
) -> Explorer:
    """An explorer of the graph behind ``root``, to step through its forward and backward
    pass; it does not touch any ``.grad``.

    >>> import autograd_mini as am
    >>> x = am.Value(0.5, label="x")
    >>> explorer = am.explore(x.tanh())  # in a notebook, the cell shows it
    >>> [(s["phase"], s["label"] or "tanh") for s in explorer.steps]
    [('forward', 'x'), ('forward', 'tanh'), ('backward', 'tanh'), ('backward', 'x')]

    ``precision`` is the number of significant digits shown. Parameters named by
    `autograd_mini.nn` are grouped into layer and neuron clusters, which a click
    collapses or expands; with more than ``collapse_above`` values the layers open
    collapsed. More than ``max_nodes`` values raise `render.GraphTooLargeError`.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explore: expected a Value, got {type(root).__name__}")
    if not is_int(collapse_above) or collapse_above < 0:
        raise ValueError(f"collapse_above must be an int >= 0, got {collapse_above!r}")
    options = check_options(rankdir, True, precision, 2, False, True, 40)
    order = checked_order([root], max_nodes)
    model = _model(order, precision)
    keys = cluster_keys(order, 2)

    def value_label(i: int, shown: str) -> str:
        cells = [f"<B>{markup(shown, options.max_label_chars)}</B>"] if shown else []
        node = model["nodes"][i]
        return value_table([*cells, f"data {node['value']}", f"grad {node['grad']}"])

    def edge_attrs(i: int, k: int) -> dict[str, str]:
        edge = model["edges"][model["nodes"][i]["edges"][k]]
        first = edge["text"] + (f" ≠ {edge['numeric']}" if edge["bad"] else "")
        label = f"<{markup(first, None)}<BR/>{markup(edge['adds'], None)}>"
        look = {"color": _BAD, "fontcolor": _BAD, "penwidth": "2"} if edge["bad"] else {}
        return {"label": label, **look}

    graph, clusters = build(order, keys, options, value_label, edge_attrs, ids=True)
    inputs = input_keys(order, {n: i for i, n in enumerate(order)}, keys)
    collapsed = [name for key, name in clusters.items() if len(key) == 1]
    data = {
        **model,
        "clusters": {name: _cluster_info(key, keys, inputs) for key, name in clusters.items()},
        "collapsed": collapsed if len(order) > collapse_above else [],
    }
    svg = _scoped_svg(render.to_svg(graph))
    return Explorer(_fragment(svg, data), data["steps"])


def page(explorers: Sequence[Explorer], title: str = "autograd_mini explorer") -> str:
    """A complete HTML page holding the explorers one below the other."""
    body = "\n".join(e.fragment for e in explorers)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<link rel="icon" href="data:,">\n<title>{html.escape(title)}</title>\n'
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# ---- the steps -------------------------------------------------------------------------


def _model(order: list[Value], precision: int) -> dict[str, Any]:
    """Nodes, edges and steps as JSON-ready data, backward in the engine's order."""

    def text(x: float | None) -> str:
        return "undefined" if x is None else number(x, precision)

    index = {node: i for i, node in enumerate(order)}
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for i, node in enumerate(order):
        numerics = _central_differences(node)
        slots = []
        for k, (parent, partial) in enumerate(zip(node.parents, partials(node))):
            numeric = numerics[k] if partial.differentiated else None
            bad = _disagree(partial.value, numeric)
            slots.append(len(edges))
            edges.append(
                {
                    "child": i,
                    "parent": index[parent],
                    "formula": partial.text,
                    "local": partial.shown(precision),
                    "text": partial.with_number(precision),
                    "numeric": text(numeric),
                    "bad": bad,
                    "differentiated": partial.differentiated,
                    "check": _check_text(partial.differentiated, bad, numeric, precision),
                }
            )
        nodes.append(
            {
                "name": _name(node, i),
                "label": node.label,
                "op": node.op,
                "value": text(node.data),
                "edges": slots,
                "origin": node.origin,
            }
        )
    steps = [_step("forward", i, node, 0.0) for i, node in enumerate(order)]
    effects: list[list[list[Any]]] = [[] for _ in order]
    pending = [0.0] * len(order)
    pending[-1] = 1.0  # the root comes last in topological order
    for i in reversed(range(len(order))):
        node, g = order[i], pending[i]
        steps.append(_step("backward", i, node, 0.0 + g))  # what `backward` adds to 0.0
        nodes[i]["grad"] = text(g)
        parents = node.parents
        # g · ∂node/∂parent, the product backprop adds, in backprop's own order
        added = [None if d is None else g * d for d in local_derivatives(node)]
        effect: list[list[Any]] = []
        for k, parent in enumerate(parents):
            j, e = index[parent], nodes[i]["edges"][k]
            contribution = added[k]
            if contribution is not None:
                pending[j] += contribution
            shown = text(contribution) if edges[e]["differentiated"] else "nothing"
            edges[e]["adds"] = f"× {text(g)} = {shown}"
            effect.append([e, text(pending[j])])
        effects.append(effect)
    return {"nodes": nodes, "edges": edges, "steps": steps, "effects": effects}


def _step(phase: str, i: int, node: Value, grad: float) -> dict[str, Any]:
    return {"phase": phase, "node": i, "label": node.label, "value": node.data, "grad": grad}


def _name(node: Value, i: int) -> str:
    """What the panels call a node: its label, else its operation and place."""
    if node.label:
        return node.label
    return f"{node.op} #{i}" if node.op else f"constant #{i}"


def _central_differences(node: Value) -> list[float | None]:
    """Each operand's partial by a central difference of the op's own forward."""
    forward = forward_of(node)
    operands = [p.data for p in node.parents]
    result: list[float | None] = []
    for k, x in enumerate(operands):
        if forward is None:
            result.append(None)
            continue
        h = _EPS * max(1.0, abs(x))
        try:
            up = forward(*operands[:k], x + h, *operands[k + 1 :])
            down = forward(*operands[:k], x - h, *operands[k + 1 :])
        except (ArithmeticError, ValueError):
            result.append(None)
            continue
        result.append((up - down) / (2.0 * h))
    return result


def _check_text(differentiated: bool, bad: bool, numeric: float | None, precision: int) -> str:
    """The check column: the central difference, and whether the partial agrees with it."""
    if not differentiated:
        return "not checked"
    if numeric is None:
        return "no numeric value here"
    return f"{'✗' if bad else '✓'} numeric {number(numeric, precision)}"


def _disagree(local: float | None, numeric: float | None) -> bool:
    """True when both exist and differ by more than gradcheck's tolerance."""
    if local is None or numeric is None:
        return False
    return not abs(local - numeric) <= _ATOL + _RTOL * abs(numeric)


# ---- the layout ------------------------------------------------------------------------


def _cluster_info(key: Key, keys: list[Key], inputs: dict[int, Key]) -> dict[str, Any]:
    """A cluster's path and size, and the inputs drawn in it (not members: a collapsed
    cluster keeps them in view)."""
    members = [i for i, k in enumerate(keys) if k[: len(key)] == key]
    drawn = [i for i, k in inputs.items() if k and k[: len(key)] == key]
    return {"path": key[-1], "size": len(members), "inputs": drawn}


_SVG_GROUP = re.compile(r'<g id="([^"]*)" class="(node|edge|cluster|graph)"')


def _scoped_svg(svg: str) -> str:
    """Graphviz's SVG without its XML prologue and without document-level ids (two
    explorers on one page would repeat them): each group gets a ``data-`` attribute."""
    svg = svg[svg.index("<svg") :]

    def attributes(match: re.Match[str]) -> str:
        name, kind = match.group(1), match.group(2)
        if kind == "node" and name[:1] in "no" and name[1:].isdigit():
            role = "data-node" if name[0] == "n" else "data-op-of"
            return f'<g class="node" {role}="{name[1:]}"'
        if kind == "edge" and name[:1] in "ef" and name[1:].isdigit():
            role = "data-edge" if name[0] == "e" else "data-result-of"
            return f'<g class="edge" {role}="{name[1:]}"'
        return f'<g class="{kind}" data-gv="{name}"'

    return _SVG_GROUP.sub(attributes, svg)


# ---- the page --------------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("autograd_mini").joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data: object) -> str:
    """JSON safe inside a <script> element: no markup characters, no line separators,
    and non-finite numbers as strings (JSON has no NaN)."""
    text = json.dumps(_finite_or_text(data), ensure_ascii=False, allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def _finite_or_text(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return "NaN" if math.isnan(data) else ("Infinity" if data > 0 else "-Infinity")
    if isinstance(data, dict):
        return {k: _finite_or_text(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_finite_or_text(v) for v in data]
    return data


_CONTROLS = """<div class="am-controls">
<button type="button" class="am-start" title="first step (Home)">|◀</button>
<button type="button" class="am-back" title="step back (←)">◀</button>
<button type="button" class="am-play" title="play / pause">play</button>
<button type="button" class="am-forward" title="step forward (→)">▶</button>
<button type="button" class="am-end" title="last step (End)">▶|</button>
<input type="range" class="am-slider" min="0" value="0" aria-label="step">
<span class="am-counter"></span>
<button type="button" class="am-fit" title="fit the graph to the width, or full size">fit</button>
</div>
<div class="am-top"><div class="am-explain"></div>
<div class="am-info">Hover or click a box.</div></div>"""


def _fragment(svg: str, data: dict[str, Any]) -> str:
    return (
        f'<div class="am-explorer" tabindex="0">\n<style>{_asset("explorer.css")}</style>\n'
        f"{_CONTROLS}\n"
        f'<div class="am-graph">{svg}</div>\n'
        f'<script type="application/json" class="am-data">{_json_for_script(data)}</script>\n'
        f"<script>{_asset('explorer.js')}</script>\n</div>"
    )
