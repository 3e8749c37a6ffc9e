"""Fast pooling: one spatial dimension at a time, as long shifted slices of a flat buffer.

Max, min and sum are *separable*: the max over a ``kh x kw`` window is the max
over ``kh`` rows of the max over ``kw`` columns. So instead of ``kh * kw`` steps
over the output, pool along W (``kw`` steps), then along H (``kh`` steps).

Each pass puts a chunk of the data into a buffer padded along that dimension
(with -inf for max, 0 for sums), and views the buffer as one flat array. Tap
``j`` of every window is then the same flat array shifted by ``j * d * step``
(``step`` = elements between neighbours along the pooled dimension), so a pass
is ``k - 1`` calls of ``np.maximum``/``np.add`` on long contiguous slices, the
fastest loop numpy has. Positions where a shift runs into the next row are
never selected: the stride subsamples only window starts. Chunks of about a
megabyte of planes (blocks of rows, for a plane larger than that) keep the
buffers in cache and bound the extra memory.

Pooling is memory-bound, and every numpy call is one more pass over the data, so
the passes avoid every copy they can:

- the first pass reads the input itself when its dimension needs no padding;
- after a pass of stride 1, the next pass reads its result where it lies (the
  first buffer already holds both dimensions' padding);
- the innermost dimension of channels-first data keeps its buffer's padded
  width (a few junk columns per row) through the later passes, so every copy
  between passes is one long contiguous loop; the output crops them at the end;
- a stride ``s`` along that dimension subsamples the flat buffer: viewed as
  integers ``s`` times as wide, each wide element holds ``s`` neighbours, and a
  cast to the narrow integer keeps the first (little-endian), a vectorised
  loop where a strided copy runs element by element;
- copies of short rows move each row as one ``void`` element, and averages are
  divided as the last pass writes them.

It gives the same answer as every other method, to the bit for max and min:

- ties: the first maximal column in the first maximal row is the first maximal
  tap in row-major order, as long as each step keeps the earlier tap on ties;
- NaN: a NaN anywhere makes the row's and then the window's result NaN. A chunk
  whose output has a NaN is pooled again with each pass taking the last NaN tap
  (its bits and its index), as the scan does;
- a window whose real taps all equal the fill (-inf) gets its first in-bounds
  index afterwards, as :mod:`poolkit.reduction` prescribes.

The backward pass of a window sum, :func:`spread`, is a window sum too: each
dimension's gradient upsampled by the stride (zeros between) and summed over
windows mirrored around their padding. Adaptive windows vary in size and are not
separable into fixed shifts; they go to :mod:`poolkit.windows`. Both layouts run
at full speed: channels-first data is pooled as ``N*C`` planes, channels-last
data as ``N`` blocks whose channel runs are contiguous.
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass

import numpy as np

from . import im2col, windows
from .geometry import Axis, first_valid_index
from .reduction import check_mode, fill_value, sum_dtype

CHUNK_BYTES = 1 << 20
"""Target size of one chunk of input (1 MiB): large enough to amortise numpy's per-call overhead,
small enough that the chunk's buffers stay in the last-level cache (on shapes A-E of
:mod:`poolkit.bench`, 1 MiB was the fastest of 256 KiB to 4 MiB)."""


def channels_to_end(a):
    """``(N, C, *L)`` -> ``(N, *L, C)``, a view (``np.moveaxis(a, 1, -1)``, without its argument checks)."""
    return a.transpose((0, *range(2, a.ndim), 1))


def channels_to_front(a):
    """``(N, *L, C)`` -> ``(N, C, *L)``, a view: :func:`channels_to_end`'s inverse."""
    return a.transpose((0, a.ndim - 1, *range(1, a.ndim - 1)))


def stored_channels_last(x):
    """Is ``x`` (``(N, C, *L)``) stored channels-last, as a C-contiguous ``(N, *L, C)``?"""
    return x.ndim > 2 and not x.flags.c_contiguous and channels_to_end(x).flags.c_contiguous


def memory_order(x):
    """``(N, C, *L)`` -> a C-contiguous ``(B, *L, T)`` array and whether it is channels-last.

    Channels-first data becomes ``(N*C, *L, 1)``; channels-last (``(N, *L, C)`` in
    memory) becomes ``(N, *L, C)``. Other strides are copied to channels-first.
    """
    if stored_channels_last(x):
        return channels_to_end(x), True
    x = np.ascontiguousarray(x)
    return x.reshape((x.shape[0] * x.shape[1],) + x.shape[2:] + (1,)), False


