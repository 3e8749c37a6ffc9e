"""poolkit's forward passes against PyTorch (2.13, CPU) as the oracle.

Every test draws configurations PyTorch accepts (1-3 spatial dims, batched or not,
either layout, N = 0 included), inputs full of ties, signed zeros, NaN and infinities,
and runs every ``method``. Max and min are compared bit for bit, values and indices;
averages within the dtype's tolerance. Configurations poolkit refuses on purpose (a
dilated window reading only padding) are checked to raise; inputs ``avg_pool3d``
refuses but poolkit accepts are checked against a 1-D-at-a-time PyTorch average.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import (
    FLOATS,
    INTS,
    METHODS,
    assert_bits_equal,
    assert_close,
    data_format,
    finite_scale,
    make_input,
    pk,
    pool_configs,
    poolkit_input,
    poolkit_output,
    torch,
    torch_avg,
    torch_avg_separable,
    torch_fn,
    torch_max,
    tup,
)

import poolkit

SEEDS = st.integers(0, 2**32 - 1)

# inf + (-inf) in a window sum is NaN, as in PyTorch; numpy also warns about it
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
FLOAT_KINDS = st.sampled_from(["ties", "ties", "special", "special", "normal"])
INT_KINDS = st.sampled_from(["ties", "special", "normal"])


@st.composite
def dtype_and_kind(draw, dtypes=FLOATS + INTS, int_kinds=INT_KINDS):
    dtype = draw(st.sampled_from(dtypes))
    kind = draw(int_kinds if np.dtype(dtype).kind in "iu" else FLOAT_KINDS)
    return dtype, kind


def pool_args(cfg):
    return dict(kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
                dilation=cfg["dilation"], ceil_mode=cfg["ceil_mode"], data_format=data_format(cfg))


# ------------------------------------------------------------------ max
@settings(max_examples=examples(150))
@given(cfg=pool_configs(), dk=dtype_and_kind(), seed=SEEDS)
def test_max_pool_matches_torch(cfg, dk, seed):
    dtype, kind = dk
    x = make_input(seed, cfg["shape"], dtype, kind)
    dims = cfg["dims"]
    if cfg["empty_window"]:
        # PyTorch returns -inf (the lowest integer) and an index outside the window; poolkit refuses.
        values, _ = torch_max(x, cfg)
        assert values.size == 0 or (values == poolkit.reduction.fill_value(x.dtype, "max")).any()
        with pytest.raises(ValueError, match="contains no input element"):
            pk("max_pool", dims)(poolkit_input(x, cfg), **pool_args(cfg))
        return
    want, want_idx = torch_max(x, cfg)
    for method in METHODS:
        got, got_idx = pk("max_pool", dims)(poolkit_input(x, cfg), **pool_args(cfg), return_indices=True,
                                            method=method)
        assert_bits_equal(poolkit_output(got, cfg), want, f"{method} values")
        assert_bits_equal(poolkit_output(got_idx, cfg), want_idx, f"{method} indices")
        only = pk("max_pool", dims)(poolkit_input(x, cfg), **pool_args(cfg), method=method)
        assert_bits_equal(poolkit_output(only, cfg), want, f"{method} values without indices")


@settings(max_examples=examples(40))
@given(cfg=pool_configs(dilation=False), seed=SEEDS)
def test_max_pool_float_fast_path_matches_torch(cfg, seed):
    """PyTorch's max_pool without indices and without grad runs another kernel (max_pool1d
    especially): poolkit must match it too."""
    x = make_input(seed, cfg["shape"], "float32", "special")
    want = torch_fn("max_pool", cfg["dims"])(torch().from_numpy(x), cfg["kernel_size"], cfg["stride"],
                                              cfg["padding"], 1, cfg["ceil_mode"]).numpy()
    got = pk("max_pool", cfg["dims"])(poolkit_input(x, cfg), **pool_args(cfg))
    assert_bits_equal(poolkit_output(got, cfg), want)


# ------------------------------------------------------------------ min
def min_oracle(x, cfg):
    """Min pooling from PyTorch's max, through an order-reversing bijection, indices unchanged.

    Floats: ``-max_pool(-x)``; negation is exact (signed zeros and NaN signs flip back), and
    ``-max(-x)`` picks the first minimal tap as min pooling does. Integers: ``~max_pool(~x)``;
    bitwise not (``-x - 1`` signed, ``MAX - x`` unsigned) reverses the order without the
    overflow that negating the lowest value (or any unsigned value) would cause.
    """
    if x.dtype.kind in "iu":
        v, i = torch_max(~x, cfg)
        return ~v, i
    v, i = torch_max(-x, cfg)
    return -v, i


@settings(max_examples=examples(100))
@given(cfg=pool_configs(), dk=dtype_and_kind(), seed=SEEDS)
def test_min_pool_matches_negated_torch_max(cfg, dk, seed):
    dtype, kind = dk
    x = make_input(seed, cfg["shape"], dtype, kind)
    if cfg["empty_window"]:
        with pytest.raises(ValueError, match="contains no input element"):
            pk("min_pool", cfg["dims"])(poolkit_input(x, cfg), **pool_args(cfg))
        return
    want, want_idx = min_oracle(x, cfg)
    for method in METHODS:
        got, got_idx = pk("min_pool", cfg["dims"])(poolkit_input(x, cfg), **pool_args(cfg), return_indices=True,
                                                   method=method)
        assert_bits_equal(poolkit_output(got, cfg), want, f"{method} values")
        assert_bits_equal(poolkit_output(got_idx, cfg), want_idx, f"{method} indices")


@settings(max_examples=examples(30))
@given(cfg=pool_configs(), dtype=st.sampled_from(["uint8", "int8"]), seed=SEEDS)
def test_min_pool_integers_direct(cfg, dtype, seed):
    """Unsigned and lowest-value integers, checked directly: each output is the smallest
    in-bounds element of its window, found at its index, and no smaller element precedes it."""
    x = make_input(seed, cfg["shape"], dtype, "special")
    if cfg["empty_window"]:
        return
    got, idx = pk("min_pool", cfg["dims"])(poolkit_input(x, cfg), **pool_args(cfg), return_indices=True)
    got, idx = poolkit_output(got, cfg), poolkit_output(idx, cfg)
    dims = cfg["dims"]
    planes = x.reshape(-1, int(np.prod(x.shape[-dims:])))
    outs = int(np.prod(got.shape[-dims:]))
    flat_got, flat_idx = got.reshape(-1, outs), idx.reshape(-1, outs)
    windows = window_members(x.shape[-dims:], cfg)
    for plane, values, indices in zip(planes, flat_got, flat_idx):
        for members, v, i in zip(windows, values, indices):
            assert v == plane[members].min()
            assert plane[i] == v
            assert i == members[np.argmax(plane[members] == v)]


def window_members(sizes, cfg):
    """Flat indices of the in-bounds taps of every window, in scan order (PyTorch geometry)."""
    from itertools import product

    from oracles import torch_out

    dims = len(sizes)
    k, p, d = tup(cfg["kernel_size"], dims), tup(cfg["padding"], dims), tup(cfg["dilation"], dims)
    s = k if cfg["stride"] is None else tup(cfg["stride"], dims)
    outs = [torch_out(L, *a, cfg["ceil_mode"]) for L, a in zip(sizes, zip(k, s, p, d))]
    result = []
    for o in product(*map(range, outs)):
        members = []
        for j in product(*map(range, k)):
            pos = [oi * si - pi + ji * di for oi, si, pi, ji, di in zip(o, s, p, j, d)]
            if all(0 <= q < L for q, L in zip(pos, sizes)):
                members.append(int(np.ravel_multi_index(pos, sizes)))
        result.append(np.array(members))
    return result


# ------------------------------------------------------------------ average
def avg_quirk(cfg):
    """PyTorch's avg_pool3d refuses a dimension shorter than its kernel, even when padding fits it."""
    dims = cfg["dims"]
    return dims == 3 and any(L < k for L, k in zip(cfg["shape"][-3:], tup(cfg["kernel_size"], 3)))


