"""A pooling call, checked and brought to one shape: what the forward and backward passes share.

Every public function starts the same way: check the arguments, bring ``x`` to
``(N, C, *L)`` (adding the batch axis, moving channels-last data's channels to
axis 1), and build one :class:`~poolkit.geometry.Axis` per spatial dimension
(and, for averages, the divisor). A :class:`Plan` holds the result::

    p = plan.average(x, kernel_size=2, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                     divisor_override=None, dims=2, data_format="channels_first", fname="avg_pool2d")
    p.x          # (N, C, *L)
    p.axes       # one Axis per spatial dimension: the windows
    p.divisor    # an int, or an int64 array of shape (*O,)
    p.restore(y) # (N, C, *O) back to the caller's layout and batching

Then an engine (:data:`METHODS`: naive, im2col, windows, separable, numba) does the work on
``p.x`` and ``p.axes``, the same engine in both directions (:func:`engine`). A ``method="numba"``
call that repeats an earlier one's signature skips all of this and runs the kernel call kept
for it (:data:`KEPT`).
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from . import compiled, im2col, naive, separable, windows
from .geometry import Axis, build_axes, plain, show, to_tuple
from .reduction import sum_dtype

METHODS = {"naive": naive, "im2col": im2col, "windows": windows, "separable": separable, "numba": compiled}
"""The engines ``method=`` selects; ``"auto"`` is ``"separable"``, the fastest numpy one that never copies
windows (``"numba"``, chapter 11's compiled kernels, imports numba when first used).
Each offers ``extreme`` (max/min with indices), ``window_sum``, ``route`` (max/min backward) and
``spread`` (average backward)."""

SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}
"""The names of the spatial dimensions, by their number."""

CHANNELS_FIRST = {"channels_first": 0, "NCW": 1, "NCHW": 2, "NCDHW": 3}
CHANNELS_LAST = {"channels_last": 0, "NWC": 1, "NHWC": 2, "NDHWC": 3}
"""The layout names ``data_format`` takes, and the number of spatial dims each implies (0: any)."""


def engine(method):
    """The engine module ``method`` names (``"auto"``: separable); a ValueError otherwise."""
    if method == "auto":
        return separable
    try:
        return METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(f"method={method!r} must be 'auto' or one of {sorted(METHODS)}") from None


def is_channels_last(data_format):
    """Does ``data_format`` name TensorFlow's channels-last layout? (ValueError if it names none.)"""
    if data_format in CHANNELS_LAST:
        return True
    if data_format in CHANNELS_FIRST:
        return False
    raise ValueError(f"data_format={data_format!r} must be 'channels_first' or 'channels_last' "
                     f"(or one of {sorted(n for n in CHANNELS_FIRST | CHANNELS_LAST if n[0] == 'N')})")


class Input:
    """An array brought to ``(N, C, *spatial)`` (``.x``), and the way back to the caller's layout.

    ``fname`` and ``what`` name the function and the argument in error messages; ``kinds``
    is the dtype kinds accepted (``"f"``, ``"fiu"``, ...).
    """

    def __init__(self, x, dims, data_format, fname, kinds, what="x"):
        self.last, self.data_format = is_channels_last(data_format), data_format
        named = (CHANNELS_LAST if self.last else CHANNELS_FIRST)[data_format]
        if named not in (0, dims):
            raise ValueError(f"data_format={data_format!r} describes {named}-D data; "
                             f"{fname} pools {dims}-D data")
        x = np.asarray(x)
        if x.dtype.kind not in kinds:
            need = {"f": "a floating-point", "iu": "an integer", "i": "a signed integer"}.get(
                kinds, "a floating-point or integer")
            raise TypeError(f"{what} has dtype {x.dtype}; {fname} needs {need} array")
        spatial = SPATIAL[dims]
        layout = f"(N, {spatial}, C) or ({spatial}, C)" if self.last else f"(N, C, {spatial}) or (C, {spatial})"
        if x.ndim not in (dims + 1, dims + 2):
            raise ValueError(f"{what} has shape {x.shape}; {fname} expects {dims + 2}-D {layout[:layout.index(' or')]} "
                             f"or unbatched {dims + 1}-D {layout[layout.index('or ') + 3:]}")
        self.batched = x.ndim == dims + 2
        self.x = self.bring(x)
        self.spatial = self.x.shape[2:]

    def bring(self, a):
        """An array in the caller's layout and batching (``x``, or one shaped like the output) ->
        ``(N, C, ...)``, as ``x`` was brought (a view)."""
        if not self.batched:
            a = a[None]
        return separable.channels_to_front(a) if self.last else a

    def restore(self, y):
        """``(N, C, *O)`` back to the caller's layout and batching."""
        if self.last:
            y = separable.channels_to_end(y)
        return y if self.batched else y[0]


class Plan(Input):
    """A checked pooling call: the :class:`Input` (``x`` as ``(N, C, *L)``, ``restore()``), plus
    ``axes`` (one :class:`~poolkit.geometry.Axis` per spatial dimension) and ``divisor`` (averages
    only: an int, or an int64 array of shape ``(*O,)``; None otherwise)."""

    axes: tuple[Axis, ...] = ()
    divisor = None

    @property
    def out_shape(self):
        """``(N, C, *O)``: the shape of the pooled output before :meth:`restore`."""
        return self.x.shape[:2] + tuple(a.out for a in self.axes)


def check_bool(value, name):
    """``value`` as a bool; a TypeError naming ``name`` unless it is True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")
    return bool(value)


def norm_type(p):
    """Lp pooling's ``norm_type`` checked, as a Python float (a numpy scalar p such as
    ``np.int64(2)`` would promote float32 x to float64)."""
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or p == 0 or np.isnan(p):
        raise ValueError(f"norm_type={p!r} must be a nonzero number (the p of the Lp norm)")
    return float(p)


# ---------------------------------------------------------------- the plans
def max_min(x, kernel_size, stride, padding, dilation, ceil_mode, *, dims, data_format, fname, kinds="fiu"):
    """The plan of a max or min pooling call."""
    p = Plan(x, dims, data_format, fname, kinds=kinds)
    p.axes = build_axes(p.spatial, kernel_size, stride, padding, dilation, check_bool(ceil_mode, "ceil_mode"), n=dims)
    return p


def average(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, *, dims, data_format,
            fname, kinds="fiu"):
    """The plan of an average pooling call, with its divisor: ``divisor_override``, else the taps
    inside the padded input (``count_include_pad``, integer padding only), else the real elements
    of each window (always for ``"same"``/``"valid"``, as TensorFlow)."""
    p = Plan(x, dims, data_format, fname, kinds=kinds)
    if p.x.dtype == np.uint64:
        raise TypeError(f"x has dtype uint64; {fname} sums windows in int64, which cannot hold every uint64 "
                        "(2**63 + 2**63 would wrap): cast x to int64 or float64 first")
    count_include_pad = check_bool(True if count_include_pad is None else count_include_pad, "count_include_pad")
    if isinstance(padding, str):                        # TensorFlow's padding: TensorFlow's divisor
        if divisor_override is not None:
            raise ValueError(f"divisor_override={divisor_override!r} is a PyTorch option and cannot be combined "
                             f"with padding={padding!r}")
        count_include_pad = False
    p.axes = build_axes(p.spatial, kernel_size, stride, padding, 1, check_bool(ceil_mode, "ceil_mode"), n=dims)
    if divisor_override is None:
        p.divisor = counts(p.axes, "counted" if count_include_pad else "valid")
    elif not isinstance(divisor_override, numbers.Integral) or isinstance(divisor_override, bool):
        raise TypeError(f"divisor_override={divisor_override!r} must be an int")
    elif divisor_override == 0:
        raise ValueError("divisor_override=0 must be nonzero")
    else:
        p.divisor = int(divisor_override)
    return p


def adaptive(x, output_size, *, dims, data_format, fname):
    """The plan of an adaptive pooling call (floating-point ``x``); ``divisor``: each window's length."""
    p = Plan(x, dims, data_format, fname, kinds="f")
    if output_size is None or isinstance(output_size, numbers.Integral):
        output_size = (output_size,) * dims
    if not isinstance(output_size, (tuple, list)) or len(output_size) != dims:
        raise ValueError(f"output_size={show(output_size)} must be an int or a sequence of {dims} ints or None")
    sizes = []
    for o, L in zip(output_size, p.spatial):
        if o is None:
            o = L
        elif not isinstance(o, numbers.Integral) or isinstance(o, bool):
            raise TypeError(f"output_size={show(output_size)} must contain ints or None, got {o!r}")
        elif o < 0:
            raise ValueError(f"output_size={show(output_size)} must be non-negative, got {o}")
        if L < 1:
            raise ValueError(f"input has spatial shape {p.spatial}; every spatial dimension must be at least 1")
        sizes.append(int(o))
    p.axes = tuple(Axis.adaptive(L, o) for L, o in zip(p.spatial, sizes))
    p.divisor = counts(p.axes, "valid")
    return p


