"""The fast paths (``method="separable"``, which ``"auto"`` picks) give the results of the
reference methods: bit for bit for max and min (values and indices), to float rounding for
averages, Lp and their gradients; across chunk and row-block boundaries; with bounded
memory. And ``python -m poolkit.bench`` runs and writes its results. Speed is never
asserted here: the benchmark measures it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys

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
    data_format,
    finite_scale,
    make_input,
    pk,
    pool_configs,
    poolkit_input,
)

import poolkit
from poolkit import separable
from poolkit.bench import extra_memory
from poolkit.geometry import build_axes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAST = ("separable", "auto")


@contextlib.contextmanager
def chunk_bytes(n):
    """Run with ``poolkit.separable.CHUNK_BYTES = n`` (hypothesis tests cannot use monkeypatch)."""
    old = separable.CHUNK_BYTES
    separable.CHUNK_BYTES = n
    try:
        yield
    finally:
        separable.CHUNK_BYTES = old


# 1 byte: every plane is a chunk and every plane larger than 2 bytes is cut into blocks of one
# output row; 64 bytes: a few planes or a few rows; the default: whole inputs.
CHUNKS = st.sampled_from([1, 64, 300, separable.CHUNK_BYTES])


def pooling_args(cfg):
    return dict(kernel_size=cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
                dilation=cfg["dilation"], ceil_mode=cfg["ceil_mode"], data_format=data_format(cfg))


# ---------------------------------------------------------------- max and min, bit for bit
@settings(max_examples=examples(300))
@given(cfg=pool_configs(), dtype=st.sampled_from(FLOATS + INTS), kind=st.sampled_from(["ties", "special", "normal"]),
       mode=st.sampled_from(["max", "min"]), chunk=CHUNKS, seed=st.integers(0, 2**16))
def test_max_min_values_and_indices_bit_exact(cfg, dtype, kind, mode, chunk, seed):
    """Ties (0.0 and -0.0 among them), NaN of either sign, +-inf, integer extremes: the fast
    path returns the bits and indices of the loop and of the strided windows."""
    assume(not cfg["empty_window"])
    x = poolkit_input(make_input(seed, cfg["shape"], dtype, kind), cfg)
    fn, args = pk(f"{mode}_pool", cfg["dims"]), pooling_args(cfg)
    want_v, want_i = fn(x, **args, return_indices=True, method="windows")
    naive_v, naive_i = fn(x, **args, return_indices=True, method="naive")
    assert_bits_equal(want_v, naive_v, "windows vs naive")
    with chunk_bytes(chunk):
        for method in FAST:
            v, i = fn(x, **args, return_indices=True, method=method)
            assert_bits_equal(v, want_v, f"{mode} values, {method}")
            np.testing.assert_array_equal(i, want_i, err_msg=f"{mode} indices, {method}")
            assert_bits_equal(fn(x, **args, method=method), want_v, f"{mode} values without indices, {method}")


@st.composite
def tf_configs(draw):
    """TensorFlow-style padding ("same" or "valid"), any dims and layout."""
    dims = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    s = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    padding = draw(st.sampled_from(["same", "valid"]))
    sizes = tuple(draw(st.integers(ki if padding == "valid" else 1, 6)) for ki in k)
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return dict(dims=dims, shape=(n, c) + sizes, batched=True, channels_last=draw(st.booleans()),
                kernel_size=k, stride=s, padding=padding, dilation=1, ceil_mode=False)


@given(cfg=tf_configs(), dtype=st.sampled_from(FLOATS + ("int32", "uint8")), mode=st.sampled_from(["max", "min"]),
       chunk=CHUNKS, seed=st.integers(0, 2**16))
def test_same_and_valid_padding_bit_exact(cfg, dtype, mode, chunk, seed):
    """SAME pads the extra element after (bottom/right): asymmetric padding in the flat buffers."""
    x = poolkit_input(make_input(seed, cfg["shape"], dtype, "special"), cfg)
    fn, args = pk(f"{mode}_pool", cfg["dims"]), pooling_args(cfg)
    want_v, want_i = fn(x, **args, return_indices=True, method="windows")
    with chunk_bytes(chunk):
        v, i = fn(x, **args, return_indices=True, method="auto")
    assert_bits_equal(v, want_v)
    np.testing.assert_array_equal(i, want_i)


@pytest.mark.parametrize("dtype, stride", [
    ("float32", 2),    # float32 pairs viewed as uint64: the integer-view subsampling
    ("float16", 4),    # four float16 in a uint64
    ("uint8", 8),      # eight uint8 in a uint64
    ("int16", 2),
    ("float64", 2),    # 16 bytes: no integer that wide, the strided copy instead
    ("float32", 3),    # 12 bytes: likewise
])
@pytest.mark.parametrize("channels_last", [False, True])
def test_subsampling_paths(dtype, stride, channels_last):
    """Each way of keeping every ``stride``-th position, with and without the first pass
    reading the input directly (no padding) and with rows that need rounding up."""
    for width, padding in [(24, 0), (23, 0), (24, 1), (17, 1)]:
        x = make_input(width, (2, 3, 5, width), dtype, "special")
        fmt = "channels_last" if channels_last else "channels_first"
        if channels_last:
            x = np.ascontiguousarray(np.moveaxis(x, 1, -1))
        args = dict(kernel_size=(2, 3), stride=(1, stride), padding=(0, padding), data_format=fmt)
        want_v, want_i = poolkit.max_pool2d(x, **args, return_indices=True, method="windows")
        v, i = poolkit.max_pool2d(x, **args, return_indices=True, method="separable")
        assert_bits_equal(v, want_v, f"width {width}, padding {padding}")
        np.testing.assert_array_equal(i, want_i)


# ---------------------------------------------------------------- averages and Lp, to rounding
@given(cfg=pool_configs(dilation=False), dtype=st.sampled_from(FLOATS + ("int32", "int64")),
       count_include_pad=st.booleans(), divisor_override=st.sampled_from([None, None, 3, -2]),
       chunk=CHUNKS, seed=st.integers(0, 2**16))
def test_averages_agree(cfg, dtype, count_include_pad, divisor_override, chunk, seed):
    x = poolkit_input(make_input(seed, cfg["shape"], dtype, "normal" if dtype in FLOATS else "wide"), cfg)
    args = pooling_args(cfg)
    del args["dilation"]
    args.update(count_include_pad=count_include_pad, divisor_override=divisor_override)
    fn = pk("avg_pool", cfg["dims"])
    want = fn(x, **args, method="naive")
    with chunk_bytes(chunk):
        for method in FAST:
            assert_close(fn(x, **args, method=method), want, dtype, finite_scale(x), f"avg {method}")


@given(cfg=pool_configs(dilation=False), p=st.sampled_from([1, 2, 3, 1.5, np.inf]),
       dtype=st.sampled_from(["float32", "float64"]), chunk=CHUNKS, seed=st.integers(0, 2**16))
def test_lp_agrees(cfg, p, dtype, chunk, seed):
    x = poolkit_input(make_input(seed, cfg["shape"], dtype, "normal"), cfg)
    args = dict(kernel_size=cfg["kernel_size"], stride=cfg["stride"], ceil_mode=cfg["ceil_mode"],
                data_format=data_format(cfg))
    fn = pk("lp_pool", cfg["dims"])
    try:
        want = fn(x, p, **args, method="windows")
    except ValueError:          # lp_pool has no padding: some configurations have no output
        assume(False)
    with chunk_bytes(chunk):
        got = fn(x, p, **args, method="auto")
    assert_close(got, want, dtype, finite_scale(want) if want.size else 1.0, "lp")


# ---------------------------------------------------------------- backward passes
@given(cfg=pool_configs(), mode=st.sampled_from(["max", "min"]), dtype=st.sampled_from(FLOATS),
       kind=st.sampled_from(["ties", "special"]), chunk=CHUNKS, seed=st.integers(0, 2**16))
def test_max_min_backward_bit_exact(cfg, mode, dtype, kind, chunk, seed):
    """Routing through the forward's indices: the fast scatter-add, given the indices or
    recomputing them, or through the positions a layer caches (made chunk by chunk in the
    forward pass, or from the indices it returns), returns the loop's bits (overlapping
    windows add in output order)."""
    assume(not cfg["empty_window"])
    x = poolkit_input(make_input(seed, cfg["shape"], dtype, kind), cfg)
    args = pooling_args(cfg)
    y, idx = pk(f"{mode}_pool", cfg["dims"])(x, **args, return_indices=True)
    g = make_input(seed + 1, y.shape, dtype, "ties")
    backward = getattr(poolkit, f"{mode}_pool{cfg['dims']}d_backward")
    want = backward(g, x, **args, method="naive")
    with chunk_bytes(chunk):
        for method in FAST:
            assert_bits_equal(backward(g, x, **args, method=method), want, f"{mode} backward, {method}")
            assert_bits_equal(backward(g, x, **args, indices=idx, method=method), want, "given indices")
            _, pos = poolkit.pool_positions(x, **args, mode=mode, dims=cfg["dims"], method=method)
            back = poolkit.plane_indices(pos, x, dims=cfg["dims"], data_format=args["data_format"])
            np.testing.assert_array_equal(back, idx, err_msg="positions back to indices")
            assert_bits_equal(backward(g, x, **args, positions=pos, method=method), want, "given positions")
            for return_indices in (False, True):
                layer = getattr(poolkit, f"{mode.title()}Pool{cfg['dims']}d")(**args, method=method,
                                                                              return_indices=return_indices)
                out = layer.forward(x)
                if return_indices:
                    np.testing.assert_array_equal(out[1], idx, err_msg="the layer's indices")
                assert_bits_equal(layer.backward(g), want, f"{mode} layer backward, {method}, {return_indices=}")


def restrided(x, cfg, how):
    """``x`` with the same values and other strides: stored in the other layout's order, or a strided view."""
    if how == "contiguous":
        return np.ascontiguousarray(x)
    if how == "strided view":
        return np.repeat(x, 2, axis=-1)[..., ::2]
    first = 1 if cfg["batched"] else 0                          # where the channels are in (N, C, *L)
    if cfg["channels_last"]:
        return np.moveaxis(np.ascontiguousarray(np.moveaxis(x, -1, first)), first, -1)
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(x, first, -1)), -1, first)


