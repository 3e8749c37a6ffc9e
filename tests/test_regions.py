"""poolkit.regions: RoIPool and RoIAlign (torchvision's CPU-kernel rules), spatial pyramid pooling,
max over time.

torchvision cannot be installed beside this torch build, so RoIPool and RoIAlign are checked
against the kernels' loops transcribed here sample by sample (``_roi_pool_loop``,
``_roi_align_loop``), hand-computed cases, TensorFlow's ``crop_and_resize`` where the two
coincide, and gradcheck. The pyramid and max over time are checked against PyTorch.
"""

import math

import numpy as np
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import tf, torch

import poolkit
from poolkit import gradcheck
from poolkit.regions import (
    bilinear_weights,
    max_over_time,
    max_over_time_backward,
    roi_align,
    roi_align_backward,
    roi_align_samples,
    roi_pool,
    roi_pool_backward,
    roi_pool_bins,
    spatial_pyramid_pool,
    spatial_pyramid_pool_backward,
)

FLT_MAX = float(np.finfo(np.float32).max)


# ---------------------------------------------------------------- the kernels' loops, one sample at a time
def _c_round(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def _roi_pool_loop(x, rois, oh, ow, scale):
    t = x.dtype.type
    _, c, h, w = x.shape
    y = np.zeros((len(rois), c, oh, ow), x.dtype)
    idx = np.full(y.shape, -1)
    for k, r in enumerate(rois.astype(x.dtype)):
        sw, sh, ew, eh = (_c_round(float(r[i] * t(scale))) for i in (1, 2, 3, 4))
        rw, rh = max(ew - sw + 1, 1), max(eh - sh + 1, 1)
        bh, bw = t(rh) / t(oh), t(rw) / t(ow)
        for ph in range(oh):
            for pw in range(ow):
                hs = min(max(math.floor(t(ph) * bh) + sh, 0), h)
                he = min(max(math.ceil(t(ph + 1) * bh) + sh, 0), h)
                ws = min(max(math.floor(t(pw) * bw) + sw, 0), w)
                we = min(max(math.ceil(t(pw + 1) * bw) + sw, 0), w)
                empty = he <= hs or we <= ws
                for ch in range(c):
                    best, arg = (0.0 if empty else -FLT_MAX), -1
                    for i in range(hs, he):
                        for j in range(ws, we):
                            if x[int(r[0]), ch, i, j] > best:
                                best, arg = x[int(r[0]), ch, i, j], i * w + j
                    y[k, ch, ph, pw], idx[k, ch, ph, pw] = best, arg
    return y, idx


def _bilinear(plane, y, x):
    h, w = plane.shape
    if not (-1.0 <= y <= h and -1.0 <= x <= w):
        return 0.0 * plane[0, 0]              # the kernel reads pixel 0 with weight 0
    y, x = max(y, 0), max(x, 0)
    yl, xl = int(y), int(x)
    if yl >= h - 1:
        yh = yl = h - 1
        y = type(y)(yl)
    else:
        yh = yl + 1
    if xl >= w - 1:
        xh = xl = w - 1
        x = type(x)(xl)
    else:
        xh = xl + 1
    ly, lx = y - yl, x - xl
    hy, hx = 1 - ly, 1 - lx
    return (hy * hx * plane[yl, xl] + hy * lx * plane[yl, xh] + ly * hx * plane[yh, xl]
            + ly * lx * plane[yh, xh])


def _roi_align_loop(x, rois, oh, ow, scale, sampling_ratio, aligned):
    t = x.dtype.type
    y = np.zeros((len(rois), x.shape[1], oh, ow))
    for k, r in enumerate(rois.astype(x.dtype)):
        off = t(0.5) if aligned else t(0)
        sw, sh, ew, eh = (r[i] * t(scale) - off for i in (1, 2, 3, 4))
        rw, rh = ew - sw, eh - sh
        if not aligned:
            rw, rh = max(rw, t(1)), max(rh, t(1))
        bh, bw = rh / t(oh), rw / t(ow)
        gh = sampling_ratio if sampling_ratio > 0 else math.ceil(rh / t(oh))
        gw = sampling_ratio if sampling_ratio > 0 else math.ceil(rw / t(ow))
        count = max(gh * gw, 1)
        for ch in range(x.shape[1]):
            plane = x[int(r[0]), ch].astype(np.float64)
            for ph in range(oh):
                for pw in range(ow):
                    total = 0.0
                    for iy in range(gh):
                        yy = sh + t(ph) * bh + t(iy + 0.5) * bh / t(gh)
                        for ix in range(gw):
                            xx = sw + t(pw) * bw + t(ix + 0.5) * bw / t(gw)
                            total += _bilinear(plane, yy, xx)
                    y[k, ch, ph, pw] = total / count
    return y


def _random_case(seed, dtype=np.float64, n=2, c=2, h=6, w=7, k=4, spread=10.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, h, w)).astype(dtype)
    x1, y1 = rng.uniform(-3, spread, size=(2, k))
    bw, bh = rng.uniform(0, spread, size=(2, k))
    rois = np.stack([rng.integers(0, n, k), x1, y1, x1 + bw, y1 + bh], axis=1)
    return x, rois


