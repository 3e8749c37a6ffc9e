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
- :func:`route` (max/min backward) and :func:`spread` (average backward). Each thread
  owns a region of the gradient ``dx`` and only it writes there, so no atomics are
  needed. :func:`route` *scatters by bands*: a thread owns whole planes (or bands of a
  plane's rows) and walks the outputs whose windows reach into its region in order,
  adding each gradient where its pick points. :func:`spread` *gathers*: a thread owns
  rows of ``dx`` and, for each of their elements, adds the gradients of the windows
  that contain it. Either way each element's sum runs in increasing output order,
  PyTorch's (bit-exact).

Layouts: channels-first data runs as ``(N*C, D, H, W)`` planes, the inner loop along W;
channels-last data (``(N, D, H, W, C)`` in memory) runs with the inner loop along C. 1-D
and 2-D pooling are 3-D pooling with singleton dimensions. float16 is computed in float32
and rounded back (exact for max/min), small integers in int32 (:func:`kernel_dtype`).
Adaptive (irregular) windows go to :mod:`poolkit.separable`, which hands them to
:mod:`poolkit.windows`.

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
    """How many threads the kernels use (numba's setting; :func:`load`'s ImportError without numba)."""
    load()
    import numba
    return numba.get_num_threads()


# ---------------------------------------------------------------- geometry, as the kernels take it
class _Dim:
    """One spatial dimension, padded to 3-D with singletons: ``size, out, k, s, d, start``."""

    def __init__(self, size=1, out=1, k=1, s=1, d=1, start=0):
        self.size, self.out, self.k, self.s, self.d, self.start = size, out, k, s, d, start


def _tables(m):
    """Per-output tap ranges ``tlo, thi``, per-tap offsets and output ranges ``off, jlo, jhi``, and
    per-input output ranges ``olo, ohi`` (int64), so that the kernels' loops need no bounds test."""
    size, out, k, s, d, start = m.size, m.out, m.k, m.s, m.d, m.start
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


class _Launch:
    """What the kernels take besides the data, for one shape, layout and geometry: kept
    (:func:`_launch`), so that a call with the same ones spends its time in the kernel.

    ``shape``/``out_shape``: the data as the kernels see it (:func:`_as3d`); ``spatial_out``: the
    output's spatial shape ``(*O,)``; ``dims``: the three :class:`_Dim`; ``tabs``: their
    :func:`_tables`; ``shp``: ``[P, D, H, W, OD, OH, OW]`` (``+ [C]`` channels-last); ``geo``:
    strides, starts and dilations (``[sd, bd, dd, sh, bh, dh, sw]``, ``+ [bw, dw]``
    channels-last); ``rows``/``in_rows``: blocks of output/input rows the parallel loop hands
    out (16 per thread, to balance uneven rows); ``whole``: the window size of the register path
    (:data:`WHOLE`) or 0."""

    def __init__(self, shape, last, geometry, threads):
        N, C, *spatial = shape
        n = len(spatial)
        self.spatial_dims = n
        self.dims = [_Dim()] * (3 - n) + [_Dim(*g) for g in geometry]
        self.tabs = [_tables(m) for m in self.dims]
        pad = (1,) * (3 - n)
        self.spatial_out = outs = tuple(m.out for m in self.dims[3 - n:])
        if last:
            self.shape, self.out_shape = (N, *pad, *spatial, C), (N, *pad, *outs, C)
        else:
            self.shape, self.out_shape = (N * C, *pad, *spatial), (N * C, *pad, *outs)
        d, h, w = self.dims
        self.shp = np.array(self.shape[:4] + (d.out, h.out, w.out) + ((C,) if last else ()), np.int64)
        self.geo = np.array([d.s, d.start, d.d, h.s, h.start, h.d, w.s] + ([w.start, w.d] if last else []), np.int64)
        self.rows = max(1, min(math.prod(self.out_shape[:3]), 16 * threads))
        self.in_rows = max(1, min(math.prod(self.shape[:3]), 16 * threads))
        fixed = h.k == w.k and d.k == 1 and h.d == w.d == 1
        self.whole = h.k if fixed and h.k in WHOLE else 0
        self.nc, self.last, self.threads = (N, C), last, threads

    def back(self, a):
        """:func:`_as3d`'s inverse, for input- or output-shaped arrays: ``(P, D', H', W')`` or
        ``(N, D', H', W', C)`` -> ``(N, C, *L')`` (a view)."""
        N, C = self.nc
        n = self.spatial_dims
        if self.last:
            return separable.channels_to_front(a.reshape((N,) + a.shape[4 - n:4] + (C,)))
        return a.reshape((N, C) + a.shape[4 - n:])


WHOLE = (2, 3)
"""The square window sizes (``K x K``, no dilation) the channels-last kernels have a register path
for (:mod:`poolkit.kernels`): the common ones. Each is compiled on first use."""


@functools.lru_cache(maxsize=256)
def _cached_launch(shape, last, geometry, threads):
    return _Launch(shape, last, geometry, threads)


def _launch(shape, last, axes):
    """The :class:`_Launch` for data of ``shape`` ``(N, C, *L)`` pooled along ``axes``."""
    geometry = tuple((a.size, a.out, a.taps, a.stride, a.dilation, a.start) for a in axes)
    return _cached_launch(tuple(shape), last, geometry, threads())


@functools.lru_cache(maxsize=256)
def _uniform_divisor(value, size, dtype):
    return np.full(size, value, dtype)


def _divisor(divisor, out, dtype):
    """The divisor of each window as a flat ``dtype`` array of the output's spatial size (kept when
    every window has the same one: a broadcast number)."""
    d = np.asarray(divisor)
    if d.ndim == 0 or not any(d.strides):
        return _uniform_divisor(d.reshape(-1)[0].item(), math.prod(out), np.dtype(dtype))
    return np.ascontiguousarray(np.broadcast_to(d, out), dtype).reshape(-1)


# ---------------------------------------------------------------- layouts
def kernel_dtype(dtype):
    """The dtype the kernels compute ``dtype`` in: float16 in float32, integers of 16 bits or fewer
    in int32, uint32 in int64, others as they are. Every value is kept exactly, so a max, a min or an
    integer sum is the same; and fewer dtypes means fewer compiled variants (seconds each)."""
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return np.dtype(np.float32)
    if dtype.kind in "iu" and dtype.itemsize <= 2:
        return np.dtype(np.int32)
    return np.dtype(np.int64) if dtype == np.uint32 else dtype


def _as3d(x, last, shape, dtype=None):
    """``(N, C, *L)`` -> C-contiguous ``shape``: ``(P, D, H, W)``, or ``(N, D, H, W, C)`` if ``last``,
    in ``dtype`` (default :func:`kernel_dtype`): a :class:`_Launch`'s ``shape`` or ``out_shape``."""
    dtype = dtype or kernel_dtype(x.dtype)
    if last:
        x = separable.channels_to_end(x)
    return np.ascontiguousarray(x, dtype).reshape(shape)


# ---------------------------------------------------------------- forward
class _Call:
    """A kernel call with everything but its input arrays made: ``call(*inputs)``, each input
    C-contiguous in the kernel's layout and dtype, returns the new output arrays (``outs``: their
    shapes and dtypes). The kernel takes the inputs, the outputs, then ``fixed``, all arrays flat.
    ``signed``: the extreme channels-last kernels also take the input's bits as signed integers
    of its width and 1 of that type, after the input."""

    def __init__(self, kernel, outs, fixed, signed=None):
        self.kernel, self.outs, self.fixed, self.signed = kernel, outs, fixed, signed

    def __call__(self, *inputs):
        flats = [a.reshape(-1) for a in inputs]
        if self.signed is not None:
            flats += [flats[0].view(self.signed), self.signed.type(1)]
        outs = [np.empty(shape, dtype) for shape, dtype in self.outs]
        self.kernel(*flats, *(o.reshape(-1) for o in outs), *self.fixed)
        return outs


def _extreme_call(run, dtype, mode, with_idx, positions):
    """The :class:`_Call` of max/min (``dtype``: the kernel's) -> ``[values, indices]`` (indices: a
    placeholder of one element unless ``with_idx``; positions in ``x`` if ``positions``)."""
    K = load()
    is_max = mode == "max"
    (tlo_d, thi_d, *_), (tlo_h, thi_h, *_), (tlo_w, thi_w, off_w, jlo_w, jhi_w, *_) = run.tabs
    outs = ((run.out_shape, dtype), (run.out_shape if with_idx else (1,), np.dtype(np.int64)))
    fixed = (fill_value(dtype, mode), run.shp, tlo_d, thi_d, tlo_h, thi_h)
    if run.last:                                                # (x's bits too, as signed integers)
        k = 0 if with_idx else run.whole
        kernel = K.EXTREME_CL_WHOLE[(is_max, k)] if k else K.EXTREME_CL[(is_max, with_idx)]
        return _Call(kernel, outs, fixed + (tlo_w, thi_w, run.geo, positions, run.rows),
                     np.dtype(f"i{dtype.itemsize}"))
    return _Call(K.EXTREME_CF[(is_max, with_idx)], outs,
                 fixed + (run.geo, off_w, jlo_w, jhi_w, int(positions), run.rows))


def _sum_call(run, acc, divisor=None):
    """The :class:`_Call` of window sums in ``acc`` -> ``[sums]``, divided by ``divisor`` (as
    :func:`window_sum`) if given."""
    K = load()
    average = divisor is not None
    div = _divisor(divisor if average else 1, run.spatial_out, acc)
    (tlo_d, thi_d, *_), (tlo_h, thi_h, *_), (tlo_w, thi_w, off_w, jlo_w, jhi_w, *_) = run.tabs
    outs = ((run.out_shape, acc),)
    fixed = (run.shp, tlo_d, thi_d, tlo_h, thi_h)
    if run.last:
        kernel = K.AVERAGE_CL_WHOLE[(average, run.whole)] if run.whole else K.AVERAGE_CL[average]
        return _Call(kernel, outs, fixed + (tlo_w, thi_w, run.geo, div, run.rows))
    return _Call(K.AVERAGE_CF[average], outs, fixed + (run.geo, off_w, jlo_w, jhi_w, div, run.rows))


def extreme(x, axes, mode="max", return_indices=True):
    """Max (``mode="max"``) or min of each window: ``(N, C, *L) -> (N, C, *O)`` values and
    int64 flat indices in each plane (None unless ``return_indices``); with
    ``return_indices="positions"``, the flat positions in ``x``'s memory instead (as
    :func:`poolkit.separable.extreme` gives them), what a layer caches for its backward pass."""
    check_mode(mode)
    if not all(a.regular for a in axes):
        return separable.extreme(x, axes, mode, return_indices)
    run = _launch(x.shape, separable.stored_channels_last(x), axes)
    xm = _as3d(x, run.last, run.shape)
    with_idx = bool(return_indices)
    out, idx = _extreme_call(run, xm.dtype, mode, with_idx, return_indices == "positions")(xm)
    values = run.back(out).astype(x.dtype, copy=False)
    return values, (run.back(idx) if with_idx else None)


def window_sum(x, axes, divisor=None):
    """Sum of the in-bounds elements of each window, ``(N, C, *L) -> (N, C, *O)``, in
    :func:`~poolkit.reduction.sum_dtype`. ``divisor`` (an int, or an array of shape ``(*O,)``),
    for floating ``x`` summed in its own dtype, as :func:`poolkit.separable.window_sum`:
    the sums divided by it in the same pass (an average)."""
    acc = sum_dtype(x.dtype)
    if divisor is not None and acc != x.dtype:
        raise TypeError(f"window_sum divides only sums kept in the input's dtype, not {x.dtype}'s")
    if not all(a.regular for a in axes):
        return separable.window_sum(x, axes, divisor)
    run = _launch(x.shape, separable.stored_channels_last(x), axes)
    out, = _sum_call(run, acc, divisor)(_as3d(x, run.last, run.shape))
    return run.back(out)


def prepare(p, op, with_idx=False):
    """Plan ``p``'s forward pass as one kernel call made once, for calls that repeat its signature
    (:func:`poolkit.plan.kept_call`): ``op`` is ``"max"``, ``"min"`` (values, and indices if
    ``with_idx``) or ``"avg"`` (``p.divisor`` divides; ``with_idx`` unused). Returns ``kept``,
    with ``kept(x)`` the result in the caller's layout, for any ``x`` shaped, typed and laid out
    (C-contiguous) as ``p``'s; or None where that call cannot take such an ``x`` as it is
    (:func:`_direct`)."""
    run = _direct(p, p.x, op == "avg")
    if run is None:
        return None
    dtype = p.x.dtype
    call = _sum_call(run, dtype, p.divisor) if op == "avg" else _extreme_call(run, dtype, op, with_idx, False)
    return _kept(call, p.restore(np.broadcast_to(0, p.out_shape)).shape, 2 if with_idx else 1)


def prepare_backward(p, op, grad):
    """Plan ``p``'s backward pass as one kernel call, as :func:`prepare`: ``kept(grad)`` for an
    average (``op="avg"``), ``kept(grad, positions)`` for max/min (the layer's positions), each
    ``dx`` in the caller's layout. ``grad``: the gradient as ``(N, C, *O)`` (:meth:`Input.bring
    <poolkit.plan.Input.bring>`). None where the call cannot take it (its dtype, ``x``'s) as it is."""
    run = _direct(p, grad, op == "avg") if grad.dtype == p.x.dtype else None
    if run is None:
        return None
    call = _spread_call(run, grad.dtype, p.divisor) if op == "avg" else _route_call(run, grad.dtype, True)
    return _kept(call, p.restore(np.broadcast_to(0, p.x.shape)).shape, 1)


def _direct(p, a, summed):
    """The :class:`_Launch` of plan ``p`` if its kernels can read ``a`` (``(N, C, *L)`` or ``(N, C, *O)``,
    a view of an array C-contiguous in the caller's layout) with no copy and the result needs no
    cast: the kernels compute in ``x``'s dtype (floating point if ``summed``: an average, whose
    kernels divide), the windows are regular, neither input nor output is empty, and the memory
    is in the kernel's layout. Else None."""
    dtype = p.x.dtype
    if (kernel_dtype(dtype) != dtype or summed and (sum_dtype(dtype) != dtype or dtype.kind != "f")
            or p.x.size == 0 or not all(a.regular and a.out for a in p.axes)):
        return None
    run = _launch(p.x.shape, separable.stored_channels_last(a), p.axes)
    return run if run.last == p.last else None


def _kept(call, shape, n):
    """``call`` with its ``n`` outputs reshaped to ``shape`` (the caller's layout): the kept call."""
    if n == 2:
        def kept(*arrays):
            out, idx = call(*arrays)
            return out.reshape(shape), idx.reshape(shape)
    else:
        def kept(*arrays):
            return call(*arrays)[0].reshape(shape)
    return kept


# ---------------------------------------------------------------- backward
def route(grad, indices, axes, x_shape, last=None):
    """Adjoint of max/min pooling: ``dx`` (``x_shape``, grad's dtype) with
    ``dx[n, c].flat[indices[n, c, o]] += grad[n, c, o]``, each element's additions in output
    order (PyTorch's). ``indices``: ``(N, C, *O)`` indices in each plane; or, with ``last``
    given, positions in ``x`` laid out channels-last (``last=True``) or channels-first, as
    :func:`extreme` makes them for a layer. Each thread owns a band of ``dx`` and adds only
    what falls inside it: an index outside ``x`` is never written
    (:func:`poolkit.plan.check_indices` checks them)."""
    if not all(a.regular for a in axes):
        if last is None:
            return separable.route(grad, indices, axes, x_shape)
        return separable.scatter(grad, indices, x_shape, last, check=False)
    run = _launch(x_shape, separable.stored_channels_last(grad) if last is None else last, axes)
    g = _as3d(grad, run.last, run.out_shape)
    picks = _as3d(indices, run.last, run.out_shape, np.int64)
    dx, = _route_call(run, g.dtype, last is not None)(g, picks)
    return run.back(dx).astype(grad.dtype, copy=False)


def _route_call(run, dtype, positions):
    """The :class:`_Call` of :func:`route` (``dtype``: the kernel's) -> ``[dx]``: ``call(g, picks)``."""
    planes, rows = run.shape[0], run.shape[2]
    # a plane per unit while there are enough of them; else bands of rows (2-D and 1-D data)
    many = 8 * run.threads
    bands = 1 if run.shape[1] > 1 or planes >= many else max(1, min(rows, many // max(planes, 1)))
    *_, olo_h, ohi_h = run.tabs[1]
    return _Call(load().SCATTER[run.last], ((run.shape, dtype),),
                 (run.shp, olo_h, ohi_h, bands, positions, max(1, min(planes * bands, 16 * run.threads))))


def spread(grad, axes, x_shape, divisor=None):
    """Adjoint of :func:`window_sum`, by gather: element ``i`` of ``dx`` (``x_shape``, grad's
    dtype) is the sum of ``grad[o]`` over the windows ``o`` that contain it, in increasing
    output order, as PyTorch adds them. ``divisor`` (an int, or an array of shape ``(*O,)``;
    floating ``grad`` only): each ``grad[o]`` divided by it as it is added (an average's
    backward in one pass, PyTorch's bits)."""
    if divisor is not None and grad.dtype.kind != "f":
        raise TypeError(f"spread divides only floating-point gradients, not {grad.dtype}")
    if not all(a.regular for a in axes):
        if divisor is not None:
            grad = grad / np.asarray(divisor, grad.dtype)
        return separable.spread(grad, axes, x_shape)
    run = _launch(x_shape, separable.stored_channels_last(grad), axes)
    g = _as3d(grad, run.last, run.out_shape)
    dx, = _spread_call(run, g.dtype, divisor)(g)
    return run.back(dx).astype(grad.dtype, copy=False)


def _spread_call(run, dtype, divisor=None):
    """The :class:`_Call` of :func:`spread` (``dtype``: the kernel's) -> ``[dx]``: ``call(g)``."""
    K = load()
    divided = divisor is not None
    div = _divisor(divisor if divided else 1, run.spatial_out, dtype)
    (*_, olo_d, ohi_d), (*_, olo_h, ohi_h), (_, _, off_w, jlo_w, jhi_w, olo_w, ohi_w) = run.tabs
    fixed = (div, run.shp, olo_d, ohi_d, olo_h, ohi_h)
    outs = ((run.shape, dtype),)
    if run.last:
        return _Call(K.GATHER_CL[divided], outs, fixed + (olo_w, ohi_w, run.geo, dtype.type(0), run.in_rows))
    return _Call(K.GATHER_CF[divided], outs, fixed + (run.geo, off_w, jlo_w, jhi_w, dtype.type(0), run.in_rows))
