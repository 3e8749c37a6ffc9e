"""Digits on a canvas: the data, networks and measurements of chapter 9.

scikit-learn's ``load_digits`` (1797 handwritten digits of 8 x 8 pixels, values 0-16)
placed at a random offset on a larger blank canvas, so that where a digit sits varies
and a network must recognise it anywhere. Small PyTorch CNNs that differ only in how
they downsample, trained the same way, and the numbers chapter 9 reports about them:
accuracy, parameters, multiply-adds, training time, shift consistency.

Run on demand (not in CI) to store every seed's numbers::

    python -m poolkit.digits --seeds 5 --out chapters/data/ch09_seeds.json

This module needs torch and scikit-learn (``pip install poolkit[nets]``); the rest of
poolkit does not import it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from pathlib import Path

import numpy as np

from .antialias import binomial_filter

__all__ = ["CANVAS", "DIGIT", "DOWNSAMPLING", "load_canvas_digits", "place", "slide_positions",
           "shift_consistency", "make_net", "BlurPool2d", "PoolkitMaxPool2d", "count_params",
           "count_macs", "deterministic", "train", "recompute_batchnorm", "predict", "accuracy", "accuracy_by_shift",
           "run_seed"]

CANVAS = 16
"""Side of the square canvas a digit is placed on."""
DIGIT = 8
"""Side of one ``load_digits`` image."""
DOWNSAMPLING = ("max", "avg", "conv", "blur", "none")
"""How the networks downsample: max pooling, average pooling, a stride-2 convolution,
anti-aliased max pooling (BlurPool) and not at all."""
N_TRAIN = 1200
"""Digits used for training; the other 597 are the test set."""
EPOCHS = 6
BATCH = 50
LR = 0.005


# ---------------------------------------------------------------- data
def place(images, offsets, canvas: int = CANVAS) -> np.ndarray:
    """Each ``(h, w)`` image of ``images`` (N, h, w) pasted on a zero canvas at its offset.

    ``offsets`` is (N, 2): the row and column of each image's top-left pixel. Returns
    ``(N, 1, canvas, canvas)`` float32 (one channel, as a network expects).
    """
    images = np.asarray(images, dtype=np.float32)
    offsets = np.asarray(offsets)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, h, w), got shape {images.shape}")
    n, h, w = images.shape
    if offsets.shape != (n, 2):
        raise ValueError(f"offsets must be ({n}, 2), one (row, column) per image, got shape {offsets.shape}")
    if offsets.size and (offsets.min() < 0 or offsets[:, 0].max() > canvas - h or offsets[:, 1].max() > canvas - w):
        raise ValueError(f"offsets must keep each {h}x{w} image inside the canvas of {canvas}: "
                         f"rows in 0..{canvas - h}, columns in 0..{canvas - w}")
    out = np.zeros((n, 1, canvas, canvas), dtype=np.float32)
    rows = offsets[:, 0, None, None] + np.arange(h)[:, None]
    cols = offsets[:, 1, None, None] + np.arange(w)[None, :]
    out[np.arange(n)[:, None, None], 0, rows, cols] = images
    return out


def load_canvas_digits(canvas: int = CANVAS, seed: int = 0, n_train: int = N_TRAIN) -> dict:
    """``load_digits`` split into train and test, each digit at a random offset on the canvas.

    The split and the offsets are fixed by ``seed``. Pixel values are scaled to [0, 1].
    Returns a dict with ``x_train`` (N, 1, canvas, canvas) float32, ``y_train`` (N,) int64,
    ``x_test``, ``y_test``, the 8 x 8 test ``digits_test`` (M, 8, 8) and the offsets
    ``offsets_train`` / ``offsets_test`` (N, 2).
    """
    from sklearn.datasets import load_digits

    if canvas < DIGIT:
        raise ValueError(f"canvas={canvas} must be at least the digit's side, {DIGIT}")
    d = load_digits()
    images = (d.images / 16.0).astype(np.float32)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(images))
    offsets = rng.integers(0, canvas - DIGIT + 1, size=(len(images), 2))
    tr, te = order[:n_train], order[n_train:]
    return dict(x_train=place(images[tr], offsets[tr], canvas), y_train=d.target[tr].astype(np.int64),
                x_test=place(images[te], offsets[te], canvas), y_test=d.target[te].astype(np.int64),
                digits_test=images[te], offsets_train=offsets[tr], offsets_test=offsets[te])


def slide_positions(canvas: int = CANVAS, row: int | None = None) -> np.ndarray:
    """The offsets (P, 2) that slide a digit along one row of the canvas, column 0 to the last.

    ``row`` defaults to the middle, ``(canvas - 8) // 2``.
    """
    row = (canvas - DIGIT) // 2 if row is None else row
    cols = np.arange(canvas - DIGIT + 1)
    return np.stack([np.full_like(cols, row), cols], axis=1)


def shift_consistency(pred_a, pred_b) -> float:
    """Zhang's shift consistency: the fraction of images whose predicted class is the same
    for two shifts of the image (``pred_a[i]`` vs ``pred_b[i]``)."""
    pred_a, pred_b = np.asarray(pred_a), np.asarray(pred_b)
    if pred_a.shape != pred_b.shape:
        raise ValueError(f"pred_a and pred_b must have the same shape, got {pred_a.shape} and {pred_b.shape}")
    return float(np.mean(pred_a == pred_b)) if pred_a.size else float("nan")


# ---------------------------------------------------------------- networks
def _torch():
    import torch
    return torch


def BlurPool2d(channels: int, kernel_size: int = 3, stride: int = 2):
    """Zhang's blur: a fixed binomial filter applied to each channel, then subsampling by
    ``stride`` (zero padding ``(kernel_size - 1) // 2``); :func:`poolkit.antialias.blur_pool2d`
    in PyTorch. No learnable parameters (the filter is a buffer)."""
    torch = _torch()
    nn = torch.nn

    class _BlurPool2d(nn.Module):
        def __init__(self):
            super().__init__()
            self.channels, self.kernel_size, self.stride = channels, kernel_size, stride
            f = torch.tensor(binomial_filter(kernel_size), dtype=torch.float32)
            self.register_buffer("filt", f.expand(channels, 1, kernel_size, kernel_size).clone())

        def forward(self, x):
            return torch.nn.functional.conv2d(x, self.filt, stride=self.stride,
                                              padding=(self.kernel_size - 1) // 2, groups=self.channels)

        def extra_repr(self):
            return f"{self.channels}, kernel_size={self.kernel_size}, stride={self.stride}"

    _BlurPool2d.__name__ = _BlurPool2d.__qualname__ = "BlurPool2d"
    return _BlurPool2d()


def PoolkitMaxPool2d(kernel_size: int = 2, stride=None):
    """``nn.MaxPool2d`` computed by poolkit: a ``torch.autograd.Function`` whose forward is
    :func:`poolkit.max_pool2d` and whose backward is :func:`poolkit.max_pool2d_backward`."""
    torch = _torch()
    from . import backward, functional

    class _PoolkitMaxPool2dFn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x_np = x.detach().numpy()
            ctx.x_np = x_np
            return torch.from_numpy(functional.max_pool2d(x_np, kernel_size, stride))

        @staticmethod
        def backward(ctx, grad_output):
            g = backward.max_pool2d_backward(grad_output.detach().numpy(), ctx.x_np, kernel_size, stride)
            return torch.from_numpy(np.ascontiguousarray(g, dtype=ctx.x_np.dtype))

    class _PoolkitMaxPool2d(torch.nn.Module):
        fn = _PoolkitMaxPool2dFn

        def forward(self, x):
            return _PoolkitMaxPool2dFn.apply(x)

        def extra_repr(self):
            return f"kernel_size={kernel_size}, stride={stride or kernel_size}"

    _PoolkitMaxPool2d.__name__ = _PoolkitMaxPool2d.__qualname__ = "PoolkitMaxPool2d"
    return _PoolkitMaxPool2d()


def _down(kind: str, channels: int):
    nn = _torch().nn
    if kind == "max":
        return nn.MaxPool2d(2)
    if kind == "poolkit":
        return PoolkitMaxPool2d(2)
    if kind == "avg":
        return nn.AvgPool2d(2)
    if kind == "conv":
        return nn.Conv2d(channels, channels, 3, stride=2, padding=1)
    if kind == "blur":
        return nn.Sequential(nn.MaxPool2d(2, stride=1), BlurPool2d(channels, 3, 2))
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"down={kind!r} must be one of {DOWNSAMPLING + ('poolkit',)}")


def make_net(down: str = "max", head: str = "gap", widths=(8, 16, 32), canvas: int = CANVAS, seed: int = 0):
    """block - [down] - block - [down] - block - head, a block being conv3x3 - BatchNorm - ReLU.

    ``down`` is one of :data:`DOWNSAMPLING` (or ``"poolkit"``: max pooling computed by
    poolkit); ``head`` is ``"gap"`` (global average pooling, then a linear layer to the 10
    classes) or ``"flatten"`` (flatten, then the linear layer). Weights are initialised
    from ``seed``.
    """
    torch = _torch()
    nn = torch.nn
    if head not in ("gap", "flatten"):
        raise ValueError(f"head={head!r} must be 'gap' or 'flatten'")
    torch.manual_seed(seed)
    w1, w2, w3 = widths
    def block(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]

    layers = [*block(1, w1), _down(down, w1), *block(w1, w2), _down(down, w2), *block(w2, w3)]
    if head == "gap":
        layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(w3, 10)]
    else:
        side = canvas
        for _ in range(2):
            side = {"max": side // 2, "poolkit": side // 2, "avg": side // 2, "conv": (side - 1) // 2 + 1,
                    "blur": (side - 2) // 2 + 1, "none": side}[down]
        layers += [nn.Flatten(), nn.Linear(w3 * side * side, 10)]
    return nn.Sequential(*layers)


def count_params(net) -> int:
    """Learnable parameters (fixed buffers such as BlurPool's filter are not counted)."""
    return int(sum(p.numel() for p in net.parameters()))


def count_macs(net, input_shape=(1, 1, CANVAS, CANVAS)) -> int:
    """Multiply-adds of one forward pass of one input: convolutions (BlurPool's too) and
    linear layers. Pooling's comparisons and additions are not multiply-adds and are not counted."""
    torch = _torch()
    total = []

    def hook(module, inputs, output):
        if isinstance(module, torch.nn.Conv2d):
            total.append(output.numel() * module.in_channels // module.groups * module.kernel_size[0]
                         * module.kernel_size[1])
        elif isinstance(module, torch.nn.Linear):
            total.append(module.in_features * module.out_features)
        elif type(module).__name__ == "BlurPool2d":
            total.append(output.numel() * module.kernel_size ** 2)

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    try:
        with torch.no_grad():
            net(torch.zeros(input_shape))
    finally:
        for h in handles:
            h.remove()
    return int(sum(total)) // input_shape[0]


# ---------------------------------------------------------------- training and measuring
@contextlib.contextmanager
def deterministic(threads: int = 1):
    """Inside the block: deterministic algorithms on and a fixed number of threads, so a run
    repeats exactly. Both settings are put back afterwards (they are global to the process)."""
    torch = _torch()
    before = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0])
        torch.set_num_threads(before[1])


