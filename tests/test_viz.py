"""poolkit.viz: every figure carries the numbers it draws, and they are right."""

from __future__ import annotations

import io
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import poolkit  # noqa: E402
from poolkit import viz  # noqa: E402


def texts(ax):
    return [t.get_text() for t in ax.texts]


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    return buf.getvalue()


def test_import_poolkit_does_not_import_matplotlib():
    code = "import sys, poolkit; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("value, text", [
    (3, "3"), (3.0, "3"), (-2.0, "−2"), (0.25, "0.25"), (1 / 3, "0.33"), (-np.inf, "−∞"), (np.inf, "∞"),
    (np.nan, "nan"), (np.float32(1.5), "1.5"), (np.int64(-7), "−7")])
def test_label(value, text):
    assert viz.label(value) == text


# ---------------------------------------------------------------- grids
def test_grids_data_and_text():
    a = np.arange(6.0).reshape(2, 3)
    b = np.array([0.5, -1.0, np.inf])
    fig = viz.grids([a, b], ["a", "b"], highlight=[a > 3, None])
    assert isinstance(fig, Figure)
    data = fig.poolkit_data
    assert [t for t in data["titles"]] == ["a", "b"]
    np.testing.assert_array_equal(data["arrays"][0], a)
    np.testing.assert_array_equal(data["arrays"][1], b)
    assert data["labels"][0].tolist() == [["0", "1", "2"], ["3", "4", "5"]]
    assert data["labels"][1].tolist() == ["0.5", "−1", "∞"]
    np.testing.assert_array_equal(data["highlight"][0], a > 3)
    assert not data["highlight"][1].any() and data["highlight"][1].shape == (3,)
    ax_a, ax_b = fig.axes
    assert texts(ax_a) == ["0", "1", "2", "3", "4", "5"]
    assert texts(ax_b) == ["0.5", "−1", "∞"]
    assert ax_a.get_title() == "a"


def test_grids_copies_its_input():
    a = np.zeros((2, 2))
    fig = viz.grids([a])
    a[0, 0] = 9
    assert fig.poolkit_data["arrays"][0][0, 0] == 0


def test_grids_layout_wraps_and_fits_the_page():
    arrays = [np.zeros((3, 12))] * 5
    fig = viz.grids(arrays, ncols=2)
    assert len(fig.axes) == 5
    assert fig.get_size_inches()[0] <= viz.PAGE_WIDTH + 1e-9


@pytest.mark.parametrize("bad", [dict(titles=["x"]), dict(highlight=[None]), dict(highlight=[np.ones(3), None])])
def test_grids_rejects_mismatched_arguments(bad):
    with pytest.raises(ValueError):
        viz.grids([np.zeros((2, 2)), np.zeros(2)], **bad)


# ---------------------------------------------------------------- windows
def check_windows(data, x2d, mode="max"):
    """Each window's value is the pooling of its real taps, and the selected element is one of them."""
    for w in data["windows"]:
        taps = [t if isinstance(t, tuple) else (0, t) for t in w["taps"]]
        real = [t for t, r in zip(taps, w["real"]) if r]
        assert real, "a window with no real element"
        vals = np.array([x2d[t] for t in real])
        if mode == "avg":
            assert w["selected"] is None
        else:
            assert w["value"] == (vals.max() if mode == "max" else vals.min())
            sel = w["selected"] if isinstance(w["selected"], tuple) else (0, w["selected"])
            assert sel in real and x2d[sel] == w["value"]
        out = w["output"] if isinstance(w["output"], tuple) else (0, w["output"])
        assert np.atleast_2d(data["output"])[out] == w["value"]


