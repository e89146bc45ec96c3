"""Optimizers that update parameters from their ``.grad``, with PyTorch's update rules.

Each rule is written once, on arrays: `Optimizer.update` changes a flat array of
parameter values given their gradients, and `Optimizer.step` runs it on the parameters'
``.data`` and ``.grad``. `train.fit(engine="tape")` calls `update` on the tape's own
parameter array, so the batched path never goes through the Values between steps.

>>> import autograd_mini as am
>>> w = am.Value(1.0)
>>> opt = SGD([w], lr=0.1)
>>> loss = w * w
>>> loss.backward()          # d(w²)/dw = 2
>>> opt.step(); w.data
0.8
>>> opt.zero_grad(); w.grad
0.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from autograd_mini._engine import Value, is_real

Array = npt.NDArray[np.float64]  # 1-d, one entry per parameter


def _check_number(
    value: object, name: str, *, low: float = 0.0, below: float | None = None
) -> float:
    if not is_real(value) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    number = float(value)
    if number < low or (below is not None and number >= below):
        bounds = f"[{low}, {below})" if below is not None else f">= {low}"
        raise ValueError(f"{name} must be {bounds}, got {value!r}")
    return number


class Optimizer:
    """Base class: holds the parameters; subclasses define `step`."""

    def __init__(self, params: Iterable[Value]) -> None:
        self.params: list[Value] = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        seen: set[int] = set()
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(
                    f"{type(self).__name__}: parameters must be Values, got {type(p).__name__}"
                )
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: parameter {p!r} appears more than once")
            seen.add(id(p))

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter's ``data`` from its ``grad`` (`update` on their values)."""
        n = len(self.params)
        data = np.fromiter((p.data for p in self.params), np.float64, n)
        grad = np.fromiter((p.grad for p in self.params), np.float64, n)
        self.update(data, grad)
        for p, value in zip(self.params, data.tolist()):
            p.data = value

    def update(self, data: Array, grad: Array) -> None:
        """The update rule: change ``data`` (the parameters' values, in `params` order) in
        place, given ``grad``, their gradients. Keeps the optimizer's state."""
        raise NotImplementedError

    def _check_shapes(self, data: Array, grad: Array) -> None:
        """`update`'s arrays must be float64 vectors with one entry per parameter."""
        want = (len(self.params),)
        for name, array in (("data", data), ("grad", grad)):
            if (
                not isinstance(array, np.ndarray)
                or array.shape != want
                or array.dtype != np.float64
            ):
                got = getattr(array, "shape", type(array).__name__)
                raise ValueError(
                    f"{type(self).__name__}.update: {name} must be a float64 array of shape "
                    f"{want}, got {got} {getattr(array, 'dtype', '')}".rstrip()
                )


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    As in ``torch.optim.SGD`` (no dampening, no Nesterov): g = grad + weight_decay · p;
    with momentum, buf = momentum · buf + g (buf = g on the first step) and g = buf;
    then p = p − lr · g.

    >>> import autograd_mini as am
    >>> w = am.Value(1.0)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad = 1.0
    ...     opt.step()
    >>> round(w.data, 6)   # 1 - 0.1 * 1 - 0.1 * (0.9 + 1)
    0.71
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check_number(lr, "lr")
        self.momentum = _check_number(momentum, "momentum")
        self.weight_decay = _check_number(weight_decay, "weight_decay")
        self._buffer: Array | None = None

    def update(self, data: Array, grad: Array) -> None:
        self._check_shapes(data, grad)
        if self.weight_decay:
            grad = grad + self.weight_decay * data
        if self.momentum:
            if self._buffer is None:
                self._buffer = np.zeros_like(data)
            buffer = self._buffer
            buffer *= self.momentum
            buffer += grad
            grad = buffer
        data -= self.lr * grad

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} parameters, lr={self.lr}, momentum={self.momentum}, "
            f"weight_decay={self.weight_decay})"
        )


class Adam(Optimizer):
    """Adam with bias correction, as in ``torch.optim.Adam`` (L2 ``weight_decay``, not AdamW).

    With g = grad + weight_decay · p and step count t:
    m = β1 m + (1 − β1) g;  v = β2 v + (1 − β2) g²;
    p = p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps).

    >>> import autograd_mini as am
    >>> w = am.Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = 5.0
    >>> opt.step(); round(w.data, 6)   # the first step moves by about lr, whatever the scale
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check_number(lr, "lr")
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"betas must be a pair of numbers, got {betas!r}")
        self.betas = (
            _check_number(betas[0], "betas[0]", below=1.0),
            _check_number(betas[1], "betas[1]", below=1.0),
        )
        self.eps = _check_number(eps, "eps")
        self.weight_decay = _check_number(weight_decay, "weight_decay")
        self.t = 0
        self._m = np.zeros(len(self.params))
        self._v = np.zeros(len(self.params))

    def update(self, data: Array, grad: Array) -> None:
        self._check_shapes(data, grad)
        beta1, beta2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * data
        self.t += 1
        bias_correction1 = 1.0 - beta1**self.t
        bias_correction2_sqrt = math.sqrt(1.0 - beta2**self.t)
        step_size = self.lr / bias_correction1
        m, v = self._m, self._v
        m *= beta1
        m += (1.0 - beta1) * grad
        v *= beta2
        v += (1.0 - beta2) * grad * grad
        denominator = np.sqrt(v) / bias_correction2_sqrt + self.eps
        data -= step_size * (m / denominator)

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} parameters, lr={self.lr}, betas={self.betas}, "
            f"eps={self.eps}, weight_decay={self.weight_decay})"
        )
