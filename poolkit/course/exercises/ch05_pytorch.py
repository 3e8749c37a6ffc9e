"""Exercises of chapter 5, "Pooling in PyTorch": the output shape of ResNet's first
pooling (a prediction), averages that leave the padding out, adaptive windows,
unpooling with indices.

Every ``like=`` function below makes one common mistake on purpose: when a
learner's answer equals its result, the learner gets that mistake's hint.
"""

import numpy as np

from ...functional import adaptive_avg_pool1d, avg_pool1d, max_pool1d
from ..checks import Exercise, Mistake, Prediction, randint, random_values, register

# ---------------------------------------------------------------- predict_resnet_pool
register(Prediction(
    id="predict_resnet_pool", title="The output shape of ResNet's first pooling", chapter=5,
    name="predicted_shape",
    answer=(8, 64, 56, 56),
    hint="N and C pass through unchanged. For H and W, use the output-size formula with "
         "n = 112, k = 3, s = 2, p = 1 and d = 1, rounding down.",
    explanation="floor((112 + 2 - 3) / 2) + 1 = 56: the pooling halves 112 x 112.",
))


# ---------------------------------------------------------------- avg_exclude_pad
def _avg(x, k, s, p, count_include_pad=False):
    return avg_pool1d(x[None], k, s, p, count_include_pad=count_include_pad)[0]


