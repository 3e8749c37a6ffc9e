"""Backward passes against PyTorch's autograd and TensorFlow's GradientTape.

PyTorch-style options (integer padding, dilation, ceil_mode, count_include_pad,
divisor_override, unbatched and channels-last inputs, N = 0) are compared with
``torch.autograd`` on inputs full of ties, signed zeros, NaN and infinities: max
and min routing bit for bit (the output gradients are small integers, so every
sum is exact), averages within float tolerance. TensorFlow-style options ('SAME',
'VALID', channels-last, ``max_pool_with_argmax``) are compared with
``tf.GradientTape`` on tie-free, NaN-free inputs, where the two frameworks' rules
agree. Every ``method`` is run on every example. Then the backward rows of the
edge-case table in research/semantics.md, and the errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import examples
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracles import (
    METHODS,
    assert_bits_equal,
    data_format,
    make_input,
    pool_configs,
    poolkit_input,
    poolkit_output,
    tf,
    torch,
    tup,
)

import poolkit

SEEDS = st.integers(0, 2**32 - 1)
FLOAT_KINDS = st.sampled_from(["ties", "ties", "special", "normal"])


def backward_fn(name, dims):
    return getattr(poolkit, f"{name}{dims}d_backward")


def int_grads(seed, shape, dtype):
    """Output gradients that are small integers: every sum of them is exact in any float dtype."""
    return np.random.default_rng(seed + 1).integers(-4, 5, size=shape).astype(dtype)


def torch_grad(fn, x, g):
    """``x.grad`` after ``fn(x).backward(g)`` in PyTorch, for numpy ``x`` and ``g``."""
    T = torch()
    t = T.tensor(np.ascontiguousarray(x), requires_grad=True)
    fn(t).backward(T.tensor(np.ascontiguousarray(g)))
    return t.grad.numpy()


def torch_args(cfg):
    return (cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["ceil_mode"])


# ------------------------------------------------------------------ max and min
@settings(max_examples=examples(250))
@given(cfg=pool_configs(), dtype=st.sampled_from(["float16", "float32", "float64"]), kind=FLOAT_KINDS,
       mode=st.sampled_from(["max", "min"]), seed=SEEDS)
def test_max_min_backward_match_torch(cfg, dtype, kind, mode, seed):
    assume(not cfg["empty_window"])  # poolkit refuses these configurations (tests/test_oracle_torch.py)
    dims, sign = cfg["dims"], 1 if mode == "max" else -1
    x = make_input(seed, cfg["shape"], dtype, kind)
    pool = getattr(torch().nn.functional, f"max_pool{dims}d")
    y = sign * pool(sign * torch().from_numpy(x), *torch_args(cfg))  # min pooling is -max(-x)
    g = int_grads(seed, tuple(y.shape), dtype)
    # (+ 0.0: min's -max(-x) chain leaves -0.0 where no gradient arrives; poolkit has +0.0 there)
    want = torch_grad(lambda t: sign * pool(sign * t, *torch_args(cfg)), x, g) + x.dtype.type(0)
    args = dict(kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
                dilation=cfg["dilation"], ceil_mode=cfg["ceil_mode"], data_format=data_format(cfg))
    xs, gs = poolkit_input(x, cfg), poolkit_input(g, cfg)
    for method in METHODS:
        got = backward_fn(f"{mode}_pool", dims)(gs, xs, **args, method=method)
        assert_bits_equal(poolkit_output(got, cfg), want, f"{mode} {method}")
    # the forward's own indices give the same gradient without recomputing the forward pass
    _, indices = getattr(poolkit, f"{mode}_pool{dims}d")(xs, **args, return_indices=True)
    assert_bits_equal(poolkit_output(backward_fn(f"{mode}_pool", dims)(gs, xs, **args, indices=indices), cfg),
                      want, f"{mode} with indices")


# ------------------------------------------------------------------ averages
def torch_avg_fn(cfg, count_include_pad, divisor_override):
    """A differentiable PyTorch average pool; 1-D with a divisor goes through 2-D with H = 1."""
    F = torch().nn.functional
    dims, k, s, p, ceil = cfg["dims"], cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["ceil_mode"]
    if dims == 1 and divisor_override is not None:
        two = lambda v, h: None if v is None else (h,) + tup(v, 1)  # noqa: E731
        return lambda t: F.avg_pool2d(t.unsqueeze(-2), two(k, 1), two(s, 1), two(p, 0), ceil, count_include_pad,
                                      divisor_override).squeeze(-2)
    if dims == 1:
        return lambda t: F.avg_pool1d(t, k, s, p, ceil, count_include_pad)
    return lambda t: getattr(F, f"avg_pool{dims}d")(t, k, s, p, ceil, count_include_pad, divisor_override)


@settings(max_examples=examples(200))
@given(cfg=pool_configs(dilation=False), dtype=st.sampled_from(["float32", "float64"]),
       count_include_pad=st.booleans(), divisor=st.none() | st.sampled_from([1, 3, 7, -2]), seed=SEEDS)
def test_avg_backward_matches_torch(cfg, dtype, count_include_pad, divisor, seed):
    dims = cfg["dims"]
    k = tup(cfg["kernel_size"], dims)
    if dims == 3 and any(L < ki for L, ki in zip(cfg["shape"][-3:], k)):
        return  # avg_pool3d requires L >= k; tests/test_oracle_torch.py covers poolkit's answer there
    x = make_input(seed, cfg["shape"], dtype, "normal")
    fn = torch_avg_fn(cfg, count_include_pad, divisor)
    g = np.random.default_rng(seed).standard_normal(tuple(fn(torch().from_numpy(x)).shape)).astype(dtype)
    want = torch_grad(fn, x, g)
    args = dict(kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
                ceil_mode=cfg["ceil_mode"], count_include_pad=count_include_pad, divisor_override=divisor,
                data_format=data_format(cfg))
    tol = 1e-6 if dtype == "float32" else 1e-12
    for method in METHODS:
        got = backward_fn("avg_pool", dims)(poolkit_input(g, cfg), poolkit_input(x, cfg), **args, method=method)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(poolkit_output(got, cfg), want, rtol=tol, atol=tol, err_msg=method)


# ------------------------------------------------------------------ Lp
@st.composite
def lp_configs(draw):
    """An Lp pooling PyTorch accepts: no padding, every dimension at least its kernel."""
    dims = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = draw(st.none() | st.tuples(*[st.integers(1, 3)] * dims))
    sizes = tuple(draw(st.integers(ki, ki + (3 if dims == 3 else 5))) for ki in k)
    batched, n, c = draw(st.booleans()), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return dict(dims=dims, kernel_size=k, stride=stride, ceil_mode=draw(st.booleans()), batched=batched,
                channels_last=draw(st.booleans()), shape=((n, c) if batched else (c,)) + sizes)


@settings(max_examples=examples(150))
@given(cfg=lp_configs(), p=st.sampled_from([1, 2, 3, 1.5, 0.5, np.inf, -np.inf]),
       values=st.sampled_from(["positive", "zeros", "signed"]), seed=SEEDS)
def test_lp_backward_matches_torch_autograd(cfg, p, values, seed):
    """The analytic gradient of PyTorch's formula, special cases included: zero sums give zero,
    0 ** (p - 1) = inf for p < 1 gives NaN, negative sums with odd p give NaN (as autograd)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, cfg["shape"])
    if values == "zeros":
        x[rng.random(x.shape) < 0.4] = 0.0
    if values == "signed" and p in (2, 3, np.inf, -np.inf):
        x *= rng.choice([-1.0, 1.0], x.shape)
    dims = cfg["dims"]
    one = (lambda v: v if v is None else v[0]) if dims == 1 else (lambda v: v)  # lp_pool1d takes ints
    lp = getattr(torch().nn.functional, f"lp_pool{dims}d")
    fn = lambda t: lp(t, p, one(cfg["kernel_size"]), one(cfg["stride"]), cfg["ceil_mode"])  # noqa: E731
    g = rng.standard_normal(tuple(fn(torch().from_numpy(x)).shape))
    want = torch_grad(fn, x, g)
    for method in ("naive", "im2col", "auto"):
        got = backward_fn("lp_pool", dims)(poolkit_input(g, cfg), poolkit_input(x, cfg), p, cfg["kernel_size"],
                                           cfg["stride"], cfg["ceil_mode"], data_format=data_format(cfg),
                                           method=method)
        np.testing.assert_allclose(poolkit_output(got, cfg), want, rtol=1e-10, atol=1e-12, equal_nan=True,
                                   err_msg=method)


