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
time, ``"numba"`` runs compiled loops in which each thread owns a region of ``dx``
(:mod:`poolkit.compiled`), and ``"auto"``
is ``"separable"``. Max and min agree to the bit across
methods; averages to float rounding.
"""

from __future__ import annotations

import numpy as np

from . import compiled, plan, separable
from .geometry import to_tuple
from .reduction import sum_dtype
from .separable import scatter  # noqa: F401  (poolkit.backward.scatter: the layers' scatter-add)

# (route and spread, the two adjoints, stay in this module: poolkit.backward.route)
__all__ = [
    "max_pool_backward", "min_pool_backward", "avg_pool_backward", "lp_pool_backward",
    "adaptive_max_pool_backward", "adaptive_avg_pool_backward", "max_unpool_backward",
    "max_pool_with_argmax_backward",
]


# ---------------------------------------------------------------- the two adjoints
def route(grad, indices, x_shape, method="auto", check=False, axes=None):
    """Adjoint of picking one element per window: scatter-add ``grad`` into the picked elements.

    Inputs:
    - grad: ``(N, C, *O)``, the gradient of each window's output.
    - indices: ``(N, C, *O)`` ints, the flat position in its ``(n, c)`` plane of the element
      each window picked (as ``max_pool(..., return_indices=True)`` returns them).
    - x_shape: ``(N, C, *L)``, the input's shape.
    - axes: the windows (:class:`~poolkit.geometry.Axis`), which ``method="windows"`` needs.

    Returns ``dx`` of shape ``x_shape`` and grad's dtype, with
    ``dx[n, c].flat[indices[n, c, o]] += grad[n, c, o]`` for every output ``o``. The
    additions into one element happen in output order, as in PyTorch's kernel, so the
    sums agree with it bit for bit, whichever engine ``method`` names: ``"naive"`` is that
    sentence as a loop (:func:`poolkit.naive.route`), ``"im2col"`` one ``np.add.at``,
    ``"windows"`` one add per tap into a strided view, ``"separable"``/``"auto"`` positions
    in ``dx``'s memory made a chunk at a time (:func:`poolkit.separable.route`).
    ``check=True`` first makes sure every index lies in its plane (a ValueError otherwise).
    """
    if check:
        plan.check_indices(indices, x_shape)
    engine = plan.engine(method)
    if engine is plan.METHODS["windows"] and axes is None:
        engine = plan.METHODS["im2col"]                  # (without the windows, one scatter-add)
    return engine.route(grad, indices, axes, x_shape)


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
    engine = plan.engine(method)
    if grad.size == 0 or int(np.prod(x_shape)) == 0:
        return np.zeros(x_shape, dtype=grad.dtype)
    return engine.spread(grad, axes, x_shape)


# ---------------------------------------------------------------- shared checks
def _grad(grad_output, p, out_spatial, fname, what="grad_output", kinds="fiu"):
    """``grad_output`` (or the forward's ``indices``) in ``(N, C, *O)``, checked against the forward's output shape."""
    g = plan.Input(grad_output, len(p.spatial), p.data_format, fname, kinds=kinds, what=what)
    expected = p.x.shape[:2] + tuple(out_spatial)
    if g.batched != p.batched or g.x.shape != expected:
        forward = fname.removesuffix("_backward")
        x_shape = p.restore(p.x).shape
        want = p.restore(np.empty(expected, dtype=bool)).shape
        raise ValueError(f"{what} has shape {np.shape(grad_output)}; {forward} maps x of shape {x_shape} "
                         f"to outputs of shape {want}, and {what} must have that shape")
    return g.x


def _picked(grad_output, mode, p, indices, method, fname, positions=None, check=True):
    """Backward of max/min pooling: route ``grad_output`` to the forward's picks: its ``indices``,
    or its ``positions`` in ``x`` (:func:`scatter`; ``check``: that they lie in ``x``), or, given
    neither, those of the forward pass recomputed by the same engine."""
    g = _grad(grad_output, p, p.out_shape[2:], fname).astype(sum_dtype(p.x.dtype), copy=False)
    if indices is not None and positions is not None:
        raise TypeError(f"{fname} takes the forward's indices or its positions, not both")
    if positions is not None:
        positions = _grad(positions, p, g.shape[2:], fname, what="positions", kinds="i")
        if not check and plan.engine(method) is compiled:    # a layer's own positions: the kernel's scatter
            dx = compiled.route(g, positions, p.axes, p.x.shape, last=p.last)
        else:
            dx = separable.scatter(g, positions, p.x.shape, p.last, check)
    elif indices is not None:                            # the caller's: they must lie in the plane
        idx = _grad(indices, p, g.shape[2:], fname, what="indices", kinds="iu")
        dx = route(g, idx, p.x.shape, method, check=True, axes=p.axes)
    elif plan.engine(method) is separable:               # the fast path: positions in x, made in cache
        dx = separable.scatter(g, plan.extreme(p, mode, "positions", method)[1], p.x.shape, p.last, False)
    else:
        dx = route(g, plan.extreme(p, mode, True, method)[1], p.x.shape, method, axes=p.axes)
    return p.restore(dx.astype(p.x.dtype, copy=False))


def _averaged(grad_output, p, method, fname):
    """Backward of an average: spread ``grad_output / divisor`` over each window's real elements."""
    acc = sum_dtype(p.x.dtype)
    g = _grad(grad_output, p, p.out_shape[2:], fname).astype(acc, copy=False)
    if plan.engine(method) is compiled and acc.kind == "f" and g.size:  # the kernel divides as it adds
        dx = compiled.spread(g, p.axes, p.x.shape, divisor=p.divisor)
    else:
        dx = spread(plan.divide(g, p.divisor, acc), p.axes, p.x.shape, method)
    return p.restore(dx.astype(p.x.dtype, copy=False))


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
      (:func:`~poolkit.functional.pool_positions`): one scatter-add, no conversion.

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
                      indices=None, positions=None, dims, data_format="channels_first", method="auto"):
    """:func:`max_pool_backward` (``mode="max"``) or :func:`min_pool_backward`."""
    fname = f"{mode}_pool{dims}d_backward"
    p = plan.max_min(x, kernel_size, stride, padding, dilation, ceil_mode, dims=dims, data_format=data_format,
                     fname=fname, kinds="f")
    return _picked(grad_output, mode, p, indices, method, fname, positions)


