"""Draw computation graphs with Graphviz: every value, every gradient, every operation.

Each `Value` becomes a box showing its label, data and grad; each operation a small oval;
edges run parent -> operation -> result (``x * x`` shows two edges from ``x``). Nodes are
numbered by their place in `topological_order`, so the same graph always gives the same
DOT text. Writing DOT needs nothing else; SVG and PNG need Graphviz's ``dot`` program.

>>> import autograd_mini as am
>>> x = am.Value(2.0, label="x")
>>> y = x * x
>>> y.backward()
>>> print(to_dot(y).source)  # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
digraph autograd_mini {
...
v0 [label=<...<TD><B>x</B></TD><TD>data 2</TD><TD>grad 4</TD>...> shape=plain]
v1 [label=<...<TD>data 4</TD><TD>grad 1</TD>...> shape=plain]
v1_op [label=<*> ...]
v0 -> v1_op
v0 -> v1_op
v1_op -> v1
}
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from autograd_mini._drawing import RANKDIRS as RANKDIRS
from autograd_mini._drawing import (
    GraphTooLargeError,
    Options,
    Partial,
    build,
    check_options,
    checked_order,
    cluster_keys,
    markup,
    number,
    partials,
    value_table,
)
from autograd_mini._engine import (
    Value,
    is_real,
    local_derivatives,
    set_display_hook,
    topological_order,
)
from autograd_mini._files import write_atomically

__all__ = [
    "DEFAULT_MAX_NODES",
    "FORMATS",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "format_for",
    "gradcheck_dot",
    "mimebundle",
    "render",
    "render_dot",
    "render_html",
    "render_png",
    "render_svg",
    "run_dot",
    "to_dot",
    "to_html",
    "to_svg",
]

DEFAULT_MAX_NODES = 5000
"""Graphs with more values than this are refused unless ``max_nodes`` is raised."""

FORMATS = ("svg", "png", "pdf", "dot")
"""Output formats `render` writes; ``dot`` is the DOT text itself and needs no Graphviz."""

INSTALL_GRAPHVIZ = (
    "Graphviz's 'dot' program was not found on PATH; it draws SVG and PNG files. "
    "Install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
    "'brew install graphviz' (macOS), 'conda install graphviz', or see "
    "https://graphviz.org/download/ (the pip package 'graphviz' alone is not enough). "
    "Writing DOT text needs no Graphviz: use format='dot'."
)

# Colour bins for |grad|: (upper bound, fill, font colour, legend text), absolute decades,
# so vanishing (blue) and exploding (red) gradients read the same in every graph.
_GRAD_BINS: tuple[tuple[float, str, str, str], ...] = (
    (1e-6, "#08519c", "white", "< 1e-6  (vanishing)"),
    (1e-4, "#4292c6", "white", "1e-6 to 1e-4"),
    (1e-2, "#9ecae1", "black", "1e-4 to 0.01"),
    (1.0, "#c7e9c0", "black", "0.01 to 1"),
    (1e2, "#fdd49e", "black", "1 to 100"),
    (1e4, "#fc8d59", "black", "100 to 1e4"),
    (math.inf, "#d7301f", "white", ">= 1e4  (exploding)"),
)
_GRAD_ZERO = ("#ffffff", "black", "exactly 0")
_GRAD_NONFINITE = ("#6a1b9a", "white", "nan or inf")

# Colour bins for the gradient-check view: error / (atol + rtol * |numeric|).
_CHECK_BINS: tuple[tuple[float, str, str, str], ...] = (
    (0.01, "#1a9850", "white", "agrees (< 1% of tolerance)"),
    (1.0, "#a6d96a", "black", "within tolerance"),
    (100.0, "#fdae61", "black", "disagrees (up to 100x tolerance)"),
    (math.inf, "#d73027", "white", "disagrees badly, or nan"),
)
_CHECK_NONE = ("#ffffff", "black", "not checked (constant)")


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on PATH)."""


