"""Fast pooling: one spatial dimension at a time, as long shifted slices of a flat buffer.

Max, min and sum are *separable*: the max over a ``kh x kw`` window is the max
over ``kh`` rows of the max over ``kw`` columns. So instead of ``kh * kw`` steps
over the output, pool along W (``kw`` steps), then along H (``kh`` steps).

Each pass copies a chunk of the data into a buffer padded along that dimension
(with -inf for max, 0 for sums), and views the buffer as one flat array. Tap
``j`` of every window is then the same flat array shifted by ``j * d * step``
(``step`` = elements between neighbours along the pooled dimension), so a pass
is ``k`` calls of ``np.maximum``/``np.add`` on long contiguous slices, the
fastest loop numpy has. Positions where a shift runs into the next row are
never selected: the stride subsamples only window starts. Chunks of planes a
few hundred KiB large keep the buffers in cache and bound the extra memory.

It gives the same answer as every other method, to the bit for max and min:

- ties: the first maximal column in the first maximal row is the first maximal
  tap in row-major order, as long as each step keeps the earlier tap on ties;
- NaN: a NaN anywhere makes the row's and then the window's result NaN, and
  the index tracking takes the last NaN, as the scan does;
- a window whose real taps all equal the fill (-inf) gets its first in-bounds
  index afterwards, as :mod:`poolkit.reduction` prescribes.

Adaptive windows vary in size and are not separable into fixed shifts; they
go to :mod:`poolkit.windows`. Both layouts run at full speed: channels-first data is pooled as ``N*C``
planes, channels-last data as ``N`` blocks whose channel runs are contiguous.
"""

from __future__ import annotations

import numpy as np

from . import windows
from .geometry import first_valid_index
from .reduction import fill_value, sum_dtype

CHUNK_BYTES = 1 << 19
"""Target size of one chunk of input (512 KiB): large enough for long loops, small enough for L2."""


def _memory_order(x):
    """``(N, C, *L)`` -> a C-contiguous ``(B, *L, T)`` array and whether it is channels-last.

    Channels-first data becomes ``(N*C, *L, 1)``; channels-last (``(N, *L, C)`` in
    memory) becomes ``(N, *L, C)``. Other strides are copied to channels-first.
    """
    last = np.moveaxis(x, 1, -1)
    if x.ndim > 2 and last.flags.c_contiguous and not x.flags.c_contiguous:
        return last, True
    x = np.ascontiguousarray(x)
    return x.reshape((-1,) + x.shape[2:] + (1,)), False


class _Pass:
    """Pooling along one spatial dimension of a ``(b, *S, T)`` chunk, through a padded flat buffer."""

    def __init__(self, shape, dim, axis, dtype, fill):
        before, after = axis.padding()
        self.dim, self.axis, self.before = dim, axis, before
        padded = list(shape)
        padded[dim] = axis.size + before + after
        self.buf = np.full(padded, fill, dtype=dtype)       # borders keep ``fill``
        self.out = np.empty(padded, dtype=dtype)
        self.step = int(np.prod(padded[dim + 1:]))
        self.span = (axis.taps - 1) * axis.dilation * self.step
        self.interior = (slice(None),) * dim + (slice(before, before + axis.size),)
        self.starts = (slice(None),) * dim + (slice(0, (axis.out - 1) * axis.stride + 1, axis.stride),)

    def shifts(self, b):
        """Flat buffer of the first ``b`` planes, the result slice, and each tap's shifted slice."""
        flat = self.buf[:b].reshape(-1)
        n = flat.size - self.span
        res = self.out[:b].reshape(-1)[:n]
        taps = [flat[j * self.axis.dilation * self.step:][:n] for j in range(self.axis.taps)]
        return res, taps

    def result(self, b):
        """The pooled values at window starts: a ``(b, ..., O, ...)`` view."""
        return self.out[:b][self.starts]


