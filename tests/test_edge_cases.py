"""The edge-case table of semantics.md section 6, one test per forward row.

Each test asserts the documented values and, where the framework accepts the case,
that PyTorch (T, O rows) or TensorFlow (F rows) agrees with poolkit. Rows about
gradients (the grad parts of T09/T22, F26-F28) belong to the backward tests; T31 is
fractional max pooling, which poolkit does not offer; F32, F33 and F40 (where
TensorFlow differs on purpose) are pinned down in test_oracle_tf.py.

TensorFlow's rows use its test inputs: ``((f + 128) % 255) - 127`` for f = 0, 1, ...
(1, 2, ... for the 3-D tests), optionally negated.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from oracles import METHODS, assert_bits_equal, assert_close, bits, tf, torch

import poolkit

inf, nan = np.inf, np.nan


def T():
    return torch()


def F():
    return torch().nn.functional


def t(x):
    return torch().from_numpy(np.ascontiguousarray(x))


def tf_ramp(shape, negative=False, dtype=np.float32):
    """TensorFlow's pooling test input: 1, 2, ..., 127, -127, -126, ... (times -1 if negative)."""
    f = np.arange(int(np.prod(shape)))
    return ((((f + 128) % 255) - 127) * (-1 if negative else 1)).astype(dtype).reshape(shape)


def ramp3d(shape):
    """TensorFlow's 3-D test input: 1, 2, ..., N."""
    return np.arange(1, int(np.prod(shape)) + 1, dtype=np.float32).reshape(shape)


def every_method(fn, *args, **kwargs):
    """Run ``fn`` with every ``method`` and check they agree (bit for bit for max, min and
    indices; to float rounding for averages); return the first result."""
    results = [fn(*args, method=m, **kwargs) for m in METHODS]
    exact = "avg" not in fn.__name__ and "lp" not in fn.__name__
    first = results[0] if isinstance(results[0], tuple) else (results[0],)
    for m, r in zip(METHODS[1:], results[1:]):
        for a, b in zip(r if isinstance(r, tuple) else (r,), first):
            if exact or a.dtype.kind in "iu":
                assert_bits_equal(a, b, f"method={m}")
            else:
                assert_close(a, b, a.dtype, 4, f"method={m}")
    return results[0]


# ====================================================================== PyTorch rows
def test_T01_minimal_unbatched_identity():
    x = np.array([[3.5]], np.float32)
    got = every_method(poolkit.max_pool1d, x, 1)
    assert_bits_equal(got, x)
    assert_bits_equal(got, F().max_pool1d(t(x), 1).numpy())


@pytest.mark.parametrize("x", [np.array([[[1.0]]]), np.array([[1.0], [2.0]])], ids=["NCL-1x1x1", "CL-2x1"])
def test_T02_T03_dilated_window_with_no_input_element(x):
    """k2 s2 p1 d2 on one element: both taps fall in the padding. PyTorch returns -inf with
    index 1 (out of range); poolkit refuses and says why."""
    values, idx = F().max_pool1d(t(x), 2, 2, 1, 2, return_indices=True)
    assert (values.numpy() == -inf).all() and (idx.numpy() == 1).all()
    with pytest.raises(ValueError, match=r"window 0 contains no input element.*dilation=2"):
        poolkit.max_pool1d(x, 2, 2, 1, 2)


@pytest.mark.parametrize("ceil_mode, stride, expected", [(False, 1, [2, 1]), (True, 2, [2, 2])],
                         ids=["T04", "T05-ceil"])
def test_T04_T05_dilation_skips_the_neighbour(ceil_mode, stride, expected):
    x = np.array([[1.0, 2.0]])
    got = every_method(poolkit.max_pool1d, x, 2, stride, 1, 2, ceil_mode)
    assert got.ravel().tolist() == expected
    assert_bits_equal(got, F().max_pool1d(t(x), 2, stride, 1, 2, ceil_mode).numpy())


@pytest.mark.parametrize("channels_last", [False, True], ids=["NCHW", "NHWC"])
def test_T06_integers_padding_is_not_zero(channels_last):
    x = np.array([[[[-1, -2], [-3, -4]]]], np.int32)
    want_v, want_i = F().max_pool2d(t(x), 2, 2, 1, 2, True, return_indices=True)
    xin = np.moveaxis(x, 1, -1) if channels_last else x
    got_v, got_i = every_method(poolkit.max_pool2d, xin, 2, 2, 1, 2, True, True,
                                data_format="channels_last" if channels_last else "channels_first")
    if channels_last:
        got_v, got_i = np.moveaxis(got_v, -1, 1), np.moveaxis(got_i, -1, 1)
    assert (got_v == -4).all() and got_v.shape == (1, 1, 2, 2) and got_v.dtype == np.int32
    assert_bits_equal(got_v, want_v.numpy())
    assert_bits_equal(got_i, want_i.numpy())


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("fill", [nan, -inf], ids=["all-nan", "all-neg-inf"])
def test_T07_special_windows(dims, fill):
    """A 3^n window of NaN gives NaN (index of the last NaN); of -inf gives -inf (first index)."""
    x = np.full((1, 1) + (3,) * dims, fill, np.float32)
    name = f"max_pool{dims}d"
    v, i = every_method(getattr(poolkit, name), x, 3, return_indices=True)
    av, ai = every_method(getattr(poolkit, f"adaptive_max_pool{dims}d"), x, 1, return_indices=True)
    want_i = 3 ** dims - 1 if np.isnan(fill) else 0
    for values, index in ((v, i), (av, ai)):
        assert values.size == 1 and (np.isnan(values).all() if np.isnan(fill) else (values == -inf).all())
        assert index.ravel().tolist() == [want_i]
    tv, ti = getattr(F(), name)(t(x), 3, return_indices=True)
    assert_bits_equal(v, tv.numpy())
    assert_bits_equal(i, ti.numpy())
    tv, ti = getattr(F(), f"adaptive_max_pool{dims}d")(t(x), 1, return_indices=True)
    assert_bits_equal(av, tv.numpy())
    assert_bits_equal(ai, ti.numpy())


