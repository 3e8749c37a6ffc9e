"""Backward passes: the gradient of every pooling function with respect to its input.

A pooling output is made from its window in one of two ways, so every backward
pass is built from one of two adjoints:

- max and min pooling **pick** one element per window (the forward's index).
  The adjoint, :func:`route`, adds each output's gradient to the element it
  picked: ``dx[n, c].flat[idx[n, c, o]] += dy[n, c, o]``. Overlapping windows
  that picked the same element add up. Ties and NaN were settled by the forward
  pass (first tap in scan order; the last NaN), so the gradient goes where
  PyTorch sends it.
- average pooling **sums** each window, then divides. The adjoint of the sum,
  :func:`spread`, hands ``dy[o]`` to every real element of window ``o``; the
  backward pass spreads ``dy / divisor`` with the forward's own divisor
  (count_include_pad, ceil_mode's short windows, divisor_override).

Lp pooling is the chain rule around :func:`spread`; ``max_unpool`` puts values at
indices, and its adjoint gathers them back.

Every function here is named after its forward with ``_backward`` appended and
takes the gradient first, then the forward's own arguments::

    dx = max_pool2d_backward(dy, x, kernel_size, stride, padding, ...)

and returns ``dx`` with the shape, layout and dtype of ``x`` (which must be
floating point). ``method=`` picks the implementation as in the forward pass:
``"naive"`` loops over outputs, ``"im2col"`` scatters a column matrix back
(:func:`poolkit.im2col.scatter_add`), ``"windows"`` adds one tap at a time into a
strided view of a padded buffer (the transpose of
:func:`poolkit.windows.window_sum`), ``"separable"`` does that one dimension at a
time, and ``"auto"`` is ``"separable"``. Max and min agree to the bit across
methods; averages to float rounding.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import compiled as _compiled
from . import im2col as _im2col
from . import naive as _naive
from . import separable as _separable
from . import windows as _windows
from .functional import (_Input, _adaptive_axes, _argmax_args, _avg_plan, _check_bool, _check_norm_type,
                         _counts, _divide, _engine, _extreme_nc, _extreme_plan, _unpool_plan, _with_dims)
from .geometry import to_tuple
from .reduction import sum_dtype

# (route and spread, the two adjoints, stay in this module: poolkit.backward.route)
__all__ = [
    "max_pool_backward", "min_pool_backward", "avg_pool_backward", "lp_pool_backward",
    "adaptive_max_pool_backward", "adaptive_avg_pool_backward", "max_unpool_backward",
    "max_pool_with_argmax_backward",
]


# ---------------------------------------------------------------- the two adjoints
def route(grad, indices, x_shape, method="auto", check=False):
    """Adjoint of picking one element per window: scatter-add ``grad`` into the picked elements.

    Inputs:
    - grad: ``(N, C, *O)``, the gradient of each window's output.
    - indices: ``(N, C, *O)`` ints, the flat position in its ``(n, c)`` plane of the element
      each window picked (as ``max_pool(..., return_indices=True)`` returns them).
    - x_shape: ``(N, C, *L)``, the input's shape.

    Returns ``dx`` of shape ``x_shape`` and grad's dtype, with
    ``dx[n, c].flat[indices[n, c, o]] += grad[n, c, o]`` for every output ``o``. The
    additions into one element happen in output order, as in PyTorch's kernel, so the
    sums agree with it bit for bit. ``method="naive"`` is that sentence as a loop; every
    other method turns the indices into positions in ``dx``'s memory and adds with
    ``np.add.at`` (:func:`scatter`), a chunk of planes at a time (the positions are made
    in cache). ``check=True`` first makes sure every index lies in its plane (a
    ValueError otherwise).
    """
    planes, plane = int(np.prod(x_shape[:2])), int(np.prod(x_shape[2:]))
    outputs = int(np.prod(grad.shape[2:]))
    if check and indices.size and (indices.min() < 0 or indices.max() >= plane):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise ValueError(f"indices contains {bad}, outside [0, {plane}): indices must be the flat positions "
                         f"in the {'x'.join(map(str, x_shape[2:]))} input plane that the forward pass returned")
    if _engine(method) is _naive:
        dx = np.zeros((planes, plane), dtype=grad.dtype)
        g, idx = grad.reshape(planes, outputs), indices.reshape(planes, outputs)
        for p in range(planes):
            for o in range(outputs):
                dx[p, idx[p, o]] += g[p, o]
        return dx.reshape(x_shape)
    # In grad's memory order (B, *O, T): channels-first is (N*C, *O, 1), channels-last (N, *O, C).
    g, last = _separable._memory_order(grad)
    B, T = g.shape[0], g.shape[-1]
    g = g.reshape(B, outputs, T)
    idx = (np.moveaxis(indices, 1, -1) if last else indices).reshape(g.shape)
    dx = np.zeros(int(np.prod(x_shape)), dtype=grad.dtype)
    per = max(1, min(B, _separable.CHUNK_BYTES // max(1, 8 * outputs * T)))    # planes whose positions fill a chunk
    pos = np.empty((per, outputs, T), dtype=np.int64)
    for b0 in range(0, B, per):
        b = min(per, B - b0)
        _separable.absolute(idx[b0:b0 + b].astype(np.int64, copy=False), plane, b0, out=pos[:b])
        _add_at(dx, pos[:b].reshape(-1), g[b0:b0 + b].reshape(-1))
    return _in_layout(dx, x_shape, last)


def scatter(grad, positions, x_shape, last=False, check=True):
    """``dx`` with ``dx.flat[positions] += grad``: the scatter-add behind :func:`route`.

    ``grad`` and ``positions`` are ``(N, C, *O)``; positions are flat positions in ``dx``
    (``(N, C, *L)``) laid out channels-last (``(N, *L, C)``, if ``last``) or channels-first,
    as :func:`poolkit.separable.positions` makes them. The additions run in that order, so
    each element receives its additions in output order. With ``check``, a position
    outside ``dx`` is a ValueError (a layer skips the check: its positions are its forward
    pass's own).
    """
    def ordered(a):
        return np.moveaxis(a, 1, -1).reshape(-1) if last else a.reshape(-1)
    dx = np.zeros(int(np.prod(x_shape)), dtype=grad.dtype)
    _add_at(dx, ordered(positions).astype(np.int64, copy=False), ordered(grad), check)
    return _in_layout(dx, x_shape, last)


def _add_at(dx, positions, grad, check=False):
    """``dx[positions] += grad`` for flat arrays: ``np.add.at``, numpy's fast path for ``ufunc.at``
    (one index array), a chunk at a time; with ``check``, each chunk's positions are first
    checked to lie in ``dx`` (then added while in cache)."""
    per = max(1, _separable.CHUNK_BYTES // 8)
    for i in range(0, positions.size, per):
        chunk = positions[i:i + per]
        if check and chunk.view(np.uint64).max() >= dx.size:    # (a negative position reads as a huge one)
            low = chunk.min()
            raise ValueError(f"positions contains {low if low < 0 else chunk.max()}, outside [0, {dx.size}): "
                             "positions must be those the forward pass returned with "
                             "return_indices='positions' for this x")
        np.add.at(dx, chunk, grad[i:i + per])


def _in_layout(flat, x_shape, last):
    """A flat array holding ``(N, C, *L)`` channels-last (``last``) or channels-first -> ``(N, C, *L)``."""
    if last:
        return np.moveaxis(flat.reshape((x_shape[0],) + tuple(x_shape[2:]) + (x_shape[1],)), -1, 1)
    return flat.reshape(x_shape)


def spread(grad, axes, x_shape, method="auto"):
    """Adjoint of the window sum: every real element of window ``o`` receives ``grad[..., o]``.

    Inputs:
    - grad: ``(N, C, *O)``.
    - axes: the spatial dims' :class:`~poolkit.geometry.Axis` (regular or adaptive windows).
    - x_shape: ``(N, C, *L)``.

    Returns ``dx`` of shape ``x_shape`` and grad's dtype: ``dx[n, c, i]`` is the sum of
    ``grad[n, c, o]`` over the windows ``o`` that contain ``i`` (padding taps drop out).
    ``"naive"`` loops over windows and their taps; ``"im2col"`` broadcasts ``grad`` to a
    column matrix and scatters it back (col2im); ``"windows"`` adds ``grad`` once per tap
    into a strided view of a padded buffer; ``"separable"``/``"auto"`` is
    :func:`poolkit.separable.spread`, the forward's chunked passes run on ``grad``
    upsampled by the stride, one spatial dimension at a time (``k_h + k_w`` adds
    instead of ``k_h * k_w``). Adaptive windows vary in size and always scatter.
    """
    engine = _engine(method)
    if grad.size == 0 or int(np.prod(x_shape)) == 0:
        return np.zeros(x_shape, dtype=grad.dtype)
    if engine is _naive:
        dx = np.zeros(x_shape, dtype=grad.dtype)
        for n, c in np.ndindex(*x_shape[:2]):
            for o in np.ndindex(grad.shape[2:]):
                for pos, _ in _naive._taps(axes, o):
                    dx[(n, c) + pos] += grad[(n, c) + o]
        return dx
    if engine is _im2col or not all(a.regular for a in axes):
        cols = np.broadcast_to(grad[..., None], grad.shape + (int(np.prod([a.taps for a in axes])),))
        return _im2col.scatter_add(cols, axes, x_shape)
    if engine is _separable:
        return _separable.spread(grad, axes)
    if engine is _compiled:
        return _compiled.spread(grad, axes, x_shape)
    return _spread_taps(grad, axes, x_shape)


def _spread_taps(grad, axes, x_shape):
    """:func:`spread` for regular windows, one vectorised add per tap: the transpose of
    :func:`poolkit.windows.window_sum` (which reads one tap of every window at a time)."""
    pads = [a.padding() for a in axes]
    buf = np.zeros(tuple(x_shape[:2]) + tuple(a.size + b + e for a, (b, e) in zip(axes, pads)), dtype=grad.dtype)
    win = _windows.padded_windows(buf, axes, writeable=True)
    for j in itertools.product(*(range(a.taps) for a in axes)):
        win[(Ellipsis,) + j] += grad
    return buf[(slice(None), slice(None)) + tuple(slice(b, b + a.size) for a, (b, _) in zip(axes, pads))]


# ---------------------------------------------------------------- shared checks
def _grad(grad_output, inp, out_spatial, data_format, fname, what="grad_output", kinds="fiu"):
    """``grad_output`` (or the forward's ``indices``) in ``(N, C, *O)``, checked against the forward's output shape."""
    g = _Input(grad_output, len(inp.spatial), data_format, fname, kinds=kinds, what=what)
    expected = inp.x.shape[:2] + tuple(out_spatial)
    if g.batched != inp.batched or g.x.shape != expected:
        forward = fname.removesuffix("_backward")
        x_shape = inp.restore(inp.x).shape
        want = inp.restore(np.empty(expected, dtype=bool)).shape
        raise ValueError(f"{what} has shape {np.shape(grad_output)}; {forward} maps x of shape {x_shape} "
                         f"to outputs of shape {want}, and {what} must have that shape")
    return g.x


def _picked(grad_output, mode, inp, axes, indices, data_format, method, fname, positions=None, check=True):
    """Backward of max/min pooling: route ``grad_output`` to the forward's picks: its ``indices``,
    or its ``positions`` in ``x`` (:func:`scatter`; ``check``: that they lie in ``x``), or, given
    neither, those of the forward pass recomputed (the naive method loops, the others scatter)."""
    g = _grad(grad_output, inp, [a.out for a in axes], data_format, fname).astype(sum_dtype(inp.x.dtype),
                                                                               copy=False)
    if indices is not None and positions is not None:
        raise TypeError(f"{fname} takes the forward's indices or its positions, not both")
    if _engine(method) is _compiled and all(a.regular for a in axes):    # a gather, by the compiled kernel
        if positions is not None:
            picks = _grad(positions, inp, g.shape[2:], data_format, fname, what="positions", kinds="i")
        elif indices is not None:
            picks = _grad(indices, inp, g.shape[2:], data_format, fname, what="indices", kinds="iu")
        else:
            picks = _extreme_nc(mode, inp, axes, "positions", method)[1]
        dx = _compiled.route(g, picks, inp.x.shape, axes, positions=indices is None, last=inp.last,
                             check=check and (indices is not None or positions is not None))
        return inp.restore(dx.astype(inp.x.dtype, copy=False))
    if positions is None and (indices is not None or _engine(method) is _naive):
        if indices is None:                              # the loop, as the naive method's forward found them
            idx = _extreme_nc(mode, inp, axes, True, method)[1]
        else:                                            # the caller's: they must lie in the plane
            idx = _grad(indices, inp, g.shape[2:], data_format, fname, what="indices", kinds="iu")
        dx = route(g, idx, inp.x.shape, method, check=indices is not None)
    else:
        given = positions is not None
        if given:
            positions = _grad(positions, inp, g.shape[2:], data_format, fname, what="positions", kinds="i")
        else:
            positions = _extreme_nc(mode, inp, axes, "positions", method)[1]
        dx = scatter(g, positions, inp.x.shape, inp.last, check and given)
    return inp.restore(dx.astype(inp.x.dtype, copy=False))


def _averaged(grad_output, inp, axes, divisor, data_format, method, fname):
    """Backward of an average: spread ``grad_output / divisor`` over each window's real elements."""
    acc = sum_dtype(inp.x.dtype)
    g = _grad(grad_output, inp, [a.out for a in axes], data_format, fname).astype(acc)
    if _engine(method) is _compiled:                     # divides inside the kernel
        return inp.restore(_compiled.spread(g, axes, inp.x.shape, divisor).astype(inp.x.dtype, copy=False))
    dx = spread(_divide(g, divisor, acc), axes, inp.x.shape, method)
    return inp.restore(dx.astype(inp.x.dtype, copy=False))


# ---------------------------------------------------------------- max and min
def max_pool_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                      return_indices=False, *, indices=None, positions=None, dims, data_format="channels_first",
                      method="auto"):
    """Gradient of :func:`~poolkit.functional.max_pool` with respect to ``x``.

    Inputs:
    - grad_output: ``(N, C, *O)`` (or unbatched ``(C, *O)``), the gradient of the pooled values.
    - x: ``(N, C, *L)`` (or ``(C, *L)``), floating point: the forward pass's input.
    - kernel_size, stride, padding, dilation, ceil_mode, data_format: as in the forward pass.
      ``return_indices`` is accepted, and ignored, so the forward's arguments can be passed
      unchanged.
    - indices: optional, the forward's indices (``return_indices=True``); given, they are
      used as they are and the forward pass is not recomputed.
    - positions: optional, instead of ``indices``, the forward's positions in ``x``
      (``return_indices="positions"``): one scatter-add, no conversion (the layers do this).

    Returns ``dx``: shape, layout and dtype of ``x``. Each output's gradient goes, whole,
    to the element the forward pass picked: the first maximal tap in scan order on ties,
    the last NaN if the window has one. Overlapping windows accumulate:
    ``[1, 3, 2, 3, 0]`` with ``kernel_size=3, stride=1`` and ``dy = 1`` gives
    ``[0, 2, 0, 1, 0]``.
    """
    return _extreme_backward("max", grad_output, x, kernel_size, stride, padding, dilation, ceil_mode,
                             indices=indices, positions=positions, dims=dims, data_format=data_format, method=method)


def min_pool_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                      return_indices=False, *, indices=None, positions=None, dims, data_format="channels_first",
                      method="auto"):
    """Gradient of :func:`~poolkit.functional.min_pool`: :func:`max_pool_backward` with the
    forward's minimal elements (first minimal tap on ties, last NaN) receiving the gradient."""
    return _extreme_backward("min", grad_output, x, kernel_size, stride, padding, dilation, ceil_mode,
                             indices=indices, positions=positions, dims=dims, data_format=data_format, method=method)


