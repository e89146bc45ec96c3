"""Neuron, Layer, MLP: names, labels, initialisation, forward pass, state dicts, repr."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_mini as am
from autograd_mini.nn import ACTIVATIONS, MLP, Layer, Module, Neuron, init_bound


def _act(name: str, z: float) -> float:
    return {
        "sigmoid": 1 / (1 + math.exp(-z)),
        "tanh": math.tanh(z),
        "relu": max(z, 0.0),
        "linear": z,
    }[name]


# ---- names and labels ---------------------------------------------------------------------


def test_neuron_parameter_names_and_labels() -> None:
    n = Neuron(3, seed=0)
    assert [name for name, _ in n.named_parameters()] == ["w.0", "w.1", "w.2", "b"]
    assert [p.label for p in n.parameters()] == ["w.0", "w.1", "w.2", "b"]
    assert n.parameters() == [*n.w, n.b]


def test_neuron_without_bias_has_no_b() -> None:
    n = Neuron(2, bias=False, seed=0)
    assert n.b is None
    assert [name for name, _ in n.named_parameters()] == ["w.0", "w.1"]
    n.w[0].data, n.w[1].data = 2.0, -1.0
    z = n([1.0, 3.0]).parents[0]  # the dot node under the sigmoid
    assert z.op == "dot" and len(z.parents) == 4 and z.data == -1.0


def test_dot_nodes_share_the_neuron_parameters_and_the_layer_inputs() -> None:
    # what lets the topological order walk each shared tuple once (see _engine._dot)
    layer = Layer(3, 2, activation="linear", seed=0)
    first = layer([1.0, 2.0, 3.0])
    second = layer([4.0, 5.0, 6.0])
    assert isinstance(first, list) and isinstance(second, list)
    assert first[0]._b is first[1]._b  # one inputs tuple for the layer's neurons
    assert first[0]._a is second[0]._a  # one parameter tuple for every example
    assert first[0].parents == (*layer.neurons[0].w, *first[0]._b, layer.neurons[0].b)


def test_neuron_parameters_are_fixed_values_whose_data_changes() -> None:
    # every forward pass shares the neuron's parameter tuple, so it cannot be swapped
    n = Neuron(2, activation="linear", seed=0)
    with pytest.raises(TypeError):
        n.w[0] = am.Value(1.0)  # type: ignore[index]
    with pytest.raises(AttributeError):
        n.b = am.Value(1.0)  # type: ignore[misc]
    n.w[0].data, n.w[1].data, n.b.data = 1.0, 2.0, 0.5  # type: ignore[union-attr]
    assert n([3.0, 4.0]).data == 11.5


def test_mlp_parameter_names_follow_the_structure() -> None:
    model = MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(set(names)) == 3 * 3 + 4
    assert model.layers[0].neurons[2].w[1].label == "layers.0.neurons.2.w.1"
    assert all(p.label == name for name, p in model.named_parameters())


def test_mlp_outputs_are_called_prediction() -> None:
    one = MLP(2, [3, 1], seed=0)([0.5, -1.0])
    several = MLP(2, [3, 2], seed=0)([0.5, -1.0])
    assert isinstance(one, am.Value) and isinstance(several, list)
    assert one.label == "prediction"
    assert [v.label for v in several] == ["prediction.0", "prediction.1"]
    hidden = [v for v in am.topological_order(one) if v.parents and v is not one]
    assert not [v.label for v in hidden if v.label]  # only the outputs are named


def test_layer_names() -> None:
    layer = Layer(2, 2, seed=0)
    assert [n for n, _ in layer.named_parameters()] == [
        "neurons.0.w.0",
        "neurons.0.w.1",
        "neurons.0.b",
        "neurons.1.w.0",
        "neurons.1.w.1",
        "neurons.1.b",
    ]


def test_parameter_counts() -> None:
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    assert len(MLP(2, [3, 1], bias=False).parameters()) == 9  # the Demystified network


# ---- initialisation -------------------------------------------------------------------------


def test_same_seed_gives_the_same_weights_and_another_seed_does_not() -> None:
    a, b, c = MLP(3, [4, 2], seed=7), MLP(3, [4, 2], seed=7), MLP(3, [4, 2], seed=8)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != c.state_dict()


def test_seed_may_be_a_random_instance() -> None:
    assert Neuron(4, seed=random.Random(5)).state_dict() == Neuron(4, seed=5).state_dict()
    rng = random.Random(5)
    first, second = Neuron(4, seed=rng), Neuron(4, seed=rng)  # the generator moves on
    assert first.state_dict() != second.state_dict()


def test_seed_none_draws_fresh_weights() -> None:
    assert MLP(3, [8], seed=None).state_dict() != MLP(3, [8], seed=None).state_dict()


def test_bad_seed_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="seed must be"):
        Neuron(2, seed="abc")  # type: ignore[arg-type]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_weights_lie_within_the_documented_bound_and_biases_start_at_zero(
    activation: str,
) -> None:
    layer = Layer(50, 30, activation=activation, seed=1)
    expected = math.sqrt(6 / 50) if activation == "relu" else math.sqrt(6 / 80)
    assert init_bound(activation, 50, 30) == expected
    weights = [w.data for n in layer.neurons for w in n.w]
    assert max(abs(w) for w in weights) <= expected
    assert max(abs(w) for w in weights) > 0.9 * expected  # the range is used, not a sliver
    assert all(n.b is not None and n.b.data == 0.0 for n in layer.neurons)


def test_glorot_variance_is_about_right() -> None:
    layer = Layer(100, 100, activation="tanh", seed=3)
    weights = [w.data for n in layer.neurons for w in n.w]
    variance = sum(w * w for w in weights) / len(weights)
    assert variance == pytest.approx(2 / 200, rel=0.05)  # bound² / 3 = 2 / (fan_in + fan_out)


# ---- arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Neuron, Layer, MLP])
def test_unknown_activation_lists_the_valid_ones(cls: type) -> None:
    args = {Neuron: (2,), Layer: (2, 2), MLP: (2, [2])}[cls]
    with pytest.raises(ValueError, match=r"unknown activation 'softplus'.*'sigmoid', 'tanh'"):
        cls(*args, activation="softplus")


def test_unknown_output_activation() -> None:
    with pytest.raises(ValueError, match=r"unknown output_activation 'soft'.*'linear'"):
        MLP(2, [2, 1], output_activation="soft")


def test_output_activation_none_means_activation() -> None:
    model = MLP(2, [3, 1], activation="tanh")
    assert model.output_activation == "tanh"
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh"]
    model = MLP(2, [3, 1], activation="relu", output_activation="linear")
    assert [layer.activation for layer in model.layers] == ["relu", "linear"]


@pytest.mark.parametrize("nin", [0, -1, 1.5, True])
def test_bad_sizes(nin: object) -> None:
    with pytest.raises(ValueError, match="nin must be a positive int"):
        Neuron(nin)  # type: ignore[arg-type]


@pytest.mark.parametrize("nouts", [[], 3, [2, 0]])
def test_bad_nouts(nouts: object) -> None:
    with pytest.raises(ValueError, match=r"nouts|layer size"):
        MLP(2, nouts)  # type: ignore[arg-type]


# ---- forward pass ------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_neuron_computes_activation_of_w_dot_x_plus_b(activation: str) -> None:
    n = Neuron(3, activation=activation, seed=0)
    assert n.b is not None
    n.b.data = 0.25
    x = [0.5, -1.0, 2.0]
    z = sum(w.data * xi for w, xi in zip(n.w, x)) + 0.25
    out = n(x)
    assert out.data == pytest.approx(_act(activation, z), rel=1e-15, abs=1e-15)
    ops = {v.op for v in am.topological_order(out)}
    assert "dot" in ops  # the pre-activation is the engine's n-ary node


def test_calling_returns_a_value_for_one_output_and_a_list_otherwise() -> None:
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), am.Value)
    out = Layer(2, 3, seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    assert isinstance(MLP(2, [4, 1], seed=0)([1.0, 2.0]), am.Value)
    assert len(MLP(2, [4, 3], seed=0)([1.0, 2.0])) == 3  # type: ignore[arg-type]


def test_inputs_may_be_values_and_get_gradients() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    x = [am.Value(0.5), am.Value(-0.5)]
    out = model(x)
    assert isinstance(out, am.Value)
    out.backward()
    assert any(v.grad != 0.0 for v in x)


def test_mlp_equals_its_layers_in_turn() -> None:
    model = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=2)
    x = [0.1, 0.2, -0.3]
    hidden = model.layers[0](x)
    assert isinstance(hidden, list)
    expected = model.layers[1]([h.data for h in hidden])
    got = model(x)
    assert isinstance(got, list) and isinstance(expected, list)
    assert [g.data for g in got] == pytest.approx([e.data for e in expected], rel=1e-15)


@pytest.mark.parametrize("module", [Neuron(2, seed=0), Layer(2, 2, seed=0), MLP(2, [2], seed=0)])
def test_wrong_input_length_names_both_sizes(module: Module) -> None:
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        module([1.0, 2.0, 3.0])


def test_non_list_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expects a list of 2 numbers"):
        Neuron(2, seed=0)(1.0)  # type: ignore[arg-type]


def test_number_inputs_become_one_labelled_leaf_each_shared_by_the_layer() -> None:
    out = MLP(2, [3, 1], seed=0)([0.5, -1.0])
    assert isinstance(out, am.Value)
    leaves = [v for v in am.topological_order(out) if v.label.startswith("x.")]
    assert [(v.label, v.data) for v in leaves] == [("x.0", 0.5), ("x.1", -1.0)]


def test_input_elements_must_be_numbers_or_values() -> None:
    with pytest.raises(TypeError, match="input 1 must be a number or a Value, got 'a'"):
        Neuron(2, seed=0)([1.0, "a"])  # type: ignore[list-item]


def test_backward_reaches_every_parameter() -> None:
    model = MLP(2, [3, 3, 1], activation="tanh", seed=0)
    out = model([0.3, -0.7])
    assert isinstance(out, am.Value)
    out.backward()
    assert all(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@settings(max_examples=25)
@given(
    sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    nin=st.integers(1, 3),
    activation=st.sampled_from(["sigmoid", "tanh", "linear"]),
    seed=st.integers(0, 1000),
    x=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
)
def test_parameter_gradients_match_finite_differences(
    sizes: list[int], nin: int, activation: str, seed: int, x: list[float]
) -> None:
    model = MLP(nin, [*sizes, 1], activation=activation, seed=seed)
    params = model.parameters()

    def output() -> am.Value:
        out = model(x[:nin])
        assert isinstance(out, am.Value)
        return out

    analytic = am.gradients(output(), params)
    eps = 1e-6
    for p, g in zip(params, analytic):
        original = p.data
        p.data = original + eps
        up = output().data
        p.data = original - eps
        down = output().data
        p.data = original
        assert g == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8), p.label


# ---- state dicts ------------------------------------------------------------------------


def test_state_dict_round_trip() -> None:
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()
    assert all(isinstance(v, float) for v in a.state_dict().values())


def test_load_state_dict_with_missing_and_unexpected_names_changes_nothing() -> None:
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = dict(before)
    del state["layers.1.neurons.0.b"]
    state["layers.2.neurons.0.b"] = 0.0
    with pytest.raises(
        ValueError, match=r"missing 1 name\(s\): 'layers.1.neurons.0.b'.*unexpected"
    ):
        model.load_state_dict({k: 1.0 for k in state})
    assert model.state_dict() == before


@pytest.mark.parametrize("bad", [math.nan, math.inf, "1.0", None, True, 10**400])
def test_load_state_dict_rejects_bad_values_and_changes_nothing(bad: object) -> None:
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    state: dict[str, object] = {k: 9.0 for k in before}
    state["layers.1.neurons.0.w.1"] = bad  # the last weight: everything before it is valid
    with pytest.raises(ValueError, match=r"layers\.1\.neurons\.0\.w\.1"):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_load_state_dict_accepts_ints() -> None:
    n = Neuron(1, seed=0)
    n.load_state_dict({"w.0": 2, "b": -1})
    assert (n.w[0].data, n.b.data if n.b else None) == (2.0, -1.0)


# ---- repr ------------------------------------------------------------------------------------


def test_reprs_show_the_architecture() -> None:
    assert repr(Neuron(2, activation="relu", bias=False)) == (
        "Neuron(2, activation='relu', bias=False)"
    )
    assert repr(Layer(3, 4)) == "Layer(3 -> 4, activation='sigmoid', bias=True)"
    assert repr(MLP(2, [16, 16, 1], activation="tanh", output_activation="linear")) == (
        "MLP(2 -> 16 -> 16 -> 1, 337 parameters)\n"
        "  layers.0: Layer(2 -> 16, activation='tanh', bias=True)\n"
        "  layers.1: Layer(16 -> 16, activation='tanh', bias=True)\n"
        "  layers.2: Layer(16 -> 1, activation='linear', bias=True)"
    )


def test_module_base_has_no_forward() -> None:
    with pytest.raises(NotImplementedError):
        Module()([1.0])
    assert Module().parameters() == []
    assert repr(Module()) == "Module(0 parameters)"