@pytest.mark.parametrize("p", [1, 2, 3, 1.5])
def test_lp_zero_sum_gives_zero_gradient(p):
    """torch's documentation: "If the sum of all inputs to the power of p is zero, the gradient is
    set to zero as well". Here the first window is all zeros, the second is not."""
    x = np.array([[[0.0, 0.0, 1.0, 2.0]]])
    g = np.array([[[5.0, 1.0]]])
    got = poolkit.lp_pool1d_backward(g, x, p, 2)
    want = torch_grad(lambda t: torch().nn.functional.lp_pool1d(t, p, 2), x, g)
    np.testing.assert_array_equal(got[..., :2], 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-12)


# ------------------------------------------------------------------ adaptive
@st.composite
def adaptive_configs(draw):
    dims = draw(st.integers(1, 3))
    top = 5 if dims == 3 else 7
    sizes = tuple(draw(st.integers(1, top)) for _ in range(dims))
    keep = st.none() if dims > 1 else st.nothing()  # None keeps a dimension (not in 1-D torch)
    out = tuple(draw(keep | st.integers(1, top)) for _ in range(dims))
    batched, n, c = draw(st.booleans()), draw(st.sampled_from([0, 1, 2])), draw(st.integers(1, 2))
    return dict(dims=dims, output_size=out, batched=batched, channels_last=draw(st.booleans()),
                shape=((n, c) if batched else (c,)) + sizes)


