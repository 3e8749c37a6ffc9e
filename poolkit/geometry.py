"""Where every pooling window lands: output sizes, padding rules, SAME, and validation.

Everything here works on one spatial dimension at a time. For a dimension of
length ``L`` pooled with kernel ``k``, stride ``s``, padding ``p`` and dilation
``d``, output window ``o`` reads the taps

    t_j = o*s - p_before + j*d,   j = 0 .. k-1

of the input. Taps outside ``[0, L)`` fall in the padding (or past it): max
pooling never picks them (it pads with -inf), average pooling counts them in its
divisor only when ``count_include_pad`` asks for it.

The output length follows PyTorch for integer padding,

    O = floor((L + 2p - d*(k-1) - 1 + (s-1 if ceil_mode else 0)) / s) + 1,

minus one when ``ceil_mode`` would start the last window in the right padding,
and TensorFlow for ``padding="valid"`` (``O = floor((L - d*(k-1) - 1) / s) + 1``)
and ``padding="same"`` (``O = ceil(L / s)``, the extra pad on the bottom/right).

:class:`Axis` holds one dimension's answer: for every output window, the input
positions it reads and which of them are real. Every implementation in poolkit
(the loop, im2col, strided windows) reads the same tables, so they cannot
disagree about where a window is.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Axis", "build_axes", "flat_index", "valid_mask", "first_valid_index", "output_size", "same_padding",
           "explain", "to_tuple", "torch_formula", "show", "is_int"]

IntOrTuple = int | Sequence[int]


# ---------------------------------------------------------------- argument checks
def is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def to_tuple(value, n: int, name: str, *, minimum: int | None = None) -> tuple[int, ...]:
    """Turn ``value`` (an int or a sequence of ``n`` ints) into an ``n``-tuple of ints.

    Raises TypeError for non-integers and ValueError for a wrong length or a value
    below ``minimum``; the message names the parameter and the rule.
    """
    if is_int(value):
        values = (int(value),) * n
    elif isinstance(value, (tuple, list)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        if len(value) != n:
            raise ValueError(
                f"{name}={show(value)} must be an int or a sequence of {n} ints "
                f"(one per spatial dimension), got {len(value)} values")
        bad = [v for v in value if not is_int(v)]
        if bad:
            raise TypeError(f"{name}={show(value)} must contain only ints, got {bad[0]!r}")
        values = tuple(int(v) for v in value)
    else:
        raise TypeError(f"{name}={value!r} must be an int or a sequence of {n} ints")
    if minimum is not None:
        for v in values:
            if v < minimum:
                rule = "positive" if minimum == 1 else f"at least {minimum}"
                raise ValueError(f"{name}={show(value)} must be {rule}, got {v}")
    return values


def show(value) -> str:
    """Render a parameter value the way the user wrote it (tuples stay tuples)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return repr(value)


