"""The ``autograd-mini`` command, run as a separate process: output, files, exit codes."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd_mini as am
from autograd_mini import cli, nn
from autograd_mini.plot import PNG_SIZE

SCRIPT = Path(sys.executable).with_name("autograd-mini")
TIMEOUT = 120


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "autograd_mini", *args]


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=TIMEOUT,
    )


def run_many(
    cases: list[list[str]], cwd: Path | None = None, at_once: int = 6
) -> list[subprocess.CompletedProcess[str]]:
    """Run the cases a few at a time: many small runs, less waiting, bounded memory."""
    results = []
    for start in range(0, len(cases), at_once):
        batch = cases[start : start + at_once]
        processes = [
            subprocess.Popen(
                command(*case),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                cwd=cwd,
            )
            for case in batch
        ]
        for case, process in zip(batch, processes):
            out, err = process.communicate(timeout=TIMEOUT)
            results.append(subprocess.CompletedProcess(case, process.returncode, out, err))
    return results


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG file"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def svg_texts(path: Path) -> list[str]:
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    return [
        (t.text or "").replace("\xa0", " ") for t in root.iter("{http://www.w3.org/2000/svg}text")
    ]


# ---- help, version, usage -------------------------------------------------------------------


def test_console_script_is_installed_and_runs() -> None:
    result = subprocess.run(
        [str(SCRIPT), "--version"], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"autograd-mini {am.__version__}"


def test_every_command_has_help() -> None:
    cases = [["--help"], *[[name, "--help"] for name in ("grad", "render", "train", "demo")]]
    for case, result in zip(cases, run_many(cases)):
        assert result.returncode == 0, case
        assert result.stdout.startswith("usage: autograd-mini"), case
        assert result.stderr == ""
    top = run_many([["--help"]])[0].stdout
    for name in ("grad", "render", "train", "demo"):
        assert name in top


USAGE_ERRORS = [
    [],
    ["frobnicate"],
    ["grad"],
    ["grad", "x", "--at", "x"],
    ["grad", "x", "--at", "x=two"],
    ["grad", "x", "--at", "x=1,x=2"],
    ["grad", "x", "--at", "x=nan"],
    ["grad", "x", "--at", "1x=2"],
    ["grad", "x", "--at", "exp=2"],
    ["grad", "x", "--at", "x=1", "--precision", "0"],
    ["render", "x", "--at", "x=1", "--format", "gif"],
    ["render", "x", "--at", "x=1", "-o", "graph.txt"],
    ["render", "x", "--at", "x=1", "-o", "g.svg", "--format", "png"],
    ["render", "2*3", "--check"],
    ["train", "--dataset", "iris"],
    ["train", "--hidden", "4,zero"],
    ["train", "--epochs", "0"],
    ["train", "--lr", "-1"],
    ["demo", "--epochs", "x"],
]


def test_usage_errors_exit_2_with_one_line_on_stderr(tmp_path: Path) -> None:
    results = run_many(USAGE_ERRORS, cwd=tmp_path)
    for args, result in zip(USAGE_ERRORS, results):
        assert result.returncode == 2, result
        assert result.stdout == "", args
        assert result.stderr.splitlines()[-1].startswith("autograd-mini"), args
        assert "error:" in result.stderr.splitlines()[-1], args
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_help_shows_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    parser = cli._argument_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, subparser in commands.choices.items():
        assert cli.main([name, "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())  # argparse wraps the lines
        for action in subparser._actions:
            if not action.option_strings or action.default in (None, False, argparse.SUPPRESS):
                continue  # a positional, a flag, or a default the help text describes
            if action.default == []:
                continue  # --at: no variables unless given
            shown = (
                ",".join(map(str, action.default))
                if isinstance(action.default, list)
                else action.default
            )
            assert f"(default: {shown})" in text, (name, action.option_strings)
        for action in subparser._actions:  # options without a fixed default still say it
            if action.option_strings and action.default is None:
                assert "default" in (action.help or ""), (name, action.option_strings)
    assert cli.main(["train", "--help"]) == 0
    train_help = " ".join(capsys.readouterr().out.split())
    assert "the optimizer (default: adam)" in train_help
    assert "-o DIR, --out DIR output directory (default: out)" in train_help


def test_every_command_writes_where_dash_o_and_dash_dash_out_say(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for option in ("-o", "--out", "--output"):  # --output: render's old spelling still works
        target = tmp_path / f"g{option}.dot"
        assert cli.main(["render", "x*x", "--at", "x=3", option, str(target)]) == 0
        assert target.read_bytes().startswith(b"digraph autograd_mini {")
    for option in ("-o", "--out"):
        directory = tmp_path / f"run{option}"
        arguments = ["--dataset", "sleep", "--hidden", "2", "--epochs", "1", "--no-progress"]
        assert cli.main(["train", *arguments, option, str(directory)]) == 0
        assert (directory / "model.json").is_file()
    capsys.readouterr()


def test_render_format_follows_the_suffix_and_a_contradiction_names_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "g.svg"
    assert cli.main(["render", "x*x", "--at", "x=3", "-o", str(target), "--format", "png"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert f"--format png contradicts the output file {str(target)!r}" in error
    assert "suffix means svg" in error
    assert not target.exists()
    for agreeing in (["--format", "dot"], []):  # repeating the suffix's format, or leaving it out
        dot_file = tmp_path / "g.gv"
        assert cli.main(["render", "x*x", "--at", "x=3", "-o", str(dot_file), *agreeing]) == 0
        assert dot_file.read_bytes().startswith(b"digraph")


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command with standard output a pipe whose reader is already gone, as when
    ``head`` has read all it wants and exited."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            command(*args), stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT
        )
    finally:
        os.close(write_end)


def test_a_closed_pipe_ends_the_command_quietly_with_141(tmp_path: Path) -> None:
    target = str(tmp_path / "g.dot")
    for args in (
        ["grad", "x*y", "--at", "x=1,y=2"],
        ["render", "x*x", "--at", "x=1", "-o", target],
    ):
        result = run_into_closed_pipe(*args)
        assert result.returncode == cli.BROKEN_PIPE == 141, (args, result.stderr)
        assert result.stderr == "", args  # no "[Errno 32] Broken pipe", no traceback
    assert run_into_closed_pipe("grad", "--help").stderr == ""  # argparse's help: exit 0


# ---- grad -------------------------------------------------------------------------------------


def test_grad_prints_value_partials_and_a_passing_check() -> None:
    result = run("grad", "tanh(x*y) + x**2", "--at", "x=0.5,y=-1")
    assert result.returncode == 0, result.stderr
    x, y = am.Value(0.5), am.Value(-1.0)
    f = (x * y).tanh() + x**2
    dx, dy = am.gradients(f, [x, y])
    lines = result.stdout.splitlines()
    assert lines[0] == f"f(x=0.5, y=-1.0) = {f.data!r}"
    assert lines[1] == f"df/dx = {dx!r}"
    assert lines[2] == f"df/dy = {dy!r}"
    assert lines[3].startswith("gradient check against central differences")
    assert lines[3].endswith(": passed")
    assert result.stderr == ""


def test_grad_with_repeated_at_options_and_precision() -> None:
    result = run("grad", "x*y", "--at", "x=2", "--at", "y=3", "--precision", "3")
    assert result.returncode == 0
    assert result.stdout.splitlines()[:3] == ["f(x=2, y=3) = 6", "df/dx = 3", "df/dy = 2"]


def test_grad_of_a_variable_the_expression_does_not_use_is_zero() -> None:
    result = run("grad", "x + 1", "--at", "x=2,unused=5")
    assert result.returncode == 0
    assert "df/dunused = 0.0" in result.stdout


def test_grad_check_failure_at_a_kink_exits_1() -> None:
    result = run("grad", "relu(x)", "--at", "x=0")
    assert result.returncode == 1
    assert "FAILED" in result.stdout
    assert "df/dx: analytic 0.0, numeric 0.5" in result.stdout
    assert result.stderr.count("\n") == 1 and "disagree" in result.stderr


def test_grad_runtime_domain_error_exits_1_naming_the_operation() -> None:
    result = run("grad", "log(x)", "--at", "x=-1")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "autograd-mini: error: grad: log: operand must be > 0, got -1.0\n"


def test_grad_without_variables() -> None:
    result = run("grad", "2 * pi")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "f = 6.283185307179586"
    assert "nothing to check" in result.stdout


# One expression per class of refusal (tests/test_parser.py has more variants, in-process).
REFUSED = {
    "attribute access": "x.__class__",
    "subscript": "x[0]",
    "string": "'rm -rf'",
    "f-string": "f'{x}'",
    "lambda": "(lambda: 1)()",
    "list comprehension": "[i for i in x]",
    "import statement": "import os",
    "import call": "__import__('os').system('true')",
    "unknown name": "x + z",
    "unknown function": "eval('1')",
    "bare function name": "tanh + x",
    "keyword argument": "tanh(x=1)",
    "starred argument": "tanh(*x)",
    "comparison": "x < 1",
    "boolean operator": "x or 1",
    "conditional": "1 if x else 2",
    "tuple": "x, 1",
    "walrus": "(y := x)",
    "modulo": "x % 2",
    "not": "not x",
    "boolean constant": "True",
    "complex": "1j * x",
    "non-finite literal": "x*1e999",
    "assignment": "x = 1",
    "syntax error": "x +",
    "empty": "  ",
    "too deep": "-" * 5000 + "x",
}


def test_every_refused_expression_exits_2_with_a_one_line_error() -> None:
    names = list(REFUSED)
    results = run_many([["grad", "--at", "x=2", "--", REFUSED[name]] for name in names])
    for name, result in zip(names, results):
        assert result.returncode == 2, (name, result)
        assert result.stdout == "", name
        assert result.stderr.startswith("autograd-mini: error: grad: "), (name, result.stderr)
        assert result.stderr.count("\n") == 1, (name, result.stderr)
        assert "Traceback" not in result.stderr


def test_refused_expressions_are_refused_by_render_too(tmp_path: Path) -> None:
    result = run("render", "x.__class__", "--at", "x=1", "-o", str(tmp_path / "g.svg"))
    assert result.returncode == 2
    assert "attribute access is not allowed" in result.stderr
    assert list(tmp_path.iterdir()) == []


# ---- render -----------------------------------------------------------------------------------


def test_render_writes_an_svg_with_labels_values_and_gradients(tmp_path: Path) -> None:
    target = tmp_path / "neuron.svg"
    result = run("render", "sigmoid(w*x + b)", "--at", "w=-3,x=2,b=6.5", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {target}\n"
    texts = svg_texts(target)
    for expected in ("w", "x", "b", "sigmoid", "data -3", "data 0.6225", "grad 1"):
        assert expected in texts


@pytest.mark.parametrize("fmt", ["png", "dot", "pdf"])
def test_render_other_formats(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / "graph.out"
    result = run("render", "x*x", "--at", "x=3", "-o", str(target), "--format", fmt)
    assert result.returncode == 0, result.stderr
    data = target.read_bytes()
    if fmt == "png":
        width, height = png_size(target)
        assert width > height > 10
    elif fmt == "dot":
        assert data.startswith(b"digraph autograd_mini {")
        assert data.count(b"v0 -> v1_op") == 2  # x used twice: two edges
    else:
        assert data.startswith(b"%PDF")


def test_render_default_file_name_and_options(tmp_path: Path) -> None:
    result = run(
        "render", "x*x*y", "--at", "x=3,y=1e-9", "--color-grad", "--edge-labels",
        "--precision", "2", "--rankdir", "TB", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    texts = svg_texts(tmp_path / "graph.svg")
    assert "|grad|" in texts  # the legend
    assert "adds 3e-09" in texts  # each x -> * edge adds y * x to x.grad
    assert "grad 6e-09" in texts  # 2 x y, with 2 significant digits


def test_render_check_view(tmp_path: Path) -> None:
    target = tmp_path / "check.svg"
    result = run("render", "tanh(x*y) + exp(x)", "--at", "x=0.5,y=-1", "--check", "-o", str(target))
    assert result.returncode == 0, result.stderr
    texts = svg_texts(target)
    assert "gradient check" in texts
    assert any(t.startswith("check Δ") for t in texts)


def test_render_node_limit_is_a_runtime_error_naming_the_option(tmp_path: Path) -> None:
    result = run("render", "x*x + x", "--at", "x=1", "--max-nodes", "2", cwd=tmp_path)
    assert result.returncode == 1
    assert "max_nodes" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_render_without_graphviz_says_how_to_install_it(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # no `dot` on PATH
    result = run("render", "x*x", "--at", "x=1", "-o", str(tmp_path / "g.svg"), env=env)
    assert result.returncode == 1
    assert "apt-get install graphviz" in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "g.svg").exists()
    dot_only = run("render", "x*x", "--at", "x=1", "-o", str(tmp_path / "g.dot"), env=env)
    assert dot_only.returncode == 0  # DOT text needs no Graphviz


# ---- train and demo -------------------------------------------------------------------------


def test_train_writes_loss_curve_decision_boundary_and_model(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = run(
        "train", "--dataset", "xor", "--hidden", "4", "--epochs", "30", "--lr", "0.1",
        "--seed", "3", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "training 2-4-1 MLP (tanh) on xor: 4 examples, 30 epochs" in result.stdout
    assert "training accuracy" in result.stdout
    assert png_size(out / "loss.png") == PNG_SIZE
    assert png_size(out / "decision_boundary.png") == PNG_SIZE
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="linear")
    nn.load(model, out / "model.json")  # a complete, loadable model file
    document = json.loads((out / "model.json").read_text(encoding="utf-8"))
    assert len(document["parameters"]) == len(model.parameters())
    for name in ("loss.png", "decision_boundary.png", "model.json"):
        assert str((out / name).resolve()) in result.stdout
    assert "epoch 30/30" in result.stderr  # progress lines when stderr is not a terminal


def test_train_regression_prints_predictions_and_no_progress_is_quiet(tmp_path: Path) -> None:
    result = run(
        "train", "--dataset", "sleep", "--hidden", "3", "--epochs", "5",
        "--activation", "sigmoid", "--optimizer", "sgd", "--no-progress", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "target 0.75, predicted" in result.stdout
    assert "accuracy" not in result.stdout
    assert result.stderr == ""
    assert png_size(tmp_path / "decision_boundary.png") == PNG_SIZE


def test_demo_writes_its_five_files_and_reports_accuracy(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("demo", "--out", str(out), "--epochs", "3")
    assert result.returncode == 0, result.stderr
    stdout = result.stdout
    assert "One sigmoid neuron" in stdout
    assert "gradient check against central differences: passed" in stdout
    assert "accuracy" in stdout
    for line in ("x1", "w1", "b", "z", "y"):  # every value of the neuron, with its gradient
        assert any(
            row.split()[:1] == [line] and len(row.split()) == 3 for row in stdout.splitlines()
        )
    neuron = svg_texts(out / "neuron.svg")
    assert {"x1", "x2", "w1", "w2", "b", "z", "y", "sigmoid"} <= set(neuron)
    mlp_source = (out / "mlp.svg").read_text(encoding="utf-8")
    assert "layers.0" in svg_texts(out / "mlp.svg") and "layers.1" in svg_texts(out / "mlp.svg")
    assert mlp_source.count('class="cluster"') == 6  # 2 layers, 3 + 1 neurons
    assert png_size(out / "loss.png") == PNG_SIZE
    assert png_size(out / "decision_boundary.png") == PNG_SIZE
    for name in ("neuron.svg", "mlp.svg", "loss.png", "decision_boundary.png"):
        assert str((out / name).resolve()) in stdout
    explorer = (out / "explorer.html").read_text(encoding="utf-8")
    assert explorer.count('class="am-explorer"') == 2  # the neuron and the MLP
    assert str((out / "explorer.html").resolve()) in stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["neuron.svg", "mlp.svg", "explorer.html", "loss.png", "decision_boundary.png"]
    )


# matplotlib refused by an import hook, as on an install without the plot extra
WITHOUT_MATPLOTLIB = """
import sys

