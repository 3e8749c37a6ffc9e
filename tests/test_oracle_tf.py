"""poolkit's TensorFlow-style pooling against TensorFlow (2.21, CPU) as the oracle.

``padding="valid"``/``"same"`` and channels-last data follow TensorFlow: checked
against ``tf.nn.max_pool1d/2d/3d``, ``avg_pool1d/2d/3d``, ``tf.nn.pool`` (dilation)
and ``tf.nn.max_pool_with_argmax``, bit for bit for max and argmax.

Where TensorFlow documentedly differs (semantics.md section 3) the random inputs
leave the case out and a test below pins the difference down: TensorFlow's
max_pool ignores NaN and floors a window of -inf at the dtype's lowest value, its
argmax keeps a leading NaN, and its Eigen 3-D kernels (``TF_ENABLE_ONEDNN_OPTS=0``)
shift SAME windows when the computed padding is negative.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import assert_bits_equal, assert_close, finite_scale, make_input, tf, torch

import poolkit

SEEDS = st.integers(0, 2**32 - 1)
MAX_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8")
AVG_DTYPES = ("float16", "float32", "float64")
NAMED_FORMAT = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
EIGEN = os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0"


def tf_input(seed, shape, dtype, kind, signed_zeros=True):
    """A test input without the values where TensorFlow's max differs on purpose
    (NaN, -inf): ties, signed zeros and +inf for floats; any integers, extremes included.
    ``signed_zeros=False`` makes every zero +0.0 (for the 3-D kernels, see
    :func:`test_3d_max_tie_between_signed_zeros`)."""
    x = make_input(seed, shape, dtype, kind)
    if x.dtype.kind == "f":
        x[np.isnan(x)] = 1.0
        x[x == -np.inf] = np.inf
        if not signed_zeros:
            x[x == 0] = 0.0
    return x


KINDS = st.sampled_from(["ties", "special", "normal"])


def eigen_3d_shift(sizes, k, s):
    """Would Eigen's 3-D SAME kernel shift the windows (semantics.md section 1, F40)?

    It uses ``before = trunc(((O-1)*s + k - L) / 2)`` without clamping at 0; a value of -1
    or less moves every window.
    """
    for L, ki, si in zip(sizes, k, s):
        out = -(-L // si)
        if int(((out - 1) * si + ki - L) / 2) <= -1:
            return True
    return False


@st.composite
def tf_configs(draw, dims=None, paddings=("VALID", "SAME")):
    """A TensorFlow pooling configuration: channels-last shape (batched or not), ksize and
    strides (int, per-dimension list), padding; VALID windows fit the input."""
    dims = dims or draw(st.integers(1, 3))
    max_len, max_k = (7, 4) if dims < 3 else (5, 3)
    k = [draw(st.integers(1, max_k)) for _ in range(dims)]
    s = [draw(st.integers(1, 3)) for _ in range(dims)]
    padding = draw(st.sampled_from(paddings))
    sizes = [draw(st.integers(ki if padding == "VALID" else 1, max(ki, max_len))) for ki in k]
    if draw(st.booleans()):
        k, s = k[0], s[0]  # one int for every dimension: only if uniform
        sizes = [max(L, k) for L in sizes] if padding == "VALID" else sizes
    batched = draw(st.booleans())
    n, c = draw(st.sampled_from([0, 1, 2, 2])), draw(st.integers(1, 3))
    shape = ((n,) if batched else ()) + tuple(sizes) + (c,)
    return dict(dims=dims, shape=shape, batched=batched, ksize=k, strides=s, padding=padding,
                case=draw(st.sampled_from(["upper", "lower"])))


def as_list(v, dims):
    return list(v) if isinstance(v, (list, tuple)) else [v] * dims


def run_tf(fn, x, cfg, **kw):
    T = tf()
    xb = x if cfg["batched"] else x[None]
    y = fn(T.constant(xb), cfg["ksize"], cfg["strides"], cfg["padding"], **kw).numpy()
    return y if cfg["batched"] else y[0]


def run_poolkit(name, x, cfg, **kw):
    dims = cfg["dims"]
    padding = cfg["padding"] if cfg["case"] == "upper" else cfg["padding"].lower()
    fn = getattr(poolkit, f"{name}{dims}d")
    fmt = NAMED_FORMAT[dims] if cfg["case"] == "upper" else "channels_last"
    return fn(x, tuple(as_list(cfg["ksize"], dims)) if isinstance(cfg["ksize"], list) else cfg["ksize"],
              tuple(cfg["strides"]) if isinstance(cfg["strides"], list) else cfg["strides"], padding,
              data_format=fmt, **kw)


def skip_eigen_3d(cfg):
    dims = cfg["dims"]
    return (EIGEN and dims == 3 and cfg["padding"] == "SAME"
            and eigen_3d_shift(cfg["shape"][-dims - 1:-1], as_list(cfg["ksize"], dims), as_list(cfg["strides"], dims)))


# ------------------------------------------------------------------ max
@settings(max_examples=examples(120))
@given(cfg=tf_configs(), dtype=st.sampled_from(MAX_DTYPES), data=st.data(), seed=SEEDS)
def test_max_pool_matches_tf(cfg, dtype, data, seed):
    dims = cfg["dims"]
    if dims == 3:
        dtype = "float32"  # TensorFlow's CPU MaxPool3D: float32 (and bfloat16) only
    if skip_eigen_3d(cfg):
        return
    x = tf_input(seed, cfg["shape"], dtype, data.draw(KINDS), signed_zeros=dims < 3)
    want = run_tf(getattr(tf().nn, f"max_pool{dims}d"), x, cfg)
    assert_bits_equal(run_poolkit("max_pool", x, cfg), want)
    # min pooling has no TensorFlow op: -max_pool(-x) on floats, where -x is exact (and, with
    # no +inf in x, TensorFlow's floor at the lowest value cannot show)
    if x.dtype.kind == "f" and np.isfinite(x).all():
        assert_bits_equal(run_poolkit("min_pool", x, cfg), -run_tf(getattr(tf().nn, f"max_pool{dims}d"), -x, cfg))


# ------------------------------------------------------------------ average
@settings(max_examples=examples(120))
@given(cfg=tf_configs(), dtype=st.sampled_from(AVG_DTYPES), data=st.data(), seed=SEEDS)
def test_avg_pool_matches_tf(cfg, dtype, data, seed):
    dims = cfg["dims"]
    if dims == 3:
        dtype = "float32"
    if skip_eigen_3d(cfg):
        return
    x = tf_input(seed, cfg["shape"], dtype, data.draw(KINDS))
    want = run_tf(getattr(tf().nn, f"avg_pool{dims}d"), x, cfg)
    got = run_poolkit("avg_pool", x, cfg)
    # TensorFlow sums float16 in float16: allow its rounding over a whole window
    window = int(np.prod(as_list(cfg["ksize"], dims))) if dtype == "float16" else 1
    assert_close(got, want, dtype, finite_scale(x) * window)


# ------------------------------------------------------------------ tf.nn.pool with dilation
@settings(max_examples=examples(80))
@given(dims=st.integers(1, 3), data=st.data(), pooling=st.sampled_from(["MAX", "AVG"]), seed=SEEDS)
def test_dilated_pool_matches_tf_nn_pool(dims, data, pooling, seed):
    """``tf.nn.pool`` with ``dilations`` (VALID, stride 1, as TensorFlow requires) equals
    poolkit's dilated max/avg pool with ``padding="valid"``."""
    k = [data.draw(st.integers(1, 3)) for _ in range(dims)]
    d = [data.draw(st.integers(1, 3)) for _ in range(dims)]
    sizes = [data.draw(st.integers((ki - 1) * di + 1, (ki - 1) * di + 4)) for ki, di in zip(k, d)]
    n, c = data.draw(st.sampled_from([0, 1, 2])), data.draw(st.integers(1, 2))
    dtype = "float32" if dims == 3 else data.draw(st.sampled_from(["float32", "float64"]))
    x = tf_input(seed, (n, *sizes, c), dtype, data.draw(st.sampled_from(["ties", "normal"])), signed_zeros=dims < 3)
    want = tf().nn.pool(tf().constant(x), k, pooling, strides=[1] * dims, padding="VALID", dilations=d,
                        data_format=NAMED_FORMAT[dims]).numpy()
    if pooling == "MAX":
        got = getattr(poolkit, f"max_pool{dims}d")(x, tuple(k), 1, "valid", tuple(d), data_format="channels_last")
        assert_bits_equal(got, want)
    else:
        # poolkit's average takes no dilation: the dilated average is the dilated sum / prod(k),
        # i.e. the mean of the dilated max pool's taps, computed here from im2col's columns
        cols = poolkit.im2col.im2col(np.moveaxis(x, -1, 1), tuple(k), 1, 0, tuple(d))
        mean = cols.mean(axis=1, dtype=np.float64).reshape((n, c) + want.shape[1:-1])
        assert_close(np.moveaxis(mean, 1, -1).astype(dtype), want, dtype, finite_scale(x))