def absolute(index, plane, start=0, out=None):
    """Positions in memory of per-plane flat indices: ``index`` is ``(b, *O, T)`` in memory
    order (see :func:`memory_order`), for planes ``start`` to ``start + b`` of ``plane``
    elements each; element ``(i, ..., t)`` becomes ``((start + i) * plane + index) * T + t``,
    its flat position in the ``(B, *L, T)`` memory. Written to ``out`` if given."""
    b, T = index.shape[0], index.shape[-1]
    out = np.empty(index.shape, dtype=np.int64) if out is None else out
    offset = (np.arange(start, start + b) * (plane * T)).reshape((b,) + (1,) * (index.ndim - 1))
    if T == 1:                             # (without the trailing 1, numpy's inner loop runs along rows)
        np.add(index[..., 0], offset[..., 0], out=out[..., 0])
    else:
        np.multiply(index, T, out=out)
        out += offset + np.arange(T)
    return out


def positions(indices, plane, last):
    """Per-plane ``indices`` (``(N, C, *O)``, planes of ``plane`` elements) -> the flat positions
    of those elements in the memory of an ``(N, C, *L)`` array stored channels-last (``last``)
    or channels-first: ``(N, C, *O)`` int64, in that layout."""
    if last:
        return np.moveaxis(absolute(np.moveaxis(indices, 1, -1), plane), -1, 1)
    return absolute(indices.reshape((-1,) + indices.shape[2:] + (1,)), plane).reshape(indices.shape)


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
"""The unsigned integer dtype of each size in bytes."""


def _every_sth(flat, s):
    """``flat[::s]``, and the narrow unsigned dtype to write it as (None: write it as it is).

    The trick: viewed as unsigned integers ``s`` times as wide, each wide element holds ``s``
    neighbours, and a cast to the narrow unsigned integer keeps the first of them (the low
    bytes, on a little-endian machine): one vectorised cast where ``flat[::s]`` is copied
    element by element. Bit for bit, whatever the dtype (floats, NaN payloads included).
    """
    wide = _UNSIGNED.get(s * flat.itemsize)
    if s > 1 and wide is not None and sys.byteorder == "little":
        return flat.view(wide), _UNSIGNED[flat.itemsize]
    return flat[::s], None


def _copy(dst, src):
    """``np.copyto(dst, src)``, copying each contiguous run along the last spatial axis as one element.

    Channels-first rows are short (14 to 112 elements), and numpy pays per run of its
    inner loop; viewed as one ``void`` element each, a row costs one step of a long loop.
    """
    if dst.dtype != src.dtype or dst.ndim < 3:
        np.copyto(dst, src)
        return
    if dst.shape[-1] == 1:                                    # (b, ..., W, 1): the run is the row
        dst, src = dst[..., 0], src[..., 0]
    if dst.strides[-1] != dst.itemsize or src.strides[-1] != src.itemsize:
        np.copyto(dst, src)
        return
    run = _void(dst.shape[-1] * dst.itemsize)
    np.copyto(dst.view(run), src.view(run))


@functools.cache
def _void(nbytes):
    """The dtype of ``nbytes`` raw bytes (made once: numpy builds it slowly)."""
    return np.dtype((np.void, nbytes))


