"""Pooling functions, named and defaulted like ``torch.nn.functional``; numpy in, numpy out.

Layouts: channels-first ``(N, C, *spatial)`` or unbatched ``(C, *spatial)`` by
default, as PyTorch; ``data_format="channels_last"`` (or ``"NWC"``, ``"NHWC"``,
``"NDHWC"``) for TensorFlow's ``(N, *spatial, C)``.

Semantics are PyTorch's for PyTorch-style arguments (integer ``padding``,
``ceil_mode``, ``count_include_pad``, ``divisor_override``) and TensorFlow's for
``padding="valid"``/``"same"``. One rule for special values everywhere: max and
min propagate NaN, as PyTorch does (TensorFlow's ``max_pool2d`` ignores NaN, and
returns the dtype's lowest value for a window of -inf; poolkit does not).

``method`` chooses the implementation: ``"naive"`` (loops), ``"im2col"`` (a
column matrix), ``"windows"`` (strided views), or ``"auto"``. All give identical
results: bit for bit for max and min, to float rounding for averages.
"""

from __future__ import annotations

import numpy as np

from . import compiled, plan, reduction
from .geometry import to_tuple
from .plan import METHODS

__all__ = [
    "max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool",
    "max_unpool", "max_pool_with_argmax", "plane_indices", "pool_positions", "METHODS",
]


def _extreme_pool(mode, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                  dims, data_format, method, fname):
    key, kept = plan.kept_call(method, (x,), mode, dims, data_format, kernel_size, stride, padding, dilation,
                               ceil_mode, return_indices)
    if kept:
        return kept(x)
    p = plan.max_min(x, kernel_size, stride, padding, dilation, ceil_mode, dims=dims, data_format=data_format,
                     fname=fname)
    with_idx = plan.check_bool(return_indices, "return_indices")
    result = _extreme(mode, p, with_idx, method)
    plan.keep(key, lambda: compiled.prepare(p, mode, with_idx))
    return result


def pool_positions(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, mode="max", dims,
                   data_format="channels_first", method="auto"):
    """Max (or min) pooling that returns, instead of indices, where each picked element lies in ``x``.

    The forward pass of the max and min layers: the positions are what they cache, so that the
    backward pass (:func:`poolkit.backward.cached_positions_backward`, or ``positions=`` of
    :func:`poolkit.backward.max_pool_backward`) scatters with no conversion.

    Parameters
    ----------
    x, kernel_size, stride, padding, dilation, ceil_mode, data_format, method
        As :func:`max_pool`.
    mode : {"max", "min"}
        Max or min pooling.
    dims : int
        The number of spatial dimensions, 1 to 3.

    Returns
    -------
    y : ndarray, shape (N, C, *O) or (C, *O)
        As :func:`max_pool`.
    positions : ndarray of int64, shape of y
        The flat position of each picked element in ``x`` as ``data_format`` lays it out (C order
        of ``(N, C, *L)``, or of ``(N, *L, C)`` for channels-last). :func:`plane_indices` turns them
        into the indices ``return_indices=True`` gives.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5.], [0., 4., 7., 6.]]])
    >>> pool_positions(x, 2, dims=1)
    (array([[[3., 5.],
            [4., 7.]]]), array([[[1, 3],
            [5, 6]]]))
    """
    fname = f"{mode}_pool{dims}d"
    p = plan.max_min(x, kernel_size, stride, padding, dilation, ceil_mode, dims=dims, data_format=data_format,
                     fname=fname)
    return _extreme(reduction.check_mode(mode), p, "positions", method)


def plane_indices(positions, x, *, dims, data_format="channels_first"):
    """Positions in ``x`` (:func:`pool_positions`) -> the indices in each ``(n, c)``
    plane that ``return_indices=True`` gives, shaped (and laid out) like ``positions``."""
    inp = plan.Input(x, dims, data_format, "plane_indices", kinds="fiu")
    pos = plan.Input(positions, dims, data_format, "plane_indices", kinds="i", what="positions")
    if pos.batched != inp.batched or pos.x.shape[:2] != inp.x.shape[:2]:
        raise ValueError(f"positions has shape {np.shape(positions)}: it must have the batch and channel sizes "
                         f"of x, whose shape is {np.shape(x)}")
    if pos.x.size and (pos.x.min() < 0 or pos.x.max() >= inp.x.size):
        bad = pos.x.min() if pos.x.min() < 0 else pos.x.max()
        raise ValueError(f"positions contains {bad}, outside [0, {inp.x.size}): positions must be those the "
                         "forward pass returned (pool_positions) for this x")
    plane, C = int(np.prod(inp.spatial)), inp.x.shape[1]
    return inp.restore(pos.x // C % plane if inp.last else pos.x % plane)


def _extreme(mode, p, return_indices, method):
    values, indices = plan.extreme(p, mode, return_indices, method)
    if return_indices:
        return p.restore(values), p.restore(indices)
    return p.restore(values)


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False,
             *, dims, data_format="channels_first", method="auto"):
    r"""Max pooling over ``dims`` spatial dimensions.

    ``x``: ``(N, C, *L)`` or unbatched ``(C, *L)`` (channels-last with ``data_format``).
    Returns ``(N, C, *O)`` (and int64 indices of the same shape with ``return_indices``),

    .. math:: y[n, c, o] = \max_{j} x[n, c, o \cdot s - p + j \cdot d],

    over the taps ``j`` that fall inside the input (padding acts as -inf), with
    ``O = floor((L + 2p - d(k-1) - 1 [+ s-1 if ceil_mode]) / s) + 1``
    (see :mod:`poolkit.geometry`). Indices are flat positions in each unpadded
    ``(n, c)`` plane, as PyTorch's. Ties go to the first tap in row-major order; a
    NaN in the window makes the output NaN (index of the last NaN).
    :func:`pool_positions` gives, instead of the indices, the position of each picked
    element in ``x`` (what the layers cache).

    ``kernel_size``, ``stride`` (default: ``kernel_size``), ``padding`` and ``dilation``
    take an int or one int per spatial dimension; ``padding`` also takes ``"valid"``
    or ``"same"`` (TensorFlow's meaning). Integer padding is at most half the kernel.
    """
    return _extreme_pool("max", x, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                         dims, data_format, method, f"max_pool{dims}d")


