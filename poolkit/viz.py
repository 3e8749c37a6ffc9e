"""Figures for the book: value grids, where pooling windows land, images before and after.

Every helper returns a :class:`matplotlib.figure.Figure` whose ``poolkit_data``
attribute holds the numbers the figure shows, so a notebook can assert on them
(nbval compares a figure only by its ``<Figure size ...>`` line, not its pixels).

The figures are plain ``Figure`` objects, not registered with ``pyplot``: a
notebook displays one by ending a cell with it, nothing is shown or closed
behind the caller's back, and drawing many figures leaks nothing. They are
deterministic and sized for a book page (at most :data:`PAGE_WIDTH` inches wide), with
text large enough to read on a phone: at least :data:`MIN_TEXT_PX` CSS pixels when the
figure is shown at its natural size or shrunk into a 390 px phone's column. In a notebook
they display as SVG with the text kept as text (sharp at any zoom, and small).

matplotlib is imported here only; ``import poolkit`` does not need it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from .geometry import build_axes, to_tuple

__all__ = ["grids", "windows", "images", "label", "svg", "PAGE_WIDTH", "MIN_TEXT_PX"]

PAGE_WIDTH = 7.0
"""Widest figure, in inches (a book page's text column)."""

CELL = 0.42
"""Side of one grid cell, in inches, before a figure is shrunk to fit the page."""

WINDOW_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
                 "#bcbd22")
"""Outline colours of successive windows (cycled)."""

MIN_TEXT_PX = 9.5
"""Smallest text of a figure, in CSS pixels, on a phone and on a desktop."""

PHONE_COLUMN_PX = 358
"""Width of the text column of the website on a 390 px wide phone."""

HIGHLIGHT = "#ff7f0e"
PAD_FACE = "#fdebd3"
PAD_TEXT = "#4a2f00"
OUTSIDE_FACE = "#ffffff"


# ---------------------------------------------------------------- figures
SVG_FONTS = ["DejaVu Sans", "Arial", "Helvetica"]
"""The font list each SVG text names (matplotlib's default list is ten names long, written
into every label; DejaVu Sans, the first, is the one matplotlib lays the text out with)."""


def svg(fig: Figure) -> str:
    """The figure as SVG text, its text kept as text, the same bytes on every run.

    Kept light for the website: a short font list per label, and images drawn in shades of
    gray (``cmap="gray"``) embedded as 8-bit grayscale PNG instead of RGBA."""
    import io

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "poolkit", "font.sans-serif": SVG_FONTS}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return _GRAY_PNG_RE.sub(_as_gray_png, buf.getvalue())


_GRAY_PNG_RE = re.compile(r"(data:image/png;base64,)([A-Za-z0-9+/=\s]+)")


def _as_gray_png(match: re.Match) -> str:
    """An embedded opaque RGBA PNG whose pixels are all gray, re-encoded as grayscale PNG."""
    import base64
    import io

    from PIL import Image

    rgba = np.asarray(Image.open(io.BytesIO(base64.b64decode(match.group(2)))))
    if rgba.ndim != 3 or rgba.shape[2] != 4 or (rgba[..., 3] != 255).any() \
            or (rgba[..., 0] != rgba[..., 1]).any() or (rgba[..., 1] != rgba[..., 2]).any():
        return match.group(0)
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., 0])).save(out, format="PNG", optimize=True)
    return match.group(1) + base64.b64encode(out.getvalue()).decode("ascii")