@dataclass(frozen=True)
class _Check:
    """How far one node's derivative is from finite differences."""

    error: float  # |analytic - numeric|
    ratio: float  # error / (atol + rtol * |numeric|): above 1 fails


def to_dot(
    root: Value | Sequence[Value],
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    precision: int = 4,
    cluster_depth: int = 0,
    color_by_grad: bool = False,
    edge_labels: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_label_chars: int | None = 40,
) -> graphviz.Digraph:
    """The graph behind ``root`` (a Value, or several) as a `graphviz.Digraph`.

    ``precision`` is the number of significant digits shown. ``cluster_depth`` groups
    nodes by module from parameter names like ``layers.0.neurons.2.w.1`` (1: by layer,
    2: by layer and neuron). ``color_by_grad`` colours values by |grad| on a fixed
    log scale, with a legend. ``edge_labels`` writes on each parent -> operation edge the
    local derivative and the contribution it adds to the parent's grad. A graph of more
    than ``max_nodes`` values raises `GraphTooLargeError`. Labels longer than
    ``max_label_chars`` are shortened (None: never).

    >>> import autograd_mini as am
    >>> a = am.Value(1.5, label='say "hi" <b>')
    >>> 'say &quot;hi&quot; &lt;b&gt;' in to_dot(a.exp()).source
    True
    """
    options = check_options(
        rankdir, show_grad, precision, cluster_depth, color_by_grad, edge_labels, max_label_chars
    )
    order = checked_order(_roots(root), max_nodes)
    return _build(order, options, checks=None)


def gradcheck_dot(
    f: Callable[..., Value],
    inputs: Sequence[float],
    *,
    names: Sequence[str] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    rankdir: str = "LR",
    precision: int = 4,
    cluster_depth: int = 0,
    edge_labels: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_label_chars: int | None = 40,
) -> graphviz.Digraph:
    """The graph of ``f(*inputs)`` coloured by how far backprop and finite differences
    disagree, to find a wrong derivative rule at a glance.

    ``f`` takes one Value per input (as in `autograd_mini.gradcheck`) and must build the
    same graph for nearby inputs. Each input is moved by ``±eps`` in turn. An input is
    coloured by its end-to-end check (its grad against the central difference of the
    output); an operation by its own rule (its local derivatives times its parents'
    changes against its own change), so only the node with the wrong rule turns red,
    not everything downstream of it. Colours compare the error with
    ``atol + rtol * |numeric|``, the tolerance `autograd_mini.gradcheck` uses.

    >>> import autograd_mini as am
    >>> graph = gradcheck_dot(lambda x, y: (x * y).tanh(), [0.5, -2.0], names=["x", "y"])
    >>> "agrees" in graph.source and "disagrees badly" in graph.source  # the legend
    True
    """
    point = _check_point(inputs)
    labels = _check_names(names, len(point))
    if not eps > 0.0:
        raise ValueError(f"gradcheck_dot: eps must be > 0, got {eps!r}")
    options = check_options(
        rankdir, True, precision, cluster_depth, False, edge_labels, max_label_chars
    )
    leaves = [Value(x, label=name) for x, name in zip(point, labels)]
    output = _call(f, leaves)
    order = checked_order([output], max_nodes)
    output.backward()
    checks = _gradient_checks(f, point, leaves, order, eps, atol, rtol)
    return _build(order, options, checks=checks)


def render(
    root: Value | Sequence[Value] | graphviz.Digraph,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    **options: Any,
) -> Path:
    """Write the graph of ``root`` (or a Digraph from `to_dot`/`gradcheck_dot`) to ``path``.

    ``format`` is one of `FORMATS`, by default taken from the file's suffix (``.gv`` is
    DOT). ``options`` go to `to_dot`. The file is written to a temporary name and renamed,
    so a failed run leaves no half-written file. Returns the path.
    """
    target = Path(path)
    fmt = format_for(target, format)
    if options and isinstance(root, graphviz.Digraph):
        raise TypeError("render: options apply to a Value, not to an already built Digraph")
    graph = root if isinstance(root, graphviz.Digraph) else to_dot(root, **options)
    data = graph.source.encode("utf-8") if fmt == "dot" else run_dot(graph.source, fmt)
    write_atomically(str(target), data)
    return target