def min_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False,
             *, dims, data_format="channels_first", method="auto"):
    """Min pooling: :func:`max_pool` with ``min`` (padding acts as +inf, ties to the first
    minimal tap, NaN propagates). Equal to ``-max_pool(-x)`` for floats without ties
    between ``0.0`` and ``-0.0``, and correct for unsigned integers, where ``-x`` wraps."""
    return _extreme_pool("min", x, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                         dims, data_format, method, f"min_pool{dims}d")


# ---------------------------------------------------------------- averages
def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None, *, dims, data_format="channels_first", method="auto"):
    r"""Average pooling over ``dims`` spatial dimensions.

    ``x``: ``(N, C, *L)`` or ``(C, *L)``; returns ``(N, C, *O)``, the sum of each
    window's real elements divided by

    - ``divisor_override`` if given (any nonzero int);
    - else, with ``count_include_pad`` (the default), the number of taps inside the
      padded input ``[-p, L + p)``: the full ``k`` for every window except a
      ceil_mode window hanging past the padding;
    - else (``count_include_pad=False``, and always for ``padding="same"``/``"valid"``,
      as TensorFlow) the number of real elements in the window.

    Integer inputs are summed in int64 and divided with
    truncation toward zero, as PyTorch; float16 is summed in float32.
    """
    key, kept = plan.kept_call(method, (x,), "avg", dims, data_format, kernel_size, stride, padding, ceil_mode,
                               count_include_pad, divisor_override)
    if kept:
        return kept(x)
    p = plan.average(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims=dims,
                     data_format=data_format, fname=f"avg_pool{dims}d")
    result = p.restore(plan.mean(p, method))
    plan.keep(key, lambda: compiled.prepare(p, "avg"))
    return result