def cached_positions_backward(mode, grad_output, x, positions, kernel_size, stride=None, padding=0, dilation=1,
                              ceil_mode=False, *, dims, data_format="channels_first", method="auto"):
    """Gradient of max (``mode="max"``) or min pooling from a layer's cache: ``positions`` are the
    forward pass's own (:func:`~poolkit.functional.pool_positions`, for this ``x``), so they are scattered
    without reading them first (the range check costs 10-25% of the backward pass); ``method="numba"``
    scatters them in compiled loops, each thread in a region of its own (:func:`poolkit.compiled.route`).

    What :class:`~poolkit.layers.MaxPool2d` and the other max/min layers call; given positions
    of unknown origin, use :func:`max_pool_backward` with ``positions=``, which checks them.
    """
    key, kept = plan.kept_call(method, (grad_output, x, positions), mode, dims, data_format, kernel_size, stride,
                               padding, dilation, ceil_mode)
    if kept:
        return kept(grad_output, positions)
    fname = f"{mode}_pool{dims}d_backward"
    p = plan.max_min(x, kernel_size, stride, padding, dilation, ceil_mode, dims=dims, data_format=data_format,
                     fname=fname, kinds="f")
    dx = _picked(grad_output, mode, p, None, method, fname, positions, check=False)
    plan.keep(key, lambda: compiled.prepare_backward(p, mode, p.bring(grad_output)) if positions.dtype == np.int64
              else None)
    return dx