def _extreme_backward(mode, grad_output, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *,
                      indices=None, positions=None, dims, data_format="channels_first", method="auto", check=True):
    """:func:`max_pool_backward` (``mode="max"``) or :func:`min_pool_backward`; ``check=False``
    trusts ``positions`` (a layer's, from its own forward pass) without reading them first."""
    fname = f"{mode}_pool{dims}d_backward"
    inp, axes = _extreme_plan(x, kernel_size, stride, padding, dilation, ceil_mode, dims, data_format, fname, "f")
    return _picked(grad_output, mode, inp, axes, indices, data_format, method, fname, positions, check)


def adaptive_max_pool_backward(grad_output, x, output_size, return_indices=False, *, indices=None, dims,
                               data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_max_pool`.

    ``grad_output``: ``(N, C, *output_size)``; ``x``: ``(N, C, *L)``, floating point.
    Returns ``dx`` shaped like ``x``: each output's gradient goes to the element its
    (possibly overlapping) window picked, as :func:`max_pool_backward`. An
    ``output_size`` with a 0 gives an all-zero gradient (PyTorch raises instead).
    """
    fname = f"adaptive_max_pool{dims}d_backward"
    inp = _Input(x, dims, data_format, fname, kinds="f")
    axes = _adaptive_axes(inp, output_size, dims)
    return _picked(grad_output, "max", inp, axes, indices, data_format, method, fname)


# ---------------------------------------------------------------- averages
def avg_pool_backward(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=None,
                      divisor_override=None, *, dims, data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.avg_pool` with respect to ``x``.

    Inputs:
    - grad_output: ``(N, C, *O)`` (or ``(C, *O)``).
    - x: ``(N, C, *L)`` (or ``(C, *L)``), floating point; only its shape and dtype matter,
      since the average is linear.
    - the forward's other arguments, unchanged.

    Returns ``dx`` shaped like ``x``: every real element of window ``o`` receives
    ``grad_output[o] / divisor[o]``, with the forward's divisor (computed by the same
    code): ``divisor_override``, else the taps inside the padded input
    (``count_include_pad``, shorter for a ceil_mode window past the padding), else the
    real elements. Padding taps receive nothing.
    """
    fname = f"avg_pool{dims}d_backward"
    inp, axes, divisor = _avg_plan(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                                   dims, data_format, fname, kinds="f")
    return _averaged(grad_output, inp, axes, divisor, data_format, method, fname)


def adaptive_avg_pool_backward(grad_output, x, output_size, *, dims, data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_avg_pool`: each element of window ``o``
    receives ``grad_output[o] / len(window o)``. ``grad_output``: ``(N, C, *output_size)``;
    returns ``dx`` shaped like ``x``."""
    fname = f"adaptive_avg_pool{dims}d_backward"
    inp = _Input(x, dims, data_format, fname, kinds="f")
    axes = _adaptive_axes(inp, output_size, dims)
    return _averaged(grad_output, inp, axes, _counts(axes, "valid"), data_format, method, fname)


