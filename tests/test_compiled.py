"""method="numba" (poolkit.compiled): bit-exact with the loop, both layouts, every option,
1 and 2 threads; numba imported only when asked for, and a clear error without it.

The hypothesis suites (test_methods, test_backward, test_oracle_*) compare "numba" with
every other method too (tests/oracles.py's METHODS); these tests add what they do not
reach: contiguous channels-last input (the channels-last kernels), thread counts, the
layers, and the missing-numba message.
"""

from __future__ import annotations

import copy
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from oracles import NUMBA, assert_bits_equal, assert_close, make_input

import poolkit

pytestmark = pytest.mark.skipif(not NUMBA, reason="numba is not installed (pip install poolkit[kernels])")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (dims, spatial shape, kernel_size, stride, padding, dilation, ceil_mode)
CONFIGS = [
    (1, (9,), 3, 2, 1, 1, False),
    (1, (8,), 2, 1, 0, 2, True),
    (2, (7, 8), 3, 2, 1, 1, True),
    (2, (6, 9), (2, 3), (1, 2), (1, 0), (2, 1), False),
    (2, (5, 5), 2, 2, 0, 1, False),
    (3, (4, 5, 6), (2, 3, 2), (2, 1, 2), (1, 1, 0), 1, True),
    (3, (5, 4, 5), 2, 1, 1, (2, 1, 2), False),
]


@pytest.fixture(params=[1, 2], ids=["1 thread", "2 threads"])
def threads(request):
    import numba
    before = numba.get_num_threads()
    numba.set_num_threads(min(request.param, numba.config.NUMBA_NUM_THREADS))
    yield request.param
    numba.set_num_threads(before)


def _layouts(x, dims):
    """The input channels-first, and contiguous channels-last with its data_format."""
    yield x, "channels_first"
    yield np.ascontiguousarray(np.moveaxis(x, 1, -1)), "channels_last"


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c[0]}d-{c[1]}")
@pytest.mark.parametrize("dtype,kind", [("float32", "special"), ("float64", "ties"), ("float16", "special"),
                                        ("int32", "special"), ("uint8", "ties")])
def test_max_min_and_indices_are_bit_exact(cfg, dtype, kind, threads):
    dims, spatial, k, s, p, d, ceil = cfg
    x = make_input(7, (2, 3) + spatial, dtype, kind)
    for xin, fmt in _layouts(x, dims):
        for name in ("max_pool", "min_pool"):
            fn = getattr(poolkit, f"{name}{dims}d")
            args = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil, data_format=fmt)
            v0, i0 = fn(xin, return_indices=True, method="naive", **args)
            v1, i1 = fn(xin, return_indices=True, method="numba", **args)
            assert_bits_equal(v1, v0, f"{name} {fmt} values")
            assert_bits_equal(i1, i0, f"{name} {fmt} indices")
            assert_bits_equal(fn(xin, method="numba", **args), v0, f"{name} {fmt} values without indices")


