"""PyTorch to TensorFlow: :func:`to_tensorflow` writes the TensorFlow equivalent of a
PyTorch pooling layer (max, average, adaptive max and adaptive average), with the
helpers only this direction uses: the comment on the pooling step, TensorFlow's
pooling call as text, and adaptive pooling rewritten as a regular one.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..geometry import build_axes, show, to_tuple
from ..plan import counts
from .translation import (
    Raw,
    Step,
    Translation,
    call_text,
    check_kind,
    dims_from,
    guard_step,
    layout_of,
    layout_step,
    literal,
    mask_steps,
    relayout,
    source_call,
    split_shape,
    tf_pad_step,
)


def to_tensorflow(kind, kernel_size=None, stride=None, padding=0, dilation=1, ceil_mode=False,
                  count_include_pad=True, divisor_override=None, *, output_size=None, input_shape=None,
                  layout="channels_first", match_special=False, _source=None) -> Translation:
    """The TensorFlow equivalent of a PyTorch pooling layer.

    Parameters
    ----------
    kind : ``"max"``, ``"avg"``, ``"adaptive_max"`` or ``"adaptive_avg"``
        ``F.max_pool*``/``nn.MaxPool*``, ``F.avg_pool*``/``nn.AvgPool*``, and the adaptive ones.
    kernel_size, stride, padding, dilation, ceil_mode, count_include_pad, divisor_override
        PyTorch's arguments and defaults (``stride=None`` means ``kernel_size``);
        ``count_include_pad`` and ``divisor_override`` apply to averages only.
    output_size : int or tuple
        Adaptive kinds only; ``None`` entries keep that size. Exact only when every
        output size divides its input size (then the windows are ``k = s = L / O``).
    input_shape : tuple, optional
        The PyTorch input's full shape ``(N, C, *spatial)`` (``None`` for a free batch
        size). Required for ``ceil_mode`` and adaptive pooling; when given, a
        configuration whose windows are exactly TensorFlow's ``"VALID"`` or ``"SAME"``
        ones for this size is translated to that.
    layout : str
        Layout of the tensors the TensorFlow code takes and returns: ``"channels_first"``
        (the default: the same tensors as PyTorch's; the code transposes to NHWC, the
        only layout TensorFlow pools on CPU) or ``"channels_last"`` (native TensorFlow
        code for a ported model).
    match_special : bool
        Also reproduce PyTorch's special values for max pooling: NaN propagates and a
        window of only ``-inf`` gives ``-inf`` (TensorFlow skips NaN and floors at the
        dtype's lowest value).

    Returns
    -------
    :class:`Translation` whose code takes ``x`` in ``layout``, shaped as ``input_shape``.
    """
    kind, kind_dims = check_kind(kind, ("max", "avg", "adaptive_max", "adaptive_avg"))
    code_last = layout_of(layout, "layout")[0]
    tuples = [(output_size, "output_size")] if kind.startswith("adaptive") else [(kernel_size, "kernel_size"),
                                                                                 (stride, "stride"),
                                                                                 (padding, "padding")]
    dims = dims_from(kind_dims, input_shape, *tuples)
    n, c, spatial = split_shape(input_shape, False)
    if kind.startswith("adaptive"):
        kind, kernel_size, source = _adaptive(kind, output_size, spatial, dims)
        stride, padding, dilation, ceil_mode, count_include_pad, divisor_override = kernel_size, 0, 1, False, True, None
        source = _source or source
        size_specific = adaptive = True
    else:
        adaptive = False
        if kernel_size is None:
            raise ValueError(f"kernel_size is required for kind={kind!r}")
        size_specific = bool(ceil_mode)
        source = _source
    k = to_tuple(kernel_size, dims, "kernel_size", minimum=1)
    s = k if stride is None else to_tuple(stride, dims, "stride", minimum=1)
    d = to_tuple(dilation, dims, "dilation", minimum=1)
    p = to_tuple(padding, dims, "padding", minimum=0)
    if kind == "avg":
        if any(v > 1 for v in d):
            raise ValueError(f"dilation={show(dilation)} with kind='avg': PyTorch's avg_pool has no dilation")
        if divisor_override is not None:
            if dims == 1:
                raise ValueError("divisor_override: PyTorch's avg_pool1d has none (avg_pool2d and 3d do)")
            if not isinstance(divisor_override, numbers.Integral) or isinstance(divisor_override, bool) \
                    or divisor_override == 0:
                raise ValueError(f"divisor_override={divisor_override!r} must be a nonzero int")
    elif divisor_override is not None:
        raise ValueError(f"divisor_override={divisor_override!r} applies to kind='avg' only")
    if ceil_mode and spatial is None:
        raise ValueError("ceil_mode=True: the extra padding on the right depends on the input size; "
                         "give input_shape with the spatial sizes")
    # PyTorch's own rules (padding at most half the kernel, at least one output, no empty window):
    # validated on the real size, or on a size every window fits in.
    sizes = spatial or tuple((ki - 1) * di + 1 + si for ki, di, si in zip(k, d, s))
    axes = build_axes(sizes, kernel_size, stride, padding, dilation, bool(ceil_mode), n=dims)
    if source is None:
        function = f"F.{kind}_pool{dims}d"
        extra = dict(dilation=d if any(v > 1 for v in d) else None) if kind == "max" else dict(
            count_include_pad=None if count_include_pad else False, divisor_override=divisor_override)
        source = source_call(function, "x", kernel_size=k, stride=None if s == k else s,
                                    padding=p if any(p) else None, ceil_mode=True if ceil_mode else None, **extra)
    K = int(np.prod(k))

    # The divisor of every window (averages): what the TensorFlow code must reproduce.
    def divisor(ax, cip):
        return counts(ax, "counted" if cip else "valid")

    shortcut = None
    if spatial is not None and all(v == 1 for v in d):
        for mode in ("VALID", "SAME"):
            try:
                tf_axes = build_axes(spatial, k, s, mode.lower())
            except ValueError:
                continue
            if not all(np.array_equal(a.positions, b.positions) for a, b in zip(axes, tf_axes)):
                continue
            if mode == "SAME" and dims == 3 and any((a.out - 1) * si + ki - a.size <= -2
                                                    for a, si, ki in zip(tf_axes, s, k)):
                continue  # TensorFlow's Eigen 3-D kernel (oneDNN off) shifts these windows: pad explicitly
            if kind == "avg":
                want = (np.full([a.out for a in axes], divisor_override) if divisor_override is not None
                        else divisor(axes, count_include_pad))
                if not np.array_equal(want, divisor(tf_axes, False)):
                    continue
            shortcut = mode
            break
    if shortcut == "SAME":
        size_specific = True
    pads = tuple((pi, max(pi, a.padding()[1])) for pi, a in zip(p, axes)) if spatial is not None else tuple(
        (pi, pi) for pi in p)

    steps = []
    if size_specific:
        reason = ("the windows depend on the input size" if adaptive else
                  "the padding depends on the input size")
        steps.append(guard_step(spatial, dims, code_last, reason))
    if not code_last:
        steps.append(layout_step("tensorflow", "x", dims, to_last=True,
                                  reason="TensorFlow pools channels-last on CPU"))
    tf_pool = _tf_pool_expr(kind, dims, k, s, d, shortcut or "VALID")
    padded = shortcut is None and any(b or a for b, a in pads)
    if kind == "max":
        if padded:
            steps.append(tf_pad_step(pads, -math.inf, "pad with -inf, which max never picks"))
        steps.append(Step("pool", "y = " + tf_pool("x"), _pool_why(shortcut, d, s),
                          dict(kernel_size=k, strides=s, padding=shortcut or "VALID", dilations=d)))
        if match_special:
            steps += [
                Step("special", "nan = " + tf_pool("tf.cast(tf.math.is_nan(x), x.dtype)") + " > 0",
                     "windows holding a NaN", {}),
                Step("special", "real = " + tf_pool("tf.cast(x > -math.inf, x.dtype)") + " > 0",
                     "windows holding more than -inf", {}),
                Step("special", "y = tf.where(nan, math.nan, tf.where(real, y, -math.inf))",
                     "PyTorch propagates NaN and returns -inf", {}),
            ]
    else:
        full = divisor_override is not None or np.all(divisor(axes, count_include_pad) == K) if spatial is not None \
            else divisor_override is not None or count_include_pad or not any(p)
        if shortcut:
            steps.append(Step("pool", "y = " + tf_pool("x"), _pool_why(shortcut, d, s),
                              dict(kernel_size=k, strides=s, padding=shortcut)))
        elif full:
            if padded:
                steps.append(tf_pad_step(pads, 0, "zeros, counted by the mean" if divisor_override is None
                                     else "zeros add nothing to the sum"))
            steps.append(Step("pool", "y = " + tf_pool("x"), "", dict(kernel_size=k, strides=s, padding="VALID")))
        else:
            rest = pads
            if count_include_pad and any(p):
                steps.append(tf_pad_step(tuple((pi, pi) for pi in p), 0, "count_include_pad: zeros that count"))
                rest = tuple((0, a - pi) for pi, (_, a) in zip(p, pads))
            why = ("ceil_mode: zeros that do not count" if count_include_pad else
                   "count_include_pad=False: zeros that do not count")
            steps += mask_steps("tensorflow", rest, why)
            params = dict(kernel_size=k, strides=s, padding="VALID")
            steps += [Step("pool", "y = " + tf_pool("x"), "the window's sum / K", params),
                      Step("divide", "y = y / " + tf_pool("mask"), "/ (counted elements / K)", params)]
        if divisor_override is not None and divisor_override != K:
            steps.append(Step("scale", f"y = y * ({K} / {divisor_override})",
                              f"divisor_override: sum / {divisor_override} instead of sum / {K}",
                              {"factor": (K, divisor_override)}))
    if not code_last:
        steps.append(layout_step("tensorflow", "y", dims, to_last=False))
    out_shape = None if spatial is None else relayout((n, c) + tuple(a.out for a in axes), False, code_last)
    in_shape = None if input_shape is None else relayout(tuple(input_shape), False, code_last)
    return Translation("tensorflow", source, tuple(steps), "channels_last" if code_last else "channels_first",
                       in_shape, out_shape, size_specific)


def _pool_why(shortcut, d, s):
    if shortcut == "SAME":
        return "PyTorch's windows for this size are SAME's"
    if any(v > 1 for v in d) and any(v > 1 for v in s):
        return "tf.nn.pool takes no stride with a dilation: keep every s-th window"
    return ""


def _tf_pool_expr(kind, dims, k, s, d, padding):
    """``var -> source text`` of TensorFlow's pooling call (channels-last)."""
    if any(v > 1 for v in d):
        sl = ""
        if any(v > 1 for v in s):
            sl = "[:, " + ", ".join(f"::{v}" if v > 1 else ":" for v in s) + ", :]"
        return lambda var: call_text("tf.nn.pool", var, window_shape=Raw(literal(k, compress=False)),
                                 pooling_type=kind.upper(), strides=Raw(literal((1,) * dims, compress=False)),
                                 padding=padding, dilations=Raw(literal(d, compress=False))) + sl
    return lambda var: call_text(f"tf.nn.{kind}_pool{dims}d", var, ksize=k, strides=s, padding=padding)


def _adaptive(kind, output_size, spatial, dims):
    """Adaptive pooling as a regular one: ``k = s = L / O`` when every O divides its L."""
    base = kind.split("_")[1]
    if spatial is None:
        raise ValueError(f"kind={kind!r}: the windows depend on the input size; give input_shape with the "
                         "spatial sizes")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    if len(sizes) != dims:
        raise ValueError(f"output_size={show(output_size)} must be an int or {dims} ints (or None)")
    ks = []
    for i, (o, L) in enumerate(zip(sizes, spatial)):
        o = L if o is None else o
        if not isinstance(o, numbers.Integral) or isinstance(o, bool) or o < 1:
            raise ValueError(f"output_size={show(output_size)} must hold positive ints or None")
        if L % o:
            raise ValueError(
                f"output_size={show(output_size)} on input size {L} (spatial dimension {i}) has no TensorFlow "
                f"equivalent: {L} is not a multiple of {o}, so PyTorch's windows [floor(i*L/O), ceil((i+1)*L/O)) "
                "differ in size and overlap, and every TensorFlow pooling uses one window size and stride")
        ks.append(L // o)
    source = call_text(f"F.adaptive_{base}_pool{dims}d", "x", output_size=Raw(literal(tuple(sizes), compress=True)))
    return base, tuple(ks), source

