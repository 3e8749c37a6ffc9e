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

import functools
import inspect
import numbers

import numpy as np

from . import compiled as _compiled
from . import im2col as _im2col
from . import naive as _naive
from . import separable as _separable
from . import windows as _windows
from .geometry import Axis, _show, build_axes, to_tuple
from .reduction import sum_dtype

__all__ = [
    "max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool",
    "max_unpool", "max_pool_with_argmax", "plane_indices", "METHODS",
]

METHODS = {"naive": _naive, "im2col": _im2col, "windows": _windows, "separable": _separable, "numba": _compiled}
"""The implementations ``method=`` selects; ``"auto"`` picks the fastest that never copies windows."""

_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}
_FIRST = {"channels_first", "NCW", "NCHW", "NCDHW"}
_LAST = {"channels_last", "NWC", "NHWC", "NDHWC"}
_NAMED = {"NCW": 1, "NWC": 1, "NCHW": 2, "NHWC": 2, "NCDHW": 3, "NDHWC": 3}


def _engine(method):
    if method == "auto":
        return _separable
    try:
        return METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(f"method={method!r} must be 'auto' or one of {sorted(METHODS)}") from None


class _Input:
    """An input brought to ``(N, C, *spatial)``, and the way back to the caller's layout."""

    def __init__(self, x, dims, data_format, fname, kinds, what="x"):
        if data_format not in _FIRST | _LAST:
            raise ValueError(f"data_format={data_format!r} must be 'channels_first' or 'channels_last' "
                             f"(or one of {sorted(_NAMED)})")
        if _NAMED.get(data_format, dims) != dims:
            raise ValueError(f"data_format={data_format!r} describes {_NAMED[data_format]}-D data; "
                             f"{fname} pools {dims}-D data")
        self.last = data_format in _LAST
        x = np.asarray(x)
        if x.dtype.kind not in kinds:
            need = {"f": "a floating-point", "iu": "an integer", "i": "a signed integer"}.get(
                kinds, "a floating-point or integer")
            raise TypeError(f"{what} has dtype {x.dtype}; {fname} needs {need} array")
        spatial = _SPATIAL[dims]
        layout = f"(N, {spatial}, C) or ({spatial}, C)" if self.last else f"(N, C, {spatial}) or (C, {spatial})"
        if x.ndim not in (dims + 1, dims + 2):
            raise ValueError(f"{what} has shape {x.shape}; {fname} expects {dims + 2}-D {layout[:layout.index(' or')]} "
                             f"or unbatched {dims + 1}-D {layout[layout.index('or ') + 3:]}")
        self.batched = x.ndim == dims + 2
        if not self.batched:
            x = x[None]
        if self.last:
            x = np.moveaxis(x, -1, 1)
        self.x = x
        self.spatial = x.shape[2:]

    def restore(self, y):
        """``(N, C, *O)`` back to the caller's layout and batching."""
        if self.last:
            y = np.moveaxis(y, 1, -1)
        return y if self.batched else y[0]


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


# ---------------------------------------------------------------- max and min
def _extreme_plan(x, kernel_size, stride, padding, dilation, ceil_mode, dims, data_format, fname, kinds="fiu"):
    """Validate a max/min pooling call: ``(_Input, axes)``, shared by the forward and backward passes."""
    inp = _Input(x, dims, data_format, fname, kinds=kinds)
    axes = build_axes(inp.spatial, kernel_size, stride, padding, dilation,
                      _check_bool(ceil_mode, "ceil_mode"), n=dims)
    return inp, axes


def _extreme_pool(mode, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                  dims, data_format, method, fname):
    inp, axes = _extreme_plan(x, kernel_size, stride, padding, dilation, ceil_mode, dims, data_format, fname)
    if not (isinstance(return_indices, str) and return_indices == "positions"):
        if not isinstance(return_indices, (bool, np.bool_)):
            raise TypeError(f"return_indices={return_indices!r} must be True, False or 'positions'")
        return_indices = bool(return_indices)
    return _extreme(mode, inp, axes, return_indices, method)