class _Pass:
    """Pooling along dimension ``dim`` of ``(b, *S, T)`` chunks, through a padded flat buffer.

    ``buf`` (``(per, *S, T)`` with ``dim`` padded) holds a chunk with
    ``axis.padding()`` around it (``fill``, never overwritten); ``out``, the same
    shape, receives the reduction of the ``k`` shifted slices of ``buf`` flattened;
    windows start at every ``stride``-th position of ``dim``. ``upsample=u`` spreads
    the incoming positions ``u`` apart (zeros between, :func:`spread`). A ``direct``
    pass has no buffer: it reads the chunk itself (no padding to add); an ``empty`` one
    has no input at all (its step computes the stream from scratch).

    After a pass of stride 1, the next pass needs no copy: it ``reads`` that pass's
    ``out``, whose buffer was given the next pass's padding too (``pads``: ``(dim,
    before, after)`` of each such dimension). Its padding rows hold ``fill`` through the
    first pass (the maximum of fills is the fill), so they act as padding in the second.
    """

    def __init__(self, shape, dim, axis, dtype, fill, upsample=1, direct=False, empty=False, pads=(), reads=None):
        before, after = axis.padding()
        self.dim, self.axis, self.reads = dim, axis, reads
        self.step = math.prod(shape[dim + 1:])
        # The innermost dimension of channels-first data (step 1) is subsampled as a flat array,
        # so its rows are a whole number of strides long and keep their junk columns.
        self.flat = self.step == 1
        padded, interior = list(shape), [slice(None)] * len(shape)
        if reads is None:
            length = before + axis.size + after
            if self.flat:
                length += -length % axis.stride
            padded[dim], interior[dim] = length, slice(before, before + axis.size, upsample)
            for d, b, a in pads:
                padded[d], interior[d] = shape[d] + b + a, slice(b, b + shape[d])
        else:
            length = shape[dim]                          # ``reads.out`` already has this pass's padding
        self.direct = reads is not None or empty or (direct and upsample == 1 and padded == list(shape))
        self.buf = None if self.direct else np.full(padded, fill, dtype=dtype)
        self.interior = tuple(interior)
        self.out = np.zeros(padded, dtype=dtype)     # the tail that no window start reads stays 0
        self.span = (axis.taps - 1) * axis.dilation * self.step
        self.width = length // axis.stride if self.flat else axis.out
        self.starts = (slice(None),) * dim + (slice(0, (axis.out - 1) * axis.stride + 1, axis.stride),)
        self._views, self._scratch = {}, {}

    def target(self, b):
        """Where the first ``b`` planes of the incoming data go: a view of the buffer's interior."""
        return self.buf[:b][self.interior]

    def shifts(self, b, chunk=None):
        """The result slice of ``out`` and each tap's shifted slice, for the first ``b`` planes.

        A direct pass slices ``chunk`` (the input itself); an empty one has no taps (None).
        """
        if self.direct and self.reads is None:
            return self._slices(b, chunk)
        if b not in self._views:
            self._views[b] = self._slices(b, self.buf[:b] if self.reads is None else self.reads.out[:b])
        return self._views[b]

    def _slices(self, b, data):
        res = self.out[:b].reshape(-1)
        n = res.size - self.span
        if data is None:
            return res[:n], None
        flat, jump = data.reshape(-1), self.axis.dilation * self.step
        return res[:n], [flat[j * jump:][:n] for j in range(self.axis.taps)]

    def scratch(self, dtype, shape):
        """A reusable C-contiguous array of ``shape`` and ``dtype`` (at most ``out``'s size)."""
        key = np.dtype(dtype)
        if key not in self._scratch:
            self._scratch[key] = np.empty(self.out.size, dtype=key)
        return self._scratch[key][:math.prod(shape)].reshape(shape)

    def results(self, b, shape):
        """The results at window starts of the first ``b`` planes, cropped to ``shape``, and the
        narrow integer dtype to write them as (None: as they are). See :meth:`emit`."""
        key = (b, shape)
        if key not in self._views:
            out, s, narrow = self.out[:b], self.axis.stride, None
            if not self.flat:
                src = out[self.starts]
            else:
                full = out.shape[:self.dim] + (self.width,) + out.shape[self.dim + 1:]
                src, narrow = _every_sth(out.reshape(-1), s)
                src = src.reshape(full)
            self._views[key] = src[tuple(slice(0, n) for n in shape)], narrow
        return self._views[key]

    def emit(self, b, dst, divisor=None):
        """Write the results at window starts of the first ``b`` planes into ``dst``, which has
        ``width`` (or fewer: the rest is cropped) positions along ``dim`` (divided by
        ``divisor`` on the way, if given: an average)."""
        src, narrow = self.results(b, dst.shape)
        if divisor is not None and narrow is None:
            np.divide(src, divisor, out=dst)
            return
        if narrow is None:
            _copy(dst, src)
        else:
            np.copyto(dst.view(narrow), src, casting="unsafe")
        if divisor is not None:
            np.divide(dst, divisor, out=dst)


def _plan(shape, per, axes, dtype, fill, upsample=None, direct=False, empty=False):
    """The passes for a ``(B, *L, T)`` array, in chunks of ``per`` planes (``direct``: the first
    pass may read the chunks themselves; ``empty``: the first pass has no input). A pass of
    stride 1 hands its buffer on: the next pass reads its result in place (see :class:`_Pass`)."""
    shape = [per] + list(shape[1:])
    # Innermost dimension first, so that ties are broken by the outer dimensions first (row-major).
    todo = [(i + 1, axis, upsample[i] if upsample else 1) for i, axis in reversed(list(enumerate(axes)))
            if not (axis.taps == 1 and axis.stride == 1 and axis.padding() == (0, 0)
                    and (not upsample or upsample[i] == 1))]            # nothing to pool along this dim
    passes = []
    while todo:
        chain = [todo.pop(0)]
        while todo and chain[-1][1].stride == 1 and chain[-1][2] == 1 and todo[0][2] == 1:
            chain.append(todo.pop(0))
        (dim, axis, up), rest = chain[0], chain[1:]
        head = _Pass(shape, dim, axis, dtype, fill, up, direct=direct and not passes, empty=empty and not passes,
                     pads=tuple((d, *a.padding()) for d, a, _ in rest))
        passes.append(head)
        for d, a, u in rest:
            passes.append(_Pass(list(head.out.shape), d, a, dtype, fill, u, reads=passes[-1]))
        for p in passes[-len(chain):]:
            shape[p.dim] = p.width
    return passes


