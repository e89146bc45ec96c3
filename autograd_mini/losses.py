"""Loss functions built from engine operations, so their gradients come from backprop.

Each takes one example or a batch (a list of examples) and a ``reduction``: ``"sum"``
adds the per-term (or per-example) losses, ``"mean"`` averages them.

>>> import autograd_mini as am
>>> from autograd_mini.losses import mse
>>> p = am.Value(0.8)
>>> loss = mse(p, 1.0)   # ½ (1 - 0.8)²
>>> loss.backward()
>>> round(loss.data, 6), round(p.grad, 6)
(0.02, -0.2)
"""

from __future__ import annotations

from typing import Any

from autograd_mini._engine import Value, exp, is_real, log, sum_

Scalar = Value | float
REDUCTIONS = ("sum", "mean")


def _number(x: object) -> float:
    return x.data if isinstance(x, Value) else float(x)  # type: ignore[arg-type]


def _is_scalar(x: object) -> bool:
    return isinstance(x, Value) or is_real(x)


def _as_list(x: object, who: str, what: str) -> list[Any]:
    if isinstance(x, str | bytes) or not hasattr(x, "__len__") or not hasattr(x, "__getitem__"):
        raise TypeError(
            f"{who}: {what} must be a number, a Value or a list of them, "
            f"got {type(x).__name__} {x!r}"
        )
    return list(x)  # type: ignore[call-overload,no-any-return]


def _pairs(pred: object, target: object, who: str, where: str = "") -> list[tuple[Any, Any]]:
    """Match prediction and target terms, which must have the same nested shape."""
    if _is_scalar(pred):
        if not _is_scalar(target):
            raise ValueError(f"{who}: prediction{where} is a single value but target{where} is not")
        return [(pred, target)]
    preds = _as_list(pred, who, "prediction")
    if _is_scalar(target):
        raise ValueError(
            f"{who}: prediction{where} has {len(preds)} values but target{where} is a single value"
        )
    targets = _as_list(target, who, "target")
    if len(preds) != len(targets):
        raise ValueError(
            f"{who}: prediction{where} has {len(preds)} values but target{where} has {len(targets)}"
        )
    pairs: list[tuple[Any, Any]] = []
    for i, (p, t) in enumerate(zip(preds, targets)):
        pairs += _pairs(p, t, who, f"{where}[{i}]")
    return pairs


def _reduce(terms: list[Value], reduction: str, who: str) -> Value:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{who}: reduction must be 'sum' or 'mean', got {reduction!r}")
    if not terms:
        raise ValueError(f"{who}: got no terms (empty prediction)")
    total: Value = terms[0] if len(terms) == 1 else sum_(terms)
    return total / len(terms) if reduction == "mean" else total


def mse(pred: Any, target: Any, reduction: str = "sum") -> Value:
    """The quadratic cost ½ Σ (y − ŷ)² over every term; ``"mean"`` divides by their count.

    ``pred`` and ``target`` have the same shape: a number, a list (one example's outputs
    or a batch of single outputs) or a list of lists. Note the ½, as in the documents'
    derivations (PyTorch's MSELoss has none).

    >>> import autograd_mini as am
    >>> mse([am.Value(1.0), am.Value(2.0)], [0.0, 0.0]).data
    2.5
    >>> mse([am.Value(1.0), am.Value(2.0)], [0.0, 0.0], reduction="mean").data
    1.25
    """
    terms = [_as_value(p) - t for p, t in _pairs(pred, target, "mse")]
    return _reduce([0.5 * (d * d) for d in terms], reduction, "mse")


def _as_value(x: Scalar) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _check_probability(x: object, who: str, what: str) -> float:
    value = _number(x)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{who}: {what} must be in [0, 1], got {value!r}")
    return value


def binary_cross_entropy(prob: Any, target: Any, reduction: str = "sum") -> Value:
    """−[y log p + (1 − y) log(1 − p)] for probabilities p (a sigmoid's output).

    Nothing is clamped: a term that would be infinite (p = 0 with y > 0, or p = 1 with
    y < 1) raises ValueError naming p and y; use `binary_cross_entropy_with_logits`,
    which never overflows. A term whose coefficient y or 1 − y is exactly 0 is left out,
    so p = 1 with y = 1 gives loss 0 and gradient −1.

    >>> import autograd_mini as am
    >>> round(binary_cross_entropy(am.Value(0.5), 1.0).data, 6)   # ln 2
    0.693147
    """
    who = "binary_cross_entropy"
    terms = []
    for p, y in _pairs(prob, target, who):
        pv = _check_probability(p, who, "probability")
        yv = _check_probability(y, who, "target")
        if (pv == 0.0 and yv != 0.0) or (pv == 1.0 and yv != 1.0):
            raise ValueError(
                f"{who}: probability {pv!r} with target {yv!r} gives an infinite loss; "
                f"use binary_cross_entropy_with_logits on the pre-sigmoid value"
            )
        p = _as_value(p)
        parts = []
        if yv != 0.0:
            parts.append(y * log(p))
        if yv != 1.0:
            parts.append((1.0 - y) * log(1.0 - p))
        term = parts[0] if len(parts) == 1 else parts[0] + parts[1]
        terms.append(-term)
    return _reduce(terms, reduction, who)


