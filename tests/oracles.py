"""What the oracle tests share: input generators, bit-exact comparisons, the
hypothesis strategies for pooling configurations, and PyTorch/TensorFlow callers.

PyTorch and TensorFlow are imported lazily (:func:`torch`, :func:`tf`) so that
collecting the tests stays fast; where one is not installed, outside CI, the test
skips with the reason. TensorFlow's logging switches are set in conftest.py.
"""

from __future__ import annotations

import functools
import importlib
import os

import numpy as np
import pytest
from hypothesis import strategies as st

import poolkit  # (TensorFlow's log variables: tests/conftest.py sets them, before any test module is imported)

FLOATS = ("float16", "float32", "float64")
INTS = ("int8", "int16", "int32", "int64", "uint8")
RTOL = {"float16": 1e-3, "float32": 1e-6, "float64": 1e-12}
NUMBA = poolkit.compiled.available() or bool(os.environ.get("CI"))
"""Is numba there (CI always installs it: there, a missing numba fails instead of skipping)?"""
METHODS = tuple(m for m in poolkit.plan.METHODS if NUMBA or m != "numba") + ("auto",)
"""Every implementation `method=` selects, each compared on every example (``"numba"``
only where numba is installed)."""


# ------------------------------------------------------------------ frameworks
def _framework(module, name):
    """Import an oracle; absent outside CI, the test skips with the reason (under CI it fails)."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{name} is not installed ({err}); `pip install -e .[frameworks]` to run the oracle tests")


@functools.cache
def torch():
    return _framework("torch", "PyTorch")


@functools.cache
def tf():
    return _framework("tensorflow", "TensorFlow")


# ------------------------------------------------------------------ inputs
def make_input(seed: int, shape, dtype, kind: str) -> np.ndarray:
    """A reproducible test input.

    ``kind``: ``"ties"`` (integers in [-2, 2], zeros of either sign for floats),
    ``"normal"`` (floats: N(0, 10); ints: the dtype's whole range),
    ``"wide"`` (ints within +-10**6 and the dtype: window sums cannot overflow int64),
    ``"special"`` (``"ties"`` sprinkled with NaN of either sign, +inf and -inf;
    for ints: the dtype's extremes, its lowest value included).
    """
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    shape = tuple(shape)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if kind == "ties":
            return rng.integers(max(info.min, -2), 3, size=shape).astype(dtype)
        if kind == "normal":
            return rng.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)
        if kind == "wide":
            return rng.integers(max(info.min, -10**6), min(info.max, 10**6) + 1, size=shape).astype(dtype)
        pool = np.array([info.min, info.min + 1, 0, 1, info.max - 1, info.max], dtype=dtype)
        return rng.choice(pool, size=shape)
    if kind == "normal":
        return (rng.standard_normal(shape) * 10).astype(dtype)
    x = rng.integers(-2, 3, size=shape).astype(dtype)
    x[(x == 0) & (rng.random(shape) < 0.5)] = -0.0
    if kind == "special":
        r = rng.random(shape)
        x[r < 0.06] = np.nan
        x[(r >= 0.06) & (r < 0.12)] = -np.nan
        x[(r >= 0.12) & (r < 0.22)] = np.inf
        x[(r >= 0.22) & (r < 0.40)] = -np.inf
    return x


def bits(a: np.ndarray) -> np.ndarray:
    """The raw bits of a float array (so -0.0 != 0.0 and NaN payloads count), ints unchanged."""
    a = np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        return a.view(f"u{a.dtype.itemsize}")
    return a


def assert_bits_equal(actual, expected, what="values"):
    """Same shape, same dtype and the same bits everywhere."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    same = bits(actual) == bits(expected)
    if not same.all():
        where = tuple(int(i) for i in np.argwhere(~same)[0])
        raise AssertionError(f"{what} differ at {where}: {actual[where]!r} != {expected[where]!r} "
                             f"({int((~same).sum())} of {same.size} elements)\n"
                             f"actual:\n{actual}\nexpected:\n{expected}")


def assert_close(actual, expected, dtype, scale=1.0, what="values"):
    """Averages: same shape and dtype, same NaN/inf positions, equal within the dtype's rtol.

    ``scale`` (the largest finite |input|) sets an absolute floor of ``rtol * scale`` so a
    window whose terms cancel is not judged by its tiny result alone. Integers are exact.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    if actual.dtype.kind in "iu":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    rtol = RTOL[str(np.dtype(dtype))]
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                               atol=rtol * max(1.0, float(scale)), equal_nan=True, err_msg=what)


def finite_scale(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    finite = x[np.isfinite(x)]
    return float(np.abs(finite).max()) if finite.size else 1.0


# ------------------------------------------------------------------ layouts
def layout_axis(batched: bool) -> int:
    return 1 if batched else 0


def to_channels_last(x_cf: np.ndarray, batched: bool) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(x_cf, layout_axis(batched), -1))


def from_channels_last(y: np.ndarray, batched: bool) -> np.ndarray:
    return np.moveaxis(y, -1, layout_axis(batched))


# ------------------------------------------------------------------ configurations
def _per_dim(draw, dims, values):
    """An int (same in every dimension) or a tuple of ``dims`` ints drawn from ``values``."""
    if draw(st.booleans()):
        return draw(values)
    return tuple(draw(values) for _ in range(dims))


def tup(value, dims):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


def torch_out(L, k, s, p, d, ceil_mode):
    """PyTorch's output length (semantics.md section 1), written out independently of poolkit."""
    o = (L + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= L + p:
        o -= 1
    return o


def has_empty_window(sizes, k, s, p, d, ceil_mode):
    """Does some window of a valid torch configuration read only padding (possible with dilation)?"""
    for L, ki, si, pi, di in zip(sizes, k, s, p, d):
        for o in range(torch_out(L, ki, si, pi, di, ceil_mode)):
            if not any(0 <= o * si - pi + j * di < L for j in range(ki)):
                return True
    return False


@st.composite
def pool_configs(draw, dims=None, *, dilation=True, ceil=True, max_len=7, max_kernel=4):
    """A pooling configuration PyTorch accepts (integer padding), with a shape and a layout.

    Returns a dict: ``dims``, ``shape`` (channels-first, possibly unbatched, N may be 0),
    ``batched``, ``channels_last``, ``kernel_size``, ``stride`` (None = kernel), ``padding``,
    ``dilation``, ``ceil_mode``; each parameter an int or a per-dimension tuple.
    """
    dims = dims or draw(st.integers(1, 3))
    if dims == 3:
        max_len, max_kernel = min(max_len, 5), min(max_kernel, 3)
    kernel = _per_dim(draw, dims, st.integers(1, max_kernel))
    k = tup(kernel, dims)
    stride = draw(st.none() | st.integers(1, 3) | st.tuples(*[st.integers(1, 3)] * dims))
    s = k if stride is None else tup(stride, dims)
    padding = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    if draw(st.booleans()) and len(set(padding)) == 1:
        padding = padding[0]
    p = tup(padding, dims)
    dil = _per_dim(draw, dims, st.integers(1, 3)) if dilation and draw(st.booleans()) else 1
    d = tup(dil, dims)
    ceil_mode = draw(st.booleans()) if ceil else False
    sizes = []
    for ki, _si, pi, di in zip(k, s, p, d):
        lo = max(1, (ki - 1) * di + 1 - 2 * pi)  # smallest length with at least one output
        sizes.append(draw(st.integers(lo, max(lo, max_len))))
    batched = draw(st.booleans())
    n = draw(st.sampled_from([1, 1, 2, 2, 0]))
    c = draw(st.integers(1, 3))
    shape = ((n, c) if batched else (c,)) + tuple(sizes)
    return dict(dims=dims, shape=shape, batched=batched, channels_last=draw(st.booleans()),
                kernel_size=kernel, stride=stride, padding=padding, dilation=dil, ceil_mode=ceil_mode,
                empty_window=has_empty_window(sizes, k, s, p, d, ceil_mode))


def data_format(cfg):
    return "channels_last" if cfg["channels_last"] else "channels_first"


def poolkit_input(x_cf, cfg):
    return to_channels_last(x_cf, cfg["batched"]) if cfg["channels_last"] else x_cf


def poolkit_output(y, cfg):
    """poolkit's result brought back to channels-first, to compare with torch."""
    return from_channels_last(y, cfg["batched"]) if cfg["channels_last"] else y


def pk(name, dims):
    return getattr(poolkit, f"{name}{dims}d")


# ------------------------------------------------------------------ torch callers
def torch_fn(name, dims):
    return getattr(torch().nn.functional, f"{name}{dims}d")


def torch_max(x_cf, cfg, dims=None):
    """PyTorch's max pool (values, int64 indices) of a channels-first numpy array."""
    dims = dims or cfg["dims"]
    t = torch().from_numpy(np.ascontiguousarray(x_cf))
    v, i = torch_fn("max_pool", dims)(t, cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"],
                                      cfg["ceil_mode"], return_indices=True)
    return v.numpy(), i.numpy()


def torch_avg(x_cf, cfg, count_include_pad, divisor_override):
    """PyTorch's average pool of a channels-first numpy array.

    1-D goes through ``avg_pool2d`` on ``(.., 1, L)`` when a divisor_override is given
    (``avg_pool1d`` has none); float16 3-D and integer inputs are computed as PyTorch
    would in the types it supports (float32 rounded once to float16; int64).
    """
    T = torch()
    dims = cfg["dims"]
    dtype = x_cf.dtype
    x = x_cf
    if dtype.kind in "iu":
        x = x.astype(np.int64)
    elif dtype == np.float16 and dims == 3:
        x = x.astype(np.float32)
    t = T.from_numpy(np.ascontiguousarray(x))
    k, s, p = cfg["kernel_size"], cfg["stride"], cfg["padding"]
    if dims == 1 and divisor_override is not None:
        flat = lambda v, h: None if v is None else (h,) + tup(v, 1)  # noqa: E731  H=1: kernel 1, pad 0
        y = T.nn.functional.avg_pool2d(t.unsqueeze(-2), flat(k, 1), flat(s, 1), flat(p, 0), cfg["ceil_mode"],
                                       count_include_pad, divisor_override).squeeze(-2)
    elif dims == 1:
        y = T.nn.functional.avg_pool1d(t, k, s, p, cfg["ceil_mode"], count_include_pad)
    else:
        y = torch_fn("avg_pool", dims)(t, k, s, p, cfg["ceil_mode"], count_include_pad, divisor_override)
    return y.numpy().astype(dtype)


def torch_avg_separable(x_cf, cfg, count_include_pad, divisor_override):
    """A 3-D average pool in float64 as three 1-D PyTorch average pools (for the inputs
    ``avg_pool3d`` refuses: a dimension shorter than its kernel).

    The window sum and both divisors (padded or real element counts) are products of
    per-dimension terms, so pooling one dimension at a time with the same options gives
    the 3-D average; with ``divisor_override`` each pass sums (divisor 1) and the total is
    divided once.
    """
    T = torch()
    dims = cfg["dims"]
    k, p = tup(cfg["kernel_size"], dims), tup(cfg["padding"], dims)
    s = k if cfg["stride"] is None else tup(cfg["stride"], dims)
    y = T.from_numpy(x_cf.astype(np.float64))
    for axis in range(dims):
        pos = y.ndim - dims + axis
        y = y.movedim(pos, -1)
        lead = y.shape[:-1]
        flat = y.reshape(-1, 1, 1, y.shape[-1])
        flat = T.nn.functional.avg_pool2d(flat, (1, k[axis]), (1, s[axis]), (0, p[axis]), cfg["ceil_mode"],
                                          count_include_pad, None if divisor_override is None else 1)
        y = flat.reshape(lead + (flat.shape[-1],)).movedim(-1, pos)
    if divisor_override is not None:
        y = y / divisor_override
    return y.numpy()