@settings(max_examples=examples(150))
@given(cfg=pool_configs(dilation=False),
       dk=dtype_and_kind(FLOATS + ("int64", "int32"), st.sampled_from(["ties", "wide"])),
       count_include_pad=st.sampled_from([None, True, False]),
       divisor_override=st.none() | st.sampled_from([1, 2, 3, 7, -1, -2, -5]),
       seed=SEEDS)
def test_avg_pool_matches_torch(cfg, dk, count_include_pad, divisor_override, seed):
    dtype, kind = dk
    x = make_input(seed, cfg["shape"], dtype, kind)
    cip = True if count_include_pad is None else count_include_pad
    if avg_quirk(cfg):
        with pytest.raises(RuntimeError, match="smaller than kernel"):
            torch_avg(x, cfg, cip, divisor_override)
        if x.dtype.kind == "f":
            want = torch_avg_separable(x, cfg, cip, divisor_override).astype(dtype)
        else:  # integer division does not compose per dimension: the loops are the reference
            want = poolkit_output(pk("avg_pool", 3)(poolkit_input(x, cfg), method="naive",
                                                    **avg_args(cfg, count_include_pad, divisor_override)), cfg)
    else:
        want = torch_avg(x, cfg, cip, divisor_override)
    for method in METHODS:
        got = pk("avg_pool", cfg["dims"])(poolkit_input(x, cfg), method=method,
                                          **avg_args(cfg, count_include_pad, divisor_override))
        assert_close(poolkit_output(got, cfg), want, dtype, finite_scale(x) * abs_divisor_scale(divisor_override),
                     method)


