# ruff: noqa: N803, N806  (X for a feature matrix, as usual in ML code)
"""The ``autograd-mini`` command: differentiate and draw expressions, train small
networks, and run the demo.

    autograd-mini grad "tanh(x*y) + x**2" --at x=0.5,y=-1
    autograd-mini render "sigmoid(w*x + b)" --at w=-3,x=2,b=6.5 -o neuron.svg
    autograd-mini train --dataset moons --hidden 16,16 --epochs 50 -o out
    autograd-mini demo -o out

Every command takes ``-o``/``--out`` for where it writes: a file for ``render``, a
directory for ``train`` and ``demo`` (``render --output`` is still accepted). The plots
need matplotlib (the ``plot`` extra); without it the other files are written and the
plots skipped with a note. Expressions are parsed by a safe whitelist parser
(`autograd_mini._parser`), never evaluated by Python. Exit codes: 0 success, 1 failure at
run time, 2 bad usage; when the reader of standard output goes away (``| head``), the
command stops quietly with 141, as a program killed by SIGPIPE does.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from autograd_mini import _parser, plot, render
from autograd_mini._engine import ACTIVATIONS as ACTIVATION_FUNCTIONS
from autograd_mini._engine import Value, dot, gradients, topological_order
from autograd_mini._gradcheck import GradcheckError, gradcheck

PROG = "autograd-mini"
DATASETS = ("moons", "xor", "digits", "sleep")
ACTIVATIONS = tuple(ACTIVATION_FUNCTIONS)
BROKEN_PIPE = 141
"""Exit code when standard output is a pipe closed early: 128 + SIGPIPE, as shells report."""


class UsageError(Exception):
    """Bad command-line input: reported on one line, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # here, so that a closed pipe is seen now, not at interpreter exit
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    return code


def _run(argv: Sequence[str] | None) -> int:
    """Parse ``argv`` and run the command, turning its errors into messages and exit codes."""
    parser = _argument_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse's --help (0) and usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else 0
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except (UsageError, _parser.ExpressionError) as error:
        _error(f"{args.command}: {error}")
        return 2
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        raise  # the reader went away: main stops quietly
    except (
        ArithmeticError,
        ValueError,
        TypeError,
        OSError,
        RuntimeError,
        ImportError,
        GradcheckError,
    ) as error:
        _error(f"{args.command}: {_one_line(str(error))}")
        return 1


def _silence_stdout() -> None:
    """Point standard output at the null device, so that Python's final flush of what is
    still buffered cannot fail again (the convention of Python's signal documentation)."""
    try:
        stdout = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # no file descriptor (a captured stream)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stdout)
    finally:
        os.close(devnull)


# ---- arguments ------------------------------------------------------------------------