def show_in_notebooks():
    """Let IPython display a bare Figure as SVG (text kept as text, sharp on any screen).

    The figures here are not pyplot's, so nothing registers a display for them unless
    the notebook has set up matplotlib; an SVG display already registered is left alone
    (one for PNG, e.g. ``%matplotlib inline``'s, stays too: the website prefers the SVG)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    formatter = shell.display_formatter.formatters.get("image/svg+xml")
    if formatter is None:
        return
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, svg)


def _fontsize(width_in: float) -> float:
    """Points of text that show at least MIN_TEXT_PX CSS px in a figure ``width_in`` wide
    (an SVG shows at 96/72 px per point, shrunk to the column on a phone)."""
    shown_px = min(width_in * 96, PHONE_COLUMN_PX)
    return round(max(9.0, MIN_TEXT_PX * width_in * 72 / shown_px), 1)


def _cell_for(labels, fontsize: float) -> float:
    """Side of a grid cell, in inches, that holds the longest label at ``fontsize``."""
    longest = max((len(t) for t in labels), default=1)
    return max(CELL, (0.62 * fontsize * longest + 7) / 72)


def _chars(text: str) -> int:
    """Length of the longest line of a title."""
    return max((len(line) for line in text.split("\n")), default=0)


def _layout(labels, width_of) -> tuple:
    """(cell, fontsize, width): the text size that reads on a phone for the figure's final
    width, and cells that hold the labels at that size; ``width_of(cell, fontsize)`` is the figure's
    natural width (``fontsize`` the labels' size; titles are one point larger). A figure wider than
    the page is shrunk, and its text with it."""
    fontsize = 9.0
    for _ in range(4):
        cell = _cell_for(labels, fontsize)
        width = width_of(cell, fontsize)
        fontsize = _fontsize(min(width, PAGE_WIDTH))
    cell = _cell_for(labels, fontsize)
    width = width_of(cell, fontsize)
    if width > PAGE_WIDTH:  # the labels must still fit their shrunk cells
        longest = max((len(t) for t in labels), default=1)
        fontsize = round(min(fontsize, (cell * PAGE_WIDTH / width * 72 - 5) / (0.62 * longest)), 1)
    return cell, fontsize, width


def _new_figure(figsize) -> Figure:
    show_in_notebooks()
    return Figure(figsize=figsize, layout="constrained")


# ---------------------------------------------------------------- labels
def label(v) -> str:
    """How a grid shows a number: integers without a decimal point, others with at most
    2 decimals, infinities as ``∞``/``−∞``."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    v = float(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == int(v):
        return str(int(v)).replace("-", "−")
    return np.format_float_positional(v, precision=2, trim="-").replace("-", "−")


def _as_2d(a):
    a = np.asarray(a)
    if a.ndim == 1:
        return a[None, :]
    if a.ndim != 2:
        raise ValueError(f"array has shape {a.shape}; a grid shows 1-D or 2-D arrays")
    return a


def _text_color(rgba) -> str:
    r, g, b = rgba[:3]
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"


def _clean(ax):
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _fit(width, height):
    """Shrink (never grow) a figure size to the page width, keeping its aspect ratio."""
    if width > PAGE_WIDTH:
        height, width = height * PAGE_WIDTH / width, PAGE_WIDTH
    return round(width, 2), round(height, 2)


def _draw_values(ax, a, cmap, vmin, vmax, fontsize, highlight=None, span=(0.0, 1.0)):
    """Draw a 2-D array as coloured cells with their values; return the labels drawn.

    Values from ``vmin`` to ``vmax`` use the part ``span`` of the colour map."""
    finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
    if vmin is None:
        vmin = float(finite.min()) if finite.size else 0.0
    if vmax is None:
        vmax = float(finite.max()) if finite.size else 1.0
    if vmax == vmin:
        vmin, vmax = vmin - 1, vmax + 1
    colormap = matplotlib.colormaps[cmap]
    labels = np.empty(a.shape, dtype=object)
    for (i, j), v in np.ndenumerate(a):
        labels[i, j] = label(v)
        t = (float(v) - vmin) / (vmax - vmin) if np.isfinite(float(v)) else 0.0
        face = colormap(span[0] + (span[1] - span[0]) * min(max(t, 0.0), 1.0))
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fc=face, ec="none"))
        ax.text(j, i, labels[i, j], ha="center", va="center", fontsize=fontsize, color=_text_color(face))
    h, w = a.shape
    for r in range(h + 1):
        ax.plot([-0.5, w - 0.5], [r - 0.5, r - 0.5], color="#555555", lw=0.6)
    for c in range(w + 1):
        ax.plot([c - 0.5, c - 0.5], [-0.5, h - 0.5], color="#555555", lw=0.6)
    if highlight is not None:
        for i, j in zip(*np.nonzero(highlight)):
            ax.add_patch(Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, fill=False, ec=HIGHLIGHT, lw=2.2))
    ax.set_xlim(-0.55, w - 0.45)
    ax.set_ylim(h - 0.45, -0.55)
    ax.set_aspect("equal")
    _clean(ax)
    return labels


