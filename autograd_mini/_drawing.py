"""Graphviz drawing primitives shared by `autograd_mini.render` and the explorer
(`autograd_mini._explore`): an internal surface, its names without underscores for those
two modules, not part of the public API.

One builder (`build`) turns a graph's topological order into the Digraph both draw: a
box per value, an oval per operation, edges parent -> operation -> result, clusters by
module, the network's inputs in a column of their own. Callers fill in what differs
through hooks: the text of each value's box and the attributes of each edge.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import graphviz

from autograd_mini._engine import (
    ACTIVATIONS,
    Value,
    derivative_formulas,
    local_derivatives,
    ops,
    topological_order,
)

FONT = "Helvetica"
OP_FILL = "#eeeeee"
CLUSTER_FILLS = ("#f3f6fb", "#e6ecf6", "#d9e2f1")
NEURON_ENDS = {name for name, f in ACTIVATIONS.items() if f is not None}
"""The operations that end a neuron: its activations, from the one activation table."""
RANKDIRS = ("LR", "RL", "TB", "BT")

# An input's edges span two ranks, so the inputs stand in a column of their own, before
# the parameters of the layer they feed instead of beside them.
INPUT_EDGE = {"minlen": "2"}

Key = tuple[str, ...]
"""A cluster's module path, one entry per nesting level (``()``: outside every module)."""


class GraphTooLargeError(ValueError):
    """The graph has more values than the ``max_nodes`` limit allows."""


@dataclass(frozen=True)
class Options:
    """The checked drawing options of `render.to_dot` (the explorer fixes most of them)."""

    rankdir: str
    show_grad: bool
    precision: int
    cluster_depth: int
    color_by_grad: bool
    edge_labels: bool
    max_label_chars: int | None


def check_options(
    rankdir: str,
    show_grad: bool,
    precision: int,
    cluster_depth: int,
    color_by_grad: bool,
    edge_labels: bool,
    max_label_chars: int | None,
) -> Options:
    """The options, each checked with an error that names it."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {rankdir!r}")
    if not is_int(precision) or not 1 <= precision <= 17:
        raise ValueError(f"precision must be an int from 1 to 17, got {precision!r}")
    if not is_int(cluster_depth) or cluster_depth < 0:
        raise ValueError(f"cluster_depth must be an int >= 0, got {cluster_depth!r}")
    if max_label_chars is not None and (not is_int(max_label_chars) or max_label_chars < 2):
        raise ValueError(f"max_label_chars must be an int >= 2 or None, got {max_label_chars!r}")
    return Options(
        rankdir,
        bool(show_grad),
        precision,
        cluster_depth,
        bool(color_by_grad),
        bool(edge_labels),
        max_label_chars,
    )


def checked_order(roots: list[Value], max_nodes: int) -> list[Value]:
    """The topological order of ``roots``; `GraphTooLargeError` past ``max_nodes`` values."""
    if not is_int(max_nodes) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    order = topological_order(*roots)
    if len(order) > max_nodes:
        raise GraphTooLargeError(
            f"the graph has {len(order)} values, more than max_nodes={max_nodes}; "
            f"pass max_nodes={len(order)} (or more) to draw it anyway, knowing that "
            f"Graphviz can take minutes on graphs this large, or draw a smaller part of it"
        )
    return order


def is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def number(x: float, precision: int) -> str:
    """``x`` with ``precision`` significant digits; nan and ±inf spelled out."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{precision}g}"


# ---- the Digraph -----------------------------------------------------------------------


