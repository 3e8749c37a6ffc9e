"""poolkit.interop: every translation is run against the framework it imitates.

TensorFlow to PyTorch: a TensorFlow pooling (1-3 spatial dims, VALID, SAME, explicit
pads, dilation; either layout) and the PyTorch code ``to_torch`` writes for it run on
the same random input. PyTorch to TensorFlow: the same with PyTorch's padding,
ceil_mode, count_include_pad, divisor_override and dilation. Max pooling must agree
exactly, averages to float rounding; with ``match_special=True`` also on NaN and
infinities. Then the index conversions, whole models, and the errors.

The examples are derandomized (tests/conftest.py), so every run checks the same ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import examples
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from oracles import has_empty_window, make_input, tf, torch

import poolkit
from poolkit import interop

SEEDS = st.integers(0, 2**32 - 1)


def per_dim(draw, values, dims):
    """An int or a tuple of ``dims`` ints (the int only when all entries are equal)."""
    v = tuple(draw(values) for _ in range(dims))
    return v[0] if len(set(v)) == 1 and draw(st.booleans()) else v


def tup(v, dims):
    return tuple(v) if isinstance(v, tuple) else (v,) * dims


def move(x, last, to_last):
    """Move the channel axis between position 1 and the end."""
    if last == to_last:
        return x
    return np.moveaxis(x, 1, -1) if to_last else np.moveaxis(x, -1, 1)


def assert_same(got, want, kind, dtype):
    """Max: identical values (NaN equal to NaN). Averages: close for the dtype."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"dtype {got.dtype} != {want.dtype}"
    if kind == "max":
        np.testing.assert_array_equal(got, want)
    else:
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


