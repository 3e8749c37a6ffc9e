"""How a window is reduced: the rule every implementation in poolkit follows.

Max pooling scans a window's taps in row-major order, starting from the lowest
value of the dtype (-inf for floats) and the index of the window's first tap
inside the input. A tap replaces the current best when

    value > best   or   value is NaN

so ties go to the **first** maximal tap, a NaN anywhere makes the result NaN
(with the index of the **last** NaN), and a window of only -inf returns -inf
with its first in-bounds index. This is PyTorch's CPU kernel, to the bit.
Min pooling is the same rule with ``<`` and the highest value.

Padding never wins: the implementations fill it with the starting value, which
no tap has to beat.
"""

from __future__ import annotations

import numpy as np

MODES = ("max", "min")


def check_mode(mode):
    """``mode`` must be one of :data:`MODES`; a ValueError naming it otherwise."""
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} must be one of {MODES}")
    return mode


def fill_value(dtype, mode: str):
    """Starting value of a max (``-inf``/lowest int) or min (``+inf``/highest int) scan."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return dtype.type(-np.inf if mode == "max" else np.inf)
    info = np.iinfo(dtype)
    return dtype.type(info.min if mode == "max" else info.max)


def beats(mode: str):
    """The strict comparison a tap must win against the current best: ``np.greater`` or ``np.less``."""
    return np.greater if mode == "max" else np.less


def sum_dtype(dtype) -> np.dtype:
    """Accumulator for window sums: float32 for float16 (rounded once at the end, as PyTorch),
    int64 for integers, the dtype itself otherwise."""
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        return np.dtype(np.float32)
    if dtype.kind in "iu":
        return np.dtype(np.int64)
    return dtype
