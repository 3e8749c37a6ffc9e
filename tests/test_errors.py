"""Bad input gets a clear error: the right type (ValueError or TypeError, never a numpy
IndexError or AxisError from deep inside), raised by poolkit itself, with a message that
names the parameter and the value it got."""

from __future__ import annotations

import contextlib
import inspect
import re
import traceback
from pathlib import Path

import numpy as np
import pytest
from conftest import examples
from hypothesis import event, given, settings
from hypothesis import strategies as st
from oracles import METHODS

import poolkit

POOLKIT = Path(poolkit.__file__).resolve().parent
X2 = np.zeros((1, 1, 4, 4))


@contextlib.contextmanager
def refused(kind, *words):
    """Expect exactly ``kind`` (not a subclass such as numpy's AxisError), raised in
    poolkit's own code, with every one of ``words`` in the message."""
    with pytest.raises(Exception) as info:
        yield
    err = info.value
    assert type(err) is kind, f"{type(err).__name__}: {err} (expected {kind.__name__})"
    frame = traceback.extract_tb(err.__traceback__)[-1]
    assert Path(frame.filename).resolve().is_relative_to(POOLKIT), \
        f"raised in {frame.filename}:{frame.lineno}, not by poolkit: {err}"
    for word in words:
        assert word in str(err), f"{word!r} not in: {err}"


# ------------------------------------------------------------------ the input array
@pytest.mark.parametrize("fn, shape, words", [
    (poolkit.max_pool2d, (4, 4), ["x has shape (4, 4)", "max_pool2d expects 4-D (N, C, H, W)", "3-D (C, H, W)"]),
    (poolkit.max_pool2d, (1, 1, 1, 4, 4), ["x has shape (1, 1, 1, 4, 4)"]),
    (poolkit.avg_pool1d, (4,), ["x has shape (4,)", "avg_pool1d expects 3-D (N, C, L)"]),
    (poolkit.max_pool3d, (1, 4, 4), ["x has shape (1, 4, 4)", "max_pool3d expects 5-D (N, C, D, H, W)"]),
])
def test_wrong_ndim(fn, shape, words):
    with refused(ValueError, *words):
        fn(np.zeros(shape), 2)


def test_wrong_ndim_channels_last_names_the_layout():
    with refused(ValueError, "x has shape (4, 4)", "(N, H, W, C)", "(H, W, C)"):
        poolkit.max_pool2d(np.zeros((4, 4)), 2, data_format="channels_last")


@pytest.mark.parametrize("x, dtype_name", [
    (X2.astype(bool), "bool"), (X2.astype(object), "object"), (X2.astype(complex), "complex128"),
    (np.array([[["ab", "cd"]]]), "<U2"),
])
@pytest.mark.parametrize("name", ["max_pool2d", "min_pool2d", "avg_pool2d"])
def test_non_numeric_dtype(x, dtype_name, name):
    x = x if x.ndim == 4 else x[None]
    with refused(TypeError, f"x has dtype {dtype_name}", name, "floating-point or integer"):
        getattr(poolkit, name)(x, 1)


@pytest.mark.parametrize("name, args", [("lp_pool2d", (2, 2)), ("adaptive_max_pool2d", (2,)),
                                        ("adaptive_avg_pool2d", (2,))])
def test_float_only_functions_refuse_integers(name, args):
    with refused(TypeError, "x has dtype int64", name, "floating-point array"):
        getattr(poolkit, name)(X2.astype(np.int64), *args)


def test_empty_spatial_dimension():
    with refused(ValueError, "input has size 0 in spatial dimension 0", "at least 1"):
        poolkit.max_pool2d(np.zeros((1, 1, 0, 4)), 2)
    with refused(ValueError, "spatial shape (0, 4)", "at least 1"):
        poolkit.adaptive_avg_pool2d(np.zeros((1, 1, 0, 4)), 2)


# ------------------------------------------------------------------ kernel, stride, padding, dilation
@pytest.mark.parametrize("kernel, words", [
    (2.0, ["kernel_size=2.0", "int"]),
    (True, ["kernel_size=True", "int"]),
    ((2, 2.5), ["kernel_size=(2, 2.5)", "only ints, got 2.5"]),
    ((2, False), ["kernel_size=(2, False)", "only ints, got False"]),
    (None, ["kernel_size=None"]),
    ("2", ["kernel_size='2'"]),
])
def test_non_integer_kernel(kernel, words):
    with refused(TypeError, *words):
        poolkit.max_pool2d(X2, kernel)