# ---------------------------------------------------------------- Lp
def lp_pool_backward(grad_output, x, norm_type, kernel_size, stride=None, ceil_mode=False, *, dims,
                     data_format="channels_first", method="auto"):
    r"""Gradient of :func:`~poolkit.functional.lp_pool`: the derivative of PyTorch's formula.

    With ``a = avg_pool(x**p)`` (count_include_pad, no padding) and ``S = a * prod(k)``,
    the forward is ``y = S**(1/p)``, so

    .. math:: \frac{\partial y}{\partial x_i} = S^{1/p - 1} \, \frac{\prod k}{\mathrm{divisor}} \, x_i^{p-1}

    for each real element ``x_i`` of the window (``prod(k) / divisor`` is 1 except for a
    ceil_mode window cut short by the input's edge). Where ``S == 0`` the gradient is
    zero, as PyTorch documents ("if the sum of all inputs to the power of p is zero, the
    gradient is set to zero as well"); elsewhere PyTorch's floating-point special cases
    carry over: ``0 ** (p - 1)`` is ``inf`` for ``p < 1``, so an element equal to zero
    gets ``nan`` from a window with a nonzero sum, and a negative sum with odd or
    fractional ``p`` (a NaN forward) gives NaN. ``p = inf`` and ``p = -inf`` route the
    gradient, times ``sign(x)``, to the element of largest (smallest) ``|x|``, as
    max pooling does (``sign(0) = 0``).

    Shapes: ``grad_output`` ``(N, C, *O)``, ``x`` ``(N, C, *L)`` floating point; returns
    ``dx`` shaped like ``x``.
    """
    fname = f"lp_pool{dims}d_backward"
    _Input(x, dims, data_format, fname, kinds="f")  # validates before any arithmetic
    p = _check_norm_type(norm_type)
    if np.isinf(p):  # y = sign * max_pool(sign * |x|), sign = +1 or -1
        sign, x = (1 if p > 0 else -1), np.asarray(x)
        inp, axes = _extreme_plan(sign * np.abs(x), kernel_size, stride, 0, 1, ceil_mode, dims, data_format, fname)
        return _picked(grad_output, "max", inp, axes, None, data_format, method, fname) * np.sign(x)
    inp, axes, divisor = _avg_plan(x, kernel_size, stride, 0, ceil_mode, True, None, dims, data_format, fname, "f")
    acc = sum_dtype(inp.x.dtype)
    g = _grad(grad_output, inp, [a.out for a in axes], data_format, fname).astype(acc)
    k = int(np.prod(to_tuple(kernel_size, dims, "kernel_size")))
    xs = inp.x.astype(acc)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a = _divide(_engine(method).window_sum(xs ** p, axes), divisor, acc)
        s = a * k
        da = np.where(a == 0, 0, g * ((1.0 / p) * s ** (1.0 / p - 1)) * k)      # dy/da, zero where the sum is 0
        dx = spread(_divide(da, divisor, acc), axes, inp.x.shape, method) * (p * xs ** (p - 1))
    return inp.restore(dx.astype(inp.x.dtype, copy=False))