def train(net, x, y, epochs: int = EPOCHS, batch: int = BATCH, lr: float = LR, seed: int = 0) -> dict:
    """Adam on cross-entropy, mini-batches in an order fixed by ``seed``.

    Ends with :func:`recompute_batchnorm` over ``x`` and the network in eval mode.
    Returns ``{"losses": [loss of every step], "seconds": wall time}``.
    """
    torch = _torch()
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    losses = []
    net.train()
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), batch):
            idx = order[i:i + batch]
            loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    recompute_batchnorm(net, x)
    seconds = time.perf_counter() - start
    net.eval()
    return {"losses": losses, "seconds": seconds}


def recompute_batchnorm(net, x, batch: int = 1000) -> None:
    """Replace every BatchNorm's running mean and variance by the statistics of the whole of
    ``x`` under the final weights. The running averages that training keeps mix statistics
    of weights that have since changed; after a short training they can be far off, and a
    network that fits its training batches then fails in eval mode."""
    torch = _torch()
    norms = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None            # a cumulative average over the batches below
    net.train()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            net(x[i:i + batch])
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum


def predict(net, x, batch: int = 1000) -> np.ndarray:
    """The predicted class of every input (N,)."""
    torch = _torch()
    x = torch.as_tensor(x)
    with torch.no_grad():
        return np.concatenate([net(x[i:i + batch]).argmax(1).numpy() for i in range(0, len(x), batch)])