def avg_args(cfg, count_include_pad, divisor_override):
    return dict(kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
                ceil_mode=cfg["ceil_mode"], count_include_pad=count_include_pad,
                divisor_override=divisor_override, data_format=data_format(cfg))


def abs_divisor_scale(divisor_override):
    """A divisor_override below the window size scales the result (and its rounding) up."""
    return 64.0 if divisor_override is not None else 1.0


# ------------------------------------------------------------------ Lp
@settings(max_examples=examples(80))
@given(cfg=pool_configs(dilation=False),
       p=st.sampled_from([1, 2, 3, 1.5, 0.5, 4.0, float("inf"), float("-inf")]),
       dtype=st.sampled_from(["float32", "float64"]),
       kind=st.sampled_from(["ties", "normal", "special"]), seed=SEEDS)
def test_lp_pool_matches_torch(cfg, p, dtype, kind, seed):
    cfg = dict(cfg, padding=0)
    dims = cfg["dims"]
    x = make_input(seed, cfg["shape"], dtype, kind)
    k = tup(cfg["kernel_size"], dims)
    if any(L < ki for L, ki in zip(cfg["shape"][-dims:], k)):
        return  # no padding here: the window must fit (checked in test_errors)
    t = torch().from_numpy(x)
    kernel = k[0] if dims == 1 else cfg["kernel_size"]  # lp_pool1d multiplies by kernel_size: an int
    want = torch_fn("lp_pool", dims)(t, p, kernel, cfg["stride"], cfg["ceil_mode"]).numpy()
    for method in METHODS:
        got = pk("lp_pool", dims)(poolkit_input(x, cfg), p, cfg["kernel_size"], cfg["stride"], cfg["ceil_mode"],
                                  data_format=data_format(cfg), method=method)
        got = poolkit_output(got, cfg)
        if np.isinf(p):
            assert_bits_equal(got, want, method)
        else:
            scale = finite_scale(np.abs(want))
            assert_close(got, want, dtype, scale * 1e3 if dtype == "float32" else scale * 10, method)


