"""The file formats behind `nn.save` and `nn.load`: JSON and safetensors, written atomically.

Both formats are read with every check made before any parameter is assigned, so a bad
file raises ValueError and leaves the module as it was. The safetensors layout is the
state dict of the `torch.nn.Sequential` that `MLP.to_torch` builds (`sequential_arrays`).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import stat
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from autograd_mini._engine import Value
    from autograd_mini.nn import MLP, Layer, Module

FORMAT_NAME = "autograd_mini.state"
FORMAT_VERSION = 1
MAX_DEPTH = 32
"""How deeply a JSON document may nest (a saved file nests 3 levels); deeper is refused
before parsing, where Python's json would hit the recursion limit."""

SAFETENSORS_SUFFIX = ".safetensors"
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def is_safetensors(path: str) -> bool:
    """Whether ``path`` names a safetensors file (by its suffix; anything else is JSON)."""
    return path.lower().endswith(SAFETENSORS_SUFFIX)


# ---- atomic writes ---------------------------------------------------------------------------


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside the target and a rename.

    A symlink is written through to its target. A new file gets the mode ``open`` would
    give it under the umask; a replaced file keeps its mode. A failure to create the file
    names ``path``, not the temporary.
    """
    target = os.path.realpath(path)
    try:
        mode = _mode(target)
        fd, temporary = _create_beside(target)
    except OSError as error:
        raise OSError(error.errno, error.strerror, path) from None
    try:
        with os.fdopen(fd, "wb") as file:
            if mode is not None:
                os.chmod(temporary, mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _mode(path: str) -> int | None:
    """The permission bits of an existing file, or None when there is none."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None


def _create_beside(target: str) -> tuple[int, str]:
    """A new file next to ``target`` with a fresh name, created with mode 0o666 so that the
    kernel applies the umask (tempfile.mkstemp would make it 0o600)."""
    while True:
        temporary = f"{target}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue


# ---- JSON --------------------------------------------------------------------------------


def json_bytes(module: Module) -> bytes:
    """The JSON document `nn.save` writes: format, version, architecture, parameters."""
    check_finite(module)
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "architecture": module.architecture(),
        "parameters": module.state_dict(),
    }
    return (json.dumps(document, indent=1, allow_nan=False) + "\n").encode("utf-8")


def load_json(module: Module, path: str) -> None:
    """Set ``module``'s parameters from a JSON file written by `json_bytes`."""
    with open(path, "rb") as file:
        raw = file.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"load: {path!r} is not a text file: {error}") from None
    document = parse_json(text, f"load: {path!r}")
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ValueError(f"load: {path!r} is not an autograd_mini parameter file")
    version = document.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise ValueError(
            f"load: {path!r} has format version {_short(version)}; "
            f"this version reads {FORMAT_VERSION}"
        )
    check_architecture(module, document.get("architecture"), f"load: {path!r}")
    state = document.get("parameters")
    if not isinstance(state, dict):
        raise ValueError(f"load: {path!r} has no 'parameters' object")
    try:
        module.load_state_dict(state)
    except ValueError as error:
        raise ValueError(f"load: {path!r}: {error}") from None


def parse_json(text: str, where: str) -> Any:
    """`json.loads`, with nesting beyond `MAX_DEPTH` and NaN/Infinity refused (ValueError)."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if bracket[0] in "[{" else -1
        if depth > MAX_DEPTH:
            raise ValueError(f"{where} is nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where} is not valid JSON (truncated?): {error}") from None
    except ValueError as error:  # a non-finite constant, an integer too long to convert
        raise ValueError(f"{where}: {error}") from None


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-finite value {name} in the file")


def check_architecture(module: Module, architecture: object, where: str) -> None:
    """ValueError unless ``architecture`` is the module's, with the same types throughout."""
    if not _identical(architecture, module.architecture()):
        raise ValueError(
            f"{where} holds a model with architecture {_short(architecture)}, "
            f"but the model is {module.architecture()!r}"
        )


def _short(value: object, limit: int = 200) -> str:
    """``repr(value)``, cut to ``limit`` characters: a hostile file can hold anything."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _identical(a: object, b: object) -> bool:
    """Equal, with equal types all the way down (``True`` is not ``1``, ``2.0`` not ``2``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b))
    return a == b


# ---- the layout of MLP.to_torch()'s Sequential ---------------------------------------------


def sequential_layers(mlp: MLP) -> Iterator[tuple[int, Layer]]:
    """Each layer with the index of its ``Linear`` in the Sequential: a layer is a Linear,
    followed by its activation's module unless the activation is linear."""
    index = 0
    for layer in mlp.layers:
        yield index, layer
        index += 1 if layer.activation == "linear" else 2


def sequential_arrays(mlp: MLP) -> dict[str, npt.NDArray[np.float64]]:
    """The parameters as the float64 state dict of the Sequential (``0.weight``, ``0.bias``)."""
    import numpy as np

    arrays = {}
    for index, layer in sequential_layers(mlp):
        rows = [[w.data for w in neuron.w] for neuron in layer.neurons]
        arrays[f"{index}.weight"] = np.array(rows, dtype=np.float64)
        if layer.bias:
            biases = [neuron.b.data for neuron in layer.neurons if neuron.b is not None]
            arrays[f"{index}.bias"] = np.array(biases, dtype=np.float64)
    return arrays


