"""save/load: JSON and safetensors round trips, how files are written, and every bad file
refused with the model left unchanged."""

from __future__ import annotations

import json
import math
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
from safetensors import safe_open

from autograd_mini.nn import FORMAT_VERSION, MLP, Neuron, load, save


def _document(path: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def test_round_trip(tmp_path: Path) -> None:
    a, b = MLP(2, [4, 1], activation="tanh", seed=0), MLP(2, [4, 1], activation="tanh", seed=1)
    path = tmp_path / "model.json"
    save(a, path)
    load(b, path)
    assert b.state_dict() == a.state_dict()  # floats survive JSON exactly


def test_file_has_a_format_version_and_the_architecture(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], activation="relu", output_activation="sigmoid", bias=False), path)
    document = _document(path)
    assert document["format"] == "autograd_mini.state"
    assert document["version"] == FORMAT_VERSION == 1
    assert document["architecture"] == {
        "type": "MLP",
        "nin": 2,
        "nouts": [3, 1],
        "activation": "relu",
        "output_activation": "sigmoid",
        "bias": False,
    }
    assert list(document["parameters"]) == [
        n for n, _ in MLP(2, [3, 1], bias=False).named_parameters()
    ]


def test_save_accepts_a_str_path_and_neurons(tmp_path: Path) -> None:
    a, b = Neuron(3, seed=0), Neuron(3, seed=1)
    save(a, str(tmp_path / "n.json"))
    load(b, str(tmp_path / "n.json"))
    assert b.state_dict() == a.state_dict()


def test_save_replaces_an_existing_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("old")
    save(Neuron(2, seed=0), path)
    assert _document(path)["architecture"]["type"] == "Neuron"
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_crash_while_saving_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    save(Neuron(2, seed=0), path)
    before = path.read_text()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save(Neuron(2, seed=1), path)
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["model.json"]


def test_saving_a_non_finite_parameter_raises_and_writes_nothing(tmp_path: Path) -> None:
    n = Neuron(2, seed=0)
    n.w[1].data = float("nan")
    with pytest.raises(ValueError, match=r"parameter 'w\.1' is nan"):
        save(n, tmp_path / "n.json")
    assert os.listdir(tmp_path) == []


# ---- bad files: ValueError naming the problem, model unchanged ---------------------------


def _saved(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], seed=0), path)
    return path, _document(path)


def _assert_refused(path: Path, message: str) -> None:
    model = MLP(2, [3, 1], seed=5)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        load(model, path)
    assert model.state_dict() == before