# ---------------------------------------------------------------- Lp
def lp_pool(x, norm_type, kernel_size, stride=None, ceil_mode=False, *, dims,
            data_format="channels_first", method="auto"):
    r"""Power-average (Lp) pooling: :math:`y = (\sum_{window} x^p)^{1/p}`, as ``torch.nn.functional.lp_pool``.

    ``x``: floating point ``(N, C, *L)`` or ``(C, *L)``; returns ``(N, C, *O)``. No
    padding. Computed as PyTorch does, ``(sign(a) * relu(|a|) * prod(k)) ** (1/p)``
    with ``a = avg_pool(x**p)``, so a ceil_mode window cut short by the input's edge
    is scaled by ``prod(k) / (real elements)``, and negative sums give NaN for odd or
    fractional ``p``. ``p = inf`` is ``max_pool(|x|)``, ``p = -inf`` is ``-max_pool(-|x|)``.
    """
    plan.Input(x, dims, data_format, f"lp_pool{dims}d", kinds="f")  # validates before any arithmetic
    norm_type = plan.norm_type(norm_type)
    x = np.asarray(x)
    common = dict(dims=dims, data_format=data_format, method=method)
    if np.isinf(norm_type):
        sign = 1 if norm_type > 0 else -1
        return sign * max_pool(sign * np.abs(x), kernel_size, stride, 0, 1, ceil_mode, **common)
    k = to_tuple(kernel_size, dims, "kernel_size", minimum=1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a = avg_pool(x ** norm_type, kernel_size, stride, 0, ceil_mode, True, **common)
        return ((np.sign(a) * np.maximum(np.abs(a), 0)) * int(np.prod(k))) ** (1.0 / norm_type)


# ---------------------------------------------------------------- adaptive
def adaptive_max_pool(x, output_size, return_indices=False, *, dims, data_format="channels_first",
                      method="auto"):
    """Adaptive max pooling: ``(N, C, *L) -> (N, C, *output_size)``.

    Window ``o`` of a dimension covers ``[floor(o*L/O), ceil((o+1)*L/O))``, so windows
    overlap and vary in size when ``O`` does not divide ``L``. ``None`` in
    ``output_size`` keeps that dimension. Ties, NaN and indices as :func:`max_pool`.
    """
    p = plan.adaptive(x, output_size, dims=dims, data_format=data_format, fname=f"adaptive_max_pool{dims}d")
    return _extreme("max", p, plan.check_bool(return_indices, "return_indices"), method)


def adaptive_avg_pool(x, output_size, *, dims, data_format="channels_first", method="auto"):
    """Adaptive average pooling: ``(N, C, *L) -> (N, C, *output_size)``, each window's mean
    (windows as :func:`adaptive_max_pool`). ``output_size=1`` is global average pooling."""
    p = plan.adaptive(x, output_size, dims=dims, data_format=data_format, fname=f"adaptive_avg_pool{dims}d")
    return p.restore(plan.mean(p, method))


# ---------------------------------------------------------------- unpooling
def max_unpool(x, indices, kernel_size, stride=None, padding=0, output_size=None, *, dims,
               data_format="channels_first"):
    """Partial inverse of :func:`max_pool`: put each value back where ``indices`` says, zeros elsewhere.

    ``x`` and ``indices``: ``(N, C, *L)`` or ``(C, *L)``, as returned by
    ``max_pool(..., return_indices=True)``. The output has spatial size
    ``(L - 1) * s - 2p + k`` per dimension, or ``output_size`` (its spatial part, or
    all ``dims + 2`` entries), which must lie strictly within ``stride`` of that default.
    """
    inp, flat, size = plan.unpool(x, indices, kernel_size, stride, padding, output_size, dims=dims,
                                  data_format=data_format, fname=f"max_unpool{dims}d")
    out = np.zeros(inp.x.shape[:2] + (int(np.prod(size)),), dtype=inp.x.dtype)
    n, c = np.indices(flat.shape[:2], sparse=True)
    out[n[..., None], c[..., None], flat] = inp.x.reshape(flat.shape)
    return inp.restore(out.reshape(inp.x.shape[:2] + size))


# ---------------------------------------------------------------- TensorFlow's argmax
def max_pool_with_argmax(x, ksize, strides, padding, include_batch_in_index=False):
    """``tf.nn.max_pool_with_argmax``: 2-D max pooling of NHWC ``x`` with TensorFlow's flat indices.

    ``x``: ``(N, H, W, C)``; ``ksize``/``strides``: an int, 2 ints, or 4 ints
    ``[1, kh, kw, 1]``; ``padding``: ``"VALID"`` or ``"SAME"``. Returns
    ``(output, argmax)``, both ``(N, Ho, Wo, C)``, with

        argmax = (y * W + x) * C + c   (+ n * H * W * C if include_batch_in_index)

    Ties go to the first tap; NaN propagates as in :func:`max_pool` (TensorFlow's
    kernel instead keeps a leading NaN and skips later ones).
    """
    x, k, s, padding = plan.with_argmax(x, ksize, strides, padding, "max_pool_with_argmax")
    values, spatial = max_pool(x, k, s, padding, return_indices=True, dims=2, data_format="NHWC")
    n, h, w, c = x.shape
    argmax = spatial * c + np.arange(c)
    if plan.check_bool(include_batch_in_index, "include_batch_in_index"):
        argmax += np.arange(n).reshape(n, 1, 1, 1) * (h * w * c)
    return values, argmax


# ---------------------------------------------------------------- 1-D, 2-D, 3-D
def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *,
               data_format="channels_first", method="auto"):
    """1-D max pooling, as ``torch.nn.functional.max_pool1d``.

    Each output is the largest element of its window (padding never wins); ties go to the
    first maximal tap in row-major order, and a NaN in the window makes the output NaN.

    Parameters
    ----------
    x : ndarray, shape (N, C, L) or (C, L)
        The input, floating-point or integer; ``(N, L, C)`` or ``(L, C)``
        with ``data_format="channels_last"``.
    kernel_size : int or tuple of 1 int
        The window's size.
    stride : int or tuple of 1 int, optional
        The step between windows; default ``kernel_size``.
    padding : int or tuple of 1 int, "valid" or "same", default 0
        Implicit padding on both sides, filled with -inf, at most half the kernel; ``"valid"``
        and ``"same"`` as TensorFlow (SAME puts the extra element at the end).
    dilation : int or tuple of 1 int, default 1
        The spacing between a window's taps.
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    return_indices : bool, default False
        Also return, for each output, the flat index of the picked element in its ``(n, c)``
        plane, as PyTorch does (:func:`pool_positions` gives positions in ``x`` instead).
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCW"``/``"NWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, L_out) or (C, L_out)
        The pooled values, x's dtype and layout;
        per dimension ``floor((L + 2p - d(k-1) - 1) / s) + 1`` (:func:`poolkit.geometry.output_size`).
    indices : ndarray of int64, shape of y
        Only with ``return_indices=True``.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> max_pool1d(x, 2)
    array([[[3., 5., 4.]]])
    >>> max_pool1d(x, 3, stride=1, padding=1, return_indices=True)
    (array([[[3., 3., 5., 5., 5., 4.]]]), array([[[1, 1, 3, 3, 3, 4]]]))
    """
    return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims=1,
                    data_format=data_format, method=method)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *,
               data_format="channels_first", method="auto"):
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``.

    Each output is the largest element of its window (padding never wins); ties go to the
    first maximal tap in row-major order, and a NaN in the window makes the output NaN.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The input, floating-point or integer; ``(N, H, W, C)`` or ``(H, W, C)``
        with ``data_format="channels_last"``.
    kernel_size : int or tuple of 2 ints
        The window's size.
    stride : int or tuple of 2 ints, optional
        The step between windows; default ``kernel_size``.
    padding : int or tuple of 2 ints, "valid" or "same", default 0
        Implicit padding on both sides, filled with -inf, at most half the kernel; ``"valid"``
        and ``"same"`` as TensorFlow (SAME puts the extra element at the end).
    dilation : int or tuple of 2 ints, default 1
        The spacing between a window's taps.
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    return_indices : bool, default False
        Also return, for each output, the flat index of the picked element in its ``(n, c)``
        plane, as PyTorch does (:func:`pool_positions` gives positions in ``x`` instead).
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCHW"``/``"NHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        The pooled values, x's dtype and layout;
        per dimension ``floor((L + 2p - d(k-1) - 1) / s) + 1`` (:func:`poolkit.geometry.output_size`).
    indices : ndarray of int64, shape of y
        Only with ``return_indices=True``.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> max_pool2d(x, 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims=2,
                    data_format=data_format, method=method)


