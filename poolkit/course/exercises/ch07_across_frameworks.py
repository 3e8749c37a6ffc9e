"""Exercises of chapter 7, "Across frameworks": a SAME average predicted by hand,
TensorFlow's SAME max pooling written in
PyTorch, PyTorch's default average pooling written in TensorFlow, and ceil_mode as
padding.

The learner's functions call PyTorch or TensorFlow; the references are poolkit's, so
this module imports neither. Every ``like=`` function below makes one common mistake
on purpose: when a learner's answer equals its result, the learner gets that
mistake's hint.
"""

import numpy as np

from ...functional import avg_pool2d, max_pool2d
from ...geometry import output_size, same_padding
from ..checks import Exercise, Mistake, Prediction, randint, random_values, register

# ---------------------------------------------------------------- predict_same_average
register(Prediction(
    id="predict_same_average", title="A SAME average, by hand", chapter=7,
    name="predicted_output",
    answer=(1.5, 3.0),
    atol=1e-6,
    hint="SAME keeps ceil(n / s) outputs. Work out its padding and on which side the "
         "extra element goes, then remember what TensorFlow's average divides by.",
    explanation="PyTorch's F.avg_pool1d(x, 2, 2, padding=1) gives (0.5, 2.5) on the same "
                "input: its padding is on both sides and counts in the divisor.",
))


# ---------------------------------------------------------------- same_max_pool_torch
def _same(x, k, s):
    return max_pool2d(x, k, s, "same", data_format="channels_last")


def _windows(x, k, s, reduce, axes):
    """Every k x k window of the two ``axes`` of ``x`` that fits, stride s, reduced as a loop would
    (an empty output where none fits, where poolkit would refuse)."""
    x = np.moveaxis(x, axes, (-2, -1))
    h, w = (max(0, (n - k) // s + 1) for n in x.shape[-2:])
    y = np.empty(x.shape[:-2] + (h, w))
    for i, j in np.ndindex(h, w):
        y[..., i, j] = reduce(x[..., i * s: i * s + k, j * s: j * s + k], axis=(-2, -1))
    return np.moveaxis(y, (-2, -1), axes)


def _padded_max(x, k, s, pads, value):
    """Pad (H, W) of an NHWC array with ``pads`` = ((top, bottom), (left, right)), then VALID."""
    x = np.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),), constant_values=value)
    return _windows(x, k, s, np.max, (1, 2))


def _same_pads(x, k, s, swap=False):
    pads = same_padding(x.shape[1:3], k, s)
    return tuple(p[::-1] for p in pads) if swap else pads


def _random_nhwc(rng):
    h, w = randint(rng, 1, 6), randint(rng, 1, 6)
    x = random_values(rng, (randint(rng, 1, 2), h, w, randint(rng, 1, 2)), negative=bool(randint(rng, 0, 1)))
    return x, randint(rng, 1, 3), randint(rng, 1, 3)


register(Exercise(
    id="same_max_pool_torch", title="TensorFlow's SAME max pooling, in PyTorch", chapter=7,
    signature="same_max_pool_torch(x, k, s)",
    reference=_same,
    cases=[
        (np.arange(16.0).reshape(1, 4, 4, 1) - 100, 3, 2),
        (np.arange(25.0).reshape(1, 5, 5, 1) / 2 - 20, 2, 2),
        (np.arange(24.0).reshape(1, 4, 3, 2) % 5 - 9, 2, 1),
        (-np.arange(36.0).reshape(1, 6, 6, 1), 3, 3),
    ],
    random_case=_random_nhwc,
    mistakes=[
        Mistake("Your result matches padding with zeros: pad with -inf, which max pooling "
                "never picks.",
                like=lambda x, k, s: _padded_max(x, k, s, _same_pads(x, k, s), 0.0)),
        Mistake("Your extra padding element is on the wrong side: when SAME's padding is odd, "
                "TensorFlow puts the extra element at the bottom and on the right.",
                like=lambda x, k, s: _padded_max(x, k, s, _same_pads(x, k, s, swap=True), -np.inf)),
        Mistake("Your result pools without any padding (VALID): SAME pads so that the output "
                "keeps ceil(n / s) elements per dimension.",
                like=lambda x, k, s: _windows(x, k, s, np.max, (1, 2))),
    ],
    hint="Compute SAME's (before, after) padding for the height and the width of this case, "
         "then check which (left, right, top, bottom) your F.pad call adds.",
))