@settings(max_examples=examples(150))
@given(cfg=pool_configs(), mode=st.sampled_from(["max", "min"]), chunk=CHUNKS, seed=st.integers(0, 2**16),
       how=st.sampled_from(["other layout", "strided view"]))
def test_positions_are_the_same_for_every_method_and_any_strides(cfg, mode, chunk, seed, how):
    """``pool_positions`` gives the flat position in ``x`` as ``data_format`` lays it
    out, whatever x's strides and the method: so a backward pass given them is right for x
    stored any way (the loop's bits), and plane_indices gives the indices back."""
    assume(not cfg["empty_window"])
    x = poolkit_input(make_input(seed, cfg["shape"], "float64", "ties"), cfg)
    fn, args = pk(f"{mode}_pool", cfg["dims"]), pooling_args(cfg)
    _, idx = fn(x, **args, return_indices=True, method="naive")
    _, want = poolkit.pool_positions(np.ascontiguousarray(x), **args, mode=mode, dims=cfg["dims"], method="naive")
    g = make_input(seed + 1, idx.shape, "float64", "ties")
    backward = getattr(poolkit, f"{mode}_pool{cfg['dims']}d_backward")
    want_dx = backward(g, x, **args, method="naive")
    other = restrided(x, cfg, how)
    with chunk_bytes(chunk):
        for method in METHODS:
            _, pos = poolkit.pool_positions(other, **args, mode=mode, dims=cfg["dims"], method=method)
            np.testing.assert_array_equal(pos, want, err_msg=f"positions, {method}, {how}")
        for like in (x, other):
            assert_bits_equal(backward(g, like, **args, positions=want), want_dx, f"backward from positions, {how}")
            back = poolkit.plane_indices(want, like, dims=cfg["dims"], data_format=args["data_format"])
            np.testing.assert_array_equal(back, idx, err_msg="positions back to indices")


