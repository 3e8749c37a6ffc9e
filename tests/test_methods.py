"""The implementations agree with each other, and the building blocks do what they say.

- every ``method`` gives the same result on random configurations (TensorFlow-style
  padding and adaptive windows included): bit for bit for max, min and indices, to
  float rounding for averages;
- ``naive.pool2d``, the first loop of the book, agrees with the general functions;
- ``im2col`` matches ``torch.nn.functional.unfold`` and ``col2im`` is its adjoint;
- geometry: ``output_size`` accepts and refuses what PyTorch does (on purpose, poolkit
  also refuses a dilated window with no input element), the ceil_mode rule, ``explain``.
"""

from __future__ import annotations

import functools
import inspect
import itertools

import numpy as np
import pytest
from conftest import examples
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracles import (
    FLOATS,
    INTS,
    METHODS,
    assert_bits_equal,
    assert_close,
    finite_scale,
    make_input,
    pool_configs,
    torch,
    torch_out,
    tup,
)

import poolkit

SEEDS = st.integers(0, 2**32 - 1)

# inf + (-inf) in a window sum is NaN, as in PyTorch; numpy also warns about it
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


@st.composite
def any_configs(draw):
    """A configuration in either style: PyTorch's (integer padding, dilation, ceil_mode) or
    TensorFlow's (``padding="same"``/``"valid"``)."""
    cfg = draw(pool_configs())
    style = draw(st.sampled_from(["torch", "torch", "same", "valid"]))
    if style != "torch":
        dims = cfg["dims"]
        k = tup(cfg["kernel_size"], dims)
        cfg = dict(cfg, padding=style, ceil_mode=False, dilation=1 if style == "same" else cfg["dilation"])
        d = tup(cfg["dilation"], dims)
        spatial = tuple(max(L, (ki - 1) * di + 1) if style == "valid" else L
                        for L, ki, di in zip(cfg["shape"][-dims:], k, d))
        cfg["shape"] = cfg["shape"][:-dims] + spatial
        cfg["empty_window"] = False
    return cfg


def call_all(name, x, cfg, **kw):
    fn = getattr(poolkit, f"{name}{cfg['dims']}d")
    fmt = "channels_last" if cfg["channels_last"] else "channels_first"
    if cfg["channels_last"]:
        x = np.moveaxis(x, 1 if cfg["batched"] else 0, -1)  # a non-contiguous view: fine for every method
    return {m: fn(x, data_format=fmt, method=m, **kw) for m in METHODS}


@settings(max_examples=examples(150))
@given(cfg=any_configs(), dtype=st.sampled_from(FLOATS + INTS), kind=st.sampled_from(["ties", "special", "normal"]),
       mode=st.sampled_from(["max_pool", "min_pool"]), seed=SEEDS)
def test_extreme_methods_identical(cfg, dtype, kind, mode, seed):
    assume(not cfg["empty_window"])
    x = make_input(seed, cfg["shape"], dtype, kind)
    results = call_all(mode, x, cfg, kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
                       dilation=cfg["dilation"], ceil_mode=cfg["ceil_mode"], return_indices=True)
    (v0, i0), rest = results["naive"], results
    for m, (v, i) in rest.items():
        assert_bits_equal(v, v0, f"{m} values")
        assert_bits_equal(i, i0, f"{m} indices")


@settings(max_examples=examples(150))
@given(cfg=any_configs(), dtype=st.sampled_from(FLOATS + ("int64", "int32", "uint8")),
       kind=st.sampled_from(["ties", "special", "normal"]), seed=SEEDS, data=st.data())
