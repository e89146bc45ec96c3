"""Hostile files fed to `nn.load`: random bytes, random JSON documents and mutations of a valid
file, in both formats. Every one must raise ValueError and leave the model as it was."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_mini.nn import FORMAT_NAME, FORMAT_VERSION, MLP, load, save

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
NOT_A_NUMBER = st.none() | st.booleans() | st.text(max_size=5) | st.lists(st.integers(), max_size=2)
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])


def _model() -> MLP:
    return MLP(2, [3, 1], seed=5)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _valid_document(folder: Path) -> dict[str, Any]:
    save(MLP(2, [3, 1], seed=0), folder / "valid.json")
    document: dict[str, Any] = json.loads((folder / "valid.json").read_text())
    return document


def _assert_refused(path: Path) -> None:
    model = _model()
    before = model.state_dict()
    with pytest.raises(ValueError):
        load(model, path)
    assert model.state_dict() == before


# ---- JSON ----------------------------------------------------------------------------------


@settings(max_examples=200)
@given(data=st.binary(max_size=300))
def test_random_bytes(folder: Path, data: bytes) -> None:
    path = folder / "bytes.json"
    path.write_bytes(data)
    _assert_refused(path)


HEADED_DOCUMENTS = st.fixed_dictionaries(  # past the format check, random beyond it
    {"format": st.just(FORMAT_NAME), "version": st.just(FORMAT_VERSION)},
    optional={"architecture": JSON_VALUES, "parameters": JSON_VALUES},
)


@settings(max_examples=150)
@given(document=JSON_VALUES | HEADED_DOCUMENTS)
def test_random_json_documents(folder: Path, document: object) -> None:
    path = folder / "random.json"
    path.write_text(json.dumps(document))  # NaN and Infinity as JSON's non-standard literals
    _assert_refused(path)


@settings(max_examples=100)
@given(data=st.data())
def test_a_valid_file_with_a_key_dropped(folder: Path, data: st.DataObject) -> None:
    document = _valid_document(folder)
    part = data.draw(st.sampled_from([document, document["architecture"], document["parameters"]]))
    del part[data.draw(st.sampled_from(sorted(part)))]
    (folder / "dropped.json").write_text(json.dumps(document))
    _assert_refused(folder / "dropped.json")


@settings(max_examples=150)
@given(data=st.data())
def test_a_valid_file_with_a_value_of_the_wrong_type(folder: Path, data: st.DataObject) -> None:
    document = _valid_document(folder)
    where = data.draw(st.sampled_from(["top", "architecture", "parameters"]))
    if where == "parameters":
        name = data.draw(st.sampled_from(sorted(document["parameters"])))
        document["parameters"][name] = data.draw(NOT_A_NUMBER)
    else:
        part = document if where == "top" else document["architecture"]
        key = data.draw(st.sampled_from(sorted(part)))
        part[key] = data.draw(JSON_VALUES.filter(lambda v: type(v) is not type(part[key])))
    (folder / "typed.json").write_text(json.dumps(document))
    _assert_refused(folder / "typed.json")


def _retyped(value: object) -> object:
    """An equal value of another type: ``True`` for 1, ``2.0`` for 2, ``1`` for True."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return float(value) if value != 1 else True
    if isinstance(value, list):
        return [_retyped(v) for v in value]
    return value


@settings(max_examples=30)
@given(data=st.data())
def test_a_valid_file_with_an_equal_value_of_another_type(
    folder: Path, data: st.DataObject
) -> None:
    document = _valid_document(folder)
    part = data.draw(st.sampled_from([document, document["architecture"]]))
    key = data.draw(st.sampled_from([k for k in sorted(part) if _retyped(part[k]) is not part[k]]))
    part[key] = _retyped(part[key])
    (folder / "retyped.json").write_text(json.dumps(document))
    _assert_refused(folder / "retyped.json")