def adaptive_max_pool_backward(grad_output, x, output_size, return_indices=False, *, indices=None, dims,
                               data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_max_pool`.

    ``grad_output``: ``(N, C, *output_size)``; ``x``: ``(N, C, *L)``, floating point.
    Returns ``dx`` shaped like ``x``: each output's gradient goes to the element its
    (possibly overlapping) window picked, as :func:`max_pool_backward`. An
    ``output_size`` with a 0 gives an all-zero gradient (PyTorch raises instead).
    """
    fname = f"adaptive_max_pool{dims}d_backward"
    p = plan.adaptive(x, output_size, dims=dims, data_format=data_format, fname=fname)
    return _picked(grad_output, "max", p, indices, method, fname)


# ---------------------------------------------------------------- averages
def avg_pool_backward(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
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
    key, kept = plan.kept_call(method, (grad_output, x), "avg", dims, data_format, kernel_size, stride, padding,
                               ceil_mode, count_include_pad, divisor_override)
    if kept:
        return kept(grad_output)
    fname = f"avg_pool{dims}d_backward"
    p = plan.average(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, dims=dims,
                     data_format=data_format, fname=fname, kinds="f")
    dx = _averaged(grad_output, p, method, fname)
    plan.keep(key, lambda: compiled.prepare_backward(p, "avg", p.bring(grad_output)))
    return dx


def adaptive_avg_pool_backward(grad_output, x, output_size, *, dims, data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_avg_pool`: each element of window ``o``
    receives ``grad_output[o] / len(window o)``. ``grad_output``: ``(N, C, *output_size)``;
    returns ``dx`` shaped like ``x``."""
    fname = f"adaptive_avg_pool{dims}d_backward"
    p = plan.adaptive(x, output_size, dims=dims, data_format=data_format, fname=fname)
    return _averaged(grad_output, p, method, fname)


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
    plan.Input(x, dims, data_format, fname, kinds="f")  # validates before any arithmetic
    p = plan.norm_type(norm_type)
    if np.isinf(p):  # y = sign * max_pool(sign * |x|), sign = +1 or -1
        sign, x = (1 if p > 0 else -1), np.asarray(x)
        extreme = plan.max_min(sign * np.abs(x), kernel_size, stride, 0, 1, ceil_mode, dims=dims,
                               data_format=data_format, fname=fname)
        return _picked(grad_output, "max", extreme, None, method, fname) * np.sign(x)
    avg = plan.average(x, kernel_size, stride, 0, ceil_mode, True, None, dims=dims, data_format=data_format,
                       fname=fname, kinds="f")
    acc = sum_dtype(avg.x.dtype)
    g = _grad(grad_output, avg, avg.out_shape[2:], fname).astype(acc)
    k = int(np.prod(to_tuple(kernel_size, dims, "kernel_size")))
    xs = avg.x.astype(acc)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        a = plan.divide(plan.engine(method).window_sum(xs ** p, avg.axes), avg.divisor, acc)
        s = a * k
        da = np.where(a == 0, 0, g * ((1.0 / p) * s ** (1.0 / p - 1)) * k)      # dy/da, zero where the sum is 0
        dx = spread(plan.divide(da, avg.divisor, acc), avg.axes, avg.x.shape, method) * (p * xs ** (p - 1))
    return avg.restore(dx.astype(avg.x.dtype, copy=False))


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
    inp, flat, size = plan.unpool(x, indices, kernel_size, stride, padding, output_size, dims=dims,
                                  data_format=data_format, fname=fname, kinds="f")
    g = _grad(grad_output, inp, size, fname)
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
    x, k, s, pad = plan.with_argmax(x, ksize, strides, padding, fname)
    plan.check_bool(include_batch_in_index, "include_batch_in_index")
    p = plan.max_min(x, k, s, pad, 1, False, dims=2, data_format="NHWC", fname=fname, kinds="f")
    return _picked(grad_output, "max", p, None, method, fname)


# ---------------------------------------------------------------- 1-D, 2-D, 3-D
def max_pool1d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                        return_indices=False, *, indices=None, positions=None, data_format="channels_first",
                        method="auto"):
    """Gradient of :func:`~poolkit.functional.max_pool1d` with respect to ``x``.

    Each output's gradient goes, whole, to the element its window picked (the first maximal tap
    on ties, the last NaN); overlapping windows accumulate.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, L_out) or (C, L_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, L) or (C, L)
        The forward's input, floating point.
    kernel_size, stride, padding, dilation, ceil_mode, data_format, method
        As in :func:`~poolkit.functional.max_pool1d`; ``return_indices`` is accepted and ignored, so the
        forward's arguments pass unchanged.
    indices : ndarray of ints, shape of grad_output, optional
        The forward's indices (``return_indices=True``): used as given, the forward pass is not
        recomputed.
    positions : ndarray of int64, shape of grad_output, optional
        Instead of ``indices``, the forward's positions in ``x`` (:func:`~poolkit.functional.pool_positions`):
        one scatter-add, no conversion.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 3., 0.]]])
    >>> max_pool1d_backward(np.ones((1, 1, 3)), x, 3, stride=1)
    array([[[0., 2., 0., 1., 0.]]])
    """
    return max_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode, indices=indices,
                             positions=positions, dims=1, data_format=data_format, method=method)


def min_pool1d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                        return_indices=False, *, indices=None, positions=None, data_format="channels_first",
                        method="auto"):
    """Gradient of :func:`~poolkit.functional.min_pool1d` with respect to ``x``.

    Each output's gradient goes, whole, to the element its window picked (the first minimal tap
    on ties, the last NaN); overlapping windows accumulate.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, L_out) or (C, L_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, L) or (C, L)
        The forward's input, floating point.
    kernel_size, stride, padding, dilation, ceil_mode, data_format, method
        As in :func:`~poolkit.functional.min_pool1d`; ``return_indices`` is accepted and ignored, so the
        forward's arguments pass unchanged.
    indices : ndarray of ints, shape of grad_output, optional
        The forward's indices (``return_indices=True``): used as given, the forward pass is not
        recomputed.
    positions : ndarray of int64, shape of grad_output, optional
        Instead of ``indices``, the forward's positions in ``x`` (:func:`~poolkit.functional.pool_positions`):
        one scatter-add, no conversion.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 3., 0.]]])
    >>> min_pool1d_backward(np.ones((1, 1, 3)), x, 3, stride=1)
    array([[[1., 0., 1., 0., 1.]]])
    """
    return min_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode, indices=indices,
                             positions=positions, dims=1, data_format=data_format, method=method)


def avg_pool1d_backward(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                        divisor_override=None, *, data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.avg_pool1d` with respect to ``x``.

    Every real element of window ``o`` receives ``grad_output[o] / divisor[o]``, with the forward's
    divisor; padding taps receive nothing.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, L_out) or (C, L_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, L) or (C, L)
        The forward's input, floating point.
        Only its shape and dtype matter: the average is linear.
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, data_format, method
        As in :func:`~poolkit.functional.avg_pool1d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> avg_pool1d_backward(np.ones((1, 1, 3)), x, 2)
    array([[[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]])
    """
    return avg_pool_backward(grad_output, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             divisor_override, dims=1, data_format=data_format, method=method)