@settings(max_examples=examples(150))
@given(cfg=adaptive_configs(), dtype=st.sampled_from(["float32", "float64"]), kind=FLOAT_KINDS, seed=SEEDS)
def test_adaptive_backward_matches_torch(cfg, dtype, kind, seed):
    dims, out = cfg["dims"], cfg["output_size"]
    F = torch().nn.functional
    x = make_input(seed, cfg["shape"], dtype, kind)
    xs = poolkit_input(x, cfg)
    amax, aavg = getattr(F, f"adaptive_max_pool{dims}d"), getattr(F, f"adaptive_avg_pool{dims}d")
    g = int_grads(seed, tuple(amax(torch().from_numpy(x), out).shape), dtype)
    gs = poolkit_input(g, cfg)
    want_max = torch_grad(lambda t: amax(t, out), x, g)
    finite = np.where(np.isfinite(x), x, 1.0)  # averages of inf and NaN have NaN gradients nowhere: use finite x
    want_avg = torch_grad(lambda t: aavg(t, out), finite, g)
    for method in METHODS:
        got = backward_fn("adaptive_max_pool", dims)(gs, xs, out, data_format=data_format(cfg), method=method)
        assert_bits_equal(poolkit_output(got, cfg), want_max, f"adaptive max {method}")
        got = backward_fn("adaptive_avg_pool", dims)(gs, poolkit_input(finite, cfg), out,
                                                     data_format=data_format(cfg), method=method)
        np.testing.assert_allclose(poolkit_output(got, cfg), want_avg, rtol=1e-6, atol=1e-6, err_msg=method)


