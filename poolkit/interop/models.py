"""Whole models: :func:`translate_model` finds the pooling layers of a small PyTorch or
Keras model, records the shape each one receives and translates it with
:func:`~poolkit.interop.to_tensorflow` or :func:`~poolkit.interop.to_torch`;
:class:`ModelTranslation` (one :class:`LayerTranslation` per layer) shows the result
as code and as a table, and :meth:`ModelTranslation.compare` runs each layer against
its translation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from .tf_to_torch import to_torch
from .torch_to_tf import to_tensorflow
from .translation import Translation, import_framework, relayout, shape_text


@dataclass(frozen=True)
class LayerTranslation:
    """One pooling layer of a model: its name, the layer, the shape it receives, its translation."""

    name: str
    layer: object
    input_shape: tuple
    translation: Translation


@dataclass(frozen=True)
class ModelTranslation:
    """Every pooling layer of a model, translated (see :func:`translate_model`).

    ``source`` is ``"torch"`` or ``"keras"``; ``layers`` the :class:`LayerTranslation` s in
    model order. Each translation's code takes the target framework's native layout
    (NHWC for TensorFlow, NCHW for PyTorch), as a ported model would.
    """

    source: str
    layers: tuple[LayerTranslation, ...]

    @property
    def code(self) -> str:
        """One module: the imports once, then one function per pooling layer."""
        first = self.layers[0].translation if self.layers else None
        head = "\n".join(first.imports) + "\n\n\n" if first else ""
        return head + "\n\n\n".join(t.translation.function_code for t in self.layers) + "\n"

    def __str__(self):
        """A table: each pooling layer, its input and output shapes (in the source's layout), and
        the translation's steps."""
        rows = [("layer", "input", "output", "translated to")]
        source_last = self.source == "keras"
        for t in self.layers:
            out = t.translation.output_shape
            if len(out) == len(t.input_shape):
                out = relayout(out, t.translation.layout == "channels_last", source_last)
            rows.append((t.name, shape_text(t.input_shape), shape_text(out), t.translation.summary))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows)

    def compare(self, seed=0, batch=2) -> dict:
        """Run every pooling layer and its translation on the same random input.

        Returns ``{layer name: largest |difference|}`` (0.0 for max pooling, float
        rounding for averages). Inputs are float32 normal samples of each layer's input
        shape (a free batch size becomes ``batch``), seeded by ``seed``.
        """
        rng = np.random.default_rng(seed)
        result = {}
        for t in self.layers:
            shape = tuple(batch if v is None else v for v in t.input_shape)
            x = rng.standard_normal(shape).astype(np.float32)
            want = _run_source(self.source, t.layer, x)
            tr = t.translation
            source_last = self.source == "keras"
            got = tr(np.ascontiguousarray(_to_layout(x, source_last, tr.layout == "channels_last")))
            if got.ndim == x.ndim:
                got = _to_layout(got, tr.layout == "channels_last", source_last)
            result[t.name] = float(np.max(np.abs(got - want))) if want.size else 0.0
        return result


def _to_layout(x, last, to_last):
    if last == to_last:
        return x
    return np.moveaxis(x, 1, -1) if to_last else np.moveaxis(x, -1, 1)


def _run_source(source, layer, x):
    if source == "torch":
        torch = import_framework("torch")
        with torch.no_grad():
            return layer(torch.from_numpy(x)).numpy()
    return np.asarray(layer(import_framework("tensorflow").constant(x)))


def translate_model(model, input_shape=None) -> ModelTranslation:
    """Translate every pooling layer of a small PyTorch or Keras model to the other framework.

    - A ``torch.nn.Module``: ``input_shape`` ``(N, C, *spatial)`` is required; the model is
      run once on zeros to record the shape each pooling module receives. ``MaxPool*``,
      ``AvgPool*`` and ``Adaptive{Max,Avg}Pool*`` modules become TensorFlow code taking
      channels-last tensors.
    - A Keras model (built, e.g. Sequential with an ``Input``): the shape each pooling
      layer receives is read from the model. ``MaxPooling*``, ``AveragePooling*``,
      ``GlobalMaxPooling*`` and ``GlobalAveragePooling*`` become PyTorch code taking
      channels-first tensors.

    Other layers are not pooling and are left alone. A pooling layer with no exact
    equivalent raises ValueError naming the layer and the reason.
    """
    if _is_torch_module(model):
        return _translate_torch_model(model, input_shape)
    if hasattr(model, "layers") and hasattr(model, "get_config"):
        return _translate_keras_model(model)
    raise TypeError(f"model must be a torch.nn.Module or a Keras model, got {type(model).__name__}")


def _is_torch_module(model):
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(model).__mro__)