def max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *,
               data_format="channels_first", method="auto"):
    """3-D max pooling, as ``torch.nn.functional.max_pool3d``.

    Each output is the largest element of its window (padding never wins); ties go to the
    first maximal tap in row-major order, and a NaN in the window makes the output NaN.

    Parameters
    ----------
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The input, floating-point or integer; ``(N, D, H, W, C)`` or ``(D, H, W, C)``
        with ``data_format="channels_last"``.
    kernel_size : int or tuple of 3 ints
        The window's size.
    stride : int or tuple of 3 ints, optional
        The step between windows; default ``kernel_size``.
    padding : int or tuple of 3 ints, "valid" or "same", default 0
        Implicit padding on both sides, filled with -inf, at most half the kernel; ``"valid"``
        and ``"same"`` as TensorFlow (SAME puts the extra element at the end).
    dilation : int or tuple of 3 ints, default 1
        The spacing between a window's taps.
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    return_indices : bool, default False
        Also return, for each output, the flat index of the picked element in its ``(n, c)``
        plane, as PyTorch does (:func:`pool_positions` gives positions in ``x`` instead).
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCDHW"``/``"NDHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out)
        The pooled values, x's dtype and layout;
        per dimension ``floor((L + 2p - d(k-1) - 1) / s) + 1`` (:func:`poolkit.geometry.output_size`).
    indices : ndarray of int64, shape of y
        Only with ``return_indices=True``.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> max_pool3d(x, 2)
    array([[[[[7.]]]]])
    """
    return max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims=3,
                    data_format=data_format, method=method)


def min_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *,
               data_format="channels_first", method="auto"):
    """1-D min pooling: :func:`max_pool1d` with the minimum (also right for unsigned ints).

    Each output is the smallest element of its window (padding never wins); ties go to the
    first minimal tap in row-major order, and a NaN in the window makes the output NaN.

    Parameters
    ----------
    x : ndarray, shape (N, C, L) or (C, L)
        The input, floating-point or integer; ``(N, L, C)`` or ``(L, C)``
        with ``data_format="channels_last"``.
    kernel_size : int or tuple of 1 int
        The window's size.
    stride : int or tuple of 1 int, optional
        The step between windows; default ``kernel_size``.
    padding : int or tuple of 1 int, "valid" or "same", default 0
        Implicit padding on both sides, filled with +inf, at most half the kernel; ``"valid"``
        and ``"same"`` as TensorFlow (SAME puts the extra element at the end).
    dilation : int or tuple of 1 int, default 1
        The spacing between a window's taps.
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    return_indices : bool, default False
        Also return, for each output, the flat index of the picked element in its ``(n, c)``
        plane, as PyTorch does (:func:`pool_positions` gives positions in ``x`` instead).
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCW"``/``"NWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, L_out) or (C, L_out)
        The pooled values, x's dtype and layout;
        per dimension ``floor((L + 2p - d(k-1) - 1) / s) + 1`` (:func:`poolkit.geometry.output_size`).
    indices : ndarray of int64, shape of y
        Only with ``return_indices=True``.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> min_pool1d(x, 2)
    array([[[1., 2., 0.]]])
    >>> min_pool1d(x, 3, stride=1, padding=1, return_indices=True)
    (array([[[1., 1., 2., 2., 0., 0.]]]), array([[[0, 0, 2, 2, 5, 5]]]))
    """
    return min_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims=1,
                    data_format=data_format, method=method)