class NoMatplotlib:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "matplotlib":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoMatplotlib())
from autograd_mini.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def run_without_matplotlib(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_MATPLOTLIB, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
    )


def test_without_matplotlib_train_and_demo_write_the_rest_and_skip_the_plots(
    tmp_path: Path,
) -> None:
    out = tmp_path / "train"
    arguments = ["--dataset", "xor", "--hidden", "4", "--epochs", "3", "--no-progress"]
    result = run_without_matplotlib("train", *arguments, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["model.json"]
    nn.load(nn.MLP(2, [4, 1], activation="tanh", output_activation="linear"), out / "model.json")
    assert str((out / "model.json").resolve()) in result.stdout
    assert result.stderr == (
        "autograd-mini: note: skipped loss.png and decision_boundary.png: plots need "
        "matplotlib; install it with: pip install 'autograd-mini[plot]'\n"
    )
    out = tmp_path / "demo"
    result = run_without_matplotlib("demo", "--epochs", "1", "--no-progress", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["explorer.html", "mlp.svg", "neuron.svg"]
    assert result.stderr.count("\n") == 1 and "autograd-mini[plot]" in result.stderr
    assert "accuracy" in result.stdout


def test_train_on_the_tape_engine(tmp_path: Path) -> None:
    result = run(
        "train", "--dataset", "xor", "--hidden", "4", "--epochs", "150", "--lr", "0.1",
        "--engine", "tape", "--no-progress", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "training accuracy 100.0%" in result.stdout
    assert png_size(tmp_path / "loss.png") == PNG_SIZE