def random_input(seed, shape, dtype, ties):
    rng = np.random.default_rng(seed)
    if ties:
        return rng.integers(-2, 3, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def eigen_3d_shift(sizes, k, s):
    """TensorFlow's Eigen 3-D SAME kernel (the one TF_ENABLE_ONEDNN_OPTS=0 selects) places the
    windows of a dimension wrongly when (O-1)*s + k - L <= -2 (semantics.md, section 1)."""
    return any((-(-L // si) - 1) * si + ki - L <= -2 for L, ki, si in zip(sizes, k, s))


# ---------------------------------------------------------------- TensorFlow -> PyTorch
@st.composite
def tf_configs(draw):
    dims = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["max", "avg"]))
    mode = draw(st.sampled_from(["VALID", "SAME", "SAME", "EXPLICIT", "DILATED"]))
    if mode == "EXPLICIT" and (kind == "avg" or dims == 3):
        mode = "SAME"
    if mode == "DILATED" and kind == "avg":
        mode = "VALID"
    big = 3 if dims < 3 else 2
    pool_size = per_dim(draw, st.integers(1, big + 1), dims)
    k = tup(pool_size, dims)
    strides = None if mode == "DILATED" else draw(st.none() | st.just(per_dim(draw, st.integers(1, 3), dims)))
    s = k if strides is None else tup(strides, dims)
    d = tuple(draw(st.integers(1, 3)) for _ in range(dims)) if mode == "DILATED" else (1,) * dims
    if mode == "DILATED":
        strides, s = 1, (1,) * dims
    pads = tuple((draw(st.integers(0, ki - 1)), draw(st.integers(0, ki - 1))) for ki in k) \
        if mode == "EXPLICIT" else None
    sizes = []
    for i in range(dims):
        eff = (k[i] - 1) * d[i] + 1
        lo = 1 if mode == "SAME" else max(1, eff - (sum(pads[i]) if pads else 0))
        sizes.append(draw(st.integers(lo, lo + (5 if dims < 3 else 3))))
    assume(not (dims == 3 and mode == "SAME" and eigen_3d_shift(sizes, k, s)))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return dict(dims=dims, kind=kind, mode=mode, pool_size=pool_size, strides=strides, k=k, s=s, d=d, pads=pads,
                shape=(n,) + tuple(sizes) + (c,),
                dtype=draw(st.sampled_from([np.float32, np.float64])) if dims < 3 else np.float32,
                data_format=draw(st.sampled_from(["channels_last", "channels_first"])),
                layout=draw(st.sampled_from([None, "channels_first", "channels_last"])))


def tf_reference(cfg, x_nhwc):
    """TensorFlow's own pooling of a channels-last numpy array."""
    T = tf()
    x = T.constant(x_nhwc)
    dims, k, s = cfg["dims"], cfg["k"], cfg["s"]
    if cfg["mode"] == "DILATED":
        return T.nn.pool(x, k, cfg["kind"].upper(), strides=s, padding="VALID", dilations=cfg["d"]).numpy()
    padding = cfg["mode"]
    if padding == "EXPLICIT":
        padding = [[0, 0]] + [list(p) for p in cfg["pads"]] + [[0, 0]]
    return getattr(T.nn, f"{cfg['kind']}_pool{dims}d")(x, k, s, padding).numpy()


def tf_args(cfg):
    """to_torch's arguments for a configuration; explicit pads in the data format's layout."""
    last = cfg["data_format"] == "channels_last"
    padding = cfg["mode"] if cfg["mode"] in ("VALID", "SAME") else "VALID"
    if cfg["mode"] == "EXPLICIT":
        rows = [list(p) for p in cfg["pads"]]
        padding = [[0, 0]] + rows + [[0, 0]] if last else [[0, 0], [0, 0]] + rows
    shape = cfg["shape"] if last else move(np.empty(cfg["shape"]), True, False).shape
    return dict(kind=cfg["kind"], pool_size=cfg["pool_size"], strides=cfg["strides"], padding=padding,
                data_format=cfg["data_format"], input_shape=(None,) + tuple(shape[1:]),
                dilations=cfg["d"] if cfg["mode"] == "DILATED" else 1, layout=cfg["layout"])


@settings(max_examples=examples(150))
@given(cfg=tf_configs(), seed=SEEDS, ties=st.booleans())
def test_to_torch_matches_tensorflow(cfg, seed, ties):
    x = random_input(seed, cfg["shape"], cfg["dtype"], ties)
    want = tf_reference(cfg, x)
    t = interop.to_torch(**tf_args(cfg))
    assert t.framework == "torch"
    code_last = t.layout == "channels_last"
    got = t(np.ascontiguousarray(move(x, True, code_last)))
    assert got.shape[1:] == tuple(t.output_shape[1:])
    assert_same(move(got, code_last, True), want, cfg["kind"], cfg["dtype"])
    assert t.layout == ("channels_last" if (cfg["layout"] or cfg["data_format"]) == "channels_last"
                        else "channels_first")
    assert t.size_specific == (cfg["mode"] == "SAME")


@settings(max_examples=examples(60))
@given(cfg=tf_configs(), seed=SEEDS)
def test_to_torch_match_special_reproduces_tensorflow_nan_and_lowest(cfg, seed):
    assume(cfg["kind"] == "max" and cfg["dims"] < 3)
    x = make_input(seed, cfg["shape"], cfg["dtype"], "special")
    want = tf_reference(cfg, x)
    t = interop.to_torch(**tf_args(cfg), match_special=True)
    code_last = t.layout == "channels_last"
    got = move(t(np.ascontiguousarray(move(x, True, code_last))), code_last, True)
    np.testing.assert_array_equal(got, want)


def test_to_torch_same_max_is_an_explicit_asymmetric_pad():
    t = interop.to_torch("max", 3, 2, "SAME", "NHWC", (None, 8, 8, 3))
    assert [s.op for s in t.steps] == ["guard", "layout", "pad", "pool", "layout"]
    pad = t.steps[2]
    assert pad.params == {"pads": ((0, 1), (0, 1)), "value": -np.inf}
    assert "x = F.pad(x, pad=(0, 1, 0, 1), value=-math.inf)" in t.code
    assert "y = F.max_pool2d(x, kernel_size=3, stride=2)" in t.code
    assert t.output_shape == (None, 4, 4, 3)
    with pytest.raises(ValueError, match=r"made for spatial size \(8, 8\), got \(7, 7\)"):
        t(np.zeros((1, 7, 7, 3), np.float32))


def test_to_torch_symmetric_same_average_uses_count_include_pad_false():
    t = interop.to_torch("avg", 3, 2, "SAME", "NHWC", (None, 7, 7, 3))
    pool = [s for s in t.steps if s.op == "pool"][0]
    assert pool.params["padding"] == (1, 1) and pool.params["count_include_pad"] is False
    assert "mask" not in t.code


def test_code_is_self_contained():
    """The code text alone (no poolkit) defines the function that __call__ runs."""
    for t in (interop.to_torch("avg", 2, 1, "SAME", input_shape=(None, 5, 5, 3)),
              interop.to_tensorflow("max", 2, 2, 1, dilation=2, input_shape=(2, 3, 7, 7), match_special=True)):
        assert "poolkit" not in t.code
        namespace = {}
        exec(t.code, namespace)
        x = np.random.default_rng(0).standard_normal(t.input_shape[:0] + (2,) + t.input_shape[1:]) \
            .astype(np.float32)
        fw = torch() if t.framework == "torch" else tf()
        arg = fw.from_numpy(x) if t.framework == "torch" else fw.constant(x)
        np.testing.assert_array_equal(np.asarray(namespace["pool"](arg)), t(x))
        compile(t.code, "<code>", "exec")


# ---------------------------------------------------------------- PyTorch -> TensorFlow
@st.composite
def torch_configs(draw):
    dims = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["max", "avg"]))
    big = 4 if dims < 3 else 3
    kernel_size = per_dim(draw, st.integers(1, big), dims)
    k = tup(kernel_size, dims)
    stride = draw(st.none() | st.just(per_dim(draw, st.integers(1, 3), dims)))
    s = k if stride is None else tup(stride, dims)
    padding = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    dilation = per_dim(draw, st.integers(1, 3), dims) if kind == "max" and draw(st.booleans()) else 1
    d = tup(dilation, dims)
    ceil_mode = draw(st.booleans())
    cip = draw(st.booleans())
    override = draw(st.sampled_from([None, None, 1, 3, -2, 7])) if kind == "avg" and dims > 1 else None
    sizes = []
    for ki, pi, di in zip(k, padding, d):
        lo = max(1, (ki - 1) * di + 1 - 2 * pi)
        if kind == "avg" and dims == 3:
            lo = max(lo, ki)  # avg_pool3d wants every size >= its kernel
        sizes.append(draw(st.integers(lo, lo + (5 if dims < 3 else 3))))
    assume(not has_empty_window(sizes, k, s, padding, d, ceil_mode))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return dict(dims=dims, kind=kind, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                ceil_mode=ceil_mode, count_include_pad=cip, divisor_override=override,
                shape=(n, c) + tuple(sizes),
                dtype=draw(st.sampled_from([np.float32, np.float64])) if dims < 3 else np.float32,
                layout=draw(st.sampled_from(["channels_first", "channels_last"])),
                give_shape=draw(st.booleans()) or ceil_mode)


