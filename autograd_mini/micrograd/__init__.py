"""A drop-in for micrograd 0.1.0 (`engine.Value`, `nn.Neuron/Layer/MLP`) on autograd_mini's engine.

Change ``from micrograd.engine import Value`` to ``from autograd_mini.micrograd.engine
import Value`` (and ``micrograd.nn`` to ``autograd_mini.micrograd.nn``): the constructors,
defaults, reprs and arithmetic are micrograd's, so the same seeds give the same numbers,
while backprop runs on this project's iterative engine (no recursion limit).

>>> from autograd_mini.micrograd.engine import Value
>>> a = Value(-4.0)
>>> b = (a * 2 + 1).relu() + a**2
>>> b.backward()
>>> b, a.grad
(Value(data=16.0, grad=1.0), -8.0)
"""

from autograd_mini.micrograd import engine as engine
from autograd_mini.micrograd import nn as nn

__all__ = ["engine", "nn"]