# ---------------------------------------------------------------- RoIPool
def test_roi_pool_by_hand():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    # box [x1, y1, x2, y2] = [1, 0, 4, 2]: columns 1..4 and rows 0..2, inclusive -> 3 x 4 pixels
    y, idx = roi_pool(x, np.array([[0, 1, 0, 4, 2]]), (2, 2), return_indices=True)
    # rows: bin_h = 3/2 -> [0, 2) and [1, 3); columns: bin_w = 2 -> [1, 3) and [3, 5)
    assert y[0, 0].tolist() == [[8.0, 10.0], [14.0, 16.0]]
    assert idx[0, 0].tolist() == [[8, 10], [14, 16]]


def test_roi_pool_bins_overlap_and_round_halves_away_from_zero():
    hs, he, ws, we = roi_pool_bins([0, 0.5, 0, 4.5, 4], 2, 1.0, 10, 10)
    # x1 = round(0.5) = 1, x2 = round(4.5) = 5 (numpy's round would give 0 and 4): 5 columns
    assert (ws.tolist(), we.tolist()) == ([1, 3], [4, 6])  # floor(0), ceil(2.5) | floor(2.5), ceil(5), + 1
    assert (hs.tolist(), he.tolist()) == ([0, 2], [3, 5])
    hs, he, ws, we = roi_pool_bins([0, -2.5, -2.5, -1, -1], 1, 1.0, 10, 10)  # round(-2.5) = -3
    assert (ws.tolist(), we.tolist()) == ([0], [0])                          # clipped: empty


def test_roi_pool_empty_bins_give_zero_and_no_index():
    x = -np.ones((1, 1, 4, 4))
    y, idx = roi_pool(x, np.array([[0, 5, 5, 8, 8]]), 2, return_indices=True)   # entirely off the map
    assert y.tolist() == [[[[0.0, 0.0], [0.0, 0.0]]]] and (idx == -1).all()
    assert not roi_pool_backward(np.ones_like(y), x, np.array([[0, 5, 5, 8, 8]]), 2).any()


def test_roi_pool_ties_nan_and_minus_flt_max():
    x = np.zeros((1, 3, 2, 2))
    x[0, 1] = [[np.nan, 1.0], [1.0, np.nan]]
    x[0, 2] = -np.inf
    y, idx = roi_pool(x, np.array([[0, 0, 0, 1, 1]]), 1, return_indices=True)
    assert y[0, :, 0, 0].tolist() == [0.0, 1.0, -FLT_MAX]       # NaN is never picked
    assert idx[0, :, 0, 0].tolist() == [0, 1, -1]               # ties: the first in scan order
    g = roi_pool_backward(np.ones_like(y), x, np.array([[0, 0, 0, 1, 1]]), 1)
    assert g[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]] and not g[0, 2].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(6))
def test_roi_pool_matches_the_kernel_loop(seed, dtype):
    x, rois = _random_case(seed, dtype)
    scale = (1.0, 0.5, 0.75)[seed % 3]
    out = (1, (2, 3), 3)[seed % 3]
    oh, ow = (out, out) if isinstance(out, int) else out
    y, idx = roi_pool(x, rois, out, scale, return_indices=True)
    want, want_idx = _roi_pool_loop(x, rois, oh, ow, scale)
    assert y.dtype == dtype and np.array_equal(y, want) and np.array_equal(idx, want_idx)


