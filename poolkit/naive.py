"""Pooling as nested loops: the definition, one output element at a time.

:func:`pool2d` is the loop exactly as readers first meet it (2-D, stride 1, no
padding). :func:`extreme` and :func:`window_sum` are the same loop grown to every
option poolkit supports, in any number of dimensions; ``method="naive"`` runs
them, and the faster methods are tested against them. :func:`route` and
:func:`spread`, their backward passes, are the same loops with the arrow reversed.
"""

from __future__ import annotations

import itertools

import numpy as np

from .geometry import show, to_tuple
from .reduction import beats, check_mode, sum_dtype


def pool2d(X, pool_size, mode="max"):
    """Pool a 2-D array with a ``pool_size = (p_h, p_w)`` window, stride 1, no padding.

    ``X`` has shape ``(H, W)``; the result has shape ``(H - p_h + 1, W - p_w + 1)``
    and ``Y[i, j]`` is the max (``mode="max"``), mean (``"avg"``) or min (``"min"``)
    of ``X[i:i+p_h, j:j+p_w]``.

    An int ``pool_size`` is a square window. ``Y`` has ``X``'s dtype (a float dtype for
    the mean of integers).

    >>> pool2d(np.arange(9.).reshape(3, 3), (2, 2))
    array([[4., 5.],
           [7., 8.]])
    """
    X, (p_h, p_w), dtype = _checked(X, pool_size, mode)
    Y = np.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i:i + p_h, j:j + p_w]
            if mode == "max":
                Y[i, j] = window.max()
            elif mode == "avg":
                Y[i, j] = window.mean()
            else:
                Y[i, j] = window.min()
    return Y


def _checked(X, pool_size, mode):
    """:func:`pool2d`'s arguments checked: ``(X as an array, (p_h, p_w), Y's dtype)``."""
    if mode not in ("max", "avg", "min"):
        raise ValueError(f"mode={mode!r} must be 'max', 'avg' or 'min'")
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X has shape {X.shape}; pool2d pools a 2-D (H, W) array")
    if X.dtype.kind not in "fiu":
        raise TypeError(f"X has dtype {X.dtype}; pool2d needs a floating-point or integer array")
    window = to_tuple(pool_size, 2, "pool_size", minimum=1)
    if window[0] > X.shape[0] or window[1] > X.shape[1]:
        raise ValueError(f"pool_size={show(pool_size)} does not fit in X of shape {X.shape}: "
                         "the window must fit inside X (pool2d does not pad)")
    dtype = X.dtype if mode != "avg" or X.dtype.kind == "f" else np.dtype(np.float64)
    return X, window, dtype


def _taps(axes, o):
    """Yield ``(position, flat_index)`` for each in-bounds tap of window ``o``, in scan order."""
    for j in itertools.product(*(range(a.taps) for a in axes)):
        if all(a.valid[oi, ji] for a, oi, ji in zip(axes, o, j)):
            pos = tuple(int(a.positions[oi, ji]) for a, oi, ji in zip(axes, o, j))
            yield pos, int(np.ravel_multi_index(pos, [a.size for a in axes]))


def extreme(x, axes, mode="max", return_indices=True):
    """Max (or min) over each window, by loops.

    ``x`` has shape ``(N, C, *L)``; ``axes`` are the spatial dims' :class:`~poolkit.geometry.Axis`.
    Returns ``(values, indices)`` of shape ``(N, C, *O)``; indices are flat positions in
    each ``(n, c)`` plane of ``x`` (always computed: the loop gets them for free).
    """
    check_mode(mode)
    better = beats(mode)
    out_shape = x.shape[:2] + tuple(a.out for a in axes)
    values = np.empty(out_shape, dtype=x.dtype)
    indices = np.empty(out_shape, dtype=np.int64)
    for n, c in np.ndindex(x.shape[:2]):
        for o in np.ndindex(out_shape[2:]):
            best = best_index = None
            for pos, flat in _taps(axes, o):
                v = x[(n, c) + pos]
                if best is None or better(v, best) or v != v:  # v != v: v is NaN
                    best, best_index = v, flat
            values[(n, c) + o] = best
            indices[(n, c) + o] = best_index
    return values, indices


def window_sum(x, axes):
    """Sum of the in-bounds elements of each window, by loops: ``(N, C, *L) -> (N, C, *O)``,
    accumulated in :func:`~poolkit.reduction.sum_dtype`."""
    out_shape = x.shape[:2] + tuple(a.out for a in axes)
    sums = np.zeros(out_shape, dtype=sum_dtype(x.dtype))
    for n, c in np.ndindex(x.shape[:2]):
        for o in np.ndindex(out_shape[2:]):
            for pos, _ in _taps(axes, o):
                sums[(n, c) + o] += x[(n, c) + pos]
    return sums


def route(grad, indices, axes, x_shape):
    """Backward of :func:`extreme`, by loops: ``dx[n, c].flat[indices[n, c, o]] += grad[n, c, o]``
    for every output ``o``, in output order. ``grad``, ``indices``: ``(N, C, *O)``; returns
    ``dx`` of shape ``x_shape`` (``(N, C, *L)``) and grad's dtype."""
    planes, plane = int(np.prod(x_shape[:2])), int(np.prod(x_shape[2:]))
    outputs = int(np.prod(grad.shape[2:]))
    dx = np.zeros((planes, plane), dtype=grad.dtype)
    g, idx = grad.reshape(planes, outputs), indices.reshape(planes, outputs)
    for p in range(planes):
        for o in range(outputs):
            dx[p, idx[p, o]] += g[p, o]
    return dx.reshape(x_shape)


def spread(grad, axes, x_shape):
    """Backward of :func:`window_sum`, by loops: every in-bounds tap of window ``o`` receives
    ``grad[n, c, o]``. ``grad``: ``(N, C, *O)``; returns ``dx`` of shape ``x_shape``."""
    dx = np.zeros(x_shape, dtype=grad.dtype)
    for n, c in np.ndindex(*x_shape[:2]):
        for o in np.ndindex(grad.shape[2:]):
            for pos, _ in _taps(axes, o):
                dx[(n, c) + pos] += grad[(n, c) + o]
    return dx