def test_adaptive_output_size_zero_gives_zero_gradient():
    """semantics.md T28: PyTorch's backward raises for an empty output; the gradient is zero."""
    x = np.ones((1, 2, 5))
    dx = poolkit.adaptive_max_pool1d_backward(np.ones((1, 2, 0)), x, 0)
    assert dx.shape == x.shape and not dx.any()
    assert not poolkit.adaptive_avg_pool1d_backward(np.ones((1, 2, 0)), x, 0).any()


# ------------------------------------------------------------------ unpooling
@settings(max_examples=examples(120))
@given(cfg=pool_configs(dilation=False, ceil=False), kind=FLOAT_KINDS, seed=SEEDS)
def test_max_unpool_backward_matches_torch(cfg, kind, seed):
    """The adjoint of unpooling gathers the gradient from where each value was put; indices
    from overlapping windows repeat, and each value then gets that position's gradient."""
    assume(not (cfg["shape"][0] == 0 and cfg["batched"]))
    dims = cfg["dims"]
    x = make_input(seed, cfg["shape"], "float64", kind)
    args = (cfg["kernel_size"], cfg["stride"], cfg["padding"])
    values, indices = getattr(poolkit, f"max_pool{dims}d")(x, *args, return_indices=True)
    size = cfg["shape"][-dims:]  # the pooled input's size always lies within stride of the default
    F = torch().nn.functional
    unpool = lambda t: getattr(F, f"max_unpool{dims}d")(t, torch().from_numpy(indices), *args,  # noqa: E731
                                                        output_size=size)
    g = int_grads(seed, x.shape, "float64")
    want = torch_grad(unpool, np.nan_to_num(values), g)
    got = backward_fn("max_unpool", dims)(poolkit_input(g, cfg), poolkit_input(values, cfg),
                                          poolkit_input(indices, cfg), *args, output_size=size,
                                          data_format=data_format(cfg))
    assert_bits_equal(poolkit_output(got, cfg), want, "max_unpool")