def lp_pool1d_backward(grad_output, x, norm_type, kernel_size, stride=None, ceil_mode=False, *,
                       data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.lp_pool1d`: the derivative of PyTorch's formula
    (see :func:`lp_pool_backward`).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, L_out) or (C, L_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, L) or (C, L)
        The forward's input, floating point.
    norm_type, kernel_size, stride, ceil_mode, data_format, method
        As in :func:`~poolkit.functional.lp_pool1d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> lp_pool1d_backward(np.ones((1, 1, 3)), x, 1, 2)
    array([[[1., 1., 1., 1., 1., 1.]]])
    """
    return lp_pool_backward(grad_output, x, norm_type, kernel_size, stride, ceil_mode, dims=1, data_format=data_format,
                            method=method)


def adaptive_max_pool1d_backward(grad_output, x, output_size, return_indices=False, *, indices=None,
                                 data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_max_pool1d`: each output's gradient goes to
    the element its window picked.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, L) or (C, L)
        The forward's input, floating point.
    output_size, data_format, method
        As in :func:`~poolkit.functional.adaptive_max_pool1d`; ``return_indices`` is accepted and ignored.
    indices : ndarray of ints, shape of grad_output, optional
        The forward's indices: used as given.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> adaptive_max_pool1d_backward(np.ones((1, 1) + (1,) * 1), x, 1)
    array([[[0., 0., 0., 1., 0., 0.]]])
    """
    return adaptive_max_pool_backward(grad_output, x, output_size, indices=indices, dims=1, data_format=data_format,
                                      method=method)


def adaptive_avg_pool1d_backward(grad_output, x, output_size, *, data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_avg_pool1d`: each element of window ``o``
    receives ``grad_output[o] / len(window o)``.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, L) or (C, L)
        The forward's input, floating point.
    output_size, data_format, method
        As in :func:`~poolkit.functional.adaptive_avg_pool1d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> adaptive_avg_pool1d_backward(np.ones((1, 1) + (1,) * 1), x, 1)
    array([[[0.16666667, 0.16666667, 0.16666667, 0.16666667, 0.16666667,
             0.16666667]]])
    """
    return adaptive_avg_pool_backward(grad_output, x, output_size, dims=1, data_format=data_format, method=method)


def max_unpool1d_backward(grad_output, x, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                          data_format="channels_first"):
    """Gradient of :func:`~poolkit.functional.max_unpool1d` with respect to ``x``: the gradient read
    back at each index (a gather).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The gradient of the unpooled output (channels-last with ``data_format``).
    x, indices : ndarray, shape (N, C, L) or (C, L)
        The forward's values (floating point) and their indices.
    kernel_size, stride, padding, output_size, data_format
        As in :func:`~poolkit.functional.max_unpool1d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.array([[[1., 3., 2., 5., 4., 0.]]])
    >>> from poolkit.functional import max_pool1d
    >>> y, i = max_pool1d(x, 2, return_indices=True)
    >>> max_unpool1d_backward(np.ones_like(x), y, i, 2)
    array([[[1., 1., 1.]]])
    """
    return max_unpool_backward(grad_output, x, indices, kernel_size, stride, padding, output_size, dims=1,
                               data_format=data_format)


def max_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                        return_indices=False, *, indices=None, positions=None, data_format="channels_first",
                        method="auto"):
    """Gradient of :func:`~poolkit.functional.max_pool2d` with respect to ``x``.

    Each output's gradient goes, whole, to the element its window picked (the first maximal tap
    on ties, the last NaN); overlapping windows accumulate.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The forward's input, floating point.
    kernel_size, stride, padding, dilation, ceil_mode, data_format, method
        As in :func:`~poolkit.functional.max_pool2d`; ``return_indices`` is accepted and ignored, so the
        forward's arguments pass unchanged.
    indices : ndarray of ints, shape of grad_output, optional
        The forward's indices (``return_indices=True``): used as given, the forward pass is not
        recomputed.
    positions : ndarray of int64, shape of grad_output, optional
        Instead of ``indices``, the forward's positions in ``x`` (:func:`~poolkit.functional.pool_positions`):
        one scatter-add, no conversion.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2)
    array([[[[0., 0., 0., 0.],
             [0., 1., 0., 1.],
             [0., 0., 0., 0.],
             [0., 1., 0., 1.]]]])
    """
    return max_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode, indices=indices,
                             positions=positions, dims=2, data_format=data_format, method=method)


def min_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                        return_indices=False, *, indices=None, positions=None, data_format="channels_first",
                        method="auto"):
    """Gradient of :func:`~poolkit.functional.min_pool2d` with respect to ``x``.

    Each output's gradient goes, whole, to the element its window picked (the first minimal tap
    on ties, the last NaN); overlapping windows accumulate.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The forward's input, floating point.
    kernel_size, stride, padding, dilation, ceil_mode, data_format, method
        As in :func:`~poolkit.functional.min_pool2d`; ``return_indices`` is accepted and ignored, so the
        forward's arguments pass unchanged.
    indices : ndarray of ints, shape of grad_output, optional
        The forward's indices (``return_indices=True``): used as given, the forward pass is not
        recomputed.
    positions : ndarray of int64, shape of grad_output, optional
        Instead of ``indices``, the forward's positions in ``x`` (:func:`~poolkit.functional.pool_positions`):
        one scatter-add, no conversion.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> min_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2)
    array([[[[1., 0., 1., 0.],
             [0., 0., 0., 0.],
             [1., 0., 1., 0.],
             [0., 0., 0., 0.]]]])
    """
    return min_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode, indices=indices,
                             positions=positions, dims=2, data_format=data_format, method=method)


def avg_pool2d_backward(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                        divisor_override=None, *, data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.avg_pool2d` with respect to ``x``.

    Every real element of window ``o`` receives ``grad_output[o] / divisor[o]``, with the forward's
    divisor; padding taps receive nothing.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The forward's input, floating point.
        Only its shape and dtype matter: the average is linear.
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, data_format, method
        As in :func:`~poolkit.functional.avg_pool2d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> avg_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2)
    array([[[[0.25, 0.25, 0.25, 0.25],
             [0.25, 0.25, 0.25, 0.25],
             [0.25, 0.25, 0.25, 0.25],
             [0.25, 0.25, 0.25, 0.25]]]])
    """
    return avg_pool_backward(grad_output, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             divisor_override, dims=2, data_format=data_format, method=method)


def lp_pool2d_backward(grad_output, x, norm_type, kernel_size, stride=None, ceil_mode=False, *,
                       data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.lp_pool2d`: the derivative of PyTorch's formula
    (see :func:`lp_pool_backward`).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, H_out, W_out) or (C, H_out, W_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The forward's input, floating point.
    norm_type, kernel_size, stride, ceil_mode, data_format, method
        As in :func:`~poolkit.functional.lp_pool2d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> lp_pool2d_backward(np.ones((1, 1, 2, 2)), x, 1, 2)
    array([[[[1., 1., 1., 1.],
             [1., 1., 1., 1.],
             [1., 1., 1., 1.],
             [1., 1., 1., 1.]]]])
    """
    return lp_pool_backward(grad_output, x, norm_type, kernel_size, stride, ceil_mode, dims=2, data_format=data_format,
                            method=method)


def adaptive_max_pool2d_backward(grad_output, x, output_size, return_indices=False, *, indices=None,
                                 data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_max_pool2d`: each output's gradient goes to
    the element its window picked.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The forward's input, floating point.
    output_size, data_format, method
        As in :func:`~poolkit.functional.adaptive_max_pool2d`; ``return_indices`` is accepted and ignored.
    indices : ndarray of ints, shape of grad_output, optional
        The forward's indices: used as given.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> adaptive_max_pool2d_backward(np.ones((1, 1) + (1,) * 2), x, 1)
    array([[[[0., 0., 0., 0.],
             [0., 0., 0., 0.],
             [0., 0., 0., 0.],
             [0., 0., 0., 1.]]]])
    """
    return adaptive_max_pool_backward(grad_output, x, output_size, indices=indices, dims=2, data_format=data_format,
                                      method=method)


def adaptive_avg_pool2d_backward(grad_output, x, output_size, *, data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_avg_pool2d`: each element of window ``o``
    receives ``grad_output[o] / len(window o)``.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, H, W) or (C, H, W)
        The forward's input, floating point.
    output_size, data_format, method
        As in :func:`~poolkit.functional.adaptive_avg_pool2d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> adaptive_avg_pool2d_backward(np.ones((1, 1) + (1,) * 2), x, 1)
    array([[[[0.0625, 0.0625, 0.0625, 0.0625],
             [0.0625, 0.0625, 0.0625, 0.0625],
             [0.0625, 0.0625, 0.0625, 0.0625],
             [0.0625, 0.0625, 0.0625, 0.0625]]]])
    """
    return adaptive_avg_pool_backward(grad_output, x, output_size, dims=2, data_format=data_format, method=method)


def max_unpool2d_backward(grad_output, x, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                          data_format="channels_first"):
    """Gradient of :func:`~poolkit.functional.max_unpool2d` with respect to ``x``: the gradient read
    back at each index (a gather).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The gradient of the unpooled output (channels-last with ``data_format``).
    x, indices : ndarray, shape (N, C, H, W) or (C, H, W)
        The forward's values (floating point) and their indices.
    kernel_size, stride, padding, output_size, data_format
        As in :func:`~poolkit.functional.max_unpool2d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> from poolkit.functional import max_pool2d
    >>> y, i = max_pool2d(x, 2, return_indices=True)
    >>> max_unpool2d_backward(np.ones_like(x), y, i, 2)
    array([[[[1., 1.],
             [1., 1.]]]])
    """
    return max_unpool_backward(grad_output, x, indices, kernel_size, stride, padding, output_size, dims=2,
                               data_format=data_format)


def max_pool3d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                        return_indices=False, *, indices=None, positions=None, data_format="channels_first",
                        method="auto"):
    """Gradient of :func:`~poolkit.functional.max_pool3d` with respect to ``x``.

    Each output's gradient goes, whole, to the element its window picked (the first maximal tap
    on ties, the last NaN); overlapping windows accumulate.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The forward's input, floating point.
    kernel_size, stride, padding, dilation, ceil_mode, data_format, method
        As in :func:`~poolkit.functional.max_pool3d`; ``return_indices`` is accepted and ignored, so the
        forward's arguments pass unchanged.
    indices : ndarray of ints, shape of grad_output, optional
        The forward's indices (``return_indices=True``): used as given, the forward pass is not
        recomputed.
    positions : ndarray of int64, shape of grad_output, optional
        Instead of ``indices``, the forward's positions in ``x`` (:func:`~poolkit.functional.pool_positions`):
        one scatter-add, no conversion.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> max_pool3d_backward(np.ones((1, 1, 1, 1, 1)), x, 2)
    array([[[[[0., 0.],
              [0., 0.]],
    <BLANKLINE>
             [[0., 0.],
              [0., 1.]]]]])
    """
    return max_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode, indices=indices,
                             positions=positions, dims=3, data_format=data_format, method=method)


