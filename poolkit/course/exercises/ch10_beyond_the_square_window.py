"""Exercises of chapter 10, "Beyond the square window": where an RoIPool bin falls, the length
of a spatial pyramid's vector, softmax pooling's limit (a prediction), and the masked max over
time.

Every ``like=`` function below makes one common mistake on purpose: when a learner's answer
equals its result, the learner gets that mistake's hint.
"""

import math

import numpy as np

from ...regions import max_over_time, roi_pool_bins
from ..checks import Exercise, Mistake, Prediction, randint, random_values, register


# ---------------------------------------------------------------- roi_bin
def _roi_bin(x1, x2, pooled, i, size):
    hs, he, _, _ = roi_pool_bins([0, 0.0, x1, 0.0, x2], (pooled, 1), 1.0, size, 1)
    return int(hs[i]), int(he[i])


def _bin(x1, x2, pooled, i, size, rnd=None, extra=1, clip=True, end=math.ceil):
    rnd = rnd or (lambda v: math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1))
    a, b = int(rnd(x1)), int(rnd(x2))
    width = max(b - a + extra, 1)
    lo, hi = math.floor(i * width / pooled) + a, end((i + 1) * width / pooled) + a
    return (min(max(lo, 0), size), min(max(hi, 0), size)) if clip else (lo, hi)


def _random_bin(rng):
    x1 = randint(rng, -4, 16) / 2
    pooled = randint(rng, 1, 4)
    return x1, x1 + randint(rng, 0, 16) / 2, pooled, randint(rng, 0, pooled - 1), randint(rng, 4, 10)


register(Exercise(
    id="roi_bin", title="Where an RoIPool bin falls", chapter=10,
    signature="roi_bin(x1, x2, pooled, i, size)",
    reference=_roi_bin,
    cases=[(1.0, 4.0, 2, 0, 6), (0.5, 4.5, 2, 1, 10), (2.0, 8.0, 3, 2, 7), (-1.5, 2.0, 2, 0, 5)],
    random_case=_random_bin,
    returns="int pair",
    mistakes=[
        Mistake("Your bin is off where a corner ends in .5: C's round, which the kernel uses, takes "
                "halves away from zero (2.5 -> 3, -2.5 -> -3); Python's round takes them to the even "
                "neighbour.",
                like=lambda *a: _bin(*a, rnd=round)),
        Mistake("Your bins cover one pixel too few: RoIPool's box includes both corners, so a box "
                "from pixel x1 to pixel x2 is x2 - x1 + 1 pixels wide.",
                like=lambda *a: _bin(*a, extra=0)),
        Mistake("Your bin reaches outside the feature map: clip the start and the end to [0, size].",
                like=lambda *a: _bin(*a, clip=False)),
        Mistake("Your bin ends too early: the end is rounded up (ceil), the start down (floor), so "
                "neighbouring bins can share a pixel.",
                like=lambda *a: _bin(*a, end=math.floor)),
    ],
    hint="Round the two corners, count the box's pixels, cut them into `pooled` equal bins of "
         "fractional size, then round this bin's start down and its end up, shift and clip.",
))


# ---------------------------------------------------------------- spp_length
def _random_levels(rng):
    levels = sorted({randint(rng, 1, 6) for _ in range(randint(rng, 1, 4))})
    return randint(rng, 1, 512), tuple(levels)


register(Exercise(
    id="spp_length", title="The length of a spatial pyramid's vector", chapter=10,
    signature="spp_length(channels, levels)",
    reference=lambda channels, levels: channels * sum(n * n for n in levels),
    cases=[(1, (1, 2)), (3, (1,)), (16, (1, 2, 4)), (256, (1, 2, 3, 6))],
    random_case=_random_levels,
    returns="int",
    mistakes=[
        Mistake("Your count grows with n, not n * n: a level of n is an n x n grid of cells.",
                like=lambda channels, levels: channels * sum(levels)),
        Mistake("Your count leaves the channels out: every cell gives one number per channel.",
                like=lambda channels, levels: sum(n * n for n in levels)),
        Mistake("Your count keeps only the finest level: the pyramid concatenates every level.",
                like=lambda channels, levels: channels * max(levels) ** 2),
    ],
    hint="Count the cells of each level's grid, add the levels up, and remember that each cell "
         "gives one number per channel.",
))


# ---------------------------------------------------------------- softmax_limit (a prediction)
register(Prediction(
    id="softmax_limit", title="Softmax pooling as beta goes to minus infinity", chapter=10,
    name="predicted_limit", answer="min", choices=("max", "average", "min", "zero"),
    hint="Write the weights exp(beta * x_i) / sum exp(beta * x_j) for a window [1, 2] and "
         "beta = -10: which element gets almost all the weight?",
    explanation="With beta < 0 the smallest element has the largest beta * x_i, so the softmax "
                "puts its weight there: softmax pooling runs from min (beta -> -inf) through average "
                "(beta = 0) to max (beta -> +inf).",
))


# ---------------------------------------------------------------- masked_max
def _over(x, lengths, shift=0, fill=None):
    out = np.empty(x.shape[:2])
    for i, n in enumerate(lengths):
        steps = x[i, :, :min(int(n) + shift, x.shape[2])]
        if fill is not None:
            steps = np.concatenate([steps, np.full((x.shape[1], x.shape[2] - steps.shape[1]), fill)], axis=1)
        out[i] = steps.max(axis=1) if steps.shape[1] else fill
    return out


def _random_sequences(rng):
    n, t = randint(rng, 1, 3), randint(rng, 2, 6)
    x = random_values(rng, (n, randint(rng, 1, 3), t), negative=bool(randint(rng, 0, 1)))
    return x, rng.integers(1, t + 1, size=n)


register(Exercise(
    id="masked_max", title="Max over time of padded sequences", chapter=10,
    without=("poolkit",),
    signature="masked_max(x, lengths)",
    reference=lambda x, lengths: max_over_time(x, lengths),
    cases=[
        (np.array([[[1.0, 5.0, 9.0]]]), np.array([2])),
        (np.array([[[-3.0, -1.0, 0.0, 0.0]], [[2.0, -4.0, 0.0, 0.0]]]), np.array([2, 1])),
        (np.array([[[1.0, 4.0, 2.0, 7.0], [3.0, 0.5, 8.0, 6.0]]]), np.array([3])),
        (np.arange(-12.0, 0.0).reshape(2, 2, 3), np.array([3, 1])),
    ],
    random_case=_random_sequences,
    mistakes=[
        Mistake("Your max reads the padding: sequence i has only lengths[i] real steps, the rest "
                "must not take part.",
                like=lambda x, lengths: x.max(axis=2)),
        Mistake("Your max reads one step of padding: steps 0 to lengths[i] - 1 are real, "
                "step lengths[i] is not.",
                like=lambda x, lengths: _over(x, lengths, shift=1)),
        Mistake("Your max leaves out the last real step: steps 0 to lengths[i] - 1 are real.",
                like=lambda x, lengths: _over(x, lengths, shift=-1, fill=-np.inf)),
        Mistake("Your result is 0 where every real step is negative: masking the padding with 0 "
                "lets it win; mask it with -inf, which never wins.",
                like=lambda x, lengths: _over(x, lengths, fill=0.0)),
    ],
    hint="For each sequence, keep its first lengths[i] steps and take the max over them, "
         "for every channel.",
))
