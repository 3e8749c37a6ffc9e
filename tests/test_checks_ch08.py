"""The exercises of chapter 8: a solution written as a learner would passes, the stub
fails without a traceback, and plausible wrong solutions fail on the smallest failing case
with the hint their mistake deserves."""

import math

from exercise_suite import exercise_tests

from poolkit.course.checks import get_exercise

IDS = ["bytes_moved", "comparisons"]   # and the prediction predict_im2col_mib (test_predictions_ch05_08)


# ---------------------------------------------------------------- solutions, as a learner writes them
def bytes_moved(shape, k, s, p, itemsize):
    N, C, H, W = shape
    out_h, out_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    return (N * C * H * W + N * C * out_h * out_w) * itemsize


def comparisons(shape, k, s, p):
    N, C, H, W = shape
    out_h, out_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    direct = N * C * out_h * out_w * (k * k - 1)
    rows_first = N * C * H * out_w * (k - 1)          # every input row, at the window starts
    then_columns = N * C * out_h * out_w * (k - 1)    # every output, k row maxima
    return direct, rows_first + then_columns


SOLUTIONS = {f.__name__: f for f in (bytes_moved, comparisons)}


# ---------------------------------------------------------------- plausible wrong solutions
def bytes_input_only(shape, k, s, p, itemsize):
    return math.prod(shape) * itemsize


def bytes_elements(shape, k, s, p, itemsize):
    return bytes_moved(shape, k, s, p, 1)


def bytes_padded_input(shape, k, s, p, itemsize):
    N, C, H, W = shape
    return bytes_moved(shape, k, s, p, itemsize) + N * C * ((H + 2 * p) * (W + 2 * p) - H * W) * itemsize


def bytes_no_stride(shape, k, s, p, itemsize):
    return bytes_moved(shape, k, 1, p, itemsize)


def comparisons_per_element(shape, k, s, p):
    N, C, H, W = shape
    out_h, out_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    return N * C * out_h * out_w * k * k, N * C * (H * out_w * k + out_h * out_w * k)


def comparisons_padded_rows(shape, k, s, p):
    N, C, H, W = shape
    direct, separable = comparisons(shape, k, s, p)
    out_w = (W + 2 * p - k) // s + 1
    return direct, separable + N * C * 2 * p * out_w * (k - 1)


def comparisons_every_column(shape, k, s, p):
    N, C, H, W = shape
    out_h, out_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    direct, _ = comparisons(shape, k, s, p)
    return direct, N * C * (H * W + out_h * out_w) * (k - 1)


WRONG = [
    # (exercise, wrong solution, words the hint must contain)
    ("bytes_moved", bytes_input_only, "input only"),
    ("bytes_moved", bytes_elements, "in elements, not bytes"),
    ("bytes_moved", bytes_padded_input, "padding as if it were read"),
    ("bytes_moved", bytes_no_stride, "ignores the stride"),
    ("comparisons", comparisons_per_element, "m - 1 comparisons"),
    ("comparisons", comparisons_padded_rows, "padding rows"),
    ("comparisons", comparisons_every_column, "every column"),
]


def agrees(got, want) -> bool:
    """The test's own comparison (independent of the checker's)."""
    if isinstance(want, tuple):
        return isinstance(got, (tuple, list)) and len(got) == 2 and tuple(map(int, got)) == want
    return isinstance(got, int) and got == want


# ---------------------------------------------------------------- tests
globals().update(exercise_tests(IDS, SOLUTIONS, WRONG, agrees, chapters=(8,)))


def test_the_chapters_exercises_are_registered_in_order():
    """The suite's registration test, for the function exercises only: chapter 8 also registers
    a Prediction, which has no cases (tests/test_predictions_ch05_08.py checks it)."""
    from poolkit.course.checks import Exercise, list_exercises
    assert [e for e in list_exercises(chapter=8) if isinstance(get_exercise(e), Exercise)] == IDS
    for eid in IDS:
        ex = get_exercise(eid)
        assert ex.name == eid and ex.title and len(ex.cases) == 4 and len(ex.all_cases()) == 40


def test_the_separable_passes_need_fewer_comparisons_with_stride_one():
    """With stride 1 and a window larger than 1x1, 2(k - 1) comparisons per output beat k*k - 1
    (with a large stride the first pass works on rows no window shares, and may not)."""
    seen = 0
    for case in get_exercise("comparisons").all_cases():
        (direct, separable), k, s = case.expected, case.args[1], case.args[2]
        if s == 1 and k > 1:
            assert separable < direct, case
            seen += 1
    assert seen >= 3