def accuracy(net, x, y) -> float:
    return float(np.mean(predict(net, x) == np.asarray(y)))


def accuracy_by_shift(net, digits, y, positions, canvas: int = CANVAS) -> np.ndarray:
    """Accuracy (P,) with every digit of ``digits`` (N, 8, 8) placed at each offset of ``positions`` (P, 2)."""
    y = np.asarray(y)
    return np.array([accuracy(net, place(digits, np.tile(pos, (len(digits), 1)), canvas), y)
                     for pos in positions])


def random_shift_pairs(n: int, canvas: int = CANVAS, seed: int = 1) -> tuple:
    """Two random offsets (N, 2) for each of ``n`` images, fixed by ``seed``."""
    rng = np.random.default_rng(seed)
    return tuple(rng.integers(0, canvas - DIGIT + 1, size=(n, 2)) for _ in range(2))


def measure(net, data, canvas: int = CANVAS) -> dict:
    """Test accuracy, shift consistency (two random offsets per test digit) and accuracy
    at each column of the middle row."""
    digits, y = data["digits_test"], data["y_test"]
    a, b = random_shift_pairs(len(digits), canvas)
    pa, pb = predict(net, place(digits, a, canvas)), predict(net, place(digits, b, canvas))
    return {"accuracy": accuracy(net, data["x_test"], y),
            "consistency": shift_consistency(pa, pb),
            "accuracy_by_column": accuracy_by_shift(net, digits, y, slide_positions(canvas), canvas).tolist()}


