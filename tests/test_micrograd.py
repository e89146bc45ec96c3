# ruff: noqa: N806  (X for a feature matrix, as in micrograd's demo)
"""The micrograd drop-in: micrograd's own tests and notebooks run on it and print its numbers.

tests/fixtures/micrograd holds micrograd's test/test_engine.py, trace_graph.ipynb and
demo.ipynb (MIT, see LICENSE there) with only their import lines changed, and
demo_steps.txt, what micrograd 0.1.0 itself printed for the demo (record_demo_steps.py).
Where micrograd is installed (the ``bench`` extra), some tests also compare with it live.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _notebooks import execute, stdout

import autograd_mini as am
from autograd_mini.micrograd import engine, nn
from autograd_mini.micrograd.engine import Value

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "micrograd"
STEP = re.compile(r"step (\d+) loss (\S+), accuracy (\S+)%")


def _upstream_test_names() -> list[str]:
    tree = ast.parse((FIXTURES / "test_engine.py").read_text())
    return [
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")
    ]


def test_micrograds_test_file_is_found() -> None:
    assert _upstream_test_names() == ["test_sanity_check", "test_more_ops"]


@pytest.mark.parametrize("name", _upstream_test_names())
def test_micrograds_engine_tests_pass_against_torch(name: str) -> None:
    pytest.importorskip("torch")
    spec = importlib.util.spec_from_file_location(
        "micrograd_test_engine", FIXTURES / "test_engine.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    getattr(module, name)()


def test_trace_graph_notebook_runs_and_draws(tmp_path: Path) -> None:
    notebook = execute(FIXTURES / "trace_graph.ipynb", tmp_path)
    simple = notebook.cells[3].outputs[0]["data"]["image/svg+xml"]
    assert "ReLU" in simple and "data 3.0000" in simple
    assert "grad 2.0000" in simple  # d/dx relu(2x + 1) at x = 1
    # relu(b + w1 x1 + w2 x2): 10 values and 5 operations (two *, two +, the ReLU)
    assert (tmp_path / "gout.svg").read_text().count('<g id="node') == 15


def _steps(text: str) -> list[tuple[int, float, float]]:
    return [(int(k), float(loss), float(acc)) for k, loss, acc in STEP.findall(text)]


def test_demo_notebook_prints_micrograds_numbers(tmp_path: Path) -> None:
    printed = stdout(execute(FIXTURES / "demo.ipynb", tmp_path))
    assert "number of parameters 337" in printed
    assert "Value(data=0.8958441028683222, grad=0.0) 0.5" in printed
    ours = _steps(printed)
    theirs = _steps((FIXTURES / "demo_steps.txt").read_text())
    assert len(ours) == len(theirs) == 100
    for (k, loss, acc), (k_ref, loss_ref, acc_ref) in zip(ours, theirs):
        assert (k, acc) == (k_ref, acc_ref)
        # micrograd adds a node's gradients in set order (object ids), so micrograd's own
        # runs differ from each other in the last bits; the drop-in is within that.
        assert loss == pytest.approx(loss_ref, rel=1e-9, abs=1e-12), f"step {k}"


def test_the_demo_reference_agrees_with_micrograds_committed_output() -> None:
    """A few steps as printed in the output cells of micrograd's own demo.ipynb."""
    upstream = {
        0: 0.8958441028683222,
        1: 1.7235905336972022,
        2: 0.7429006313851131,
        4: 0.3692793385976538,
        57: 0.018987407426128502,
    }
    recorded = {k: loss for k, loss, _ in _steps((FIXTURES / "demo_steps.txt").read_text())}
    for k, loss in upstream.items():
        assert recorded[k] == pytest.approx(loss, rel=1e-9), f"step {k}"


# ---- the drop-in's surface ----------------------------------------------------------


def test_reprs_are_micrograds() -> None:
    random.seed(0)
    model = nn.MLP(2, [3, 1])
    assert repr(model) == (
        "MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], "
        "Layer of [LinearNeuron(3)]]"
    )
    assert repr(Value(2.5)) == "Value(data=2.5, grad=0.0)"


def test_weights_are_drawn_like_micrograd_and_biases_start_at_zero() -> None:
    random.seed(1337)
    model = nn.MLP(3, [4, 2])
    random.seed(1337)
    expected = []
    for nin, nout in [(3, 4), (4, 2)]:
        for _ in range(nout):
            expected += [random.uniform(-1, 1) for _ in range(nin)] + [0.0]
    assert [p.data for p in model.parameters()] == expected
    assert [n.nonlin for layer in model.layers for n in layer.neurons] == [True] * 4 + [False] * 2


@pytest.mark.parametrize(
    ("build", "ops"),
    [
        (lambda a, b: a - b, ["*", "+"]),  # a + (b * -1)
        (lambda a, b: a / b, ["**-1", "*"]),
        (lambda a, b: 2 - a, ["*", "+"]),
        (lambda a, b: 2 / a, ["**-1", "*"]),
        (lambda a, b: -a, ["*"]),
        (lambda a, b: (a * b).relu(), ["*", "ReLU"]),
        (lambda a, b: 3 + a, ["+"]),
        (lambda a, b: 3 * a, ["*"]),
    ],
)
def test_operators_build_micrograds_nodes(
    build: Callable[[Value, Value], Value], ops: list[str]
) -> None:
    out = build(Value(2.0), Value(-3.0))
    nodes = am.topological_order(out)
    micrograd_nodes = [node for node in nodes if isinstance(node, Value)]
    assert len(micrograd_nodes) == len(nodes)  # numbers too, as micrograd wraps them
    assert [node._op for node in micrograd_nodes if node._op] == ops