def test_T08_neg_inf_index():
    v, i = every_method(poolkit.max_pool1d, np.array([[[-inf]]]), 1, return_indices=True)
    assert v.ravel().tolist() == [-inf] and i.ravel().tolist() == [0]


def test_T09_index_layout():
    x = np.arange(1, 65, dtype=np.float32).reshape(2, 2, 4, 4)
    v, i = every_method(poolkit.max_pool2d, x, 2, return_indices=True)
    assert (i == np.array([[5, 7], [13, 15]])).all()
    assert_bits_equal(i, F().max_pool2d(t(x), 2, return_indices=True)[1].numpy())


@pytest.mark.parametrize("sizes, kernel, stride, padding, ceil_mode, expected", [
    ((5, 6, 7), 1, 2, 0, True, (3, 3, 4)),
    ((3, 4, 5), 2, 2, 1, False, (2, 3, 3)),
    ((3, 4, 5), 2, 2, 1, True, (2, 3, 3)),
    ((6, 7), 1, 2, 0, True, (3, 4)),
], ids=["T10", "T11-floor", "T11-ceil", "T11-2d"])
def test_T10_T11_ceil_mode_last_window_rule(sizes, kernel, stride, padding, ceil_mode, expected):
    assert poolkit.output_size(sizes, kernel, stride, padding, ceil_mode=ceil_mode) == expected
    dims = len(sizes)
    x = np.zeros((1, 1) + sizes, np.float32)
    got = getattr(poolkit, f"max_pool{dims}d")(x, kernel, stride, padding, ceil_mode=ceil_mode)
    want = getattr(F(), f"max_pool{dims}d")(t(x), kernel, stride, padding, ceil_mode=ceil_mode)
    assert got.shape[2:] == expected == tuple(want.shape[2:])


@pytest.mark.parametrize("sizes, kernel, padding", [
    ((16, 4), 1, 0), ((4, 4), (1, 2), (0, 1)), ((4, 4, 4), (1, 2, 3), 0)])
def test_T12_ceil_mode_with_count_include_pad_has_no_zero_divisor(sizes, kernel, padding):
    dims = len(sizes)
    x = np.random.default_rng(12).standard_normal((1, 2) + sizes)
    got = every_method(getattr(poolkit, f"avg_pool{dims}d"), x, kernel, 2, padding, True, True)
    assert np.isfinite(got).all()
    assert_close(got, getattr(F(), f"avg_pool{dims}d")(t(x), kernel, 2, padding, True, True).numpy(), "float64")


@pytest.mark.parametrize("call, torch_call, match", [
    (lambda x: poolkit.max_pool2d(x, 3, 2, 0, 2), lambda x: F().max_pool2d(x, 3, 2, 0, 2), "output size would be 0"),
    (lambda x: poolkit.avg_pool2d(x, 6, 2), lambda x: F().avg_pool2d(x, 6, 2), "output size would be"),
    (lambda x: poolkit.max_pool2d(x, 2, 0), lambda x: F().max_pool2d(x, 2, 0), r"stride=0 must be positive"),
    (lambda x: poolkit.avg_pool2d(x, 2, 0), lambda x: F().avg_pool2d(x, 2, 0), r"stride=0 must be positive"),
    (lambda x: poolkit.max_pool2d(x, 3, 1, 2, 2), lambda x: F().max_pool2d(x, 3, 1, 2, 2),
     r"padding=2 must be at most half of kernel_size=3"),
], ids=["T13-max-too-small", "T13-avg-too-small", "T14-max-stride0", "T14-avg-stride0", "T15-pad-vs-dilation"])
def test_T13_T14_T15_invalid_configurations(call, torch_call, match):
    x = np.zeros((1, 1, 4, 4), np.float32)
    with pytest.raises(RuntimeError):
        torch_call(t(x))
    with pytest.raises(ValueError, match=match):
        call(x)


def test_T16_empty_batch_and_empty_channels():
    x = np.zeros((0, 16, 50, 32), np.float32)
    for name in ("max_pool2d", "avg_pool2d", "min_pool2d"):
        got = every_method(getattr(poolkit, name), x, 3, 2)
        assert got.shape == (0, 16, 24, 15)
    assert tuple(F().max_pool2d(t(x), 3, 2).shape) == (0, 16, 24, 15)
    # PyTorch refuses C = 0; TensorFlow accepts it (F08), and so does poolkit
    empty_c = np.zeros((1, 0, 50, 32), np.float32)
    with pytest.raises(RuntimeError):
        F().max_pool2d(t(empty_c), 3, 2)
    assert poolkit.max_pool2d(empty_c, 3, 2).shape == (1, 0, 24, 15)


def test_T17_divisor_override_every_kernel():
    x = np.random.default_rng(17).standard_normal((1, 3, 3))
    for i, j in itertools.product(range(1, 4), repeat=2):
        for divisor in (1, 7, i * j):
            got = every_method(poolkit.avg_pool2d, x, (i, j), divisor_override=divisor)
            assert_close(got, F().avg_pool2d(t(x), (i, j), divisor_override=divisor).numpy(), "float64")