def _plan(shape, per, axes, dtype, fill):
    """The passes for a ``(B, *L, T)`` array, in chunks of ``per`` planes."""
    shape = [per] + list(shape[1:])
    passes = []
    # Innermost dimension first, so that ties are broken by the outer dimensions first (row-major).
    for i, axis in reversed(list(enumerate(axes))):
        if axis.taps == 1 and axis.stride == 1 and axis.padding() == (0, 0):
            continue                                          # nothing to pool along this dim
        passes.append(_Pass(shape, i + 1, axis, dtype, fill))
        shape[i + 1] = axis.out
    return passes


def _run(streams, axes, step):
    """Push chunks of parallel ``(B, *L, T)`` streams through the passes, returning ``(B, *O, T)`` arrays.

    ``streams`` is a list of ``(array, dtype, fill)``; ``step(pass, *pairs)`` reduces
    one pass in place, given the pass and one ``(result, taps)`` pair per stream.
    """
    first = streams[0][0]
    B = first.shape[0]
    per = max(1, min(B, CHUNK_BYTES // max(1, int(np.prod(first.shape[1:])) * first.itemsize)))
    plans = [_plan(a.shape, per, axes, dtype, fill) for a, dtype, fill in streams]
    outs = [np.empty((B,) + tuple(ax.out for ax in axes) + a.shape[-1:], dtype=dtype) for a, dtype, _ in streams]
    for b0 in range(0, B, per):
        curs = [a[b0:b0 + per] for a, _, _ in streams]
        b = curs[0].shape[0]
        for passes in zip(*plans):
            for p, cur in zip(passes, curs):
                p.buf[:b][p.interior] = cur
            step(passes[0], *(p.shifts(b) for p in passes))
            curs = [p.result(b) for p in passes]
        for out, cur in zip(outs, curs):
            out[b0:b0 + b] = cur
    return outs


def _to_input_layout(out, x, last):
    """``(B, *O, T)`` -> ``(N, C, *O)`` as a view in the input's memory layout."""
    if last:
        return np.moveaxis(out, -1, 1)
    return out.reshape(x.shape[:2] + out.shape[1:-1])


def extreme(x, axes, mode="max", return_indices=True):
    """Max (or min) of each window: ``(N, C, *L) -> (N, C, *O)`` values and flat indices
    (None unless asked for), bit-exact with :mod:`poolkit.reduction`'s rule."""
    if not all(a.regular for a in axes):
        return windows.extreme(x, axes, mode, return_indices)
    fill = fill_value(x.dtype, mode)
    mem, last = _memory_order(x)
    if not return_indices:
        op = _keeping_earlier(np.maximum if mode == "max" else np.minimum, x.dtype)

        def step(p, values):
            res, taps = values
            np.copyto(res, taps[0])
            for v in taps[1:]:
                op(res, v, out=res)
            if x.dtype.kind == "f" and np.isnan(res).any():  # NaN results: the last NaN tap's bits, as the scan
                for v in taps:
                    np.copyto(res, v, where=np.isnan(v))
        (values,) = _run([(mem, x.dtype, fill)], axes, step)
        return _to_input_layout(values, x, last), None

    values, indices = _extreme_with_indices(mem, axes, mode, fill)
    return _to_input_layout(values, x, last), _to_input_layout(indices, x, last)


def _extreme_with_indices(mem, axes, mode, fill):
    """Values and flat indices of ``mem`` (``(B, *L, T)``): ``(B, *O, T)`` each.

    Alongside the values runs a small integer stream: the number of the chosen tap
    in the window, ``t = j_1*k_2*...*k_n + ... + j_n``. A pass along dim ``i``
    reduces the values as above, then finds the first tap equal to the result
    (scanning taps backwards and blending ``code = eq ? tap's code : code``
    arithmetically, without branches), and adds ``j_i * (k_{i+1}*...*k_n)``. The
    flat index follows from ``t`` and the output position at the end.
    """
    floating = mem.dtype.kind == "f"
    op = _keeping_earlier(np.maximum if mode == "max" else np.minimum, mem.dtype)
    kernel = [a.taps for a in axes]
    weight = {i + 1: int(np.prod(kernel[i + 1:])) for i in range(len(axes))}
    code_dtype = np.min_scalar_type(int(np.prod(kernel)) - 1)

    def blend(code, mask, new, scratch):
        """``code = mask ? new : code``, in wrapping unsigned arithmetic."""
        np.subtract(new, code, out=scratch)
        np.multiply(scratch, mask, out=scratch)
        code += scratch

    def step(p, values, codes):
        (res, taps), (code, code_taps) = values, codes
        np.copyto(res, taps[0])
        for v in taps[1:]:
            op(res, v, out=res)
        w, last = weight[p.dim], len(taps) - 1
        mask = np.empty(res.shape, dtype=bool)
        scratch = np.empty(res.shape, dtype=code_dtype)
        np.add(code_taps[last], last * w, out=code, dtype=code_dtype)
        for j in range(last - 1, -1, -1):           # backwards: the first equal tap wins
            np.equal(taps[j], res, out=mask)
            blend(code, mask, code_taps[j] + code_dtype.type(j * w), scratch)
        if floating and np.isnan(res).any():         # NaN results: the last NaN tap (its bits too), as the scan
            for j in range(len(taps)):
                np.isnan(taps[j], out=mask)
                np.copyto(res, taps[j], where=mask)
                blend(code, mask, code_taps[j] + code_dtype.type(j * w), scratch)

    zero_codes = np.broadcast_to(np.zeros((), dtype=code_dtype), mem.shape)
    values, codes = _run([(mem, mem.dtype, fill), (zero_codes, code_dtype, 0)], axes, step)
    # flat index = (where the window starts) + (where tap t lies in it), per spatial dim.
    mult = np.cumprod([1] + [a.size for a in axes[:0:-1]])[::-1]
    offsets, base = np.zeros(1, dtype=np.int64), np.zeros((1,) * codes.ndim, dtype=np.int64)
    for i, a in enumerate(axes):
        offsets = (offsets[:, None] + a.dilation * mult[i] * np.arange(a.taps)).reshape(-1)
        shape = [1] * codes.ndim
        shape[i + 1] = a.out
        base = base + ((a.start + a.stride * np.arange(a.out)) * mult[i]).reshape(shape)
    indices = np.take(offsets, codes)
    indices += base
    # Windows whose real taps all equal the fill: the first in-bounds tap, as the scan picks it.
    lone = values == fill
    if lone.any():
        first = first_valid_index(axes).reshape((1,) + values.shape[1:-1] + (1,))
        indices[lone] = np.broadcast_to(first, values.shape)[lone]
    return values, indices


def _keeping_earlier(op, dtype):
    """``op(earlier, later, out=...)`` that returns ``earlier`` on ties.

    Ties only matter for 0.0 vs -0.0, and numpy's ``maximum``/``minimum`` return the
    second argument on ties for some dtypes and the first for others (float16), so
    ask numpy once which one it keeps.
    """
    if np.dtype(dtype).kind != "f":
        return op
    zeros = np.zeros(64, dtype=dtype)
    keeps_second = bool(np.signbit(op(zeros, -zeros)).all())
    if keeps_second:
        return lambda earlier, later, out: op(later, earlier, out=out)
    return op


def window_sum(x, axes):
    """Sum of the in-bounds elements of each window: ``(N, C, *L) -> (N, C, *O)``,
    accumulated in :func:`~poolkit.reduction.sum_dtype` (padding adds zeros)."""
    if not all(a.regular for a in axes):
        return windows.window_sum(x, axes)
    def step(p, sums):
        res, taps = sums
        np.copyto(res, taps[0])
        for v in taps[1:]:
            np.add(res, v, out=res)
    mem, last = _memory_order(x)
    (sums,) = _run([(mem, sum_dtype(x.dtype), 0)], axes, step)
    return _to_input_layout(sums, x, last)
