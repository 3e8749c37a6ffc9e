"""The exercises of chapter 9: a solution written as a learner would passes, the stub
fails without a traceback, plausible wrong solutions fail on the smallest failing case
with the hint their mistake deserves, and the prediction grades right and wrong values."""

from math import comb

import numpy as np
from exercise_suite import exercise_tests

from poolkit.antialias import binomial_filter as library_filter
from poolkit.antialias import receptive_field
from poolkit.course.checks import evaluate, get_exercise, list_exercises

IDS = ["receptive_field_size", "pair_consistency", "binomial_filter"]


# ---------------------------------------------------------------- solutions, as a learner writes them
def receptive_field_size(layers):
    size, jump = 1, 1
    for k, s in layers:
        size += (k - 1) * jump
        jump *= s
    return size


def pair_consistency(predictions):
    N, S = predictions.shape
    out = np.zeros(N)
    for n in range(N):
        agree = sum(predictions[n, i] == predictions[n, j] for i in range(S) for j in range(i + 1, S))
        out[n] = agree / (S * (S - 1) / 2)
    return out


def binomial_filter(k):
    row = np.array([comb(k - 1, i) for i in range(k)], dtype=float)
    f = np.outer(row, row)
    return f / f.sum()


SOLUTIONS = {f.__name__: f for f in (receptive_field_size, pair_consistency, binomial_filter)}


# ---------------------------------------------------------------- plausible wrong solutions
def field_without_strides(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def field_stride_first(layers):
    size, jump = 1, 1
    for k, s in layers:
        jump *= s
        size += (k - 1) * jump
    return size


def consistency_with_self(predictions):
    return (predictions[:, :, None] == predictions[:, None, :]).mean(axis=(1, 2))


def consistency_first_only(predictions):
    return (predictions[:, 1:] == predictions[:, :1]).mean(axis=1)


def filter_unnormalised(k):
    row = np.array([comb(k - 1, i) for i in range(k)], dtype=float)
    return np.outer(row, row)


def filter_box(k):
    return np.ones((k, k)) / k**2


def filter_next_row(k):
    row = np.array([comb(k, i) for i in range(k + 1)], dtype=float)
    return np.outer(row, row) / row.sum() ** 2


WRONG = [
    ("receptive_field_size", field_without_strides, "whatever came before"),
    ("receptive_field_size", field_stride_first, "before adding its kernel"),
    ("pair_consistency", consistency_with_self, "paired with itself"),
    ("pair_consistency", consistency_first_only, "first one only"),
    ("binomial_filter", filter_unnormalised, "does not sum to 1"),
    ("binomial_filter", filter_box, "is a box"),
    ("binomial_filter", filter_next_row, "one row too far"),
]


def agrees(got, want) -> bool:
    """The test's own comparison (independent of the checker's)."""
    if isinstance(want, np.ndarray):
        return isinstance(got, np.ndarray) and got.shape == want.shape and np.allclose(got, want, rtol=1e-9)
    return isinstance(got, int) and got == want


# ---------------------------------------------------------------- tests
tests = exercise_tests(IDS, SOLUTIONS, WRONG, agrees, chapters=(9,))
_registered_with_prediction = tests.pop("test_the_chapters_exercises_are_registered_in_order")
globals().update(tests)


def test_the_chapters_exercises_are_registered_in_order():
    assert list_exercises(chapter=9) == IDS + ["flatten_head_params"]
    for eid in IDS:
        ex = get_exercise(eid)
        assert ex.name == eid and len(ex.cases) == 4 and len(ex.all_cases()) == 40


def test_references_agree_with_the_library():
    for case in get_exercise("binomial_filter").all_cases():
        np.testing.assert_allclose(case.expected, library_filter(*case.args), rtol=1e-12)
    for case in get_exercise("receptive_field_size").all_cases():
        assert case.expected == receptive_field(*case.args)[0]


def test_the_prediction():
    assert evaluate("flatten_head_params", ...).message.startswith("\U0001f4dd flatten_head_params: not written yet.")
    right = evaluate("flatten_head_params", 20490)
    assert right.passed and "right" in right.message
    wrong = evaluate("flatten_head_params", 5130)
    assert not wrong.passed and "20490" not in wrong.message and "Hint" in wrong.message
    assert not evaluate("flatten_head_params", "many").passed