def test_positions_outside_x_are_refused_in_any_chunk(monkeypatch):
    """The range check reads every chunk (a bad position in the last one too), for int32
    positions as for int64, and for channels-last and unbatched input."""
    monkeypatch.setattr(separable, "CHUNK_BYTES", 64)                      # 8 positions per chunk
    x = make_input(0, (2, 3, 8, 8), "float64", "normal")
    _, pos = poolkit.pool_positions(x, 2, dims=2)
    g = np.ones(pos.shape)
    for bad_value in (-1, x.size):
        for dtype in (np.int64, np.int32):
            bad = pos.astype(dtype)
            bad.reshape(-1)[-1] = bad_value
            with pytest.raises(ValueError, match=rf"positions contains {bad_value}, outside \[0, {x.size}\)"):
                poolkit.max_pool2d_backward(g, x, 2, positions=bad)
    nhwc = x[0].transpose(1, 2, 0).copy()                                   # unbatched, channels-last
    _, pos = poolkit.pool_positions(nhwc, 2, dims=2, data_format="NHWC")
    pos[0, 0, 0] = nhwc.size
    with pytest.raises(ValueError, match="outside"):
        poolkit.max_pool2d_backward(np.ones(pos.shape), nhwc, 2, positions=pos, data_format="NHWC")
    with pytest.raises(ValueError, match="outside"):
        poolkit.plane_indices(pos, nhwc, dims=2, data_format="NHWC")
    with pytest.raises(ValueError, match="batch and channel sizes of x"):
        poolkit.plane_indices(pos[..., :2], nhwc, dims=2, data_format="NHWC")
    with pytest.raises(TypeError, match="positions has dtype float64.*a signed integer"):
        poolkit.plane_indices(pos.astype(float), nhwc, dims=2, data_format="NHWC")