def test_windows_d2l_padding_example():
    x = np.arange(16.0).reshape(4, 4)
    fig = viz.windows(x, 3, stride=2, padding=1)
    data = fig.poolkit_data
    np.testing.assert_array_equal(data["output"], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(data["output"], poolkit.max_pool2d(x[None], 3, 2, 1)[0])
    assert data["padding"] == ((1, 1), (1, 1))
    assert (data["kernel_size"], data["stride"], data["dilation"]) == ((3, 3), (2, 2), (1, 1))
    assert [w["output"] for w in data["windows"]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    first = data["windows"][0]
    assert first["taps"] == [(r, c) for r in (-1, 0, 1) for c in (-1, 0, 1)]
    assert first["real"] == [False, False, False, False, True, True, False, True, True]
    assert [w["selected"] for w in data["windows"]] == [(1, 1), (1, 3), (3, 1), (3, 3)]
    check_windows(data, x)
    # drawn: 16 input values, 20 padding cells labelled -inf (a 6x6 frame around 4x4), then the outputs
    ax_in, ax_out = fig.axes
    assert sorted(t for t in texts(ax_in) if t != "−∞") == sorted(str(i) for i in range(16))
    assert texts(ax_in).count("−∞") == 6 * 6 - 16
    assert texts(ax_out) == ["5", "7", "13", "15"]
    assert ax_out.get_title() == "max output (2×2)"


def test_windows_negative_input_never_selects_padding():
    x = np.arange(16.0).reshape(4, 4) - 100
    data = viz.windows(x, 3, stride=2, padding=1).poolkit_data
    np.testing.assert_array_equal(data["output"], [[-95, -93], [-87, -85]])
    check_windows(data, x)


@pytest.mark.parametrize("mode", ["max", "min", "avg"])
def test_windows_modes_agree_with_poolkit(mode):
    x = np.random.default_rng(0).integers(-9, 10, (5, 6)).astype(float)
    data = viz.windows(x, (2, 3), stride=(2, 1), padding=(1, 1), mode=mode).poolkit_data
    fn = {"max": poolkit.max_pool2d, "min": poolkit.min_pool2d, "avg": poolkit.avg_pool2d}[mode]
    expected = fn(x[None], (2, 3), (2, 1), (1, 1))[0]
    np.testing.assert_array_equal(data["output"], expected)
    assert len(data["windows"]) == expected.size
    check_windows(data, x, mode)
    if mode == "avg":  # padding counts as zeros: the divisor is always 6
        for w in data["windows"]:
            real = [t for t, r in zip(w["taps"], w["real"]) if r]
            assert w["value"] == pytest.approx(sum(x[t] for t in real) / 6)


def test_windows_avg_labels_padding_zero():
    fig = viz.windows(np.ones((2, 2)), 2, stride=1, padding=1, mode="avg")
    assert texts(fig.axes[0]).count("0") == 4 * 4 - 4


def test_windows_ceil_mode_one_d_and_the_dropped_window():
    x = np.arange(1.0, 6.0)
    fig = viz.windows(x, 2, stride=2, padding=1, ceil_mode=True, show_dropped=True)
    data = fig.poolkit_data
    np.testing.assert_array_equal(data["output"], [1, 3, 5])
    assert data["padding"] == (1, 1)
    assert [w["taps"] for w in data["windows"]] == [[-1, 0], [1, 2], [3, 4]]
    assert [w["selected"] for w in data["windows"]] == [0, 2, 4]
    assert [w["output"] for w in data["windows"]] == [0, 1, 2]
    assert [d["taps"] for d in data["dropped"]] == [[5, 6]]
    assert data["dropped"][0]["real"] == [False, False]
    check_windows(data, x[None])
    # position 5 is padding, 6 lies beyond it: one -inf on each side, nothing written at 6
    assert texts(fig.axes[0]).count("−∞") == 2


def test_windows_ceil_mode_overhang_without_padding():
    x = np.arange(1.0, 6.0)
    data = viz.windows(x, 2, stride=2, ceil_mode=True).poolkit_data
    assert [w["taps"] for w in data["windows"]] == [[0, 1], [2, 3], [4, 5]]
    assert data["windows"][-1]["real"] == [True, False]
    np.testing.assert_array_equal(data["output"], [2, 4, 5])
    assert data["dropped"] == []


def test_windows_dilation_taps():
    x = np.arange(25.0).reshape(5, 5)
    data = viz.windows(x, 2, stride=1, dilation=2, show=[(0, 0), (2, 2)]).poolkit_data
    assert data["output"].shape == (3, 3)
    assert [w["output"] for w in data["windows"]] == [(0, 0), (2, 2)]
    assert data["windows"][0]["taps"] == [(0, 0), (0, 2), (2, 0), (2, 2)]
    assert data["windows"][1]["taps"] == [(2, 2), (2, 4), (4, 2), (4, 4)]
    assert [w["value"] for w in data["windows"]] == [12, 24]
    check_windows(data, x)


def test_windows_same_padding_goes_bottom_right():
    x = np.arange(25.0).reshape(5, 5)
    data = viz.windows(x, 2, stride=2, padding="same").poolkit_data
    assert data["padding"] == ((0, 1), (0, 1))
    assert data["padding"][0] == poolkit.same_padding(5, 2, 2)
    np.testing.assert_array_equal(data["output"], poolkit.max_pool2d(x[None], 2, padding="same")[0])
    assert data["windows"][-1]["taps"] == [(4, 4), (4, 5), (5, 4), (5, 5)]
    check_windows(data, x)


def test_windows_reports_invalid_configurations_like_poolkit():
    with pytest.raises(ValueError, match="at most half"):
        viz.windows(np.zeros((4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match="show"):
        viz.windows(np.zeros((4, 4)), 2, show=[(2, 0)])
    with pytest.raises(ValueError, match="mode"):
        viz.windows(np.zeros((4, 4)), 2, mode="sum")


# ---------------------------------------------------------------- images
def test_images_shapes_and_titles():
    img = np.random.default_rng(0).random((40, 32))
    mx = poolkit.max_pool2d(img[None], 4)[0]
    av = poolkit.avg_pool2d(img[None], 4)[0]
    fig = viz.images(img, {"max 4×4": mx, "avg 4×4": av})
    data = fig.poolkit_data
    assert data["titles"] == ["input (40×32)", "max 4×4 (10×8)", "avg 4×4 (10×8)"]
    assert data["shapes"] == {"input": (40, 32), "max 4×4": (10, 8), "avg 4×4": (10, 8)}
    np.testing.assert_array_equal(data["arrays"]["max 4×4"], mx)
    assert [ax.get_title() for ax in fig.axes] == data["titles"]
    # every panel spans the input's extent, so the pooled images are drawn at the same size
    assert all(ax.images[0].get_extent() == [0, 32, 40, 0] for ax in fig.axes)
    assert fig.get_size_inches()[0] <= viz.PAGE_WIDTH + 1e-9
    with pytest.raises(ValueError):
        viz.images(img, {"rgb": np.zeros((4, 4, 3))})


# ---------------------------------------------------------------- figures as objects
def test_figures_are_deterministic_and_not_pyplots():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    x = np.arange(12.0).reshape(3, 4)
    makers = [lambda: viz.grids([x, x.T]), lambda: viz.windows(x, 2, stride=1, padding=1),
              lambda: viz.images(x, {"max": poolkit.max_pool2d(x[None], 2)[0]})]
    for make in makers:
        assert png(make()) == png(make())
    assert plt.get_fignums() == before, "a viz helper registered a figure with pyplot"


def test_figures_fit_the_page():
    x = np.zeros((20, 30))
    for fig in (viz.grids([x, x]), viz.windows(x, 3, padding=1), viz.images(x, {"a": x, "b": x, "c": x})):
        assert fig.get_size_inches()[0] <= viz.PAGE_WIDTH + 1e-9


# ---------------------------------------------------------------- readable on a phone
def _min_text_px(fig, column_px):
    """Smallest text of the figure's SVG in CSS px, shown at natural size or shrunk to the column."""
    import re

    s = viz.svg(fig)
    width_pt = float(re.search(r'width="([\d.]+)pt"', s).group(1))
    sizes = [float(v) for v in re.findall(r"font(?:-size)?:\s*(?:[a-z]+\s+)*([\d.]+)px", s)]
    assert sizes, "the SVG keeps no text as text"
    return min(sizes) * min(width_pt * 96 / 72, column_px) / width_pt


@pytest.mark.parametrize("make", [
    lambda: viz.grids([np.arange(16.0).reshape(4, 4), np.arange(4.0).reshape(2, 2)], ["input (4×4)", "max 2×2"]),
    lambda: viz.grids([np.random.default_rng(0).random((8, 8))], ["random values"], suptitle="a grid"),
    lambda: viz.grids([np.arange(72).reshape(6, 12)]),
    lambda: viz.windows(np.arange(25.0).reshape(5, 5) - 12, 3, stride=2, padding=1, title="windows"),
    lambda: viz.windows(np.arange(7.0), 3, stride=2, padding=1, ceil_mode=True, show_dropped=True),
    lambda: viz.images(np.random.default_rng(0).random((32, 32)),
                       {"max 2": np.zeros((16, 16)), "avg 4": np.zeros((8, 8))}),
])
def test_figure_text_readable_on_a_phone_and_a_desktop(make):
    fig = make()
    for column in (358, 757):  # the website's text column at 390 and 1366 px
        assert _min_text_px(fig, column) >= viz.MIN_TEXT_PX - 0.05, f"text below {viz.MIN_TEXT_PX} px at {column}"


def test_svg_is_deterministic():
    x = np.arange(12.0).reshape(3, 4)
    assert viz.svg(viz.windows(x, 2)) == viz.svg(viz.windows(x, 2))