@pytest.mark.parametrize("name, good, bad", [("stride", 1, True), ("padding", 0, False), ("stride", 2, 2.0),
                                             ("dilation", 1, True)])
def test_a_kept_configuration_never_passes_an_equal_value_of_another_type(name, good, bad):
    """Checked configurations are kept (geometry.build_axes): ``stride=1`` checked and kept must
    not let ``stride=True`` through, though ``1 == True``."""
    poolkit.max_pool2d(X2, 2, **{name: good})
    with refused(TypeError, f"{name}={bad!r}"):
        poolkit.max_pool2d(X2, 2, **{name: bad})


@pytest.mark.parametrize("kwargs, words", [
    (dict(kernel_size=0), ["kernel_size=0", "must be positive, got 0"]),
    (dict(kernel_size=(2, -1)), ["kernel_size=(2, -1)", "must be positive, got -1"]),
    (dict(kernel_size=2, stride=0), ["stride=0", "must be positive"]),
    (dict(kernel_size=2, stride=(1, -2)), ["stride=(1, -2)", "must be positive, got -2"]),
    (dict(kernel_size=2, dilation=0), ["dilation=0", "must be positive"]),
])
def test_non_positive_kernel_stride_dilation(kwargs, words):
    with refused(ValueError, *words):
        poolkit.max_pool2d(X2, **kwargs)


def test_non_integer_stride():
    with refused(TypeError, "stride=1.5"):
        poolkit.avg_pool2d(X2, 2, 1.5)


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "min_pool2d"])
def test_negative_padding(name):
    with refused(ValueError, "padding=-1", "at least 0, got -1"):
        getattr(poolkit, name)(X2, 2, 2, -1)
    with refused(ValueError, "padding=(0, -2)", "got -2"):
        getattr(poolkit, name)(X2, 2, 2, (0, -2))


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "min_pool2d"])
def test_padding_above_half_the_kernel(name):
    with refused(ValueError, "padding=3 must be at most half of kernel_size=4", "3 > 4//2 = 2"):
        getattr(poolkit, name)(np.zeros((1, 1, 9, 9)), 4, 1, 3)
    with refused(ValueError, "padding=(0, 2) must be at most half of kernel_size=(3, 3)", "spatial dimension 1"):
        getattr(poolkit, name)(np.zeros((1, 1, 9, 9)), (3, 3), 1, (0, 2))


@pytest.mark.parametrize("call, words", [
    (lambda: poolkit.max_pool2d(X2, 5), ["output size would be 0", "input size 4", "kernel_size=5"]),
    (lambda: poolkit.max_pool2d(X2, 3, 1, 0, 2), ["output size would be 0", "dilation=2", "span 5"]),
    (lambda: poolkit.avg_pool1d(np.zeros((1, 1, 2)), 3, 1, 0), ["output size would be 0", "input size 2"]),
    (lambda: poolkit.max_pool2d(X2, 5, padding="valid"), ["padding='valid'", "kernel_size=5 > input size 4"]),
    (lambda: poolkit.lp_pool2d(X2, 2, 5), ["output size would be 0", "kernel_size=5"]),
])
def test_output_size_below_one(call, words):
    with refused(ValueError, *words):
        call()


def test_dilated_window_with_no_input_element():
    with refused(ValueError, "window 0", "contains no input element", "dilation=2", "padding=1"):
        poolkit.max_pool1d(np.zeros((1, 1, 1)), 2, 2, 1, 2)


@pytest.mark.parametrize("kwargs, words", [
    (dict(kernel_size=(2, 2, 2)), ["kernel_size=(2, 2, 2)", "sequence of 2 ints", "got 3 values"]),
    (dict(kernel_size=2, stride=(1,)), ["stride=(1,)", "got 1 values"]),
    (dict(kernel_size=2, padding=(0, 0, 0)), ["padding=(0, 0, 0)", "got 3 values"]),
    (dict(kernel_size=2, dilation=[1, 1, 1]), ["dilation=[1, 1, 1]", "got 3 values"]),
])
def test_mismatched_tuple_lengths(kwargs, words):
    with refused(ValueError, *words):
        poolkit.max_pool2d(X2, **kwargs)