def test_truncated_file(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    _assert_refused(path, "not valid JSON")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("")
    _assert_refused(path, "not valid JSON")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_constant_in_the_file(tmp_path: Path, constant: str) -> None:
    path, _ = _saved(tmp_path)
    text = path.read_text()
    key = '"layers.1.neurons.0.b": '
    start = text.index(key) + len(key)
    end = text.index("\n", start)
    path.write_text(text[:start] + constant + text[end:])
    _assert_refused(path, f"non-finite value {constant}")


def test_overflowing_number_in_the_file(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    text = path.read_text()
    key = '"layers.1.neurons.0.b": '
    start = text.index(key) + len(key)
    end = text.index("\n", start)
    path.write_text(text[:start] + "1e999" + text[end:])
    _assert_refused(path, r"'layers\.1\.neurons\.0\.b': value inf is not finite")


def _write(path: Path, document: object) -> None:
    path.write_text(json.dumps(document))


def test_missing_parameter(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    del document["parameters"]["layers.0.neurons.1.w.0"]
    _write(path, document)
    _assert_refused(path, r"missing 1 name\(s\): 'layers\.0\.neurons\.1\.w\.0'")


def test_unexpected_parameter(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    document["parameters"]["layers.0.neurons.9.w.0"] = 1.0
    _write(path, document)
    _assert_refused(path, r"unexpected 1 name\(s\): 'layers\.0\.neurons\.9\.w\.0'")


def test_value_of_the_wrong_type(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    document["parameters"]["layers.1.neurons.0.b"] = "0.5"
    _write(path, document)
    _assert_refused(path, "expected a real number, got str")


def test_different_architecture(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [4, 1], seed=0), path)
    _assert_refused(
        path, r"architecture .*'nouts': \[4, 1\].* but the model is .*'nouts': \[3, 1\]"
    )


def test_different_activation(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], activation="tanh", seed=0), path)
    _assert_refused(path, "architecture")


def test_other_version(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    document["version"] = 2
    _write(path, document)
    _assert_refused(path, "format version 2; this version reads 1")


@pytest.mark.parametrize("document", [[1, 2], {"format": "something else"}, {}])
def test_not_a_parameter_file(tmp_path: Path, document: object) -> None:
    path = tmp_path / "model.json"
    _write(path, document)
    _assert_refused(path, "not an autograd_mini parameter file")


def test_parameters_not_an_object(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    document["parameters"] = [1.0, 2.0]
    _write(path, document)
    _assert_refused(path, "no 'parameters' object")


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    _assert_refused(path, "is not a text file")


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(Neuron(1), tmp_path / "absent.json")


# ---- hostile documents: ValueError, model unchanged ----------------------------------------


@pytest.mark.parametrize("version", [True, 1.0, "1", [1], None])
def test_a_version_that_is_not_the_int_1(tmp_path: Path, version: object) -> None:
    path, document = _saved(tmp_path)
    document["version"] = version
    _write(path, document)
    _assert_refused(path, "format version")


@pytest.mark.parametrize(
    ("key", "value"), [("nin", 2.0), ("bias", 1), ("nouts", [3.0, 1]), ("nouts", [3, True])]
)
def test_an_architecture_equal_only_up_to_type(tmp_path: Path, key: str, value: object) -> None:
    path, document = _saved(tmp_path)
    document["architecture"][key] = value  # True == 1 and 2.0 == 2, but the file is wrong
    _write(path, document)
    _assert_refused(path, "architecture")


def test_a_huge_wrong_architecture_is_shown_shortened(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    document["architecture"] = list(range(100_000))
    _write(path, document)
    with pytest.raises(ValueError, match=r"architecture \[0, 1, 2, .*\.\.\., but") as info:
        load(MLP(2, [3, 1]), path)
    assert len(str(info.value)) < 500


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_a_deeply_nested_document(tmp_path: Path, opening: str) -> None:
    path = tmp_path / "model.json"
    closing = "]" if opening == "[" else "}"
    path.write_text(opening * 100_000 + "1" + closing * 100_000)
    _assert_refused(path, "nested deeper than")


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path) -> None:
    path, document = _saved(tmp_path)
    document["comment"] = "[" * 1000 + '\\"{'
    _write(path, document)
    model = MLP(2, [3, 1], seed=5)
    load(model, path)
    assert model.state_dict() == MLP(2, [3, 1], seed=0).state_dict()


def test_a_huge_integer_is_refused(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    text = path.read_text()
    key = '"layers.1.neurons.0.b": '
    start = text.index(key) + len(key)
    path.write_text(text[:start] + "9" * 5000 + text[text.index("\n", start) :])
    _assert_refused(path, "load")


# ---- how the file is written: permissions, symlinks, errors naming the destination ---------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        save(Neuron(2, seed=0), tmp_path / "n.json")
        (tmp_path / "plain").write_text("x")  # what open() gives under the same umask
    finally:
        os.umask(previous)
    assert (tmp_path / "n.json").stat().st_mode == (tmp_path / "plain").stat().st_mode
    assert stat.S_IMODE((tmp_path / "n.json").stat().st_mode) == 0o666 & ~umask


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_replacing_a_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text("old")
    path.chmod(0o640)
    save(Neuron(2, seed=0), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
@pytest.mark.parametrize("target_exists", [True, False])
def test_saving_to_a_symlink_writes_through_to_its_target(
    tmp_path: Path, target_exists: bool
) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.json"
    if target_exists:
        target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    save(Neuron(2, seed=0), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert _document(target)["architecture"]["type"] == "Neuron"
    assert sorted(os.listdir(tmp_path / "real")) == ["model.json"]  # no temporary left
    clone = Neuron(2, seed=1)
    load(clone, link)
    assert clone.state_dict() == Neuron(2, seed=0).state_dict()


def test_a_missing_directory_names_the_destination(tmp_path: Path) -> None:
    destination = tmp_path / "absent" / "model.json"
    with pytest.raises(FileNotFoundError) as info:
        save(Neuron(2, seed=0), destination)
    assert info.value.filename == str(destination)
    assert str(destination) in str(info.value) and ".tmp" not in str(info.value)


# ---- safetensors: chosen by suffix, laid out like MLP.to_torch()'s Sequential ----------------


def _tensors(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    with safe_open(str(path), framework="numpy") as file:
        names = file.keys()
        return {name: file.get_tensor(name) for name in names}, file.metadata()


def test_safetensors_round_trip(tmp_path: Path) -> None:
    a = MLP(3, [4, 2], activation="relu", output_activation="linear", seed=0)
    b = MLP(3, [4, 2], activation="relu", output_activation="linear", seed=1)
    save(a, tmp_path / "m.safetensors")
    load(b, tmp_path / "m.safetensors")
    assert b.state_dict() == a.state_dict()
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_safetensors_keys_shapes_and_metadata(tmp_path: Path) -> None:
    model = MLP(3, [4, 4, 2], activation="tanh", output_activation="sigmoid", seed=0)
    save(model, tmp_path / "m.safetensors")
    tensors, metadata = _tensors(tmp_path / "m.safetensors")
    # a dtype equals its scalar type (np.float64): object, as numpy's stubs type dtype.__eq__
    kinds: dict[str, tuple[object, tuple[int, ...]]] = {
        k: (t.dtype, t.shape) for k, t in tensors.items()
    }
    assert kinds == {
        "0.weight": (np.float64, (4, 3)),
        "0.bias": (np.float64, (4,)),
        "2.weight": (np.float64, (4, 4)),
        "2.bias": (np.float64, (4,)),
        "4.weight": (np.float64, (2, 4)),
        "4.bias": (np.float64, (2,)),
    }
    neuron = model.layers[1].neurons[3]
    assert tensors["2.weight"][3].tolist() == [w.data for w in neuron.w]
    assert neuron.b is not None and tensors["2.bias"][3] == neuron.b.data
    assert metadata == {
        "format": "autograd_mini.state",
        "version": "1",
        "architecture": json.dumps(model.architecture()),
    }


def test_safetensors_without_bias_and_with_linear_hidden_layers(tmp_path: Path) -> None:
    model = MLP(2, [3, 3, 1], activation="linear", output_activation="relu", bias=False, seed=0)
    save(model, tmp_path / "m.safetensors")
    tensors, _ = _tensors(tmp_path / "m.safetensors")
    assert {k: t.shape for k, t in tensors.items()} == {  # no module after a linear layer
        "0.weight": (3, 2),
        "1.weight": (3, 3),
        "2.weight": (1, 3),
    }
    clone = MLP(2, [3, 3, 1], activation="linear", output_activation="relu", bias=False)
    load(clone, tmp_path / "m.safetensors")
    assert clone.state_dict() == model.state_dict()


def test_the_suffix_decides_and_json_stays_the_default(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    save(model, tmp_path / "m.SafeTensors")
    save(model, tmp_path / "m.weights")
    assert (tmp_path / "m.SafeTensors").read_bytes()[8:9] == b"{"  # an 8-byte header size
    assert _document(tmp_path / "m.weights")["format"] == "autograd_mini.state"


@pytest.mark.parametrize("action", [save, load])
def test_safetensors_hold_only_an_mlp(tmp_path: Path, action: Any) -> None:
    with pytest.raises(TypeError, match=r"holds an MLP .* not a Neuron; use a \.json path"):
        action(Neuron(2, seed=0), tmp_path / "n.safetensors")
    assert os.listdir(tmp_path) == []


def test_safetensors_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.safetensors"
    save(MLP(2, [3, 1], seed=0), path)
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save(MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_safetensors_save_refuses_non_finite_parameters(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    model.layers[0].neurons[1].w[0].data = float("inf")
    with pytest.raises(ValueError, match=r"parameter 'layers\.0\.neurons\.1\.w\.0' is inf"):
        save(model, tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == []


def _saved_tensors(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray], dict[str, str]]:
    path = tmp_path / "m.safetensors"
    save(MLP(2, [3, 1], seed=0), path)
    tensors, metadata = _tensors(path)
    return path, tensors, metadata


def _refused_tensors(path: Path, message: str) -> None:
    model = MLP(2, [3, 1], seed=5)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        load(model, path)
    assert model.state_dict() == before


def test_safetensors_truncated_or_empty(tmp_path: Path) -> None:
    path, _, _ = _saved_tensors(tmp_path)
    data = path.read_bytes()
    for cut in (0, 4, 8, 40, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        _refused_tensors(path, "not a valid safetensors file")


def test_safetensors_wrong_shape(tmp_path: Path) -> None:
    path, tensors, metadata = _saved_tensors(tmp_path)
    tensors["0.weight"] = tensors["0.weight"].T.copy()
    safetensors.numpy.save_file(tensors, path, metadata=metadata)
    _refused_tensors(path, r"tensor '0\.weight' has shape \[2, 3\], the MLP needs \[3, 2\]")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_safetensors_non_finite_value(tmp_path: Path, value: float) -> None:
    path, tensors, metadata = _saved_tensors(tmp_path)
    tensors["0.weight"][2, 1] = value
    safetensors.numpy.save_file(tensors, path, metadata=metadata)
    _refused_tensors(path, rf"tensor '0\.weight' holds {value!r} at \[2, 1\], not finite")


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int64])
def test_safetensors_wrong_dtype(tmp_path: Path, dtype: type) -> None:
    path, tensors, metadata = _saved_tensors(tmp_path)
    tensors["2.bias"] = tensors["2.bias"].astype(dtype)
    safetensors.numpy.save_file(tensors, path, metadata=metadata)
    _refused_tensors(path, r"tensor '2\.bias' has dtype \w+, expected F64")


def test_safetensors_missing_and_unexpected_tensors(tmp_path: Path) -> None:
    path, tensors, metadata = _saved_tensors(tmp_path)
    tensors["9.weight"] = tensors.pop("2.weight")
    safetensors.numpy.save_file(tensors, path, metadata=metadata)
    _refused_tensors(path, r"missing \['2\.weight'\]; unexpected \['9\.weight'\]")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "other"}, "not an autograd_mini safetensors file"),
        ({"version": "2"}, "format version '2'; this version reads 1"),
        ({"architecture": json.dumps(MLP(2, [4, 1]).architecture())}, "architecture"),
        ({"architecture": "[" * 100}, "nested deeper"),
        ({"architecture": "{"}, "not valid JSON"),
    ],
)
def test_safetensors_wrong_metadata(tmp_path: Path, change: dict[str, str], message: str) -> None:
    path, tensors, metadata = _saved_tensors(tmp_path)
    safetensors.numpy.save_file(tensors, path, metadata={**metadata, **change})
    _refused_tensors(path, message)


def test_safetensors_without_metadata(tmp_path: Path) -> None:
    path, tensors, _ = _saved_tensors(tmp_path)
    safetensors.numpy.save_file(tensors, path)
    _refused_tensors(path, "not an autograd_mini safetensors file")


def test_a_json_file_named_safetensors_is_refused(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    path.rename(tmp_path / "m.safetensors")
    _refused_tensors(tmp_path / "m.safetensors", "not a valid safetensors file")


def test_safetensors_files_need_no_pytorch(tmp_path: Path) -> None:
    """With torch unimportable, .safetensors files still save and load (numpy API)."""
    script = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "from autograd_mini import nn\n"
        "a, b = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)\n"
        "nn.save(a, 'm.safetensors')\n"
        "nn.load(b, 'm.safetensors')\n"
        "assert a.state_dict() == b.state_dict()\n"
        "try:\n"
        "    a.to_torch()\n"
        "except ImportError:\n"
        "    print('no torch')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "no torch\n", "")