@pytest.mark.parametrize("shape, kwargs", [
    ((4, 8, 8, 8), dict(kernel_size=3, padding=1, count_include_pad=False)),
    ((4, 8, 8, 8), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((4, 8, 8, 8), dict(kernel_size=3, padding=1, divisor_override=42)),
    ((4, 8, 7, 7), dict(kernel_size=3, stride=1, padding=1)),
])
def test_T18_channels_last_average(shape, kwargs):
    x = np.random.default_rng(18).standard_normal(shape).astype(np.float32)
    want = F().avg_pool2d(t(x).contiguous(memory_format=T().channels_last), **kwargs).numpy()
    got = every_method(poolkit.avg_pool2d, np.moveaxis(x, 1, -1).copy(), data_format="NHWC", **kwargs)
    assert_close(np.moveaxis(got, -1, 1), want, "float32", 4)


@pytest.mark.parametrize("shape, kernel, stride, padding", [((4, 8, 10, 10), 2, 1, 1), ((4, 8, 11, 11), 4, 2, 2)])
def test_T19_channels_last_dilated_max(shape, kernel, stride, padding):
    x = np.random.default_rng(19).standard_normal(shape).astype(np.float32)
    want_v, want_i = F().max_pool2d(t(x).contiguous(memory_format=T().channels_last), kernel, stride, padding, 2,
                                    return_indices=True)
    got_v, got_i = every_method(poolkit.max_pool2d, np.moveaxis(x, 1, -1).copy(), kernel, stride, padding, 2,
                                return_indices=True, data_format="channels_last")
    assert_bits_equal(np.moveaxis(got_v, -1, 1), want_v.numpy())
    assert_bits_equal(np.moveaxis(got_i, -1, 1), want_i.numpy())


@pytest.mark.parametrize("transpose", [False, True], ids=["strided", "strided-transposed"])
def test_T20_non_contiguous_input(transpose):
    base = np.random.default_rng(20).standard_normal((5, 151, 33)).astype(np.float32)
    x = base[::2, ::3, ::2]
    if transpose:
        x = x.swapaxes(-1, -2)
    assert not x.flags.c_contiguous
    for name in ("max_pool1d", "max_pool2d"):
        got_v, got_i = every_method(getattr(poolkit, name), x, 3, 2, 1, 2, True, True)
        want_v, want_i = getattr(F(), name)(T().from_numpy(base)[::2, ::3, ::2].transpose(-1, -2) if transpose
                                            else T().from_numpy(base)[::2, ::3, ::2], 3, 2, 1, 2, True, True)
        assert_bits_equal(got_v, want_v.numpy())
        assert_bits_equal(got_i, want_i.numpy())


@pytest.mark.parametrize("shape, kernel, stride", [((6, 12, 13, 14), (5, 6, 7), None), ((1, 79, 4, 4, 4), 3, 2)])
def test_T21_3d(shape, kernel, stride):
    x = np.random.default_rng(21).standard_normal(shape).astype(np.float32)
    got_v, got_i = every_method(poolkit.max_pool3d, x, kernel, stride, return_indices=True)
    want_v, want_i = F().max_pool3d(t(x), kernel, stride, return_indices=True)
    assert_bits_equal(got_v, want_v.numpy())
    assert_bits_equal(got_i, want_i.numpy())
    avg = every_method(poolkit.avg_pool3d, x, kernel, stride)
    assert_close(avg, F().avg_pool3d(t(x), kernel, stride).numpy(), "float32", 4)


def test_T22_ties_go_to_the_first_tap():
    x = np.ones((1, 1, 3, 3))
    v, i = every_method(poolkit.max_pool2d, x, 2, 1, return_indices=True)
    assert i[0, 0].tolist() == [[0, 1], [3, 4]]
    assert_bits_equal(i, F().max_pool2d(t(x), 2, 1, return_indices=True)[1].numpy())


def test_T23_last_nan_wins():
    x = np.array([[[[nan, 2], [nan, 0]]]])
    v, i = every_method(poolkit.max_pool2d, x, 2, return_indices=True)
    assert np.isnan(v).all() and i.ravel().tolist() == [2]
    assert F().max_pool2d(t(x), 2, return_indices=True)[1].item() == 2


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_T23_the_last_nan_is_returned_bit_for_bit(dtype, dims):
    """A window holding NaN and -NaN returns the last one (its sign bit too), in every method,
    with or without indices, as PyTorch."""
    flat = np.array([np.nan, 1, -np.nan, 2, -np.nan, 3, np.nan, 0], dtype)
    x = flat.reshape((1, 1) + {1: (8,), 2: (2, 4), 3: (2, 2, 2)}[dims])
    k = x.shape[2:]
    want_v, want_i = getattr(F(), f"max_pool{dims}d")(t(x), k, return_indices=True)
    got_v, got_i = every_method(getattr(poolkit, f"max_pool{dims}d"), x, k, return_indices=True)
    assert bits(got_v).ravel().tolist() == bits(flat[6:7]).tolist() and got_i.ravel().tolist() == [6]
    assert_bits_equal(got_v, want_v.numpy())
    assert_bits_equal(every_method(getattr(poolkit, f"max_pool{dims}d"), x, k), want_v.numpy())
    got_min = every_method(getattr(poolkit, f"min_pool{dims}d"), -x, k)
    assert bits(got_min).ravel().tolist() == bits(-flat[6:7]).tolist()


@pytest.mark.parametrize("count_include_pad, expected", [(True, [1, 3, 2]), (False, [1.5, 3, 4])])
def test_T24_ceil_overhang_divisor(count_include_pad, expected):
    x = np.array([[[1.0, 2, 3, 4]]])
    got = every_method(poolkit.avg_pool1d, x, 3, 2, 1, True, count_include_pad)
    assert got.ravel().tolist() == expected
    assert F().avg_pool1d(t(x), 3, 2, 1, True, count_include_pad).numpy().ravel().tolist() == expected


def test_T25_integer_average_truncates_toward_zero():
    x = np.array([[[-3, 0, 3, 2, -5, 0]]], np.int64)
    got = every_method(poolkit.avg_pool1d, x, 2)
    assert got.dtype == np.int64 and got.ravel().tolist() == [-1, 2, -2]
    assert F().avg_pool1d(t(x), 2).numpy().ravel().tolist() == [-1, 2, -2]


def test_T26_uint8_max_pool1d_without_indices():
    """PyTorch's float-only fast path refuses uint8 without indices; poolkit pools it (and
    matches PyTorch's result with indices)."""
    x = np.array([[[3, 250, 7, 0, 255, 1]]], np.uint8)
    with pytest.raises(NotImplementedError):
        F().max_pool1d(t(x), 2)
    got = every_method(poolkit.max_pool1d, x, 2)
    assert got.dtype == np.uint8 and got.ravel().tolist() == [250, 7, 255]
    assert_bits_equal(got, F().max_pool1d(t(x), 2, return_indices=True)[0].numpy())


@pytest.mark.parametrize("x, out, max_v, max_i, mean", [
    ([1.0, 5, 2, 4, 3], 3, [5, 5, 4], [1, 1, 3], [3, 11 / 3, 3.5]),
    ([1.0, 3, 2], 5, [1, 3, 3, 3, 2], [0, 1, 1, 1, 2], [1, 2, 3, 2.5, 2]),
], ids=["T27-L5-to-3", "T27-L3-to-5"])
def test_T27_adaptive_overlapping_and_upsampling_windows(x, out, max_v, max_i, mean):
    x = np.array([[x]])
    v, i = every_method(poolkit.adaptive_max_pool1d, x, out, return_indices=True)
    assert v.ravel().tolist() == max_v and i.ravel().tolist() == max_i
    avg = every_method(poolkit.adaptive_avg_pool1d, x, out)
    np.testing.assert_allclose(avg.ravel(), mean, rtol=1e-12)
    tv, ti = F().adaptive_max_pool1d(t(x), out, return_indices=True)
    assert_bits_equal(v, tv.numpy())
    assert_bits_equal(i, ti.numpy())
    assert_close(avg, F().adaptive_avg_pool1d(t(x), out).numpy(), "float64")


def test_T28_adaptive_output_size_none_and_zero():
    x = np.random.default_rng(28).standard_normal((1, 1, 4, 5))
    assert every_method(poolkit.adaptive_max_pool2d, x, (2, None)).shape == (1, 1, 2, 5)
    assert every_method(poolkit.adaptive_avg_pool2d, x, (2, None)).shape == (1, 1, 2, 5)
    assert_bits_equal(poolkit.adaptive_max_pool2d(x, (2, None)), F().adaptive_max_pool2d(t(x), (2, None)).numpy())
    for fn in (poolkit.adaptive_max_pool1d, poolkit.adaptive_avg_pool1d):
        assert every_method(fn, x[0], 0).shape == (1, 4, 0)
    assert tuple(F().adaptive_avg_pool1d(t(x[0]), 0).shape) == (1, 4, 0)


def test_T29_lp_partial_window_scaling():
    x = np.array([[[1.0, 2, 3, 4, 5]]])
    got = every_method(poolkit.lp_pool1d, x, 1, 2, ceil_mode=True)
    assert got.ravel().tolist() == [3, 7, 10]
    assert F().lp_pool1d(t(x), 1, 2, ceil_mode=True).numpy().ravel().tolist() == [3, 7, 10]


def test_T30_lp_odd_power_of_a_negative_sum_is_nan():
    x = np.array([[[-1.0, -2, 1, 2]]])
    got = every_method(poolkit.lp_pool1d, x, 3, 2)
    assert np.isnan(got.ravel()[0]) and got.ravel()[1] == pytest.approx(9 ** (1 / 3))
    assert_bits_equal(got, F().lp_pool1d(t(x), 3, 2).numpy())


def test_T32_max_unpool_output_size_range():
    x = np.random.default_rng(32).standard_normal((1, 1, 5, 5))
    v, i = poolkit.max_pool2d(x, 3, 2, return_indices=True)
    got = poolkit.max_unpool2d(v, i, 3, 2, output_size=(6, 6))
    assert_bits_equal(got, F().max_unpool2d(t(v), t(i), 3, 2, output_size=(6, 6)).numpy())
    with pytest.raises(ValueError):
        F().max_unpool2d(t(v), t(i), 3, 2, output_size=(7, 7))
    with pytest.raises(ValueError, match=r"output_size=\(7, 7\) must be within stride of the default size \(5, 5\)"):
        poolkit.max_unpool2d(v, i, 3, 2, output_size=(7, 7))


# OpInfo's average-pool samples (torch/testing/_internal/common_methods_invocations.py, 2.13).
# PyTorch also takes a one-element tuple for every dimension and () for the default stride;
# poolkit asks for an int or one entry per dimension, so those are written as ints / None.
AVGPOOL_SAMPLES = [
    # O01: avg_pool1d
    ((2, 3, 9), (3,), {}),
    ((1, 3, 9), 3, dict(stride=1, padding=1, ceil_mode=True, count_include_pad=False)),
    ((1, 3, 9), (6,), dict(stride=(3,), padding=(2,), ceil_mode=True, count_include_pad=True)),
    ((2, 3, 9), (3,), dict(stride=(1,), padding=(1,), ceil_mode=False, count_include_pad=True)),
    ((0, 3, 9), (6,), dict(stride=(3,), padding=(2,), ceil_mode=False, count_include_pad=True)),
    ((1, 2, 9), (7,), dict(stride=(3,), padding=(2,), ceil_mode=False)),
    ((1, 2, 9), (7,), dict(stride=(3,), padding=(3,), ceil_mode=True)),
    ((1, 2, 9), (7,), dict(stride=(3,), ceil_mode=False)),
    ((1, 2, 9), (7,), dict(stride=(3,), ceil_mode=True)),
    # O02: avg_pool2d
    ((1, 3, 9, 9), 3, dict(stride=1, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=2)),
    ((1, 3, 9, 9), (4, 4), dict(stride=(2, 3), padding=1, ceil_mode=True, count_include_pad=False,
                                divisor_override=2)),
    ((1, 3, 9, 9), (6, 6), dict(stride=(3, 3), padding=(2, 3), ceil_mode=True, count_include_pad=True,
                                divisor_override=2)),
    ((2, 3, 9, 9), (3, 3), dict(stride=(1, 1), padding=1, ceil_mode=True, count_include_pad=False,
                                divisor_override=2)),
    ((1, 1, 4, 4), (2, 2), dict(stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                                divisor_override=-2)),
    ((1, 2, 6, 6), (4, 4), dict(stride=(2, 2), padding=2, ceil_mode=True, count_include_pad=True)),
    ((1, 3, 9, 9), (3, 3), {}),
    # O03: avg_pool3d
    ((2, 3, 3, 4, 4), (2, 2, 2), {}),
    ((1, 2, 4, 4, 4), 2, dict(stride=1, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=2)),
    ((1, 2, 5, 5, 5), (2, 3, 4), dict(stride=(1, 2, 2), padding=(0, 1, 2), ceil_mode=True,
                                      count_include_pad=True, divisor_override=2)),
    ((1, 2, 5, 5, 5), (2, 3, 4), dict(stride=(1, 2, 2), padding=(0, 1, 2), ceil_mode=False)),
    ((1, 1, 7, 5, 7), (6, 3, 4), dict(stride=(2, 3, 2), padding=(3, 1, 0), ceil_mode=False,
                                      count_include_pad=False, divisor_override=2)),
    ((1, 1, 4, 5, 4), (2, 2, 3), dict(stride=(2, 2, 1), padding=0, ceil_mode=False, count_include_pad=True,
                                      divisor_override=-2)),
    ((1, 1, 6, 5, 6), (4, 5, 6), dict(stride=(2, 3, 2), padding=2, ceil_mode=True, count_include_pad=True,
                                      divisor_override=None)),
    ((0, 1, 4, 5, 4), (2, 3, 1), dict(stride=(2, 1, 2), padding=0, ceil_mode=False, count_include_pad=True,
                                      divisor_override=None)),
]


@pytest.mark.parametrize("shape, kernel, kwargs", AVGPOOL_SAMPLES,
                         ids=[f"O0{len(s) - 2}-{i}" for i, (s, _, _) in enumerate(AVGPOOL_SAMPLES)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_O01_O03_opinfo_avgpool_samples(shape, kernel, kwargs, dtype):
    dims = len(shape) - 2
    x = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    want = getattr(F(), f"avg_pool{dims}d")(t(x), kernel, **kwargs).numpy()
    got = every_method(getattr(poolkit, f"avg_pool{dims}d"), x, kernel, **kwargs)
    assert_close(got, want, dtype, 4)


def _maxpool_grid(dims):
    """OpInfo's _TestParamsMaxPool{1,2,3}d grid (2.13): shapes and keyword arguments."""
    kernel = [3, {1: (3,), 2: (3, 2), 3: (3, 2, 3)}[dims]]
    stride = [2, None, {1: (2,), 2: (2, 1), 3: (2, 1, 2)}[dims]]
    padding = [0, 1] + ([{1: (1,), 2: (1, 1)}[dims]] if dims < 3 else [])
    dilation = [1, {1: (1,), 2: (1, 2), 3: (1, 2, 1)}[dims]]
    spatial = {1: [[3, 6]], 2: [[3, 6], [6]], 3: [[3, 6], [6], [5]]}[dims]
    shapes = [tuple(s for s in shape if s is not None)
              for shape in itertools.product([1, 2, None], [2], *spatial)]
    for shape, k, s, ceil, p, d in itertools.product(shapes, kernel, stride, [True, False], padding, dilation):
        yield shape, dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_O04_opinfo_max_pool_grid(dims):
    """Every configuration of OpInfo's max-pool grid (return_indices True and False are one
    call here: values and indices are both compared)."""
    rng = np.random.default_rng(dims)
    count = 0
    for shape, kwargs in _maxpool_grid(dims):
        x = rng.standard_normal(shape).astype(np.float32)
        want_v, want_i = getattr(F(), f"max_pool{dims}d")(t(x), return_indices=True, **kwargs)
        got_v, got_i = getattr(poolkit, f"max_pool{dims}d")(x, return_indices=True, **kwargs)
        assert_bits_equal(got_v, want_v.numpy(), f"{shape} {kwargs}")
        assert_bits_equal(got_i, want_i.numpy(), f"{shape} {kwargs}")
        count += 1
    assert count == {1: 432, 2: 432, 3: 288}[dims]


# ====================================================================== TensorFlow rows
TF_AVG = [
    ("F01", [1, 3, 3, 3], [2, 2], [2, 2], "VALID", [7, 8, 9]),
    ("F02", [1, 2, 4, 3], [2, 2], [2, 2], "SAME", [8.5, 9.5, 10.5, 14.5, 15.5, 16.5]),
    ("F03", [1, 2, 2, 1], [1, 2], [1, 1], "SAME", [1.5, 2, 3.5, 4]),
    ("F04", [1, 2, 2, 1], [2, 1], [1, 1], "SAME", [2, 3, 3, 4]),
    ("F05", [1, 3, 3, 3], [2, 2], [1, 2], "VALID", [7, 8, 9, 16, 17, 18]),
    ("F05b", [1, 3, 3, 3], [2, 2], [2, 1], "VALID", [7, 8, 9, 10, 11, 12]),
    ("F06", [1, 4, 4, 4], [3, 3], [2, 2], "SAME",
     [21, 22, 23, 24, 27, 28, 29, 30, 45, 46, 47, 48, 51, 52, 53, 54]),
    ("F07", [1, 8, 8, 8], [3, 3], [2, 2], "SAME",
     [-12, -11, -10, -9, -8, -7, -6, -5, 4, 5, 6, 7, 8, 9, 10, 11, 20, 21, 22, 23, 24, 25, 26, 27,
      32, 33, 34, 35, 36, 37, 38, -3.5, -54, -53, -52, -51, -50, -49, -48, -47, -38, -37, -36, -35, -34,
      -33, -32, -31, -22, -21, -20, -19, -18, -17, -16, -15, -10, -9, -8, -7, -6, -5, -4, -3, -11, -10,
      -9, -8, -7, -6, -5, -4, 5, 6, 7, 8, 9, 10, 11, 12, 21, 22, 23, 24, 25, 26, 27, 28, 33, 34, 35,
      36, 37, 38, -3.5, -2.5, -85, -84, -83, -82, -81, -80, -79, -78, -69, -68, -67, -66, -65, -64,
      -63, -62, -53, -52, -51, -50, -49, -48, -47, -46, -41, -40, -39, -38, -37, -36, -35, -34]),
    ("F21", [1, 7, 7, 1], [2, 2], [3, 3], "VALID", [5, 8, 26, 29]),
    ("F22", [1, 3, 3, 1], [1, 1], [2, 2], "SAME", [1, 3, 7, 9]),
    ("F23", [1, 4, 4, 1], [1, 1], [2, 2], "SAME", [1, 3, 9, 11]),
]

TF_MAX = [
    ("F09", [1, 3, 3, 3], [2, 2], [2, 2], "VALID", [13, 14, 15]),
    ("F10", [1, 2, 3, 3], [2, 2], [2, 2], "SAME", [13, 14, 15, 16, 17, 18]),
    ("F10b", [1, 2, 2, 1], [1, 2], [1, 1], "SAME", [2, 2, 4, 4]),
    ("F10c", [1, 4, 4, 4], [2, 2], [2, 2], "SAME",
     [21, 22, 23, 24, 29, 30, 31, 32, 53, 54, 55, 56, 61, 62, 63, 64]),
    ("F10d", [1, 8, 8, 8], [3, 3], [2, 2], "SAME",
     [81, 82, 83, 84, 85, 86, 87, 88, 97, 98, 99, 100, 101, 102, 103, 104, 113, 114, 115, 116, 117, 118,
      119, 120, 121, 122, 123, 124, 125, 126, 127, 120, 18, 19, 20, 21, 22, 23, 24, 25, 34, 35, 36, 37,
      38, 39, 40, 41, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 82, 83, 84, 85,
      86, 87, 88, 89, 98, 99, 100, 101, 102, 103, 104, 105, 114, 115, 116, 117, 118, 119, 120, 121, 122,
      123, 124, 125, 126, 127, 120, 121, -45, -44, -43, -42, -41, -40, -39, -38, -29, -28, -27, -26, -25,
      -24, -23, -22, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2]),
    ("F10e", [1, 4, 4, 1], [2, 2], [1, 2], "VALID", [6, 8, 10, 12, 14, 16]),
    ("F20", [1, 7, 7, 1], [2, 2], [3, 3], "VALID", [9, 12, 30, 33]),
    ("F22", [1, 3, 3, 1], [1, 1], [2, 2], "SAME", [1, 3, 7, 9]),
    ("F23", [1, 4, 4, 1], [1, 1], [2, 2], "SAME", [1, 3, 9, 11]),
]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("row, shape, ksize, strides, padding, expected", TF_AVG, ids=[r[0] for r in TF_AVG])
def test_F_avg_rows(row, shape, ksize, strides, padding, expected, dtype):
    x = tf_ramp(shape, dtype=dtype)
    got = every_method(poolkit.avg_pool2d, x, tuple(ksize), tuple(strides), padding.lower(), data_format="NHWC")
    assert_close(got.ravel(), np.array(expected, dtype), dtype, 4)
    want = tf().nn.avg_pool2d(tf().constant(x), ksize, strides, padding).numpy()
    assert_close(got, want, dtype, 4 * int(np.prod(ksize)))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int32"])
@pytest.mark.parametrize("row, shape, ksize, strides, padding, expected", TF_MAX, ids=[r[0] for r in TF_MAX])
def test_F_max_rows(row, shape, ksize, strides, padding, expected, dtype):
    x = tf_ramp(shape, dtype=dtype)
    got = every_method(poolkit.max_pool2d, x, tuple(ksize), tuple(strides), padding.lower(), data_format="NHWC")
    assert got.ravel().tolist() == expected
    assert_bits_equal(got, tf().nn.max_pool2d(tf().constant(x), ksize, strides, padding).numpy())


def test_F08_empty_inputs():
    empty_depth = np.zeros((1, 3, 3, 0), np.float32)
    assert poolkit.avg_pool2d(empty_depth, 2, 2, "valid", data_format="NHWC").shape == (1, 1, 1, 0)
    assert tf().nn.avg_pool2d(empty_depth, 2, 2, "VALID").shape == (1, 1, 1, 0)
    empty_batch = np.zeros((0, 8, 8, 8), np.float32)
    for name in ("avg_pool2d", "max_pool2d"):
        got = every_method(getattr(poolkit, name), empty_batch, 3, 2, "same", data_format="NHWC")
        assert got.shape == (0, 4, 4, 8) == tuple(getattr(tf().nn, name)(empty_batch, 3, 2, "SAME").shape)


def _explicit(x, pads, ksize, strides):
    """TensorFlow's EXPLICIT padding ``[[pb, pa], ...]`` (spatial dims of NHWC ``x``): poolkit's
    integer padding is symmetric, so pad with -inf (what max pooling pads with) and pool VALID."""
    padded = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)], constant_values=-inf)
    return poolkit.max_pool2d(padded, tuple(ksize), tuple(strides), "valid", data_format="NHWC")