@given(cfg=pool_configs(dilation=False), dtype=st.sampled_from(FLOATS), count_include_pad=st.booleans(),
       chunk=CHUNKS, seed=st.integers(0, 2**16))
def test_avg_backward_agrees(cfg, dtype, count_include_pad, chunk, seed):
    x = poolkit_input(make_input(seed, cfg["shape"], dtype, "normal"), cfg)
    args = pooling_args(cfg)
    del args["dilation"]
    y = pk("avg_pool", cfg["dims"])(x, **args, count_include_pad=count_include_pad)
    g = make_input(seed + 1, y.shape, dtype, "normal")
    backward = getattr(poolkit, f"avg_pool{cfg['dims']}d_backward")
    want = backward(g, x, **args, count_include_pad=count_include_pad, method="naive")
    with chunk_bytes(chunk):
        for method in FAST:
            got = backward(g, x, **args, count_include_pad=count_include_pad, method=method)
            assert_close(got, want, dtype, finite_scale(g), f"avg backward, {method}")


@given(dims=st.integers(1, 3), data=st.data(), chunk=CHUNKS, seed=st.integers(0, 2**16))
def test_spread_is_the_adjoint_of_window_sum(dims, data, chunk, seed):
    """<window_sum(x), g> = <x, spread(g)> for any x and g, with dilation and any padding."""
    cfg = data.draw(pool_configs(dims))
    assume(not cfg["empty_window"])
    shape = cfg["shape"] if cfg["batched"] else (1,) + cfg["shape"]
    axes = build_axes(shape[2:], cfg["kernel_size"], cfg["stride"], cfg["padding"], cfg["dilation"],
                      cfg["ceil_mode"])
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape[:2] + tuple(a.out for a in axes))
    with chunk_bytes(chunk):
        sums, back = separable.window_sum(x, axes), separable.spread(g, axes)
    assert back.shape == x.shape
    assert np.isclose(np.sum(sums * g), np.sum(x * back), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("layer, args", [
    (poolkit.MaxPool2d, (3, 2, 1)), (poolkit.AvgPool2d, (3, 2, 1)), (poolkit.LPPool2d, (2, 2)),
    (poolkit.MaxPool3d, (2, 1)), (poolkit.AvgPool1d, (4, 3, 2)), (poolkit.MinPool2d, (2,)),
])
def test_layers_fast_and_reference_agree(layer, args):
    """The layers' forward caches and backward consumes, with the fast paths as with the loop."""
    dims = int(layer.__name__[-2])
    x = make_input(7, (2, 3) + (6,) * dims, "float64", "normal")
    fast, slow = layer(*args), layer(*args, method="naive")
    y = fast.forward(x)
    np.testing.assert_allclose(y, slow.forward(x), rtol=1e-12)
    g = make_input(8, y.shape, "float64", "normal")
    np.testing.assert_allclose(fast.backward(g), slow.backward(g), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- chunks and blocks
@pytest.mark.parametrize("chunk", [1, 100, 1000, 5000])
@pytest.mark.parametrize("channels_last", [False, True])
def test_inputs_spanning_many_chunks(monkeypatch, chunk, channels_last):
    """Many planes and large planes: chunks of planes (the last one shorter), blocks of rows
    with their halos, and one NaN, which makes only its own chunk be pooled again carefully."""
    monkeypatch.setattr(separable, "CHUNK_BYTES", chunk)
    x = make_input(3, (3, 5, 37, 29), "float32", "ties")
    x[1, 2, 20, 7] = np.nan
    x[2, 4, 36, 28] = -np.nan
    fmt = "channels_last" if channels_last else "channels_first"
    if channels_last:
        x = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    for args in [(3, 2, 1), (7, 1, 3), (2, 2, 0), ((3, 2), (2, 3), (1, 0))]:
        want = poolkit.max_pool2d(x, *args, return_indices=True, data_format=fmt, method="windows")
        got = poolkit.max_pool2d(x, *args, return_indices=True, data_format=fmt)
        assert_bits_equal(got[0], want[0], f"values {args}")
        np.testing.assert_array_equal(got[1], want[1], err_msg=f"indices {args}")
        np.testing.assert_allclose(poolkit.avg_pool2d(x, *args, data_format=fmt),
                                   poolkit.avg_pool2d(x, *args, data_format=fmt, method="windows"), rtol=1e-6)


def test_row_blocks_cover_every_output():
    """Blocks of one large plane: consecutive outputs, input rows with the windows' halo."""
    axis = build_axes((1000,), 7, 2, 3)[0]
    old = separable.CHUNK_BYTES
    try:
        separable.CHUNK_BYTES = 4096
        blocks = list(separable.row_blocks(axis, row_bytes=64, budget=4096))
    finally:
        separable.CHUNK_BYTES = old
    assert len(blocks) > 1
    assert blocks[0][0].start == 0 and blocks[-1][0].stop == axis.out
    assert all(a[0].stop == b[0].start for a, b in zip(blocks, blocks[1:]))
    for outputs, rows, sub in blocks:
        assert sub.out == outputs.stop - outputs.start and sub.size == rows.stop - rows.start
        # each sub-window reads the same input rows as the original window
        np.testing.assert_array_equal(sub.positions + rows.start, axis.positions[outputs])


@pytest.mark.parametrize("chunk", [1 << 18, separable.CHUNK_BYTES])
def test_forward_memory_is_bounded(monkeypatch, chunk):
    """Extra memory of a forward pass (beyond its outputs) stays below the input's size and
    within a few chunks' buffers, never im2col's k-fold copy: many planes (16 MiB), and one
    large plane cut into blocks of rows (4 MiB)."""
    monkeypatch.setattr(separable, "CHUNK_BYTES", chunk)
    for shape, args in [((32, 32, 64, 64), (3, 1, 1)), ((1, 1, 1024, 1024), (7, 1, 3))]:
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        for call in (lambda x=x, args=args: poolkit.max_pool2d(x, *args),
                     lambda x=x, args=args: poolkit.avg_pool2d(x, *args),
                     lambda x=x, args=args: poolkit.max_pool2d(x, *args, return_indices=True)):
            peak, outputs = extra_memory(call)
            assert peak - outputs <= min(x.nbytes, 8 * chunk), (shape, args, peak - outputs)


# ---------------------------------------------------------------- the benchmark
def test_bench_quick_times_torch_and_tensorflow_and_writes_valid_json(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "poolkit.bench", "--quick", "--shapes", "A,D", "--out", str(out),
                           "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    assert results["settings"]["quick"] and results["settings"]["shapes"] == ["A", "D"]
    machine = results["machine"]
    assert machine["cores"] >= 1 and machine["numpy"] == np.__version__ and "torch" in machine
    assert "tensorflow" in machine and "threads" in machine
    for name in ("A", "D"):
        cases = results["cases"][name]
        for case in ("floor copy", "poolkit max fwd", "poolkit avg fwd", "poolkit max fwd+idx", "poolkit max bwd",
                     "poolkit avg bwd", "torch NCHW max fwd", "torch channels_last max bwd", "tf NHWC max fwd",
                     "tf NHWC avg bwd", "im2col max fwd", "windows max fwd", "torch NCHW 1-thread max fwd"):
            assert cases[case]["median_ms"] > 0 and len(cases[case]["times_ms"]) >= 1, case
        assert results["naive"][name]["extrapolated_ms"] > 0
        assert results["memory"][name]["max fwd"]["extra_bytes"] >= 0
        assert all(results["agree"][name].values()), results["agree"][name]
    assert {row["shape"] for row in results["targets"]} == {"A", "D"}
    assert all(isinstance(row["met"], bool) for row in results["targets"])
    assert "x torch NCHW" in proc.stdout and "Targets" in proc.stdout


def test_bench_rejects_unknown_shapes():
    proc = subprocess.run([sys.executable, "-m", "poolkit.bench", "--shapes", "A,Z", "--frameworks", ""],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown shape 'Z'" in proc.stderr


def test_frameworks_are_imported_only_by_the_bench():
    code = ("import sys, poolkit, poolkit.bench; "
            "print('torch' in sys.modules, 'tensorflow' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["False", "False"], proc.stderr