def row_blocks(axis, row_bytes, budget):
    """Split the outputs of the outermost dimension into blocks whose input rows fill about a chunk.

    Yields ``(outputs, rows, sub_axis)``: a slice of output positions, the slice of input
    rows their windows read (the halo of overlapping windows included), and the
    :class:`~poolkit.geometry.Axis` of those windows within those rows (padding only where
    the block touches the input's edge). One block (the whole axis) if a plane fits in two
    chunks of ``budget`` bytes; otherwise blocks of half a chunk, so that the passes'
    buffers (two per pass) take less memory than the plane.
    """
    rows = budget // 2 // max(1, row_bytes)
    per = max(1, (rows - (axis.taps - 1) * axis.dilation - 1) // axis.stride + 1)
    if axis.size * row_bytes <= 2 * budget or per >= axis.out:
        yield slice(0, axis.out), slice(0, axis.size), axis
        return
    k, s, d, p = axis.taps, axis.stride, axis.dilation, -axis.start
    for o0 in range(0, axis.out, per):
        o1 = min(axis.out, o0 + per)
        first, last = o0 * s - p, (o1 - 1) * s - p + (k - 1) * d      # the rows the block's taps reach
        r0, r1 = max(0, first), min(axis.size, last + 1)
        yield (slice(o0, o1), slice(r0, r1),
               Axis.regular_windows(r1 - r0, k, s, d, r0 - first, last + 1 - r1, o1 - o0))


@dataclass(frozen=True)
class Stream:
    """One array pushed through the passes by :func:`_run`, beside the others.

    ``array``: ``(B, *L, T)``, or None for a stream the first pass computes from scratch
    (the tap codes of :class:`_TapCodes`); ``dtype`` and ``fill`` (the padding value) of its
    buffers; ``keep=False``: its outputs are seen only by ``finish``, chunk by chunk, and
    not returned (None in their place).
    """

    array: np.ndarray | None
    dtype: np.dtype
    fill: object
    keep: bool = True


def _run(streams, axes, step, upsample=None, redo=None, finish=None, divisor=None):
    """Push chunks of parallel ``(B, *L, T)`` streams through the passes, returning ``(B, *O, T)`` arrays.

    ``streams``: a list of :class:`Stream`.
    ``step(pass, *pairs, careful=...)`` reduces one pass in place, given the pass and
    one ``(result, taps)`` pair per stream. Then, on each chunk's outputs while they are
    in cache, ``finish(where, *outputs)`` completes them in place (``where`` is the
    chunk's index into the ``(B, *O, T)`` outputs) and
    ``redo(*outputs)`` says whether to pool the chunk again with ``careful=True`` (NaN).
    ``upsample``: per spatial dim, the spacing of the incoming positions (:func:`spread`).
    ``divisor`` (a number, or ``(1, *O, 1)``): the first stream's outputs are divided by it
    as they are written (averages).

    A chunk is a few planes (``B`` entries) of about :data:`CHUNK_BYTES`; a plane larger
    than two chunks is cut into blocks of rows along its outermost dimension instead.
    """
    first = streams[0].array
    B = first.shape[0]
    budget = CHUNK_BYTES                                      # of input (a stream of tap codes is narrower)
    row_bytes = math.prod(first.shape[2:]) * first.itemsize
    blocks = [(slice(0, axes[0].out), slice(0, first.shape[1]), axes[0])] if upsample else \
        list(row_blocks(axes[0], row_bytes, budget))
    out_spatial = tuple(ax.out for ax in axes)
    outs = [np.empty((B,) + out_spatial + first.shape[-1:], dtype=st.dtype) if st.keep else None
            for st in streams]
    key = stages = None                                       # one set of buffers, for the current geometry

    def chunk(stages, b, sources, done, careful, scale):
        if not stages:                                        # nothing to pool: a copy
            for out, src in zip(done, sources):
                out[...] = 0 if src is None else src
            if scale is not None:
                np.divide(done[0], scale, out=done[0])
            return
        for p, src in zip(stages[0], sources):
            if not p.direct:
                _copy(p.target(b), src)
        for i, passes in enumerate(stages):
            step(passes[0], *(p.shifts(b, src) for p, src in zip(passes, sources)), careful=careful)
            for k, p in enumerate(passes):
                if i + 1 == len(stages):
                    p.emit(b, done[k], scale if k == 0 else None)
                elif stages[i + 1][k].reads is None:          # (a pass reading this one needs no copy)
                    p.emit(b, stages[i + 1][k].target(b))

    for outputs, rows, axis in blocks:
        sub_axes = (axis,) + tuple(axes[1:])
        shape = (B, rows.stop - rows.start) + first.shape[2:]
        per = max(1, min(B, budget // max(1, math.prod(shape[1:]) * first.itemsize)))
        if key != (per, shape[1], axis.start, axis.out):
            key, stages = (per, shape[1], axis.start, axis.out), None
            stages = list(zip(*(_plan(shape, per, sub_axes, st.dtype, st.fill, upsample,
                                      direct=st.array is not None and st.array.dtype == st.dtype,
                                      empty=st.array is None)
                                for st in streams)))
            scratch = [None if st.keep else np.empty((per, axis.out) + out_spatial[1:] + first.shape[-1:], st.dtype)
                       for st in streams]
        for b0 in range(0, B, per):
            b = min(per, B - b0)
            where = (slice(b0, b0 + b), outputs)
            sources = [None if st.array is None else st.array[b0:b0 + b, rows] for st in streams]
            done = [out[where] if out is not None else extra[:b] for out, extra in zip(outs, scratch)]
            scale = divisor if divisor is None or np.ndim(divisor) == 0 else divisor[(slice(None), outputs)]
            for careful in (False, True):
                chunk(stages, b, sources, done, careful, scale)
                if finish is not None:
                    finish(where, *done)
                if careful or redo is None or not redo(*done):    # rare: a NaN, pool the chunk again carefully
                    break
    return outs


def _to_input_layout(out, x, last):
    """``(B, *O, T)`` -> ``(N, C, *O)`` as a view in the input's memory layout."""
    if last:
        return np.moveaxis(out, -1, 1)
    return out.reshape(x.shape[:2] + out.shape[1:-1])


def _reduce(op, res, taps):
    """``res = op(taps[0], taps[1], ...)``, left to right (earlier taps first)."""
    if len(taps) == 1:
        np.copyto(res, taps[0])
        return
    op(taps[0], taps[1], out=res)
    for v in taps[2:]:
        op(res, v, out=res)


def _has_nan(values):
    """Does ``values`` hold a NaN? (One vectorised pass: the maximum propagates NaN.)"""
    return values.dtype.kind == "f" and values.size > 0 and bool(np.isnan(np.maximum.reduce(values, axis=None)))


def extreme(x, axes, mode="max", return_indices=True):
    """Max (or min) of each window: ``(N, C, *L) -> (N, C, *O)`` values and flat indices
    (None unless asked for), bit-exact with :mod:`poolkit.reduction`'s rule.

    ``return_indices="positions"``: instead of indices in each plane, the flat positions of
    the picked elements in ``x``'s memory (:func:`positions`), what a layer's backward pass
    scatters into; made while each chunk is in cache.
    """
    check_mode(mode)
    if not all(a.regular for a in axes):
        values, indices = windows.extreme(x, axes, mode, bool(return_indices))
        if return_indices == "positions":
            indices = positions(indices, math.prod(x.shape[2:]), stored_channels_last(x))
        return values, indices
    fill = fill_value(x.dtype, mode)
    mem, last = memory_order(x)
    if not return_indices:
        op = _keeping_earlier(np.maximum if mode == "max" else np.minimum, x.dtype)

        def step(p, values, careful):
            res, taps = values
            _reduce(op, res, taps)
            if careful:                                 # NaN results: the last NaN tap's bits, as the scan
                for v in taps:
                    np.copyto(res, v, where=np.isnan(v))
        (values,) = _run([Stream(mem, x.dtype, fill)], axes, step, redo=_has_nan)
        return _to_input_layout(values, x, last), None

    values, indices = _extreme_with_indices(mem, axes, mode, fill, return_indices == "positions")
    return _to_input_layout(values, x, last), _to_input_layout(indices, x, last)


def _extreme_with_indices(mem, axes, mode, fill, absolute_positions=False):
    """Values and flat indices of ``mem`` (``(B, *L, T)``): ``(B, *O, T)`` each (with
    ``absolute_positions``, positions in ``mem`` instead: :func:`absolute`).

    Alongside the values runs a small unsigned integer stream, the *code* of the
    chosen tap (:class:`_TapCodes`); each chunk's codes become flat indices while the
    chunk is in cache (:meth:`_TapCodes.finish`).
    """
    codes = _TapCodes(mem, axes, mode, fill, absolute_positions)
    values, _ = _run([Stream(mem, mem.dtype, fill), Stream(None, codes.dtype, 0, keep=False)], axes, codes.step,
                     redo=lambda values, codes: _has_nan(values), finish=codes.finish)
    return values, codes.indices


class _TapCodes:
    """Which tap each window picked, carried through the passes as a small unsigned *code*.

    A tap's code is its flat offset from the window's first tap in the input plane,
    ``sum_i j_i * d_i * (L_{i+1}*...*L_n)``. A pass along dim ``i`` scans its taps in
    order, as the loop does: tap ``j`` wins where it *beats* the running result
    (strictly: ties keep the earlier tap), and the code is blended to the winner's,
    ``code = beats ? tap's code : code``, arithmetically, without branches
    (:meth:`blend`). Tap ``j``'s code is ``j * d_i * (L_{i+1}*...*L_n)`` plus the code
    it carries from the earlier passes (:meth:`tap_code`). The flat index is then the
    window's first tap plus the code: one addition (:meth:`finish`).
    """

    def __init__(self, mem, axes, mode, fill, absolute_positions):
        self.axes, self.fill, self.absolute_positions = axes, fill, absolute_positions
        self.op = _keeping_earlier(np.maximum if mode == "max" else np.minimum, mem.dtype)
        self.beats = np.greater if mode == "max" else np.less
        self.mult = np.cumprod([1] + [a.size for a in axes[:0:-1]])[::-1]      # flat stride of each spatial dim
        self.weight = {i + 1: int(a.dilation * self.mult[i]) for i, a in enumerate(axes)}
        self.dtype = np.min_scalar_type(sum((a.taps - 1) * self.weight[i + 1] for i, a in enumerate(axes)))
        self.indices = np.empty((mem.shape[0],) + tuple(a.out for a in axes) + mem.shape[-1:], dtype=np.int64)
        self.inner = math.prod(a.out for a in axes[1:])
        self.plane = math.prod(a.size for a in axes)
        self._first_taps = {}

    # ------------------------------------------------ one pass: values and codes side by side
    def tap_code(self, p, code_taps, j, w, shape):
        """Tap ``j``'s code: ``j * w``, plus after the first pass the code it carries (in scratch)."""
        if code_taps is None:
            return self.dtype.type(j * w)
        return np.add(code_taps[j], self.dtype.type(j * w), out=p.scratch(self.dtype, shape))

    def blend(self, p, code, mask, new):
        """``code = mask ? new : code`` without a branch: ``code += (new - code) * mask``, in
        wrapping unsigned arithmetic (the mask read as 0/1 bytes)."""
        if isinstance(new, np.ndarray):
            new -= code                                  # ``new`` is scratch: overwritten
        else:
            new = np.subtract(new, code, out=p.scratch(self.dtype, code.shape))
        new *= mask.view(np.uint8)
        code += new

    def step(self, p, values, codes, careful):
        """Reduce one pass (``_run``'s step): the values as the scan does, each code to its winner's."""
        (res, taps), (code, code_taps) = values, codes
        w = self.weight[p.dim]
        mask = p.scratch(bool, res.shape)
        self._first_two(p, res, taps, code, code_taps, w, mask)
        for j in range(2, len(taps)):
            self.beats(taps[j], res, out=mask)
            self.op(res, taps[j], out=res)
            self.blend(p, code, mask, self.tap_code(p, code_taps, j, w, code.shape))
        if careful:                                  # NaN results: the last NaN tap (its bits too), as the scan
            for j in range(len(taps)):
                np.isnan(taps[j], out=mask)
                np.copyto(res, taps[j], where=mask)
                self.blend(p, code, mask, self.tap_code(p, code_taps, j, w, code.shape))

    def _first_two(self, p, res, taps, code, code_taps, w, mask):
        """Taps 0 and 1: ``res = op(tap 0, tap 1)``, ``code = (tap 1 beats tap 0) ? code 1 : code 0``."""
        if len(taps) == 1:
            np.copyto(res, taps[0])
            np.copyto(code, self.tap_code(p, code_taps, 0, w, code.shape))
            return
        self.beats(taps[1], taps[0], out=mask)
        self.op(taps[0], taps[1], out=res)
        if code_taps is None:
            np.multiply(mask.view(np.uint8), self.dtype.type(w), out=code)
        else:
            np.copyto(code, code_taps[0])
            self.blend(p, code, mask, self.tap_code(p, code_taps, 1, w, code.shape))

    # ------------------------------------------------ each chunk: codes to indices
    def first_tap(self, o0, o1):
        """Flat index of the first tap of the windows in outer output rows ``o0:o1``, as terms
        to add: one ``(1, o1 - o0, *O[1:], 1)`` table, or, for long rows, a ``(1, 1, *O[1:], 1)``
        table for the inner dimensions and a ``(1, o1 - o0, 1, ..., 1)`` one for the rows
        (kept for one block of outer rows at a time)."""
        if (o0, o1) not in self._first_taps:
            self._first_taps.clear()
            ndim = self.indices.ndim
            terms = []
            for i, a in enumerate(self.axes):
                o = np.arange(o0, o1) if i == 0 else np.arange(a.out)
                shape = [1] * ndim
                shape[i + 1] = len(o)
                terms.append(((a.start + a.stride * o) * self.mult[i]).reshape(shape))
            rows, rest = terms[0], sum(terms[1:], np.zeros((1,) * ndim, dtype=np.int64))
            self._first_taps[(o0, o1)] = [rest, rows] if self.inner >= 256 else [rows + rest]
        return self._first_taps[(o0, o1)]

    def finish(self, where, values, codes):
        """A chunk's flat indices (``_run``'s finish): its windows' first taps plus the codes."""
        done = self.indices[where]
        terms = self.first_tap(where[1].start, where[1].stop)
        np.add(codes, terms[0], out=done)
        for term in terms[1:]:
            done += term
        # Windows whose real taps all equal the fill: the first in-bounds tap, as the scan picks it.
        lone = values == self.fill
        if lone.any():
            first = first_valid_index(self.axes).reshape((1,) + self.indices.shape[1:-1] + (1,))[:, where[1]]
            done[lone] = np.broadcast_to(first, values.shape)[lone]
        if self.absolute_positions:
            absolute(done, self.plane, where[0].start, out=done)


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


def _add_taps(p, sums, careful=False):
    res, taps = sums
    _reduce(np.add, res, taps)


def window_sum(x, axes, divisor=None):
    """Sum of the in-bounds elements of each window: ``(N, C, *L) -> (N, C, *O)``,
    accumulated in :func:`~poolkit.reduction.sum_dtype` (padding adds zeros).

    ``divisor`` (an int, or an array of shape ``(*O,)``), for floating ``x`` summed in its
    own dtype: divide the sums by it, chunk by chunk while they are in cache (an average).
    """
    if divisor is not None and sum_dtype(x.dtype) != x.dtype:
        raise TypeError(f"window_sum divides only sums kept in the input's dtype, not {x.dtype}'s")
    if not all(a.regular for a in axes):
        sums = windows.window_sum(x, axes)
        if divisor is not None:
            sums /= np.asarray(divisor, dtype=sums.dtype)
        return sums
    mem, last = memory_order(x)
    if divisor is not None:
        d = np.asarray(divisor)
        if d.size and not any(d.strides):                # one number (a broadcast): divide by a scalar
            divisor = x.dtype.type(d.reshape(-1)[0])
        else:
            divisor = d.astype(x.dtype).reshape((1,) + d.shape + (1,))
    (sums,) = _run([Stream(mem, sum_dtype(x.dtype), 0)], axes, _add_taps, divisor=divisor)
    return _to_input_layout(sums, x, last)


def transposed(axis):
    """The windows of :func:`window_sum`'s adjoint along one dimension (regular ``axis``).

    Input element ``i`` lies in window ``o`` at tap ``j`` when ``o*s - p + j*d = i``.
    Upsample the gradient by ``s`` (``U[o*s] = g[o]``, zeros between), and element
    ``i`` receives ``sum_j U[i + p - j*d]``: a window of ``k`` taps, dilation ``d``,
    starting at ``i - ((k-1)*d - p)``. So the adjoint is a stride-1 window sum over
    ``U`` with ``(k-1)*d - p`` padding before and ``L`` outputs.
    """
    k, s, d = axis.taps, axis.stride, axis.dilation
    before = (k - 1) * d + axis.start                     # axis.start = -p
    size = (axis.out - 1) * s + 1
    after = max(0, axis.size - 1 - before + (k - 1) * d - (size - 1))
    return Axis.regular_windows(size, k, 1, d, before, after, axis.size)


def spread(grad, axes, x_shape=None):
    """Adjoint of :func:`window_sum`: ``(N, C, *O) -> (N, C, *L)`` (``x_shape``).

    Element ``i`` of the result is the sum of ``grad`` over the windows that contain
    ``i`` (padding taps drop out), computed as a window sum of ``grad`` upsampled by
    the strides, over the :func:`transposed` windows: the same passes as the forward,
    one dimension at a time. ``grad``'s dtype is kept. Adaptive windows, which vary in
    size, are scattered back as :func:`poolkit.im2col.spread` does.
    """
    if not all(a.regular for a in axes):
        return im2col.spread(grad, axes, x_shape)
    mem, last = memory_order(grad)
    (dx,) = _run([Stream(mem, grad.dtype, 0)], [transposed(a) for a in axes], _add_taps,
                 upsample=[a.stride for a in axes])
    return _to_input_layout(dx, grad, last)


# ---------------------------------------------------------------- max/min backward: a scatter-add
def route(grad, indices, axes, x_shape):
    """Adjoint of picking one element per window: ``dx[n, c].flat[indices[n, c, o]] += grad[n, c, o]``.

    ``grad`` and ``indices`` are ``(N, C, *O)``; returns ``dx`` of shape ``x_shape`` (``(N, C, *L)``)
    and grad's dtype. The indices become positions in ``dx``'s memory (:func:`absolute`), a chunk
    of planes at a time (made in cache), and :func:`add_at` adds in output order, as PyTorch's
    kernel does, so the sums agree with it bit for bit.
    """
    plane, outputs = math.prod(x_shape[2:]), math.prod(grad.shape[2:])
    # In grad's memory order (B, *O, T): channels-first is (N*C, *O, 1), channels-last (N, *O, C).
    g, last = memory_order(grad)
    B, T = g.shape[0], g.shape[-1]
    g = g.reshape(B, outputs, T)
    idx = (np.moveaxis(indices, 1, -1) if last else indices).reshape(g.shape)
    dx = np.zeros(math.prod(x_shape), dtype=grad.dtype)
    per = max(1, min(B, CHUNK_BYTES // max(1, 8 * outputs * T)))    # planes whose positions fill a chunk
    pos = np.empty((per, outputs, T), dtype=np.int64)
    for b0 in range(0, B, per):
        b = min(per, B - b0)
        absolute(idx[b0:b0 + b].astype(np.int64, copy=False), plane, b0, out=pos[:b])
        add_at(dx, pos[:b].reshape(-1), g[b0:b0 + b].reshape(-1))
    return in_layout(dx, x_shape, last)


def scatter(grad, positions, x_shape, last=False, check=True):
    """``dx`` with ``dx.flat[positions] += grad``: the scatter-add of a layer's backward pass.

    ``grad`` and ``positions`` are ``(N, C, *O)``; positions are flat positions in ``dx``
    (``(N, C, *L)``) laid out channels-last (``(N, *L, C)``, if ``last``) or channels-first,
    as :func:`positions` makes them. The additions run in that order, so each element
    receives its additions in output order. With ``check``, a position outside ``dx`` is a
    ValueError (a layer skips the check: its positions are its forward pass's own).
    """
    def ordered(a):
        return np.moveaxis(a, 1, -1).reshape(-1) if last else a.reshape(-1)
    dx = np.zeros(math.prod(x_shape), dtype=grad.dtype)
    add_at(dx, ordered(positions).astype(np.int64, copy=False), ordered(grad), check)
    return in_layout(dx, x_shape, last)


def add_at(dx, positions, grad, check=False):
    """``dx[positions] += grad`` for flat arrays: ``np.add.at``, numpy's fast path for ``ufunc.at``
    (one index array), a chunk at a time; with ``check``, each chunk's positions are first
    checked to lie in ``dx`` (then added while in cache)."""
    per = max(1, CHUNK_BYTES // 8)
    for i in range(0, positions.size, per):
        chunk = positions[i:i + per]
        if check and chunk.view(np.uint64).max() >= dx.size:    # (a negative position reads as a huge one)
            low = chunk.min()
            raise ValueError(f"positions contains {low if low < 0 else chunk.max()}, outside [0, {dx.size}): "
                             "positions must be those the forward pass returned with "
                             "pool_positions for this x")
        np.add.at(dx, chunk, grad[i:i + per])


def in_layout(flat, x_shape, last):
    """A flat array holding ``(N, C, *L)`` channels-last (``last``) or channels-first -> ``(N, C, *L)``."""
    if last:
        return np.moveaxis(flat.reshape((x_shape[0],) + tuple(x_shape[2:]) + (x_shape[1],)), -1, 1)
    return flat.reshape(x_shape)