def render_svg(
    root: Value | Sequence[Value] | graphviz.Digraph, path: str | os.PathLike[str], **options: Any
) -> Path:
    """`render` as SVG (needs Graphviz)."""
    return render(root, path, format="svg", **options)


def render_png(
    root: Value | Sequence[Value] | graphviz.Digraph, path: str | os.PathLike[str], **options: Any
) -> Path:
    """`render` as PNG (needs Graphviz)."""
    return render(root, path, format="png", **options)


def render_dot(
    root: Value | Sequence[Value] | graphviz.Digraph, path: str | os.PathLike[str], **options: Any
) -> Path:
    """`render` as DOT text (needs no Graphviz)."""
    return render(root, path, format="dot", **options)


def to_svg(root: Value | Sequence[Value] | graphviz.Digraph, **options: Any) -> str:
    """The graph as SVG text (needs Graphviz)."""
    graph = root if isinstance(root, graphviz.Digraph) else to_dot(root, **options)
    return run_dot(graph.source, "svg").decode("utf-8")


def to_html(root: Value | Sequence[Value], **options: Any) -> str:
    """The backprop explorer of ``root`` as one self-contained HTML page (no network);
    several Values give one explorer each, one below the other. ``options`` go to
    `autograd_mini.explore`."""
    from autograd_mini import _explore  # here, not above: _explore builds on this module

    roots = [root] if isinstance(root, Value) else list(root)
    return _explore.page([_explore.explore(r, **options) for r in roots])


def render_html(
    root: Value | Sequence[Value], path: str | os.PathLike[str], **options: Any
) -> Path:
    """Write `to_html` to ``path`` (atomically, like `render`); returns the path."""
    target = Path(path)
    write_atomically(str(target), to_html(root, **options).encode("utf-8"))
    return target