def min_pool3d_backward(grad_output, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                        return_indices=False, *, indices=None, positions=None, data_format="channels_first",
                        method="auto"):
    """Gradient of :func:`~poolkit.functional.min_pool3d` with respect to ``x``.

    Each output's gradient goes, whole, to the element its window picked (the first minimal tap
    on ties, the last NaN); overlapping windows accumulate.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The forward's input, floating point.
    kernel_size, stride, padding, dilation, ceil_mode, data_format, method
        As in :func:`~poolkit.functional.min_pool3d`; ``return_indices`` is accepted and ignored, so the
        forward's arguments pass unchanged.
    indices : ndarray of ints, shape of grad_output, optional
        The forward's indices (``return_indices=True``): used as given, the forward pass is not
        recomputed.
    positions : ndarray of int64, shape of grad_output, optional
        Instead of ``indices``, the forward's positions in ``x`` (:func:`~poolkit.functional.pool_positions`):
        one scatter-add, no conversion.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> min_pool3d_backward(np.ones((1, 1, 1, 1, 1)), x, 2)
    array([[[[[1., 0.],
              [0., 0.]],
    <BLANKLINE>
             [[0., 0.],
              [0., 0.]]]]])
    """
    return min_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode, indices=indices,
                             positions=positions, dims=3, data_format=data_format, method=method)