# ------------------------------------------------------------------ TensorFlow
def tie_free(seed, shape):
    """Distinct, NaN-free values: TensorFlow and PyTorch route such inputs identically."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) - n / 2).astype(np.float32) / 4


def tf_grad(fn, x, g):
    T = tf()
    t = T.constant(x)
    with T.GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    return tape.gradient(y, t, output_gradients=T.constant(g)).numpy()


@st.composite
def tf_configs(draw):
    """'SAME' or 'VALID' pooling, channels-last, shapes TensorFlow's CPU kernels accept."""
    dims = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    s = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    top = 5 if dims == 3 else 7
    sizes = tuple(draw(st.integers(ki if padding == "VALID" else 1, top)) for ki in k)
    if dims == 3 and padding == "SAME":
        # Eigen's 3-D kernels (oneDNN off) shift windows when the SAME padding would be negative
        # (semantics.md F40): keep to the configurations where every build agrees.
        assume(all((-(-L // si) - 1) * si + ki - L >= -1 for L, ki, si in zip(sizes, k, s)))
    shape = (draw(st.integers(1, 2)),) + sizes + (draw(st.integers(1, 2)),)
    return dict(dims=dims, k=k, s=s, padding=padding, shape=shape)


@settings(max_examples=examples(100))
@given(cfg=tf_configs(), seed=SEEDS)
def test_max_avg_backward_match_tensorflow(cfg, seed):
    T, dims = tf(), cfg["dims"]
    x = tie_free(seed, cfg["shape"])
    k, s, padding = list(cfg["k"]), list(cfg["s"]), cfg["padding"]
    layout = {1: "NWC", 2: "NHWC", 3: "NDHWC"}[dims]
    for name in ("max_pool", "avg_pool"):
        op = getattr(T.nn, f"{name}{dims}d")
        fn = lambda t: op(t, k, s, padding, data_format=layout)  # noqa: B023,E731
        g = int_grads(seed, tuple(fn(T.constant(x)).shape), "float32")
        want = tf_grad(fn, x, g)
        for method in METHODS:
            got = backward_fn(name, dims)(g, x, cfg["k"], cfg["s"], padding.lower(), data_format=layout,
                                          method=method)
            if name == "max_pool":
                assert_bits_equal(got, want, f"{name} {method}")
            else:
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=f"{name} {method}")


@settings(max_examples=examples(40))
@given(dims=st.integers(1, 2), k=st.integers(2, 3), d=st.integers(2, 3), extra=st.integers(0, 4), seed=SEEDS)
def test_dilated_valid_max_backward_matches_tensorflow(dims, k, d, extra, seed):
    """Dilation exists in TensorFlow only through ``tf.nn.pool`` (with stride 1); average
    pooling has none in poolkit, as in PyTorch."""
    L = (k - 1) * d + 1 + extra
    x = tie_free(seed, (2,) + (L,) * dims + (2,))
    fn = lambda t: tf().nn.pool(t, [k] * dims, "MAX", padding="VALID", dilations=[d] * dims)  # noqa: E731
    g = int_grads(seed, tuple(fn(tf().constant(x)).shape), "float32")
    got = backward_fn("max_pool", dims)(g, x, k, 1, "valid", d, data_format="channels_last")
    assert_bits_equal(got, tf_grad(fn, x, g), "dilated max_pool")


@settings(max_examples=examples(60))
@given(k=st.tuples(st.integers(1, 3), st.integers(1, 3)), s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       padding=st.sampled_from(["SAME", "VALID"]), hw=st.tuples(st.integers(3, 7), st.integers(3, 7)),
       dtype=st.sampled_from(["float32", "float64"]), seed=SEEDS)
def test_max_pool_with_argmax_backward_matches_tensorflow(k, s, padding, hw, dtype, seed):
    """The gradient goes where TensorFlow's argmax points, as ``MaxPoolGradWithArgmax`` sends it."""
    T = tf()
    x = tie_free(seed, (2,) + hw + (3,)).astype(dtype)
    ksize, strides = [1, *k, 1], [1, *s, 1]
    out, argmax = T.nn.max_pool_with_argmax(x, ksize, strides, padding, include_batch_in_index=True)
    g = int_grads(seed, tuple(out.shape), dtype)
    want = tf_grad(lambda t: T.nn.max_pool_with_argmax(t, ksize, strides, padding)[0], x, g)
    got = poolkit.max_pool_with_argmax_backward(g, x, ksize, strides, padding)
    assert_bits_equal(got, want, "max_pool_with_argmax")
    routed = np.zeros(x.size, dtype)
    np.add.at(routed, argmax.numpy().ravel(), g.ravel())  # the argmax, read as a routing table
    assert_bits_equal(got, routed.reshape(x.shape), "routing by TensorFlow's argmax")


# ------------------------------------------------------------------ semantics.md's backward rows
def test_overlapping_windows_accumulate():
    """semantics.md section 5: [1,3,2,3,0] k3 s1 -> [0,2,0,1,0] (the tie at 3 goes to the first)."""
    x = np.array([[[1.0, 3, 2, 3, 0]]])
    got = poolkit.max_pool1d_backward(np.ones((1, 1, 3)), x, 3, 1)
    np.testing.assert_array_equal(got, [[[0, 2, 0, 1, 0]]])
    np.testing.assert_array_equal(got, torch_grad(lambda t: torch().nn.functional.max_pool1d(t, 3, 1), x,
                                                  np.ones((1, 1, 3))))


def test_T09_gradient_lands_on_the_indices():
    x = np.arange(1.0, 65).reshape(2, 2, 4, 4)
    got = poolkit.max_pool2d_backward(np.ones((2, 2, 2, 2)), x, 2).reshape(2, 2, 16)
    assert (np.argwhere(got[0, 0]).ravel() == [5, 7, 13, 15]).all()
    np.testing.assert_array_equal(got, np.isin(np.arange(16), [5, 7, 13, 15]) * np.ones((2, 2, 1)))


def test_T22_ties_route_to_the_first_tap():
    g = np.array([[[1.0, 2], [3, 4]]])
    got = poolkit.max_pool2d_backward(g, np.ones((1, 3, 3)), 2, 1)
    np.testing.assert_array_equal(got, [[[1, 2, 0], [3, 4, 0], [0, 0, 0]]])
    np.testing.assert_array_equal(got, torch_grad(lambda t: torch().nn.functional.max_pool2d(t, 2, 1),
                                                  np.ones((1, 3, 3)), g))


def test_T23_nan_routes_to_the_last_nan():
    x = np.array([[[np.nan, 2], [np.nan, 0]]])
    got = poolkit.max_pool2d_backward(np.array([[[7.0]]]), x, 2)
    np.testing.assert_array_equal(got, [[[0, 0], [7, 0]]])
    np.testing.assert_array_equal(got, torch_grad(lambda t: torch().nn.functional.max_pool2d(t, 2), x,
                                                  np.array([[[7.0]]])))


G_3x3 = np.array([11.0, 12, 13, 15, 16, 17, 19, 20, 21], dtype=np.float32).reshape(1, 3, 3, 1)


def tf_max_grad(x, g, k, padding):
    return tf_grad(lambda t: tf().nn.max_pool2d(t, k, 1, padding), x, g)


def test_F26_all_ones_ties_go_to_the_first_tap():
    x = np.ones((1, 4, 4, 1), np.float32)
    want = np.array([11, 12, 13, 0, 15, 16, 17, 0, 19, 20, 21, 0, 0, 0, 0, 0], np.float32).reshape(x.shape)
    got = poolkit.max_pool2d_backward(G_3x3, x, 2, 1, "valid", data_format="NHWC")
    assert_bits_equal(got, want)
    assert_bits_equal(tf_max_grad(x, G_3x3, 2, "VALID"), want)


def test_F27_checkerboard_same_accumulates():
    x = np.array([1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1], np.float32).reshape(1, 4, 4, 1)
    g = np.arange(11, 27, dtype=np.float32).reshape(1, 4, 4, 1)
    want = np.array([54, 0, 62, 0, 0, 60, 0, 22, 47, 0, 51, 0, 0, 0, 0, 0], np.float32).reshape(x.shape)
    got = poolkit.max_pool2d_backward(g, x, 3, 1, "same", data_format="NHWC")
    assert_bits_equal(got, want)
    assert_bits_equal(tf_max_grad(x, g, 3, "SAME"), want)


def test_F28_all_nan_routes_like_pytorch_not_tensorflow():
    """All-NaN windows: TensorFlow's CPU kernel sends the gradient to the first tap; poolkit
    sends it where its forward index points, the last NaN, as PyTorch does."""
    x = np.full((1, 4, 4, 1), np.nan, np.float32)
    tf_want = np.array([11, 12, 13, 0, 15, 16, 17, 0, 19, 20, 21, 0, 0, 0, 0, 0], np.float32).reshape(x.shape)
    assert_bits_equal(tf_max_grad(x, G_3x3, 2, "VALID"), tf_want)
    got = poolkit.max_pool2d_backward(G_3x3, x, 2, 1, "valid", data_format="NHWC")
    want = np.zeros((4, 4), np.float32)
    want[1:, 1:] = G_3x3[0, :, :, 0]  # window (i, j) routes to its last tap (i + 1, j + 1)
    assert_bits_equal(got, want.reshape(x.shape))
    torch_want = torch_grad(lambda t: torch().nn.functional.max_pool2d(t, 2, 1), x[..., 0], G_3x3[..., 0])
    assert_bits_equal(got[..., 0], torch_want)


# ------------------------------------------------------------------ shapes, dtypes, errors
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", ["max_pool", "min_pool", "avg_pool"])
def test_gradient_has_the_shape_layout_and_dtype_of_x(name, dtype):
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 3)).astype(dtype)  # NHWC
    y = getattr(poolkit, f"{name}2d")(x, 2, 1, data_format="NHWC")
    dx = backward_fn(name, 2)(np.ones_like(y), x, 2, 1, data_format="NHWC")
    assert dx.shape == x.shape and dx.dtype == x.dtype


def test_grad_output_of_the_wrong_shape_is_refused():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"grad_output has shape \(1, 1, 3, 3\); max_pool2d maps x of shape "
                                         r"\(1, 1, 4, 4\) to outputs of shape \(1, 1, 2, 2\)"):
        poolkit.max_pool2d_backward(np.zeros((1, 1, 3, 3)), x, 2)
    with pytest.raises(ValueError, match="grad_output has shape"):
        poolkit.avg_pool2d_backward(np.zeros((1, 2, 2)), x, 2)  # unbatched gradient of a batched input
    with pytest.raises(ValueError, match=r"grad_output has shape \(1, 1, 2\)"):
        poolkit.max_unpool1d_backward(np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), np.zeros((1, 1, 2), int), 2)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint64, np.uint8])