# ------------------------------------------------------------------ TensorFlow-style padding
@pytest.mark.parametrize("call, words", [
    (lambda: poolkit.max_pool2d(X2, 2, padding="same", ceil_mode=True), ["ceil_mode=True", "padding='same'"]),
    (lambda: poolkit.min_pool2d(X2, 2, padding="valid", ceil_mode=True), ["ceil_mode=True", "padding='valid'"]),
    (lambda: poolkit.avg_pool2d(X2, 2, padding="valid", divisor_override=2),
     ["divisor_override=2", "padding='valid'"]),
])
def test_string_padding_with_pytorch_only_options(call, words):
    with refused(ValueError, *words):
        call()


def test_same_padding_with_dilation():
    with refused(ValueError, "padding='same' with dilation=2"):
        poolkit.max_pool2d(X2, 2, padding="same", dilation=2)
    with refused(ValueError, "padding='same' with dilation=(1, 3)"):
        poolkit.max_pool2d(X2, 2, padding="same", dilation=(1, 3))


def test_unknown_padding_string():
    with refused(ValueError, "padding='full'", "'valid' or 'same'"):
        poolkit.avg_pool2d(X2, 2, padding="full")


# ------------------------------------------------------------------ options
@pytest.mark.parametrize("call, words", [
    (lambda: poolkit.max_pool2d(X2, 2, ceil_mode="yes"), ["ceil_mode='yes'", "True or False"]),
    (lambda: poolkit.max_pool2d(X2, 2, return_indices=None), ["return_indices=None", "True or False"]),
    (lambda: poolkit.min_pool2d(X2, 2, return_indices="pos"), ["return_indices='pos'", "True or False"]),
    (lambda: poolkit.avg_pool2d(X2, 2, count_include_pad="no"), ["count_include_pad='no'", "True or False"]),
    (lambda: poolkit.adaptive_max_pool2d(X2, 2, return_indices=1), ["return_indices=1", "True or False"]),
])
def test_non_boolean_flags(call, words):
    with refused(TypeError, *words):
        call()


def test_backward_takes_indices_or_positions_not_both():
    _, idx = poolkit.max_pool2d(X2, 2, return_indices=True)
    _, pos = poolkit.pool_positions(X2, 2, dims=2)
    with refused(TypeError, "max_pool2d_backward", "indices or its positions"):
        poolkit.max_pool2d_backward(np.ones((1, 1, 2, 2)), X2, 2, indices=idx, positions=pos)
    for bad in (-1, 16):
        with refused(ValueError, f"positions contains {bad}, outside [0, 16)", "pool_positions"):
            poolkit.max_pool2d_backward(np.ones((1, 1, 2, 2)), X2, 2, positions=np.full_like(pos, bad))


def test_divisor_override_zero_and_non_integer():
    with refused(ValueError, "divisor_override=0", "nonzero"):
        poolkit.avg_pool2d(X2, 2, divisor_override=0)
    with refused(TypeError, "divisor_override=2.5", "int"):
        poolkit.avg_pool2d(X2, 2, divisor_override=2.5)
    with refused(TypeError, "divisor_override=True", "int"):
        poolkit.avg_pool2d(X2, 2, divisor_override=True)


@pytest.mark.parametrize("fmt, fn, words", [
    ("NCHWX", poolkit.max_pool2d, ["data_format='NCHWX'", "'channels_first' or 'channels_last'"]),
    ("channels-last", poolkit.avg_pool2d, ["data_format='channels-last'"]),
    (None, poolkit.max_pool2d, ["data_format=None"]),
    ("NHWC", poolkit.max_pool1d, ["data_format='NHWC' describes 2-D data", "max_pool1d pools 1-D data"]),
    ("NCDHW", poolkit.avg_pool2d, ["data_format='NCDHW' describes 3-D data", "avg_pool2d pools 2-D"]),
])
def test_bad_data_format(fmt, fn, words):
    with refused(ValueError, *words):
        fn(X2 if fn is not poolkit.max_pool1d else X2[0], 2, data_format=fmt)


@pytest.mark.parametrize("method", ["fast", "", None, "NAIVE"])
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"])
def test_bad_method(method, name):
    with refused(ValueError, f"method={method!r}", "'auto' or one of"):
        getattr(poolkit, name)(X2, 2, method=method)


