"""Loss functions built from engine operations, so their gradients come from backprop.

Each takes one example or a batch (a list of examples) and a ``reduction``: ``"sum"``
adds the per-term (or per-example) losses, ``"mean"`` averages them.

Every loss builds the same graph whatever the data: the stable formulas shift by a
``max`` node rather than by a number read off the data, and no term is left out for a
particular target. So one definition serves the scalar engine and the tape (which
replays one traced graph for every example).

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

from autograd_mini._engine import (
    Value,
    constant,
    dot,
    exp,
    is_real,
    log,
    max_,
    named_constant,
    sum_,
    xlogy,
)

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


def _names(base: str, n: int) -> list[str]:
    """Labels for n nodes of one kind, so a drawn graph says what they are: ``target``
    for one, ``target.0``, ``target.1``, ... for several (term i's target and loss share i)."""
    return [base] if n == 1 else [f"{base}.{i}" for i in range(n)]


def _target(t: Scalar, label: str) -> Value:
    """A target term as a node: a number becomes a constant called ``label``; a Value
    (the tape traces targets as Values) stays as it is."""
    return t if isinstance(t, Value) else named_constant(t, label, "target")


def _reduce(terms: list[Value], reduction: str, who: str) -> Value:
    """The terms' sum or mean, called ``loss``; several terms are ``loss.0``, ``loss.1``, ..."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{who}: reduction must be 'sum' or 'mean', got {reduction!r}")
    if not terms:
        raise ValueError(f"{who}: got no terms (empty prediction)")
    if len(terms) > 1:
        for term, name in zip(terms, _names("loss", len(terms))):
            term.label = name
    total: Value = terms[0] if len(terms) == 1 else sum_(terms)
    result = total / len(terms) if reduction == "mean" else total
    result.label = "loss"
    return result


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
    pairs = _pairs(pred, target, "mse")
    names = _names("target", len(pairs))
    terms = [_as_value(p) - _target(t, name) for (p, t), name in zip(pairs, names)]
    return _reduce([0.5 * (d * d) for d in terms], reduction, "mse")


def _as_value(x: Scalar) -> Value:
    return x if isinstance(x, Value) else named_constant(x, "", "prediction")


def _check_probability(x: object, who: str, what: str) -> float:
    value = _number(x)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{who}: {what} must be in [0, 1], got {value!r}")
    return value


def binary_cross_entropy(prob: Any, target: Any, reduction: str = "sum") -> Value:
    """−[y log p + (1 − y) log(1 − p)] for probabilities p (a sigmoid's output).

    Nothing is clamped: a term that would be infinite (p = 0 with y > 0, or p = 1 with
    y < 1) raises ValueError naming p and y; use `binary_cross_entropy_with_logits`,
    which never overflows. Each term is ``xlogy``: y·log p is 0 where y is 0, so p = 1
    with y = 1 gives loss 0 and gradient −1, with the same graph for every target.

    >>> import autograd_mini as am
    >>> round(binary_cross_entropy(am.Value(0.5), 1.0).data, 6)   # ln 2
    0.693147
    """
    who = "binary_cross_entropy"
    terms = []
    pairs = _pairs(prob, target, who)
    for (p, y), name in zip(pairs, _names("target", len(pairs))):
        pv = _check_probability(p, who, "probability")
        yv = _check_probability(y, who, "target")
        if (pv == 0.0 and yv != 0.0) or (pv == 1.0 and yv != 1.0):
            raise ValueError(
                f"{who}: probability {pv!r} with target {yv!r} gives an infinite loss; "
                f"use binary_cross_entropy_with_logits on the pre-sigmoid value"
            )
        p = _as_value(p)
        rest = 1.0 - y if isinstance(y, Value) else named_constant(1.0 - yv, f"1 − {name}", who)
        terms.append(-(xlogy(_target(y, name), p) + xlogy(rest, 1.0 - p)))
    return _reduce(terms, reduction, who)


def binary_cross_entropy_with_logits(logit: Any, target: Any, reduction: str = "sum") -> Value:
    """Binary cross-entropy of sigmoid(z) against y, computed from the logit z.

    Written as log(e⁰ + eᶻ) − y z, with the log-sum-exp shifted by m = max(0, z) (a
    ``max`` node): (1 − y) m − y (z − m) + log(e^−m + e^(z−m)), where e never sees a
    positive power and nothing cancels, whatever the sign of z. So the
    loss and its gradient σ(z) − y stay finite for any finite z (|z| = 1e4 included),
    and the gradient does not depend on which side of 0 z is (∂/∂m is 0).

    >>> import autograd_mini as am
    >>> z = am.Value(1e4)
    >>> loss = binary_cross_entropy_with_logits(z, 0.0)
    >>> loss.backward()
    >>> loss.data, z.grad
    (10000.0, 1.0)
    """
    who = "binary_cross_entropy_with_logits"
    terms = []
    pairs = _pairs(logit, target, who)
    for (z, y), name in zip(pairs, _names("target", len(pairs))):
        _check_probability(y, who, "target")
        z = _as_value(z)
        t = _target(y, name)
        m, log_total = _shifted_log_sum_exp([constant(0.0), z])
        # m − t z, as (1 − t) m − t (z − m): z − m is exactly 0 or z, so nothing cancels
        terms.append(((1.0 - t) * m - t * (z - m)) + log_total)
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
    m = max_(logits)  # e^(z − m) never overflows; the shift cancels in the ratio
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
    """log Σ e^z as m + log Σ e^(z − m), m = max z: finite for any finite logits. m is a
    node, not a number read off the data, so the graph is the same for every example
    (and its gradient through m is 0: the shift cancels)."""
    m, log_total = _shifted_log_sum_exp(logits)
    return log_total + m


def _shifted_log_sum_exp(logits: list[Value]) -> tuple[Value, Value]:
    """m = max z and log Σ e^(z − m): log Σ e^z is their sum."""
    m: Value = max_(logits)
    total: Value = sum_([exp(v - m) for v in logits])
    return m, log(total)


def check_class(target: object, k: int, who: str = "softmax_cross_entropy", where: str = "") -> int:
    """``target`` as a class index for ``k`` classes: a whole number in 0..k−1 (a bool is
    not one); ValueError naming ``who`` and the place ``where`` otherwise.

    >>> check_class(2.0, 3)
    2
    """
    if not is_real(target):  # ints, whole floats and numpy integers; not bools
        raise ValueError(f"{who}: target class{where} must be an int, got {target!r}")
    value = float(target)
    if not value.is_integer():
        raise ValueError(f"{who}: target class{where} must be a whole number, got {target!r}")
    t = int(value)
    if not 0 <= t < k:
        raise ValueError(f"{who}: target class{where} {t} is out of range for {k} logits")
    return t


def _one_hot(target: object, k: int, who: str, where: str) -> list[Any]:
    """The target of one example as a one-hot row: from a class index, or as given."""
    if not isinstance(target, list | tuple):
        t = check_class(target, k, who, where)
        return [1.0 if i == t else 0.0 for i in range(k)]
    row = _as_list(target, who, "target")
    if len(row) != k or not all(_is_scalar(v) for v in row):
        raise ValueError(
            f"{who}: target{where} must be a class index or a one-hot row of {k} numbers, "
            f"got {target!r:.80}"
        )
    return row


def softmax_cross_entropy(logits: Any, target_class: Any, reduction: str = "sum") -> Value:
    """−log softmax(z)[target] = logsumexp(z) − z_target: the multi-class cross-entropy.

    One example: a list of logits and a target, an int class or a one-hot row (a
    probability row works too: the cross-entropy against it). A batch: a list of logit
    lists and a list of targets; ``"mean"`` divides by the number of examples. The
    target's logit is picked as a dot product with the one-hot row, so the graph is the
    same whatever the class; log-sum-exp is shifted by max z, so logits of ±1e4 give
    finite losses and gradients softmax(z) − onehot.

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
        name = f"target.{i}" if batch and len(rows) > 1 else "target"  # the whole row
        one_hot = [_target(v, name) for v in _one_hot(target, len(values), who, where)]
        terms.append(_log_sum_exp(values) - dot(one_hot, values))
    return _reduce(terms, reduction, who)


CLASS_TARGETS = frozenset({softmax_cross_entropy})
"""The losses whose targets are class indices (the tape's trainer one-hot encodes them)."""