def test_average_methods_agree(cfg, dtype, kind, seed, data):
    if cfg["dilation"] != 1 and not isinstance(cfg["padding"], str):
        cfg = dict(cfg, dilation=1, empty_window=False)
    assume(cfg["dilation"] == 1)
    x = make_input(seed, cfg["shape"], dtype, kind if np.dtype(dtype).kind == "f" else "wide")
    kw = dict(kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"], ceil_mode=cfg["ceil_mode"])
    if not isinstance(cfg["padding"], str):
        kw.update(count_include_pad=data.draw(st.sampled_from([None, True, False])),
                  divisor_override=data.draw(st.none() | st.sampled_from([1, 3, -2])))
    results = call_all("avg_pool", x, cfg, **kw)
    ref = results["naive"]
    for m, r in results.items():
        assert_close(r, ref, dtype, finite_scale(x) * 64, m)


@st.composite
def adaptive_cfgs(draw):
    dims = draw(st.integers(1, 3))
    sizes = tuple(draw(st.integers(1, 9 if dims < 3 else 5)) for _ in range(dims))
    out = tuple(draw(st.none() | st.integers(0, 11)) for _ in range(dims))
    batched = draw(st.booleans())
    n, c = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    return dict(dims=dims, shape=((n, c) if batched else (c,)) + sizes, batched=batched,
                channels_last=draw(st.booleans()), output_size=out)


@settings(max_examples=examples(100))
@given(cfg=adaptive_cfgs(), dtype=st.sampled_from(FLOATS), kind=st.sampled_from(["ties", "special", "normal"]),
       seed=SEEDS)
def test_adaptive_methods_agree(cfg, dtype, kind, seed):
    x = make_input(seed, cfg["shape"], dtype, kind)
    maxes = call_all("adaptive_max_pool", x, cfg, output_size=cfg["output_size"], return_indices=True)
    for m, (v, i) in maxes.items():
        assert_bits_equal(v, maxes["naive"][0], m)
        assert_bits_equal(i, maxes["naive"][1], m)
    avgs = call_all("adaptive_avg_pool", x, cfg, output_size=cfg["output_size"])
    for m, a in avgs.items():
        assert_close(a, avgs["naive"], dtype, finite_scale(x) * 16, m)


@settings(max_examples=examples(60))
@given(cfg=pool_configs(dilation=False), p=st.sampled_from([1, 2, 3, 0.5, float("inf"), float("-inf")]),
       seed=SEEDS)
def test_lp_methods_agree(cfg, p, seed):
    dims = cfg["dims"]
    assume(all(L >= k for L, k in zip(cfg["shape"][-dims:], tup(cfg["kernel_size"], dims))))
    x = make_input(seed, cfg["shape"], "float64", "normal")
    results = call_all("lp_pool", x, cfg, norm_type=p, kernel_size=cfg["kernel_size"], stride=cfg["stride"],
                       ceil_mode=cfg["ceil_mode"])
    for m, r in results.items():
        assert_close(r, results["naive"], "float64", finite_scale(np.nan_to_num(results["naive"])) * 16, m)


ENGINE_INTERFACE = {
    "extreme": ["x", "axes", "mode", "return_indices"],
    "window_sum": ["x", "axes"],
    "route": ["grad", "indices", "axes", "x_shape"],
    "spread": ["grad", "axes", "x_shape"],
}


def test_every_engine_offers_the_same_four_operations():
    """The engines method= names, each with extreme/window_sum (forward) and route/spread
    (backward) taking the same arguments; "auto" is one of them, anything else is refused."""
    engines = poolkit.plan.METHODS
    assert set(engines) == {"naive", "im2col", "windows", "separable", "numba"}
    assert set(METHODS) | {"numba"} == set(engines) | {"auto"}   # the tests compare every one (numba: if installed)
    for name, engine in engines.items():
        for op, params in ENGINE_INTERFACE.items():
            got = list(inspect.signature(getattr(engine, op)).parameters)
            assert got[:len(params)] == params, f"{name}.{op}{tuple(got)}"
    assert poolkit.plan.engine("auto") is engines["separable"]
    with pytest.raises(ValueError, match="method='fast'"):
        poolkit.plan.engine("fast")


# ------------------------------------------------------------------ the first loop
@settings(max_examples=examples(60))
@given(h=st.integers(1, 7), w=st.integers(1, 7), data=st.data(), seed=SEEDS,
       kind=st.sampled_from(["ties", "normal"]))
def test_naive_pool2d_agrees_with_the_general_functions(h, w, data, seed, kind):
    ph, pw = data.draw(st.integers(1, h)), data.draw(st.integers(1, w))
    X = make_input(seed, (h, w), "float64", kind)
    for mode, fn in (("max", poolkit.max_pool2d), ("min", poolkit.min_pool2d), ("avg", poolkit.avg_pool2d)):
        Y = poolkit.naive.pool2d(X, (ph, pw), mode)
        assert Y.shape == (h - ph + 1, w - pw + 1)
        want = fn(X[None], (ph, pw), 1)[0]
        if mode == "avg":
            np.testing.assert_allclose(Y, want, rtol=1e-12, atol=1e-12 * finite_scale(X))
        else:  # window.max() as the book writes it: equal values (it may keep -0.0 over an earlier 0.0)
            np.testing.assert_array_equal(Y, want)


def test_naive_pool2d_docstring_example_and_modes():
    X = np.arange(9.0).reshape(3, 3)
    assert poolkit.naive.pool2d(X, (2, 2)).tolist() == [[4, 5], [7, 8]]
    assert poolkit.naive.pool2d(X, (2, 2), "avg").tolist() == [[2, 3], [5, 6]]
    assert poolkit.naive.pool2d(X, (2, 2), "min").tolist() == [[0, 1], [3, 4]]
    with pytest.raises(ValueError, match="mode='sum' must be 'max', 'avg' or 'min'"):
        poolkit.naive.pool2d(X, (2, 2), "sum")


# ------------------------------------------------------------------ im2col / col2im
def window_counts(sizes, cfg):
    """How many windows read each input element, counted tap by tap (PyTorch geometry)."""
    dims = len(sizes)
    k, p, d = tup(cfg["kernel_size"], dims), tup(cfg["padding"], dims), tup(cfg["dilation"], dims)
    s = k if cfg["stride"] is None else tup(cfg["stride"], dims)
    per_dim = []
    for L, ki, si, pi, di in zip(sizes, k, s, p, d):
        count = np.zeros(L, np.int64)
        for o in range(torch_out(L, ki, si, pi, di, cfg["ceil_mode"])):
            for j in range(ki):
                pos = o * si - pi + j * di
                if 0 <= pos < L:
                    count[pos] += 1
        per_dim.append(count)
    return functools.reduce(np.multiply.outer, per_dim)


@settings(max_examples=examples(100))
@given(cfg=pool_configs(), seed=SEEDS)
def test_col2im_of_im2col_counts_windows(cfg, seed):
    """col2im(im2col(x)) = x * (number of windows reading each element): col2im is the adjoint."""
    assume(cfg["batched"] and not cfg["empty_window"])
    args = (cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["ceil_mode"])
    x = make_input(seed, cfg["shape"], "float64", "normal")
    cols = poolkit.im2col.im2col(x, *args)
    outs = [torch_out(L, *a, cfg["ceil_mode"]) for L, a in
            zip(x.shape[2:], zip(tup(cfg["kernel_size"], cfg["dims"]),
                                 tup(cfg["stride"] or cfg["kernel_size"], cfg["dims"]),
                                 tup(cfg["padding"], cfg["dims"]), tup(cfg["dilation"], cfg["dims"])))]
    assert cols.shape == (x.shape[0] * x.shape[1] * int(np.prod(outs)),
                          int(np.prod(tup(cfg["kernel_size"], cfg["dims"]))))
    back = poolkit.im2col.col2im(cols, x.shape, *args)
    np.testing.assert_allclose(back, x * window_counts(x.shape[2:], cfg), rtol=1e-12, atol=1e-12)
    # the adjoint identity <im2col(x), c> = <x, col2im(c)> for any c
    c = np.random.default_rng(seed).standard_normal(cols.shape)
    assert np.isclose((cols * c).sum(), (x * poolkit.im2col.col2im(c, x.shape, *args)).sum(), rtol=1e-9, atol=1e-9)


@settings(max_examples=examples(60))
@given(cfg=pool_configs(dims=2, ceil=False), seed=SEEDS)
def test_im2col_matches_torch_unfold(cfg, seed):
    """2-D im2col with zero fill is ``torch.nn.functional.unfold``, rows and columns rearranged."""
    assume(cfg["batched"] and not cfg["empty_window"])
    x = make_input(seed, cfg["shape"], "float64", "normal")
    stride = cfg["stride"] or cfg["kernel_size"]
    cols = poolkit.im2col.im2col(x, cfg["kernel_size"], stride, cfg["padding"], cfg["dilation"])
    T = torch()
    u = T.nn.functional.unfold(T.from_numpy(x), cfg["kernel_size"], cfg["dilation"], cfg["padding"], stride).numpy()
    n, c = x.shape[:2]
    k = int(np.prod(tup(cfg["kernel_size"], 2)))
    want = u.reshape(n, c, k, u.shape[-1]).transpose(0, 1, 3, 2).reshape(-1, k)
    assert_bits_equal(cols, want)


def test_im2col_docstring_example():
    cols = poolkit.im2col.im2col(np.arange(9.0).reshape(1, 1, 3, 3), 2, stride=1)
    assert cols.tolist() == [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]
    assert poolkit.im2col.col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 1).tolist() == [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]


