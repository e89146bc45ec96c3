"""The package surface: what `import autograd_mini` loads, exports and shows."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import autograd_mini as am


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_is_light_and_heavy_modules_load_on_first_use() -> None:
    out = _run(
        "import sys, autograd_mini as am\n"
        "print('numpy' in sys.modules, 'autograd_mini.nn' in sys.modules)\n"
        "model = am.nn.MLP(2, [1], seed=0)\n"
        "print('autograd_mini.nn' in sys.modules, am.trace.__module__)"
    )
    assert out.splitlines() == ["False False", "True autograd_mini.tape"]


def test_unknown_attributes_still_raise() -> None:
    try:
        am.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "no attribute 'no_such_thing'" in str(error)
    else:
        raise AssertionError("am.no_such_thing did not raise")


def test_star_import_does_not_shadow_sum_and_abs() -> None:
    out = _run("from autograd_mini import *\nprint(sum([1, 2]), abs(-3), Value(1.0).data)")
    assert out == "3 3 1.0"
    assert am.sum([am.Value(1.0), 2.0]).data == 3.0 and am.abs(-2.0) == 2.0


def test_a_value_displays_as_its_graph_in_jupyter() -> None:
    x = am.Value(2.0, label="x")
    bundle = (x * x)._repr_mimebundle_()
    assert bundle["text/plain"] == repr(x * x)
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert ">x<" in bundle["image/svg+xml"]


# ---- packaging metadata ------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_has_one_source() -> None:
    from autograd_mini._version import __version__

    assert am.__version__ == __version__ == importlib.metadata.version("autograd-mini")


def test_project_urls_point_at_files_in_the_repository() -> None:
    """No public host is known yet: each URL is a path that must exist here."""
    urls = dict(
        entry.split(", ", 1)
        for entry in importlib.metadata.metadata("autograd-mini").get_all("Project-URL") or []
    )
    assert sorted(urls) == ["Changelog", "Documentation", "Homepage", "Source"]
    assert [name for name, path in urls.items() if not (ROOT / path).exists()] == []


def test_the_all_extra_pulls_in_every_run_time_extra() -> None:
    requires = importlib.metadata.requires("autograd-mini") or []
    all_extra = [r for r in requires if 'extra == "all"' in r]
    assert len(all_extra) == 1
    for extra in ("testing", "plot", "digits", "notebook"):
        assert extra in all_extra[0], extra


def test_dir_lists_the_public_names_only() -> None:
    names = dir(am)
    assert not {"Any", "TYPE_CHECKING", "importlib", "_engine"} & set(names)
    assert {"defop", "ops", "jvp", "jacobian", "hessian", "no_grad", "nn", "micrograd"} <= set(
        names
    )
    assert am.micrograd.engine.Value(1.0).data == 1.0  # loads on first use, like am.nn


def test_public_classes_name_their_public_module() -> None:
    for cls in (am.Value, am.GradcheckError, am.AnomalyError, am.Op):
        assert cls.__module__ == "autograd_mini" and getattr(am, cls.__name__) is cls


def test_user_code_type_checks_under_mypy_strict(tmp_path: Path) -> None:
    """The public names a user calls are exported to type checkers: `am.sum`, `am.max`
    and `am.abs` (kept out of __all__) and the lazily loaded modules among them."""
    user = tmp_path / "user_code.py"
    user.write_text(
        "import autograd_mini as am\n"
        "from autograd_mini import nn\n"
        "x = am.Value(2.0)\n"
        "with am.gc_paused(), am.no_grad():\n"
        "    y = am.sum([x, am.max([x, 1.0]), am.abs(x)])\n"
        "model = nn.MLP(2, [3, 1])\n"
        "tape = am.trace(model, [0.0, 1.0], params=model.parameters())\n"
        "compiled = am.compile(lambda v: v * v, 1.0)\n"
    )
    # In a child process: mypy.api.run would raise this process's recursion limit.
    run = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(user)]
    result = subprocess.run(run, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