@pytest.mark.parametrize("row, shape, negative, pads, expected", [
    ("F11", [1, 3, 3, 1], False, [[0, 0], [0, 0]], [9]),
    ("F12", [1, 3, 3, 1], True, [[2, 1], [2, 1]], [-1, -1, -1, -1]),
    ("F13", [1, 3, 3, 1], False, [[0, 2], [0, 1]], [9, 9]),
    ("F14", [1, 6, 6, 1], False, [[1, 2], [2, 1]], [7, 9, 11, 12, 19, 21, 23, 24, 31, 33, 35, 36, 31, 33, 35, 36]),
    ("F15", [1, 6, 6, 1], True, [[1, 2], [2, 1]],
     [-1, -1, -3, -5, -7, -7, -9, -11, -19, -19, -21, -23, -31, -31, -33, -35]),
])
def test_F11_F15_explicit_padding(row, shape, negative, pads, expected):
    """The padding is never selected: explicit padding behaves as -inf."""
    x = tf_ramp(shape, negative)
    got = _explicit(x, pads, [3, 3], [2, 2])
    assert got.ravel().tolist() == expected
    want = tf().nn.max_pool2d(tf().constant(x), 3, 2, [[0, 0]] + pads + [[0, 0]]).numpy()
    assert_bits_equal(got, want)
    if pads == [[0, 0], [0, 0]]:  # symmetric and within half the kernel: poolkit's own padding
        assert_bits_equal(poolkit.max_pool2d(x, 3, 2, 0, data_format="NHWC"), want)