def torch_reference(cfg, x):
    F = torch().nn.functional
    t = torch().from_numpy(x)
    dims = cfg["dims"]
    if cfg["kind"] == "max":
        return getattr(F, f"max_pool{dims}d")(t, cfg["kernel_size"], cfg["stride"], cfg["padding"],
                                              cfg["dilation"], cfg["ceil_mode"]).numpy()
    extra = () if dims == 1 else (cfg["divisor_override"],)
    return getattr(F, f"avg_pool{dims}d")(t, cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["ceil_mode"],
                                          cfg["count_include_pad"], *extra).numpy()


def torch_args(cfg):
    kw = dict(kind=cfg["kind"], kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
              dilation=cfg["dilation"], ceil_mode=cfg["ceil_mode"], layout=cfg["layout"])
    if cfg["kind"] == "avg":
        kw.update(count_include_pad=cfg["count_include_pad"], divisor_override=cfg["divisor_override"])
    if cfg["give_shape"]:
        kw["input_shape"] = (None,) + cfg["shape"][1:]
    return kw


@settings(max_examples=examples(150))
@given(cfg=torch_configs(), seed=SEEDS, ties=st.booleans())
def test_to_tensorflow_matches_torch(cfg, seed, ties):
    x = random_input(seed, cfg["shape"], cfg["dtype"], ties)
    want = torch_reference(cfg, x)
    t = interop.to_tensorflow(**torch_args(cfg))
    assert t.framework == "tensorflow"
    last = cfg["layout"] == "channels_last"
    got = move(t(np.ascontiguousarray(move(x, False, last))), last, False)
    assert_same(got, want, cfg["kind"], cfg["dtype"])
    if t.output_shape is not None:
        assert move(np.empty((1,) + t.output_shape[1:]), last, False).shape[1:] == want.shape[1:]