def min_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *,
               data_format="channels_first", method="auto"):
    """2-D min pooling: :func:`max_pool2d` with the minimum (also right for unsigned ints).

    Each output is the smallest element of its window (padding never wins); ties go to the
    first minimal tap in row-major order, and a NaN in the window makes the output NaN.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The input, floating-point or integer; ``(N, H, W, C)`` or ``(H, W, C)``
        with ``data_format="channels_last"``.
    kernel_size : int or tuple of 2 ints
        The window's size.
    stride : int or tuple of 2 ints, optional
        The step between windows; default ``kernel_size``.
    padding : int or tuple of 2 ints, "valid" or "same", default 0
        Implicit padding on both sides, filled with +inf, at most half the kernel; ``"valid"``
        and ``"same"`` as TensorFlow (SAME puts the extra element at the end).
    dilation : int or tuple of 2 ints, default 1
        The spacing between a window's taps.
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    return_indices : bool, default False
        Also return, for each output, the flat index of the picked element in its ``(n, c)``
        plane, as PyTorch does (:func:`pool_positions` gives positions in ``x`` instead).
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCHW"``/``"NHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        The pooled values, x's dtype and layout;
        per dimension ``floor((L + 2p - d(k-1) - 1) / s) + 1`` (:func:`poolkit.geometry.output_size`).
    indices : ndarray of int64, shape of y
        Only with ``return_indices=True``.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> min_pool2d(x, 2)
    array([[[[ 0.,  2.],
             [ 8., 10.]]]])
    """
    return min_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims=2,
                    data_format=data_format, method=method)


def min_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False, *,
               data_format="channels_first", method="auto"):
    """3-D min pooling: :func:`max_pool3d` with the minimum (also right for unsigned ints).

    Each output is the smallest element of its window (padding never wins); ties go to the
    first minimal tap in row-major order, and a NaN in the window makes the output NaN.

    Parameters
    ----------
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The input, floating-point or integer; ``(N, D, H, W, C)`` or ``(D, H, W, C)``
        with ``data_format="channels_last"``.
    kernel_size : int or tuple of 3 ints
        The window's size.
    stride : int or tuple of 3 ints, optional
        The step between windows; default ``kernel_size``.
    padding : int or tuple of 3 ints, "valid" or "same", default 0
        Implicit padding on both sides, filled with +inf, at most half the kernel; ``"valid"``
        and ``"same"`` as TensorFlow (SAME puts the extra element at the end).
    dilation : int or tuple of 3 ints, default 1
        The spacing between a window's taps.
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    return_indices : bool, default False
        Also return, for each output, the flat index of the picked element in its ``(n, c)``
        plane, as PyTorch does (:func:`pool_positions` gives positions in ``x`` instead).
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCDHW"``/``"NDHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out)
        The pooled values, x's dtype and layout;
        per dimension ``floor((L + 2p - d(k-1) - 1) / s) + 1`` (:func:`poolkit.geometry.output_size`).
    indices : ndarray of int64, shape of y
        Only with ``return_indices=True``.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> min_pool3d(x, 2)
    array([[[[[0.]]]]])
    """
    return min_pool(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, dims=3,
                    data_format=data_format, method=method)


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None,
               *, data_format="channels_first", method="auto"):
    """1-D average pooling, as ``torch.nn.functional.avg_pool1d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, L) or (C, L)
        The input, floating-point or integer; ``(N, L, C)`` or ``(L, C)``
        with ``data_format="channels_last"``.
    kernel_size : int or tuple of 1 int
        The window's size.
    stride : int or tuple of 1 int, optional
        The step between windows; default ``kernel_size``.
    padding : int or tuple of 1 int, "valid" or "same", default 0
        Implicit padding on both sides, filled with zeros (see ``count_include_pad``), at most half
        the kernel; ``"valid"`` and ``"same"`` as TensorFlow (SAME puts the extra element at the end).
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    count_include_pad : bool, default True
        With integer padding, divide by the window's taps inside the padded input (True) or by
        its real elements only (False). ``"same"``/``"valid"`` always divide by the real
        elements, as TensorFlow.
    divisor_override : int, optional
        Divide every window's sum by this nonzero int instead.
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCW"``/``"NWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, L_out) or (C, L_out)
        Each window's sum divided by its divisor, in x's dtype (integers sum in int64 and
        divide with truncation toward zero; float16 sums in float32).

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> avg_pool1d(x, 2)
    array([[[2. , 3.5, 2. ]]])
    >>> avg_pool1d(x, 3, stride=1, padding=1, count_include_pad=False)
    array([[[2.        , 2.        , 3.33333333, 3.66666667, 3.        ,
             2.        ]]])
    """
    return avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims=1,
                    data_format=data_format, method=method)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None,
               *, data_format="channels_first", method="auto"):
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The input, floating-point or integer; ``(N, H, W, C)`` or ``(H, W, C)``
        with ``data_format="channels_last"``.
    kernel_size : int or tuple of 2 ints
        The window's size.
    stride : int or tuple of 2 ints, optional
        The step between windows; default ``kernel_size``.
    padding : int or tuple of 2 ints, "valid" or "same", default 0
        Implicit padding on both sides, filled with zeros (see ``count_include_pad``), at most half
        the kernel; ``"valid"`` and ``"same"`` as TensorFlow (SAME puts the extra element at the end).
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    count_include_pad : bool, default True
        With integer padding, divide by the window's taps inside the padded input (True) or by
        its real elements only (False). ``"same"``/``"valid"`` always divide by the real
        elements, as TensorFlow.
    divisor_override : int, optional
        Divide every window's sum by this nonzero int instead.
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCHW"``/``"NHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        Each window's sum divided by its divisor, in x's dtype (integers sum in int64 and
        divide with truncation toward zero; float16 sums in float32).

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> avg_pool2d(x, 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    return avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims=2,
                    data_format=data_format, method=method)


