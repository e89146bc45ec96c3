"""Graphviz rendering: DOT structure, escaping, clusters, colours, limits, files, errors."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini import _drawing, render
from autograd_mini.nn import MLP

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(svg: str) -> list[str]:
    """Every text drawn in an SVG, in document order (Graphviz writes runs of spaces as
    no-break spaces, so those are turned back)."""
    root = ET.fromstring(svg)
    return [(t.text or "").replace("\xa0", " ") for t in root.iter(f"{SVG}text")]


def neuron() -> am.Value:
    x = am.Value(2.0, label="x")
    w = am.Value(-3.0, label="w")
    b = am.Value(6.5, label="b")
    y = (w * x + b).sigmoid()
    y.label = "y"
    y.backward()
    return y


def node_lines(source: str) -> dict[str, str]:
    """Node id -> its whole statement, for the value and operation nodes of a DOT text."""
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r"^\s*(v\d+(?:_op)?) \[.*$", source, flags=re.MULTILINE)
    }


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\S+) -> (\S+?)(?: \[.*)?$", source, flags=re.MULTILINE)


def clusters_of(source: str) -> dict[str, list[str]]:
    """Node id -> the labels of the clusters around it, outermost first."""
    stack: list[str] = []
    where: dict[str, list[str]] = {}
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster_"):
            stack.append("?")
        elif stripped.startswith("graph [") and stack and stack[-1] == "?":
            stack[-1] = re.findall(r"label=<(.*?)>", stripped)[0]
        elif stripped == "}" and stack:
            stack.pop()
        else:
            m = re.match(r"(v\d+) \[", stripped)
            if m:
                where[m.group(1)] = list(stack)
    return where


# ---- structure -------------------------------------------------------------------------


def test_svg_is_xml_with_every_label_value_and_gradient() -> None:
    y = neuron()
    x = am.topological_order(y)[1]
    assert x.label == "x"
    texts = svg_texts(render.to_svg(y))
    for expected in ["x", "w", "b", "y", "data 2", f"grad {x.grad:.4g}", "data 0.6225", "grad 1"]:
        assert expected in texts
    for op in ["*", "+", "sigmoid"]:
        assert op in texts


def test_one_node_per_value_and_per_operation_with_edges_through_the_operation() -> None:
    y = neuron()
    order = am.topological_order(y)
    source = render.to_dot(y).source
    nodes = node_lines(source)
    assert sorted(n for n in nodes if not n.endswith("_op")) == sorted(
        f"v{i}" for i in range(len(order))
    )
    assert sorted(n for n in nodes if n.endswith("_op")) == sorted(
        f"v{i}_op" for i, v in enumerate(order) if v.parents
    )
    expected = []
    for i, v in enumerate(order):
        for p in v.parents:
            expected.append((f"v{order.index(p)}", f"v{i}_op"))
        if v.parents:
            expected.append((f"v{i}_op", f"v{i}"))
    assert sorted(edges(source)) == sorted(expected)


def test_a_parent_used_twice_has_two_edges() -> None:
    x = am.Value(3.0, label="x")
    y = x * x
    assert edges(render.to_dot(y).source).count(("v0", "v1_op")) == 2


def test_same_graph_gives_the_same_dot_text() -> None:
    assert render.to_dot(neuron()).source == render.to_dot(neuron()).source


def test_several_roots_share_their_common_nodes() -> None:
    x = am.Value(1.0, label="x")
    a, b = x.exp(), x.tanh()
    source = render.to_dot([a, b]).source
    assert len([n for n in node_lines(source) if not n.endswith("_op")]) == 3


def test_rendering_walks_the_graph_with_topological_order_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    def counting(*roots: am.Value) -> list[am.Value]:
        calls.append(roots)
        return am.topological_order(*roots)

    monkeypatch.setattr(_drawing, "topological_order", counting)
    y = neuron()
    render.to_dot(y, cluster_depth=2, edge_labels=True, color_by_grad=True)
    assert calls == [(y,)]


# ---- numbers ---------------------------------------------------------------------------


def test_precision_sets_significant_digits() -> None:
    v = am.Value(math.pi, label="p")
    assert "data 3.14<" in render.to_dot(v, precision=3).source
    assert "data 3.14159265<" in render.to_dot(v, precision=9).source


@pytest.mark.parametrize(
    ("value", "shown"), [(math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf")]
)
def test_non_finite_values_are_shown_by_name(value: float, shown: str) -> None:
    v = am.Value(value, label="v")
    v.grad = value
    texts = svg_texts(render.to_svg(v))
    assert f"data {shown}" in texts
    assert f"grad {shown}" in texts


def test_show_grad_false_leaves_gradients_out() -> None:
    assert "grad " not in render.to_dot(neuron(), show_grad=False).source
    assert "grad " in render.to_dot(neuron()).source


# ---- escaping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        'say "hi"',
        "<b>not bold</b>",
        "a|b{c}d",
        "]",
        "[]]",
        "\\N \\G \\\\",
        "back\\slash\\",
        "two\nlines",
        "é ß 😀 ∂",
        "&amp;",
    ],
)
def test_awkward_labels_render_verbatim(label: str) -> None:
    v = am.Value(1.0, label=label)
    texts = svg_texts(render.to_svg(v, max_label_chars=None))
    assert "\n".join(t for t in texts if not t.startswith(("data", "grad"))) == label


def test_control_characters_are_shown_as_escapes() -> None:
    v = am.Value(1.0, label="bell\x07nul\x00")
    assert "bell\\x07nul\\x00" in svg_texts(render.to_svg(v))


def test_long_labels_are_shortened() -> None:
    v = am.Value(1.0, label="a" * 100)
    assert "a" * 9 + "…" in svg_texts(render.to_svg(v, max_label_chars=10))


def visible(label: str) -> str:
    """What a label looks like once drawn: line breaks split it, control characters and
    lone surrogates appear as escapes (\\x1f), tabs as spaces."""
    label = label.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").replace("\xa0", " ")
    return _drawing.visible_escapes(label)


@settings(max_examples=100)
@given(st.text(st.characters(codec=None), max_size=25), st.text(max_size=10))
def test_any_label_renders_through_dot(label: str, other: str) -> None:
    x = am.Value(-1.5, label=label)
    y = x * am.Value(2.0, label=other)
    y.label = label + other
    y.backward()
    texts = svg_texts(render.to_svg(y, max_label_chars=None))  # runs dot; parses as XML
    drawn = "\n".join(texts)
    for text in (label, other, label + other):
        for line in visible(text).split("\n"):
            assert line.strip() in drawn


# ---- clusters --------------------------------------------------------------------------


def mlp_loss() -> tuple[MLP, am.Value]:
    model = MLP(2, [3, 2, 1], activation="tanh", seed=0)
    out = model([am.Value(0.5, label="x1"), am.Value(-1.0, label="x2")])
    assert isinstance(out, am.Value)
    loss = (out - 1.0) ** 2
    loss.backward()
    return model, loss


def test_clusters_by_layer_and_neuron_from_parameter_names() -> None:
    model, loss = mlp_loss()
    order = am.topological_order(loss)
    index = {v: i for i, v in enumerate(order)}
    by_layer = clusters_of(render.to_dot(loss, cluster_depth=1).source)
    by_neuron = clusters_of(render.to_dot(loss, cluster_depth=2).source)
    for name, p in model.named_parameters():
        layer = name.split(".")[1]
        neuron_index = name.split(".")[3]
        assert by_layer[f"v{index[p]}"] == [f"layers.{layer}"]
        assert by_neuron[f"v{index[p]}"] == [f"layers.{layer}", f"neurons.{neuron_index}"]
    neuron0 = model.layers[0].neurons[0]
    activation = next(v for v in order if v.op == "tanh" and neuron0.w[0] in _ancestors(v))
    assert by_neuron[f"v{index[activation]}"] == ["layers.0", "neurons.0"]
    assert by_neuron[f"v{index[loss]}"] == []  # the loss is outside every module
    inputs = [v for v in order if v.label in ("x1", "x2")]  # drawn in the layer they feed
    assert all(by_neuron[f"v{index[v]}"] == ["layers.0"] for v in inputs)


def test_inside_a_cluster_parameters_show_their_short_names() -> None:
    _, loss = mlp_loss()
    texts = svg_texts(render.to_svg(loss, cluster_depth=2))
    assert "w.0" in texts and "neurons.1" in texts and "layers.0" in texts
    assert "layers.0.neurons.0.w.0" not in texts
    assert "layers.0.neurons.0.w.0" in svg_texts(render.to_svg(loss, max_label_chars=None))


def test_a_clustered_graph_draws_its_inputs_in_a_column_before_the_layers() -> None:
    _, loss = mlp_loss()
    order = am.topological_order(loss)
    inputs = {f"v{i}" for i, v in enumerate(order) if v.label in ("x1", "x2")}
    source = render.to_dot(loss, cluster_depth=1).source
    long = {line.split()[0] for line in source.splitlines() if "minlen=2" in line}
    assert long == inputs  # every edge from an input, and only those, spans two ranks
    assert "minlen" not in render.to_dot(loss).source  # unclustered: laid out as before


def test_no_clusters_by_default() -> None:
    _, loss = mlp_loss()
    assert "subgraph" not in render.to_dot(loss).source


def _ancestors(v: am.Value) -> set[am.Value]:
    return set(am.topological_order(v))


# ---- colours and edge labels -------------------------------------------------------------


def fill_of(source: str, node_id: str) -> str:
    match = re.search(r'BGCOLOR="(#[0-9a-f]{6})"', node_lines(source)[node_id])
    assert match is not None
    return match.group(1)


def test_colour_by_grad_marks_vanishing_and_exploding_gradients_with_a_legend() -> None:
    small = am.Value(1.0, label="small")
    big = am.Value(1.0, label="big")
    fine = am.Value(1.0, label="fine")
    y = small * 1e-9 + big * 1e6 + fine * 0.5
    y.backward()
    order = am.topological_order(y)
    source = render.to_dot(y, color_by_grad=True).source
    vanishing, exploding = render._GRAD_BINS[0][1], render._GRAD_BINS[-1][1]
    assert fill_of(source, f"v{order.index(small)}") == vanishing
    assert fill_of(source, f"v{order.index(big)}") == exploding
    assert fill_of(source, f"v{order.index(fine)}") == render._GRAD_BINS[3][1]  # 0.01 to 1
    texts = svg_texts(render.to_svg(y, color_by_grad=True))
    assert "|grad|" in texts and "< 1e-6  (vanishing)" in texts


def test_no_colours_or_legend_unless_asked() -> None:
    source = render.to_dot(neuron()).source
    assert "legend" not in source
    assert set(re.findall(r'BGCOLOR="(#[0-9a-f]{6})"', source)) == {"#ffffff"}


def test_edge_labels_show_local_derivatives_and_contributions_that_add_up() -> None:
    x = am.Value(3.0, label="x")
    c = am.Value(-2.0, label="c")
    y = x * x * c  # dy/dx = 2xc = -12, made of two contributions of -6
    y.backward()
    source = render.to_dot(y, edge_labels=True).source
    square_edges = re.findall(r"v0 -> v1_op \[label=<(.*?)>\]", source)
    assert square_edges == ["∂out/∂a = b = 3<BR/>adds -6", "∂out/∂b = a = 3<BR/>adds -6"]
    assert x.grad == -12.0
    assert "v2 -> v3_op [label=<∂out/∂b = a = 9<BR/>adds 9>]" in source  # d(x*x*c)/dc = x*x
    assert "v1 -> v3_op [label=<∂out/∂a = b = -2<BR/>adds -2>]" in source  # d(x*x*c)/d(x*x)
    assert "adds" not in render.to_dot(y, edge_labels=True, show_grad=False).source


# ---- gradient-check view -----------------------------------------------------------------


def test_gradient_check_view_is_green_for_correct_rules() -> None:
    graph = render.gradcheck_dot(lambda x, y: (x * y).tanh() + x.exp(), [0.5, -1.0])
    fills = re.findall(r'BGCOLOR="(#[0-9a-f]{6})"><TR>', graph.source)
    assert fills and set(fills) <= {render._CHECK_BINS[0][1], render._CHECK_NONE[0]}
    assert "check Δ" in graph.source


wrong_sin = am.defop("wrong_sin", math.sin, lambda out, x: out)  # ∂ should be cos x


def test_gradient_check_view_turns_only_the_wrong_rule_red() -> None:
    graph = render.gradcheck_dot(lambda x: wrong_sin(x * 2.0).exp(), [0.3], names=["x"])
    nodes = node_lines(graph.source)
    red = render._CHECK_BINS[-1][1]
    green = render._CHECK_BINS[0][1]

    def fill(node_id: str) -> str:
        color = re.findall(r'BGCOLOR="(#[0-9a-f]{6})"><TR>', nodes[node_id])[0]
        assert isinstance(color, str)
        return color

    # order: x, 2.0, x*2, sin, exp
    assert fill("v3") == red  # the sin node, whose rule is wrong
    assert fill("v2") == green and fill("v4") == green  # its neighbours' rules are right
    assert fill("v0") == red  # and x's end-to-end gradient is wrong because of it


def test_gradient_check_view_refuses_a_function_whose_graph_changes() -> None:
    def branchy(x: am.Value) -> am.Value:
        return x.exp() if x.data > 0.5 else x.tanh()

    with pytest.raises(ValueError, match="different graph"):
        render.gradcheck_dot(branchy, [0.5])


@pytest.mark.parametrize(
    ("inputs", "error"), [([], TypeError), ([math.nan], ValueError), ("1", TypeError)]
)
def test_gradient_check_view_checks_inputs(inputs: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        render.gradcheck_dot(lambda x: x, inputs)  # type: ignore[arg-type]


# ---- limits and bad options ---------------------------------------------------------------


def chain(n: int) -> am.Value:
    v = am.Value(0.1)
    for _ in range(n - 1):
        v = v + 1.0
    return v


def test_graphs_above_the_node_limit_are_refused_with_a_way_out() -> None:
    big = chain(60)
    size = len(am.topological_order(big))
    with pytest.raises(render.GraphTooLargeError, match=rf"{size} values.*max_nodes={size}"):
        render.to_dot(big, max_nodes=50)
    assert render.to_dot(big, max_nodes=size).source


def test_the_default_node_limit_applies() -> None:
    big = chain(render.DEFAULT_MAX_NODES)  # one more value: each step adds a constant
    with pytest.raises(render.GraphTooLargeError, match=f"max_nodes={render.DEFAULT_MAX_NODES}"):
        render.to_dot(big)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("rankdir", "XY"),
        ("precision", 0),
        ("precision", 18),
        ("precision", 2.5),
        ("cluster_depth", -1),
        ("max_nodes", 0),
        ("max_nodes", True),
        ("max_label_chars", 1),
    ],
)
def test_bad_options_raise_value_error_naming_them(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        render.to_dot(neuron(), **{option: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("root", [1.0, [], [am.Value(1.0), 2.0], "x"])
def test_roots_must_be_values(root: object) -> None:
    with pytest.raises(TypeError, match="Value"):
        render.to_dot(root)  # type: ignore[arg-type]


# ---- files and formats ----------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_render_writes_svg_png_and_dot_files(tmp_path: Path) -> None:
    y = neuron()
    svg = render.render_svg(y, tmp_path / "g.svg")
    png = render.render_png(y, tmp_path / "g.png")
    dot = render.render_dot(y, tmp_path / "g.dot")
    assert svg == tmp_path / "g.svg"
    assert "data 0.6225" in svg_texts(svg.read_text(encoding="utf-8"))
    width, height = png_size(png.read_bytes())
    assert width > height > 20  # left to right: wider than tall
    assert dot.read_text(encoding="utf-8") == render.to_dot(y).source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.png", "g.svg"]


def test_render_takes_the_format_from_the_suffix_or_the_argument(tmp_path: Path) -> None:
    y = neuron()
    assert render.render(y, tmp_path / "a.gv").read_text(encoding="utf-8").startswith("digraph")
    png_size(render.render(y, tmp_path / "picture", format="png").read_bytes())
    with pytest.raises(ValueError, match=r"\.svg, \.png"):
        render.render(y, tmp_path / "a.txt")
    with pytest.raises(ValueError, match="format must be one of"):
        render.render(y, tmp_path / "a.svg", format="gif")


def test_render_accepts_a_built_graph_but_not_options_with_it(tmp_path: Path) -> None:
    graph = render.gradcheck_dot(lambda x: x.tanh(), [0.2])
    assert render.render(graph, tmp_path / "check.svg").exists()
    with pytest.raises(TypeError, match="options"):
        render.render(graph, tmp_path / "check.svg", precision=3)


def test_render_into_a_missing_directory_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing/g\.dot"):  # names the destination
        render.render_dot(neuron(), tmp_path / "missing" / "g.dot")


def test_a_failed_render_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(render.GraphTooLargeError):
        render.render_svg(chain(30), tmp_path / "g.svg", max_nodes=10)
    assert list(tmp_path.iterdir()) == []


def test_missing_dot_says_how_to_install_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    y = neuron()
    with pytest.raises(render.GraphvizNotFoundError, match="apt-get install graphviz"):
        render.render_svg(y, tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()
    assert render.render_dot(y, tmp_path / "g.dot").exists()  # DOT text needs no Graphviz
    assert render.mimebundle(y) == {"text/plain": repr(y)}  # a notebook still shows it


# ---- Jupyter ---------------------------------------------------------------------------------


def test_mimebundle_has_svg_and_text_and_honours_include_exclude() -> None:
    y = neuron()
    bundle = render.mimebundle(y)
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert "data 0.6225" in svg_texts(bundle["image/svg+xml"])
    assert set(render.mimebundle(y, include=["text/plain"])) == {"text/plain"}
    assert set(render.mimebundle(y, exclude=["text/plain"])) == {"image/svg+xml"}


def test_mimebundle_of_a_huge_graph_is_text_only() -> None:
    big = chain(render.DEFAULT_MAX_NODES)
    assert set(render.mimebundle(big)) == {"text/plain"}
