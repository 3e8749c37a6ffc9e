"""poolkit.viz_regions: each figure's data is the geometry poolkit pools with."""

import numpy as np
from matplotlib.figure import Figure

import poolkit
from poolkit import viz_regions
from poolkit.regions import roi_align_samples, roi_pool_bins


def test_roi_bins_shows_both_poolings_geometry():
    fig = viz_regions.roi_bins((8, 10), [1.75, 1.25, 7.75, 6.5], (2, 3), sampling_ratio=2)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    hs, he, ws, we = fig.poolkit_data["roi_pool"]
    want = roi_pool_bins([0, 1.75, 1.25, 7.75, 6.5], (2, 3), 1.0, 8, 10)
    assert all(np.array_equal(a, b) for a, b in zip((hs, he, ws, we), want))
    ys, xs = fig.poolkit_data["roi_align"]
    wy, wx, _ = roi_align_samples([0, 1.75, 1.25, 7.75, 6.5], (2, 3), sampling_ratio=2)
    assert np.array_equal(ys, wy) and np.array_equal(xs, wx) and xs.shape == (3, 2)
    # each RoIPool bin's max is the max of the pixels the figure shades
    x = np.random.default_rng(0).normal(size=(1, 1, 8, 10))
    y = poolkit.roi_pool(x, np.array([[0, 1.75, 1.25, 7.75, 6.5]]), (2, 3))
    for i in range(2):
        for j in range(3):
            assert y[0, 0, i, j] == x[0, 0, hs[i]:he[i], ws[j]:we[j]].max()


def test_pyramid_cells_are_adaptive_pooling_cells():
    fig = viz_regions.pyramid((6, 7), levels=(1, 2, (3, 2)))
    assert len(fig.axes) == 3 and set(fig.poolkit_data) == {(1, 1), (2, 2), (3, 2)}
    x = np.random.default_rng(1).normal(size=(1, 6, 7))
    for (nh, nw), (rs, re, cs, ce) in fig.poolkit_data.items():
        pooled = poolkit.adaptive_max_pool2d(x, (nh, nw))
        for i in range(nh):
            for j in range(nw):
                assert pooled[0, i, j] == x[0, rs[i]:re[i], cs[j]:ce[j]].max()


def test_curves_keeps_its_data():
    fig = viz_regions.curves([0, 1, 2], {"a": [1, 2, 3]}, "x", "y", levels={"top": 3.0}, logx=True)
    assert fig.poolkit_data["lines"] == {"a": [1, 2, 3]} and fig.poolkit_data["levels"] == {"top": 3.0}