def build(
    order: list[Value],
    keys: list[Key],
    options: Options,
    value_label: Callable[[int, str], str],
    edge_attrs: Callable[[int, int], dict[str, str]] | None = None,
    ids: bool = False,
) -> tuple[graphviz.Digraph, dict[Key, str]]:
    """The Digraph of ``order`` (clustered by ``keys``, from `cluster_keys`), and each
    cluster subgraph's name by module path.

    ``value_label(i, shown)`` is the HTML-like label of node ``i`` (``shown``: its label
    as the box shows it); ``edge_attrs(i, k)`` the attributes of the edge from node
    ``i``'s operand ``k``. With ``ids`` every element carries an ``id`` for a script:
    ``n{i}`` a value, ``o{i}`` its operation, ``e{e}`` the e-th operand edge (node by
    node, operand by operand) and ``f{i}`` the edge from operation to value.
    """
    graph = graphviz.Digraph(
        name="autograd_mini",
        graph_attr={"rankdir": options.rankdir, "fontname": FONT, "fontsize": "11"},
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.6"},
    )
    index = {node: i for i, node in enumerate(order)}
    inputs = input_keys(order, index, keys)
    subgraphs: dict[Key, graphviz.Digraph] = {(): graph}
    for i, node in enumerate(order):
        target = _subgraph_for(inputs.get(i, keys[i]), subgraphs)
        label = value_label(i, short_label(node.label, keys[i]))
        target.node(f"v{i}", label=label, shape="plain", **_id(ids, f"n{i}"))
        if node.parents:
            target.node(
                f"v{i}_op",
                label=f"<{markup(node.op, None)}>",
                shape="ellipse",
                style="filled",
                fillcolor=OP_FILL,
                fontsize="10",
                height="0.3",
                margin="0.04,0.02",
                **_id(ids, f"o{i}"),
            )
    e = 0
    for i, node in enumerate(order):
        for k, parent in enumerate(node.parents):
            j = index[parent]
            attrs = {} if edge_attrs is None else dict(edge_attrs(i, k))
            if j in inputs:
                attrs.update(INPUT_EDGE)
            graph.edge(f"v{j}", f"v{i}_op", **attrs, **_id(ids, f"e{e}"))
            e += 1
        if node.parents:
            graph.edge(f"v{i}_op", f"v{i}", **_id(ids, f"f{i}"))
    _attach_clusters(subgraphs)
    return graph, {key: sub.name for key, sub in subgraphs.items() if key}


def _id(ids: bool, name: str) -> dict[str, str]:
    return {"id": name} if ids else {}


def value_table(cells: Sequence[str], fill: str = "#ffffff") -> str:
    """A value's box: an HTML-like label, one row of ``cells`` (already markup)."""
    body = "".join(f"<TD>{c}</TD>" for c in cells)
    return (
        f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="{fill}"><TR>{body}</TR></TABLE>>'
    )


def short_label(label: str, key: Key) -> str:
    """Inside a cluster, a parameter's name without the cluster's own path (``w.1``)."""
    if key and label.startswith(key[-1] + "."):
        return label[len(key[-1]) + 1 :]
    return label


def markup(text: str, max_chars: int | None) -> str:
    """Any string as the content of a Graphviz HTML-like label: markup characters become
    entities, line breaks <BR/>, control characters visible escapes such as \\x07, and
    backslashes are doubled (Graphviz reads \\N, \\G, ... in labels as names)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    text = visible_escapes(text).replace("\\", "\\\\")  # dot reads \\ as \
    text = html.escape(text, quote=True).replace("]", "&#93;")  # dot 2.43 chokes on "<B>]"
    return text.replace("\n", "<BR/>")


# Characters XML (and so Graphviz's HTML labels and SVG) cannot carry, shown as escapes.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def visible_escapes(text: str) -> str:
    """``text`` with each character XML cannot carry as an escape such as ``\\x07``."""
    return _UNSAFE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# ---- what an edge says -----------------------------------------------------------------


@dataclass(frozen=True)
class Partial:
    """One edge's local derivative ∂node/∂operand, as the rule table gives it."""

    operand: str  # the op's name for the operand: "a", "w₂"
    formula: str  # "x₂"; "" for an operand the rule leaves out (x ** n's n)
    value: float | None  # None: not differentiated, or not computable here

    @property
    def differentiated(self) -> bool:
        return bool(self.formula)

    @property
    def text(self) -> str:
        """The formula, saying which operand it is for: ``∂out/∂w₂ = x₂``."""
        if not self.differentiated:
            return f"∂out/∂{self.operand}: not differentiated"
        return f"∂out/∂{self.operand} = {self.formula}"

    def shown(self, precision: int) -> str:
        """The number, or why there is none."""
        if not self.differentiated:
            return "not differentiated"
        return "undefined" if self.value is None else number(self.value, precision)

    def with_number(self, precision: int) -> str:
        """The formula and its number (``∂out/∂a = b = 3``), once when they are the same
        (``∂out/∂a = 1``)."""
        shown = self.shown(precision)
        if not self.differentiated or shown == self.formula:
            return self.text
        return f"{self.text} = {shown}"


def partials(node: Value) -> list[Partial]:
    """Each operand's partial: its formula in the op's operand names and its number."""
    if not node.parents:
        return []
    op = ops[node.op]
    names = [subscripted(name) for name in op.names(len(node.parents))]
    fixed = op.arity is not None
    formulas, values = derivative_formulas(node), local_derivatives(node)
    return [
        Partial(
            names[k],
            "" if fixed and op.partials[k] is None else subscripted(formulas[k]),
            values[k],
        )
        for k in range(len(node.parents))
    ]


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_NUMBERED = re.compile(r"\b([A-Za-z]+)(\d+)\b")


