# ruff: noqa: N806  (X for a feature matrix, as usual in ML code)
"""fit, predict, accuracy: XOR and two moons learned, progress bar, determinism, errors."""

from __future__ import annotations

import gc
import math

import pytest

import autograd_mini as am
from autograd_mini import datasets, losses
from autograd_mini.nn import MLP, Layer, Neuron
from autograd_mini.optim import SGD, Adam
from autograd_mini.train import accuracy, fit, predict


def test_xor_is_learned_perfectly() -> None:
    X, y = datasets.xor()
    model = MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    history = fit(
        model, X, y, loss="binary_cross_entropy", optimizer="adam", lr=0.1, epochs=150,
        progress=False,
    )  # fmt: skip
    assert accuracy(model, X, y) == 1.0
    assert history[-1] < 0.05 < history[0]


def test_xor_with_the_documents_recipe_sigmoid_mse_and_gradient_descent() -> None:
    X, y = datasets.xor()
    model = MLP(2, [3, 1], activation="sigmoid", seed=1)
    fit(model, X, y, loss=losses.mse, optimizer="sgd", lr=2.0, epochs=1500, progress=False)
    assert accuracy(model, X, y) == 1.0


def test_two_moons_reach_97_percent_training_accuracy() -> None:
    X, y = datasets.moons(n=100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    history = fit(
        model, X, y, loss="binary_cross_entropy_with_logits", optimizer="adam", lr=0.03,
        epochs=40, batch_size=20, seed=0, progress=False,
    )  # fmt: skip
    assert accuracy(model, X, y) >= 0.97  # a linear output is a logit: threshold 0
    assert len(history) == 40 and history[-1] < history[0] / 5


def test_multi_class_with_softmax_cross_entropy() -> None:
    X = [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [-1.0, -1.0], [-0.9, -1.1]]
    y = [0, 0, 1, 1, 2, 2]
    model = MLP(2, [3], activation="linear", seed=0)
    fit(model, X, y, loss="softmax_cross_entropy", lr=0.1, epochs=100, progress=False)
    assert accuracy(model, X, y) == 1.0
    assert (
        accuracy(model, X, [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]])
        == 1.0
    )


def test_same_seed_same_history() -> None:
    X, y = datasets.moons(n=30, seed=1)

    def run() -> tuple[list[float], dict[str, float]]:
        model = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=2)
        history = fit(
            model, X, y, loss="binary_cross_entropy_with_logits", epochs=5, batch_size=7,
            seed=3, progress=False,
        )  # fmt: skip
        return history, model.state_dict()

    assert run() == run()


def test_history_is_the_mean_batch_loss_before_each_step() -> None:
    X, y = [[0.0], [1.0]], [1.0, 3.0]
    model = Neuron(1, activation="linear", seed=0)
    assert model.b is not None
    model.w[0].data, model.b.data = 1.0, 0.0
    history = fit(model, X, y, optimizer=SGD(model.parameters(), lr=0.0), epochs=2, progress=False)
    # predictions 0 and 1 against 1 and 3: ½(1 + 4) / 2 terms = 1.25
    assert history == [1.25, 1.25]


def test_a_custom_loss_callable_and_an_optimizer_instance() -> None:
    X, y = datasets.sleep_study()
    model = MLP(2, [3, 1], bias=False, seed=0)
    calls: list[int] = []

    def loss(predictions: list[am.Value], targets: list[float]) -> am.Value:
        calls.append(len(predictions))
        return losses.mse(predictions, targets)

    history = fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=Adam(model.parameters(), lr=0.1),
        epochs=1000,
        progress=False,
    )
    assert calls == [3] * 1000
    assert history[-1] < 1e-5
    assert predict(model, X) == pytest.approx(y, abs=0.005)


def test_callback_gets_each_epoch_and_its_loss() -> None:
    X, y = datasets.xor()
    seen: list[tuple[int, float]] = []
    history = fit(
        MLP(2, [2, 1], seed=0), X, y, epochs=3, progress=False,
        callback=lambda epoch, loss: seen.append((epoch, loss)),
    )  # fmt: skip
    assert seen == list(enumerate(history))


def test_mini_batches_cover_every_example_once_per_epoch() -> None:
    X = [[float(i)] for i in range(10)]
    y = [0.0] * 10
    seen: list[float] = []

    def loss(predictions: list[am.Value], targets: list[float]) -> am.Value:
        return losses.mse(predictions, targets)

    class Spy(Neuron):
        def __call__(self, x: list[float]) -> am.Value:  # type: ignore[override]
            seen.append(x[0])
            return super().__call__(x)

    spy_model = Spy(1, activation="linear", seed=0)
    fit(spy_model, X, y, loss=loss, optimizer="sgd", lr=0.0, epochs=2, batch_size=3, progress=False)
    assert len(seen) == 20
    assert sorted(seen[:10]) == sorted(seen[10:]) == [float(i) for i in range(10)]
    assert seen[:10] != seen[10:]  # reshuffled each epoch


# ---- progress bar --------------------------------------------------------------------------


