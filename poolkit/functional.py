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

import numpy as np

from . import plan
from .geometry import to_tuple
from .plan import METHODS

__all__ = [
    "max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool",
    "max_unpool", "max_pool_with_argmax", "plane_indices", "METHODS",
]

def _extreme_pool(mode, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                  dims, data_format, method, fname):
    p = plan.max_min(x, kernel_size, stride, padding, dilation, ceil_mode, dims=dims, data_format=data_format,
                     fname=fname)
    if not (isinstance(return_indices, str) and return_indices == "positions"):
        if not isinstance(return_indices, (bool, np.bool_)):
            raise TypeError(f"return_indices={return_indices!r} must be True, False or 'positions'")
        return_indices = bool(return_indices)
    return _extreme(mode, p, return_indices, method)


def plane_indices(positions, x, *, dims, data_format="channels_first"):
    """Positions in ``x`` (``return_indices="positions"``) -> the indices in each ``(n, c)``
    plane that ``return_indices=True`` gives, shaped (and laid out) like ``positions``."""
    inp = plan.Input(x, dims, data_format, "plane_indices", kinds="fiu")
    pos = plan.Input(positions, dims, data_format, "plane_indices", kinds="i", what="positions")
    if pos.batched != inp.batched or pos.x.shape[:2] != inp.x.shape[:2]:
        raise ValueError(f"positions has shape {np.shape(positions)}: it must have the batch and channel sizes "
                         f"of x, whose shape is {np.shape(x)}")
    if pos.x.size and (pos.x.min() < 0 or pos.x.max() >= inp.x.size):
        bad = pos.x.min() if pos.x.min() < 0 else pos.x.max()
        raise ValueError(f"positions contains {bad}, outside [0, {inp.x.size}): positions must be those the "
                         "forward pass returned with return_indices='positions' for this x")
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
    p = plan.average(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims=dims,
                     data_format=data_format, fname=f"avg_pool{dims}d")
    return p.restore(plan.mean(p, method))


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
    spatial = plan.SPATIAL[dims]
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