def avg_pool3d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None,
               *, data_format="channels_first", method="auto"):
    """3-D average pooling, as ``torch.nn.functional.avg_pool3d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The input, floating-point or integer; ``(N, D, H, W, C)`` or ``(D, H, W, C)``
        with ``data_format="channels_last"``.
    kernel_size : int or tuple of 3 ints
        The window's size.
    stride : int or tuple of 3 ints, optional
        The step between windows; default ``kernel_size``.
    padding : int or tuple of 3 ints, "valid" or "same", default 0
        Implicit padding on both sides, filled with zeros (see ``count_include_pad``), at most half
        the kernel; ``"valid"`` and ``"same"`` as TensorFlow (SAME puts the extra element at the end).
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    count_include_pad : bool, default True
        With integer padding, divide by the window's taps inside the padded input (True) or by
        its real elements only (False). ``"same"``/``"valid"`` always divide by the real
        elements, as TensorFlow.
    divisor_override : int, optional
        Divide every window's sum by this nonzero int instead.
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCDHW"``/``"NDHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out)
        Each window's sum divided by its divisor, in x's dtype (integers sum in int64 and
        divide with truncation toward zero; float16 sums in float32).

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> avg_pool3d(x, 2)
    array([[[[[3.5]]]]])
    """
    return avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims=3,
                    data_format=data_format, method=method)


def lp_pool1d(x, norm_type, kernel_size, stride=None, ceil_mode=False, *, data_format="channels_first", method="auto"):
    """1-D power-average (Lp) pooling, as ``torch.nn.functional.lp_pool1d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, L) or (C, L)
        The input, floating-point; ``(N, L, C)`` or ``(L, C)``
        with ``data_format="channels_last"``.
    norm_type : float
        The p of the Lp norm, nonzero; ``inf`` is max pooling of ``|x|``.
    kernel_size : int or tuple of 1 int
        The window's size.
    stride : int or tuple of 1 int, optional
        The step between windows; default ``kernel_size``.
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCW"``/``"NWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, L_out) or (C, L_out)
        ``(sum over the window of x**p) ** (1/p)``, computed as PyTorch does.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> lp_pool1d(x, 2, 2)
    array([[[3.16227766, 5.38516481, 4.        ]]])
    """
    return lp_pool(x, norm_type, kernel_size, stride, ceil_mode, dims=1, data_format=data_format, method=method)


def lp_pool2d(x, norm_type, kernel_size, stride=None, ceil_mode=False, *, data_format="channels_first", method="auto"):
    """2-D power-average (Lp) pooling, as ``torch.nn.functional.lp_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The input, floating-point; ``(N, H, W, C)`` or ``(H, W, C)``
        with ``data_format="channels_last"``.
    norm_type : float
        The p of the Lp norm, nonzero; ``inf`` is max pooling of ``|x|``.
    kernel_size : int or tuple of 2 ints
        The window's size.
    stride : int or tuple of 2 ints, optional
        The step between windows; default ``kernel_size``.
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCHW"``/``"NHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        ``(sum over the window of x**p) ** (1/p)``, computed as PyTorch does.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> lp_pool2d(x, 2, 2)
    array([[[[ 6.4807407 ,  9.89949494],
             [21.40093456, 25.33771892]]]])
    """
    return lp_pool(x, norm_type, kernel_size, stride, ceil_mode, dims=2, data_format=data_format, method=method)


def lp_pool3d(x, norm_type, kernel_size, stride=None, ceil_mode=False, *, data_format="channels_first", method="auto"):
    """3-D power-average (Lp) pooling, as ``torch.nn.functional.lp_pool3d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The input, floating-point; ``(N, D, H, W, C)`` or ``(D, H, W, C)``
        with ``data_format="channels_last"``.
    norm_type : float
        The p of the Lp norm, nonzero; ``inf`` is max pooling of ``|x|``.
    kernel_size : int or tuple of 3 ints
        The window's size.
    stride : int or tuple of 3 ints, optional
        The step between windows; default ``kernel_size``.
    ceil_mode : bool, default False
        Round the number of windows up instead of down (a last window must still start
        inside the input or the left padding).
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCDHW"``/``"NDHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out)
        ``(sum over the window of x**p) ** (1/p)``, computed as PyTorch does.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> lp_pool3d(x, 2, 2)
    array([[[[[11.83215957]]]]])
    """
    return lp_pool(x, norm_type, kernel_size, stride, ceil_mode, dims=3, data_format=data_format, method=method)