def test_F14_symmetric_explicit_padding_is_integer_padding():
    """Symmetric explicit pads below the window size: poolkit's integer padding, same values."""
    x = tf_ramp([1, 6, 6, 1], negative=True)
    want = tf().nn.max_pool2d(tf().constant(x), 3, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]).numpy()
    assert_bits_equal(every_method(poolkit.max_pool2d, x, 3, 2, 1, data_format="NHWC"), want)


def test_F16_explicit_padding_1d():
    x = tf_ramp([1, 3, 1])
    want = tf().nn.max_pool1d(tf().constant(x), 2, 2, [[0, 0], [0, 1], [0, 0]]).numpy()
    padded = np.pad(x, [(0, 0), (0, 1), (0, 0)], constant_values=-inf)
    got = poolkit.max_pool1d(padded, 2, 2, "valid", data_format="NWC")
    assert got.ravel().tolist() == [2, 3]
    assert_bits_equal(got, want)


def test_F24_depthwise_pooling_is_pooling_over_channels():
    """TensorFlow pools across channels with ksize [1, 1, 1, 2]; poolkit pools spatial dims only,
    says so for a 4-entry ksize, and gives the same numbers with the channels as the pooled axis."""
    x = np.arange(1, 11, dtype=np.float32).reshape(1, 1, 1, 10)
    want = tf().nn.max_pool2d(tf().constant(x), [1, 1, 1, 2], [1, 1, 1, 2], "SAME").numpy()
    assert want.ravel().tolist() == [2, 4, 6, 8, 10]
    with pytest.raises(ValueError, match=r"ksize=\[1, 1, 1, 2\] must be 1 in the batch and channel entries"):
        poolkit.max_pool_with_argmax(x, [1, 1, 1, 2], [1, 1, 1, 2], "SAME")
    got = poolkit.max_pool1d(x.reshape(1, 1, 10), 2, 2, "same")
    assert got.ravel().tolist() == [2, 4, 6, 8, 10]