def avg_pool3d_backward(grad_output, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                        divisor_override=None, *, data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.avg_pool3d` with respect to ``x``.

    Every real element of window ``o`` receives ``grad_output[o] / divisor[o]``, with the forward's
    divisor; padding taps receive nothing.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The forward's input, floating point.
        Only its shape and dtype matter: the average is linear.
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, data_format, method
        As in :func:`~poolkit.functional.avg_pool3d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> avg_pool3d_backward(np.ones((1, 1, 1, 1, 1)), x, 2)
    array([[[[[0.125, 0.125],
              [0.125, 0.125]],
    <BLANKLINE>
             [[0.125, 0.125],
              [0.125, 0.125]]]]])
    """
    return avg_pool_backward(grad_output, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             divisor_override, dims=3, data_format=data_format, method=method)


def lp_pool3d_backward(grad_output, x, norm_type, kernel_size, stride=None, ceil_mode=False, *,
                       data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.lp_pool3d`: the derivative of PyTorch's formula
    (see :func:`lp_pool_backward`).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The forward's input, floating point.
    norm_type, kernel_size, stride, ceil_mode, data_format, method
        As in :func:`~poolkit.functional.lp_pool3d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> lp_pool3d_backward(np.ones((1, 1, 1, 1, 1)), x, 1, 2)
    array([[[[[1., 1.],
              [1., 1.]],
    <BLANKLINE>
             [[1., 1.],
              [1., 1.]]]]])
    """
    return lp_pool_backward(grad_output, x, norm_type, kernel_size, stride, ceil_mode, dims=3, data_format=data_format,
                            method=method)


def adaptive_max_pool3d_backward(grad_output, x, output_size, return_indices=False, *, indices=None,
                                 data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_max_pool3d`: each output's gradient goes to
    the element its window picked.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The forward's input, floating point.
    output_size, data_format, method
        As in :func:`~poolkit.functional.adaptive_max_pool3d`; ``return_indices`` is accepted and ignored.
    indices : ndarray of ints, shape of grad_output, optional
        The forward's indices: used as given.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> adaptive_max_pool3d_backward(np.ones((1, 1) + (1,) * 3), x, 1)
    array([[[[[0., 0.],
              [0., 0.]],
    <BLANKLINE>
             [[0., 0.],
              [0., 1.]]]]])
    """
    return adaptive_max_pool_backward(grad_output, x, output_size, indices=indices, dims=3, data_format=data_format,
                                      method=method)


def adaptive_avg_pool3d_backward(grad_output, x, output_size, *, data_format="channels_first", method="auto"):
    """Gradient of :func:`~poolkit.functional.adaptive_avg_pool3d`: each element of window ``o``
    receives ``grad_output[o] / len(window o)``.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The gradient of the forward's output (channels-last with ``data_format``).
    x : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The forward's input, floating point.
    output_size, data_format, method
        As in :func:`~poolkit.functional.adaptive_avg_pool3d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> adaptive_avg_pool3d_backward(np.ones((1, 1) + (1,) * 3), x, 1)
    array([[[[[0.125, 0.125],
              [0.125, 0.125]],
    <BLANKLINE>
             [[0.125, 0.125],
              [0.125, 0.125]]]]])
    """
    return adaptive_avg_pool_backward(grad_output, x, output_size, dims=3, data_format=data_format, method=method)


def max_unpool3d_backward(grad_output, x, indices, kernel_size, stride=None, padding=0, output_size=None, *,
                          data_format="channels_first"):
    """Gradient of :func:`~poolkit.functional.max_unpool3d` with respect to ``x``: the gradient read
    back at each index (a gather).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *output_size) or (C, *output_size)
        The gradient of the unpooled output (channels-last with ``data_format``).
    x, indices : ndarray, shape (N, C, D, H, W) or (C, D, H, W)
        The forward's values (floating point) and their indices.
    kernel_size, stride, padding, output_size, data_format
        As in :func:`~poolkit.functional.max_unpool3d`.

    Returns
    -------
    dx : ndarray, shape of x
        The gradient with respect to x, in x's dtype and layout.

    Examples
    --------
    >>> x = np.arange(8.).reshape(1, 1, 2, 2, 2)
    >>> from poolkit.functional import max_pool3d
    >>> y, i = max_pool3d(x, 2, return_indices=True)
    >>> max_unpool3d_backward(np.ones_like(x), y, i, 2)
    array([[[[[1.]]]]])
    """
    return max_unpool_backward(grad_output, x, indices, kernel_size, stride, padding, output_size, dims=3,
                               data_format=data_format)


__all__ += [f"{name}{d}d_backward" for name in ("max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool",
                                                 "adaptive_avg_pool", "max_unpool") for d in (1, 2, 3)]