def plane_indices(positions, x, *, dims, data_format="channels_first"):
    """Positions in ``x`` (``return_indices="positions"``) -> the indices in each ``(n, c)``
    plane that ``return_indices=True`` gives, shaped (and laid out) like ``positions``."""
    inp = _Input(x, dims, data_format, "plane_indices", kinds="fiu")
    pos = _Input(positions, dims, data_format, "plane_indices", kinds="i", what="positions")
    if pos.batched != inp.batched or pos.x.shape[:2] != inp.x.shape[:2]:
        raise ValueError(f"positions has shape {np.shape(positions)}: it must have the batch and channel sizes "
                         f"of x, whose shape is {np.shape(x)}")
    if pos.x.size and (pos.x.min() < 0 or pos.x.max() >= inp.x.size):
        bad = pos.x.min() if pos.x.min() < 0 else pos.x.max()
        raise ValueError(f"positions contains {bad}, outside [0, {inp.x.size}): positions must be those the "
                         "forward pass returned with return_indices='positions' for this x")
    plane, C = int(np.prod(inp.spatial)), inp.x.shape[1]
    return inp.restore(pos.x // C % plane if inp.last else pos.x % plane)


def _extreme_nc(mode, inp, axes, return_indices, method):
    """Values and indices (None unless asked for) of shape ``(N, C, *O)``, by the chosen method.
    ``return_indices="positions"``: flat positions in ``x`` (in the caller's layout) instead of
    indices (what the layers cache, :func:`poolkit.separable.positions`)."""
    engine = _engine(method)
    if any(a.out == 0 for a in axes):
        shape = inp.x.shape[:2] + tuple(a.out for a in axes)
        return np.empty(shape, inp.x.dtype), np.empty(shape, np.int64)
    if return_indices == "positions":
        # Positions in x as the caller lays it out (data_format), whatever its strides: the fast
        # path makes them in memory order, which is that layout for contiguous input.
        if engine in (_separable, _compiled) and _separable._channels_last(inp.x) == inp.last:
            return engine.extreme(inp.x, axes, mode, "positions")
        values, indices = engine.extreme(inp.x, axes, mode, True)
        return values, _separable.positions(indices, int(np.prod(inp.spatial)), inp.last)
    return engine.extreme(inp.x, axes, mode, return_indices)


def _extreme(mode, inp, axes, return_indices, method):
    values, indices = _extreme_nc(mode, inp, axes, return_indices, method)
    if return_indices:
        return inp.restore(values), inp.restore(indices)
    return inp.restore(values)


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
    ``return_indices="positions"`` gives, instead of the indices, the flat position of
    each picked element in ``x`` as ``data_format`` lays it out (C order of ``(N, C, *L)``,
    or of ``(N, *L, C)`` for channels-last): what the layers cache, so that the backward
    pass (``positions=``) scatters with no conversion. :func:`plane_indices` turns
    positions back into indices.

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
def _divide(sums, divisor, dtype):
    """``sums / divisor`` cast to ``dtype``; integers truncate toward zero, as C++ (and PyTorch) do."""
    if sums.dtype.kind == "f":
        return (sums / np.asarray(divisor, dtype=sums.dtype)).astype(dtype, copy=False)
    quotient = sums // divisor
    quotient += (quotient < 0) & (quotient * divisor != sums)
    return quotient.astype(dtype, copy=False)


def _mean(method, inp, axes, divisor):
    """Window sums divided by ``divisor``, ``(N, C, *O)``, with IEEE results and no warnings
    (inf + -inf is NaN and float16 may overflow to inf, as in PyTorch). The separable
    engine divides float32/float64 sums chunk by chunk, while they are in cache."""
    engine = _engine(method)
    with np.errstate(invalid="ignore", over="ignore"):
        if engine is _separable and sum_dtype(inp.x.dtype) == inp.x.dtype and inp.x.dtype.kind == "f":
            return engine.window_sum(inp.x, axes, divisor=divisor)
        if engine is _compiled:                          # divides inside the kernel, any dtype
            return engine.window_sum(inp.x, axes, divisor=divisor)
        return _divide(engine.window_sum(inp.x, axes), divisor, inp.x.dtype)


def _counts(axes, table):
    """Product over dims of per-window counts (``table`` = ``"valid"`` or ``"counted"``), shape ``(*O,)``.

    When every window has the same count (no window cut short), a read-only broadcast of that
    number: no memory as large as the output."""
    per_dim = [getattr(a, table).sum(axis=1) for a in axes]
    shape = [a.out for a in axes]
    if all(c.size == 0 or (c == c[0]).all() for c in per_dim):
        return np.broadcast_to(np.int64(np.prod([c[0] if c.size else 1 for c in per_dim])), shape)
    total = np.ones(shape, dtype=np.int64)
    for i, c in enumerate(per_dim):
        view = [1] * len(axes)
        view[i] = c.size
        total = total * c.reshape(view)
    return total


def avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=None,
             divisor_override=None, *, dims, data_format="channels_first", method="auto"):
    r"""Average pooling over ``dims`` spatial dimensions.

    ``x``: ``(N, C, *L)`` or ``(C, *L)``; returns ``(N, C, *O)``, the sum of each
    window's real elements divided by

    - ``divisor_override`` if given (any nonzero int);
    - else, with ``count_include_pad`` (the default for integer padding), the
      number of taps inside the padded input ``[-p, L + p)``: the full ``k`` for
      every window except a ceil_mode window hanging past the padding;
    - else (``count_include_pad=False``, and always for ``padding="same"``, as
      TensorFlow) the number of real elements in the window.

    ``count_include_pad=None`` means True for integer padding and False for
    ``"same"``/``"valid"``. Integer inputs are summed in int64 and divided with
    truncation toward zero, as PyTorch; float16 is summed in float32.
    """
    inp, axes, divisor = _avg_plan(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                                   dims, data_format, f"avg_pool{dims}d")
    return inp.restore(_mean(method, inp, axes, divisor))