@pytest.mark.parametrize("p", [0, 0.0, float("nan"), "2", True, None])
def test_lp_bad_norm_type(p):
    with refused(ValueError, f"norm_type={p!r}", "nonzero number"):
        poolkit.lp_pool2d(X2, p, 2)


# ------------------------------------------------------------------ adaptive
@pytest.mark.parametrize("output_size, kind, words", [
    ((-1, 2), ValueError, ["output_size=(-1, 2)", "non-negative, got -1"]),
    (-3, ValueError, ["output_size=(-3, -3)", "non-negative"]),
    ((2.0, 2), TypeError, ["output_size=(2.0, 2)", "got 2.0"]),
    ((2, True), TypeError, ["output_size=(2, True)", "got True"]),
    ((2, 2, 2), ValueError, ["output_size=(2, 2, 2)", "2 ints or None"]),
    ("2", ValueError, ["output_size='2'"]),
])
@pytest.mark.parametrize("name", ["adaptive_max_pool2d", "adaptive_avg_pool2d"])
def test_adaptive_bad_output_size(output_size, kind, words, name):
    with refused(kind, *words):
        getattr(poolkit, name)(X2, output_size)


# ------------------------------------------------------------------ unpooling
V = np.ones((1, 1, 2, 2))


@pytest.mark.parametrize("indices, words", [
    (np.full((1, 1, 2, 2), 16), ["indices contains 16", "outside [0, 16)", "4x4 output plane"]),
    (np.full((1, 1, 2, 2), 99), ["indices contains 99"]),
    (np.array([[[[0, 1], [2, -1]]]]), ["indices contains -1", "outside [0, 16)"]),
])
def test_unpool_indices_out_of_range(indices, words):
    with refused(ValueError, *words):
        poolkit.max_unpool2d(V, indices, 2)


def test_unpool_indices_dtype_and_shape():
    with refused(TypeError, "indices has dtype float64", "max_unpool2d needs an integer array"):
        poolkit.max_unpool2d(V, np.zeros((1, 1, 2, 2)), 2)
    with refused(ValueError, "indices has shape (1, 1, 2, 3)", "x has shape (1, 1, 2, 2)"):
        poolkit.max_unpool2d(V, np.zeros((1, 1, 2, 3), np.int64), 2)


@pytest.mark.parametrize("output_size, words", [
    ((6, 4), ["output_size=(6, 4)", "within stride of the default size (4, 4)", "strictly between 2 and 6"]),
    ((4, 2), ["output_size=(4, 2)", "dimension 1"]),
    ((1, 1, 9, 9), ["output_size=(1, 1, 9, 9)"]),
    ((4, 4, 4), ["output_size=(4, 4, 4)", "2 or 4 ints"]),
    ((4, "4"), ["output_size=(4, '4')", "2 or 4 ints"]),
])
def test_unpool_output_size_out_of_range(output_size, words):
    with refused(ValueError, *words):
        poolkit.max_unpool2d(V, np.zeros((1, 1, 2, 2), np.int64), 2, output_size=output_size)


def test_unpool_padding_too_large_for_any_output():
    with refused(ValueError, "output size would be (-1, -1)", "padding=2 is too large"):
        poolkit.max_unpool2d(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 1, 1), np.int64), 3, 1, 2)


# ------------------------------------------------------------------ TensorFlow's argmax
XT = np.zeros((1, 4, 4, 1))


@pytest.mark.parametrize("padding", ["FULL", 1, None, "EXPLICIT"])
def test_argmax_bad_padding(padding):
    with refused(ValueError, f"padding={padding!r}", "'SAME' or 'VALID'"):
        poolkit.max_pool_with_argmax(XT, 2, 2, padding)


@pytest.mark.parametrize("ksize, kind, words", [
    ([2, 2, 2], ValueError, ["ksize=[2, 2, 2]", "got 3 values"]),
    ([2, 2, 2, 1], ValueError, ["ksize=[2, 2, 2, 1]", "1 in the batch and channel entries"]),
    ([1, 2, 2, 3], ValueError, ["ksize=[1, 2, 2, 3]", "1 in the batch and channel entries"]),
    (0, ValueError, ["ksize=0", "positive"]),
    ([1, 0, 2, 1], ValueError, ["ksize=", "positive, got 0"]),
    (2.0, TypeError, ["ksize=2.0"]),
])
def test_argmax_bad_ksize(ksize, kind, words):
    with refused(kind, *words):
        poolkit.max_pool_with_argmax(XT, ksize, 2, "SAME")