def mimebundle(
    value: Value,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> dict[str, str]:
    """What Jupyter shows for a Value: its graph as SVG, and its repr as text.

    The SVG is left out, not raised, when the graph is too large or Graphviz is
    missing, so a notebook cell never fails just by displaying a Value.
    """
    bundle = {"text/plain": repr(value)}
    with contextlib.suppress(GraphTooLargeError, GraphvizNotFoundError):
        bundle["image/svg+xml"] = to_svg(value)
    if include is not None:
        wanted = set(include)
        bundle = {k: v for k, v in bundle.items() if k in wanted}
    if exclude is not None:
        unwanted = set(exclude)
        bundle = {k: v for k, v in bundle.items() if k not in unwanted}
    return bundle


set_display_hook(mimebundle)  # notebooks now draw every Value as its graph


def run_dot(source: str, fmt: str) -> bytes:
    """Lay out DOT ``source`` with Graphviz's ``dot`` and return the ``fmt`` output."""
    executable = shutil.which("dot")
    if executable is None:
        raise GraphvizNotFoundError(INSTALL_GRAPHVIZ)
    try:
        result = subprocess.run(
            [executable, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True
        )
    except OSError as error:
        raise GraphvizNotFoundError(f"{INSTALL_GRAPHVIZ} ({error})") from error
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"Graphviz's dot failed with exit code {result.returncode}: {message}")
    return result.stdout


# ---- the graph -----------------------------------------------------------------------


def _build(
    order: list[Value], options: Options, checks: Mapping[int, _Check] | None
) -> graphviz.Digraph:
    """The shared drawing, each box with its data and grad (and check), and a legend."""
    edges = [partials(node) for node in order] if options.edge_labels else []

    def value_label(i: int, shown: str) -> str:
        check = None if checks is None else checks.get(i)
        return _value_label(order[i], shown, options, checks is not None, check)

    def edge_attrs(i: int, k: int) -> dict[str, str]:
        return {"label": _edge_label(order[i], edges[i][k], options)} if edges else {}

    keys = cluster_keys(order, options.cluster_depth)
    graph, _ = build(order, keys, options, value_label, edge_attrs)
    if checks is not None:
        legend = _legend("gradient check", _CHECK_BINS, [_CHECK_NONE])
        graph.node("legend", label=legend, shape="plain")
    elif options.color_by_grad:
        extra = [_GRAD_ZERO, _GRAD_NONFINITE]
        graph.node("legend", label=_legend("|grad|", _GRAD_BINS, extra), shape="plain")
    return graph


def _value_label(
    node: Value, shown: str, options: Options, checking: bool, check: _Check | None
) -> str:
    """An HTML-like label: a one-row table of label | data | grad (| check)."""
    precision = options.precision
    cells = []
    if shown:
        cells.append(f"<B>{markup(shown, options.max_label_chars)}</B>")
    cells.append(f"data {number(node.data, precision)}")
    if options.show_grad:
        cells.append(f"grad {number(node.grad, precision)}")
    fill, font = "#ffffff", "black"
    if checking:
        if check is None:
            fill, font, _ = _CHECK_NONE
        else:
            cells.append(f"check Δ {number(check.error, 2)}")
            fill, font = _bin(check.ratio, _CHECK_BINS)
    elif options.color_by_grad:
        fill, font = _grad_colour(node.grad)
    if font != "black":
        cells = [f'<FONT COLOR="{font}">{c}</FONT>' for c in cells]
    return value_table(cells, fill)


def _edge_label(node: Value, partial: Partial, options: Options) -> str:
    """The local derivative ∂node/∂operand as its formula from the rule table and its
    number, and what backprop added to the operand's grad through this edge (the node's
    grad times that derivative)."""
    text = markup(partial.with_number(options.precision), None)
    if options.show_grad and partial.differentiated:
        d = partial.value
        adds = "undefined" if d is None else number(node.grad * d, options.precision)
        text += f"<BR/>adds {adds}"
    return f"<{text}>"


def _legend(
    title: str,
    bins: Sequence[tuple[float, str, str, str]],
    extra: Sequence[tuple[str, str, str]],
) -> str:
    """A key to the colours: one swatch and its meaning per row."""
    rows = [f'<TR><TD COLSPAN="2"><B>{markup(title, None)}</B></TD></TR>']
    for fill, text in [(b[1], b[3]) for b in bins] + [(e[0], e[2]) for e in extra]:
        rows.append(
            f'<TR><TD BGCOLOR="{fill}" WIDTH="18"> </TD>'
            f'<TD ALIGN="LEFT"><FONT COLOR="black">{markup(text, None)}</FONT></TD></TR>'
        )
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
        f"{''.join(rows)}</TABLE>>"
    )


def _bin(x: float, bins: Sequence[tuple[float, str, str, str]]) -> tuple[str, str]:
    for upper, fill, font, _ in bins:
        if x < upper:
            return fill, font
    return bins[-1][1], bins[-1][2]  # inf and nan land in the last bin


def _grad_colour(grad: float) -> tuple[str, str]:
    if grad == 0.0:
        return _GRAD_ZERO[0], _GRAD_ZERO[1]
    if not math.isfinite(grad):
        return _GRAD_NONFINITE[0], _GRAD_NONFINITE[1]
    return _bin(abs(grad), _GRAD_BINS)


# ---- gradient-check view ---------------------------------------------------------------