def test_prev_is_the_set_of_operands() -> None:
    a = Value(3.0)
    b = a * a
    assert b._prev == {a} and b._op == "*" and a._prev == set() and a._op == ""


def test_gradients_follow_the_chain_rule() -> None:
    a, b = Value(-4.0), Value(2.0)
    f = (a * b + b**3).relu() + (b - a) / 4 + a.tanh().exp()
    f.backward()
    t = math.tanh(-4.0)
    assert f.data == pytest.approx(1.5 + math.exp(t), rel=1e-15)
    assert a.grad == pytest.approx(-0.25 + math.exp(t) * (1 - t * t), rel=1e-15)
    assert b.grad == 0.25  # the relu is at 0: it passes nothing back


def test_micrograds_internal_constructor_arguments_are_refused() -> None:
    a = Value(1.0)
    with pytest.raises(TypeError, match="only through its operators"):
        Value(2.0, (a,), "tanh")


def test_a_hand_written_backward_closure_is_refused() -> None:
    out = Value(1.0) * 2
    with pytest.raises(AttributeError, match="no per-node _backward"):
        out._backward = lambda: None
    assert not hasattr(out, "_backward")


def test_only_number_exponents() -> None:
    with pytest.raises(TypeError, match="only supporting int/float powers"):
        Value(2.0) ** Value(3.0)


def test_backward_sets_the_outputs_grad_to_one_like_micrograd() -> None:
    x = Value(3.0)
    y = x * x
    y.backward()
    y.backward()
    assert y.grad == 1.0 and x.grad == 12.0


def test_backward_twice_after_zero_grad_gives_the_gradient_again() -> None:
    """micrograd re-pushes interior nodes' stale grads here (a.grad 24); the drop-in does not."""
    a = Value(3.0)
    c = (a * a) * 2
    c.backward()
    a.grad = 0.0
    c.backward()
    assert a.grad == 12.0


def test_a_deep_chain_backprops_without_recursion_error() -> None:
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = y + 1
    y.backward()
    assert x.grad == 1.0 and y.data == 20_000.5


def test_zero_grad_resets_parameters_and_value_zero_grad_the_whole_graph() -> None:
    random.seed(1)
    model = nn.MLP(2, [2, 1])
    x = [Value(1.0), Value(-1.0)]
    out = model(x)
    out.backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters()) and x[0].grad != 0.0
    out.zero_grad()
    assert all(node.grad == 0.0 for node in am.topological_order(out))


def test_the_engines_tools_take_drop_in_values() -> None:
    random.seed(2)
    neuron = nn.Neuron(2)
    out = neuron([Value(1.0), Value(-2.0)])
    out.backward()
    assert "ReLU" not in am.render.to_dot(out).source  # the engine's names in its pictures
    assert am.gradients(out, neuron.w) == [neuron.w[0].grad, neuron.w[1].grad]
    assert [name for name, _ in neuron.named_parameters()] == ["0", "1", "2"]


def test_train_fit_trains_a_drop_in_model() -> None:
    random.seed(3)
    model = nn.MLP(2, [4, 1])
    X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [1.0, 1.0, 0.0, 0.0]
    history = am.train.fit(
        model, X, y, loss="mse", optimizer="sgd", lr=0.1, epochs=5, progress=False
    )
    assert len(history) == 5


# ---- live comparison with micrograd, where it is installed --------------------------


def _demo_steps(value: Any, mlp: Any, steps: int) -> list[tuple[float, list[float]]]:
    """The demo's first ``steps`` steps (loss and gradients) with a given Value and MLP."""
    import numpy as np
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = mlp(2, [16, 16, 1])
    seen = []
    for k in range(steps):
        scores = [model(list(map(value, row))) for row in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        seen.append((total.data, [p.grad for p in model.parameters()]))
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
    return seen


def test_the_demo_matches_installed_micrograd_step_by_step() -> None:
    micrograd_engine = pytest.importorskip("micrograd.engine")
    micrograd_nn = pytest.importorskip("micrograd.nn")
    theirs = _demo_steps(micrograd_engine.Value, micrograd_nn.MLP, 3)
    ours = _demo_steps(engine.Value, nn.MLP, 3)
    for (loss, grads), (loss_ref, grads_ref) in zip(ours, theirs):
        assert loss == pytest.approx(loss_ref, rel=1e-12)
        assert grads == pytest.approx(grads_ref, rel=1e-9, abs=1e-15)


def test_copies_and_pickles_keep_micrograd_values_and_numbers_are_constants() -> None:
    import copy
    import pickle

    w = Value(0.5)
    y = (w * 3) ** 2 + 1
    # numbers are wrapped as micrograd does, and marked as constants for the engine
    assert [id(p) for p in am.trace(lambda a: (w * a) ** 2 + 1, 1.0).params] == [id(w)]
    for twin in (copy.copy(y), copy.deepcopy(y), pickle.loads(pickle.dumps(y))):
        assert isinstance(twin, Value) and twin._op == "+"
        prev = [c for c in twin._prev if isinstance(c, Value)]
        assert len(prev) == 2 and sorted(c._op for c in prev) == ["", "**2"]
        twin.backward()
        leaves = [v for v in am.topological_order(twin) if not v.parents]
        assert all(isinstance(v, Value) for v in leaves)