# ------------------------------------------------------------------ max_pool_with_argmax
@st.composite
def tf_window_arg(draw, values):
    """ksize/strides as TensorFlow takes them: an int, [h, w] or [1, h, w, 1]."""
    h, w = values
    form = draw(st.sampled_from(["int", "pair", "four"]))
    if form == "int" and h == w:
        return h
    return [h, w] if form == "pair" else [1, h, w, 1]


@settings(max_examples=examples(120))
@given(cfg=tf_configs(dims=2), dtype=st.sampled_from(MAX_DTYPES), include_batch=st.booleans(), data=st.data(),
       seed=SEEDS)
def test_max_pool_with_argmax_matches_tf(cfg, dtype, include_batch, data, seed):
    """Values and int64 flat indices ``(y*W + x)*C + c (+ n*H*W*C)``, bit for bit. -inf is
    allowed here: TensorFlow's argmax kernel, unlike its max_pool, keeps it."""
    if not cfg["batched"] or cfg["shape"][0] == 0:
        return  # TensorFlow's argmax takes NHWC only, and refuses an empty tensor
    x = make_input(seed, cfg["shape"], dtype, data.draw(KINDS))
    if x.dtype.kind == "f":
        x[np.isnan(x)] = 0.5
    k = data.draw(tf_window_arg(as_list(cfg["ksize"], 2)))
    s = data.draw(tf_window_arg(as_list(cfg["strides"], 2)))
    padding = cfg["padding"] if cfg["case"] == "upper" else cfg["padding"].lower()
    T = tf()
    v, a = T.nn.max_pool_with_argmax(T.constant(x), k, s, cfg["padding"], include_batch_in_index=include_batch)
    got_v, got_a = poolkit.max_pool_with_argmax(x, k, s, padding, include_batch_in_index=include_batch)
    assert_bits_equal(got_v, v.numpy(), "values")
    assert_bits_equal(got_a, a.numpy(), "argmax")