# ------------------------------------------------------------------ geometry
@st.composite
def raw_configs(draw):
    """Any small configuration, valid or not for PyTorch."""
    dims = draw(st.integers(1, 3))
    return dict(dims=dims,
                sizes=tuple(draw(st.integers(1, 8)) for _ in range(dims)),
                kernel=tuple(draw(st.integers(1, 5)) for _ in range(dims)),
                stride=tuple(draw(st.integers(1, 4)) for _ in range(dims)),
                padding=tuple(draw(st.integers(0, 3)) for _ in range(dims)),
                dilation=tuple(draw(st.integers(1, 3)) for _ in range(dims)),
                ceil_mode=draw(st.booleans()))


@settings(max_examples=examples(400))
@given(cfg=raw_configs())
def test_output_size_accepts_and_refuses_like_torch(cfg):
    dims = cfg["dims"]
    args = (cfg["kernel"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["ceil_mode"])
    x = torch().zeros((1, 1) + cfg["sizes"])
    try:
        want = tuple(getattr(torch().nn.functional, f"max_pool{dims}d")(x, *args).shape[2:])
    except RuntimeError:
        want = None
    try:
        got = poolkit.output_size(cfg["sizes"], *args)
    except ValueError as err:
        empty = want is not None and any(
            not any(0 <= o * s - p + j * d < L for j in range(k))
            for L, k, s, p, d in zip(cfg["sizes"], *args[:4])
            for o in range(torch_out(L, k, s, p, d, cfg["ceil_mode"])))
        assert want is None or empty, f"poolkit refuses {cfg} ({err}) but PyTorch gives {want}"
        assert "invalid: " + str(err) == poolkit.explain(cfg["sizes"], *args)
        return
    assert got == want, cfg
    assert poolkit.output_size(cfg["sizes"], *args) == tuple(
        torch_out(L, k, s, p, d, cfg["ceil_mode"]) for L, k, s, p, d in zip(cfg["sizes"], *args[:4]))


@pytest.mark.parametrize("L, k, s, p, floor_out, ceil_out", [
    (5, 2, 2, 1, 3, 3),    # ceil would start window 3 at 5 = L + p - 1 + 1: dropped
    (5, 2, 2, 0, 2, 3),    # the extra ceil window starts inside the input: kept
    (25, 2, 2, 0, 12, 13),
    (6, 1, 2, 0, 3, 3),
    (7, 1, 2, 0, 4, 4),
    (4, 3, 2, 1, 2, 3),
    (3, 2, 2, 1, 2, 2),
])
def test_ceil_mode_last_window_rule(L, k, s, p, floor_out, ceil_out):
    """T10-T11: ceil_mode adds a last window only if it starts inside the input or the left padding."""
    assert poolkit.output_size(L, k, s, p) == floor_out
    assert poolkit.output_size(L, k, s, p, ceil_mode=True) == ceil_out
    x = torch().zeros(1, 1, L)
    assert torch().nn.functional.max_pool1d(x, k, s, p, ceil_mode=True).shape[-1] == ceil_out
    start = (ceil_out - 1) * s - p
    assert start < L  # the last window starts inside the input or the left padding
    text = poolkit.explain(L, k, s, p, ceil_mode=True)
    assert text.endswith(f"{ceil_out} outputs")
    raw = (L + 2 * p - (k - 1) - 1 + s - 1) // s + 1
    assert ("dropped" in text) == (raw != ceil_out)


def test_explain_valid_configurations():
    assert poolkit.explain(5, 2, 2, padding=1, ceil_mode=True) == (
        "dimension 0: L=5, k=2, s=2, p=1, d=1, ceil_mode -> floor((5 + 2*1 - 1*(2-1) - 1 + (2-1)) / 2) + 1 = 4, "
        "but window 3 would start at 5 >= L = 5, inside the right padding, so it is dropped -> 3 outputs")
    same = poolkit.explain((5, 7), 3, 2, padding="same")
    assert same.splitlines()[0] == ("dimension 0: L=5, k=3, s=2, SAME -> ceil(5/2) = 3 outputs, "
                                    "padding 1 before and 1 after")
    assert same.splitlines()[1].endswith("ceil(7/2) = 4 outputs, padding 1 before and 1 after")
    valid = poolkit.explain(7, 3, 2, padding="valid", dilation=2)
    assert valid == "dimension 0: L=7, k=3, s=2, d=2, VALID -> floor((7 - 2*(3-1) - 1) / 2) + 1 = 2 outputs"


@pytest.mark.parametrize("args, kwargs, words", [
    ((4, 3), dict(stride=2, padding=2), ["padding=2", "kernel_size=3", "at most half"]),
    ((4, 3), dict(stride=2, dilation=2), ["output size would be 0", "dilation=2"]),
    ((1, 2), dict(stride=2, padding=1, dilation=2), ["window 0", "no input element", "dilation=2"]),
    ((4, 0), {}, ["kernel_size=0", "positive"]),
    ((4, 2), dict(stride=0), ["stride=0", "positive"]),
    ((4, 2), dict(padding=-1), ["padding=-1", "at least 0"]),
    ((4, 5), dict(padding="valid"), ["padding='valid'", "kernel_size=5 > input size 4"]),
    ((4, 2), dict(padding="same", dilation=2), ["padding='same'", "dilation=2"]),
    ((4, 2), dict(padding="full"), ["padding='full'", "'valid' or 'same'"]),
    (((4, 4), (2, 2, 2)), {}, ["kernel_size=(2, 2, 2)", "sequence of 2 ints"]),
    ((4, 2.0), {}, ["kernel_size=2.0", "int"]),
    ((4, 2), dict(ceil_mode=True, padding="same"), ["ceil_mode=True", "padding='same'"]),
])
def test_explain_names_the_problem(args, kwargs, words):
    text = poolkit.explain(*args, **kwargs)
    assert text.startswith("invalid: ")
    for word in words:
        assert word in text, (word, text)


def test_same_padding_puts_the_extra_element_after():
    assert poolkit.same_padding(4, 3, 2) == (0, 1)
    assert poolkit.same_padding((5, 6), 2) == ((0, 1), (0, 0))
    for L, k, s in itertools.product(range(1, 9), range(1, 5), range(1, 4)):
        before, after = poolkit.same_padding(L, k, s)
        out = -(-L // s)
        assert before + after == max(0, (out - 1) * s + k - L) and after - before in (0, 1)
        assert poolkit.output_size(L, k, s, "same") == out