@pytest.mark.parametrize("include_batch, expected", [(False, [0, 1, 3, 5, 0, 2, 6, 8]),
                                                     (True, [0, 1, 3, 5, 9, 11, 15, 17])])
def test_F25_argmax_ties_and_batch_index(include_batch, expected):
    x = np.array([1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1], np.float32).reshape(2, 3, 3, 1)
    v, a = poolkit.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID", include_batch_in_index=include_batch)
    assert v.ravel().tolist() == [1.0] * 8 and a.dtype == np.int64 and a.ravel().tolist() == expected
    tv, ta = tf().nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID", include_batch_in_index=include_batch)
    assert_bits_equal(a, ta.numpy())


@pytest.mark.parametrize("row, pad", [("F29", 2), ("F30", -1)])
def test_F29_F30_explicit_padding_limits(row, pad):
    """TensorFlow: each explicit pad must be >= 0 and smaller than the window; poolkit: integer
    padding is >= 0 and at most half the kernel (for k=2 the same limit, 1)."""
    x = np.zeros((1, 4, 4, 1), np.float32)
    with pytest.raises((ValueError, tf().errors.InvalidArgumentError)):
        tf().nn.max_pool2d(x, 2, 2, [[0, 0], [pad, pad], [0, 0], [0, 0]])
    message = r"padding=2 must be at most half of kernel_size=2" if pad > 0 else r"padding=-1 must be at least 0"
    with pytest.raises(ValueError, match=message):
        poolkit.max_pool2d(x, 2, 2, pad, data_format="NHWC")
    # the largest allowed pad is the same in both
    assert_bits_equal(poolkit.max_pool2d(x, 2, 2, 1, data_format="NHWC"),
                      tf().nn.max_pool2d(x, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]).numpy())


