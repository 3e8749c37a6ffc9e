"""Exercises of chapter 3, "From loops to arrays": max pooling through a column matrix,
the reshape trick and where it applies, col2im's accumulation, and (a prediction) the
memory of a column matrix.

Every ``like=`` function below makes one common mistake on purpose: when a
learner's answer equals its result, the learner gets that mistake's hint.
"""

import numpy as np

from ...functional import avg_pool2d, max_pool2d
from ...im2col import col2im
from ..checks import Exercise, Mistake, Prediction, randint, random_values, random_window, register


def _same_values_elsewhere(args, expected, got):
    """The right values (as a multiset) in the wrong places."""
    return (got.shape == expected.shape and not np.array_equal(got, expected)
            and np.array_equal(np.sort(got, axis=None), np.sort(expected, axis=None)))


# ---------------------------------------------------------------- im2col_max_pool
def _windows_of(P, k, s, out_h, out_w):
    """Max of every k x k window of the padded (N, C, H, W) array ``P``, stride s, by loops."""
    Y = np.empty(P.shape[:2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            Y[:, :, i, j] = P[:, :, i * s:i * s + k, j * s:j * s + k].max(axis=(2, 3))
    return Y


def _zero_padded(X, k, s, p):
    P = np.pad(X, [(0, 0), (0, 0), (p, p), (p, p)])
    return _windows_of(P, k, s, (P.shape[2] - k) // s + 1, (P.shape[3] - k) // s + 1)


def _size_without_padding(X, k, s, p):
    """Pads with -inf but sizes the output as if there were no padding (Deep Learning from
    Scratch's formula, ``1 + (H - k) // s``)."""
    P = np.pad(X, [(0, 0), (0, 0), (p, p), (p, p)], constant_values=-np.inf)
    return _windows_of(P, k, s, (X.shape[2] - k) // s + 1, (X.shape[3] - k) // s + 1)


def _random_batch(rng, k):
    """(N, C, H, W) values (sometimes all negative) that k x k windows with some padding fit."""
    h, w = randint(rng, max(1, k - 1), 7), randint(rng, max(1, k - 1), 7)
    shape = (randint(rng, 1, 2), randint(rng, 1, 3), h, w)
    return random_values(rng, shape, negative=bool(randint(rng, 0, 1)))


def _random_im2col_case(rng):
    k = randint(rng, 1, 4)
    p = randint(rng, 0, k // 2)
    while True:
        X = _random_batch(rng, k)
        if min(X.shape[2:]) + 2 * p >= k:
            return X, k, randint(rng, 1, 3), p


register(Exercise(
    id="im2col_max_pool", title="Max pooling through a column matrix", chapter=3,
    without=("poolkit",),
    signature="im2col_max_pool(X, k, s, p)",
    reference=lambda X, k, s, p: max_pool2d(X, k, s, p),
    cases=[
        (np.arange(16.0).reshape(1, 1, 4, 4) - 100, 3, 2, 1),
        (np.arange(9.0).reshape(1, 1, 3, 3), 2, 1, 0),
        (-np.arange(1.0, 51.0).reshape(1, 2, 5, 5) / 2, 2, 2, 1),
        (np.arange(48.0).reshape(2, 1, 4, 6) % 7 - 3.5, 3, 1, 1),
    ],
    random_case=_random_im2col_case,
    mistakes=[
        Mistake("Your result matches padding with zeros, as Deep Learning from Scratch's "
                "Pooling layer pads: every window that touches the padding returns at least "
                "0. Fill the padding with a value that can never be a window's maximum.",
                like=_zero_padded),
        Mistake("Your output has the size of an unpadded pooling although you padded: the "
                "number of windows along each axis depends on the padded length, not on H "
                "and W alone.",
                like=_size_without_padding),
        Mistake("Your output ignores the stride: consecutive windows start s positions "
                "apart, along rows and along columns.",
                like=lambda X, k, s, p: max_pool2d(X, k, 1, p)),
        Mistake("Your output holds the right values in the wrong places: the rows of your "
                "column matrix come in a different order than your final reshape assumes. "
                "Number the rows (n, c, i, j) with j changing fastest, or reshape in the "
                "order you built them, then move the axes.",
                when=_same_values_elsewhere),
    ],
    hint="Print your column matrix for this case: one row per window, k*k columns, "
         "padding included. Check the first and the last row by hand, then the reshape.",
))


# ---------------------------------------------------------------- reshape_pool
def _random_reshape_case(rng):
    k = randint(rng, 1, 3)
    shape = (randint(rng, 1, 2), randint(rng, 1, 3), randint(rng, k, 8), randint(rng, k, 8))
    return random_values(rng, shape), k


def _cropped(X, k):
    N, C, H, W = X.shape
    return X[:, :, :H - H % k, :W - W % k], N, C, H // k, W // k


def _blocks_mixed(X, k):
    Xc, N, C, Ho, Wo = _cropped(X, k)
    return Xc.reshape(N, C, Ho, Wo, k, k).max(axis=(4, 5))


def _max_over_block_numbers(X, k):
    Xc, N, C, Ho, Wo = _cropped(X, k)
    return Xc.reshape(N, C, Ho, k, Wo, k).max(axis=(2, 4))


register(Exercise(
    id="reshape_pool", title="The reshape trick", chapter=3,
    signature="reshape_pool(X, k)",
    reference=lambda X, k: max_pool2d(X, k),
    cases=[
        (np.arange(16.0).reshape(1, 1, 4, 4), 2),
        (np.arange(36.0).reshape(1, 1, 6, 6) % 5, 3),
        (np.arange(40.0).reshape(1, 2, 5, 4) % 7 - 3, 2),
        (np.arange(105.0).reshape(1, 3, 5, 7) % 11 / 2 - 2.5, 2),
    ],
    random_case=_random_reshape_case,
    mistakes=[
        Mistake("Your blocks mix elements of different windows: reshape splits an axis into "
                "(number of blocks, k) only where the two new axes stay next to each other, "
                "in the place of the axis they come from.",
                like=_blocks_mixed),
        Mistake("You took the maximum over the wrong axes: after the reshape, the window's "
                "elements lie along the two axes of length k, not along the block numbers.",
                like=_max_over_block_numbers),
        Mistake("Your result averages each window: max pooling takes its largest element.",
                like=lambda X, k: avg_pool2d(X, k)),
    ],
    hint="Count how many whole k x k blocks fit into H and W for this case. Max pooling "
         "with stride k (floor mode) drops the rows and columns that do not fill a block, "
         "and a reshape only splits an axis whose length is a multiple of k.",
))


# ---------------------------------------------------------------- col2im_add
def _col2im_loop(cols, x_shape, k, s, p, accumulate=True, offset=True, taps="row"):
    """col2im by loops, with the switches for the mistakes."""
    N, C, H, W = x_shape
    out_h, out_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    P = np.zeros((N, C, H + 2 * p, W + 2 * p))
    rows = cols.reshape(N, C, out_h, out_w, k, k)
    if taps == "column":
        rows = rows.swapaxes(4, 5)
    for i in range(out_h):
        for j in range(out_w):
            window = rows[:, :, i, j]
            if accumulate:
                P[:, :, i * s:i * s + k, j * s:j * s + k] += window
            else:
                P[:, :, i * s:i * s + k, j * s:j * s + k] = window
    return P[:, :, p:p + H, p:p + W] if offset else P[:, :, :H, :W]


def _square(k):
    if k == 1:
        raise ValueError("a 1 x 1 window has one tap order only")
    return k


def _random_col2im_case(rng):
    k, p, h, w = random_window(rng, 3)
    s = randint(rng, 1, 2)
    x_shape = (randint(rng, 1, 2), randint(rng, 1, 2), h, w)
    rows = x_shape[0] * x_shape[1] * ((h + 2 * p - k) // s + 1) * ((w + 2 * p - k) // s + 1)
    return random_values(rng, (rows, k * k)), x_shape, k, s, p


register(Exercise(
    id="col2im_add", title="col2im: adding the windows back", chapter=3,
    signature="col2im_add(cols, x_shape, k, s, p)",
    reference=lambda cols, x_shape, k, s, p: col2im(cols, x_shape, k, s, p),
    cases=[
        (np.ones((4, 4)), (1, 1, 3, 3), 2, 1, 0),
        (np.arange(36.0).reshape(4, 9) / 2, (1, 1, 4, 4), 3, 2, 1),
        (np.arange(32.0).reshape(8, 4) - 16, (1, 2, 4, 5), 2, 2, 0),
        (np.arange(450.0).reshape(50, 9) % 13 - 6, (2, 1, 5, 5), 3, 1, 1),
    ],
    random_case=_random_col2im_case,
    rtol=1e-9,
    mistakes=[
        Mistake("Where windows overlap, an element must receive the sum of the values of "
                "every window that contains it, but yours keeps only one of them. Assigning "
                "overwrites; so does `+=` with fancy indexing, which adds once per repeated "
                "index: np.add.at adds every one.",
                like=lambda cols, x_shape, k, s, p: _col2im_loop(cols, x_shape, k, s, p, accumulate=False)),
        Mistake("Your result is shifted: you cut the padded buffer at the wrong place. Input "
                "element (0, 0) sits p rows and p columns into the padded buffer.",
                like=lambda cols, x_shape, k, s, p: _col2im_loop(cols, x_shape, k, s, p, offset=False)
                if p else None),
        Mistake("Your taps are in the wrong order: the k*k columns of a row run along the "
                "window's first row, then its second row, and so on (row-major).",
                like=lambda cols, x_shape, k, s, p: _col2im_loop(cols, x_shape, _square(k), s, p,
                                                                 taps="column")),
    ],
    hint="Take the first row of cols for this case and write down, for each of its k*k "
         "values, the input element it belongs to (or the padding). Then follow one "
         "input element that two windows share.",
))


# ---------------------------------------------------------------- im2col_megabytes (a prediction)
register(Prediction(
    id="im2col_megabytes", title="The memory of a column matrix", chapter=3,
    name="megabytes",
    answer=14.450688,          # 8 * 64 * 28 * 28 rows, 9 columns, 4 bytes
    rtol=0.02,
    hint="The matrix has one row per output element (N * C * o_h * o_w) and one column "
         "per tap (k * k); each float32 takes 4 bytes, and 1 MB is 10**6 bytes. Work out "
         "o_h with the output-size formula first.",
    explanation="o_h = o_w = (56 + 2 - 3) // 2 + 1 = 28, so 8 * 64 * 28 * 28 = 401,408 rows "
                "of 9 taps of 4 bytes: 14.45 MB, 2.25 times the input's 6.42 MB.",
))