# ---------------------------------------------------------------- avg_pool_tf
def _random_nchw(rng):
    k = randint(rng, 1, 4)
    p = randint(rng, 0, k // 2)
    low = max(1, k - 2 * p)
    h, w = randint(rng, low, 6), randint(rng, low, 6)
    x = random_values(rng, (randint(rng, 1, 2), randint(rng, 1, 2), h, w))
    return x, k, randint(rng, 1, 3), p


register(Exercise(
    id="avg_pool_tf", title="PyTorch's default average pooling, in TensorFlow", chapter=7,
    signature="avg_pool_tf(x, k, s, p)",
    reference=lambda x, k, s, p: avg_pool2d(x, k, s, p),
    cases=[
        (np.arange(16.0).reshape(1, 1, 4, 4), 3, 2, 1),
        (np.arange(25.0).reshape(1, 1, 5, 5) / 2, 2, 1, 1),
        (np.arange(18.0).reshape(1, 2, 3, 3) - 9, 3, 1, 1),
        (np.arange(24.0).reshape(2, 1, 3, 4) % 5, 2, 2, 0),
    ],
    random_case=_random_nchw,
    rtol=1e-9,
    mistakes=[
        Mistake("Your averages leave the padding out, as TensorFlow's SAME does. PyTorch's "
                "default, count_include_pad=True, counts the zeros of the padding: every window "
                "divides by k * k.",
                like=lambda x, k, s, p: avg_pool2d(x, k, s, p, count_include_pad=False)),
        Mistake("Your result has no padding: pad p zeros on each side of the height and the "
                "width before pooling with 'VALID'.",
                like=lambda x, k, s, p: _windows(x, k, s, np.mean, (2, 3))),
    ],
    hint="Pad this case's input with p zeros on every side of H and W, then average each "
         "k x k window; remember that TensorFlow wants (N, H, W, C) and the answer is (N, C, H, W).",
))


# ---------------------------------------------------------------- ceil_mode_pads
def _ceil_pads(n, k, s, p):
    out = output_size(n, k, s, p, ceil_mode=True)
    return p, max(0, (out - 1) * s + k - n - p)


def _random_geometry(rng):
    k = randint(rng, 1, 6)
    p = randint(rng, 0, k // 2)
    return randint(rng, max(1, k - 2 * p), 30), k, randint(rng, 1, 4), p


register(Exercise(
    id="ceil_mode_pads", title="ceil_mode as padding", chapter=7,
    signature="ceil_mode_pads(n, k, s, p)",
    reference=_ceil_pads,
    cases=[(5, 2, 2, 0), (4, 3, 2, 1), (5, 2, 2, 1), (25, 2, 2, 0)],
    random_case=_random_geometry,
    returns="int pair",
    mistakes=[
        Mistake("Your padding gives the floor-mode windows: ceil_mode keeps a last window that "
                "only partly fits, so the right side may need more padding.",
                like=lambda n, k, s, p: (p, p)),
        Mistake("Your right padding makes room for a window that ceil_mode drops: a last window "
                "that would start in the right padding is not kept.",
                like=lambda n, k, s, p: (p, max(0, (-(-(n + 2 * p - k) // s)) * s + k - n - p))),
        Mistake("The left padding is PyTorch's p: only the right side changes.",
                like=lambda n, k, s, p: (0, _ceil_pads(n, k, s, p)[1])),
    ],
    hint="Find the number of outputs ceil_mode gives for this case, then where its last "
         "window ends; the right padding must reach that far, and no further.",
    spoilers=["(out - 1) * s + k - n - p", "(o - 1) * s + k - n - p"],
))