def test_roi_pool_gradcheck_with_ties_and_shared_pixels():
    x = np.round(np.random.default_rng(0).normal(size=(2, 1, 5, 5)), 0)  # many ties
    rois = np.array([[0, 0, 0, 4, 4], [0, 1, 1, 4, 3], [1, 2.4, 0.6, 5, 5.5]])
    assert gradcheck(roi_pool, x, rois, (3, 2), backward=roi_pool_backward)
    y, idx = roi_pool(x, rois, (3, 2), return_indices=True)
    g = np.random.default_rng(1).normal(size=y.shape)
    want = np.zeros((2, 1, 25))
    for k, ch, i, j in np.ndindex(*y.shape):
        if idx[k, ch, i, j] >= 0:                       # -1: an empty bin sends nothing back
            want[int(rois[k, 0]), ch, idx[k, ch, i, j]] += g[k, ch, i, j]
    assert (idx == -1).any()
    assert np.allclose(roi_pool_backward(g, x, rois, (3, 2), indices=idx), want.reshape(x.shape))
    assert np.allclose(roi_pool_backward(g, x, rois, (3, 2)), want.reshape(x.shape))


# ---------------------------------------------------------------- RoIAlign
def test_roi_align_by_hand():
    x = np.arange(16.0).reshape(1, 1, 4, 4)   # x[i, j] = 4 i + j: bilinear interpolation is exact
    # box [0, 0, 2, 2], one bin, 2 x 2 samples at 0.5 and 1.5: values 4y + x averaged = 4 + 1 = 5
    assert roi_align(x, np.array([[0, 0, 0, 2, 2]]), 1, sampling_ratio=2).item() == 5.0
    # aligned=True shifts by half a pixel: samples at 0 and 1 -> 4*0.5 + 0.5 = 2.5
    assert roi_align(x, np.array([[0, 0, 0, 2, 2]]), 1, sampling_ratio=2, aligned=True).item() == 2.5
    # adaptive grid: ceil(2 / 1) = 2 samples per axis, the same as sampling_ratio=2
    assert roi_align(x, np.array([[0, 0, 0, 2, 2]]), 1).item() == 5.0
    # a zero-size box: at least 1 x 1 when aligned=False; no samples (0) when aligned=True
    assert roi_align(x, np.array([[0, 1, 1, 1, 1]]), 1).item() == 4 * 1.5 + 1.5
    assert roi_align(x, np.array([[0, 1, 1, 1, 1]]), 1, aligned=True).item() == 0.0


def test_roi_align_samples_on_pixels_and_at_the_edges():
    # samples exactly on pixels (integer coordinates) read that pixel alone
    ys, _, count = roi_align_samples([0, 0, 0, 4, 4], 2, sampling_ratio=1)
    assert ys.tolist() == [[1.0], [3.0]] and count == 1
    wt = bilinear_weights(np.array([[1.0], [3.0]]), 5)
    assert wt.tolist() == [[0, 1, 0, 0, 0], [0, 0, 0, 1, 0]]
    # -1 and size are still inside (clamped to the edge pixel), beyond them nothing
    wt = bilinear_weights(np.array([[-1.0], [-1.5], [4.0], [4.5], [3.0], [2.25]]), 4)
    assert wt.tolist() == [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 1],
                           [0, 0, 0.75, 0.25]]


@settings(max_examples=examples(25))
@given(seed=st.integers(0, 10**6), sr=st.sampled_from([-1, 0, 1, 2, 3]), aligned=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), out=st.sampled_from([1, 2, (2, 3), (3, 1)]),
       scale=st.sampled_from([1.0, 0.5, 0.25]))
def test_roi_align_matches_the_kernel_loop(seed, sr, aligned, dtype, out, scale):
    x, rois = _random_case(seed, dtype, h=5, w=6, k=3, spread=12)
    oh, ow = (out, out) if isinstance(out, int) else out
    y = roi_align(x, rois, out, scale, sr, aligned)
    want = _roi_align_loop(x, rois, oh, ow, scale, sr, aligned)
    assert y.dtype == dtype and y.shape == want.shape
    single = dtype == np.float32
    assert np.allclose(y, want, rtol=1e-5 if single else 1e-12, atol=1e-6 if single else 1e-12)