def test_argmax_bad_strides_input_and_flag():
    with refused(ValueError, "strides=[1, 2, 2, 2]", "batch and channel"):
        poolkit.max_pool_with_argmax(XT, 2, [1, 2, 2, 2], "SAME")
    with refused(ValueError, "x has shape (4, 4, 1)", "max_pool_with_argmax expects 4-D (N, H, W, C)"):
        poolkit.max_pool_with_argmax(XT[0], 2, 2, "SAME")
    with refused(TypeError, "x has dtype bool", "max_pool_with_argmax"):
        poolkit.max_pool_with_argmax(XT.astype(bool), 2, 2, "SAME")
    with refused(TypeError, "include_batch_in_index=1", "True or False"):
        poolkit.max_pool_with_argmax(XT, 2, 2, "SAME", include_batch_in_index=1)


# ------------------------------------------------------------------ geometry helpers
def test_geometry_helpers_refuse_like_the_functions():
    with refused(ValueError, "kernel_size=0", "positive"):
        poolkit.output_size(4, 0)
    with refused(ValueError, "stride=0", "positive"):
        poolkit.same_padding(4, 2, 0)
    with refused(ValueError, "kernel_size=(2, 2, 2)", "sequence of 2 ints"):
        poolkit.output_size((4, 4), (2, 2, 2))
    with refused(ValueError, "padding=3 must be at most half"):
        poolkit.output_size(8, 4, padding=3)


# ------------------------------------------------------------------ no raw numpy errors
GOOD = [1, 2, 3, (2, 1), (1, 2), (1, 2, 1)]
JUNK = [0, -1, 2.5, True, None, "2", (1,), (2, 2, 2, 2), (0, 2), (2, -1), (1.0, 2), [3, 1], "same", "valid", "VALID"]
ARG = st.sampled_from(GOOD * 6 + JUNK)
OWN_MESSAGE = re.compile(r"^(\w+=|(x|indices|input) (has|contains) |output size would be |window \d+)")
"""How poolkit's messages begin: the parameter and its value, or what is wrong with the input."""


def assert_own_error(err):
    """``err`` is a plain ValueError/TypeError raised by poolkit with one of its messages."""
    assert type(err) in (ValueError, TypeError), repr(err)
    frame = traceback.extract_tb(err.__traceback__)[-1]
    assert Path(frame.filename).resolve().is_relative_to(POOLKIT), f"{frame.filename}:{frame.lineno}: {err!r}"
    assert OWN_MESSAGE.match(str(err)), f"not a poolkit message: {err!r}"
    event(f"{type(err).__name__}: {str(err).split('=')[0].split(';')[0][:40]}")


def tuple_fits(v, dims):
    return not isinstance(v, (tuple, list)) or len(v) == dims


@settings(max_examples=examples(400))
@given(name=st.sampled_from(["max_pool", "min_pool", "avg_pool", "lp_pool", "adaptive_max_pool",
                             "adaptive_avg_pool"]),
       dims=st.integers(1, 3), ndim_shift=st.sampled_from([0] * 16 + [-1, 1, -2]),
       dtype=st.sampled_from(["float64"] * 12 + ["float32", "int32", "uint8", "bool", "complex64"]),
       size=st.integers(0, 6), a=ARG, b=ARG | st.none(), c=st.sampled_from([0, 1] * 6 + JUNK), d=ARG,
       fmt=st.sampled_from(["channels_first"] * 12 + ["channels_last"] * 4 + ["NHWC", "NCW", "bad"]),
       method=st.sampled_from(list(METHODS) * 3 + ["bogus"]),
       flag=st.sampled_from([False, True] * 4 + [1]))