# ------------------------------------------------------------------ adaptive
@st.composite
def adaptive_configs(draw):
    dims = draw(st.integers(1, 3))
    max_len = 7 if dims < 3 else 5
    sizes = tuple(draw(st.integers(1, max_len)) for _ in range(dims))
    entries = [draw(st.none() | st.integers(0, max_len + 2) | st.integers(1, 3)) for _ in range(dims)]
    if draw(st.booleans()) and entries[0] is not None and len(set(entries)) == 1:
        out = entries[0]  # one int for every dimension
    else:
        out = tuple(entries)
    batched = draw(st.booleans())
    n, c = draw(st.sampled_from([0, 1, 2])), draw(st.integers(1, 3))
    return dict(dims=dims, shape=((n, c) if batched else (c,)) + sizes, batched=batched,
                channels_last=draw(st.booleans()), output_size=out)


@settings(max_examples=examples(120))
@given(cfg=adaptive_configs(), dtype=st.sampled_from(FLOATS), kind=FLOAT_KINDS, seed=SEEDS)
def test_adaptive_pools_match_torch(cfg, dtype, kind, seed):
    dims = cfg["dims"]
    x = make_input(seed, cfg["shape"], dtype, kind)
    t = torch().from_numpy(x)
    size = cfg["output_size"]
    if dims == 1 and size == (None,):
        size = cfg["shape"][-1]  # the 1-D functions take no None
    want, want_idx = torch_fn("adaptive_max_pool", dims)(t, size, return_indices=True)
    want_avg = torch_fn("adaptive_avg_pool", dims)(t, size).numpy()
    for method in METHODS:
        got, got_idx = pk("adaptive_max_pool", dims)(poolkit_input(x, cfg), cfg["output_size"], return_indices=True,
                                                     data_format=data_format(cfg), method=method)
        assert_bits_equal(poolkit_output(got, cfg), want.numpy(), f"{method} max")
        assert_bits_equal(poolkit_output(got_idx, cfg), want_idx.numpy(), f"{method} indices")
        avg = pk("adaptive_avg_pool", dims)(poolkit_input(x, cfg), cfg["output_size"],
                                            data_format=data_format(cfg), method=method)
        assert_close(poolkit_output(avg, cfg), want_avg, dtype, finite_scale(x), f"{method} avg")


# ------------------------------------------------------------------ unpool
@settings(max_examples=examples(100))
@given(cfg=pool_configs(dilation=False, ceil=False), dtype=st.sampled_from(["float32", "float64", "int64"]),
       size_choice=st.sampled_from(["none", "spatial", "full", "outside"]), shift=st.integers(-2, 2),
       seed=SEEDS)
