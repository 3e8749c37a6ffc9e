"""``method="numba"``: pooling as compiled, multi-threaded loops (chapter 11).

numpy pays one pass over memory per operation; a compiled loop reads each input
element once, keeps the running max or sum in registers, and writes each output
once. The loops themselves are in :mod:`poolkit._kernels` (numba ``@njit(parallel=True,
cache=True)``), imported only when this method is asked for; this module is the thin
adapter between them and poolkit's engines, with the same four operations:

- :func:`extreme`: max or min of each window, with first-tap tie and NaN rules and
  (optionally) the indices, bit for bit as :mod:`poolkit.reduction` says;
- :func:`window_sum`: sums in :func:`~poolkit.reduction.sum_dtype`, divided inside the
  kernel when a ``divisor`` is given (an average in one pass);
- :func:`route`: the max/min backward, and :func:`spread`: the average backward. Both
  *gather*: each thread owns a band of rows of the gradient and, for each of its
  elements, adds the gradients of the windows that contain it, in increasing output
  order. No two threads write the same element, so no atomics are needed, and the sums
  run in PyTorch's order (bit-exact).

Layouts: channels-first data runs as ``(N*C, D, H, W)`` planes, a thread per block of
output rows, the inner loop along W; channels-last data (``(N, D, H, W, C)`` in memory)
runs with the inner loop along C. 1-D and 2-D pooling are 3-D pooling with singleton
dimensions. float16 is computed in float32 and rounded back (exact for max/min, PyTorch's
own accumulation for averages). Adaptive (irregular) windows use :mod:`poolkit.windows`.

Install with ``pip install poolkit[kernels]`` (numba). Threads: ``numba.set_num_threads``.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from . import windows
from .reduction import fill_value, sum_dtype

__all__ = ["extreme", "window_sum", "route", "spread", "kernels", "available"]

INSTALL = "pip install poolkit[kernels]"


def kernels():
    """The compiled kernels module (imports numba); a clear ImportError if numba is missing."""
    try:
        from . import _kernels
    except ImportError as err:
        if "numba" not in str(err) and "llvmlite" not in str(err):
            raise
        raise ImportError(f"method='numba' needs numba, which is not installed: {INSTALL} "
                          f"(or pip install numba). ({err})") from None
    return _kernels


def available():
    """Is numba importable (without importing it)?"""
    import importlib.util
    return importlib.util.find_spec("numba") is not None


def threads():
    """How many threads the kernels use (numba's setting)."""
    import numba
    return numba.get_num_threads()


# ---------------------------------------------------------------- geometry
class _Dim:
    """One spatial dimension, padded to 3-D with singletons: ``size, out, k, s, d, start``."""

    def __init__(self, size=1, out=1, k=1, s=1, d=1, start=0):
        self.size, self.out, self.k, self.s, self.d, self.start = size, out, k, s, d, start

    @classmethod
    def of(cls, axis):
        return cls(axis.size, axis.out, axis.taps, axis.stride, axis.dilation, axis.start)


@functools.lru_cache(maxsize=256)
def _tables(size, out, k, s, d, start):
    """Per-output tap ranges, per-tap output ranges and per-input output ranges (int64)."""
    o = np.arange(out)
    first = o * s + start                                       # tap 0's position
    # taps t with 0 <= first + t*d < size
    tlo = np.clip(-(first // d), 0, k)                          # ceil(-first / d)
    thi = np.clip((size - 1 - first) // d + 1, 0, k)
    tlo = np.minimum(tlo, thi)
    t = np.arange(k)
    off = start + t * d                                         # position of tap t of output 0
    jlo = np.clip(-(off // s), 0, out)                          # ceil(-off / s)
    jhi = np.clip((size - 1 - off) // s + 1, 0, out)
    jlo = np.minimum(jlo, jhi)
    i = np.arange(size)
    olo = np.clip(-((start + (k - 1) * d - i) // s), 0, out)   # ceil((i - start - (k-1)d) / s)
    ohi = np.clip((i - start) // s + 1, 0, out)
    olo = np.minimum(olo, ohi)
    return tuple(a.astype(np.int64) for a in (tlo, thi, off, jlo, jhi, olo, ohi))


def _dims(axes):
    dims = [_Dim()] * (3 - len(axes)) + [_Dim.of(a) for a in axes]
    return dims, [_tables(m.size, m.out, m.k, m.s, m.d, m.start) for m in dims]


def _geo(dims, last):
    d, h, w = dims
    geo = [d.s, d.start, d.d, h.s, h.start, h.d, w.s] + ([w.start, w.d] if last else [])
    return np.array(geo, dtype=np.int64)


def _shp(shape3d, dims, last):
    """The kernels' shape vector: ``[P, D, H, W, OD, OH, OW]`` (``+ [C]`` channels-last)."""
    spatial = list(shape3d[1:4])
    return np.array([shape3d[0]] + spatial + [m.out for m in dims] + ([shape3d[4]] if last else []), np.int64)


def _channels_last(x):
    return x.ndim > 2 and np.moveaxis(x, 1, -1).flags.c_contiguous and not x.flags.c_contiguous


def _as3d(x, last, spatial_dims):
    """``(N, C, *L)`` -> ``(P, D, H, W)`` C-contiguous, or ``(N, D, H, W, C)`` if ``last``."""
    N, C = x.shape[:2]
    pad = (1,) * (3 - spatial_dims)
    if last:
        m = np.ascontiguousarray(np.moveaxis(x, 1, -1))
        return m.reshape((N,) + pad + x.shape[2:] + (C,))
    return np.ascontiguousarray(x).reshape((N * C,) + pad + x.shape[2:])


def _back(a, shape_nc, last, spatial_dims):
    """``(P, OD, OH, OW)`` or ``(N, OD, OH, OW, C)`` -> ``(N, C, *O)`` (a view in that memory)."""
    N, C = shape_nc
    if last:
        a = a.reshape((N,) + a.shape[4 - spatial_dims:4] + (C,))
        return np.moveaxis(a, -1, 1)
    return a.reshape((N, C) + a.shape[4 - spatial_dims:])


def _work_dtype(dtype):
    """float16 is computed in float32."""
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


def _chunks(rows):
    return max(1, min(rows, 16 * threads()))


# ---------------------------------------------------------------- the four operations
def extreme(x, axes, mode="max", return_indices=True):
    """Max (``mode="max"``) or min of each window: ``(N, C, *L) -> (N, C, *O)`` values and
    int64 flat indices in each plane (None unless ``return_indices``); with
    ``return_indices="positions"``, the flat positions in ``x``'s memory instead (channels-
    last memory: positions in ``(N, *L, C)``), what a layer caches for its backward pass."""
    if not all(a.regular for a in axes):
        values, indices = windows.extreme(x, axes, mode, bool(return_indices))
        if return_indices == "positions":
            from .separable import positions as to_positions
            indices = to_positions(indices, math.prod(x.shape[2:]), _channels_last(x))
        return values, indices
    K = kernels()
    last = _channels_last(x)
    dtype = x.dtype
    xm = _as3d(x, last, len(axes))
    if dtype == np.float16:
        xm = xm.astype(np.float32)
    dims, tabs = _dims(axes)
    with_idx = bool(return_indices)
    positions = return_indices == "positions"
    out_shape = (xm.shape[0], dims[0].out, dims[1].out, dims[2].out) + ((xm.shape[4],) if last else ())
    out = np.empty(out_shape, xm.dtype)
    idx = np.empty(out_shape if with_idx else (1,) * len(out_shape), np.int64)
    fill = fill_value(xm.dtype, mode)
    (tlo_d, thi_d, *_), (tlo_h, thi_h, *_), (tlo_w, thi_w, off_w, jlo_w, jhi_w, *_) = tabs
    shp = _shp(xm.shape, dims, last)
    signed = np.dtype(f"i{xm.dtype.itemsize}")
    xs = (xm.reshape(-1), xm.reshape(-1).view(signed), signed.type(1))
    if last:
        K.EXTREME_CL[(mode == "max", with_idx)](*xs, out.reshape(-1), idx.reshape(-1), fill, shp,
                                                tlo_d, thi_d, tlo_h, thi_h, tlo_w, thi_w, _geo(dims, True), positions,
                                                _chunks(out_shape[0] * out_shape[1] * out_shape[2]))
    else:
        K.EXTREME_CF[(mode == "max", with_idx)](*xs, out.reshape(-1), idx.reshape(-1), fill, shp,
                                                tlo_d, thi_d, tlo_h, thi_h, _geo(dims, False), off_w, jlo_w, jhi_w,
                                                1 if positions else 0, _chunks(out_shape[0] * out_shape[1] * out_shape[2]))
    values = _back(out, x.shape[:2], last, len(axes)).astype(dtype, copy=False)
    return values, (_back(idx, x.shape[:2], last, len(axes)) if with_idx else None)


def _count_tables(axes, divisor, dims, acc):
    """Per-dimension divisor factors ``(cnt_d, cnt_h, cnt_w)`` in the accumulator dtype, such
    that ``divisor[o] = cnt_d[od] * cnt_h[oh] * cnt_w[ow]``; None if ``divisor`` is not such a
    product (then the caller divides afterwards)."""
    ones = [np.ones(m.out, acc) for m in dims]
    if divisor is None:
        return ones
    d = np.asarray(divisor)
    if d.ndim == 0 or not any(d.strides):                      # one number for every window
        ones[0] = np.full(dims[0].out, d.reshape(-1)[0] if d.size else 1, acc)
        return ones
    for table in ("counted", "valid"):
        per = [getattr(a, table).sum(axis=1) for a in axes]
        if math.prod(len(c) for c in per) == d.size and np.array_equal(
                functools.reduce(np.multiply.outer, per).reshape(d.shape), d):
            return ones[:3 - len(axes)] + [c.astype(acc) for c in per]
    return None


def window_sum(x, axes, divisor=None):
    """Sum of the in-bounds elements of each window, ``(N, C, *L) -> (N, C, *O)``, in
    :func:`~poolkit.reduction.sum_dtype`; with ``divisor`` (an int or an ``(*O,)`` array of
    per-window counts), the average in ``x``'s dtype, divided in the same pass (integers
    truncate toward zero, as PyTorch)."""
    if not all(a.regular for a in axes):
        sums = windows.window_sum(x, axes)
        return sums if divisor is None else _divide_after(sums, divisor, x.dtype)
    K = kernels()
    last = _channels_last(x)
    dtype = x.dtype
    acc = sum_dtype(dtype)
    xm = _as3d(x, last, len(axes))
    if dtype == np.float16:
        xm = xm.astype(np.float32)
    dims, tabs = _dims(axes)
    counts = _count_tables(axes, divisor, dims, acc)
    if counts is None:                                          # not a product of per-dim counts
        return _divide_after(window_sum(x, axes), divisor, dtype)
    average = divisor is not None
    out_dtype = (_work_dtype(dtype) if average else acc)
    out_shape = (xm.shape[0], dims[0].out, dims[1].out, dims[2].out) + ((xm.shape[4],) if last else ())
    out = np.empty(out_shape, out_dtype)
    (tlo_d, thi_d, *_), (tlo_h, thi_h, *_), (tlo_w, thi_w, off_w, jlo_w, jhi_w, *_) = tabs
    integer = acc.kind != "f"
    chunks = _chunks(out_shape[0] * out_shape[1] * out_shape[2])
    with np.errstate(all="ignore"):
        shp = _shp(xm.shape, dims, last)
        if last:
            K.AVERAGE_CL[(integer, average)](xm.reshape(-1), out.reshape(-1), shp, tlo_d, thi_d, tlo_h, thi_h,
                                             tlo_w, thi_w, _geo(dims, True), *counts, chunks)
        else:
            K.AVERAGE_CF[(integer, average)](xm.reshape(-1), out.reshape(-1), shp, tlo_d, thi_d, tlo_h, thi_h,
                                             _geo(dims, False), off_w, jlo_w, jhi_w, *counts, chunks)
    result = _back(out, x.shape[:2], last, len(axes))
    return result.astype(dtype, copy=False) if average else result


def _divide_after(sums, divisor, dtype):
    from .functional import _divide
    with np.errstate(all="ignore"):
        return _divide(sums, divisor, dtype)


def _grad_layout(grad, last, spatial_dims):
    g = _as3d(grad, last, spatial_dims)
    return g.astype(np.float32) if g.dtype == np.float16 else g


def route(grad, indices, x_shape, axes, *, positions=False, last=None, check=False):
    """Adjoint of max/min pooling, by gather: ``dx`` (``x_shape``, grad's dtype) with
    ``dx[n, c].flat[indices[n, c, o]] += grad[n, c, o]``, each element's additions in
    output order. ``indices``: ``(N, C, *O)`` plane indices, or with ``positions=True`` the
    flat positions in ``x``'s memory laid out channels-last (``last``) or first (what
    :func:`extreme` returns with ``return_indices="positions"``). ``axes``: the forward's
    (regular) windows. ``check``: a ValueError for an index outside its plane (or x)."""
    K = kernels()
    if last is None:
        last = _channels_last(grad)
    plane = math.prod(x_shape[2:])
    limit = math.prod(x_shape) if positions else plane
    if check and indices.size and (indices.min() < 0 or indices.max() >= limit):
        bad = indices.min() if indices.min() < 0 else indices.max()
        what = "positions" if positions else "indices"
        raise ValueError(f"{what} contains {bad}, outside [0, {limit}): {what} must be those the forward pass "
                         "returned for this x")
    dtype = grad.dtype
    g = _grad_layout(grad, last, len(axes))
    picks = _as3d(indices.astype(np.int64, copy=False), last, len(axes))
    dims, tabs = _dims(axes)
    dx = np.empty(_x3d_shape(x_shape, last, len(axes)), g.dtype)
    ones = [np.ones(m.out, g.dtype) for m in dims]
    _gather(K, True, g, picks, dx, dims, tabs, ones, last, positions)
    return _back(dx, x_shape[:2], last, len(axes)).astype(dtype, copy=False)


def spread(grad, axes, x_shape, divisor=None):
    """Adjoint of :func:`window_sum` (with ``divisor``: of the average), by gather: element
    ``i`` of ``dx`` is the sum over the windows ``o`` that contain it of ``grad[o]``
    (``/ divisor[o]``), in increasing output order, as PyTorch adds them."""
    if not all(a.regular for a in axes):
        from . import im2col
        if divisor is not None:
            grad = _divide_after(grad, divisor, grad.dtype)
        cols = np.broadcast_to(grad[..., None], grad.shape + (math.prod(a.taps for a in axes),))
        return im2col.scatter_add(cols, axes, x_shape)
    K = kernels()
    last = _channels_last(grad)
    dtype = grad.dtype
    g = _grad_layout(grad, last, len(axes))
    dims, tabs = _dims(axes)
    counts = _count_tables(axes, divisor, dims, g.dtype) if g.dtype.kind == "f" else None
    if counts is None:
        if divisor is not None:
            g = _grad_layout(_divide_after(grad, divisor, grad.dtype), last, len(axes))
        counts = [np.ones(m.out, g.dtype) for m in dims]
    dx = np.empty(_x3d_shape(x_shape, last, len(axes)), g.dtype)
    with np.errstate(all="ignore"):
        _gather(K, False, g, g, dx, dims, tabs, counts, last, False)
    return _back(dx, x_shape[:2], last, len(axes)).astype(dtype, copy=False)


def _x3d_shape(x_shape, last, spatial_dims):
    N, C = x_shape[:2]
    pad = (1,) * (3 - spatial_dims)
    return (N,) + pad + tuple(x_shape[2:]) + (C,) if last else (N * C,) + pad + tuple(x_shape[2:])


def _gather(K, picked, g, picks, dx, dims, tabs, counts, last, positions):
    (*_, olo_d, ohi_d), (*_, olo_h, ohi_h), (_, _, off_w, jlo_w, jhi_w, olo_w, ohi_w) = tabs
    zero = g.dtype.type(0)
    shp = _shp(dx.shape, dims, last)
    chunks = _chunks(dx.shape[0] * dx.shape[1] * dx.shape[2])
    flat = (g.reshape(-1), picks.reshape(-1), dx.reshape(-1), shp)
    if last:
        K.GATHER_CL[picked](*flat, olo_d, ohi_d, olo_h, ohi_h, olo_w, ohi_w, _geo(dims, True), *counts,
                            zero, positions, chunks)
    else:
        K.GATHER_CF[picked](*flat, olo_d, ohi_d, olo_h, ohi_h, _geo(dims, False), off_w, jlo_w, jhi_w,
                            *counts, zero, 1 if positions else 0, chunks)
