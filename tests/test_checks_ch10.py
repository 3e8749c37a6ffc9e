"""The exercises of chapter 10: a solution written as a learner would passes, the stub fails
without a traceback, plausible wrong solutions fail on the smallest failing case with the hint
their mistake deserves, and the prediction says right or wrong without the answer."""

import math

import numpy as np
from exercise_suite import exercise_tests

from poolkit.course.checks import check, evaluate, get_exercise, list_exercises

IDS = ["roi_bin", "spp_length", "masked_max"]
PREDICTIONS = ["softmax_limit"]


# ---------------------------------------------------------------- solutions, as a learner writes them
def c_round(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def roi_bin(x1, x2, pooled, i, size):
    a, b = c_round(x1), c_round(x2)
    width = max(b - a + 1, 1)
    start = math.floor(i * width / pooled) + a
    end = math.ceil((i + 1) * width / pooled) + a
    return min(max(start, 0), size), min(max(end, 0), size)


def spp_length(channels, levels):
    return channels * sum(n * n for n in levels)


def masked_max(x, lengths):
    steps = np.arange(x.shape[2])
    real = steps[None, None, :] < np.asarray(lengths)[:, None, None]
    return np.where(real, x, -np.inf).max(axis=2)


SOLUTIONS = {f.__name__: f for f in (roi_bin, spp_length, masked_max)}


# ---------------------------------------------------------------- plausible wrong solutions
def roi_bin_python_round(x1, x2, pooled, i, size):
    return roi_bin(round(x1) + 0.0, round(x2) + 0.0, pooled, i, size)


def roi_bin_exclusive(x1, x2, pooled, i, size):
    a, b = c_round(x1), c_round(x2)
    width = max(b - a, 1)
    start, end = math.floor(i * width / pooled) + a, math.ceil((i + 1) * width / pooled) + a
    return min(max(start, 0), size), min(max(end, 0), size)


def roi_bin_unclipped(x1, x2, pooled, i, size):
    a, b = c_round(x1), c_round(x2)
    width = max(b - a + 1, 1)
    return math.floor(i * width / pooled) + a, math.ceil((i + 1) * width / pooled) + a


def roi_bin_floor_end(x1, x2, pooled, i, size):
    a, b = c_round(x1), c_round(x2)
    width = max(b - a + 1, 1)
    start, end = math.floor(i * width / pooled) + a, math.floor((i + 1) * width / pooled) + a
    return min(max(start, 0), size), min(max(end, 0), size)


def spp_linear(channels, levels):
    return channels * sum(levels)


def spp_no_channels(channels, levels):
    return sum(n * n for n in levels)


def masked_max_all_steps(x, lengths):
    return x.max(axis=2)


def masked_max_zero_fill(x, lengths):
    real = np.arange(x.shape[2])[None, None, :] < np.asarray(lengths)[:, None, None]
    return np.where(real, x, 0.0).max(axis=2)


def masked_max_one_more(x, lengths):
    real = np.arange(x.shape[2])[None, None, :] <= np.asarray(lengths)[:, None, None]
    return np.where(real, x, -np.inf).max(axis=2)


WRONG = [
    ("roi_bin", roi_bin_python_round, "halves away from zero"),
    ("roi_bin", roi_bin_exclusive, "includes both corners"),
    ("roi_bin", roi_bin_unclipped, "clip the start and the end"),
    ("roi_bin", roi_bin_floor_end, "the end is rounded up"),
    ("spp_length", spp_linear, "n x n grid"),
    ("spp_length", spp_no_channels, "one number per channel"),
    ("masked_max", masked_max_all_steps, "reads the padding"),
    ("masked_max", masked_max_zero_fill, "mask it with -inf"),
    ("masked_max", masked_max_one_more, "reads one step of padding"),
]


def agrees(got, want):
    if isinstance(want, np.ndarray):
        return isinstance(got, np.ndarray) and got.shape == want.shape and np.array_equal(got, want)
    return got == want


globals().update(exercise_tests(IDS, SOLUTIONS, WRONG, agrees, chapters=(10,)))


def test_the_chapters_exercises_are_registered_in_order():  # replaces the suite's: chapter 10 has a prediction
    assert list_exercises(chapter=10) == ["roi_bin", "spp_length", "softmax_limit", "masked_max"]
    for eid in IDS:
        ex = get_exercise(eid)
        assert ex.name == eid and ex.title and len(ex.cases) == 4 and len(ex.all_cases()) == 40


def test_the_prediction(capsys):
    ex = get_exercise("softmax_limit")
    assert ex.name == "predicted_limit"
    check("softmax_limit", ...)
    assert capsys.readouterr().out.startswith("\U0001f4dd softmax_limit: not written yet.")
    for wrong in ("max", "Average", "zero"):
        result = evaluate("softmax_limit", wrong)
        assert not result.passed and "min" not in result.message.replace("minus", "")
    assert "not one of the choices" in evaluate("softmax_limit", "median").message
    assert evaluate("softmax_limit", " MIN ").passed