def binary_cross_entropy_with_logits(logit: Any, target: Any, reduction: str = "sum") -> Value:
    """Binary cross-entropy of sigmoid(z) against y, computed from the logit z.

    Written as (1 − y) z + log(1 + e^−z) for z ≥ 0 and −y z + log(1 + e^z) for z < 0:
    the same smooth function either way, where e never sees a positive power, so the
    loss and its gradient σ(z) − y stay finite for any finite z (|z| = 1e4 included).
    (The branch-free form relu(z) − yz + log(1 + e^−|z|) would give the wrong gradient
    at exactly z = 0, where relu and |·| have kinks.)

    >>> import autograd_mini as am
    >>> z = am.Value(1e4)
    >>> loss = binary_cross_entropy_with_logits(z, 0.0)
    >>> loss.backward()
    >>> loss.data, z.grad
    (10000.0, 1.0)
    """
    who = "binary_cross_entropy_with_logits"
    terms = []
    for z, y in _pairs(logit, target, who):
        _check_probability(y, who, "target")
        z = _as_value(z)
        if z.data >= 0.0:
            terms.append((1.0 - y) * z + log(1.0 + exp(-z)))
        else:
            terms.append(log(1.0 + exp(z)) - y * z)
    return _reduce(terms, reduction, who)


def _logit_list(logits: object, who: str) -> list[Value]:
    values = _as_list(logits, who, "logits")
    if not values:
        raise ValueError(f"{who}: logits are empty")
    for v in values:
        if not _is_scalar(v):
            raise ValueError(f"{who}: each logit must be a number or a Value, got {v!r}")
    return [_as_value(v) for v in values]


def _is_batch(logits: object) -> bool:
    if _is_scalar(logits) or isinstance(logits, str | bytes) or not hasattr(logits, "__len__"):
        return False
    items = list(logits)  # type: ignore[call-overload]
    return bool(items) and not _is_scalar(items[0])


def _softmax_one(logits: list[Value]) -> list[Value]:
    m = max(v.data for v in logits)  # a constant shift: e^(z - m) never overflows
    exps = [exp(v - m) for v in logits]
    total = sum_(exps)
    return [e / total for e in exps]


def softmax(logits: Any) -> Any:
    """Probabilities e^z_i / Σ_j e^z_j, computed as e^(z_i − max z) so nothing overflows.

    Takes one list of logits (returns a list of Values) or a batch, a list of such lists
    (returns a list of lists).

    >>> [round(p.data, 4) for p in softmax([1.0, 2.0, 3.0])]
    [0.09, 0.2447, 0.6652]
    >>> [round(p.data, 4) for p in softmax([0.0, 1e4])]
    [0.0, 1.0]
    """
    if _is_batch(logits):
        return [_softmax_one(_logit_list(row, "softmax")) for row in logits]
    return _softmax_one(_logit_list(logits, "softmax"))


def _log_sum_exp(logits: list[Value]) -> Value:
    m = max(v.data for v in logits)
    total: Value = sum_([exp(v - m) for v in logits])
    return log(total) + m


def _check_class(target: object, k: int, who: str, where: str) -> int:
    if not is_real(target):  # ints, whole floats and numpy integers; not bools
        raise ValueError(f"{who}: target class{where} must be an int, got {target!r}")
    value = float(target)
    if not value.is_integer():
        raise ValueError(f"{who}: target class{where} must be a whole number, got {target!r}")
    t = int(value)
    if not 0 <= t < k:
        raise ValueError(f"{who}: target class{where} {t} is out of range for {k} logits")
    return t


def softmax_cross_entropy(logits: Any, target_class: Any, reduction: str = "sum") -> Value:
    """−log softmax(z)[target] = logsumexp(z) − z_target: the multi-class cross-entropy.

    One example: a list of logits and an int class. A batch: a list of logit lists and a
    list of ints; ``"mean"`` divides by the number of examples. Log-sum-exp is taken after
    subtracting max z, so logits of ±1e4 give finite losses and gradients softmax(z) − onehot.

    >>> import autograd_mini as am
    >>> z = [am.Value(0.0), am.Value(0.0)]
    >>> loss = softmax_cross_entropy(z, 1)
    >>> loss.backward()
    >>> round(loss.data, 6), [g.grad for g in z]
    (0.693147, [0.5, -0.5])
    """
    who = "softmax_cross_entropy"
    batch = _is_batch(logits)
    if batch:
        rows = _as_list(logits, who, "logits")
        if _is_scalar(target_class):
            raise ValueError(
                f"{who}: logits are a batch of {len(rows)} but target_class is "
                f"the single value {target_class!r}"
            )
        targets = _as_list(target_class, who, "target_class")
        if len(rows) != len(targets):
            raise ValueError(f"{who}: {len(rows)} rows of logits but {len(targets)} target classes")
    else:
        rows, targets = [logits], [target_class]
    terms = []
    for i, (row, target) in enumerate(zip(rows, targets)):
        values = _logit_list(row, who)
        where = f"[{i}]" if batch else ""
        t = _check_class(target, len(values), who, where)
        terms.append(_log_sum_exp(values) - values[t])
    return _reduce(terms, reduction, who)