def test_indices_of_any_integer_dtype(dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    _, idx = poolkit.max_pool2d(x, 3, 2, 1, return_indices=True)
    g = np.random.default_rng(1).standard_normal(idx.shape)
    want = poolkit.max_pool2d_backward(g, x, 3, 2, 1)
    np.testing.assert_array_equal(poolkit.max_pool2d_backward(g, x, 3, 2, 1, indices=idx.astype(dtype)), want)


def test_bad_inputs_are_refused_with_the_rule():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(TypeError, match="x has dtype int64; max_pool2d_backward needs a floating-point array"):
        poolkit.max_pool2d_backward(np.zeros((1, 1, 2, 2)), x.astype(np.int64), 2)
    with pytest.raises(TypeError, match="grad_output has dtype bool"):
        poolkit.avg_pool2d_backward(np.zeros((1, 1, 2, 2), bool), x, 2)
    with pytest.raises(ValueError, match=r"indices contains 16, outside \[0, 16\)"):
        poolkit.max_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 2, indices=np.full((1, 1, 2, 2), 16))
    with pytest.raises(ValueError, match=r"indices has shape \(1, 1, 3, 3\)"):
        poolkit.max_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 2, indices=np.zeros((1, 1, 3, 3), int))
    with pytest.raises(TypeError, match="indices has dtype float64"):
        poolkit.max_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 2, indices=np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="method='fast'"):
        poolkit.avg_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 2, method="fast")
    with pytest.raises(ValueError, match="padding=3 must be at most half of kernel_size=4"):
        poolkit.max_pool2d_backward(np.zeros((1, 1, 2, 2)), x, 4, padding=3)
    with pytest.raises(ValueError, match="contains no input element"):
        poolkit.max_pool1d_backward(np.zeros((1, 1, 1)), np.zeros((1, 1, 1)), 2, 2, 1, 2)
    with pytest.raises(ValueError, match="norm_type=0 must be a nonzero number"):
        poolkit.lp_pool1d_backward(np.zeros((1, 1, 2)), np.zeros((1, 1, 4)), 0, 2)


def test_backward_names_take_the_forwards_arguments():
    """Every forward ``f`` has ``f_backward(grad_output, x, <f's parameters>)``."""
    import inspect
    for name in ("max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool",
                 "max_unpool"):
        for d in (1, 2, 3):
            forward = inspect.signature(getattr(poolkit, f"{name}{d}d")).parameters
            backward = inspect.signature(backward_fn(name, d)).parameters
            # max/min/adaptive max also take the forward's indices (max/min: or positions), keyword-only
            extra = () if name == "max_unpool" else ("indices", "positions")
            assert ["grad_output", *forward] == [p for p in backward if p not in extra]
    forward = inspect.signature(poolkit.max_pool_with_argmax).parameters
    backward = inspect.signature(poolkit.max_pool_with_argmax_backward).parameters
    assert list(forward) == [p for p in backward if p not in ("grad_output", "method")]
