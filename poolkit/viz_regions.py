"""Figures for chapter 10: where RoI bins and pyramid cells fall, and curves of a pooling's knob.

Like :mod:`poolkit.viz`, every helper returns a plain :class:`matplotlib.figure.Figure`
whose ``poolkit_data`` attribute holds the numbers the figure shows, so a notebook can
assert on them (nbval compares a figure only by its ``<Figure size ...>`` line).

Coordinates: pixel ``(i, j)`` of a feature map is drawn as the unit square centred on
``(j, i)``. That is RoIAlign's frame: a sample at ``(y, x)`` reads pixel ``(y, x)`` alone
when both are integers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .regions import roi_align_samples, roi_pool_bins
from .viz import show_in_notebooks

__all__ = ["curves", "pyramid", "roi_bins"]

PAGE_WIDTH = 7.0

FIG_WIDTH = 5.2
"""Width of these figures, in inches: shrunk into a 390 px phone's column (358 px), text of
:data:`TEXT_PT` points still shows at least ``poolkit.viz.MIN_TEXT_PX`` CSS pixels."""

TEXT_PT = 10
"""Size of every text of these figures, in points."""


def _figure(figsize) -> Figure:
    show_in_notebooks()   # a bare Figure displays as an image, as poolkit.viz's do
    return Figure(figsize=figsize)


BIN_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22")


def _pixel_grid(ax, h, w, title):
    for i in range(h + 1):
        ax.plot([-0.5, w - 0.5], [i - 0.5, i - 0.5], color="#bbbbbb", lw=0.6, zorder=1)
    for j in range(w + 1):
        ax.plot([j - 0.5, j - 0.5], [-0.5, h - 0.5], color="#bbbbbb", lw=0.6, zorder=1)
    ax.set_xlim(-1.5, w + 0.5)
    ax.set_ylim(h + 0.5, -1.5)
    ax.set_aspect("equal")
    ax.set_xticks(range(w))
    ax.set_yticks(range(h))
    ax.tick_params(labelsize=TEXT_PT, length=0)
    ax.xaxis.tick_top()
    ax.set_title(title, fontsize=TEXT_PT)
    for side in ax.spines.values():
        side.set_visible(False)


def roi_bins(map_size, box, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """Two panels on the same ``map_size = (H, W)`` feature map: RoIPool's bins (whole pixels,
    after rounding) and RoIAlign's (exact, with their sampling points).

    ``box`` is ``[x1, y1, x2, y2]`` in input pixels; the other arguments are those of
    :func:`poolkit.roi_pool` and :func:`poolkit.roi_align`. ``fig.poolkit_data`` holds
    ``"roi_pool"``: ``(hstart, hend, wstart, wend)`` and ``"roi_align"``: ``(ys, xs)``, the
    sampling coordinates (see :func:`poolkit.regions.roi_align_samples`).
    """
    h, w = map_size
    roi = [0.0] + [float(v) for v in box]
    hs, he, ws, we = roi_pool_bins(roi, output_size, spatial_scale, h, w)
    ys, xs, _ = roi_align_samples(roi, output_size, spatial_scale, sampling_ratio, aligned)
    fig = _figure((FIG_WIDTH, FIG_WIDTH * h / (2 * w + 2) + 0.4))
    left, right = fig.subplots(1, 2)
    _pixel_grid(left, h, w, "RoIPool: rounded\nto whole pixels")
    _pixel_grid(right, h, w, "RoIAlign: exact bins,\nbilinear samples")
    off = 0.5 if aligned else 0.0
    x1, y1, x2, y2 = (float(v) * spatial_scale - off for v in box)
    for ax in (left, right):   # the box as given, in the feature map's frame
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, ec="black", lw=1.6, ls="--", zorder=4))
    bw, bh = _bin_size(x1, x2, y1, y2, ws.size, hs.size, aligned)
    n = 0
    for ph in range(len(hs)):
        for pw in range(len(ws)):
            color = BIN_COLORS[n % len(BIN_COLORS)]
            n += 1
            if he[ph] > hs[ph] and we[pw] > ws[pw]:
                left.add_patch(Rectangle((ws[pw] - 0.5, hs[ph] - 0.5), we[pw] - ws[pw], he[ph] - hs[ph],
                                         fc=color, alpha=0.25, ec=color, lw=1.5, zorder=2))
            right.add_patch(Rectangle((x1 + pw * bw, y1 + ph * bh), bw, bh, fc=color, alpha=0.15, ec=color,
                                      lw=1.2, zorder=2))
            py, px = np.meshgrid(ys[ph], xs[pw], indexing="ij")
            right.scatter(px.ravel(), py.ravel(), s=12, color=color, zorder=5)
    fig.tight_layout()
    fig.poolkit_data = {"roi_pool": (hs, he, ws, we), "roi_align": (ys, xs)}
    return fig


def _bin_size(x1, x2, y1, y2, ow, oh, aligned):
    width, height = x2 - x1, y2 - y1
    if not aligned:
        width, height = max(width, 1.0), max(height, 1.0)
    return width / ow, height / oh


def pyramid(map_size, levels=(1, 2, 4)):
    """One panel per pyramid level: the ``H x W`` map cut into that level's adaptive-pooling cells.

    Cell ``i`` of ``n`` covers rows ``floor(i * H / n)`` to ``ceil((i + 1) * H / n) - 1`` (cells
    overlap when ``n`` does not divide ``H``). ``fig.poolkit_data`` maps each level to its
    ``(row_starts, row_ends, col_starts, col_ends)``.
    """
    h, w = map_size
    levels = [lv if isinstance(lv, tuple) else (lv, lv) for lv in levels]
    fig = _figure((FIG_WIDTH, FIG_WIDTH / len(levels) * h / w + 0.6))
    axes = np.atleast_1d(fig.subplots(1, len(levels)))
    data = {}
    for ax, (nh, nw) in zip(axes, levels):
        rs = [i * h // nh for i in range(nh)]
        re = [-(-(i + 1) * h // nh) for i in range(nh)]
        cs = [j * w // nw for j in range(nw)]
        ce = [-(-(j + 1) * w // nw) for j in range(nw)]
        _pixel_grid(ax, h, w, f"{nh} x {nw}: {nh * nw} cell{'s' if nh * nw > 1 else ''}")
        for i in range(nh):
            for j in range(nw):
                color = BIN_COLORS[(i * nw + j) % len(BIN_COLORS)]
                ax.add_patch(Rectangle((cs[j] - 0.5, rs[i] - 0.5), ce[j] - cs[j], re[i] - rs[i], fc=color,
                                       alpha=0.2, ec=color, lw=1.5, zorder=2))
        data[(nh, nw)] = (rs, re, cs, ce)
    fig.tight_layout()
    fig.poolkit_data = data
    return fig


def curves(x, lines: Mapping[str, Sequence[float]], xlabel, ylabel, levels: Mapping[str, float] | None = None,
           logx=False):
    """A line plot: ``lines`` (label -> values over ``x``), dashed horizontal ``levels`` (label -> value).
    ``fig.poolkit_data`` holds ``x``, ``lines`` and ``levels``."""
    fig = _figure((FIG_WIDTH, 2.8))
    ax = fig.subplots()
    for label, values in lines.items():
        ax.plot(x, values, marker="o", ms=3, label=label)
    for n, (label, value) in enumerate((levels or {}).items()):
        ax.axhline(value, ls="--", lw=1, color=BIN_COLORS[(n + 2) % len(BIN_COLORS)], label=label)
    if logx:
        ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=TEXT_PT)
    fig.tight_layout()
    fig.poolkit_data = {"x": np.asarray(x), "lines": dict(lines), "levels": dict(levels or {})}
    return fig