@settings(max_examples=examples(60))
@given(cfg=torch_configs(), seed=SEEDS)
def test_to_tensorflow_match_special_reproduces_torch_nan_and_inf(cfg, seed):
    assume(cfg["kind"] == "max")
    x = make_input(seed, cfg["shape"], cfg["dtype"], "special")
    want = torch_reference(cfg, x)
    t = interop.to_tensorflow(**torch_args(cfg), match_special=True)
    last = cfg["layout"] == "channels_last"
    got = move(t(np.ascontiguousarray(move(x, False, last))), last, False)
    np.testing.assert_array_equal(got, want)


def test_special_values_differ_without_match_special():
    """The one documented difference: TensorFlow skips NaN and floors at the lowest value."""
    x = np.array([[[np.nan, 2.0, 3.0, 0.0, -np.inf, -np.inf]]], np.float32)  # (N, C, L)
    want = torch_reference(dict(dims=1, kind="max", kernel_size=2, stride=None, padding=0, dilation=1,
                                ceil_mode=False), x)
    np.testing.assert_array_equal(want, [[[np.nan, 3.0, -np.inf]]])
    plain = interop.to_tensorflow("max", 2, input_shape=x.shape)(x)
    np.testing.assert_array_equal(plain, [[[2.0, 3.0, np.finfo(np.float32).min]]])
    np.testing.assert_array_equal(interop.to_tensorflow("max", 2, input_shape=x.shape, match_special=True)(x), want)


def test_same_shortcut_only_for_the_sizes_where_windows_agree():
    """nn.MaxPool2d(3, 2, 1) is TensorFlow's SAME on odd sizes and not on even ones."""
    odd = interop.to_tensorflow("max", 3, 2, 1, input_shape=(1, 3, 7, 7))
    even = interop.to_tensorflow("max", 3, 2, 1, input_shape=(1, 3, 8, 8))
    assert "padding='SAME'" in odd.code and odd.size_specific
    assert "tf.pad" in even.code and "padding='VALID'" in even.code and not even.size_specific


def test_count_include_pad_true_is_zero_padding_then_valid():
    t = interop.to_tensorflow("avg_pool2d", 3, 2, 1)
    assert [s.op for s in t.steps] == ["layout", "pad", "pool", "layout"]
    assert t.steps[1].params == {"pads": ((1, 1),) * 2, "value": 0}
    assert not t.size_specific and t.input_shape is None


def test_divisor_override_is_a_scale():
    t = interop.to_tensorflow("avg", 2, divisor_override=3, input_shape=(1, 1, 4, 4))
    scale = [s for s in t.steps if s.op == "scale"]
    assert scale and scale[0].params == {"factor": (4, 3)}


def test_eigen_3d_same_is_avoided():
    """A 3-D configuration whose windows are SAME's, where TensorFlow's Eigen 3-D kernel misplaces them,
    is translated with an explicit pad instead."""
    t = interop.to_tensorflow("max", 1, 3, 0, input_shape=(1, 1, 6, 6, 6))
    assert "SAME" not in t.code
    x = random_input(3, (1, 1, 6, 6, 6), np.float32, False)
    np.testing.assert_array_equal(t(x), x[:, :, ::3, ::3, ::3])


def test_adaptive_pooling_divisible_sizes():
    x = random_input(1, (2, 3, 6, 4), np.float32, False)
    for kind, output_size in (("adaptive_avg", 1), ("adaptive_max", (3, 2)), ("adaptive_avg", (None, 2))):
        t = interop.to_tensorflow(kind, output_size=output_size, input_shape=x.shape)
        fn = getattr(torch().nn.functional, f"{kind}_pool2d")
        want = fn(torch().from_numpy(x), output_size).numpy()
        assert_same(t(x), want, kind.split("_")[1], np.float32)