def test_F31_window_larger_than_input():
    x = np.zeros((32, 20, 20, 3), np.float32)
    with pytest.raises((ValueError, tf().errors.InvalidArgumentError)):
        tf().nn.max_pool2d(x, 22, 1, "VALID")
    with pytest.raises(ValueError, match="kernel_size=22 > input size 20"):
        poolkit.max_pool2d(x, 22, 1, "valid", data_format="NHWC")


TF_3D = [
    ("F34-avg", "avg", [1, 3, 3, 3, 3], [2, 2, 2], [2, 2, 2], "VALID", [20.5, 21.5, 22.5]),
    ("F34-max", "max", [1, 3, 3, 3, 3], [2, 2, 2], [2, 2, 2], "VALID", [40, 41, 42]),
    ("F35-avg", "avg", [1, 2, 2, 4, 3], [2, 2, 2], [2, 2, 2], "SAME", [20.5, 21.5, 22.5, 26.5, 27.5, 28.5]),
    ("F35-max", "max", [1, 2, 2, 3, 3], [2, 2, 2], [2, 2, 2], "SAME", [31, 32, 33, 34, 35, 36]),
    ("F36-max", "max", [1, 5, 8, 1, 1], [1, 2, 3], [2, 3, 1], "SAME", [2, 5, 8, 18, 21, 24, 34, 37, 40]),
    ("F36-avg", "avg", [1, 5, 8, 1, 1], [1, 2, 3], [2, 3, 1], "SAME",
     [1.5, 4.5, 7.5, 17.5, 20.5, 23.5, 33.5, 36.5, 39.5]),
    ("F37-max", "max", [1, 7, 7, 7, 1], [2, 2, 2], [3, 3, 3], "VALID", [58, 61, 79, 82, 205, 208, 226, 229]),
    ("F37-avg", "avg", [1, 7, 7, 7, 1], [2, 2, 2], [3, 3, 3], "VALID",
     [29.5, 32.5, 50.5, 53.5, 176.5, 179.5, 197.5, 200.5]),
    ("F37-same-max", "max", [1, 3, 3, 3, 1], [1, 1, 1], [2, 2, 2], "SAME", [1, 3, 7, 9, 19, 21, 25, 27]),
    ("F37-same-avg", "avg", [1, 3, 3, 3, 1], [1, 1, 1], [2, 2, 2], "SAME", [1, 3, 7, 9, 19, 21, 25, 27]),
]


