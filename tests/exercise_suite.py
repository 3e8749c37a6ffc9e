"""The tests every chapter's exercises get, written once.

A chapter's test module defines, as a learner would write them, the right
solutions (``SOLUTIONS``: id -> function) and plausible wrong ones (``WRONG``:
``(id, function, words the hint must contain)``), plus ``agrees(got, want)``, the
test's own comparison (independent of the checker's), then adds the tests::

    from exercise_suite import exercise_tests
    globals().update(exercise_tests(IDS, SOLUTIONS, WRONG, agrees, chapters=(3, 4)))

They check that the exercises are registered in order, that the learner's solution
passes and agrees with the reference on every case, that the stub fails without a
traceback, and that each wrong solution fails on its smallest failing case (worked
out here, without the checker) with the hint its mistake deserves, already on the
cases the exercise shows.
"""

import copy

import numpy as np
import pytest

from poolkit.course.checks import check, evaluate, get_exercise, list_exercises

N_CASES, N_VISIBLE = 40, 4


def _same_args(a, b):
    return len(a) == len(b) and all(
        np.array_equal(x, y) if isinstance(x, np.ndarray) or isinstance(y, np.ndarray) else x == y
        for x, y in zip(a, b))


def exercise_tests(ids, solutions, wrong, agrees, chapters):
    """The test functions for the exercises ``ids`` of ``chapters``, by name."""

    def right(fn, case):
        try:
            return agrees(fn(*copy.deepcopy(case.args)), case.expected)
        except Exception:
            return False

    def first_failing(eid, fn):
        """(case number, number of passing cases) of ``fn``."""
        outcomes = [(case.number, right(fn, case)) for case in get_exercise(eid).all_cases()]
        return next((n for n, ok in outcomes if not ok), None), sum(ok for _, ok in outcomes)

    def test_the_chapters_exercises_are_registered_in_order():
        assert [e for c in chapters for e in list_exercises(chapter=c)] == ids
        for eid in ids:
            ex = get_exercise(eid)
            cases = ex.all_cases()
            assert ex.name == eid and ex.title and len(ex.cases) == N_VISIBLE
            assert len(cases) == N_CASES and sum(c.visible for c in cases) == N_VISIBLE

    @pytest.mark.parametrize("eid", ids)
    def test_learner_solution_passes(eid, capsys):
        check(eid, solutions[eid])
        assert capsys.readouterr().out == (f"\u2705 {eid}: passed all {N_CASES} cases ({N_VISIBLE} from the "
                                           f"exercise, {N_CASES - N_VISIBLE} hidden random ones).\n")
        result = evaluate(eid, solutions[eid])
        assert (result.passed, result.n_passed, result.n_cases, result.failure, result.hint) == \
            (True, N_CASES, N_CASES, None, None)

    @pytest.mark.parametrize("eid", ids)
    def test_reference_agrees_with_learner_solution_on_every_case(eid):
        for case in get_exercise(eid).all_cases():
            assert right(solutions[eid], case), case

    @pytest.mark.parametrize("eid", ids)
    def test_stub_is_not_written_yet(eid):
        def stub(*args):
            raise NotImplementedError("write your solution here")

        result = evaluate(eid, stub)
        assert not result.passed and result.n_passed == 0 and result.n_cases == N_CASES
        assert result.message.startswith(f"\U0001f4dd {eid}: not written yet. Replace `raise")
        assert get_exercise(eid).name in result.message and "Traceback" not in result.message
        assert evaluate(eid, ...).message.startswith(f"\U0001f4dd {eid}: not written yet.")

    @pytest.mark.parametrize("eid", ids)
    def test_a_stub_that_raises_only_sometimes_is_graded(eid):
        """Only a function that raises NotImplementedError on every case is "not written yet"."""
        reference = get_exercise(eid).reference
        smallest = get_exercise(eid).all_cases()[0].args

        def partial(*args):
            if _same_args(args, smallest):
                raise NotImplementedError("not this one")
            return reference(*args)

        result = evaluate(eid, partial)
        assert not result.passed and result.n_passed == N_CASES - 1
        assert "Your function raised NotImplementedError: not this one" in result.message
        assert "in partial, line" in result.message

    @pytest.mark.parametrize("eid, fn, words", wrong, ids=[f"{w[0]}-{w[2]}" for w in wrong])
    def test_wrong_solution_gets_smallest_case_and_hint(eid, fn, words):
        result = evaluate(eid, fn)
        first, passing = first_failing(eid, fn)
        assert first is not None, "this wrong solution passes every case: the cases do not catch it"
        assert not result.passed and result.n_passed == passing
        assert f"Smallest failing case: case {first} of {N_CASES} " in result.failure
        ex = get_exercise(eid)
        for name, value in zip(ex.params, ex.all_cases()[first - 1].args):       # the input is shown
            shown = f"{name} (shape {value.shape}) =" if isinstance(value, np.ndarray) else f"{name}={value!r}"
            assert shown in result.failure
        assert words in " ".join(result.hint.split()), result.message
        assert result.message.endswith(result.hint.split()[-1])                   # the hint closes the report
        assert all(len(line) <= 80 for line in result.message.splitlines()), result.message
        assert result.message[1:].isascii()

    @pytest.mark.parametrize("eid", ids)
    def test_every_mistake_is_caught_by_a_visible_case(eid):
        """The cases the exercise shows already tell each wrong solution apart from a right one."""
        visible = [c for c in get_exercise(eid).all_cases() if c.visible]
        for ex_id, fn, words in wrong:
            if ex_id == eid:
                assert any(not right(fn, c) for c in visible), words

    return {name: f for name, f in locals().items() if name.startswith("test_")}
