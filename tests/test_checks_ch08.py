"""The exercises of chapter 8: a solution written as a learner would passes, the stub
fails without a traceback, and plausible wrong solutions fail on the smallest failing case
with the hint their mistake deserves."""

import copy
import math

import pytest

from poolkit.checks import check, evaluate, get_exercise, list_exercises

IDS = ["bytes_moved", "comparisons", "planes_per_chunk"]


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


def planes_per_chunk(cache_bytes, H, W, p, itemsize):
    per_plane = 2 * (H + 2 * p) * (W + 2 * p) * itemsize
    return max(1, cache_bytes // per_plane)


SOLUTIONS = {f.__name__: f for f in (bytes_moved, comparisons, planes_per_chunk)}


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


def planes_one_buffer(cache_bytes, H, W, p, itemsize):
    return max(1, cache_bytes // ((H + 2 * p) * (W + 2 * p) * itemsize))


def planes_unpadded(cache_bytes, H, W, p, itemsize):
    return max(1, cache_bytes // (2 * H * W * itemsize))


def planes_zero(cache_bytes, H, W, p, itemsize):
    return cache_bytes // (2 * (H + 2 * p) * (W + 2 * p) * itemsize)


def planes_ceil(cache_bytes, H, W, p, itemsize):
    return math.ceil(cache_bytes / (2 * (H + 2 * p) * (W + 2 * p) * itemsize))


WRONG = [
    # (exercise, wrong solution, words the hint must contain)
    ("bytes_moved", bytes_input_only, "input only"),
    ("bytes_moved", bytes_elements, "in elements, not bytes"),
    ("bytes_moved", bytes_padded_input, "padding as if it were read"),
    ("bytes_moved", bytes_no_stride, "ignores the stride"),
    ("comparisons", comparisons_per_element, "m - 1 comparisons"),
    ("comparisons", comparisons_padded_rows, "padding rows"),
    ("comparisons", comparisons_every_column, "every column"),
    ("planes_per_chunk", planes_one_buffer, "one buffer per plane"),
    ("planes_per_chunk", planes_unpadded, "no padding"),
    ("planes_per_chunk", planes_zero, "0 when one plane"),
    ("planes_per_chunk", planes_ceil, "one too large"),
]


def agrees(got, want) -> bool:
    """The test's own comparison (independent of the checker's)."""
    if isinstance(want, tuple):
        return isinstance(got, (tuple, list)) and len(got) == 2 and tuple(map(int, got)) == want
    return isinstance(got, int) and got == want


def first_failing(exercise_id, fn):
    """(case number, number of passing cases) of ``fn``, worked out without the checker."""
    first, passing = None, 0
    for case in get_exercise(exercise_id).all_cases():
        try:
            ok = agrees(fn(*copy.deepcopy(case.args)), SOLUTIONS[exercise_id](*copy.deepcopy(case.args)))
        except Exception:
            ok = False
        passing += ok
        if not ok and first is None:
            first = case.number
    return first, passing


# ---------------------------------------------------------------- tests
def test_the_chapters_exercises_are_registered_in_order():
    assert list_exercises(chapter=8) == IDS
    for eid in IDS:
        ex = get_exercise(eid)
        cases = ex.all_cases()
        assert ex.name == eid and ex.title and len(ex.cases) == 4
        assert len(cases) == 40 and sum(c.visible for c in cases) == 4


@pytest.mark.parametrize("eid", IDS)
def test_learner_solution_passes(eid, capsys):
    check(eid, SOLUTIONS[eid])
    assert capsys.readouterr().out == f"\u2705 {eid}: passed all 40 cases (4 from the exercise, 36 hidden random ones).\n"


@pytest.mark.parametrize("eid", IDS)
def test_reference_agrees_with_learner_solution_on_every_case(eid):
    for case in get_exercise(eid).all_cases():
        assert agrees(SOLUTIONS[eid](*copy.deepcopy(case.args)), case.expected), case


@pytest.mark.parametrize("eid", IDS)
def test_stub_fails_without_traceback(eid):
    def stub(*args):
        raise NotImplementedError

    result = evaluate(eid, stub)
    assert not result.passed and result.n_passed == 0
    assert "Smallest failing case: case 1 of 40" in result.message
    assert "Your function raised NotImplementedError" in result.message
    assert "NotImplementedError" in result.hint and "Traceback" not in result.message


@pytest.mark.parametrize("eid, wrong, words", WRONG, ids=[f"{w[0]}-{w[2]}" for w in WRONG])
def test_wrong_solution_gets_smallest_case_and_hint(eid, wrong, words):
    result = evaluate(eid, wrong)
    first, passing = first_failing(eid, wrong)
    assert first is not None, "this wrong solution passes every case: the cases do not catch it"
    assert not result.passed and result.n_passed == passing
    assert f"Smallest failing case: case {first} of 40 " in result.failure
    assert words in " ".join(result.hint.split()), result.message
    assert all(len(line) <= 80 for line in result.message.splitlines()), result.message


@pytest.mark.parametrize("eid", IDS)
def test_every_mistake_is_caught_by_a_visible_case(eid):
    """The cases the exercise shows already tell each wrong solution apart from a right one."""
    visible = [c for c in get_exercise(eid).all_cases() if c.visible]
    for ex_id, wrong, words in WRONG:
        if ex_id == eid:
            assert any(not _right(wrong, c) for c in visible), words


def _right(fn, case):
    try:
        return agrees(fn(*copy.deepcopy(case.args)), case.expected)
    except Exception:
        return False


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