def _translate_torch_model(model, input_shape):
    torch = import_framework("torch")
    nn = torch.nn
    if input_shape is None:
        raise ValueError("input_shape (N, C, *spatial) is required to translate a PyTorch model: the pooling "
                         "translations depend on the size each layer receives")
    shapes, hooks = {}, []
    pools = [(name, m) for name, m in model.named_modules() if type(m).__name__.endswith(
        ("Pool1d", "Pool2d", "Pool3d"))]

    def recorder(name):
        def hook(_module, args):  # a pre-hook returning None leaves the call alone
            shapes.setdefault(name, tuple(args[0].shape))
        return hook

    for name, m in pools:
        hooks.append(m.register_forward_pre_hook(recorder(name)))
    try:
        with torch.no_grad():
            model(torch.zeros(tuple(input_shape)))
    finally:
        for h in hooks:
            h.remove()
    layers = []
    for name, m in pools:
        if name not in shapes:
            continue  # never called on this input
        shape = shapes[name]
        fname = "pool_" + re.sub(r"\W", "_", name)
        try:
            tr = _torch_module_to_tf(m, shape, nn)
        except ValueError as err:
            raise ValueError(f"layer {name!r} ({m}): {err}") from None
        layers.append(LayerTranslation(name, m, shape, replace(tr, name=fname)))
    return ModelTranslation("torch", tuple(layers))


def _torch_module_to_tf(m, shape, nn):
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)):
        if m.return_indices:
            raise ValueError("return_indices=True: translate the values with to_tensorflow and the indices "
                             "with torch_indices_to_tf")
        return to_tensorflow("max", m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode,
                             input_shape=shape, layout="channels_last", _source=repr(m))
    if isinstance(m, (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)):
        return to_tensorflow("avg", m.kernel_size, m.stride, m.padding, 1, m.ceil_mode, m.count_include_pad,
                             getattr(m, "divisor_override", None), input_shape=shape, layout="channels_last",
                             _source=repr(m))
    if isinstance(m, (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
        if m.return_indices:
            raise ValueError("return_indices=True has no TensorFlow equivalent for adaptive pooling")
        return to_tensorflow("adaptive_max", output_size=m.output_size, input_shape=shape, layout="channels_last",
                             _source=repr(m))
    if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)):
        return to_tensorflow("adaptive_avg", output_size=m.output_size, input_shape=shape, layout="channels_last",
                             _source=repr(m))
    raise ValueError(f"{type(m).__name__} has no TensorFlow equivalent (TensorFlow has no "
                     + ("Lp pooling)" if "LP" in type(m).__name__ else
                        "fractional max pooling with PyTorch's sampling)" if "Fractional" in type(m).__name__
                        else "such layer)"))


_KERAS_POOLS = {"MaxPooling": "max", "AveragePooling": "avg", "GlobalMaxPooling": "global_max",
                "GlobalAveragePooling": "global_avg"}


def _translate_keras_model(model):
    layers = []
    for layer in _keras_layers(model):
        m = re.fullmatch(r"(MaxPooling|AveragePooling|GlobalMaxPooling|GlobalAveragePooling)([123])D",
                         type(layer).__name__)
        if m is None:
            if "Pool" in type(layer).__name__:
                raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no PyTorch translation here")
            continue
        kind = _KERAS_POOLS[m.group(1)]
        try:
            shape = tuple(layer.input.shape)
        except (AttributeError, ValueError):
            raise ValueError(f"layer {layer.name!r}: its input shape is unknown; build the model with an "
                             "Input first") from None
        cfg = layer.get_config()
        fmt = cfg.get("data_format") or "channels_last"
        args = ", ".join(f"{k}={cfg[k]!r}" for k in ("pool_size", "strides", "padding", "data_format", "keepdims")
                         if k in cfg)
        source = f"keras.layers.{type(layer).__name__}({args})"
        fname = "pool_" + re.sub(r"\W", "_", layer.name)
        try:
            if kind.startswith("global"):
                tr = to_torch(kind, data_format=fmt, input_shape=shape, keepdims=cfg.get("keepdims", False),
                              layout="channels_first", _source=source)
            else:
                tr = to_torch(kind, cfg["pool_size"], cfg["strides"], cfg["padding"], fmt, shape,
                              layout="channels_first", _source=source)
        except ValueError as err:
            raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}): {err}") from None
        layers.append(LayerTranslation(layer.name, layer, shape, replace(tr, name=fname)))
    return ModelTranslation("keras", tuple(layers))


def _keras_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and not type(layer).__name__.endswith(("1D", "2D", "3D")):
            yield from _keras_layers(layer)
        else:
            yield layer

