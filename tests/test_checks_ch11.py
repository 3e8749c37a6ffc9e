"""The exercises of chapter 11: a solution written as a learner would passes, the stub is
"not written yet", plausible wrong solutions fail with the hint their mistake deserves, and
the prediction is graded without giving its answer away."""

import numpy as np
import pytest
from exercise_suite import exercise_tests

from poolkit.course.checks import check, evaluate, list_exercises

IDS = ["max_kernel_1d", "gather_outputs"]


def max_kernel_1d(x, k, s):
    n = (len(x) - k) // s + 1
    out = np.full(n, -np.inf)
    for t in range(k):                 # taps outside,
        for j in range(n):             # outputs inside
            v = x[j * s + t]
            if v > out[j] or v != v:
                out[j] = v
    return out


def gather_outputs(i, k, s, p, n_out):
    lo = max(0, -(-(i + p - (k - 1)) // s))
    hi = min(n_out, (i + p) // s + 1)
    return lo, max(lo, hi)


SOLUTIONS = {"max_kernel_1d": max_kernel_1d, "gather_outputs": gather_outputs}


def max_stride_one(x, k, s):
    return max_kernel_1d(x, k, 1)[:(len(x) - k) // s + 1]


def max_one_more(x, k, s):
    n = (len(x) - k) // s + 2
    out = np.full(n, -np.inf)
    for t in range(k):
        for j in range(n):
            if j * s + t < len(x) and x[j * s + t] > out[j]:
                out[j] = x[j * s + t]
    return out


def gather_no_padding(i, k, s, p, n_out):
    return gather_outputs(i, k, s, 0, n_out)


def gather_unclipped(i, k, s, p, n_out):
    return -(-(i + p - (k - 1)) // s), (i + p) // s + 1


WRONG = [
    ("max_kernel_1d", max_stride_one, "j * s"),
    ("max_kernel_1d", max_one_more, "one window too long"),
    ("gather_outputs", gather_no_padding, "padding"),
    ("gather_outputs", gather_unclipped, "clipped"),
]


def agrees(got, want) -> bool:
    if isinstance(want, tuple):
        return isinstance(got, (tuple, list)) and tuple(map(int, got)) == tuple(map(int, want))
    return isinstance(got, np.ndarray) and got.shape == want.shape and np.array_equal(got, want)


_tests = exercise_tests(IDS, SOLUTIONS, WRONG, agrees, chapters=())
_tests.pop("test_the_chapters_exercises_are_registered_in_order")
globals().update(_tests)


def test_the_chapters_exercises_are_registered_in_order():
    assert list_exercises(chapter=11) == IDS + ["scatter_writers"]


@pytest.mark.parametrize("value,right", [(2, True), (3, False), (1, False)])
def test_the_prediction(value, right, capsys):
    assert evaluate("scatter_writers", value).passed == right
    check("scatter_writers", value)
    out = capsys.readouterr().out
    assert out.startswith("\u2705") == right
    assert right or "two windows" not in out          # the explanation comes only after a right answer