# ------------------------------------------------------------------ geometry
@settings(max_examples=examples(150))
@given(cfg=tf_configs(), data=st.data())
def test_output_size_and_same_padding_match_tf(cfg, data):
    """poolkit.output_size and same_padding give TensorFlow's shapes (and its SAME split:
    the extra pad element on the bottom/right, seen in which elements a SAME max pool reads)."""
    dims = cfg["dims"]
    sizes = cfg["shape"][-dims - 1:-1]
    k, s = as_list(cfg["ksize"], dims), as_list(cfg["strides"], dims)
    x = np.zeros((1, *sizes, 1), np.float32)
    want = getattr(tf().nn, f"max_pool{dims}d")(x, k, s, cfg["padding"]).shape[1:-1]
    assert poolkit.output_size(tuple(sizes), tuple(k), tuple(s), cfg["padding"].lower()) == tuple(want)
    if cfg["padding"] == "SAME":
        pads = poolkit.same_padding(tuple(sizes), tuple(k), tuple(s))
        for axis, (before, after) in enumerate(pads):
            assert before + after == max(0, (want[axis] - 1) * s[axis] + k[axis] - sizes[axis])
            assert after - before in (0, 1)
    if dims == 2:
        # on a ramp, each window's argmax is its last real element: where the windows end
        ramp = np.arange(int(np.prod(sizes)), dtype=np.float32).reshape(1, *sizes, 1)
        want_idx = tf().nn.max_pool_with_argmax(ramp, k, s, cfg["padding"])[1].numpy()
        assert_bits_equal(poolkit.max_pool_with_argmax(ramp, k, s, cfg["padding"])[1], want_idx)