def test_ties_nan_and_minus_inf_rules():
    x = np.array([[[1.0, 1.0, -np.inf, -np.inf, np.nan, 2.0, np.nan, 3.0]]], dtype=np.float32)
    for k, s in ((2, 2), (3, 1)):
        expected = poolkit.max_pool1d(x, k, s, return_indices=True, method="naive")
        got = poolkit.max_pool1d(x, k, s, return_indices=True, method="numba")
        assert_bits_equal(got[0], expected[0])
        assert_bits_equal(got[1], expected[1])
    _, idx = poolkit.max_pool1d(x, 2, 2, return_indices=True, method="numba")
    assert idx.ravel().tolist() == [0, 2, 4, 6]        # ties: first tap; -inf window: first tap; NaN: the NaN


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c[0]}d-{c[1]}")
@pytest.mark.parametrize("dtype", ["float32", "float16", "int16"])
def test_averages_every_option(cfg, dtype, threads):
    dims, spatial, k, s, p, _, ceil = cfg
    x = make_input(3, (2, 3) + spatial, dtype, "wide" if dtype.startswith("int") else "normal")
    fn = getattr(poolkit, f"avg_pool{dims}d")
    for xin, fmt in _layouts(x, dims):
        for cip, div in itertools.product((True, False), (None, 3, -2)):
            args = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=cip,
                        divisor_override=div, data_format=fmt)
            assert_close(fn(xin, method="numba", **args), fn(xin, method="naive", **args), dtype,
                         float(np.abs(x.astype(np.float64)).max()), f"{fmt} cip={cip} div={div}")


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c[0]}d-{c[1]}")
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "float16"])
def test_repeated_calls_take_the_kept_kernel_call(cfg, dtype, threads, monkeypatch):
    """The second call of a signature runs the kernel call poolkit.functional kept from the
    first: the same bits, batched and unbatched, both layouts, max/min with indices and averages
    with every divisor. Not kept: float16 (computed in float32) and integer averages (divided
    after the kernel)."""
    monkeypatch.setattr(poolkit.plan, "KEPT", {})
    dims, spatial, k, s, p, d, ceil = cfg
    x = make_input(16, (2, 3) + spatial, dtype, "special" if dtype.startswith("float") else "wide")
    for xin, fmt in _layouts(x, dims):
        for xi in (xin, xin[1]):
            args = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, data_format=fmt)
            for name in ("max_pool", "min_pool"):
                fn = getattr(poolkit, f"{name}{dims}d")
                expected = fn(xi, dilation=d, return_indices=True, method="naive", **args)
                for call in ("first", "kept"):
                    got = fn(xi, dilation=d, return_indices=True, method="numba", **args)
                    assert_bits_equal(got[0], expected[0], f"{name} {fmt} {call} values")
                    assert_bits_equal(got[1], expected[1], f"{name} {fmt} {call} indices")
                    assert_bits_equal(fn(xi, dilation=d, method="numba", **args), expected[0], f"{name} {call}")
            for cip, div in ((True, None), (False, None), (True, -2)):
                fn = getattr(poolkit, f"avg_pool{dims}d")
                kw = dict(args, count_include_pad=cip, divisor_override=div)
                expected = fn(xi, method="numba", **kw)
                assert_close(expected, fn(xi, method="naive", **kw), dtype, 10.0, f"avg {fmt} cip={cip} div={div}")
                assert_bits_equal(fn(xi, method="numba", **kw), expected, f"avg {fmt} cip={cip} div={div} kept")
    kept = [v for key, v in poolkit.plan.KEPT.items() if key[0] == ((xi.shape, xi.dtype),)]
    assert kept and any(v is None for v in kept) == (dtype in ("float16", "int32"))
    assert all(v is None for v in kept) == (dtype == "float16")


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c[0]}d-{c[1]}")
def test_repeated_layer_backward_takes_the_kept_kernel_call(cfg, threads, monkeypatch):
    """A layer's backward pass, repeated with gradients of the same shape, runs the kept kernel call
    (poolkit.backward keeps it): the bits of the first call, which are the loop's (max/min) or
    within rounding of it (averages), for gradients that change between calls."""
    monkeypatch.setattr(poolkit.plan, "KEPT", {})
    dims, spatial, k, s, p, d, ceil = cfg
    x = make_input(20, (2, 3) + spatial, "float32", "ties")
    for xin, fmt in _layouts(x, dims):
        common = dict(stride=s, padding=p, ceil_mode=ceil, data_format=fmt)
        layers = [getattr(poolkit, f"{name}{dims}d")(k, dilation=d, **common) for name in ("MaxPool", "MinPool")]
        layers += [getattr(poolkit, f"AvgPool{dims}d")(k, count_include_pad=cip, divisor_override=div, **common)
                   for cip, div in ((True, None), (False, None), (True, 3))]
        for ref in layers:
            fast = copy.copy(ref)
            fast.method = "numba"
            y = ref.forward(xin)
            fast.forward(xin)
            for seed in (21, 22, 23):
                g = make_input(seed, y.shape, "float32", "normal")
                got, expected = fast.backward(g), ref.backward(g)
                if type(ref).__name__.startswith("AvgPool"):
                    assert_close(got, expected, "float32", 30.0, f"{ref!r} {fmt}")
                else:
                    assert_bits_equal(got, expected, f"{ref!r} {fmt}")
    assert {2, 3} <= {len(key[0]) for key, kept in poolkit.plan.KEPT.items() if kept}   # (grad, x[, positions])


