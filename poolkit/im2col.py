"""im2col: copy every window into a row of a matrix, then reduce each row at once.

This is how "Deep Learning from Scratch" and cs231n pool: gather the windows
into a column matrix of shape ``(N*C*O_1*...*O_n, K)`` with one fancy-indexing
operation, then ``max``/``argmax``/``sum`` along its rows. It is simple and fully
vectorised, but the matrix holds every input element up to ``K`` times (9x for a
3x3 window with stride 1), which is why ``method="auto"`` never uses it.

:func:`col2im` is its adjoint: it adds every row back into the windows it came
from, accumulating where windows overlap (the backward pass of a sum, :func:`spread`).
:func:`route`, the backward pass of max and min, adds each gradient at its index.
"""

from __future__ import annotations

import numpy as np

from .geometry import build_axes, flat_index, valid_mask
from .reduction import check_mode, fill_value, sum_dtype


def _columns(x, axes, fill):
    """Gather the windows: ``(N, C, *L) -> (N, C, *O, K)`` (a copy), out-of-input taps set to ``fill``."""
    n = len(axes)
    grid = []
    for i, a in enumerate(axes):
        shape = [1] * (2 * n)
        shape[i], shape[n + i] = a.out, a.taps
        grid.append(np.clip(a.positions, 0, a.size - 1).reshape(shape))
    cols = x[(slice(None), slice(None)) + tuple(grid)]
    cols[:, :, ~valid_mask(axes)] = fill
    return cols.reshape(cols.shape[:2 + n] + (int(np.prod(cols.shape[2 + n:])),))


def im2col(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, fill=0):
    """The column matrix of a pooling over ``x`` of shape ``(N, C, *L)``.

    Returns an array of shape ``(N*C*O_1*...*O_n, K)``, ``K = prod(kernel_size)``:
    row ``r`` holds the window of output ``r`` (in ``(n, c, o_1, ..., o_n)`` order),
    its taps in row-major order; taps in the padding hold ``fill`` (use ``-np.inf``
    for max pooling, 0 for sums).

    >>> im2col(np.arange(9.).reshape(1, 1, 3, 3), 2, stride=1)
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    """
    x = _batched(x, "x", "im2col")
    axes = build_axes(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    cols = _columns(x, axes, fill)
    return cols.reshape(-1, cols.shape[-1])


def col2im(cols, x_shape, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Add each row of ``cols`` back into the window it came from.

    ``cols`` has shape ``(N*C*O_1*...*O_n, K)`` as :func:`im2col` returns; the result
    has shape ``x_shape = (N, C, *L)``. Where windows overlap their contributions
    add up; taps in the padding are dropped. ``col2im(im2col(x) * 0 + 1, ...)``
    counts how many windows read each element.
    """
    x_shape = _batched(np.empty(x_shape if isinstance(x_shape, (tuple, list)) else (), dtype=bool),
                       f"x_shape={x_shape!r}", "col2im", shape_only=True).shape
    axes = build_axes(x_shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    cols = np.asarray(cols)
    k = int(np.prod([a.taps for a in axes]))
    rows = int(np.prod(x_shape[:2] + tuple(a.out for a in axes)))
    if cols.shape != (rows, k):
        raise ValueError(f"cols has shape {cols.shape}; for x_shape={tuple(x_shape)} and these windows col2im "
                         f"expects ({rows}, {k}): one row per output, one column per tap, as im2col returns")
    return scatter_add(cols.reshape(tuple(x_shape[:2]) + tuple(a.out for a in axes) + (k,)), axes, x_shape)


def _batched(x, what, fname, shape_only=False):
    """``x`` as an array of shape ``(N, C, *L)`` with 1 to 3 spatial dims, else a clear error."""
    x = np.asarray(x)
    if not 3 <= x.ndim <= 5:
        shown = what if shape_only else f"{what} has shape {x.shape}"
        raise ValueError(f"{shown}; {fname} expects (N, C, L), (N, C, H, W) or (N, C, D, H, W): "
                         "add the batch and channel axes, e.g. x[None, None]")
    if not shape_only and x.dtype.kind not in "fiu":
        raise TypeError(f"{what} has dtype {x.dtype}; {fname} needs a floating-point or integer array")
    return x


def scatter_add(cols, axes, x_shape):
    """``(N, C, *O, K)`` window values added into an ``(N, C, *L)`` array (the adjoint of gathering)."""
    planes = int(np.prod(x_shape[:2]))
    flat = flat_index(axes).reshape(-1)
    keep = valid_mask(axes).reshape(-1)
    out = np.zeros((planes, int(np.prod(x_shape[2:]))), dtype=cols.dtype)
    np.add.at(out, (np.arange(planes)[:, None], flat[keep][None, :]), cols.reshape(planes, flat.size)[:, keep])
    return out.reshape(x_shape)


def extreme(x, axes, mode="max", return_indices=True):
    """Max (or min) of each window via the column matrix: ``(N, C, *L) -> (N, C, *O)`` values and
    flat indices, following :mod:`poolkit.reduction`'s rule exactly (first extreme tap, last NaN)."""
    check_mode(mode)
    cols = _columns(x, axes, fill_value(x.dtype, mode))
    extreme_value = cols.max(axis=-1) if mode == "max" else cols.min(axis=-1)
    k = cols.shape[-1]
    hit = (cols == extreme_value[..., None]) & valid_mask(axes).reshape(cols.shape[2:])
    choice = hit.argmax(axis=-1)
    if x.dtype.kind == "f":
        nan = np.isnan(cols)
        last_nan = k - 1 - nan[..., ::-1].argmax(axis=-1)
        choice = np.where(nan.any(axis=-1), last_nan, choice)
    values = np.take_along_axis(cols, choice[..., None], axis=-1)[..., 0]
    if not return_indices:
        return values, None
    flat = flat_index(axes).reshape(cols.shape[2:])
    out_grid = np.indices(flat.shape[:-1], sparse=True)
    return values, flat[tuple(out_grid) + (choice,)]


def window_sum(x, axes):
    """Sum of the in-bounds elements of each window: ``(N, C, *L) -> (N, C, *O)`` via the column matrix."""
    return _columns(x, axes, 0).sum(axis=-1, dtype=sum_dtype(x.dtype))


def route(grad, indices, axes, x_shape):
    """Backward of :func:`extreme`: ``dx[n, c].flat[indices[n, c, o]] += grad[n, c, o]``, one
    ``np.add.at`` over every plane (in output order, so bit-exact with PyTorch's sums).
    ``grad``, ``indices``: ``(N, C, *O)``; returns ``dx`` of shape ``x_shape`` and grad's dtype."""
    planes, plane, outputs = int(np.prod(x_shape[:2])), int(np.prod(x_shape[2:])), int(np.prod(grad.shape[2:]))
    dx = np.zeros((planes, plane), dtype=grad.dtype)
    np.add.at(dx, (np.arange(planes)[:, None], indices.reshape(planes, outputs).astype(np.int64, copy=False)),
              grad.reshape(planes, outputs))
    return dx.reshape(x_shape)


def spread(grad, axes, x_shape):
    """Backward of :func:`window_sum`: ``grad`` broadcast to a column matrix ``(N, C, *O, K)`` and
    added back into the windows (:func:`scatter_add`, col2im's core); padding taps drop out."""
    cols = np.broadcast_to(grad[..., None], grad.shape + (int(np.prod([a.taps for a in axes])),))
    return scatter_add(cols, axes, x_shape)