def test_valid_window_larger_than_input_is_refused():
    """TensorFlow's VALID gives 0 outputs (Eigen) or aborts (oneDNN) when the window is longer
    than the input but shorter than input + 2*stride, and raises beyond that; poolkit raises."""
    x = np.zeros((1, 3, 3, 1), np.float32)
    with pytest.raises(ValueError, match="kernel_size=4 > input size 3"):
        poolkit.max_pool2d(x, 4, 1, "valid", data_format="NHWC")
    T = tf()
    with pytest.raises((ValueError, T.errors.InvalidArgumentError)):
        T.nn.max_pool2d(x, 22, 1, "VALID")
    with pytest.raises(ValueError, match="kernel_size=22 > input size 3"):
        poolkit.max_pool2d(x, 22, 1, "valid", data_format="NHWC")


# ------------------------------------------------------------------ documented differences
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_all_neg_inf_window_tf_gives_lowest_poolkit_gives_neg_inf(dtype):
    """F32: TensorFlow's max_pool starts from the dtype's lowest value, so a window of only -inf
    returns that (finite) value; poolkit, like PyTorch, returns -inf. TensorFlow's argmax kernel
    returns -inf too."""
    T = tf()
    lowest = np.finfo(dtype).min  # -65504, -3.4028235e38, -1.7976931348623157e308
    x = np.full((1, 2, 2, 1), -np.inf, dtype)
    x[0, 1, 1, 0] = 7
    tf_out = T.nn.max_pool2d(T.constant(x), [1, 2], [1, 2], "VALID").numpy().ravel()
    assert tf_out.tolist() == [lowest, 7]
    got = poolkit.max_pool2d(x, (1, 2), padding="valid", data_format="NHWC").ravel()
    assert got[0] == -np.inf and got[1] == 7
    tf_v, tf_a = T.nn.max_pool_with_argmax(T.constant(x), [1, 2], [1, 2], "VALID")
    pk_v, pk_a = poolkit.max_pool_with_argmax(x, [1, 2], [1, 2], "VALID")
    assert_bits_equal(pk_v, tf_v.numpy())
    assert_bits_equal(pk_a, tf_a.numpy())
    # the 1-D op is the 2-D one on an expanded dimension: the same floor
    assert T.nn.max_pool1d(T.constant(x[0, :1]), 2, 2, "VALID").numpy().ravel().tolist() == [lowest]
    assert poolkit.max_pool1d(x[0, :1], 2, padding="valid", data_format="NWC").ravel()[0] == -np.inf


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nan_tf_max_pool_ignores_it_poolkit_propagates(dtype):
    """F33: TensorFlow's max_pool1d/2d skip NaN ([NaN, 2, 3, 0] -> 3; all NaN -> lowest);
    poolkit propagates it, as PyTorch, with the index of the last NaN."""
    T = tf()
    x = np.array([np.nan, 2, 3, 0, np.nan, np.nan, np.nan, np.nan], dtype).reshape(1, 8, 1)
    tf_out = T.nn.max_pool1d(T.constant(x), 4, 4, "VALID").numpy().ravel()
    assert tf_out[0] == 3 and tf_out[1] == np.finfo(dtype).min
    got, idx = poolkit.max_pool1d(x, 4, padding="valid", data_format="NWC", return_indices=True)
    assert np.isnan(got).all() and idx.ravel().tolist() == [0, 7]
    torch_v, torch_i = torch().nn.functional.max_pool1d(torch().from_numpy(x.reshape(1, 1, 8)), 4,
                                                        return_indices=True)
    assert np.isnan(torch_v.numpy()).all() and torch_i.numpy().ravel().tolist() == [0, 7]