# ---------------------------------------------------------------- grids of values
def grids(arrays: Sequence, titles: Sequence[str] | None = None, *, ncols: int | None = None,
          highlight: Sequence | None = None, cmap: str = "Blues", shared_scale: bool = False,
          suptitle: str | None = None) -> Figure:
    """Arrays drawn side by side as annotated grids of values (1-D arrays as one row).

    Parameters
    ----------
    arrays : sequence of 1-D or 2-D arrays
        Drawn left to right, wrapping after ``ncols`` (default: all in one row).
    titles : sequence of str, optional
        One title per array.
    highlight : sequence, optional
        One boolean mask (array's shape) or None per array: those cells get an orange frame.
    cmap : str
        Colour map of the cells; each array uses its own value range unless ``shared_scale``.
    suptitle : str, optional
        Title above the whole figure.

    Returns
    -------
    Figure with ``fig.poolkit_data = {"arrays", "titles", "labels", "highlight"}``:
    copies of the arrays, the titles, the text drawn in each cell (object arrays of
    str, shaped like the arrays) and the highlight masks (all False where none).
    """
    arrays = [np.array(a) for a in arrays]
    if not arrays:
        raise ValueError("arrays is empty; grids needs at least one array")
    grid2d = [_as_2d(a) for a in arrays]
    n = len(arrays)
    titles = list(titles) if titles is not None else [""] * n
    if len(titles) != n:
        raise ValueError(f"titles has {len(titles)} entries for {n} arrays")
    highlight = list(highlight) if highlight is not None else [None] * n
    if len(highlight) != n:
        raise ValueError(f"highlight has {len(highlight)} entries for {n} arrays")
    masks = []
    for a, _grid, h in zip(arrays, grid2d, highlight):
        m = np.zeros(a.shape, dtype=bool) if h is None else np.asarray(h, dtype=bool)
        if m.shape != a.shape:
            raise ValueError(f"highlight mask has shape {m.shape} for an array of shape {a.shape}")
        masks.append(m)
    ncols = n if ncols is None else max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    row_h = [max(grid2d[i].shape[0] for i in range(r * ncols, min(n, (r + 1) * ncols))) for r in range(nrows)]

    def col_widths(cell, fontsize):  # a column is as wide as its widest array, or its longest title
        return [max(max(grid2d[i].shape[1], 0.6 * (fontsize + 1) * _chars(titles[i]) / 72 / cell)
                    for i in range(c, n, ncols)) for c in range(ncols)]

    def width_of(cell, fontsize):
        return cell * sum(col_widths(cell, fontsize)) + 0.35 * ncols + 0.2

    cell, fontsize, width = _layout([label(v) for a in grid2d for v in a.ravel()], width_of)
    col_w = col_widths(cell, fontsize)
    lines = max((t.count("\n") + 1 for t in titles if t), default=0)
    title_h = (fontsize + 1) * 1.5 / 72 * lines if lines else 0.1
    height = cell * sum(row_h) + (title_h + 0.2) * nrows + ((fontsize + 2) * 1.8 / 72 if suptitle else 0.0)
    fig = _new_figure(_fit(width, height))
    gs = fig.add_gridspec(nrows, ncols, width_ratios=col_w, height_ratios=row_h)
    vmin = vmax = None
    if shared_scale:
        finite = np.concatenate([a[np.isfinite(a)].ravel().astype(float) for a in grid2d])
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (None, None)
    labels = []
    for i, (a, a2, t, m) in enumerate(zip(arrays, grid2d, titles, masks)):
        ax = fig.add_subplot(gs[i // ncols, i % ncols])
        lab = _draw_values(ax, a2, cmap, vmin, vmax, fontsize, _as_2d(m))
        labels.append(lab.reshape(a.shape))
        if t:
            ax.set_title(t, fontsize=fontsize + 1)
    if suptitle:
        fig.suptitle(suptitle, fontsize=fontsize + 2)
    fig.poolkit_data = {"arrays": arrays, "titles": titles, "labels": labels, "highlight": masks}
    return fig


# ---------------------------------------------------------------- where windows land
def _pool(x2d, mode, kernel, stride, padding, dilation, ceil_mode):
    """Output (and selected input positions) of pooling one (H, W) plane with poolkit."""
    from . import functional as F

    x = x2d[None]
    if mode == "avg":
        if dilation != (1, 1):
            raise ValueError(f"dilation={dilation} is not defined for mode='avg' (average pooling has none)")
        return F.avg_pool2d(x, kernel, stride, padding, ceil_mode)[0], None
    fn = F.max_pool2d if mode == "max" else F.min_pool2d
    y, idx = fn(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    return y[0], idx[0]


def windows(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, mode: str = "max",
            show: Sequence | None = None, show_output: bool = True, show_dropped: bool = False,
            title: str | None = None) -> Figure:
    """Where each pooling window lands on the (padded) input, and what it selects.

    ``x`` is one plane, 2-D ``(H, W)`` or 1-D ``(L,)``; the pooling arguments are
    :func:`poolkit.max_pool2d`'s (for 1-D input, ints that apply along its length;
    ``padding`` may be ``"same"``/``"valid"``). The input is drawn with its
    padding: padding cells are grey and labelled with the value the pooling
    effectively pads with (``−∞`` for max, ``∞`` for min, ``0`` for avg), cells
    beyond the padding (reached only by a ``ceil_mode`` window hanging over the
    edge) are white with a dotted border. Each window is outlined in its own
    colour (its taps marked when dilated); for max/min the selected element is
    circled. The output, computed by poolkit, is drawn on the right with each
    cell framed in its window's colour.

    ``show`` lists the output positions whose windows to draw (default: all);
    ``show_dropped`` also draws, dashed, the window that ``ceil_mode``'s
    last-window rule drops (if any).

    Returns
    -------
    Figure with ``fig.poolkit_data``, a dict with keys

    - ``"input"``, ``"output"``: the arrays drawn (1-D for 1-D input);
    - ``"mode"``, ``"kernel_size"``, ``"stride"``, ``"dilation"``, ``"ceil_mode"``;
    - ``"padding"``: ``((top, bottom), (left, right))`` cells drawn as padding
      (``(left, right)`` for 1-D input);
    - ``"windows"``: one dict per drawn window: ``"output"`` (its output position),
      ``"taps"`` (input coordinates of its taps, negative or ``>= size`` in the
      padding), ``"real"`` (whether each tap lies inside the input), ``"value"``
      (its output value) and ``"selected"`` (input position of the chosen
      element for max/min, else None); positions are ints for 1-D input, (row, col) pairs otherwise;
    - ``"dropped"``: the same for the windows ``ceil_mode`` drops (empty unless ``show_dropped``).
    """
    if mode not in ("max", "min", "avg"):
        raise ValueError(f"mode={mode!r} must be 'max', 'min' or 'avg'")
    x = np.asarray(x)
    one_d = x.ndim == 1
    if x.ndim not in (1, 2):
        raise ValueError(f"x has shape {x.shape}; windows draws one 1-D (L,) or 2-D (H, W) plane")
    x2 = x[None, :] if one_d else x

    def pair(v, name, neutral):
        if isinstance(v, str):
            return v
        if one_d:
            return (neutral,) + to_tuple(v, 1, name)
        return to_tuple(v, 2, name)

    k = pair(kernel_size, "kernel_size", 1)
    s = k if stride is None else pair(stride, "stride", 1)
    p = pair(padding, "padding", 0)
    d = pair(dilation, "dilation", 1)
    axes = build_axes(x2.shape, k, s, p, d, ceil_mode)
    y, idx = _pool(x2, mode, k, s, p, d, ceil_mode)
    pads = [a.padding() if isinstance(p, str) else (p[i], p[i]) for i, a in enumerate(axes)]

    # windows dropped by ceil_mode's rule: the raw ceil formula's extra last window
    dropped_pos = [[], []]
    for i, a in enumerate(axes):
        if ceil_mode and not isinstance(p, str):
            raw = (a.size + 2 * p[i] - d[i] * (k[i] - 1) - 1 + s[i] - 1) // s[i] + 1
            for o in range(a.out, raw):
                dropped_pos[i].append(o * s[i] - p[i] + np.arange(k[i]) * d[i])

    def coords(o):
        o = (0, o) if one_d else tuple(o)
        return o

    out_shape = y.shape
    if show is None:
        shown = list(np.ndindex(out_shape))
    else:
        shown = [coords(o) for o in show]
        for o in shown:
            if not all(0 <= oi < n for oi, n in zip(o, out_shape)):
                raise ValueError(f"show contains output position {o if not one_d else o[1]} outside the "
                                 f"output of shape {out_shape[1:] if one_d else out_shape}")

    def window_record(o, rows, cols, value, selected):
        taps = [(int(r), int(c)) for r in rows for c in cols]
        real = [bool(0 <= r < x2.shape[0] and 0 <= c < x2.shape[1]) for r, c in taps]
        rec = {"output": o, "taps": taps, "real": real, "value": value, "selected": selected}
        if one_d:
            rec = {"output": o[1], "taps": [c for _, c in taps], "real": real, "value": value,
                   "selected": None if selected is None else selected[1]}
        return rec

    records = []
    for o in shown:
        rows, cols = axes[0].positions[o[0]], axes[1].positions[o[1]]
        sel = None
        if idx is not None:
            sel = tuple(int(v) for v in np.unravel_index(int(idx[o]), x2.shape))
        records.append(window_record(o, rows, cols, y[o].item(), sel))
    dropped = []
    if show_dropped:
        for i in (0, 1):
            for pos in dropped_pos[i]:
                if i == 0:
                    for oc in range(axes[1].out):
                        dropped.append(window_record((None, oc), pos, axes[1].positions[oc], None, None))
                else:
                    for orow in range(axes[0].out):
                        dropped.append(window_record((orow, None), axes[0].positions[orow], pos, None, None))

    # drawn extent, in input coordinates
    lo = [-pads[i][0] for i in (0, 1)]
    hi = [x2.shape[i] + pads[i][1] - 1 for i in (0, 1)]
    for rec in records + dropped:
        taps = [(0, t) for t in rec["taps"]] if one_d else rec["taps"]
        for i in (0, 1):
            lo[i] = min(lo[i], min(t[i] for t in taps))
            hi[i] = max(hi[i], max(t[i] for t in taps))
    in_h, in_w = hi[0] - lo[0] + 1, hi[1] - lo[1] + 1

    out_h, out_w = out_shape
    shape_text = f"{x2.shape[1]}" if one_d else f"{x2.shape[0]}×{x2.shape[1]}"
    in_title = f"input ({shape_text})"
    (top, bottom), (left, right) = pads
    if one_d and (left or right):
        in_title += f", padding {left}" if left == right else f"\npadding {left} left, {right} right"
    elif not one_d and (top or bottom or left or right):
        if top == bottom and left == right:
            in_title += f", padding {top}" if top == left else f", padding ({top}, {left})"
        else:
            in_title += f"\npadding {top} top, {bottom} bottom, {left} left, {right} right"
    out_title = f"{mode} output ({out_w if one_d else f'{out_h}×{out_w}'})"
    pad_text = {"max": "−∞", "min": "∞", "avg": "0"}[mode]
    texts = [label(v) for v in x2.ravel()] + [label(v) for v in np.ravel(y)] + [pad_text]

    def ratios_for(cell, fontsize):
        title_cells = 0.6 * (fontsize + 1) / 72 / cell
        first = max(in_w, title_cells * _chars(in_title))
        return [first, max(out_w, title_cells * _chars(out_title))] if show_output else [first]

    def width_of(cell, fontsize):
        r = ratios_for(cell, fontsize)
        return cell * (r[0] + (r[1] + 1 if show_output else 0)) + 0.4

    cell, fontsize, width = _layout(texts, width_of)
    ratios = ratios_for(cell, fontsize)
    title_lines = 1 + in_title.count("\n")
    height = (cell * max(in_h, out_h) + 0.35 + (fontsize + 1) * 1.5 / 72 * title_lines
              + ((fontsize + 2) * 1.8 / 72 if title else 0))
    fig = _new_figure(_fit(width, height))
    gs = fig.add_gridspec(1, len(ratios), width_ratios=ratios)
    ax = fig.add_subplot(gs[0, 0])

    cmap = matplotlib.colormaps["Greys"]
    finite = x2[np.isfinite(x2)] if x2.dtype.kind == "f" else x2
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmax == vmin:
        vmin, vmax = vmin - 1, vmax + 1
    for r in range(lo[0], hi[0] + 1):
        for c in range(lo[1], hi[1] + 1):
            inside = 0 <= r < x2.shape[0] and 0 <= c < x2.shape[1]
            in_pad = -pads[0][0] <= r < x2.shape[0] + pads[0][1] and -pads[1][0] <= c < x2.shape[1] + pads[1][1]
            if inside:
                v = x2[r, c]
                t = (float(v) - vmin) / (vmax - vmin) if np.isfinite(float(v)) else 0.0
                face = cmap(0.02 + 0.33 * min(max(t, 0.0), 1.0))
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fc=face, ec="#555555", lw=0.6))
                ax.text(c, r, label(v), ha="center", va="center", fontsize=fontsize, color=_text_color(face))
            elif in_pad:
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fc=PAD_FACE, ec="#b08850", lw=0.6))
                ax.text(c, r, pad_text, ha="center", va="center", fontsize=fontsize, color=PAD_TEXT)
            else:
                ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fc=OUTSIDE_FACE, ec="#999999", lw=0.8,
                                       ls=":"))
    # the input's border
    ax.add_patch(Rectangle((-0.5, -0.5), x2.shape[1], x2.shape[0], fill=False, ec="black", lw=1.4))

    dilated = any(di > 1 for di in d)
    circles = {}
    for n_w, rec in enumerate(records):
        color = WINDOW_COLORS[n_w % len(WINDOW_COLORS)]
        taps = [(0, t) for t in rec["taps"]] if one_d else rec["taps"]
        inset = 0.06 + 0.07 * (n_w % 3)
        r0, r1 = min(t[0] for t in taps), max(t[0] for t in taps)
        c0, c1 = min(t[1] for t in taps), max(t[1] for t in taps)
        ax.add_patch(Rectangle((c0 - 0.5 + inset, r0 - 0.5 + inset), c1 - c0 + 1 - 2 * inset,
                               r1 - r0 + 1 - 2 * inset, fill=False, ec=color, lw=2.0,
                               ls="--" if dilated else "-"))
        if dilated:
            for r, c in taps:
                ax.add_patch(Rectangle((c - 0.5 + inset, r - 0.5 + inset), 1 - 2 * inset, 1 - 2 * inset,
                                       fc=to_rgba(color, 0.18), ec=color, lw=1.2))
        if rec["selected"] is not None:
            sr, sc = (0, rec["selected"]) if one_d else rec["selected"]
            nth = circles.get((sr, sc), 0)
            circles[(sr, sc)] = nth + 1
            ax.add_patch(Circle((sc, sr), 0.27 + 0.06 * nth, fill=False, ec=color, lw=1.8))
    for rec in dropped:
        taps = [(0, t) for t in rec["taps"]] if one_d else rec["taps"]
        r0, r1 = min(t[0] for t in taps), max(t[0] for t in taps)
        c0, c1 = min(t[1] for t in taps), max(t[1] for t in taps)
        ax.add_patch(Rectangle((c0 - 0.5 + 0.1, r0 - 0.5 + 0.1), c1 - c0 + 0.8, r1 - r0 + 0.8, fill=False,
                               ec="black", lw=1.6, ls=(0, (3, 2))))
    ax.set_xlim(lo[1] - 0.55, hi[1] + 0.55)
    ax.set_ylim(hi[0] + 0.55, lo[0] - 0.55)
    ax.set_aspect("equal")
    _clean(ax)
    ax.set_title(in_title, fontsize=fontsize + 1)

    if show_output:
        ax_out = fig.add_subplot(gs[0, 1])
        y_drawn = y[0] if one_d else y
        _draw_values(ax_out, _as_2d(y_drawn), "Greys", vmin, vmax, fontsize, span=(0.02, 0.35))
        for n_w, rec in enumerate(records):
            color = WINDOW_COLORS[n_w % len(WINDOW_COLORS)]
            orow, ocol = (0, rec["output"]) if one_d else rec["output"]
            ax_out.add_patch(Rectangle((ocol - 0.42, orow - 0.42), 0.84, 0.84, fill=False, ec=color, lw=2.0))
        ax_out.set_title(out_title, fontsize=fontsize + 1)
        if out_h < in_h:  # keep cells the same size as the input's, top-aligned
            ax_out.set_ylim(in_h - 0.45, -0.55)
    if title:
        fig.suptitle(title, fontsize=fontsize + 2)

    fig.poolkit_data = {
        "input": x.copy(), "output": (y[0] if one_d else y).copy(), "mode": mode,
        "kernel_size": k[1] if one_d else k, "stride": s[1] if one_d else s,
        "dilation": d[1] if one_d else d, "ceil_mode": bool(ceil_mode),
        "padding": tuple(pads[1]) if one_d else tuple(tuple(v) for v in pads),
        "windows": records, "dropped": dropped,
    }
    return fig