@settings(max_examples=20)
@given(
    openings=st.lists(st.sampled_from(["[", '{"k":']), min_size=1, max_size=4),
    depth=st.integers(33, 100_000),
)
def test_a_deeply_nested_document(folder: Path, openings: list[str], depth: int) -> None:
    opening = "".join(openings[i % len(openings)] for i in range(depth))
    closing = "".join("]" if o == "[" else "}" for o in reversed(opening.replace('{"k":', "{")))
    (folder / "deep.json").write_text(opening + "0" + closing)
    _assert_refused(folder / "deep.json")


@settings(max_examples=50)
@given(data=st.data())
def test_a_valid_file_with_a_non_finite_parameter(folder: Path, data: st.DataObject) -> None:
    document = _valid_document(folder)
    name = data.draw(st.sampled_from(sorted(document["parameters"])))
    document["parameters"][name] = data.draw(NON_FINITE | st.just(10**400))
    (folder / "nan.json").write_text(json.dumps(document).replace(str(10**400), "1e400"))
    _assert_refused(folder / "nan.json")


@settings(max_examples=50)
@given(nouts=st.lists(st.integers(1, 5), min_size=1, max_size=3).filter(lambda n: n != [3, 1]))
def test_a_valid_file_claiming_other_layer_sizes(folder: Path, nouts: list[int]) -> None:
    document = _valid_document(folder)
    document["architecture"]["nouts"] = nouts
    (folder / "shape.json").write_text(json.dumps(document))
    _assert_refused(folder / "shape.json")


@settings(max_examples=50)
@given(data=st.data())
def test_a_truncated_valid_file(folder: Path, data: st.DataObject) -> None:
    text = json.dumps(_valid_document(folder))
    (folder / "cut.json").write_text(text[: data.draw(st.integers(0, len(text) - 1))])
    _assert_refused(folder / "cut.json")


# ---- safetensors ---------------------------------------------------------------------------


def _valid_tensors(folder: Path) -> tuple[bytes, dict[str, np.ndarray], dict[str, str]]:
    path = folder / "valid.safetensors"
    save(MLP(2, [3, 1], seed=0), path)
    with safetensors.safe_open(str(path), framework="numpy") as file:
        names = file.keys()
        tensors = {name: file.get_tensor(name) for name in names}
        metadata = file.metadata()
    return path.read_bytes(), tensors, metadata


@settings(max_examples=200)
@given(data=st.binary(max_size=300))
def test_random_bytes_as_safetensors(folder: Path, data: bytes) -> None:
    path = folder / "bytes.safetensors"
    path.write_bytes(data)
    _assert_refused(path)


@settings(max_examples=50)
@given(data=st.data())
def test_a_truncated_valid_safetensors_file(folder: Path, data: st.DataObject) -> None:
    raw, _, _ = _valid_tensors(folder)
    path = folder / "cut.safetensors"
    path.write_bytes(raw[: data.draw(st.integers(0, len(raw) - 1))])
    _assert_refused(path)


@settings(max_examples=100)
@given(data=st.data())
def test_a_mutated_safetensors_file(folder: Path, data: st.DataObject) -> None:
    _, tensors, metadata = _valid_tensors(folder)
    name = data.draw(st.sampled_from(sorted(tensors)))
    mutation = data.draw(st.sampled_from(["drop", "dtype", "shape", "non-finite", "metadata"]))
    if mutation == "drop":
        del tensors[name]
    elif mutation == "dtype":
        dtype = data.draw(st.sampled_from([np.float32, np.float16, np.int64, np.uint8]))
        tensors[name] = tensors[name].astype(dtype)
    elif mutation == "shape":
        shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
        if shape == tensors[name].shape:
            shape = (*shape, 1)
        tensors[name] = np.zeros(shape)
    elif mutation == "non-finite":
        flat = tensors[name].reshape(-1)
        flat[data.draw(st.integers(0, flat.size - 1))] = data.draw(NON_FINITE)
    else:
        key = data.draw(st.sampled_from(sorted(metadata)))
        metadata[key] = data.draw(st.text(max_size=20).filter(lambda t: t != metadata[key]))
    path = folder / "mutated.safetensors"
    safetensors.numpy.save_file(tensors, path, metadata=metadata)
    _assert_refused(path)