def unpool(x, indices, kernel_size, stride, padding, output_size, *, dims, data_format, fname, kinds="fiu"):
    """Check a max_unpool call: ``(Input, flat, size)``, ``flat`` the int64 indices of shape
    ``(N, C, prod(L))`` into each output plane, ``size`` the output's spatial shape."""
    inp = Input(x, dims, data_format, fname, kinds=kinds)
    idx = Input(indices, dims, data_format, fname, kinds="iu", what="indices")
    if idx.x.shape != inp.x.shape:
        raise ValueError(f"indices has shape {np.shape(indices)} but x has shape {np.shape(x)}; they must match")
    k = to_tuple(kernel_size, dims, "kernel_size", minimum=1)
    s = k if stride is None else to_tuple(stride, dims, "stride", minimum=1)
    pad = to_tuple(padding, dims, "padding", minimum=0)
    default = tuple((L - 1) * si - 2 * pi + ki for L, ki, si, pi in zip(inp.spatial, k, s, pad))
    if output_size is None:
        size = default
        if min(size) < 1:
            raise ValueError(f"output size would be {size}: padding={show(padding)} is too large for "
                             f"kernel_size={show(kernel_size)} and stride={show(stride)}")
    else:
        if not isinstance(output_size, (tuple, list, np.ndarray)):
            raise TypeError(f"output_size={show(output_size)} must be a sequence of {dims} or {dims + 2} ints")
        size = tuple(output_size)
        if len(size) == dims + 2:
            size = size[2:] if not inp.last else size[1:-1]
        if len(size) != dims or not all(isinstance(v, numbers.Integral) for v in size):
            raise ValueError(f"output_size={show(output_size)} must hold {dims} or {dims + 2} ints")
        for i, (v, dflt, si) in enumerate(zip(size, default, s)):
            if not dflt - si < v < dflt + si:
                raise ValueError(f"output_size={show(output_size)} must be within stride of the default size "
                                 f"{default} (dimension {i}: strictly between {dflt - si} and {dflt + si})")
    plane = int(np.prod(size))
    flat = idx.x.reshape(idx.x.shape[:2] + (int(np.prod(idx.spatial)),)).astype(np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= plane):
        bad = flat.min() if flat.min() < 0 else flat.max()
        raise ValueError(f"indices contains {bad}, outside [0, {plane}): the flat positions of the "
                         f"{'x'.join(map(str, size))} output plane")
    return inp, flat, size