def test_a_kept_call_computes_afresh_into_a_new_array(monkeypatch):
    monkeypatch.setattr(poolkit.plan, "KEPT", {})
    x = make_input(17, (2, 3, 8, 8), "float64", "normal")
    first = poolkit.avg_pool2d(x, 2, method="numba")
    key = next(reversed(poolkit.plan.KEPT))
    assert poolkit.plan.KEPT[key] is not None and key[0] == ((x.shape, x.dtype),)
    again = poolkit.avg_pool2d(x, 2, method="numba")
    assert_bits_equal(again, first)
    assert not np.shares_memory(again, first)
    x += 1.0
    np.testing.assert_allclose(poolkit.avg_pool2d(x, 2, method="numba"), first + 1.0)


def test_calls_that_cannot_be_kept_still_run():
    x = make_input(18, (2, 3, 8, 10), "float32", "normal")
    view = x[:, :, :, ::2]                                       # not contiguous: no key, checked every time
    for _ in range(2):
        assert_bits_equal(poolkit.max_pool2d(view, 2, method="numba"), poolkit.max_pool2d(view, 2, method="naive"))
    with pytest.raises(TypeError, match="kernel_size=2.0"):
        poolkit.max_pool2d(view, 2.0, method="numba")
    with pytest.raises(ValueError, match="method='numbah'"):
        poolkit.max_pool2d(x, 2, method="numbah")


def test_kept_signatures_tell_equal_values_of_other_types_apart(monkeypatch):
    monkeypatch.setattr(poolkit.plan, "KEPT", {})
    x = make_input(19, (1, 2, 4, 4), "float32", "normal")
    for _ in range(2):
        poolkit.max_pool2d(x, 1, method="numba")
        poolkit.avg_pool2d(x, 2, ceil_mode=False, method="numba")
    with pytest.raises(TypeError, match="kernel_size=True"):
        poolkit.max_pool2d(x, True, method="numba")
    with pytest.raises(TypeError, match="kernel_size=1.0"):
        poolkit.max_pool2d(x, 1.0, method="numba")
    with pytest.raises(TypeError, match="ceil_mode=0"):
        poolkit.avg_pool2d(x, 2, ceil_mode=0, method="numba")


def test_at_most_keep_calls_are_kept(monkeypatch):
    monkeypatch.setattr(poolkit.plan, "KEPT_MAX", 3)
    monkeypatch.setattr(poolkit.plan, "KEPT", {})
    for n in range(1, 6):
        poolkit.max_pool1d(np.zeros((1, 1, 2 * n), np.float32), 2, method="numba")
    assert [key[0][0][0] for key in poolkit.plan.KEPT] == [(1, 1, 6), (1, 1, 8), (1, 1, 10)]


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_tensorflow_padding(padding):
    x = make_input(5, (2, 7, 9, 3), "float32", "normal")
    for name in ("max_pool2d", "avg_pool2d"):
        fn = getattr(poolkit, name)
        assert_close(fn(x, 3, 2, padding, data_format="NHWC", method="numba"),
                     fn(x, 3, 2, padding, data_format="NHWC", method="naive"), "float32", 30.0, name)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c[0]}d-{c[1]}")
def test_backward_is_bit_exact(cfg, threads):
    dims, spatial, k, s, p, d, ceil = cfg
    x = make_input(11, (2, 3) + spatial, "float32", "ties")        # ties: the first tap takes the gradient
    for xin, fmt in _layouts(x, dims):
        common = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, data_format=fmt)
        y = getattr(poolkit, f"max_pool{dims}d")(xin, dilation=d, **common)
        g = make_input(12, y.shape, "float32", "normal")
        for name in ("max_pool", "min_pool"):
            fn = getattr(poolkit, f"{name}{dims}d_backward")
            assert_bits_equal(fn(g, xin, dilation=d, method="numba", **common),
                              fn(g, xin, dilation=d, method="naive", **common), f"{name} {fmt}")
        ya = getattr(poolkit, f"avg_pool{dims}d")(xin, **common)
        ga = make_input(13, ya.shape, "float32", "normal")
        for cip, div in ((True, None), (False, None), (True, 3)):
            fn = getattr(poolkit, f"avg_pool{dims}d_backward")
            kw = dict(common, count_include_pad=cip, divisor_override=div)
            assert_close(fn(ga, xin, method="numba", **kw), fn(ga, xin, method="naive", **kw), "float32", 30.0,
                         f"avg {fmt} cip={cip} div={div}")