def test_nan_tf_argmax_keeps_only_a_leading_nan():
    """TensorFlow's argmax takes the first tap unconditionally and then only larger values:
    a leading NaN sticks, a later NaN is skipped. poolkit's NaN always wins (last NaN)."""
    T = tf()
    x = np.array([np.nan, 5, 5, np.nan, 1, 2, np.nan, np.nan], np.float32).reshape(1, 1, 8, 1)
    tf_v, tf_a = T.nn.max_pool_with_argmax(T.constant(x), [1, 2], [1, 2], "VALID")
    assert np.isnan(tf_v.numpy().ravel()[0]) and tf_v.numpy().ravel()[1:3].tolist() == [5, 2]
    assert tf_a.numpy().ravel().tolist()[:3] == [0, 2, 5]
    pk_v, pk_a = poolkit.max_pool_with_argmax(x, [1, 2], [1, 2], "VALID")
    assert np.isnan(pk_v.ravel()[[0, 1, 3]]).all() and pk_v.ravel()[2] == 2
    assert pk_a.ravel().tolist() == [0, 3, 5, 7]


def test_3d_same_padding_eigen_shift():
    """F40: L=6, k=1, s=3, SAME: the windows read rows 0 and 3 (the formula, oneDNN and poolkit);
    TensorFlow's Eigen kernels (TF_ENABLE_ONEDNN_OPTS=0) compute a padding of -1 and read
    rows 1 and 4."""
    T = tf()
    x = np.arange(1, 7, dtype=np.float32).reshape(1, 6, 1, 1, 1)
    got = poolkit.max_pool3d(x, 1, (3, 1, 1), "same", data_format="NDHWC").ravel()
    assert got.tolist() == [1, 4]
    assert poolkit.avg_pool3d(x, 1, (3, 1, 1), "same", data_format="NDHWC").ravel().tolist() == [1, 4]
    tf_max = T.nn.max_pool3d(T.constant(x), 1, [3, 1, 1], "SAME").numpy().ravel().tolist()
    tf_avg = T.nn.avg_pool3d(T.constant(x), 1, [3, 1, 1], "SAME").numpy().ravel().tolist()
    expected = [2, 5] if EIGEN else [1, 4]
    assert tf_max == expected and tf_avg == expected
    # the 2-D kernels clamp the padding at 0 on both backends
    assert T.nn.max_pool2d(T.constant(x[:, :, :, 0]), 1, [3, 1], "SAME").numpy().ravel().tolist() == [1, 4]


def test_3d_max_tie_between_signed_zeros():
    """TensorFlow's Eigen MaxPool3D (TF_ENABLE_ONEDNN_OPTS=0) keeps the *last* of tied zeros
    ([0.0, -0.0] -> -0.0), its 2-D kernels and PyTorch the first; poolkit keeps the first."""
    T = tf()
    for vals in ([0.0, -0.0], [-0.0, 0.0]):
        x = np.array(vals, np.float32).reshape(1, 1, 1, 2, 1)
        got = poolkit.max_pool3d(x, (1, 1, 2), padding="valid", data_format="NDHWC").ravel()
        assert np.signbit(got).tolist() == [np.signbit(vals[0])]
        x2 = x[:, 0]
        assert np.signbit(T.nn.max_pool2d(T.constant(x2), (1, 2), 1, "VALID").numpy().ravel()).tolist() \
            == [np.signbit(vals[0])]
        if EIGEN:
            tf3 = T.nn.max_pool3d(T.constant(x), (1, 1, 2), 1, "VALID").numpy().ravel()
            assert np.signbit(tf3).tolist() == [np.signbit(vals[1])]