def adaptive_max_pool1d(x, output_size, return_indices=False, *, data_format="channels_first", method="auto"):
    """1-D adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool1d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, L) or (C, L)
        The input, floating-point; ``(N, L, C)`` or ``(L, C)``
        with ``data_format="channels_last"``.
    output_size : int, None or tuple of 1 ints or None
        The output's spatial size (None keeps that dimension). Window ``o`` of a dimension covers
        ``[floor(o*L/O), ceil((o+1)*L/O))``: windows vary in size and may overlap.
    return_indices : bool, default False
        Also return each output's flat index in its ``(n, c)`` plane.
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCW"``/``"NWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The largest element of each window, x's dtype and layout.
    indices : ndarray of int64, shape of y
        Only with ``return_indices=True``.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> adaptive_max_pool1d(x, 1)
    array([[[5.]]])
    >>> adaptive_max_pool1d(x, 4)
    array([[[3., 3., 5., 4.]]])
    """
    return adaptive_max_pool(x, output_size, return_indices, dims=1, data_format=data_format, method=method)


def adaptive_max_pool2d(x, output_size, return_indices=False, *, data_format="channels_first", method="auto"):
    """2-D adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The input, floating-point; ``(N, H, W, C)`` or ``(H, W, C)``
        with ``data_format="channels_last"``.
    output_size : int, None or tuple of 2 ints or None
        The output's spatial size (None keeps that dimension). Window ``o`` of a dimension covers
        ``[floor(o*L/O), ceil((o+1)*L/O))``: windows vary in size and may overlap.
    return_indices : bool, default False
        Also return each output's flat index in its ``(n, c)`` plane.
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCHW"``/``"NHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The largest element of each window, x's dtype and layout.
    indices : ndarray of int64, shape of y
        Only with ``return_indices=True``.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> adaptive_max_pool2d(x, 1)
    array([[[[15.]]]])
    """
    return adaptive_max_pool(x, output_size, return_indices, dims=2, data_format=data_format, method=method)


def adaptive_max_pool3d(x, output_size, return_indices=False, *, data_format="channels_first", method="auto"):
    """3-D adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool3d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The input, floating-point; ``(N, D, H, W, C)`` or ``(D, H, W, C)``
        with ``data_format="channels_last"``.
    output_size : int, None or tuple of 3 ints or None
        The output's spatial size (None keeps that dimension). Window ``o`` of a dimension covers
        ``[floor(o*L/O), ceil((o+1)*L/O))``: windows vary in size and may overlap.
    return_indices : bool, default False
        Also return each output's flat index in its ``(n, c)`` plane.
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCDHW"``/``"NDHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The largest element of each window, x's dtype and layout.
    indices : ndarray of int64, shape of y
        Only with ``return_indices=True``.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> adaptive_max_pool3d(x, 1)
    array([[[[[7.]]]]])
    """
    return adaptive_max_pool(x, output_size, return_indices, dims=3, data_format=data_format, method=method)


def adaptive_avg_pool1d(x, output_size, *, data_format="channels_first", method="auto"):
    """1-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool1d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, L) or (C, L)
        The input, floating-point; ``(N, L, C)`` or ``(L, C)``
        with ``data_format="channels_last"``.
    output_size : int, None or tuple of 1 ints or None
        The output's spatial size (None keeps that dimension). Window ``o`` of a dimension covers
        ``[floor(o*L/O), ceil((o+1)*L/O))``: windows vary in size and may overlap.
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCW"``/``"NWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The mean of each window, x's dtype and layout.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> adaptive_avg_pool1d(x, 1)
    array([[[2.5]]])
    >>> adaptive_avg_pool1d(x, 4)
    array([[[2. , 2.5, 4.5, 2. ]]])
    """
    return adaptive_avg_pool(x, output_size, dims=1, data_format=data_format, method=method)


def adaptive_avg_pool2d(x, output_size, *, data_format="channels_first", method="auto"):
    """2-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The input, floating-point; ``(N, H, W, C)`` or ``(H, W, C)``
        with ``data_format="channels_last"``.
    output_size : int, None or tuple of 2 ints or None
        The output's spatial size (None keeps that dimension). Window ``o`` of a dimension covers
        ``[floor(o*L/O), ceil((o+1)*L/O))``: windows vary in size and may overlap.
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCHW"``/``"NHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The mean of each window, x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> adaptive_avg_pool2d(x, 1)
    array([[[[7.5]]]])
    """
    return adaptive_avg_pool(x, output_size, dims=2, data_format=data_format, method=method)


