"""The exercises of chapters 3 and 4: a solution written as a learner would passes, the stub
fails without a traceback, and plausible wrong solutions fail on the smallest failing case
with the hint their mistake deserves."""

import numpy as np
import pytest
from exercise_suite import exercise_tests

from poolkit.course.checks import Exercise, Prediction, evaluate, get_exercise, list_exercises

IDS = ["im2col_max_pool", "reshape_pool", "col2im_add", "max_pool_backward", "avg_pool_backward",
       "tie_backward"]


# ---------------------------------------------------------------- solutions, as a learner writes them
def im2col_max_pool(X, k, s, p):
    N, C, H, W = X.shape
    out_h, out_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    P = np.pad(X, [(0, 0), (0, 0), (p, p), (p, p)], constant_values=-np.inf)
    cols = np.empty((N, C, out_h, out_w, k * k))
    for i in range(out_h):
        for j in range(out_w):
            cols[:, :, i, j] = P[:, :, i * s:i * s + k, j * s:j * s + k].reshape(N, C, k * k)
    cols = cols.reshape(-1, k * k)
    return cols.max(axis=1).reshape(N, C, out_h, out_w)


def reshape_pool(X, k):
    N, C, H, W = X.shape
    X = X[:, :, :H // k * k, :W // k * k]
    return X.reshape(N, C, H // k, k, W // k, k).max(axis=(3, 5))


def col2im_add(cols, x_shape, k, s, p):
    N, C, H, W = x_shape
    out_h, out_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    windows = cols.reshape(N, C, out_h, out_w, k, k)
    P = np.zeros((N, C, H + 2 * p, W + 2 * p))
    for i in range(out_h):
        for j in range(out_w):
            P[:, :, i * s:i * s + k, j * s:j * s + k] += windows[:, :, i, j]
    return P[:, :, p:p + H, p:p + W]


def max_pool_backward(dy, indices, x_shape):
    N, C, H, W = x_shape
    dx = np.zeros((N * C, H * W))
    planes = np.arange(N * C)[:, None]
    np.add.at(dx, (planes, indices.reshape(N * C, -1)), dy.reshape(N * C, -1))
    return dx.reshape(x_shape)


def avg_pool_backward(dy, x_shape, k, s, p):
    N, C, H, W = x_shape
    P = np.zeros((N, C, H + 2 * p, W + 2 * p))
    real = np.zeros((H + 2 * p, W + 2 * p))
    real[p:p + H, p:p + W] = 1
    for i in range(dy.shape[2]):
        for j in range(dy.shape[3]):
            rows, cols = slice(i * s, i * s + k), slice(j * s, j * s + k)
            P[:, :, rows, cols] += dy[:, :, i, j, None, None] / real[rows, cols].sum()
    return P[:, :, p:p + H, p:p + W]


def tie_backward(dy, x, k, policy):
    dx = np.zeros(x.shape)
    for i in range(dy.shape[0]):
        for j in range(dy.shape[1]):
            window = x[i * k:(i + 1) * k, j * k:(j + 1) * k]
            ties = window == window.max()
            if policy == "first":
                share = np.zeros(window.shape)
                share[np.unravel_index(np.argmax(window), window.shape)] = 1
            elif policy == "split":
                share = ties / ties.sum()
            else:
                share = ties * 1.0
            dx[i * k:(i + 1) * k, j * k:(j + 1) * k] = share * dy[i, j]
    return dx


SOLUTIONS = {f.__name__: f for f in (im2col_max_pool, reshape_pool, col2im_add, max_pool_backward,
                                       avg_pool_backward, tie_backward)}


# ---------------------------------------------------------------- plausible wrong solutions
def im2col_zero_pad(X, k, s, p):            # Deep Learning from Scratch pads with zeros
    N, C, H, W = X.shape
    P = np.pad(X, [(0, 0), (0, 0), (p, p), (p, p)])
    return im2col_max_pool(P, k, s, 0)


def im2col_dlfs_size(X, k, s, p):            # ... and sizes the output without the padding
    N, C, H, W = X.shape
    out_h, out_w = (H - k) // s + 1, (W - k) // s + 1
    return im2col_max_pool(X, k, s, p)[:, :, :out_h, :out_w]


def im2col_cs231n_order(X, k, s, p):         # rows built (i, j, n, c), reshaped as (n, c, i, j)
    Y = im2col_max_pool(X, k, s, p)
    return Y.transpose(2, 3, 0, 1).reshape(Y.shape)


def reshape_mixed(X, k):
    N, C, H, W = X.shape
    X = X[:, :, :H // k * k, :W // k * k]
    return X.reshape(N, C, H // k, W // k, k, k).max(axis=(4, 5))


def reshape_block_axes(X, k):
    N, C, H, W = X.shape
    X = X[:, :, :H // k * k, :W // k * k]
    return X.reshape(N, C, H // k, k, W // k, k).max(axis=(2, 4))


def reshape_mean(X, k):
    N, C, H, W = X.shape
    X = X[:, :, :H // k * k, :W // k * k]
    return X.reshape(N, C, H // k, k, W // k, k).mean(axis=(3, 5))


def reshape_no_crop(X, k):
    N, C, H, W = X.shape
    return X.reshape(N, C, H // k, k, W // k, k).max(axis=(3, 5))


def col2im_fancy(cols, x_shape, k, s, p):    # out[idx] += values: repeated indices add once
    N, C, H, W = x_shape
    out_h, out_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    r = (np.arange(out_h)[:, None, None, None] * s + np.arange(k)[None, None, :, None])
    c = (np.arange(out_w)[None, :, None, None] * s + np.arange(k)[None, None, None, :])
    P = np.zeros((N, C, H + 2 * p, W + 2 * p))
    P[:, :, r, c] += cols.reshape(N, C, out_h, out_w, k, k)
    return P[:, :, p:p + H, p:p + W]


def col2im_no_offset(cols, x_shape, k, s, p):  # crops the padded buffer at (0, 0)
    N, C, H, W = x_shape
    out_h, out_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    windows = cols.reshape(N, C, out_h, out_w, k, k)
    P = np.zeros((N, C, H + 2 * p, W + 2 * p))
    for i in range(out_h):
        for j in range(out_w):
            P[:, :, i * s:i * s + k, j * s:j * s + k] += windows[:, :, i, j]
    return P[:, :, :H, :W]


def col2im_column_taps(cols, x_shape, k, s, p):
    return col2im_add(cols.reshape(-1, k, k).transpose(0, 2, 1).reshape(cols.shape), x_shape, k, s, p)


def max_backward_fancy(dy, indices, x_shape):
    N, C, H, W = x_shape
    dx = np.zeros((N * C, H * W))
    dx[np.arange(N * C)[:, None], indices.reshape(N * C, -1)] += dy.reshape(N * C, -1)
    return dx.reshape(x_shape)


def max_backward_global(dy, indices, x_shape):
    dx = np.zeros(int(np.prod(x_shape)))
    np.add.at(dx, indices.ravel(), dy.ravel())
    return dx.reshape(x_shape)


def max_backward_columns(dy, indices, x_shape):
    N, C, H, W = x_shape
    dx = np.zeros(x_shape)
    for n in range(N):
        for c in range(C):
            for o, idx in np.ndenumerate(indices[n, c]):
                dx[n, c, idx % H, idx // H] += dy[n, c][o]
    return dx


def avg_backward_full_divisor(dy, x_shape, k, s, p):   # count_include_pad=True
    return avg_backward_unscaled(dy / (k * k), x_shape, k, s, p)


def avg_backward_unscaled(dy, x_shape, k, s, p):
    N, C, H, W = x_shape
    P = np.zeros((N, C, H + 2 * p, W + 2 * p))
    for i in range(dy.shape[2]):
        for j in range(dy.shape[3]):
            P[:, :, i * s:i * s + k, j * s:j * s + k] += dy[:, :, i, j, None, None]
    return P[:, :, p:p + H, p:p + W]


def avg_backward_overwrite(dy, x_shape, k, s, p):
    N, C, H, W = x_shape
    P = np.zeros((N, C, H + 2 * p, W + 2 * p))
    real = np.zeros((H + 2 * p, W + 2 * p))
    real[p:p + H, p:p + W] = 1
    for i in range(dy.shape[2]):
        for j in range(dy.shape[3]):
            rows, cols = slice(i * s, i * s + k), slice(j * s, j * s + k)
            P[:, :, rows, cols] = dy[:, :, i, j, None, None] / real[rows, cols].sum()
    return P[:, :, p:p + H, p:p + W]


def ties_last(dy, x, k, policy):
    if policy != "first":
        return tie_backward(dy, x, k, policy)
    flipped = tie_backward(dy[::-1, ::-1], x[::-1, ::-1], k, policy)[::-1, ::-1]
    return flipped


def ties_columns(dy, x, k, policy):
    if policy != "first":
        return tie_backward(dy, x, k, policy)
    return tie_backward(dy.T, x.T, k, policy).T


def ties_even(dy, x, k, policy):
    if policy != "split":
        return tie_backward(dy, x, k, policy)
    return tie_backward(dy, x, k, "all") / (k * k)


def ties_mask_everywhere(dy, x, k, policy):   # the mask of every tie, whatever the policy
    return tie_backward(dy, x, k, "all")


WRONG = [
    # (exercise, wrong solution, words the hint must contain)
    ("im2col_max_pool", im2col_zero_pad, "padding with zeros"),
    ("im2col_max_pool", im2col_dlfs_size, "size of an unpadded pooling"),
    ("im2col_max_pool", lambda X, k, s, p: im2col_max_pool(X, k, 1, p), "ignores the stride"),
    ("im2col_max_pool", im2col_cs231n_order, "wrong places"),
    ("reshape_pool", reshape_mixed, "mix elements"),
    ("reshape_pool", reshape_block_axes, "wrong axes"),
    ("reshape_pool", reshape_no_crop, "do not fill a block"),
    ("reshape_pool", reshape_mean, "averages"),
    ("col2im_add", col2im_fancy, "np.add.at"),
    ("col2im_add", col2im_no_offset, "shifted"),
    ("col2im_add", col2im_column_taps, "row-major"),
    ("max_pool_backward", max_backward_fancy, "np.add.at"),
    ("max_pool_backward", max_backward_global, "first (n, c) plane"),
    ("max_pool_backward", max_backward_columns, "row * W + column"),
    ("avg_pool_backward", avg_backward_full_divisor, "count_include_pad=True"),
    ("avg_pool_backward", avg_backward_unscaled, "too large"),
    ("avg_pool_backward", avg_backward_overwrite, "do not overwrite"),
    ("tie_backward", ties_last, "last of the tied maxima"),
    ("tie_backward", ties_columns, "column by column"),
    ("tie_backward", ties_even, "window size"),
    ("tie_backward", ties_mask_everywhere, "another of the three policies"),
]


def agrees(got, want) -> bool:
    """The test's own comparison (independent of the checker's)."""
    return (isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind == want.dtype.kind
            and np.allclose(got, want, rtol=1e-9, atol=1e-12))


# ---------------------------------------------------------------- tests
globals().update(exercise_tests(IDS, SOLUTIONS, WRONG, agrees, chapters=(3, 4)))


def test_the_chapters_exercises_are_registered_in_order():
    """The suite's test, for the function exercises: each chapter also registers a Prediction."""
    assert [e for c in (3, 4) for e in list_exercises(chapter=c) if isinstance(get_exercise(e), Exercise)] == IDS
    assert list_exercises(chapter=3)[-1] == "im2col_megabytes" and list_exercises(chapter=4)[-1] == "tie_gradient"


@pytest.mark.parametrize("eid, right, wrong", [
    ("im2col_megabytes", 14.45, 16.06),           # 16.06: 8 * 64 * 28 * 28 * 10 taps (one too many)
    ("im2col_megabytes", 14_450_688 / 1e6, 3.61),  # 3.61: forgot the 4 bytes
    ("tie_gradient", (0, 2, 1, 0), (0, 1, 1, 1)),  # (0, 1, 1, 1): the tie's last maximum
    ("tie_gradient", [0.0, 2.0, 1.0, 0.0], (0, 1.5, 1.5, 0)),
])
def test_predictions(eid, right, wrong):
    ex = get_exercise(eid)
    assert isinstance(ex, Prediction)
    assert evaluate(eid, ...).message.startswith(f"\U0001f4dd {eid}: not written yet.")
    assert evaluate(eid, right).passed
    result = evaluate(eid, wrong)
    assert not result.passed and result.hint == ex.hint and str(ex.answer) not in result.message


def test_tie_policies_on_a_four_way_tie():
    dy, x = np.array([[1.0]]), np.ones((2, 2))
    ex = get_exercise("tie_backward")
    assert ex.reference(dy, x, 2, "first").tolist() == [[1, 0], [0, 0]]
    assert ex.reference(dy, x, 2, "split").tolist() == [[0.25, 0.25], [0.25, 0.25]]
    assert ex.reference(dy, x, 2, "all").tolist() == [[1, 1], [1, 1]]