def sequential_shapes(mlp: MLP) -> dict[str, tuple[int, ...]]:
    """The shape of each array of `sequential_arrays`, by key."""
    shapes: dict[str, tuple[int, ...]] = {}
    for index, layer in sequential_layers(mlp):
        shapes[f"{index}.weight"] = (layer.nout, layer.nin)
        if layer.bias:
            shapes[f"{index}.bias"] = (layer.nout,)
    return shapes


def assign_sequential_arrays(
    mlp: MLP, arrays: Mapping[str, npt.NDArray[np.float64]], where: str
) -> None:
    """Set the MLP's parameters from float64 arrays laid out like `sequential_arrays`, after
    checking the names, and each array's shape and finiteness (ValueError)."""
    check_names(mlp, list(arrays), where)
    shapes = sequential_shapes(mlp)
    updates: list[tuple[Value, float]] = []
    for index, layer in sequential_layers(mlp):
        weight = _checked(arrays, f"{index}.weight", shapes, where)
        bias = _checked(arrays, f"{index}.bias", shapes, where) if layer.bias else None
        for j, neuron in enumerate(layer.neurons):
            updates += zip(neuron.w, weight[j].tolist())
            if bias is not None and neuron.b is not None:
                updates.append((neuron.b, float(bias[j])))
    for parameter, value in updates:
        parameter.data = value


def check_names(mlp: MLP, names: list[str], where: str) -> None:
    """ValueError naming the missing and the unexpected tensors, if any."""
    expected = sequential_shapes(mlp)
    missing = [name for name in expected if name not in names]
    unexpected = [name for name in names if name not in expected]
    if missing or unexpected:
        parts = ([f"missing {missing}"] if missing else []) + (
            [f"unexpected {_short(unexpected)}"] if unexpected else []
        )
        raise ValueError(f"{where}: the tensors do not match the MLP: " + "; ".join(parts))


def _checked(
    arrays: Mapping[str, npt.NDArray[np.float64]],
    key: str,
    shapes: Mapping[str, tuple[int, ...]],
    where: str,
) -> npt.NDArray[np.float64]:
    """The array named ``key``, if its shape is right and all its numbers are finite."""
    import numpy as np

    array, shape = arrays[key], shapes[key]
    if array.shape != shape:
        raise ValueError(
            f"{where}: tensor {key!r} has shape {list(array.shape)}, the MLP needs {list(shape)}"
        )
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        position = [int(i) for i in np.unravel_index(bad[0], shape)]
        value = float(array.flat[bad[0]])
        raise ValueError(f"{where}: tensor {key!r} holds {value!r} at {position}, not finite")
    return array


# ---- safetensors -------------------------------------------------------------------------


def safetensors_bytes(mlp: MLP) -> bytes:
    """The safetensors file `nn.save` writes: the Sequential's tensors, and the format, its
    version and the architecture (JSON) as the header's metadata."""
    from safetensors.numpy import save

    check_finite(mlp)
    metadata = {
        "format": FORMAT_NAME,
        "version": str(FORMAT_VERSION),
        "architecture": json.dumps(mlp.architecture()),
    }
    data: bytes = save(sequential_arrays(mlp), metadata=metadata)
    return data


def load_safetensors(mlp: MLP, path: str) -> None:
    """Set the MLP's parameters from a safetensors file written by `safetensors_bytes`."""
    from safetensors import SafetensorError, safe_open

    where = f"load: {path!r}"
    try:
        with safe_open(path, framework="numpy") as file:
            metadata = file.metadata() or {}
            if metadata.get("format") != FORMAT_NAME:
                raise ValueError(f"{where} is not an autograd_mini safetensors file")
            version = metadata.get("version")
            if version != str(FORMAT_VERSION):
                raise ValueError(
                    f"{where} has format version {_short(version)}; "
                    f"this version reads {FORMAT_VERSION}"
                )
            architecture = parse_json(metadata.get("architecture", ""), f"{where}: architecture")
            check_architecture(mlp, architecture, where)
            names = list(file.keys())
            check_names(mlp, names, where)
            for name in names:
                dtype = file.get_slice(name).get_dtype()
                if dtype != "F64":
                    raise ValueError(f"{where}: tensor {name!r} has dtype {dtype}, expected F64")
            arrays = {name: file.get_tensor(name) for name in names}
    except SafetensorError as error:
        raise ValueError(f"{where} is not a valid safetensors file (truncated?): {error}") from None
    assign_sequential_arrays(mlp, arrays, where)


def check_finite(module: Module) -> None:
    """ValueError naming the first parameter that is NaN or infinite (neither format saves one)."""
    for name, value in module.state_dict().items():
        if not math.isfinite(value):
            raise ValueError(f"save: parameter {name!r} is {value!r}, which cannot be saved")