# ---------------------------------------------------------------- images
def images(image, pooled: Mapping[str, np.ndarray], *, cmap: str = "gray", vmin: float | None = None,
           vmax: float | None = None) -> Figure:
    """An image and its pooled versions side by side, each drawn at the same size so the
    loss of resolution shows; titles give each array's shape.

    ``image`` and the values of ``pooled`` (title -> array) are 2-D grayscale arrays,
    drawn with one shared grey scale (``vmin``/``vmax``, default: the image's range).

    Returns
    -------
    Figure with ``fig.poolkit_data = {"titles", "arrays", "shapes"}``: the panel
    titles (``"input"`` first), copies of the arrays drawn and their shapes.
    """
    arrays = {"input": np.array(image)}
    for name, a in pooled.items():
        if name == "input":
            raise ValueError("'input' is the original image's title; name the pooled arrays differently")
        arrays[name] = np.array(a)
    for name, a in arrays.items():
        if a.ndim != 2:
            raise ValueError(f"{name!r} has shape {a.shape}; images draws 2-D grayscale arrays")
    vmin = float(np.nanmin(arrays["input"])) if vmin is None else vmin
    vmax = float(np.nanmax(arrays["input"])) if vmax is None else vmax
    n = len(arrays)
    h, w = arrays["input"].shape
    panel_w = min(2.6, (PAGE_WIDTH - 0.2) / n)
    size = _fit(panel_w * n + 0.2, panel_w * h / w + 0.45)
    fontsize = _fontsize(size[0]) + 1
    size = (size[0], round(size[1] + (fontsize - 10) * 1.5 / 72, 2))
    fig = _new_figure(size)
    titles = []
    for i, (name, a) in enumerate(arrays.items()):
        ax = fig.add_subplot(1, n, i + 1)
        ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest",
                  extent=(0, w, h, 0))  # every panel spans the input's extent
        _clean(ax)
        t = f"{name} ({a.shape[0]}×{a.shape[1]})"
        ax.set_title(t, fontsize=fontsize)
        titles.append(t)
    fig.poolkit_data = {"titles": titles, "arrays": dict(arrays),
                        "shapes": {name: a.shape for name, a in arrays.items()}}
    return fig