# ---------------------------------------------------------------- indices
@settings(max_examples=examples(40))
@given(cfg=tf_configs(), seed=SEEDS, include_batch=st.booleans())
def test_index_translation_matches_max_pool_with_argmax(cfg, seed, include_batch):
    assume(cfg["dims"] == 2 and cfg["mode"] in ("VALID", "SAME"))
    T = tf()
    n, h, w, c = cfg["shape"]
    x = np.random.default_rng(seed).permutation(n * h * w * c).reshape(cfg["shape"]).astype(np.float32)
    values, argmax = T.nn.max_pool_with_argmax(x, cfg["k"], cfg["s"], cfg["mode"],
                                               include_batch_in_index=include_batch)
    x_cf = np.ascontiguousarray(np.moveaxis(x, -1, 1))
    if cfg["mode"] == "VALID":
        _, idx = torch().nn.functional.max_pool2d(torch().from_numpy(x_cf), cfg["k"], cfg["s"], return_indices=True)
        idx = idx.numpy()
    else:  # PyTorch has no SAME; poolkit's indices are PyTorch's (tests/test_oracle_torch.py)
        _, idx = poolkit.max_pool2d(x_cf, cfg["k"], cfg["s"], "same", return_indices=True)
    np.testing.assert_array_equal(interop.torch_indices_to_tf(idx, x_cf.shape, include_batch), argmax.numpy())
    np.testing.assert_array_equal(interop.tf_argmax_to_torch(argmax.numpy(), x.shape, include_batch), idx)


def test_index_formulas_on_a_small_example():
    x = np.arange(2 * 2 * 4 * 4, dtype=np.float32).reshape(2, 2, 4, 4)  # (N, C, H, W)
    _, idx = torch().nn.functional.max_pool2d(torch().from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx[0, 0].numpy(), [[5, 7], [13, 15]])
    tf_idx = interop.torch_indices_to_tf(idx.numpy(), x.shape)
    np.testing.assert_array_equal(tf_idx[0, :, :, 1], [[11, 15], [27, 31]])  # (h*W + w)*C + c
    with_batch = interop.torch_indices_to_tf(idx.numpy(), x.shape, include_batch_in_index=True)
    np.testing.assert_array_equal(with_batch[1] - tf_idx[1], 4 * 4 * 2)
    with pytest.raises(ValueError, match="include_batch_in_index=True"):
        interop.tf_argmax_to_torch(with_batch, (2, 4, 4, 2))
    with pytest.raises(ValueError, match="another channel"):
        interop.tf_argmax_to_torch(tf_idx[..., ::-1], (2, 4, 4, 2))


# ---------------------------------------------------------------- models
def test_torch_model_pooling_layers_to_tensorflow():
    nn = torch().nn
    torch().manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
        nn.Conv2d(4, 4, 3, padding=1), nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
        nn.MaxPool2d(2, ceil_mode=True), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    mt = interop.translate_model(model, (2, 3, 17, 17))
    assert [t.name for t in mt.layers] == ["2", "4", "5", "6"]
    assert [t.input_shape for t in mt.layers] == [(2, 4, 15, 15), (2, 4, 8, 8), (2, 4, 5, 5), (2, 4, 3, 3)]
    assert all(t.translation.layout == "channels_last" for t in mt.layers)
    errors = mt.compare(seed=0)
    assert max(errors.values()) < 1e-5, errors
    assert mt.code.count("def pool_") == 4 and mt.code.count("import tensorflow as tf") == 1
    assert "layer" in str(mt)


def test_keras_model_pooling_layers_to_torch():
    keras = tf().keras
    keras.utils.set_random_seed(0)
    L = keras.layers
    model = keras.Sequential([
        keras.Input((12, 12, 3)), L.Conv2D(4, 3), L.MaxPooling2D(3, 2, padding="same"),
        L.AveragePooling2D(2, 1, padding="same"), L.AveragePooling2D(2), L.GlobalAveragePooling2D()])
    mt = interop.translate_model(model)
    assert [type(t.layer).__name__ for t in mt.layers] == ["MaxPooling2D", "AveragePooling2D", "AveragePooling2D",
                                                           "GlobalAveragePooling2D"]
    errors = mt.compare(seed=0)
    assert max(errors.values()) < 1e-5, errors
    assert all(t.translation.layout == "channels_first" for t in mt.layers)