def subscripted(formula: str) -> str:
    """Numbered operand names with subscripts (``w2·x2`` -> ``w₂·x₂``), so they do not
    read as node labels; plain numbers stay as they are."""
    return _NUMBERED.sub(lambda m: m.group(1) + m.group(2).translate(_SUBSCRIPTS), formula)


# ---- clusters by module ----------------------------------------------------------------


def cluster_keys(order: list[Value], depth: int) -> list[Key]:
    """The cluster of each node, ``depth`` levels deep. A parameter sits in its module;
    an operation that uses parameters directly joins their module, and so does the
    activation applied to it (a neuron is act(w·x + b)). Everything else (inputs,
    targets, losses) stays outside."""
    if depth == 0:
        return [()] * len(order)
    index = {node: i for i, node in enumerate(order)}
    keys: list[Key] = []
    uses_parameters: list[bool] = []
    for node in order:
        if not node.parents:
            keys.append(_module_levels(node.label)[:depth])
            uses_parameters.append(False)
            continue
        direct = [keys[index[p]] for p in node.parents if not p.parents and keys[index[p]]]
        uses_parameters.append(bool(direct))
        if direct:
            keys.append(_common_prefix(direct))
        elif node.op in NEURON_ENDS and uses_parameters[index[node.parents[0]]]:
            keys.append(keys[index[node.parents[0]]])
        else:
            keys.append(())
    return keys


def input_keys(order: list[Value], index: dict[Value, int], keys: list[Key]) -> dict[int, Key]:
    """The network's inputs, each with the cluster it is drawn in: a leaf outside every
    module that feeds an operation inside one stands in the outermost module of those
    operations when they share one (the first layer). Then Graphviz routes its edges
    inside that layer, between its neurons, instead of around the whole layer."""
    consumers: dict[int, list[Key]] = {}
    for i, node in enumerate(order):
        for parent in node.parents:
            j = index[parent]
            if keys[i] and not parent.parents and not keys[j]:
                consumers.setdefault(j, []).append(keys[i])
    return {j: _common_prefix(found)[:1] for j, found in consumers.items()}


def _module_levels(label: str) -> Key:
    """The module path of a parameter name, one entry per nesting level:
    ``layers.0.neurons.2.w.1`` -> ``("layers.0", "layers.0.neurons.2")``."""
    parts = label.split(".")
    if len(parts) < 2:
        return ()
    parts = parts[:-2] if _is_index(parts[-1]) else parts[:-1]  # drop "w.1" or "b"
    return tuple(
        ".".join(parts[: i + 1])
        for i, part in enumerate(parts)
        if _is_index(part) or i == len(parts) - 1
    )


def _is_index(part: str) -> bool:
    return part.isascii() and part.isdigit()


def _common_prefix(keys: list[Key]) -> Key:
    first = keys[0]
    n = len(first)
    for key in keys[1:]:
        n = min(n, len(key))
        for i in range(n):
            if key[i] != first[i]:
                n = i
                break
    return first[:n]


def _subgraph_for(key: Key, subgraphs: dict[Key, graphviz.Digraph]) -> graphviz.Digraph:
    """The (possibly nested) cluster subgraph for ``key``, created on first use."""
    for depth in range(1, len(key) + 1):
        prefix = key[:depth]
        if prefix not in subgraphs:
            parent_name = prefix[-2] if depth > 1 else ""
            title = prefix[-1][len(parent_name) + 1 :] if parent_name else prefix[-1]
            subgraphs[prefix] = graphviz.Digraph(
                name=f"cluster_{len(subgraphs) - 1}",
                graph_attr={
                    "label": f"<{markup(title, None)}>",
                    "style": "rounded,filled",
                    "fillcolor": CLUSTER_FILLS[min(depth, len(CLUSTER_FILLS)) - 1],
                    "color": "#9aa5b8",
                    "labeljust": "l",
                },
            )
    return subgraphs[key]


def _attach_clusters(subgraphs: dict[Key, graphviz.Digraph]) -> None:
    """Nest each cluster in its parent, deepest first (a subgraph is copied when added)."""
    keys = [k for k in subgraphs if k]
    for key in sorted(keys, key=len, reverse=True):  # stable: siblings keep their order
        subgraphs[key[:-1]].subgraph(subgraphs[key])
