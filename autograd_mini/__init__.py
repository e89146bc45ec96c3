"""autograd_mini: reverse-mode automatic differentiation you can run, see and trust.

>>> import autograd_mini as am
>>> x = am.Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.005364

The engine, the function transforms and gradient checking load with the package, and
so does `render` (so notebooks draw Values as graphs). The numpy-backed and training
modules (`nn`, `losses`, `optim`, `datasets`, `train`, `textbook`, `tape`, `compiled`,
`testing`, `plot`) and the `micrograd` drop-in load on first use: ``am.nn.MLP`` works
without importing `autograd_mini.nn` yourself.
"""

import importlib as _importlib
import typing as _typing
from typing import Any as _Any

from autograd_mini import _ops
from autograd_mini import render as render
from autograd_mini._explore import explore as explore
from autograd_mini._functional import grad as grad
from autograd_mini._functional import hessian as hessian
from autograd_mini._functional import jacobian as jacobian
from autograd_mini._functional import jvp as jvp
from autograd_mini._functional import value_and_grad as value_and_grad
from autograd_mini._functional import vjp as vjp
from autograd_mini._gradcheck import GradcheckError as GradcheckError
from autograd_mini._gradcheck import gradcheck as gradcheck
from autograd_mini._gradcheck import gradgradcheck as gradgradcheck
from autograd_mini._graph import gradients as gradients
from autograd_mini._graph import topological_order as topological_order
from autograd_mini._ops import Op as Op
from autograd_mini._ops import defop as defop
from autograd_mini._ops import dot as dot
from autograd_mini._ops import exp as exp
from autograd_mini._ops import log as log
from autograd_mini._ops import ops as ops
from autograd_mini._ops import relu as relu
from autograd_mini._ops import sigmoid as sigmoid
from autograd_mini._ops import sqrt as sqrt
from autograd_mini._ops import tanh as tanh
from autograd_mini._ops import xlogy as xlogy
from autograd_mini._value import AnomalyError as AnomalyError
from autograd_mini._value import Value as Value
from autograd_mini._value import detect_anomaly as detect_anomaly
from autograd_mini._value import gc_paused as gc_paused
from autograd_mini._value import no_grad as no_grad

if _typing.TYPE_CHECKING:
    from autograd_mini import compiled as compiled
    from autograd_mini import datasets as datasets
    from autograd_mini import losses as losses
    from autograd_mini import micrograd as micrograd
    from autograd_mini import nn as nn
    from autograd_mini import optim as optim
    from autograd_mini import plot as plot
    from autograd_mini import tape as tape
    from autograd_mini import testing as testing
    from autograd_mini import textbook as textbook
    from autograd_mini import train as train
    from autograd_mini.compiled import compile as compile
    from autograd_mini.tape import Tape as Tape
    from autograd_mini.tape import TapeGradients as TapeGradients
    from autograd_mini.tape import trace as trace

from autograd_mini._version import __version__ as __version__

# Assigned rather than imported under another name, so that type checkers see them as
# the package's own (`import sum_ as sum` is not a re-export).
abs = _ops.abs_
max = _ops.max_
sum = _ops.sum_

# `am.abs`, `am.max` and `am.sum` are left out of __all__ so that a star import never
# shadows the builtins.
__all__ = [
    "AnomalyError",
    "GradcheckError",
    "Op",
    "Value",
    "defop",
    "detect_anomaly",
    "dot",
    "exp",
    "explore",
    "gc_paused",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gradients",
    "hessian",
    "jacobian",
    "jvp",
    "log",
    "no_grad",
    "ops",
    "relu",
    "render",
    "sigmoid",
    "sqrt",
    "tanh",
    "topological_order",
    "value_and_grad",
    "vjp",
    "xlogy",
]

_LAZY_MODULES = {
    "compiled",
    "datasets",
    "losses",
    "micrograd",
    "nn",
    "optim",
    "plot",
    "tape",
    "testing",
    "textbook",
    "train",
}
# `am.compile`, like `am.sum`, is kept out of __all__: a star import never shadows the builtin.
_LAZY_NAMES = {"Tape": "tape", "TapeGradients": "tape", "trace": "tape", "compile": "compiled"}


if not _typing.TYPE_CHECKING:  # checkers read the imports above instead: `am.typo` is an error

    def __getattr__(name: str) -> _Any:
        """Load the heavier modules (numpy, hypothesis) only when they are first used."""
        if name in _LAZY_MODULES:
            return _importlib.import_module(f"autograd_mini.{name}")
        if name in _LAZY_NAMES:
            return getattr(_importlib.import_module(f"autograd_mini.{_LAZY_NAMES[name]}"), name)
        raise AttributeError(f"module 'autograd_mini' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names, the lazy modules included (what tab completion offers)."""
    return sorted({*__all__, "abs", "max", "sum", *_LAZY_MODULES, *_LAZY_NAMES, "__version__"})