class _HelpFormatter(argparse.HelpFormatter):
    """Help that shows each option's default, unless the option's text already says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        shown = action.default is not False and action.default not in (None, [], argparse.SUPPRESS)
        if "default" in text or not shown:
            return action.help
        return f"{text} (default: %(default)s)"


def _argument_parser() -> argparse.ArgumentParser:
    from autograd_mini import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=_HelpFormatter,
        description="Reverse-mode autodiff you can run, see and trust: differentiate and "
        "draw expressions, train small networks, run the demo.",
        epilog=f"Run '{PROG} COMMAND --help' for each command's options. "
        "Exit codes: 0 success, 1 failure at run time, 2 bad usage.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    expression_help = (
        "EXPR may use numbers, the variables given with --at, + - * / **, unary minus, "
        "parentheses, the constants pi and e, and the functions "
        f"{', '.join(_parser.FUNCTIONS)} (one argument each). "
        "Anything else is refused with exit code 2."
    )

    grad = commands.add_parser(
        "grad",
        formatter_class=_HelpFormatter,
        help="print an expression's value and every partial derivative",
        description="Print the value of EXPR at the point given with --at, each partial "
        "derivative by backprop, and the verdict of a gradient check against central "
        "finite differences (exit code 1 when it fails). " + expression_help,
        epilog=f'example: {PROG} grad "tanh(x*y) + x**2" --at x=0.5,y=-1',
    )
    _expression_arguments(grad)
    grad.add_argument(
        "--precision", type=_int_in(1, 17), default=None, help="significant digits (default: all)"
    )
    grad.add_argument("--eps", type=_positive_float, default=1e-6, help="finite-difference step")
    grad.add_argument("--atol", type=_positive_float, default=1e-5, help="absolute tolerance")
    grad.add_argument("--rtol", type=_positive_float, default=1e-3, help="relative tolerance")
    grad.set_defaults(run=_grad)

    draw = commands.add_parser(
        "render",
        formatter_class=_HelpFormatter,
        help="draw an expression's computation graph (SVG, PNG, PDF or DOT)",
        description="Backprop through EXPR at the point given with --at and draw its graph: "
        "one box per value (label, data, grad), one oval per operation. " + expression_help,
        epilog=f'example: {PROG} render "sigmoid(w*x + b)" --at w=-3,x=2,b=6.5 -o neuron.svg',
    )
    _expression_arguments(draw)
    draw.add_argument(
        "-o",
        "--out",
        "--output",
        dest="out",
        metavar="FILE",
        type=Path,
        default=None,
        help="file to write (default: graph.FORMAT)",
    )
    draw.add_argument(
        "--format",
        choices=render.FORMATS,
        default=None,
        help="default: from the file's suffix (.gv is dot); a suffix that names another "
        "format is an error",
    )
    draw.add_argument("--precision", type=_int_in(1, 17), default=4, help="significant digits")
    draw.add_argument("--rankdir", choices=render.RANKDIRS, default="LR", help="layout direction")
    draw.add_argument("--color-grad", action="store_true", help="colour values by |grad|")
    draw.add_argument(
        "--edge-labels",
        action="store_true",
        help="label edges with local derivatives and what they add to each grad",
    )
    draw.add_argument(
        "--check",
        action="store_true",
        help="colour nodes by how far backprop and finite differences disagree",
    )
    draw.add_argument(
        "--max-nodes",
        type=_int_in(1, 10**9),
        default=render.DEFAULT_MAX_NODES,
        help="refuse larger graphs (default: %(default)s)",
    )
    draw.set_defaults(run=_render)

    train = commands.add_parser(
        "train",
        formatter_class=_HelpFormatter,
        help="train a multi-layer perceptron on a small dataset",
        description="Train an MLP with a progress bar; write the trained model "
        "(model.json), the loss curve (loss.png) and, for 2-D data, the decision boundary "
        "(decision_boundary.png) to the --out directory. The plots need matplotlib "
        "(pip install 'autograd-mini[plot]'); without it they are skipped with a note.",
        epilog=f"example: {PROG} train --dataset moons --hidden 16,16 --epochs 50 -o out",
    )
    train.add_argument("--dataset", choices=DATASETS, default="moons", help="the data set")
    train.add_argument(
        "--hidden", type=_sizes, default=[16, 16], help="hidden layer sizes (default: 16,16)"
    )
    train.add_argument(
        "--activation", choices=ACTIVATIONS, default="tanh", help="hidden layers' activation"
    )
    train.add_argument("--epochs", type=_int_in(1, 10**6), default=100, help="passes over the data")
    train.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help="learning rate (default: 0.01 for adam, 0.1 for sgd)",
    )
    train.add_argument("--optimizer", choices=("adam", "sgd"), default="adam", help="the optimizer")
    train.add_argument(
        "--batch-size",
        type=_int_in(1, 10**9),
        default=None,
        help="examples per step (default: a tenth of the data)",
    )
    train.add_argument(
        "--engine",
        choices=("scalar", "tape"),
        default="scalar",
        help="scalar: one Value graph per example; tape: batched numpy, much faster",
    )
    train.add_argument("--seed", type=int, default=0, help="seeds the weights and the batches")
    _out_directory(train)
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.set_defaults(run=_train)

    demo = commands.add_parser(
        "demo",
        formatter_class=_HelpFormatter,
        help="the tour: a neuron, an MLP's graph, training on two moons",
        description="Backprop through one sigmoid neuron and print every value and "
        "gradient; draw it (neuron.svg) and a small MLP clustered by layer (mlp.svg); "
        "train an MLP on two moons and plot the loss (loss.png) and the decision "
        "boundary (decision_boundary.png), all in the --out directory. The plots need "
        "matplotlib (pip install 'autograd-mini[plot]'); without it they are skipped.",
    )
    _out_directory(demo)
    demo.add_argument("--epochs", type=_int_in(1, 10**6), default=100, help="passes over the data")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(run=_demo)
    return parser


def _out_directory(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--out", metavar="DIR", type=Path, default=Path("out"), help="output directory"
    )


def _expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "expression",
        metavar="EXPR",
        help="the expression, e.g. 'x*y + tanh(x)'; one that starts with '-' goes after "
        "'--', as in: --at x=1 -- '-x**2'",
    )
    parser.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=VALUE,...",
        help="values of the variables, e.g. --at x=2,y=-3 (may be repeated)",
    )


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]; '' or 'none' -> [] (no hidden layer)."""
    if text.strip().lower() in ("", "none"):
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated sizes such as 16,16; got {text!r}"
        ) from None
    if any(size < 1 or size > 10_000 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be from 1 to 10000, got {text!r}")
    return sizes


def _point(assignments: list[str]) -> dict[str, float]:
    """The --at values: 'x=2,y=-3' (possibly repeated) -> {'x': 2.0, 'y': -3.0}."""
    point: dict[str, float] = {}
    for assignment in assignments:
        for item in assignment.split(","):
            name, sign, number = (part.strip() for part in item.partition("="))
            if not sign or not name:
                raise UsageError(f"--at expects NAME=VALUE pairs such as x=2,y=-3; got {item!r}")
            name = _parser.normal_name(name)
            if not name.isidentifier():
                raise UsageError(f"--at: {name!r} is not a valid variable name")
            if name in point:
                raise UsageError(f"--at gives {name!r} twice")
            try:
                value = float(number)
            except ValueError:
                raise UsageError(f"--at {name}: {number!r} is not a number") from None
            if not math.isfinite(value):
                raise UsageError(f"--at {name}: the value must be finite, got {number!r}")
            point[name] = value
    return point


# ---- grad and render ------------------------------------------------------------------


def _expression(args: argparse.Namespace) -> tuple[_parser.Expression, dict[str, float]]:
    point = _point(args.at)
    return _parser.parse(args.expression, point), point


def _function(expression: _parser.Expression, names: list[str]) -> Callable[..., Value]:
    """The expression as f(*values) in --at order, always returning a Value."""

    def f(*values: Value) -> Value:
        result = expression.evaluate(dict(zip(names, values)))
        return result if isinstance(result, Value) else Value(result)

    f.__name__ = "f"
    return f


def _grad(args: argparse.Namespace) -> int:
    expression, point = _expression(args)
    names = list(point)
    leaves = [Value(point[name], label=name) for name in names]
    output = _function(expression, names)(*leaves)
    partials = gradients(output, leaves) if leaves else []

    def show(x: float) -> str:
        return repr(x) if args.precision is None else f"{x:.{args.precision}g}"

    where = ", ".join(f"{name}={show(point[name])}" for name in names)
    print(f"f({where}) = {show(output.data)}" if names else f"f = {show(output.data)}")
    for name, partial in zip(names, partials):
        print(f"df/d{name} = {show(partial)}")
    settings = f"eps={args.eps:g}, atol={args.atol:g}, rtol={args.rtol:g}"
    if not names:
        print("gradient check: nothing to check (no variables)")
        return 0
    try:
        gradcheck(
            _function(expression, names),
            [point[name] for name in names],
            eps=args.eps,
            atol=args.atol,
            rtol=args.rtol,
        )
    except GradcheckError as error:
        details = str(error).splitlines()[1:]
        for i, name in enumerate(names):  # name the variables instead of x[i]
            details = [line.replace(f"d f/d x[{i}]:", f"df/d{name}:") for line in details]
        print(f"gradient check against central differences ({settings}): FAILED")
        print("\n".join(details))
        _error("grad: backprop and finite differences disagree (a kink or a wrong rule?)")
        return 1
    except (ArithmeticError, ValueError) as error:
        print(f"gradient check against central differences ({settings}): not possible")
        _error(f"grad: cannot evaluate f within eps of the point: {_one_line(str(error))}")
        return 1
    print(f"gradient check against central differences ({settings}): passed")
    return 0


def _render(args: argparse.Namespace) -> int:
    expression, point = _expression(args)
    names = list(point)
    output_path: Path = args.out or Path(f"graph.{args.format or 'svg'}")
    if args.format is None and output_path.suffix.lower() == ".html":  # the explorer
        output = _function(expression, names)(*[Value(point[n], label=n) for n in names])
        shown = {"precision": args.precision, "rankdir": args.rankdir, "max_nodes": args.max_nodes}
        print(f"wrote {render.render_html(output, output_path, **shown)}")
        return 0
    fmt = _render_format(output_path, args.format)
    options: dict[str, Any] = {
        "rankdir": args.rankdir,
        "precision": args.precision,
        "edge_labels": args.edge_labels,
        "max_nodes": args.max_nodes,
    }
    if args.check:
        if not names:
            raise UsageError("--check needs at least one variable; give them with --at")
        if args.color_grad:
            raise UsageError("--check and --color-grad colour the nodes differently; pick one")
        f = _function(expression, names)
        graph = render.gradcheck_dot(f, [point[n] for n in names], names=names, **options)
    else:
        leaves = [Value(point[name], label=name) for name in names]
        output = _function(expression, names)(*leaves)
        output.backward()
        graph = render.to_dot(output, color_by_grad=args.color_grad, **options)
    written = render.render(graph, output_path, format=fmt)
    print(f"wrote {written}")
    return 0


def _render_format(path: Path, given: str | None) -> str:
    """The format to write ``path`` in: the one its suffix names, which --format (``given``)
    may only repeat; --format alone decides for a suffix that names no format."""
    try:
        implied: str | None = render.format_for(path)
    except ValueError as error:
        if given is None:
            raise UsageError(str(error).replace("pass format=", "pass --format")) from None
        implied = None
    if given is not None and implied is not None and given != implied:
        raise UsageError(
            f"--format {given} contradicts the output file {str(path)!r}, whose suffix means "
            f"{implied}; drop --format or change the suffix"
        )
    return given or cast(str, implied)


# ---- train ----------------------------------------------------------------------------


def _train(args: argparse.Namespace) -> int:
    from autograd_mini import datasets, nn
    from autograd_mini import train as training

    task = _task(args.dataset)
    X, y = task.load()
    X_test: list[list[float]] = []
    y_test: list[Any] = []
    if args.dataset == "digits":
        X, X_test, y, y_test = datasets.train_test_split(X, y, test_fraction=0.2, seed=args.seed)
    model = nn.MLP(
        len(X[0]),
        [*args.hidden, task.outputs],
        activation=args.activation,
        output_activation=task.output_activation,
        seed=args.seed,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"training {model.nin}-{'-'.join(map(str, model.nouts))} MLP ({args.activation}) "
        f"on {args.dataset}: {len(X)} examples, {_plural(args.epochs, 'epoch')}"
    )
    history = _fit(
        model,
        X,
        y,
        loss=task.loss,
        optimizer=args.optimizer,
        lr=args.lr,
        epochs=args.epochs,
        batch_size=args.batch_size or max(1, len(X) // 10),
        seed=args.seed,
        progress=not args.no_progress,
        engine=args.engine,
    )
    print(f"final loss {history[-1]:.4g}")
    if task.classification:
        print(f"training accuracy {training.accuracy(model, X, y):.1%}")
        if X_test:
            print(
                f"test accuracy {training.accuracy(model, X_test, y_test):.1%} "
                f"({len(X_test)} held-out examples)"
            )
    else:
        for x, target, predicted in zip(X, y, training.predict(model, X)):
            print(f"  input {x}: target {target:.3g}, predicted {predicted:.3g}")
    model_path = args.out / "model.json"
    nn.save(model, model_path)
    title = f"{args.dataset}: training loss"
    written = [model_path, *_write_plots(args.out, title, history, model, X, y, task)]
    _list_files(written)
    return 0


class _Task:
    """How to learn one dataset: its loader, the output layer and the loss."""

    def __init__(
        self,
        load: Callable[[], tuple[list[list[float]], list[Any]]],
        outputs: int,
        output_activation: str,
        loss: str,
        classification: bool,
        axes: tuple[str, str] = ("x1", "x2"),
    ) -> None:
        self.axes = axes  # names of the two inputs, for plots
        self.load = load
        self.outputs = outputs
        self.output_activation = output_activation
        self.loss = loss
        self.classification = classification


def _task(name: str) -> _Task:
    from autograd_mini import datasets

    if name == "moons":
        return _Task(datasets.moons, 1, "linear", "binary_cross_entropy_with_logits", True)
    if name == "xor":
        return _Task(datasets.xor, 1, "linear", "binary_cross_entropy_with_logits", True)
    if name == "digits":
        return _Task(datasets.digits, 10, "linear", "softmax_cross_entropy", True)
    axes = ("hours slept (scaled)", "hours studied (scaled)")
    return _Task(datasets.sleep_study, 1, "sigmoid", "mse", False, axes)


def _fit(
    model: Any,
    X: list[list[float]],
    y: list[Any],
    *,
    loss: str,
    optimizer: str,
    lr: float | None,
    epochs: int,
    batch_size: int,
    seed: int,
    progress: bool,
    engine: str = "scalar",
) -> list[float]:
    """`train.fit` with its progress bar on a terminal, and a few progress lines elsewhere
    (a log file or a pipe), all on standard error."""
    from autograd_mini import train as training

    terminal = training.stderr_is_terminal()
    every = max(1, epochs // 5)
    started = time.perf_counter()

    def report(epoch: int, value: float) -> None:
        done = epoch + 1
        if progress and not terminal and (done % every == 0 or done == epochs):
            seconds = time.perf_counter() - started
            print(f"  epoch {done}/{epochs}: loss {value:.4g} ({seconds:.1f} s)", file=sys.stderr)

    return training.fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=optimizer,
        lr=lr,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        progress=progress,
        callback=report,
        engine=engine,
    )


# ---- plots ----------------------------------------------------------------------------


def _write_plots(
    out: Path,
    title: str,
    history: list[float],
    model: Any,
    X: list[list[float]],
    y: list[Any],
    task: _Task,
) -> list[Path]:
    """loss.png and, for 2-D data, decision_boundary.png in ``out``. Without matplotlib
    (the ``plot`` extra) they are skipped with a one-line note: the run still succeeds."""
    names = ["loss.png", *(["decision_boundary.png"] if len(X[0]) == 2 else [])]
    try:
        plot.loss(history, title=title, path=out / names[0])
    except ImportError as error:
        if error.name != "matplotlib":
            raise
        print(
            f"{PROG}: note: skipped {' and '.join(names)}: plots need matplotlib; "
            "install it with: pip install 'autograd-mini[plot]'",
            file=sys.stderr,
        )
        return []
    if len(names) == 2:
        plot.decision_boundary(
            model, X, y, classification=task.classification, labels=task.axes, path=out / names[1]
        )
    return [out / name for name in names]


# ---- demo -----------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from autograd_mini import datasets, losses, nn
    from autograd_mini import train as training

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    written: list[Path] = []

    print("1. One sigmoid neuron, y = sigmoid(w1*x1 + w2*x2 + b), and backprop through it")
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w1, w2 = Value(-0.5, label="w1"), Value(1.5, label="w2")
    b = Value(1.0, label="b")
    z = dot([w1, w2], [x1, x2], bias=b)
    z.label = "z"
    y = z.sigmoid()
    y.label = "y"
    y.backward()
    print(f"   {'node':<8}{'data':>12}{'grad':>12}")
    for node in topological_order(y):
        name = node.label or node.op
        print(f"   {name:<8}{node.data:>12.6f}{node.grad:>12.6f}")
    print(f"   dy/dz = y(1 - y) = {y.data * (1 - y.data):.6f}, the sigmoid's derivative")

    def neuron(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
        return dot([w1, w2], [x1, x2], bias=b).sigmoid()

    gradcheck(neuron, [2.0, -1.0, -0.5, 1.5, 1.0])
    print("   gradient check against central differences: passed")
    written.append(render.render_svg(y, out / "neuron.svg", edge_labels=True))

    print("2. A small MLP (2-3-1) on one example, its graph clustered by layer and neuron")
    small = nn.MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=1)
    inputs = [Value(0.5, label="x1"), Value(-0.25, label="x2")]
    logit = cast(Value, small(inputs))  # one output unit: one Value
    loss = losses.binary_cross_entropy_with_logits(logit, 1.0)  # called "loss"
    loss.backward()
    print(f"   {len(topological_order(loss))} values; loss {loss.data:.4f}")
    written.append(render.render_svg(loss, out / "mlp.svg", cluster_depth=2, color_by_grad=True))
    written.append(render.render_html([y, loss], out / "explorer.html"))  # both, one page

    print("3. Training a 2-16-16-1 MLP (tanh) on two moons with Adam")
    X, labels = datasets.moons(n=100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    history = _fit(
        model,
        X,
        labels,
        loss="binary_cross_entropy_with_logits",
        optimizer="adam",
        lr=0.01,
        epochs=args.epochs,
        batch_size=20,
        seed=0,
        progress=not args.no_progress,
    )
    accuracy = training.accuracy(model, X, labels)
    print(f"   final loss {history[-1]:.4f}, accuracy {accuracy:.1%} on {len(X)} points")
    title = "two moons: training loss"
    written += _write_plots(out, title, history, model, X, labels, _task("moons"))
    _list_files(written)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


# ---- small helpers --------------------------------------------------------------------


def _list_files(paths: list[Path]) -> None:
    print("files written:")
    for path in paths:
        print(f"  {path.resolve()}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _one_line(message: str) -> str:
    return " ".join(message.split())