def tf_window(value, name, *, dims=2, last=True, why="pooling across them is not supported", single=True):
    """TensorFlow's ``ksize``/``strides``: an int, ``dims`` ints, or ``dims + 2`` ints with 1 at the
    batch and channel entries (``[1, kh, kw, 1]`` for NHWC) -> ``dims`` ints; with ``single``, a
    one-element list too (as ``tf.nn.max_pool_with_argmax`` takes)."""
    if isinstance(value, (list, tuple)) and len(value) == dims + 2:
        outer = (value[0], value[-1]) if last else (value[0], value[1])
        if outer != (1, 1):
            raise ValueError(f"{name}={show(value)} must be 1 in the batch and channel entries ({why})")
        value = tuple(value[1:-1]) if last else tuple(value[2:])
    if single and isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return to_tuple(value, dims, name, minimum=1)


def with_argmax(x, ksize, strides, padding, fname):
    """Check ``max_pool_with_argmax``'s arguments: ``(x, kernel_size, stride, padding)`` in max_pool's terms."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x has shape {x.shape}; {fname} expects 4-D (N, H, W, C)")
    if x.dtype.kind not in "fiu":
        raise TypeError(f"x has dtype {x.dtype}; {fname} needs a floating-point or integer array")
    k, s = (tf_window(v, name) for v, name in ((ksize, "ksize"), (strides, "strides")))
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ValueError(f"padding={padding!r} must be 'SAME' or 'VALID'")
    return x, k, s, padding.lower()


# ---------------------------------------------------------------- divisors
def counts(axes, table):
    """Product over dims of per-window counts (``table`` = ``"valid"`` or ``"counted"``), shape ``(*O,)``.

    When every window has the same count (no window cut short), a read-only broadcast of that
    number: no memory as large as the output."""
    per_dim, same = zip(*(a.count(table) for a in axes))
    shape = [a.out for a in axes]
    if None not in same:
        return _uniform(math.prod(same), tuple(shape))
    total = np.ones(shape, dtype=np.int64)
    for i, c in enumerate(per_dim):
        view = [1] * len(axes)
        view[i] = c.size
        total = total * c.reshape(view)
    return total


@functools.lru_cache(maxsize=256)
def _uniform(count, shape):
    return np.broadcast_to(np.int64(count), shape)       # read-only: safe to hand out again


def divide(sums, divisor, dtype):
    """``sums / divisor`` cast to ``dtype``; integers truncate toward zero, as C++ (and PyTorch) do."""
    if sums.dtype.kind == "f":
        return (sums / np.asarray(divisor, dtype=sums.dtype)).astype(dtype, copy=False)
    quotient = sums // divisor
    quotient += (quotient < 0) & (quotient * divisor != sums)
    return quotient.astype(dtype, copy=False)


# ---------------------------------------------------------------- repeated calls, kept
KEPT = {}
"""``method="numba"`` calls kept by signature (:func:`kept_call`; made by :func:`poolkit.compiled.prepare`
and :func:`~poolkit.compiled.prepare_backward`), at most :data:`KEPT_MAX` of them: a call that repeats
one (the same options, and arrays of the same shapes and dtypes, C-contiguous) skips checking and
planning, which it passed before, and goes straight to its kernel (with the split of the work
among threads made when it was kept). None: a signature whose calls cannot be kept."""
KEPT_MAX = 256


def kept_call(method, arrays, *args):
    """``(key, kept)``: the key in :data:`KEPT` of a call on ``arrays`` with ``args`` and the call
    kept under it (None if none is). The key is None if the call cannot be kept: another method,
    an array that is not a C-contiguous ndarray, or an argument not of
    :func:`~poolkit.geometry.plain` types (their types are in the key, so that 2 and 2.0, or 1 and
    True, never share one)."""
    if (method != "numba" or not all(type(a) is np.ndarray and a.flags.c_contiguous for a in arrays)
            or not all(map(plain, args))):
        return None, None
    key = tuple((a.shape, a.dtype) for a in arrays), args, tuple(map(type, args))
    return key, KEPT.get(key)


def keep(key, make):
    """Keep ``make()`` (a kept call, or None) under ``key`` (the oldest out past :data:`KEPT_MAX`); once."""
    if key is not None and key not in KEPT:
        if len(KEPT) >= KEPT_MAX:
            KEPT.pop(next(iter(KEPT), None), None)
        KEPT[key] = make()


# ---------------------------------------------------------------- running an engine on a plan
def extreme(p, mode, return_indices, method):
    """Max or min of each window of plan ``p`` by the chosen engine: values and indices (None unless
    asked for) of shape ``(N, C, *O)``. ``return_indices="positions"``: flat positions in ``x`` (in
    the caller's layout) instead of indices (what the layers cache, :func:`poolkit.separable.positions`)."""
    eng = engine(method)
    if any(a.out == 0 for a in p.axes):
        return np.empty(p.out_shape, p.x.dtype), np.empty(p.out_shape, np.int64)
    if return_indices == "positions":
        # Positions in x as the caller lays it out (data_format), whatever its strides: the fast
        # path makes them in memory order, which is that layout for contiguous input.
        if eng in (separable, compiled) and separable.stored_channels_last(p.x) == p.last:
            return eng.extreme(p.x, p.axes, mode, "positions")
        values, indices = eng.extreme(p.x, p.axes, mode, True)
        return values, separable.positions(indices, int(np.prod(p.spatial)), p.last)
    return eng.extreme(p.x, p.axes, mode, return_indices)


def mean(p, method):
    """Window sums of plan ``p`` divided by its divisor, ``(N, C, *O)``, with IEEE results and no
    warnings (inf + -inf is NaN and float16 may overflow to inf, as in PyTorch). The separable
    engine divides float32/float64 sums chunk by chunk, while they are in cache; the numba
    engine as it writes them."""
    eng = engine(method)
    if any(a.out == 0 for a in p.axes):
        return np.empty(p.out_shape, p.x.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        if eng in (separable, compiled) and sum_dtype(p.x.dtype) == p.x.dtype and p.x.dtype.kind == "f":
            return eng.window_sum(p.x, p.axes, divisor=p.divisor)
        return divide(eng.window_sum(p.x, p.axes), p.divisor, p.x.dtype)


def check_indices(indices, x_shape):
    """Per-plane ``indices`` must lie in the ``(n, c)`` planes of an ``(N, C, *L)`` input: a ValueError
    naming the first one outside ``[0, prod(L))``."""
    plane = int(np.prod(x_shape[2:]))
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise ValueError(f"indices contains {bad}, outside [0, {plane}): indices must be the flat positions "
                         f"in the {'x'.join(map(str, x_shape[2:]))} input plane that the forward pass returned")