def test_roi_align_on_the_grid_of_pixels_and_its_edges():
    """Samples on integer coordinates, at -1, at 0, at H - 1 and at H (the last still read, clamped)."""
    x = np.random.default_rng(3).normal(size=(1, 2, 5, 5))
    rois = np.array([[0, 0, 0, 4, 4], [0, -2, -2, 6, 6], [0, -1, -1, 5, 5], [0, 3, 3, 5, 5]])
    for aligned in (False, True):
        for sr in (1, 2):
            y = roi_align(x, rois, 2, 1.0, sr, aligned)
            assert np.allclose(y, _roi_align_loop(x, rois, 2, 2, 1.0, sr, aligned), rtol=1e-12, atol=1e-12)
            assert gradcheck(roi_align, x, rois, 2, 1.0, sr, aligned, backward=roi_align_backward)


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [-1, 2])
def test_roi_align_gradcheck(aligned, sampling_ratio):
    x, rois = _random_case(7, h=5, w=6, k=4)
    assert gradcheck(roi_align, x, rois, (2, 3), 0.5, sampling_ratio, aligned, backward=roi_align_backward)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # 0 * inf, in the loop
def test_roi_align_non_finite_values_reach_the_bins_that_read_them():
    x, rois = _random_case(13, h=6, w=7, k=4)
    x[0, 0, 3, 4] = np.nan
    x[0, 1, 0, 0] = np.inf                  # pixel (0, 0): read, with weight 0, by samples off the map
    x[1, 0, 5, 6] = -np.inf
    rois = np.concatenate([rois, [[0, 0, 0, 4, 4], [0, -3, -3, 2, 2], [1, 3, 3, 7, 7], [0, 4, 3, 4, 3]]])
    for aligned in (False, True):
        for sr in (-1, 1, 2):
            y = roi_align(x, rois, (2, 3), 1.0, sr, aligned)
            want = _roi_align_loop(x, rois, 2, 3, 1.0, sr, aligned)
            assert np.array_equal(np.isnan(y), np.isnan(want)) and np.array_equal(np.isinf(y), np.isinf(want))
            fin = np.isfinite(want)
            assert np.allclose(y[fin], want[fin], rtol=1e-12, atol=1e-12)
            assert fin.any() and not fin.all()


def test_roi_align_backward_is_the_transpose():
    x, rois = _random_case(11, h=5, w=6, k=5)
    g = np.random.default_rng(2).normal(size=(5, 2, 3, 2))
    v = np.random.default_rng(3).normal(size=x.shape)
    lhs = np.sum(roi_align(v, rois, (3, 2), sampling_ratio=2) * g)
    rhs = np.sum(v * roi_align_backward(g, x, rois, (3, 2), sampling_ratio=2))
    assert np.isclose(lhs, rhs, rtol=1e-12)


@settings(max_examples=examples(10))
@given(seed=st.integers(0, 10**6), oh=st.integers(2, 4), ow=st.integers(2, 4))
def test_roi_align_is_tensorflows_crop_and_resize_where_they_coincide(seed, oh, ow):
    """With aligned=True and one sample per bin, RoIAlign samples at y1 - 0.5 + (i + 0.5) * bin_h:
    crop_and_resize samples n points from y1' (H - 1) to y2' (H - 1). Where every sample is inside
    [0, H - 1] (neither clamps nor extrapolates), the two agree."""
    rng = np.random.default_rng(seed)
    n, c, h, w = 2, 3, 7, 8
    x = rng.normal(size=(n, c, h, w)).astype(np.float32)
    y1, x1 = rng.uniform(0.5, 2.5, 2)
    y2, x2 = y1 + rng.uniform(1, h - 0.5 - y1), x1 + rng.uniform(1, w - 0.5 - x1)
    b = int(rng.integers(0, n))
    ours = roi_align(x, np.array([[b, x1, y1, x2, y2]]), (oh, ow), sampling_ratio=1, aligned=True)
    ys, xs, _ = roi_align_samples([b, x1, y1, x2, y2], (oh, ow), sampling_ratio=1, aligned=True)
    assert ys.min() >= 0 and ys.max() <= h - 1 and xs.min() >= 0 and xs.max() <= w - 1
    box = [[ys[0, 0] / (h - 1), xs[0, 0] / (w - 1), ys[-1, 0] / (h - 1), xs[-1, 0] / (w - 1)]]
    theirs = tf().image.crop_and_resize(np.moveaxis(x, 1, -1), box, [b], (oh, ow)).numpy()
    assert np.allclose(ours[0], np.moveaxis(theirs[0], -1, 0), rtol=1e-4, atol=1e-5)


