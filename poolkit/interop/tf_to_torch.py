"""TensorFlow to PyTorch: :func:`to_torch` writes the PyTorch equivalent of a
TensorFlow or Keras pooling layer (max, average, global max and global average),
with the helpers only this direction uses: the explicit-padding text of the source
call, the masked division for averages and the global kinds.
"""

from __future__ import annotations

import math

from ..geometry import Axis, build_axes, show
from .translation import (
    Raw,
    Step,
    Translation,
    call_text,
    check_kind,
    dims_from,
    explicit_pads,
    guard_step,
    layout_name,
    layout_of,
    layout_step,
    literal,
    mask_steps,
    relayout,
    split_shape,
    tf_window,
    torch_pad_step,
)


def to_torch(kind, pool_size=None, strides=None, padding="VALID", data_format="channels_last", input_shape=None,
             dilations=1, *, keepdims=False, layout=None, match_special=False, _source=None) -> Translation:
    """The PyTorch equivalent of a TensorFlow (or Keras) pooling layer.

    Parameters
    ----------
    kind : ``"max"``, ``"avg"``, ``"global_max"`` or ``"global_avg"``
        ``tf.nn.max_pool*``/``MaxPooling*D``, ``tf.nn.avg_pool*``/``AveragePooling*D``,
        ``GlobalMaxPooling*D``, ``GlobalAveragePooling*D``.
    pool_size, strides : int or tuple
        TensorFlow's ``ksize`` and ``strides`` (also in the ``[1, k, k, 1]`` form);
        ``strides=None`` means ``pool_size``, as in Keras. Unused for global kinds.
    padding : ``"VALID"``, ``"SAME"`` (any case), or explicit pairs
        Explicit padding (``[[0, 0], [b, a], ..., [0, 0]]``) exists for ``tf.nn.max_pool1d/2d`` only,
        each pad smaller than the window, as TensorFlow requires.
    data_format : str
        The TensorFlow layer's layout: ``"channels_last"`` (``"NWC"``, ``"NHWC"``, ``"NDHWC"``;
        the default) or ``"channels_first"`` (``"NCW"``, ``"NCHW"``, ``"NCDHW"``).
    input_shape : tuple, optional
        The full input shape in ``data_format``'s layout, e.g. ``(None, 7, 7, 3)``.
        Required for ``"SAME"`` (its split depends on the size) and for global kinds
        with ``keepdims``; it also gives the number of spatial dims.
    dilations : int or tuple
        ``tf.nn.pool``'s; TensorFlow allows them only with ``"VALID"`` and stride 1.
    keepdims : bool
        Global kinds: keep the pooled dims as size 1 (Keras' ``keepdims``).
    layout : str, optional
        Layout of the tensors the PyTorch code takes and returns; defaults to
        ``data_format`` (a drop-in replacement). ``"channels_first"`` gives native
        PyTorch code for a ported model.
    match_special : bool
        Also reproduce TensorFlow's special values for max pooling: NaN skipped, and
        never less than the dtype's lowest value (1-D and 2-D; TensorFlow's 3-D CPU
        kernels disagree with each other here).

    Returns
    -------
    :class:`Translation` whose code takes ``x`` in ``layout``, shaped as ``input_shape``.
    """
    kind, kind_dims = check_kind(kind, ("max", "avg", "global_max", "global_avg"))
    last, named = layout_of(data_format, "data_format")
    if kind_dims and named and kind_dims != named:
        raise ValueError(f"kind={kind!r} pools {kind_dims}-D data but data_format={data_format!r} is {named}-D")
    dims = dims_from(named or kind_dims, input_shape, (pool_size, "pool_size"), (strides, "strides"))
    code_last = last if layout is None else layout_of(layout, "layout")[0]
    n, c, spatial = split_shape(input_shape, last)
    fmt = data_format if named else layout_name(dims, last)
    if kind.startswith("global"):
        return _global_to_torch(kind, dims, code_last, n, c, spatial, keepdims, _source or call_text(
            "tf.reduce_" + ("max" if kind == "global_max" else "mean"), "x",
            axis=Raw(literal(tuple(range(1, dims + 1) if last else range(2, dims + 2)), compress=False)),
            keepdims=keepdims))
    if pool_size is None:
        raise ValueError(f"pool_size is required for kind={kind!r}")
    k = tf_window(pool_size, dims, "pool_size", last)
    s = k if strides is None else tf_window(strides, dims, "strides", last)
    d = tf_window(dilations, dims, "dilations", last)
    if isinstance(padding, str):
        mode = padding.upper()
        if mode not in ("SAME", "VALID"):
            raise ValueError(f"padding={padding!r} must be 'SAME', 'VALID' or explicit pairs")
        pads = None
    else:
        mode, pads = "EXPLICIT", explicit_pads(padding, dims, last)
    dilated = any(v > 1 for v in d)
    function = f"tf.nn.{kind}_pool{dims}d"
    if dilated:
        function = "tf.nn.pool"
        if kind == "avg":
            raise ValueError(f"dilations={show(dilations)} with kind='avg' has no PyTorch equivalent: "
                             "torch.nn.functional.avg_pool has no dilation (a depthwise F.conv with a dilated "
                             "kernel of 1/K would compute it, but not as a pooling call)")
        if mode != "VALID" or any(v > 1 for v in s):
            raise ValueError(f"dilations={show(dilations)} needs padding='VALID' and strides=1: tf.nn.pool "
                             "refuses SAME and strides > 1 with a dilation")
    if mode == "EXPLICIT":
        if kind != "max" or dims == 3:
            raise ValueError(f"padding={show(padding)}: explicit padding exists only for tf.nn.max_pool1d and "
                             "max_pool2d; TensorFlow's avg_pool and max_pool3d take 'SAME' or 'VALID'")
        for i, ((b, a), ki) in enumerate(zip(pads, k)):
            if b >= ki or a >= ki:
                raise ValueError(f"padding={show(padding)}: pad {max(b, a)} in spatial dimension {i} must be "
                                 f"smaller than the window size {ki} (TensorFlow's rule)")
    special = match_special and kind == "max"
    if special and dims == 3:
        raise ValueError("match_special=True with a 3-D max pool: TensorFlow's two CPU kernels for max_pool3d "
                         "treat NaN and -inf differently (one depends on the order of the window), so there "
                         "is no single behaviour to reproduce")
    if mode == "SAME" and spatial is None:
        raise ValueError("padding='SAME' depends on the input size: give input_shape with the spatial sizes")

    # Each spatial dimension's windows, when the size is known.
    axes = None
    if spatial is not None:
        if pads is None:
            axes = build_axes(spatial, k, s, mode.lower(), d)
        else:
            axes = []
            for i, (L, ki, si, (b, a)) in enumerate(zip(spatial, k, s, pads)):
                out = (L + b + a - ki) // si + 1
                if out < 1:
                    raise ValueError(f"padding={show(padding)}: input size {L} padded by {b + a} is smaller "
                                     f"than the window {ki} in spatial dimension {i}")
                axes.append(Axis.regular_windows(L, ki, si, 1, b, a, out))
        pads = tuple(a.padding() for a in axes)
    elif pads is None:
        pads = ((0, 0),) * dims  # VALID

    source = _source or call_text(function, "x", **(
        dict(window_shape=Raw(literal(k, compress=False)), pooling_type="MAX", strides=s, padding=mode,
             dilations=Raw(literal(d, compress=False))) if dilated else
        dict(ksize=k, strides=s, padding=mode if pads is None or mode != "EXPLICIT" else Raw(_tf_pads_text(
            pads, last)), data_format=fmt)))

    steps = []
    if mode == "SAME":
        steps.append(guard_step(spatial, dims, code_last, "SAME's padding depends on the input size"))
    if code_last:
        steps.append(layout_step("torch", "x", dims, to_last=False, reason="PyTorch pools channels-first"))
    pool = f"F.{kind}_pool{dims}d"
    symmetric = all(b == a for b, a in pads)
    padded = any(b or a for b, a in pads)
    if kind == "max":
        if special:
            steps.append(Step("special", "x = torch.where(torch.isnan(x), -math.inf, x)",
                              "TensorFlow's max_pool skips NaN", {}))
        kw = dict(kernel_size=k, stride=s)
        if padded and symmetric and all(b <= ki // 2 for (b, _), ki in zip(pads, k)):
            kw["padding"] = tuple(b for b, _ in pads)
        elif padded:
            steps.append(torch_pad_step(pads, -math.inf, "pad with -inf, which max never picks"))
        if dilated:
            kw["dilation"] = d
        steps.append(Step("pool", "y = " + call_text(pool, "x", **kw), "", dict(function=pool, **kw)))
        if special:
            steps.append(Step("special", "y = y.clamp(min=torch.finfo(y.dtype).min)",
                              "and never returns less than the dtype's lowest value", {}))
    else:
        kw = dict(kernel_size=k, stride=s)
        fits = dims < 3 or all(L >= ki for L, ki in zip(spatial or k, k))  # avg_pool3d wants L >= k
        if not padded:
            steps.append(Step("pool", "y = " + call_text(pool, "x", **kw), "", dict(function=pool, **kw)))
        elif symmetric and fits:
            kw.update(padding=tuple(b for b, _ in pads), count_include_pad=False)
            steps.append(Step("pool", "y = " + call_text(pool, "x", **kw), "TensorFlow divides by the real elements",
                              dict(function=pool, **kw)))
        else:
            steps += mask_steps("torch", pads, "zeros, which TensorFlow's SAME does not count")
            steps += _divide_steps(pool, kw)
    if code_last:
        steps.append(layout_step("torch", "y", dims, to_last=True))
    out_shape = None if axes is None else relayout((n, c) + tuple(a.out for a in axes), False, code_last)
    in_shape = None if input_shape is None else relayout(tuple(input_shape), last, code_last)
    return Translation("torch", source, tuple(steps), "channels_last" if code_last else "channels_first",
                       in_shape, out_shape, mode == "SAME")


def _tf_pads_text(pads, last):
    rows = [list(p) for p in pads]
    rows = [[0, 0]] + rows + [[0, 0]] if last else [[0, 0], [0, 0]] + rows
    return repr(rows)


def _divide_steps(pool, kw):
    """Window mean of the padded x, divided by the window mean of the padded mask."""
    return [Step("pool", "y = " + call_text(pool, "x", **kw), "the window's sum / K", dict(function=pool, **kw)),
            Step("divide", "y = y / " + call_text(pool, "mask", **kw), "/ (counted elements / K)",
                 dict(function=pool, **kw))]


def _global_to_torch(kind, dims, code_last, n, c, spatial, keepdims, source):
    pool = f"F.adaptive_{kind.split('_')[1]}_pool{dims}d"
    steps = []
    if code_last:
        steps.append(layout_step("torch", "x", dims, to_last=False))
    steps.append(Step("pool", f"y = {pool}(x, 1)", "one window covering the whole input",
                      {"function": pool, "output_size": 1}))
    if not keepdims:
        steps.append(Step("flatten", "y = y.flatten(1)", "(N, C), as Keras' keepdims=False", {}))
    elif code_last:
        steps.append(layout_step("torch", "y", dims, to_last=True))
    spatial = tuple(spatial) if spatial is not None else (None,) * dims
    in_shape = (n,) + spatial + (c,) if code_last else (n, c) + spatial
    if not keepdims:
        out_shape = (n, c)
    else:
        out_shape = (n,) + (1,) * dims + (c,) if code_last else (n, c) + (1,) * dims
    return Translation("torch", source, tuple(steps), "channels_last" if code_last else "channels_first",
                       in_shape, out_shape, False)