def _avg_plan(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims, data_format,
              fname, kinds="fiu"):
    """Validate an average pooling call: ``(_Input, axes, divisor)``, shared by the forward and backward passes.

    ``divisor`` is ``divisor_override`` (an int) or an int64 array of shape ``(*O,)``.
    """
    inp = _Input(x, dims, data_format, fname, kinds=kinds)
    if isinstance(padding, str):
        if count_include_pad:
            raise ValueError(f"count_include_pad={count_include_pad!r} is a PyTorch option; padding={padding!r} "
                             "averages over real elements only, as TensorFlow (leave count_include_pad unset)")
        if divisor_override is not None:
            raise ValueError(f"divisor_override={divisor_override!r} is a PyTorch option and cannot be combined "
                             f"with padding={padding!r}")
        count_include_pad = False
    elif count_include_pad is None:
        count_include_pad = True
    count_include_pad = _check_bool(count_include_pad, "count_include_pad")
    axes = build_axes(inp.spatial, kernel_size, stride, padding, 1, _check_bool(ceil_mode, "ceil_mode"), n=dims)
    if divisor_override is None:
        divisor = _counts(axes, "counted" if count_include_pad else "valid")
    elif not isinstance(divisor_override, numbers.Integral) or isinstance(divisor_override, bool):
        raise TypeError(f"divisor_override={divisor_override!r} must be an int")
    elif divisor_override == 0:
        raise ValueError("divisor_override=0 must be nonzero")
    else:
        divisor = int(divisor_override)
    return inp, axes, divisor


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
    _Input(x, dims, data_format, f"lp_pool{dims}d", kinds="f")  # validates before any arithmetic
    _check_norm_type(norm_type)
    x = np.asarray(x)
    common = dict(dims=dims, data_format=data_format, method=method)
    if np.isinf(norm_type):
        sign = 1 if norm_type > 0 else -1
        return sign * max_pool(sign * np.abs(x), kernel_size, stride, 0, 1, ceil_mode, **common)
    k = to_tuple(kernel_size, dims, "kernel_size", minimum=1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a = avg_pool(x ** norm_type, kernel_size, stride, 0, ceil_mode, True, **common)
        return ((np.sign(a) * np.maximum(np.abs(a), 0)) * int(np.prod(k))) ** (1.0 / norm_type)


def _check_norm_type(norm_type):
    if not isinstance(norm_type, numbers.Real) or isinstance(norm_type, bool) or norm_type == 0 \
            or np.isnan(norm_type):
        raise ValueError(f"norm_type={norm_type!r} must be a nonzero number (the p of the Lp norm)")
    return norm_type


# ---------------------------------------------------------------- adaptive
def _adaptive_axes(inp, output_size, dims):
    if output_size is None or isinstance(output_size, numbers.Integral):
        output_size = (output_size,) * dims
    if not isinstance(output_size, (tuple, list)) or len(output_size) != dims:
        raise ValueError(f"output_size={_show(output_size)} must be an int or a sequence of {dims} ints or None")
    sizes = []
    for o, L in zip(output_size, inp.spatial):
        if o is None:
            o = L
        elif not isinstance(o, numbers.Integral) or isinstance(o, bool):
            raise TypeError(f"output_size={_show(output_size)} must contain ints or None, got {o!r}")
        elif o < 0:
            raise ValueError(f"output_size={_show(output_size)} must be non-negative, got {o}")
        if L < 1:
            raise ValueError(f"input has spatial shape {inp.spatial}; every spatial dimension must be at least 1")
        sizes.append(int(o))
    return tuple(Axis.adaptive(L, o) for L, o in zip(inp.spatial, sizes))


def adaptive_max_pool(x, output_size, return_indices=False, *, dims, data_format="channels_first",
                      method="auto"):
    """Adaptive max pooling: ``(N, C, *L) -> (N, C, *output_size)``.

    Window ``o`` of a dimension covers ``[floor(o*L/O), ceil((o+1)*L/O))``, so windows
    overlap and vary in size when ``O`` does not divide ``L``. ``None`` in
    ``output_size`` keeps that dimension. Ties, NaN and indices as :func:`max_pool`.
    """
    inp = _Input(x, dims, data_format, f"adaptive_max_pool{dims}d", kinds="f")
    return _extreme("max", inp, _adaptive_axes(inp, output_size, dims),
                    _check_bool(return_indices, "return_indices"), method)


def adaptive_avg_pool(x, output_size, *, dims, data_format="channels_first", method="auto"):
    """Adaptive average pooling: ``(N, C, *L) -> (N, C, *output_size)``, each window's mean
    (windows as :func:`adaptive_max_pool`). ``output_size=1`` is global average pooling."""
    inp = _Input(x, dims, data_format, f"adaptive_avg_pool{dims}d", kinds="f")
    axes = _adaptive_axes(inp, output_size, dims)
    if any(a.out == 0 for a in axes):
        return inp.restore(np.empty(inp.x.shape[:2] + tuple(a.out for a in axes), inp.x.dtype))
    return inp.restore(_mean(method, inp, axes, _counts(axes, "valid")))


# ---------------------------------------------------------------- unpooling
def max_unpool(x, indices, kernel_size, stride=None, padding=0, output_size=None, *, dims,
               data_format="channels_first"):
    """Partial inverse of :func:`max_pool`: put each value back where ``indices`` says, zeros elsewhere.

    ``x`` and ``indices``: ``(N, C, *L)`` or ``(C, *L)``, as returned by
    ``max_pool(..., return_indices=True)``. The output has spatial size
    ``(L - 1) * s - 2p + k`` per dimension, or ``output_size`` (its spatial part, or
    all ``dims + 2`` entries), which must lie strictly within ``stride`` of that default.
    """
    inp, flat, size = _unpool_plan(x, indices, kernel_size, stride, padding, output_size, dims, data_format,
                                   f"max_unpool{dims}d")
    out = np.zeros(inp.x.shape[:2] + (int(np.prod(size)),), dtype=inp.x.dtype)
    n, c = np.indices(flat.shape[:2], sparse=True)
    out[n[..., None], c[..., None], flat] = inp.x.reshape(flat.shape)
    return inp.restore(out.reshape(inp.x.shape[:2] + size))


def _unpool_plan(x, indices, kernel_size, stride, padding, output_size, dims, data_format, fname, kinds="fiu"):
    """Validate a max_unpool call: ``(_Input, flat, size)``, shared by the forward and backward passes.

    ``flat``: int64 indices of shape ``(N, C, prod(L))`` into each output plane; ``size``: the
    output's spatial shape.
    """
    inp = _Input(x, dims, data_format, fname, kinds=kinds)
    idx = _Input(indices, dims, data_format, fname, kinds="iu", what="indices")
    if idx.x.shape != inp.x.shape:
        raise ValueError(f"indices has shape {np.shape(indices)} but x has shape {np.shape(x)}; they must match")
    k = to_tuple(kernel_size, dims, "kernel_size", minimum=1)
    s = k if stride is None else to_tuple(stride, dims, "stride", minimum=1)
    p = to_tuple(padding, dims, "padding", minimum=0)
    default = tuple((L - 1) * si - 2 * pi + ki for L, ki, si, pi in zip(inp.spatial, k, s, p))
    if output_size is None:
        size = default
        if min(size) < 1:
            raise ValueError(f"output size would be {size}: padding={_show(padding)} is too large for "
                             f"kernel_size={_show(kernel_size)} and stride={_show(stride)}")
    else:
        if not isinstance(output_size, (tuple, list, np.ndarray)):
            raise TypeError(f"output_size={_show(output_size)} must be a sequence of {dims} or {dims + 2} ints")
        size = tuple(output_size)
        if len(size) == dims + 2:
            size = size[2:] if not inp.last else size[1:-1]
        if len(size) != dims or not all(isinstance(v, numbers.Integral) for v in size):
            raise ValueError(f"output_size={_show(output_size)} must hold {dims} or {dims + 2} ints")
        for i, (v, dflt, si) in enumerate(zip(size, default, s)):
            if not dflt - si < v < dflt + si:
                raise ValueError(f"output_size={_show(output_size)} must be within stride of the default size "
                                 f"{default} (dimension {i}: strictly between {dflt - si} and {dflt + si})")
    plane = int(np.prod(size))
    flat = idx.x.reshape(idx.x.shape[:2] + (int(np.prod(idx.spatial)),)).astype(np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= plane):
        bad = flat.min() if flat.min() < 0 else flat.max()
        raise ValueError(f"indices contains {bad}, outside [0, {plane}): the flat positions of the "
                         f"{'x'.join(map(str, size))} output plane")
    return inp, flat, size


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
    x, k, s, padding = _argmax_args(x, ksize, strides, padding, "max_pool_with_argmax")
    values, spatial = max_pool(x, k, s, padding, return_indices=True, dims=2, data_format="NHWC")
    n, h, w, c = x.shape
    argmax = spatial * c + np.arange(c)
    if _check_bool(include_batch_in_index, "include_batch_in_index"):
        argmax += np.arange(n).reshape(n, 1, 1, 1) * (h * w * c)
    return values, argmax


def _argmax_args(x, ksize, strides, padding, fname):
    """Validate :func:`max_pool_with_argmax`'s arguments: ``(x, kernel_size, stride, padding)`` in max_pool's terms."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x has shape {x.shape}; {fname} expects 4-D (N, H, W, C)")
    if x.dtype.kind not in "fiu":
        raise TypeError(f"x has dtype {x.dtype}; {fname} needs a floating-point or integer array")
    k, s = (_tf_window(v, name) for v, name in ((ksize, "ksize"), (strides, "strides")))
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding={padding!r} must be 'SAME' or 'VALID'")
    return x, k, s, padding.lower()


def _tf_window(value, name):
    """TensorFlow's ``ksize``/``strides``: an int, ``[kh, kw]`` or ``[1, kh, kw, 1]``."""
    if isinstance(value, (list, tuple)) and len(value) == 4:
        if value[0] != 1 or value[3] != 1:
            raise ValueError(f"{name}={_show(value)} must be 1 in the batch and channel entries "
                             "(pooling across them is not supported)")
        value = value[1:3]
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return to_tuple(value, 2, name, minimum=1)


# ---------------------------------------------------------------- 1-D, 2-D, 3-D names
def _with_dims(generic, dims, name=None):
    """``max_pool`` -> ``max_pool2d``: the generic function with ``dims`` fixed (named ``name``
    if given, e.g. ``max_pool2d_backward``)."""
    sig = inspect.signature(generic)

    @functools.wraps(generic)
    def pool(*args, **kwargs):
        return generic(*args, dims=dims, **kwargs)

    del pool.__wrapped__
    pool.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "dims"])
    pool.__name__ = pool.__qualname__ = name or f"{generic.__name__}{dims}d"
    spatial = _SPATIAL[dims]
    pool.__doc__ = (f"{dims}-D :func:`{generic.__name__}`: input ``(N, C, {spatial})`` or ``(C, {spatial})`` "
                    f"(``(N, {spatial}, C)`` with ``data_format='channels_last'``).\n\n" + inspect.getdoc(generic))
    return pool


max_pool1d, max_pool2d, max_pool3d = (_with_dims(max_pool, d) for d in (1, 2, 3))
min_pool1d, min_pool2d, min_pool3d = (_with_dims(min_pool, d) for d in (1, 2, 3))
avg_pool1d, avg_pool2d, avg_pool3d = (_with_dims(avg_pool, d) for d in (1, 2, 3))
lp_pool1d, lp_pool2d, lp_pool3d = (_with_dims(lp_pool, d) for d in (1, 2, 3))
adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d = (_with_dims(adaptive_max_pool, d) for d in (1, 2, 3))
adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d = (_with_dims(adaptive_avg_pool, d) for d in (1, 2, 3))
max_unpool1d, max_unpool2d, max_unpool3d = (_with_dims(max_unpool, d) for d in (1, 2, 3))

__all__ += [f"{name}{d}d" for name in ("max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool",
                                        "adaptive_avg_pool", "max_unpool") for d in (1, 2, 3)]