def test_max_unpool_matches_torch(cfg, dtype, size_choice, shift, seed):
    dims = cfg["dims"]
    x = make_input(seed, cfg["shape"], dtype, "normal" if dtype != "int64" else "ties")
    if dtype == "int64":
        x = x * 1000 + np.arange(x.size).reshape(x.shape)  # distinct values: unpool of ties is fine too
    values, indices = torch_max(x, cfg)
    k, p = tup(cfg["kernel_size"], dims), tup(cfg["padding"], dims)
    s = k if cfg["stride"] is None else tup(cfg["stride"], dims)
    default = [(L - 1) * si - 2 * pi + ki for L, ki, si, pi in zip(values.shape[-dims:], k, s, p)]
    if size_choice == "none":
        output_size = None
    else:
        offset = [max(-si + 1, min(si - 1, shift)) for si in s]
        if size_choice == "outside":
            offset[-1] = s[-1] * (1 if shift >= 0 else -1)
        spatial = [dd + o for dd, o in zip(default, offset)]
        lead = list(values.shape[:2]) if cfg["batched"] else [1] + list(values.shape[:1])
        output_size = tuple(spatial) if size_choice == "spatial" else tuple(lead + spatial)
    T = torch()
    try:  # PyTorch unpools floats only; the int64 values here are exact in float64
        want = torch_fn("max_unpool", dims)(T.from_numpy(values.astype(np.float64)), T.from_numpy(indices),
                                            cfg["kernel_size"], cfg["stride"], cfg["padding"],
                                            output_size).numpy().astype(dtype)
    except (ValueError, RuntimeError) as err:
        with pytest.raises(ValueError):
            unpool(values, indices, cfg, output_size)
        assert size_choice == "outside" or "invalid max index" in str(err) or "output_size" in str(err), err
        return
    assert size_choice != "outside"
    if 0 in want.shape[-dims:] and (values.size or output_size is None):
        # PyTorch returns an empty plane and silently drops the values; poolkit refuses (and it
        # refuses a default output size below 1 even with nothing to drop, N = 0).
        with pytest.raises(ValueError, match="output"):
            unpool(values, indices, cfg, output_size)
        return
    assert_bits_equal(poolkit_output(unpool(values, indices, cfg, output_size), cfg), want)


def unpool(values, indices, cfg, output_size):
    if cfg["channels_last"] and output_size is not None and len(output_size) == cfg["dims"] + 2:
        output_size = (output_size[0],) + tuple(output_size[2:]) + (output_size[1],)
    return pk("max_unpool", cfg["dims"])(poolkit_input(values, cfg), poolkit_input(indices, cfg),
                                         cfg["kernel_size"], cfg["stride"], cfg["padding"], output_size,
                                         data_format=data_format(cfg))


@settings(max_examples=examples(40))
@given(cfg=pool_configs(dilation=False, ceil=False), seed=SEEDS)
def test_max_unpool_round_trip(cfg, seed):
    """Pool then unpool keeps exactly the window maxima (with stride >= kernel every other
    element is zero), identically in poolkit and PyTorch."""
    dims = cfg["dims"]
    x = make_input(seed, cfg["shape"], "float64", "normal")
    values, indices = pk("max_pool", dims)(poolkit_input(x, cfg), **pool_args(cfg), return_indices=True)
    sizes = cfg["shape"][-dims:]
    back = pk("max_unpool", dims)(values, indices, cfg["kernel_size"], cfg["stride"], cfg["padding"],
                                  output_size=sizes, data_format=data_format(cfg)) \
        if _unpool_size_ok(values, cfg) else None
    if back is None:
        return
    back = poolkit_output(back, cfg)
    T = torch()
    want = torch_fn("max_unpool", dims)(*(T.from_numpy(poolkit_output(a, cfg)) for a in (values, indices)),
                                        cfg["kernel_size"], cfg["stride"], cfg["padding"], sizes).numpy()
    assert_bits_equal(back, want)
    kept = back != 0
    assert np.array_equal(back[kept], x[kept])


def _unpool_size_ok(values, cfg):
    """Is the input's own size within stride of the unpool default (so it can be asked for)?"""
    dims = cfg["dims"]
    k, p = tup(cfg["kernel_size"], dims), tup(cfg["padding"], dims)
    s = k if cfg["stride"] is None else tup(cfg["stride"], dims)
    out = poolkit_output(values, cfg).shape[-dims:]
    return all((o - 1) * si - 2 * pi + ki - si < L < (o - 1) * si - 2 * pi + ki + si
               for o, L, ki, si, pi in zip(out, cfg["shape"][-dims:], k, s, p))


# ------------------------------------------------------------------ whole-API smoke
def test_every_public_forward_is_covered():
    """The functions this file compares are all of poolkit's forward API."""
    covered = {"max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool",
               "max_unpool"}
    names = {n[:-2] for n in poolkit.functional.__all__ if n[-2:] in ("1d", "2d", "3d")}
    assert names == covered