def test_bad_arguments_never_escape_as_numpy_errors(name, dims, ndim_shift, dtype, size, a, b, c, d, fmt, method,
                                                     flag):
    """Any mix of odd arguments either works or raises poolkit's own ValueError/TypeError."""
    x = np.zeros((1, 2) + (size,) * dims)[(0,) * max(0, -ndim_shift)] if ndim_shift <= 0 else \
        np.zeros((1,) * ndim_shift + (1, 2) + (size,) * dims)
    x = x.astype(dtype)
    fn = getattr(poolkit, f"{name}{dims}d")
    calls = {
        "max_pool": lambda: fn(x, a, b, c, d, flag, flag, data_format=fmt, method=method),
        "min_pool": lambda: fn(x, a, b, c, d, flag, data_format=fmt, method=method),
        "avg_pool": lambda: fn(x, a, b, c, flag, flag, d if d != "same" else None, data_format=fmt, method=method),
        "lp_pool": lambda: fn(x, d, a, b, flag, data_format=fmt, method=method),
        "adaptive_max_pool": lambda: fn(x, a, flag, data_format=fmt, method=method),
        "adaptive_avg_pool": lambda: fn(x, a, data_format=fmt, method=method),
    }
    try:
        with np.errstate(all="ignore"):
            calls[name]()
        event("accepted")
    except (ValueError, TypeError) as err:
        assert_own_error(err)


@settings(max_examples=examples(200))
@given(dims=st.integers(1, 3), a=ARG, b=ARG | st.none(), c=st.sampled_from([0, 1] + JUNK),
       out=st.sampled_from([None, None, 2, "4", (4,), (4, 4), (1, 2, 4, 4), (4, 4, 4), (1, 2, 4, 4, 4), (4.0, 4)]),
       idx_kind=st.sampled_from(["ok", "ok", "big", "negative", "float", "shape"]))
def test_bad_unpool_arguments_never_escape_as_numpy_errors(dims, a, b, c, out, idx_kind):
    v = np.ones((1, 2) + (2,) * dims)
    idx = {"ok": np.zeros(v.shape, np.int64), "big": np.full(v.shape, 10**6), "negative": -np.ones(v.shape, int),
           "float": np.zeros(v.shape), "shape": np.zeros((1, 2) + (3,) * dims, np.int64)}[idx_kind]
    try:
        getattr(poolkit, f"max_unpool{dims}d")(v, idx, a, b, c, out)
        event("accepted")
    except (ValueError, TypeError) as err:
        assert_own_error(err)


# ------------------------------------------------------------------ issue 17, item 8: the teaching functions too
@pytest.mark.parametrize("x", [np.ones((4, 4)), np.ones(4), np.ones((1,) * 6)])
def test_im2col_names_the_layout_it_expects(x):
    with refused(ValueError, f"x has shape {x.shape}", "im2col expects (N, C, L)"):
        poolkit.im2col.im2col(x, 2)


def test_im2col_refuses_a_non_numeric_array():
    with refused(TypeError, "x has dtype bool", "im2col"):
        poolkit.im2col.im2col(np.ones((1, 1, 4, 4), bool), 2)


def test_col2im_checks_the_shape_of_cols():
    with refused(ValueError, "cols has shape (3, 4)", "col2im expects (4, 4)"):
        poolkit.im2col.col2im(np.ones((3, 4)), (1, 1, 3, 3), 2, stride=1)


def test_col2im_checks_x_shape():
    with refused(ValueError, "x_shape=(3, 3)", "col2im expects"):
        poolkit.im2col.col2im(np.ones((4, 4)), (3, 3), 2, stride=1)


def test_naive_pool2d_refuses_a_window_larger_than_x():
    with refused(ValueError, "pool_size=(3, 3)", "does not fit", "(2, 2)"):
        poolkit.naive.pool2d(np.ones((2, 2)), (3, 3))


def test_naive_pool2d_takes_an_int_pool_size():
    x = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(poolkit.naive.pool2d(x, 2), poolkit.naive.pool2d(x, (2, 2)))


@pytest.mark.parametrize("pool_size, kind, words", [
    ((2, 2, 2), ValueError, ["pool_size=(2, 2, 2)", "sequence of 2 ints"]),
    ((0, 2), ValueError, ["pool_size=(0, 2)", "positive"]),
    (2.5, TypeError, ["pool_size=2.5"]),
])
def test_naive_pool2d_checks_pool_size(pool_size, kind, words):
    with refused(kind, *words):
        poolkit.naive.pool2d(np.ones((3, 3)), pool_size)


@pytest.mark.parametrize("shape", [(3, 3, 2), (3,), ()])
def test_naive_pool2d_refuses_anything_but_2d(shape):
    with refused(ValueError, f"X has shape {shape}", "2-D (H, W)"):
        poolkit.naive.pool2d(np.ones(shape), (2, 2))