def _random_padded_signal(rng):
    k = randint(rng, 1, 5)
    p = randint(rng, 0, k // 2)
    n = randint(rng, max(1, k - 2 * p), 12)
    return random_values(rng, (n,)), k, randint(rng, 1, 3), p


def _divided_by_window_without_right_pad(x, k, s, p):
    """Counts the left padding's zeros out but not the right padding's."""
    sums = _avg(x, k, s, p, True) * k
    starts = np.arange(len(sums)) * s - p
    return sums / (k - np.maximum(0, -starts))


register(Exercise(
    id="avg_exclude_pad", title="Average pooling without counting the padding", chapter=5,
    signature="avg_exclude_pad(x, k, s, p)",
    reference=_avg,
    cases=[
        (np.array([1.0, 2.0, 3.0, 4.0]), 3, 2, 1),
        (np.arange(1.0, 6.0), 3, 1, 1),
        (np.array([2.0, -1.0, 0.5, 3.0, -2.5, 1.0, 4.0]), 4, 3, 2),
        (np.array([1.5, -0.5, 2.0]), 2, 1, 0),
    ],
    random_case=_random_padded_signal,
    rtol=1e-9,
    mistakes=[
        Mistake("Your averages divide every window by k, counting the padding: that is "
                "count_include_pad=True. Divide each window's sum by the number of real "
                "elements in it.",
                like=lambda x, k, s, p: _avg(x, k, s, p, True)),
        Mistake("Your first windows are right but the windows that reach into the right-hand "
                "padding are not: count the real elements at both ends.",
                like=_divided_by_window_without_right_pad),
        Mistake("Your output ignores the padding: with p elements on each side there are "
                "more windows, and the first one starts p elements before the input.",
                like=lambda x, k, s, p: np.array([x[i * s: i * s + k].mean()
                                                  for i in range(max(0, (len(x) - k) // s + 1))])),
    ],
    hint="For this case, write down each window's real elements (leave the padding out) "
         "and their mean; compare with your output window by window.",
))


# ---------------------------------------------------------------- adaptive_avg_pool1d
def _random_adaptive(rng):
    c, n = randint(rng, 1, 3), randint(rng, 1, 12)
    return random_values(rng, (c, n)), randint(rng, 1, 8)


def _adaptive_windows(n, out, end_rule):
    starts = [(i * n) // out for i in range(out)]
    return [(a, end_rule(i, n, out)) for i, a in enumerate(starts)]


def _adaptive_with(x, out, end_rule):
    n = x.shape[-1]
    return np.stack([x[:, a:max(b, a + 1)].mean(axis=1) for a, b in _adaptive_windows(n, out, end_rule)], axis=1)


def _fixed_windows(x, out):
    """The windows of a regular pooling with k = s = L // O (and one too many windows if needed)."""
    n = x.shape[-1]
    k = max(1, n // out)
    return np.stack([x[:, min(i * k, n - 1):min(i * k, n - 1) + k].mean(axis=1) for i in range(out)], axis=1)


register(Exercise(
    id="adaptive_avg_pool1d", title="Adaptive average pooling", chapter=5,
    signature="adaptive_avg_pool1d(x, output_size)",
    reference=lambda x, output_size: adaptive_avg_pool1d(x, output_size),
    cases=[
        (np.arange(6.0)[None], 3),
        (np.arange(5.0)[None], 3),
        (np.array([[1.0, 4.0, 2.0], [0.5, -1.0, 3.0]]), 5),
        (np.array([[2.0, -1.0, 0.5, 3.0, -2.5, 1.0, 4.0]]), 1),
    ],
    random_case=_random_adaptive,
    rtol=1e-9,
    mistakes=[
        Mistake("Your windows end too early: window i ends at ceil((i + 1) * L / O), rounding "
                "up, so that windows may overlap and together cover the whole input.",
                like=lambda x, o: _adaptive_with(x, o, lambda i, n, out: ((i + 1) * n) // out)),
        Mistake("Your windows all have the same size. Adaptive pooling's windows start at "
                "floor(i * L / O) and end at ceil((i + 1) * L / O), so their sizes vary when O "
                "does not divide L.",
                like=_fixed_windows),
    ],
    hint="List the O windows for this case as [start, end) with the two formulas of the "
         "chapter, then average each one.",
    spoilers=["(i * L) // O", "-(-(i + 1) * L // O)"],
))


# ---------------------------------------------------------------- max_unpool1d
def _unpool(y, indices, length):
    out = np.zeros(y.shape[:-1] + (length,), dtype=y.dtype)
    np.put_along_axis(out, indices, y, axis=-1)
    return out


def _unpool_add(y, indices, length):
    out = np.zeros(y.shape[:-1] + (length,), dtype=y.dtype)
    for c in range(y.shape[0]):
        np.add.at(out[c], indices[c], y[c])
    return out


def _unpool_flat(y, indices, length):
    """Treats the indices as positions in the whole (C, L) array."""
    out = np.zeros(y.shape[:-1] + (length,), dtype=y.dtype)
    out.reshape(-1)[indices.reshape(-1)] = y.reshape(-1)
    return out


def _pooled_case(x, k, s):
    y, idx = max_pool1d(x, k, s, return_indices=True)
    return y, idx, x.shape[-1]


def _random_unpool(rng):
    c, n = randint(rng, 1, 3), randint(rng, 1, 12)
    k = randint(rng, 1, n)
    return _pooled_case(random_values(rng, (c, n)), k, randint(rng, 1, k))


register(Exercise(
    id="max_unpool1d", title="Unpooling with the indices of max pooling", chapter=5,
    signature="max_unpool1d(y, indices, length)",
    reference=_unpool,
    cases=[
        _pooled_case(np.array([[1.0, 3.0, 2.0, 0.5, 4.0, -1.0]]), 2, 2),
        _pooled_case(np.array([[1.0, 3.0, 2.0, 3.5, 0.0]]), 3, 1),
        _pooled_case(np.array([[2.0, -1.0, 0.5, 3.0], [0.0, 1.5, -2.0, 2.5]]), 2, 2),
        _pooled_case(np.array([[-1.0, -3.0, -2.0, -0.5, -4.0, -1.5, -2.5]]), 3, 2),
    ],
    random_case=_random_unpool,
    mistakes=[
        Mistake("An element that is the maximum of two overlapping windows appears twice in "
                "the indices, and your result adds the two copies. Unpooling puts each value "
                "back where it came from: assign, do not add (adding is what the gradient does).",
                like=_unpool_add),
        Mistake("Your values land in the wrong channel: the indices count positions inside "
                "each channel's own row, from 0 to length - 1, not in the whole array.",
                like=_unpool_flat),
    ],
    hint="Start from zeros of shape (C, length), then for every channel c and output o put "
         "y[c, o] at position indices[c, o] of row c.",
))