def _gradient_checks(
    f: Callable[..., Value],
    point: list[float],
    leaves: list[Value],
    order: list[Value],
    eps: float,
    atol: float,
    rtol: float,
) -> dict[int, _Check]:
    index = {node: i for i, node in enumerate(order)}
    parents = [[index[p] for p in node.parents] for node in order]
    local = [local_derivatives(node) for node in order]
    worst: dict[int, _Check] = {}

    def record(i: int, analytic: float, numeric: float) -> None:
        error = abs(analytic - numeric)
        ratio = error / (atol + rtol * abs(numeric))
        if math.isnan(ratio):
            ratio = math.inf
        if i not in worst or ratio > worst[i].ratio:
            worst[i] = _Check(error, ratio)

    for j in range(len(point)):
        plus = _rerun(f, point, j, eps, order, parents)
        minus = _rerun(f, point, j, -eps, order, parents)
        change = [(p - m) / (2.0 * eps) for p, m in zip(plus, minus)]
        if leaves[j] in index:
            record(index[leaves[j]], leaves[j].grad, change[-1])
        for i, node in enumerate(order):
            derivatives = local[i]
            if not node.parents or None in derivatives:
                continue
            known = [d for d in derivatives if d is not None]
            predicted = math.fsum(d * change[p] for d, p in zip(known, parents[i]))
            record(i, predicted, change[i])
    return worst


def _rerun(
    f: Callable[..., Value],
    point: list[float],
    j: int,
    step: float,
    order: list[Value],
    parents: list[list[int]],
) -> list[float]:
    """The data of every node when input ``j`` moves by ``step``; the graph must match."""
    moved = [x + step if k == j else x for k, x in enumerate(point)]
    again = topological_order(_call(f, [Value(x) for x in moved]))
    index = {node: i for i, node in enumerate(again)}
    same = len(again) == len(order) and all(
        a.op == b.op and [index[p] for p in a.parents] == parents[i]
        for i, (a, b) in enumerate(zip(again, order))
    )
    if not same:
        raise ValueError(
            "gradcheck_dot: f built a different graph when an input moved by eps; "
            "the gradient-check view needs the same operations for nearby inputs"
        )
    return [node.data for node in again]


def _call(f: Callable[..., Value], leaves: list[Value]) -> Value:
    output = f(*leaves)
    if not isinstance(output, Value):
        raise TypeError(f"gradcheck_dot: f must return a Value, got {type(output).__name__}")
    return output


# ---- checks and small helpers ----------------------------------------------------------


def _roots(root: object) -> list[Value]:
    if isinstance(root, Value):
        return [root]
    if isinstance(root, Sequence) and not isinstance(root, str):
        roots = list(root)
        if roots and all(isinstance(r, Value) for r in roots):
            return roots
    raise TypeError(f"expected a Value or a non-empty sequence of Values, got {root!r:.80}")


def _check_point(inputs: Sequence[float]) -> list[float]:
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence) or not inputs:
        raise TypeError(f"inputs must be a non-empty sequence of numbers, got {inputs!r}")
    for i, x in enumerate(inputs):
        if not is_real(x) or not math.isfinite(x):
            raise ValueError(f"inputs[{i}] must be a finite real number, got {x!r}")
    return [float(x) for x in inputs]


def _check_names(names: Sequence[str] | None, n: int) -> list[str]:
    if names is None:
        return [f"x{i}" for i in range(n)]
    labels = list(names)
    if len(labels) != n or not all(isinstance(name, str) for name in labels):
        raise ValueError(f"names must be {n} strings, one per input; got {names!r}")
    return labels


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The format to write ``path`` in: ``fmt`` when given, else the one its suffix names
    (``.gv`` is DOT); ValueError when neither names a known format."""
    path = Path(path)
    if fmt is None:
        suffix = path.suffix.lower().lstrip(".")
        fmt = "dot" if suffix == "gv" else suffix
        if fmt not in FORMATS:
            raise ValueError(
                f"cannot tell the format from the file name {str(path)!r}; "
                f"end it in .svg, .png, .pdf, .dot or .gv, or pass format="
            )
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    return fmt