def test_naive_pool2d_mode_is_a_value_error_not_an_assert():
    with refused(ValueError, "mode='mean'"):
        poolkit.naive.pool2d(np.ones((3, 3)), (2, 2), mode="mean")


@pytest.mark.parametrize("method", ["naive", "im2col", "windows", "separable"])
def test_engine_mode_is_a_value_error(method):
    axes = poolkit.geometry.build_axes((4,), 2)
    with refused(ValueError, "mode='mean'"):
        poolkit.functional.METHODS[method].extreme(np.ones((1, 1, 4)), axes, "mean")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "uint8"])
@pytest.mark.parametrize("mode", ["max", "min", "avg"])
def test_naive_pool2d_keeps_the_dtype(dtype, mode):
    y = poolkit.naive.pool2d(np.arange(9).reshape(3, 3).astype(dtype), (2, 2), mode)
    expected = np.dtype(dtype) if mode != "avg" or np.dtype(dtype).kind == "f" else np.dtype(np.float64)
    assert y.dtype == expected


@pytest.mark.parametrize("method", ["auto", "naive", "im2col", "windows", "separable"])
def test_average_of_uint64_is_refused_not_wrapped(method):
    """[2**63, 2**63] summed in int64 (or uint64) wraps to 0: refused, by every method alike."""
    x = np.array([[[2**63, 2**63]]], dtype=np.uint64)
    with refused(TypeError, "x has dtype uint64", "avg_pool1d", "int64"):
        poolkit.avg_pool1d(x, 2, method=method)


@pytest.mark.parametrize("method", ["auto", "naive", "im2col", "windows", "separable"])
def test_max_of_uint64_works_with_every_method(method):
    x = np.array([[[2**63, 2**64 - 1, 3, 2**63 + 1]]], dtype=np.uint64)
    y = poolkit.max_pool1d(x, 2, method=method)
    assert y.dtype == np.uint64 and y.ravel().tolist() == [2**64 - 1, 2**63 + 1]


@pytest.mark.parametrize("method", ["auto", "windows"])
def test_average_of_other_unsigned_types_works(method):
    x = np.array([[[250, 255, 4, 0]]], dtype=np.uint8)
    assert poolkit.avg_pool1d(x, 2, method=method).ravel().tolist() == [252, 2]
    x = np.array([[[2**32 - 1, 2**32 - 1]]], dtype=np.uint32)
    assert poolkit.avg_pool1d(x, 2, method=method).ravel().tolist() == [2**32 - 1]


@pytest.mark.parametrize("p", [np.int64(2), np.float64(2.0), np.int32(3), 2])
def test_lp_pool_keeps_float32_whatever_the_type_of_norm_type(p):
    x = np.random.default_rng(0).random((1, 1, 4, 4)).astype(np.float32)
    assert poolkit.lp_pool2d(x, p, 2).dtype == np.float32
    assert poolkit.lp_pool2d_backward(np.ones((1, 1, 2, 2), np.float32), x, p, 2).dtype == np.float32
    np.testing.assert_array_equal(poolkit.lp_pool2d(x, p, 2), poolkit.lp_pool2d(x, float(p), 2))


def test_lp_pool_layer_is_not_changed_by_changing_x_in_place():
    rng = np.random.default_rng(0)
    x = rng.random((1, 1, 4, 4)) + 0.5
    layer = poolkit.LPPool2d(2, 2)
    layer.forward(x)
    dy = np.ones((1, 1, 2, 2))
    before = layer.backward(dy)
    x[...] = rng.random(x.shape) + 0.5
    np.testing.assert_array_equal(layer.backward(dy), before)


def test_count_include_pad_defaults_to_true_and_string_padding_averages_real_elements():
    """count_include_pad defaults to True, as documented (PyTorch's default); with TensorFlow's
    "same"/"valid" the divisor is always the number of real elements, whatever the flag."""
    assert inspect.signature(poolkit.avg_pool2d).parameters["count_include_pad"].default is True
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    want = poolkit.avg_pool2d(x, 2, padding="same", count_include_pad=False)
    np.testing.assert_array_equal(poolkit.avg_pool2d(x, 2, padding="same"), want)
    assert want[0, 0, -1, -1] == x[0, 0, -1, -1]          # the corner window holds one real element


def test_return_indices_is_a_bool():
    with refused(TypeError, "return_indices='positions'", "True or False"):
        poolkit.max_pool2d(X2, 2, return_indices="positions")