@pytest.mark.parametrize("batch", [6, 40])
def test_max_backward_by_planes_and_by_bands(batch, threads):
    """Each thread owns whole planes (samples, channels-last) when there are enough of them, else
    bands of a plane's rows: both give the loop's bits, the windows overlapping band edges too."""
    x = make_input(14, (batch, 4, 9, 8), "float32", "ties")
    for xin, fmt in _layouts(x, 2):
        y = poolkit.max_pool2d(xin, 3, 2, 1, data_format=fmt)
        g = make_input(15, y.shape, "float32", "normal")
        for fn in (poolkit.max_pool2d_backward, poolkit.min_pool2d_backward):
            assert_bits_equal(fn(g, xin, 3, 2, 1, data_format=fmt, method="numba"),
                              fn(g, xin, 3, 2, 1, data_format=fmt, method="naive"), f"{fn.__name__} {fmt}")


def test_average_backward_is_bit_exact_with_pytorch():
    torch = pytest.importorskip("torch")
    x = make_input(1, (2, 3, 9, 11), "float32", "normal")
    g = make_input(2, (2, 3, 5, 6), "float32", "normal")
    xt = torch.from_numpy(x).requires_grad_(True)
    torch.nn.functional.avg_pool2d(xt, 3, 2, 1, count_include_pad=False).backward(torch.from_numpy(g))
    dx = poolkit.avg_pool2d_backward(g, x, 3, 2, 1, count_include_pad=False, method="numba")
    assert_bits_equal(dx, xt.grad.numpy())


@pytest.mark.parametrize("fmt", ["channels_first", "channels_last"])
def test_layers_cache_positions_and_scatter(fmt, threads):
    x = make_input(4, (2, 5, 10, 9), "float32", "ties")
    if fmt == "channels_last":
        x = np.ascontiguousarray(np.moveaxis(x, 1, -1))
    for layer in (poolkit.MaxPool2d, poolkit.MinPool2d, poolkit.AvgPool2d):
        fast, ref = layer(3, 2, 1, data_format=fmt, method="numba"), layer(3, 2, 1, data_format=fmt, method="naive")
        y, y_ref = fast.forward(x), ref.forward(x)
        assert_close(y, y_ref, "float32", 30.0, layer.__name__)
        g = make_input(6, y.shape, "float32", "normal")
        assert_close(fast.backward(g), ref.backward(g), "float32", 30.0, layer.__name__)


def test_adaptive_windows_fall_back():
    x = make_input(8, (2, 3, 7, 5), "float32", "normal")
    for fn in (poolkit.adaptive_max_pool2d, poolkit.adaptive_avg_pool2d):
        assert_close(fn(x, (3, 2), method="numba"), fn(x, (3, 2), method="naive"), "float32", 30.0)


def test_bad_indices_are_refused():
    x = make_input(9, (1, 2, 6, 6), "float32", "normal")
    y, idx = poolkit.max_pool2d(x, 2, return_indices=True)
    with pytest.raises(ValueError, match="outside"):
        poolkit.max_pool2d_backward(np.ones_like(y), x, 2, indices=idx + 100, method="numba")


def _python(code):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)


def test_numba_is_imported_only_when_asked_for():
    r = _python("import sys, numpy as np, poolkit; poolkit.max_pool2d(np.zeros((1, 1, 4, 4)), 2); "
                "poolkit.max_pool2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 4, 4)), 2); "
                "print('numba' in sys.modules)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_missing_numba_names_the_extra():
    r = _python("import sys; sys.modules['numba'] = None\n"
                "import numpy as np, poolkit\n"
                "try:\n    poolkit.max_pool2d(np.zeros((1, 1, 4, 4)), 2, method='numba')\n"
                "except ImportError as e:\n    print(e)\n")
    assert r.returncode == 0, r.stderr
    assert "pip install poolkit[kernels]" in r.stdout
