"""save/load: JSON round trip, and every bad file refused with the model left unchanged."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

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