# ---------------------------------------------------------------- unpooling
def max_unpool_backward(grad_output, x, indices, kernel_size, stride=None, padding=0, output_size=None, *, dims,
                        data_format="channels_first"):
    """Gradient of :func:`~poolkit.functional.max_unpool` with respect to its input values ``x``.

    Inputs: ``grad_output`` shaped like the unpooled output ``(N, C, *output_size)``; then
    the forward's own arguments: ``x`` and ``indices`` ``(N, C, *L)`` (``x`` floating
    point), ``kernel_size``, ``stride``, ``padding``, ``output_size``.

    Returns ``dx`` shaped like ``x``: unpooling writes ``x`` at ``indices``, so its adjoint
    reads the gradient back from there, ``dx[n, c, i] = grad_output[n, c].flat[indices[n, c, i]]``
    (a gather, as PyTorch's). Two values sent to the same position each get its gradient.
    ``indices`` gets no gradient: it is an integer array.
    """
    fname = f"max_unpool{dims}d_backward"
    inp, flat, size = _unpool_plan(x, indices, kernel_size, stride, padding, output_size, dims, data_format,
                                   fname, kinds="f")
    g = _grad(grad_output, inp, size, data_format, fname)
    dx = np.take_along_axis(g.reshape(inp.x.shape[:2] + (int(np.prod(size)),)), flat, axis=2)
    return inp.restore(dx.reshape(inp.x.shape).astype(inp.x.dtype, copy=False))