def test_box_formats_agree_and_empty():
    x, rois = _random_case(5, k=4)
    listed = [rois[rois[:, 0] == i, 1:] for i in range(2)]
    order = np.argsort(rois[:, 0], kind="stable")
    for f in (roi_pool, roi_align):
        assert np.array_equal(f(x, listed, 2), f(x, rois[order], 2))
        assert f(x, np.zeros((0, 5)), (2, 3)).shape == (0, 2, 2, 3)
        assert f(x, [np.zeros((0, 4))], 2).shape == (0, 2, 2, 2)
    assert not roi_align_backward(np.zeros((0, 2, 2, 2)), x, np.zeros((0, 5)), 2).any()


# ---------------------------------------------------------------- spatial pyramid pooling
@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("hw", [(5, 7), (13, 9), (3, 3)])
def test_spp_is_torch_adaptive_pooling_concatenated(mode, hw):
    t = torch()
    x = np.random.default_rng(0).normal(size=(2, 3) + hw)
    levels = (1, 2, 4, (2, 3))
    y = spatial_pyramid_pool(x, levels, mode)
    assert y.shape == (2, 3 * (1 + 4 + 16 + 6))
    xt = t.tensor(x, requires_grad=True)
    pool = t.nn.functional.adaptive_max_pool2d if mode == "max" else t.nn.functional.adaptive_avg_pool2d
    want = t.cat([pool(xt, lv).flatten(1) for lv in levels], dim=1)
    assert np.allclose(y, want.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(1).normal(size=y.shape)
    want.backward(t.tensor(g))
    assert np.allclose(spatial_pyramid_pool_backward(g, x, levels, mode), xt.grad.numpy(), rtol=1e-12)
    assert spatial_pyramid_pool(x[0], levels, mode).shape == (3 * 27,)


def test_spp_gradcheck_with_ties():
    x = np.round(np.random.default_rng(2).normal(size=(1, 2, 6, 5)))
    assert gradcheck(spatial_pyramid_pool, x, (1, 2, 3), backward=spatial_pyramid_pool_backward)


# ---------------------------------------------------------------- max over time
def test_max_over_time_is_torchs_masked_max():
    t = torch()
    x = np.round(np.random.default_rng(0).normal(size=(4, 3, 6)), 1)
    x[1, 0, 4] = 99.0                                # in the padding: never picked
    lengths = np.array([6, 2, 4, 1])
    y = max_over_time(x, lengths)
    xt = t.tensor(x, requires_grad=True)
    mask = t.arange(6)[None, None, :] < t.tensor(lengths)[:, None, None]
    want = xt.masked_fill(~mask, float("-inf")).max(dim=2).values
    assert np.array_equal(y, want.detach().numpy()) and y[1, 0] < 99
    g = np.random.default_rng(1).normal(size=y.shape)
    want.backward(t.tensor(g))
    assert np.array_equal(max_over_time_backward(g, x, lengths), xt.grad.numpy())


def test_max_over_time_ties_and_gradcheck():
    x = np.array([[[1.0, 3.0, 3.0, 5.0]]])
    assert max_over_time(x, [3]).tolist() == [[3.0]]
    assert max_over_time_backward(np.ones((1, 1)), x, [3]).tolist() == [[[0.0, 1.0, 0.0, 0.0]]]
    xs = np.round(np.random.default_rng(4).normal(size=(3, 2, 5)))
    assert gradcheck(max_over_time, xs, np.array([5, 2, 3]), backward=max_over_time_backward)
    assert max_over_time(np.arange(6).reshape(1, 2, 3), np.array([2])).tolist() == [[1, 4]]


# ---------------------------------------------------------------- bad input
X = np.zeros((2, 1, 4, 4))


@pytest.mark.parametrize("call, error, words", [
    (lambda: roi_pool(X, np.array([[0, 3, 0, 1, 2]]), 2), ValueError, "x2 >= x1"),
    (lambda: roi_align(X, np.array([[0, 0, 3, 1, 2]]), 2), ValueError, "y2 >= y1"),
    (lambda: roi_align(X, np.array([[2, 0, 0, 1, 1]]), 2), ValueError, "batch index 2"),
    (lambda: roi_align(X, np.array([[0.5, 0, 0, 1, 1]]), 2), ValueError, "must be an integer in [0, 2)"),
    (lambda: roi_pool(X, [np.zeros((1, 4))] * 3, 2), ValueError, "batch index 2 is out of range"),
    (lambda: roi_align(X, np.array([[0, 0, 0, np.inf, 1]]), 2), ValueError, "not finite"),
    (lambda: roi_align(X, np.array([[0, 0, 0, np.nan, 1]]), 2), ValueError, "not finite"),
    (lambda: roi_align(X, np.zeros((3, 4)), 2), ValueError, "(K, 5)"),
    (lambda: roi_align(X, [np.zeros((3, 5))], 2), ValueError, "boxes[0] must be a (Ki, 4)"),
    (lambda: roi_align(X, np.array([["a"] * 5]), 2), TypeError, "boxes must be an array of numbers"),
    (lambda: roi_pool(X, np.zeros((1, 5)), 0), ValueError, "output_size=(0, 0) must be positive"),
    (lambda: roi_pool(X, np.zeros((1, 5)), (2, -1)), ValueError, "output_size=(2, -1) must be positive"),
    (lambda: roi_pool(X, np.zeros((1, 5)), 2.0), TypeError, "output_size=2.0"),
    (lambda: roi_align(X, np.zeros((1, 5)), 2, spatial_scale=0), ValueError, "spatial_scale=0"),
    (lambda: roi_align(X, np.zeros((1, 5)), 2, spatial_scale=float("nan")), ValueError, "finite"),
    (lambda: roi_align(X, np.zeros((1, 5)), 2, sampling_ratio=1.5), TypeError, "sampling_ratio=1.5"),
    (lambda: roi_align(X, np.zeros((1, 5)), 2, aligned=1), TypeError, "aligned=1"),
    (lambda: roi_align(X[0], np.zeros((1, 5)), 2), ValueError, "(N, C, H, W)"),
    (lambda: roi_pool(X.astype(int), np.zeros((1, 5)), 2), TypeError, "floating-point"),
    (lambda: roi_align_backward(np.zeros((1, 1, 3, 3)), X, np.zeros((1, 5)), 2), ValueError, "grad_output"),
    (lambda: spatial_pyramid_pool(X, ()), ValueError, "levels=() must hold at least one"),
    (lambda: spatial_pyramid_pool(X, (1, 0)), ValueError, "positive"),
    (lambda: spatial_pyramid_pool(X, 4), TypeError, "levels=4"),
    (lambda: spatial_pyramid_pool(X, (1.5,)), TypeError, "each level"),
    (lambda: spatial_pyramid_pool(X, (1,), mode="min"), ValueError, "mode='min'"),
    (lambda: max_over_time(np.zeros((2, 1, 4)), np.array([4, 5])), ValueError, "lengths[1]=5"),
    (lambda: max_over_time(np.zeros((2, 1, 4)), np.array([0, 1])), ValueError, "lengths[0]=0"),
    (lambda: max_over_time(np.zeros((2, 1, 4)), np.array([1.0, 1.0])), TypeError, "lengths must be integers"),
    (lambda: max_over_time(np.zeros((2, 1, 4)), np.array([1])), ValueError, "shape (2,)"),
    (lambda: max_over_time(np.zeros((2, 4)), np.array([1, 1])), ValueError, "(N, C, T)"),
])
def test_errors_name_the_parameter_and_the_rule(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value)


def test_exported_from_poolkit():
    for name in ("roi_pool", "roi_align", "spatial_pyramid_pool", "max_over_time", "roi_align_backward"):
        assert getattr(poolkit, name) is getattr(poolkit.regions, name)
