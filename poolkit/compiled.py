"""``method="numba"``: pooling as compiled, multi-threaded loops (chapter 11).

numpy pays one pass over memory per operation; a compiled loop reads each input
element once, keeps the running max or sum in registers, and writes each output
once. The loops are in :mod:`poolkit.kernels` (numba ``@njit(parallel=True,
cache=True)``), imported only when this engine is first used; this module is the
engine :data:`poolkit.plan.METHODS` names ``"numba"``, with the four operations every
engine offers, taking the same arguments:

- :func:`extreme`: max or min of each window with the first-tap tie rule and the NaN
  rule of :mod:`poolkit.reduction`, bit for bit, and (optionally) the indices or the
  positions in ``x`` a layer caches;
- :func:`window_sum`: sums in :func:`~poolkit.reduction.sum_dtype`, divided inside the
  kernel when :func:`poolkit.plan.mean` passes the divisor (an average in one pass);
- :func:`route` (max/min backward) and :func:`spread` (average backward). Both
  *gather*: each thread owns a band of rows of the gradient ``dx`` and, for each of its
  elements, adds the gradients of the windows that contain it, in increasing output
  order. No two threads write the same element, so no atomics are needed, and the sums
  run in PyTorch's order (bit-exact).

Layouts: channels-first data runs as ``(N*C, D, H, W)`` planes, the inner loop along W;
channels-last data (``(N, D, H, W, C)`` in memory) runs with the inner loop along C. 1-D
and 2-D pooling are 3-D pooling with singleton dimensions. float16 is computed in float32
and rounded back (exact for max/min). Adaptive (irregular) windows go to
:mod:`poolkit.separable`, which hands them to :mod:`poolkit.windows`.

Install with ``pip install poolkit[kernels]`` (numba). Threads: ``numba.set_num_threads``.
"""

from __future__ import annotations

import functools
import importlib.util
import math

import numpy as np

from . import separable
from .reduction import check_mode, fill_value, sum_dtype

INSTALL = "pip install poolkit[kernels]"


def load():
    """The compiled kernels module (imports numba); an ImportError naming the extra if numba is missing."""
    try:
        from . import kernels
    except ImportError as err:
        if "numba" not in str(err) and "llvmlite" not in str(err):
            raise
        raise ImportError(f"method='numba' needs numba, which is not installed: {INSTALL} ({err})") from None
    return kernels


def available():
    """Is numba importable? (Asks without importing it.)"""
    return importlib.util.find_spec("numba") is not None


def threads():
    """How many threads the kernels use (numba's setting)."""
    import numba
    return numba.get_num_threads()


# ---------------------------------------------------------------- geometry, as the kernels take it
class _Dim:
    """One spatial dimension, padded to 3-D with singletons: ``size, out, k, s, d, start``."""

    def __init__(self, size=1, out=1, k=1, s=1, d=1, start=0):
        self.size, self.out, self.k, self.s, self.d, self.start = size, out, k, s, d, start

    @classmethod
    def of(cls, axis):
        return cls(axis.size, axis.out, axis.taps, axis.stride, axis.dilation, axis.start)