def test_keras_1d_and_3d_models():
    keras = tf().keras
    L = keras.layers
    for model in (keras.Sequential([keras.Input((11, 2)), L.MaxPooling1D(2, padding="same"),
                                    L.AveragePooling1D(3, 2, padding="same"), L.GlobalMaxPooling1D()]),
                  keras.Sequential([keras.Input((5, 6, 7, 2)), L.MaxPooling3D(2, padding="same"),
                                    L.AveragePooling3D((1, 2, 2)), L.GlobalAveragePooling3D(keepdims=True)])):
        errors = interop.translate_model(model).compare(seed=1)
        assert max(errors.values()) < 1e-5, errors


def test_models_with_layers_that_have_no_equivalent():
    nn = torch().nn
    with pytest.raises(ValueError, match=r"layer '1' \(LPPool2d.*no TensorFlow equivalent"):
        interop.translate_model(nn.Sequential(nn.Identity(), nn.LPPool2d(2, 2)), (1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"layer '0'.*5 is not a multiple of 3"):
        interop.translate_model(nn.Sequential(nn.AdaptiveMaxPool2d(3)), (1, 1, 5, 6))
    with pytest.raises(ValueError, match="input_shape"):
        interop.translate_model(nn.Sequential(nn.MaxPool2d(2)))


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize("call, match", [
    (lambda: interop.to_torch("avg", 2, 1, "VALID", input_shape=(1, 5, 5, 1), dilations=2),
     "avg_pool has no dilation"),
    (lambda: interop.to_torch("max", 2, 2, "VALID", input_shape=(1, 5, 5, 1), dilations=2),
     "strides=1"),
    (lambda: interop.to_torch("avg", 2, 1, [[0, 0], [1, 0], [0, 0]], "NWC"), "explicit padding exists only"),
    (lambda: interop.to_torch("max", 2, 1, [[0, 0], [2, 0], [0, 0]], "NWC"), "smaller than the window size 2"),
    (lambda: interop.to_torch("max", 2, 1, "SAME", data_format="NHWC"), "give input_shape"),
    (lambda: interop.to_torch("max", 2, 1, "same", input_shape=(1, 4, 4, 4, 1), match_special=True),
     "3-D max pool"),
    (lambda: interop.to_torch("max", 2), "cannot tell how many spatial dimensions"),
    (lambda: interop.to_torch("sum", 2, data_format="NHWC"), "kind='sum' must be one of"),
    (lambda: interop.to_torch("max", 2, 2, "full", data_format="NHWC"), "padding='full'"),
    (lambda: interop.to_torch("max", [1, 2, 2, 2], 2, data_format="NHWC"), "batch and channel entries"),
    (lambda: interop.to_tensorflow("avg_pool2d", 3, dilation=2), "avg_pool has no dilation"),
    (lambda: interop.to_tensorflow("avg_pool1d", 3, divisor_override=2), "avg_pool1d has none"),
    (lambda: interop.to_tensorflow("max_pool2d", 3, ceil_mode=True), "ceil_mode=True.*input_shape"),
    (lambda: interop.to_tensorflow("max_pool2d", 4, padding=3), "at most half of kernel_size=4"),
    (lambda: interop.to_tensorflow("adaptive_avg_pool2d", output_size=2), "give input_shape"),
    (lambda: interop.to_tensorflow("adaptive_avg", output_size=3, input_shape=(1, 1, 7)),
     "7 is not a multiple of 3"),
    (lambda: interop.to_tensorflow("max_pool2d", 2, input_shape=(1, 4, 4)), "pools 2-D data"),
    (lambda: interop.torch_indices_to_tf(np.array([[[4]]]), (1, 1, 2)), r"must lie in \[0, 2\)"),
    (lambda: interop.torch_indices_to_tf(np.zeros((1, 2, 1)), (1, 2, 2)), "dtype float64"),
])
def test_errors_name_the_parameter_and_the_rule(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# ---------------------------------------------------------------- the exercises of chapters 5-7
def avg_exclude_pad(x, k, s, p):
    padded, real = np.pad(x, p), np.pad(np.ones_like(x), p)
    n = (len(padded) - k) // s + 1
    return np.array([padded[i * s: i * s + k].sum() / real[i * s: i * s + k].sum() for i in range(n)])


def adaptive_avg_pool1d(x, output_size):
    L = x.shape[-1]
    return np.stack([x[:, (i * L) // output_size: -(-(i + 1) * L // output_size)].mean(axis=1)
                     for i in range(output_size)], axis=1)


def max_unpool1d(y, indices, length):
    out = np.zeros(y.shape[:-1] + (length,))
    for c in range(y.shape[0]):
        out[c, indices[c]] = y[c]
    return out


def tf_max_pool1d(x, k, s):
    return tf().nn.max_pool1d(x[None, :, None], k, s, "VALID").numpy()[0, :, 0]


def conv_pool_size(n, conv_k, conv_s, conv_padding, pool_k, pool_s, pool_padding):
    def size(n, k, s, padding):
        return -(-n // s) if padding == "same" else (n - k) // s + 1
    return size(size(n, conv_k, conv_s, conv_padding), pool_k, pool_s, pool_padding)


def tf_argmax(x, k, s):
    return tf().nn.max_pool_with_argmax(x, k, s, "VALID")[1].numpy()


def same_max_pool_torch(x, k, s):
    F = torch().nn.functional
    t = torch().from_numpy(x).permute(0, 3, 1, 2)
    pads = []
    for n in reversed(t.shape[2:]):
        need = max(0, (-(-n // s) - 1) * s + k - n)
        pads += [need // 2, need - need // 2]
    return F.max_pool2d(F.pad(t, pads, value=-np.inf), k, s).permute(0, 2, 3, 1).numpy()


def avg_pool_tf(x, k, s, p):
    T = tf()
    t = T.pad(T.transpose(x, (0, 2, 3, 1)), [[0, 0], [p, p], [p, p], [0, 0]])
    return T.transpose(T.nn.avg_pool2d(t, k, s, "VALID"), (0, 3, 1, 2)).numpy()


def ceil_mode_pads(n, k, s, p):
    out = -(-(n + 2 * p - k) // s) + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return p, max(0, (out - 1) * s + k - n - p)


SOLUTIONS = {f.__name__: f for f in (avg_exclude_pad, adaptive_avg_pool1d, max_unpool1d, tf_max_pool1d,
                                       conv_pool_size, tf_argmax, same_max_pool_torch, avg_pool_tf,
                                       ceil_mode_pads)}
CHAPTERS = {5: ["avg_exclude_pad", "adaptive_avg_pool1d", "max_unpool1d"],
            6: ["tf_max_pool1d", "conv_pool_size", "tf_argmax"],
            7: ["same_max_pool_torch", "avg_pool_tf", "ceil_mode_pads"]}


def test_chapters_5_to_7_register_their_exercises():
    """The functions each chapter asks for (its Predictions are tested in test_predictions_ch05_08)."""
    from poolkit.course.checks import Prediction, get_exercise, list_exercises
    for chapter, ids in CHAPTERS.items():
        written = [e for e in list_exercises(chapter=chapter) if not isinstance(get_exercise(e), Prediction)]
        assert written == ids


@pytest.mark.parametrize("eid", sorted(SOLUTIONS))
def test_exercise_solution_passes_stub_fails_mistakes_get_their_hint(eid):
    from poolkit.course.checks import evaluate, get_exercise
    result = evaluate(eid, SOLUTIONS[eid])
    assert result.passed, result.message

    def stub(*args):
        raise NotImplementedError

    stubbed = evaluate(eid, stub)
    assert not stubbed.passed and "NotImplementedError" in stubbed.message
    for mistake in get_exercise(eid).mistakes:
        if mistake.like is not None:
            wrong = evaluate(eid, mistake.like)
            assert not wrong.passed and wrong.hint == mistake.hint, (eid, mistake.hint, wrong.message)