# ---------------------------------------------------------------- one dimension
@dataclass(frozen=True)
class Axis:
    """One spatial dimension of a pooling: which input positions each window reads.

    Attributes
    ----------
    size : int
        Input length ``L``.
    positions : ndarray of int, shape (O, K)
        ``positions[o, j]`` is the input coordinate of tap ``j`` of window ``o``
        (may lie outside ``[0, L)``).
    valid : ndarray of bool, shape (O, K)
        Tap lies inside the input.
    counted : ndarray of bool, shape (O, K)
        Tap lies inside the input or its padding ``[-p_before, L + p_after)``:
        the taps an average with ``count_include_pad=True`` divides by.
    start, stride, dilation : int or None
        For regular (non-adaptive) windows, ``positions[o, j] == start + o*stride
        + j*dilation``; None for adaptive pooling, whose windows vary in size.
    """

    size: int
    positions: np.ndarray
    valid: np.ndarray
    counted: np.ndarray
    start: int | None = None
    stride: int | None = None
    dilation: int | None = None

    @property
    def out(self) -> int:
        """Output length ``O``."""
        return self.positions.shape[0]

    @property
    def taps(self) -> int:
        """Taps per window ``K`` (the kernel size; the longest window if adaptive)."""
        return self.positions.shape[1]

    @property
    def regular(self) -> bool:
        return self.stride is not None

    @classmethod
    def regular_windows(cls, size, kernel, stride, dilation, pad_before, pad_after, out) -> Axis:
        """Windows ``o*stride - pad_before + j*dilation`` (``j < kernel``) for ``o < out``. The same
        arguments give the same Axis, read-only (calls with one geometry reuse it)."""
        return _regular_windows(cls, *(int(v) for v in (size, kernel, stride, dilation, pad_before, pad_after, out)))

    @functools.cached_property
    def empty_windows(self) -> np.ndarray:
        """The windows none of whose taps lie inside the input, shape ``(E,)``."""
        return np.flatnonzero(~self.valid.any(axis=1))

    def count(self, table) -> tuple[np.ndarray, int | None]:
        """Per-window number of ``table`` (``"valid"`` or ``"counted"``) taps, shape ``(O,)``, and that
        number if every window has it (None if some window is cut short). Kept: asked once per Axis."""
        cache = self.__dict__.setdefault("_counts", {})
        if table not in cache:
            per_window = getattr(self, table).sum(axis=1)
            per_window.flags.writeable = False
            same = per_window.size == 0 or per_window.min() == per_window.max()
            cache[table] = per_window, (int(per_window[0]) if per_window.size else 1) if same else None
        return cache[table]

    @classmethod
    def adaptive(cls, size: int, out: int) -> Axis:
        """Adaptive windows: ``[floor(o*L/O), ceil((o+1)*L/O))``, overlapping when O does not divide L."""
        o = np.arange(out)
        starts = (o * size) // out
        ends = -((-(o + 1) * size) // out)
        k = int((ends - starts).max()) if out else 0
        pos = starts[:, None] + np.arange(k)[None, :]
        valid = pos < ends[:, None]
        return cls(size, np.where(valid, pos, starts[:, None]), valid, valid)

    def padding(self) -> tuple[int, int]:
        """How far the taps reach outside the input: (before, after), both >= 0."""
        if self.out == 0:
            return 0, 0
        return max(0, -int(self.positions.min())), max(0, int(self.positions.max()) + 1 - self.size)

    def first_valid(self) -> np.ndarray:
        """Index ``j`` of each window's first in-bounds tap, shape (O,)."""
        return self.valid.argmax(axis=1)


@functools.lru_cache(maxsize=1024)
def _regular_windows(cls, size, kernel, stride, dilation, pad_before, pad_after, out):
    o = np.arange(out)[:, None]
    j = np.arange(kernel)[None, :]
    pos = o * stride - pad_before + j * dilation
    valid = (pos >= 0) & (pos < size)
    counted = (pos >= -pad_before) & (pos < size + pad_after)
    for table in (pos, valid, counted):
        table.flags.writeable = False
    return cls(size, pos, valid, counted, -pad_before, stride, dilation)


def _grid(axes, table_of):
    """Broadcast per-axis (O_i, K_i) tables onto the grid ``O_1..O_n x K_1..K_n``."""
    n = len(axes)
    out = []
    for i, a in enumerate(axes):
        shape = [1] * (2 * n)
        shape[i], shape[n + i] = a.out, a.taps
        out.append(table_of(a).reshape(shape))
    return out


def flat_index(axes: Sequence[Axis]) -> np.ndarray:
    """Flat index of every tap into the unpadded spatial plane, shape ``(*O, *K)``.

    Row-major over the input's spatial dims, as PyTorch's ``return_indices``:
    ``i_h * W + i_w`` in 2-D, ``i_d * H * W + i_h * W + i_w`` in 3-D. Taps outside
    the input get meaningless values; mask them with :func:`valid_mask`.
    """
    mult = np.cumprod([1] + [a.size for a in axes[:0:-1]])[::-1]
    shape = [a.out for a in axes] + [a.taps for a in axes]
    return np.broadcast_to(sum(m * p for m, p in zip(mult, _grid(axes, lambda a: a.positions.astype(np.int64)))),
                           shape)


def valid_mask(axes: Sequence[Axis]) -> np.ndarray:
    """True where a tap lies inside the input, shape ``(*O, *K)``."""
    shape = [a.out for a in axes] + [a.taps for a in axes]
    return np.broadcast_to(functools.reduce(np.logical_and, _grid(axes, lambda a: a.valid)), shape)


def first_valid_index(axes: Sequence[Axis]) -> np.ndarray:
    """Flat input index of each window's first in-bounds tap in scan order, shape ``(*O,)``."""
    n = len(axes)
    mult = np.cumprod([1] + [a.size for a in axes[:0:-1]])[::-1]
    total = np.zeros([a.out for a in axes], dtype=np.int64)
    for i, a in enumerate(axes):
        pos = a.positions[np.arange(a.out), a.first_valid()].astype(np.int64)
        shape = [1] * n
        shape[i] = a.out
        total = total + mult[i] * pos.reshape(shape)
    return total


# ---------------------------------------------------------------- output sizes
def torch_formula(L, k, s, p, d, ceil_mode) -> int:
    """PyTorch's output-size formula for one dimension, before ceil_mode's rule drops a last window
    that would start in the right padding: ``floor((L + 2p - d(k-1) - 1 [+ s-1]) / s) + 1``."""
    return (L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1


def _torch_out(L, k, s, p, d, ceil_mode) -> int:
    o = torch_formula(L, k, s, p, d, ceil_mode)
    if ceil_mode and (o - 1) * s >= L + p:
        o -= 1  # the last window must start inside the input or the left padding
    return o


def _same_split(L, k, s, d) -> tuple[int, int, int]:
    out = -(-L // s)
    need = max(0, (out - 1) * s + (k - 1) * d + 1 - L)
    return out, need // 2, need - need // 2


def _parse_padding(padding, n):
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("same", "valid"):
            raise ValueError(f"padding={padding!r} must be an int, a tuple of ints, 'valid' or 'same'")
        return mode
    return to_tuple(padding, n, "padding", minimum=0)


def build_axes(input_size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               *, n: int | None = None) -> tuple[Axis, ...]:
    """Validate a pooling configuration and return one :class:`Axis` per spatial dimension.

    ``input_size`` is the spatial shape ``(L1, ..., Ln)``. ``padding`` is an int, an
    n-tuple, or ``"valid"``/``"same"`` with TensorFlow's meaning. Raises ValueError or
    TypeError naming the parameter, its value and the rule it breaks. A configuration of
    plain ints (and tuples of them) is checked once and its axes kept.
    """
    args = (tuple(input_size), kernel_size, stride, padding, dilation, ceil_mode, n)
    if all(map(plain, args)):
        return _checked_axes(*args)
    return _build_axes(*args)


def plain(value) -> bool:
    """An int, bool, str or None, or a tuple of ints, of exactly those types: with its type, a cache
    key that cannot mix up values that compare equal (2 and 2.0, 1 and True; a tuple's items are all
    ints)."""
    if type(value) is tuple:
        return all(type(v) is int for v in value)
    return value is None or type(value) in (int, bool, str)


@functools.lru_cache(maxsize=1024, typed=True)   # typed: kernel_size=True is not kernel_size=1
def _checked_axes(input_size, kernel_size, stride, padding, dilation, ceil_mode, n):
    return _build_axes(input_size, kernel_size, stride, padding, dilation, ceil_mode, n)


def _build_axes(input_size, kernel_size, stride, padding, dilation, ceil_mode, n):
    input_size = tuple(int(v) for v in input_size)
    n = len(input_size) if n is None else n
    k = to_tuple(kernel_size, n, "kernel_size", minimum=1)
    s = k if stride is None else to_tuple(stride, n, "stride", minimum=1)
    d = to_tuple(dilation, n, "dilation", minimum=1)
    pad = _parse_padding(padding, n)
    if isinstance(pad, str) and ceil_mode:
        raise ValueError(f"ceil_mode=True is a PyTorch option and cannot be combined with padding={padding!r} "
                         "(TensorFlow's 'same' and 'valid' fix the output size themselves)")
    if pad == "same" and any(v != 1 for v in d):
        raise ValueError(f"padding='same' with dilation={show(dilation)} is not defined "
                         "(TensorFlow rejects it too); use integer padding or padding='valid'")
    axes = []
    for i, L in enumerate(input_size):
        where = f" in spatial dimension {i}" if n > 1 else ""
        ki, si, di = k[i], s[i], d[i]
        eff = (ki - 1) * di + 1
        if L < 1:
            raise ValueError(f"input has size {L}{where}; every spatial dimension must be at least 1")
        if pad == "same":
            out, before, after = _same_split(L, ki, si, di)
        elif pad == "valid":
            if L < eff:
                raise ValueError(
                    f"padding='valid' needs the window to fit: kernel_size={ki}"
                    + (f" with dilation={di} spans {eff}" if di > 1 else "")
                    + f" > input size {L}{where}")
            out, before, after = (L - eff) // si + 1, 0, 0
        else:
            p = pad[i]
            if p > ki // 2:
                raise ValueError(
                    f"padding={show(padding)} must be at most half of kernel_size={show(kernel_size)}"
                    f" (got padding {p} > {ki}//2 = {ki // 2}{where}): a window of only padding has no "
                    "element to pool; pad the input explicitly (np.pad) if you need more")
            out = _torch_out(L, ki, si, p, di, ceil_mode)
            before = after = p
            if out < 1:
                raise ValueError(
                    f"output size would be {out}{where}: input size {L} with padding {p} is smaller than "
                    f"the window (kernel_size={ki}" + (f", dilation={di}, span {eff}" if di > 1 else "")
                    + ")")
        axis = Axis.regular_windows(L, ki, si, di, before, after, out)
        empty = axis.empty_windows
        if empty.size:
            raise ValueError(
                f"window {int(empty[0])}{where} contains no input element: with dilation={show(dilation)}, "
                f"padding={show(padding)}" + (", ceil_mode=True" if ceil_mode else "")
                + " all its taps fall in the padding (PyTorch returns -inf and an out-of-range index here; "
                "poolkit refuses)")
        axes.append(axis)
    return tuple(axes)


def output_size(input_size: IntOrTuple, kernel_size: IntOrTuple, stride=None, padding=0, dilation=1,
                ceil_mode: bool = False):
    """Output length(s) of a pooling layer.

    Accepts an int (one dimension) or a tuple of spatial sizes, and returns the same
    kind. ``padding`` may be an int, a tuple, ``"valid"`` or ``"same"``.

    >>> output_size(25, 2)
    12
    >>> output_size(25, 2, ceil_mode=True)
    13
    >>> output_size((5, 7), 3, stride=2, padding="same")
    (3, 4)
    """
    scalar = is_int(input_size)
    sizes = (int(input_size),) if scalar else tuple(input_size)
    axes = build_axes(sizes, kernel_size, stride, padding, dilation, ceil_mode)
    outs = tuple(a.out for a in axes)
    return outs[0] if scalar else outs


def same_padding(input_size: IntOrTuple, kernel_size: IntOrTuple, stride=None, dilation=1):
    """TensorFlow's SAME padding: ``(before, after)`` per dimension.

    ``O = ceil(L/s)``, ``need = max(0, (O-1)*s + (k-1)*d + 1 - L)``, ``before = need // 2``
    and the extra element (if ``need`` is odd) goes after (bottom/right).

    >>> same_padding(4, 3, 2)
    (0, 1)
    >>> same_padding((5, 6), 2)
    ((0, 1), (0, 0))
    """
    scalar = is_int(input_size)
    sizes = (int(input_size),) if scalar else tuple(input_size)
    n = len(sizes)
    k = to_tuple(kernel_size, n, "kernel_size", minimum=1)
    s = k if stride is None else to_tuple(stride, n, "stride", minimum=1)
    d = to_tuple(dilation, n, "dilation", minimum=1)
    pads = tuple(_same_split(L, ki, si, di)[1:] for L, ki, si, di in zip(sizes, k, s, d))
    return pads[0] if scalar else pads


def explain(input_size: IntOrTuple, kernel_size: IntOrTuple, stride=None, padding=0, dilation=1,
            ceil_mode: bool = False) -> str:
    """Say in words what a pooling configuration produces, or why it is invalid.

    >>> print(explain(5, 2, 2, padding=1, ceil_mode=True))  # doctest: +NORMALIZE_WHITESPACE
    dimension 0: L=5, k=2, s=2, p=1, d=1, ceil_mode -> floor((5 + 2*1 - 1*(2-1) - 1 + (2-1)) / 2) + 1 = 4,
    but window 3 would start at 5 >= L = 5, inside the right padding, so it is dropped -> 3 outputs
    """
    scalar = is_int(input_size)
    sizes = (int(input_size),) if scalar else tuple(input_size)
    try:
        axes = build_axes(sizes, kernel_size, stride, padding, dilation, ceil_mode)
    except (ValueError, TypeError) as err:
        return f"invalid: {err}"
    n = len(sizes)
    k = to_tuple(kernel_size, n, "kernel_size")
    s = k if stride is None else to_tuple(stride, n, "stride")
    d = to_tuple(dilation, n, "dilation")
    lines = []
    for i, (L, a) in enumerate(zip(sizes, axes)):
        ki, si, di = k[i], s[i], d[i]
        head = f"dimension {i}: L={L}, k={ki}, s={si}"
        if isinstance(padding, str) and padding.lower() == "same":
            before, after = a.padding()
            lines.append(f"{head}, SAME -> ceil({L}/{si}) = {a.out} outputs, "
                         f"padding {before} before and {after} after")
            continue
        if isinstance(padding, str):
            lines.append(f"{head}, d={di}, VALID -> floor(({L} - {di}*({ki}-1) - 1) / {si}) + 1 = {a.out} outputs")
            continue
        p = to_tuple(padding, n, "padding")[i]
        raw = torch_formula(L, ki, si, p, di, ceil_mode)
        extra = f" + ({si}-1)" if ceil_mode else ""
        text = (f"{head}, p={p}, d={di}{', ceil_mode' if ceil_mode else ''} -> "
                f"floor(({L} + 2*{p} - {di}*({ki}-1) - 1{extra}) / {si}) + 1 = {raw}")
        if raw != a.out:
            text += (f", but window {raw - 1} would start at {(raw - 1) * si - p} >= L = {L}, inside the right "
                     f"padding, so it is dropped -> {a.out} outputs")
        else:
            text += " outputs"
        lines.append(text)
    return "\n".join(lines)