@pytest.mark.parametrize("row, op, shape, ksize, strides, padding, expected", TF_3D, ids=[r[0] for r in TF_3D])
def test_F34_F37_3d_rows(row, op, shape, ksize, strides, padding, expected):
    x = ramp3d(shape)
    got = every_method(getattr(poolkit, f"{op}_pool3d"), x, tuple(ksize), tuple(strides), padding.lower(),
                       data_format="NDHWC")
    assert got.ravel().tolist() == expected
    want = getattr(tf().nn, f"{op}_pool3d")(tf().constant(x), ksize, strides, padding).numpy()
    assert_close(got, want, "float32", 200)


def test_F38_F39_3d_empty_and_invalid():
    x = np.zeros((0, 112, 112, 112, 64), np.float32)
    got = poolkit.max_pool3d(x, 2, 2, "valid", data_format="NDHWC")
    assert got.shape == (0, 56, 56, 56, 64)
    assert tuple(tf().nn.max_pool3d(x, 2, 2, "VALID").shape) == got.shape
    small = np.zeros((1, 2, 2, 2, 1), np.float32)
    with pytest.raises((ValueError, tf().errors.InvalidArgumentError)):
        tf().nn.max_pool3d(small, 0, 1, "VALID")
    with pytest.raises(ValueError, match="kernel_size=0 must be positive"):
        poolkit.max_pool3d(small, 0, 1, "valid", data_format="NDHWC")
