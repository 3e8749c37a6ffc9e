"""Pooling over strided windows: no loop over outputs, no copy of the windows.

:func:`windows` pads the input once and returns a *view* of shape
``(N, C, *O, *K)``: ``sliding_window_view`` puts every window next to every
output position, and slicing by the stride (outputs) and the dilation (taps)
keeps exactly the pooling's windows. Nothing is copied: ``win[..., j1, j2]`` is
the tap ``(j1, j2)`` of every window at once, itself a strided view.

:func:`extreme` and :func:`window_sum` then loop over the ``K`` taps (9 for a
3x3 window), each step one vectorised operation over the whole output. Adaptive
pooling, whose windows vary in size, gathers each tap instead.

The backward passes add into the same view of a zero buffer, one tap at a time:
:func:`spread` adds the gradient at every tap, :func:`route` only where the tap
was the window's pick.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import im2col
from .geometry import first_valid_index, flat_index
from .reduction import beats, check_mode, fill_value, sum_dtype


def windows(x, axes, fill=0):
    """View of every pooling window: ``(N, C, *L) -> (N, C, *O, *K)`` (padding filled with ``fill``).

    Only for regular windows (``axis.regular``); the result shares memory with a
    padded copy of ``x`` (or with ``x`` itself when no padding is needed).
    """
    pads = [a.padding() for a in axes]
    if any(before or after for before, after in pads):
        x = np.pad(x, [(0, 0), (0, 0)] + pads, constant_values=fill)
    return padded_windows(x, axes)


def padded_windows(padded, axes, writeable=False):
    """The window view of an array already padded by ``axis.padding()`` in every spatial dim.

    ``writeable=True`` lets the backward pass add into it, one tap at a time: the
    windows overlap, but one tap of different windows never shares an element.
    """
    n = len(axes)
    spans = [(a.taps - 1) * a.dilation + 1 for a in axes]
    win = sliding_window_view(padded, spans, axis=tuple(range(2, 2 + n)), writeable=writeable)
    outs = tuple(slice(0, (a.out - 1) * a.stride + 1, a.stride) for a in axes)
    taps = tuple(slice(None, None, a.dilation) for a in axes)
    return win[(slice(None), slice(None)) + outs + taps]


def _tap_values(x, axes, fill):
    """Yield ``(j, values)`` for every tap ``j`` in scan order; ``values`` has shape ``(N, C, *O)``."""
    n = len(axes)
    if all(a.regular for a in axes):
        win = windows(x, axes, fill)
        for j in itertools.product(*(range(a.taps) for a in axes)):
            yield j, win[(Ellipsis,) + j]
        return
    for j in itertools.product(*(range(a.taps) for a in axes)):
        values = x
        valid = True
        for i, (a, ji) in enumerate(zip(axes, j)):
            values = np.take(values, a.positions[:, ji], axis=2 + i)
            shape = [1] * n
            shape[i] = a.out
            valid = valid & a.valid[:, ji].reshape(shape)
        yield j, np.where(valid, values, fill)


def extreme(x, axes, mode="max", return_indices=True):
    """Max (or min) over each window, one vectorised step per tap.

    ``x`` has shape ``(N, C, *L)``. Returns ``(values, indices)`` of shape
    ``(N, C, *O)`` (indices None unless asked for), following
    :mod:`poolkit.reduction`'s rule exactly.
    """
    check_mode(mode)
    better = beats(mode)
    fill = fill_value(x.dtype, mode)
    out_shape = x.shape[:2] + tuple(a.out for a in axes)
    best = np.full(out_shape, fill, dtype=x.dtype)
    if return_indices:
        index = np.broadcast_to(first_valid_index(axes), out_shape).copy()
        flat = flat_index(axes)
    take = np.empty(out_shape, dtype=bool)
    for j, v in _tap_values(x, axes, fill):
        better(v, best, out=take)
        if x.dtype.kind == "f":
            take |= np.isnan(v)
        np.copyto(best, v, where=take)
        if return_indices:
            np.copyto(index, flat[(Ellipsis,) + j], where=take)
    return best, (index if return_indices else None)


def window_sum(x, axes):
    """Sum of the in-bounds elements of each window: ``(N, C, *L) -> (N, C, *O)``,
    accumulated in :func:`~poolkit.reduction.sum_dtype`."""
    acc = sum_dtype(x.dtype)
    total = np.zeros(x.shape[:2] + tuple(a.out for a in axes), dtype=acc)
    for _, v in _tap_values(x, axes, 0):
        total += v
    return total


def _buffer(grad, axes, x_shape):
    """A zero ``(N, C, *padded L)`` buffer, its writeable window view, and the slice of it that is ``x``."""
    pads = [a.padding() for a in axes]
    buf = np.zeros(tuple(x_shape[:2]) + tuple(a.size + b + e for a, (b, e) in zip(axes, pads)), dtype=grad.dtype)
    inner = (slice(None), slice(None)) + tuple(slice(b, b + a.size) for a, (b, _) in zip(axes, pads))
    return buf, padded_windows(buf, axes, writeable=True), inner


def spread(grad, axes, x_shape):
    """Backward of :func:`window_sum`, one vectorised add per tap: its transpose (which reads one
    tap of every window at a time). Adaptive windows, which vary in size, are scattered back as
    :func:`poolkit.im2col.spread` does."""
    if not all(a.regular for a in axes):
        return im2col.spread(grad, axes, x_shape)
    buf, win, inner = _buffer(grad, axes, x_shape)
    for j in itertools.product(*(range(a.taps) for a in axes)):
        win[(Ellipsis,) + j] += grad
    return buf[inner]


def route(grad, indices, axes, x_shape):
    """Backward of :func:`extreme`, one vectorised add per tap: tap ``j`` of each window receives the
    window's gradient where the window picked it (its index is the tap's flat index).

    The taps run in reverse scan order: an element is tap ``j`` of window ``o`` with ``o`` larger
    when ``j`` is smaller, so each element receives its additions in output order, as PyTorch's
    kernel adds them, and the sums agree bit for bit. Adaptive windows, which vary in size,
    scatter as :func:`poolkit.im2col.route` does.
    """
    if not all(a.regular for a in axes):
        return im2col.route(grad, indices, axes, x_shape)
    buf, win, inner = _buffer(grad, axes, x_shape)
    flat = flat_index(axes)
    picked = np.empty(grad.shape, dtype=bool)
    for j in reversed(list(itertools.product(*(range(a.taps) for a in axes)))):
        np.equal(indices, flat[(Ellipsis,) + j], out=picked)
        win[(Ellipsis,) + j] += np.where(picked, grad, grad.dtype.type(0))
    return buf[inner]