def test_progress_bar_shows_the_running_loss_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograd_mini import train

    monkeypatch.setattr(train, "stderr_is_terminal", lambda: True)
    X, y = datasets.xor()
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "fit" in err and "epoch 3/3, loss " in err and "3/3 [" in err


def test_progress_bar_is_off_when_asked_or_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograd_mini import train

    X, y = datasets.xor()
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=3)  # captured stderr is not a terminal
    monkeypatch.setattr(train, "stderr_is_terminal", lambda: True)
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=3, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_true_draws_nothing_when_no_one_can_see_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The CLI passes progress=True and writes its own lines into a log: no bar there."""
    X, y = datasets.xor()
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2, progress=True)
    assert capsys.readouterr().err == ""


def test_progress_none_draws_the_bar_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograd_mini import train

    monkeypatch.setattr(train, "stderr_is_terminal", lambda: True)
    X, y = datasets.xor()
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2)
    assert "epoch 2/2, loss " in capsys.readouterr().err


def test_progress_none_draws_text_in_a_notebook_without_ipywidgets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    from autograd_mini import train

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(train, "_in_notebook", lambda: True)
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: None if name == "ipywidgets" else real_find_spec(name),
    )
    X, y = datasets.xor()
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=2)
    assert "epoch 2/2, loss " in capsys.readouterr().err


def test_progress_none_uses_tqdms_notebook_bar_in_a_notebook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("ipywidgets")
    import tqdm.notebook

    from autograd_mini import train

    made: list[dict[str, object]] = []

    class Bar:
        def __init__(self, **options: object) -> None:
            made.append(options)

        def set_postfix_str(self, text: str, refresh: bool) -> None:
            pass

        def update(self, n: int) -> None:
            pass

        def close(self) -> None:
            pass

    monkeypatch.setattr(train, "_in_notebook", lambda: True)
    monkeypatch.setattr(tqdm.notebook, "tqdm", Bar)
    X, y = datasets.xor()
    fit(MLP(2, [2, 1], seed=0), X, y, epochs=3, batch_size=2)
    assert made == [{"total": 6, "desc": "fit", "unit": "batch"}]


def test_in_notebook_is_false_outside_a_kernel() -> None:
    from autograd_mini import train

    assert train._in_notebook() is False


def test_progress_must_be_a_bool_or_none() -> None:
    X, y = datasets.xor()
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        fit(MLP(2, [2, 1], seed=0), X, y, epochs=1, progress="yes")  # type: ignore[arg-type]


# ---- History ---------------------------------------------------------------------------------


def test_fit_returns_a_history_list_with_its_time() -> None:
    from autograd_mini.train import History

    X, y = datasets.xor()
    history = fit(MLP(2, [2, 1], seed=0), X, y, epochs=4, progress=False)
    assert isinstance(history, History) and isinstance(history, list)
    assert len(history) == 4 and history.seconds > 0.0
    assert history == list(history)


def test_history_displays_as_a_small_html_table() -> None:
    from autograd_mini.train import History

    table = History([0.5, 0.25, 0.375], seconds=2.0)._repr_html_()
    assert table.startswith("<table>") and table.endswith("</table>")
    assert "<th>epochs</th><td>3</td>" in table
    assert "<th>lowest loss</th><td>0.25 (epoch 2)</td>" in table
    assert "<th>last loss</th><td>0.375</td>" in table
    assert History()._repr_html_() == "<p>History: no epochs</p>"


# ---- predict and accuracy -------------------------------------------------------------------


def test_predict_returns_floats_or_lists_of_floats() -> None:
    X = [[0.5, -0.5], [1.0, 2.0]]
    single = predict(MLP(2, [3, 1], seed=0), X)
    assert all(type(v) is float for v in single)
    several = predict(MLP(2, [3, 2], seed=0), X)
    assert all(len(row) == 2 and all(type(v) is float for v in row) for row in several)


@pytest.mark.parametrize(
    ("activation", "outputs", "labels", "expected"),
    [
        ("sigmoid", [0.6, 0.4, 0.7], [1.0, 0.0, 0.0], 2 / 3),  # threshold 0.5
        ("linear", [0.3, -0.2, -5.0], [1.0, 0.0, 1.0], 2 / 3),  # logits: threshold 0
        ("tanh", [0.3, -0.2, 0.1], [1.0, -1.0, -1.0], 2 / 3),  # threshold 0, ±1 labels
    ],
)
def test_binary_accuracy_threshold_follows_the_output_activation(
    activation: str, outputs: list[float], labels: list[float], expected: float
) -> None:
    model = Neuron(1, activation="linear", seed=0)
    assert model.b is not None
    model.w[0].data, model.b.data = 1.0, 0.0
    model.activation = activation  # the threshold reads the activation; outputs are x itself
    X = [[_inverse(activation, o)] for o in outputs]
    assert predict(model, X) == pytest.approx(outputs)
    assert accuracy(model, X, labels) == pytest.approx(expected)


def _inverse(activation: str, out: float) -> float:
    if activation == "sigmoid":
        return math.log(out / (1 - out))
    if activation == "tanh":
        return math.atanh(out)
    return out


def test_accuracy_explicit_threshold() -> None:
    model = Neuron(1, activation="linear", seed=0)
    model.w[0].data = 1.0
    assert accuracy(model, [[0.3], [0.7]], [0.0, 1.0], threshold=0.5) == 1.0
    assert accuracy(model, [[0.3], [0.7]], [0.0, 1.0]) == 0.5  # threshold 0: both positive


def test_accuracy_of_a_layer_with_several_outputs_uses_argmax() -> None:
    layer = Layer(2, 2, activation="linear", seed=0)
    for i, neuron in enumerate(layer.neurons):
        for j, w in enumerate(neuron.w):
            w.data = 1.0 if i == j else 0.0
    assert accuracy(layer, [[1.0, 0.0], [0.0, 1.0], [0.2, 0.1]], [0, 1, 1]) == pytest.approx(2 / 3)


def test_numpy_arrays_work_as_data() -> None:
    np = pytest.importorskip("numpy")
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    y = np.array([0, 1, 2])
    model = MLP(2, [3], activation="linear", seed=0)
    fit(model, X, y, loss="softmax_cross_entropy", lr=0.1, epochs=50, progress=False)
    assert accuracy(model, X, y) == 1.0
    assert accuracy(model, X, np.eye(3)) == 1.0
    binary = Neuron(2, activation="sigmoid", seed=0)
    fit(
        binary,
        X[:2],
        np.array([0.0, 1.0]),
        loss="binary_cross_entropy",
        lr=0.1,
        epochs=50,
        progress=False,
    )
    assert accuracy(binary, X[:2], np.array([0.0, 1.0])) == 1.0


def test_accuracy_rejects_labels_that_are_not_classes() -> None:
    model = MLP(2, [3], seed=0)
    with pytest.raises(ValueError, match="accuracy: target class 3 is out of range for 3 logits"):
        accuracy(model, [[0.0, 0.0]], [3])
    with pytest.raises(ValueError, match=r"must be a whole number, got 0\.5"):
        accuracy(model, [[0.0, 0.0]], [0.5])
    with pytest.raises(ValueError, match="single-output model needs number labels, got 'a'"):
        accuracy(Neuron(2, seed=0), [[0.0, 0.0]], ["a"])


# ---- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"loss": "hinge"}, ValueError, "unknown loss 'hinge'; valid names are 'mse'"),
        ({"loss": 3}, TypeError, "loss must be a loss name or a callable"),
        ({"optimizer": "rmsprop"}, ValueError, "optimizer must be an Optimizer or one of"),
        ({"epochs": 0}, ValueError, "epochs must be a positive int, got 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int, got 0"),
        ({"loss": lambda p, t: 1.0}, TypeError, "the loss must return a Value, got float"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    X, y = datasets.xor()
    with pytest.raises(error, match=message):
        fit(MLP(2, [2, 1], seed=0), X, y, progress=False, **kwargs)  # type: ignore[arg-type]


def test_mismatched_data() -> None:
    with pytest.raises(ValueError, match="X has 2 examples but y has 1"):
        fit(MLP(1, [1]), [[0.0], [1.0]], [0.0], progress=False)
    with pytest.raises(ValueError, match="X is empty"):
        fit(MLP(1, [1]), [], [], progress=False)
    with pytest.raises(ValueError, match="X has 2 examples but y has 3"):
        accuracy(MLP(1, [1]), [[0.0], [1.0]], [0.0, 1.0, 1.0])


def test_lr_with_an_optimizer_instance_is_refused() -> None:
    model = MLP(1, [1])
    with pytest.raises(ValueError, match="lr applies only when the optimizer is given by name"):
        fit(model, [[0.0]], [0.0], optimizer=SGD(model.parameters(), lr=0.1), lr=0.5)


def test_a_diverging_loss_stops_training() -> None:
    with pytest.raises(FloatingPointError, match="the loss became nan in epoch 0"):
        fit(MLP(1, [1]), [[0.0]], [0.0], loss=lambda p, t: am.Value(math.nan), progress=False)
    assert gc.isenabled()  # the step paused the cyclic collector, and the error restored it


def test_fit_pauses_the_collector_during_a_step_only() -> None:
    seen: list[bool] = []

    def loss(predictions: list[am.Value], targets: list[float]) -> am.Value:
        seen.append(gc.isenabled())
        return losses.mse(predictions, targets)

    fit(MLP(1, [1]), [[0.0], [1.0]], [0.0, 1.0], loss=loss, epochs=2, progress=False)
    assert seen == [False, False] and gc.isenabled()
    gc.disable()  # a collector the user switched off stays off
    try:
        fit(MLP(1, [1]), [[0.0]], [0.0], loss=loss, epochs=1, progress=False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_model_must_be_a_module() -> None:
    with pytest.raises(TypeError, match=r"model must be an autograd_mini\.nn\.Module"):
        fit(lambda x: x, [[0.0]], [0.0])  # type: ignore[arg-type]