# ---------------------------------------------------------------- TensorFlow's argmax
def max_pool_with_argmax_backward(grad_output, x, ksize, strides, padding, include_batch_in_index=False, *,
                                  method="auto"):
    """Gradient of :func:`~poolkit.functional.max_pool_with_argmax` with respect to ``x``.

    ``grad_output``: ``(N, Ho, Wo, C)``, the gradient of the pooled values; ``x``:
    ``(N, H, W, C)``, floating point; the forward's other arguments unchanged
    (``include_batch_in_index`` changes only the index numbering, not the gradient).
    Returns ``dx`` ``(N, H, W, C)``: each gradient goes to the element the argmax names,
    as TensorFlow's ``MaxPoolGradWithArgmax`` (and :func:`max_pool_backward` with NHWC).
    """
    fname = "max_pool_with_argmax_backward"
    x, k, s, pad = _argmax_args(x, ksize, strides, padding, fname)
    _check_bool(include_batch_in_index, "include_batch_in_index")
    inp, axes = _extreme_plan(x, k, s, pad, 1, False, 2, "NHWC", fname, "f")
    return _picked(grad_output, "max", inp, axes, None, "NHWC", method, fname)


# ---------------------------------------------------------------- 1-D, 2-D, 3-D names
def _named(generic, forward):
    return tuple(_with_dims(generic, d, f"{forward}{d}d_backward") for d in (1, 2, 3))


max_pool1d_backward, max_pool2d_backward, max_pool3d_backward = _named(max_pool_backward, "max_pool")
min_pool1d_backward, min_pool2d_backward, min_pool3d_backward = _named(min_pool_backward, "min_pool")
avg_pool1d_backward, avg_pool2d_backward, avg_pool3d_backward = _named(avg_pool_backward, "avg_pool")
lp_pool1d_backward, lp_pool2d_backward, lp_pool3d_backward = _named(lp_pool_backward, "lp_pool")
adaptive_max_pool1d_backward, adaptive_max_pool2d_backward, adaptive_max_pool3d_backward = \
    _named(adaptive_max_pool_backward, "adaptive_max_pool")
adaptive_avg_pool1d_backward, adaptive_avg_pool2d_backward, adaptive_avg_pool3d_backward = \
    _named(adaptive_avg_pool_backward, "adaptive_avg_pool")
max_unpool1d_backward, max_unpool2d_backward, max_unpool3d_backward = _named(max_unpool_backward, "max_unpool")

__all__ += [f"{name}{d}d_backward" for name in ("max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool",
                                                 "adaptive_avg_pool", "max_unpool") for d in (1, 2, 3)]