def run_seed(seed: int, nets=None, epochs: int = EPOCHS, data=None) -> dict:
    """Train every network of ``nets`` (``(down, head)`` pairs; default every downsampling
    with the GAP head, and max pooling with the flatten head) with ``seed`` and measure it."""
    with deterministic():
        data = load_canvas_digits() if data is None else data
        nets = nets or [(d, "gap") for d in DOWNSAMPLING] + [("max", "flatten")]
        out = {}
        for down, head in nets:
            net = make_net(down, head, seed=seed)
            hist = train(net, data["x_train"], data["y_train"], epochs=epochs, seed=seed)
            out[f"{down}/{head}"] = {"params": count_params(net), "macs": count_macs(net),
                                     "seconds": round(hist["seconds"], 2), "final_loss": hist["losses"][-1],
                                     **measure(net, data)}
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m poolkit.digits", description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=5, help="seeds 0 .. SEEDS-1")
    p.add_argument("--epochs", type=int, default=EPOCHS)
    p.add_argument("--out", type=Path, default=Path("chapters/data/ch09_seeds.json"))
    args = p.parse_args(argv)
    import sklearn
    torch = _torch()
    data = load_canvas_digits()
    results = {"settings": {"canvas": CANVAS, "n_train": N_TRAIN, "n_test": len(data["y_test"]),
                            "epochs": args.epochs, "batch": BATCH, "lr": LR, "threads": 1,
                            "torch": torch.__version__.split("+")[0], "scikit-learn": sklearn.__version__},
               "seeds": {}}
    for seed in range(args.seeds):
        t = time.perf_counter()
        results["seeds"][str(seed)] = run_seed(seed, epochs=args.epochs, data=data)
        print(f"seed {seed}: {time.perf_counter() - t:.0f} s", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")   # after every seed: a partial run keeps its seeds


if __name__ == "__main__":
    main()