@functools.lru_cache(maxsize=256)
def _tables(size, out, k, s, d, start):
    """Per-output tap ranges ``tlo, thi``, per-tap offsets and output ranges ``off, jlo, jhi``, and
    per-input output ranges ``olo, ohi`` (int64), so that the kernels' loops need no bounds test."""
    o = np.arange(out)
    first = o * s + start                                       # tap 0's position
    tlo = np.clip(-(first // d), 0, k)                          # taps t with 0 <= first + t*d < size
    thi = np.clip((size - 1 - first) // d + 1, 0, k)
    tlo = np.minimum(tlo, thi)
    off = start + np.arange(k) * d                              # position of tap t of output 0
    jlo = np.clip(-(off // s), 0, out)                          # outputs whose tap t is inside
    jhi = np.clip((size - 1 - off) // s + 1, 0, out)
    jlo = np.minimum(jlo, jhi)
    i = np.arange(size)
    olo = np.clip(-((start + (k - 1) * d - i) // s), 0, out)   # outputs whose window can hold i
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
    return np.array([shape3d[0]] + list(shape3d[1:4]) + [m.out for m in dims] + ([shape3d[4]] if last else []),
                    np.int64)


def _chunks(rows):
    """Blocks of rows the parallel loop hands out: 16 per thread, to balance uneven rows."""
    return max(1, min(rows, 16 * threads()))


# ---------------------------------------------------------------- layouts
def _as3d(x, last, spatial_dims, dtype=None):
    """``(N, C, *L)`` -> C-contiguous ``(P, D, H, W)``, or ``(N, D, H, W, C)`` if ``last``
    (float16 -> float32, or ``dtype``)."""
    N, C = x.shape[:2]
    pad = (1,) * (3 - spatial_dims)
    dtype = dtype or (np.float32 if x.dtype == np.float16 else x.dtype)
    if last:
        return np.ascontiguousarray(np.moveaxis(x, 1, -1), dtype).reshape((N,) + pad + x.shape[2:] + (C,))
    return np.ascontiguousarray(x, dtype).reshape((N * C,) + pad + x.shape[2:])


def _shape3d(shape, last, spatial_dims):
    """The shape :func:`_as3d` gives an array of ``shape`` ``(N, C, *L)``."""
    N, C = shape[:2]
    pad = (1,) * (3 - spatial_dims)
    return (N,) + pad + tuple(shape[2:]) + (C,) if last else (N * C,) + pad + tuple(shape[2:])


def _back(a, shape_nc, last, spatial_dims):
    """:func:`_as3d`'s inverse: ``(P, OD, OH, OW)`` or ``(N, OD, OH, OW, C)`` -> ``(N, C, *O)`` (a view)."""
    N, C = shape_nc
    if last:
        return np.moveaxis(a.reshape((N,) + a.shape[4 - spatial_dims:4] + (C,)), -1, 1)
    return a.reshape((N, C) + a.shape[4 - spatial_dims:])


# ---------------------------------------------------------------- forward
def extreme(x, axes, mode="max", return_indices=True):
    """Max (``mode="max"``) or min of each window: ``(N, C, *L) -> (N, C, *O)`` values and
    int64 flat indices in each plane (None unless ``return_indices``); with
    ``return_indices="positions"``, the flat positions in ``x``'s memory instead (as
    :func:`poolkit.separable.extreme` gives them), what a layer caches for its backward pass."""
    check_mode(mode)
    if not all(a.regular for a in axes):
        return separable.extreme(x, axes, mode, return_indices)
    K = load()
    last = separable.stored_channels_last(x)
    xm = _as3d(x, last, len(axes))
    dims, tabs = _dims(axes)
    with_idx, positions = bool(return_indices), return_indices == "positions"
    out_shape = _shape3d(x.shape[:2] + tuple(m.out for m in dims[3 - len(axes):]), last, len(axes))
    out = np.empty(out_shape, xm.dtype)
    idx = np.empty(out_shape if with_idx else (1,), np.int64)
    (tlo_d, thi_d, *_), (tlo_h, thi_h, *_), (tlo_w, thi_w, off_w, jlo_w, jhi_w, *_) = tabs
    args = (out.reshape(-1), idx.reshape(-1), fill_value(xm.dtype, mode), _shp(xm.shape, dims, last),
            tlo_d, thi_d, tlo_h, thi_h)
    rows = _chunks(math.prod(out_shape[:3]))
    if last:                                                    # (x's bits too, as signed integers)
        signed = np.dtype(f"i{xm.dtype.itemsize}")
        K.EXTREME_CL[(mode == "max", with_idx)](xm.reshape(-1), xm.reshape(-1).view(signed), signed.type(1), *args,
                                                tlo_w, thi_w, _geo(dims, True), positions, rows)
    else:
        K.EXTREME_CF[(mode == "max", with_idx)](xm.reshape(-1), *args, _geo(dims, False), off_w, jlo_w, jhi_w,
                                                int(positions), rows)
    values = _back(out, x.shape[:2], last, len(axes)).astype(x.dtype, copy=False)
    return values, (_back(idx, x.shape[:2], last, len(axes)) if with_idx else None)


def window_sum(x, axes, divisor=None):
    """Sum of the in-bounds elements of each window, ``(N, C, *L) -> (N, C, *O)``, in
    :func:`~poolkit.reduction.sum_dtype`. ``divisor`` (an int, or an array of shape ``(*O,)``),
    for floating ``x`` summed in its own dtype, as :func:`poolkit.separable.window_sum`:
    the sums divided by it in the same pass (an average)."""
    if divisor is not None and sum_dtype(x.dtype) != x.dtype:
        raise TypeError(f"window_sum divides only sums kept in the input's dtype, not {x.dtype}'s")
    if not all(a.regular for a in axes):
        return separable.window_sum(x, axes, divisor)
    K = load()
    last = separable.stored_channels_last(x)
    acc = sum_dtype(x.dtype)
    xm = _as3d(x, last, len(axes), np.float32 if x.dtype == np.float16 else None)
    dims, tabs = _dims(axes)
    out_shape = _shape3d(x.shape[:2] + tuple(m.out for m in dims[3 - len(axes):]), last, len(axes))
    out = np.empty(out_shape, acc)
    # the divisor of each window as one row per output row (a few kilobytes at most)
    div = np.ones(1, acc) if divisor is None else np.ascontiguousarray(
        np.broadcast_to(divisor, tuple(m.out for m in dims[3 - len(axes):])), acc).reshape(-1)
    (tlo_d, thi_d, *_), (tlo_h, thi_h, *_), (tlo_w, thi_w, off_w, jlo_w, jhi_w, *_) = tabs
    args = (xm.reshape(-1), out.reshape(-1), _shp(xm.shape, dims, last), tlo_d, thi_d, tlo_h, thi_h)
    rows = _chunks(math.prod(out_shape[:3]))
    with np.errstate(all="ignore"):
        if last:
            K.AVERAGE_CL[divisor is not None](*args, tlo_w, thi_w, _geo(dims, True), div, rows)
        else:
            K.AVERAGE_CF[divisor is not None](*args, _geo(dims, False), off_w, jlo_w, jhi_w, div, rows)
    return _back(out, x.shape[:2], last, len(axes))


# ---------------------------------------------------------------- backward, by gather
def route(grad, indices, axes, x_shape, last=None):
    """Adjoint of max/min pooling, by gather: ``dx`` (``x_shape``, grad's dtype) with
    ``dx[n, c].flat[indices[n, c, o]] += grad[n, c, o]``, each element's additions in output
    order (PyTorch's). ``indices``: ``(N, C, *O)`` indices in each plane; or, with ``last``
    given, positions in ``x`` laid out channels-last (``last=True``) or channels-first, as
    :func:`extreme` makes them for a layer. A gather never writes where an index points, so
    an index outside ``x`` is simply never matched (:func:`poolkit.plan.check_indices` checks)."""
    if not all(a.regular for a in axes):
        if last is None:
            return separable.route(grad, indices, axes, x_shape)
        return separable.scatter(grad, indices, x_shape, last, check=False)
    positions = last is not None
    last = separable.stored_channels_last(grad) if last is None else last
    g = _as3d(grad, last, len(axes))
    picks = _as3d(indices, last, len(axes), np.int64)
    dx = np.empty(_shape3d(x_shape, last, len(axes)), g.dtype)
    _gather(True, g, picks, dx, axes, last, positions)
    return _back(dx, x_shape[:2], last, len(axes)).astype(grad.dtype, copy=False)


def spread(grad, axes, x_shape):
    """Adjoint of :func:`window_sum`, by gather: element ``i`` of ``dx`` (``x_shape``, grad's
    dtype) is the sum of ``grad[o]`` over the windows ``o`` that contain it, in increasing
    output order, as PyTorch adds them."""
    if not all(a.regular for a in axes):
        return separable.spread(grad, axes, x_shape)
    last = separable.stored_channels_last(grad)
    g = _as3d(grad, last, len(axes))
    dx = np.empty(_shape3d(x_shape, last, len(axes)), g.dtype)
    with np.errstate(all="ignore"):
        _gather(False, g, g, dx, axes, last, False)
    return _back(dx, x_shape[:2], last, len(axes)).astype(grad.dtype, copy=False)


def _gather(picked, g, picks, dx, axes, last, positions):
    K = load()
    dims, tabs = _dims(axes)
    (*_, olo_d, ohi_d), (*_, olo_h, ohi_h), (_, _, off_w, jlo_w, jhi_w, olo_w, ohi_w) = tabs
    args = (g.reshape(-1), picks.reshape(-1), dx.reshape(-1), _shp(dx.shape, dims, last), olo_d, ohi_d, olo_h, ohi_h)
    rows = _chunks(math.prod(dx.shape[:3]))
    if last:
        K.GATHER_CL[picked](*args, olo_w, ohi_w, _geo(dims, True), g.dtype.type(0), positions, rows)
    else:
        K.GATHER_CF[picked](*args, _geo(dims, False), off_w, jlo_w, jhi_w, g.dtype.type(0), int(positions), rows)