def adaptive_avg_pool3d(x, output_size, *, data_format="channels_first", method="auto"):
    """3-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool3d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The input, floating-point; ``(N, D, H, W, C)`` or ``(D, H, W, C)``
        with ``data_format="channels_last"``.
    output_size : int, None or tuple of 3 ints or None
        The output's spatial size (None keeps that dimension). Window ``o`` of a dimension covers
        ``[floor(o*L/O), ceil((o+1)*L/O))``: windows vary in size and may overlap.
    data_format : str, default "channels_first"
        ``"channels_first"`` (PyTorch's layout) or ``"channels_last"`` (TensorFlow's); the names
        ``"NCDHW"``/``"NDHWC"`` are accepted too.
    method : str, default "auto"
        The engine: ``"naive"``, ``"im2col"``, ``"windows"``, ``"separable"``, ``"numba"`` or ``"auto"``
        (:data:`poolkit.plan.METHODS`); all give the same result.

    Returns
    -------
    y : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The mean of each window, x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> adaptive_avg_pool3d(x, 1)
    array([[[[[3.5]]]]])
    """
    return adaptive_avg_pool(x, output_size, dims=3, data_format=data_format, method=method)


def max_unpool1d(x, indices, kernel_size, stride=None, padding=0, output_size=None, *, data_format="channels_first"):
    """1-D max unpooling, a partial inverse of :func:`max_pool1d`, as ``torch.nn.functional.max_unpool1d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, L) or (C, L)
        Pooled values (channels-last with ``data_format``).
    indices : ndarray of ints, shape of x
        Their flat indices in each output plane, as ``max_pool1d(..., return_indices=True)`` returns.
    kernel_size, stride, padding : int or tuple of 1 int
        The forward pooling's; ``stride`` defaults to ``kernel_size``.
    output_size : tuple of 1 or 3 ints, optional
        The output's size, strictly within ``stride`` of the default ``(L - 1)*s - 2p + k``.
    data_format : str, default "channels_first"
        As :func:`max_pool1d`.

    Returns
    -------
    y : ndarray, shape (N, C, *output_size)
        Zeros, with each value of x written at its index.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> y, i = max_pool1d(x, 2, return_indices=True)
    >>> max_unpool1d(y, i, 2)
    array([[[0., 3., 0., 5., 4., 0.]]])
    """
    return max_unpool(x, indices, kernel_size, stride, padding, output_size, dims=1, data_format=data_format)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None, *, data_format="channels_first"):
    """2-D max unpooling, a partial inverse of :func:`max_pool2d`, as ``torch.nn.functional.max_unpool2d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        Pooled values (channels-last with ``data_format``).
    indices : ndarray of ints, shape of x
        Their flat indices in each output plane, as ``max_pool2d(..., return_indices=True)`` returns.
    kernel_size, stride, padding : int or tuple of 2 ints
        The forward pooling's; ``stride`` defaults to ``kernel_size``.
    output_size : tuple of 2 or 4 ints, optional
        The output's size, strictly within ``stride`` of the default ``(L - 1)*s - 2p + k``.
    data_format : str, default "channels_first"
        As :func:`max_pool2d`.

    Returns
    -------
    y : ndarray, shape (N, C, *output_size)
        Zeros, with each value of x written at its index.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> y, i = max_pool2d(x, 2, return_indices=True)
    >>> max_unpool2d(y, i, 2)
    array([[[[ 0.,  0.,  0.,  0.],
             [ 0.,  5.,  0.,  7.],
             [ 0.,  0.,  0.,  0.],
             [ 0., 13.,  0., 15.]]]])
    """
    return max_unpool(x, indices, kernel_size, stride, padding, output_size, dims=2, data_format=data_format)


def max_unpool3d(x, indices, kernel_size, stride=None, padding=0, output_size=None, *, data_format="channels_first"):
    """3-D max unpooling, a partial inverse of :func:`max_pool3d`, as ``torch.nn.functional.max_unpool3d``.

    Parameters
    ----------
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        Pooled values (channels-last with ``data_format``).
    indices : ndarray of ints, shape of x
        Their flat indices in each output plane, as ``max_pool3d(..., return_indices=True)`` returns.
    kernel_size, stride, padding : int or tuple of 3 ints
        The forward pooling's; ``stride`` defaults to ``kernel_size``.
    output_size : tuple of 3 or 5 ints, optional
        The output's size, strictly within ``stride`` of the default ``(L - 1)*s - 2p + k``.
    data_format : str, default "channels_first"
        As :func:`max_pool3d`.

    Returns
    -------
    y : ndarray, shape (N, C, *output_size)
        Zeros, with each value of x written at its index.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> y, i = max_pool3d(x, 2, return_indices=True)
    >>> max_unpool3d(y, i, 2)
    array([[[[[0., 0.],
              [0., 0.]],
    <BLANKLINE>
             [[0., 0.],
              [0., 7.]]]]])
    """
    return max_unpool(x, indices, kernel_size, stride, padding, output_size, dims=3, data_format=data_format)


__all__ += [f"{name}{d}d" for name in ("max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool",
                                        "adaptive_avg_pool", "max_unpool") for d in (1, 2, 3)]
