"""The exercise checker: right solutions pass, stubs and common mistakes fail with the
smallest failing case and a fitting hint, and nothing the learner's code does escapes."""

import dataclasses
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from exercise_suite import exercise_tests

from poolkit.course import checks
from poolkit.course.checks import EXERCISES, check, evaluate, get_exercise, list_exercises

IDS = ["pool2d_min", "output_size", "pool2d_stride", "pool_cost", "softmax_pool",
       "max_pool_pad", "ceil_output_size", "pool_nchw", "same_padding"]
N_CH1 = 5                                       # function exercises of chapter 1
PREDICTIONS = {"relu_max_layers": (1, (3, 2, 4)), "padded_cost": (2, (128, 84))}   # id: chapter, answer


# ---------------------------------------------------------------- solutions, as a learner writes them
def pool2d_max(X, pool_size):
    p_h, p_w = pool_size
    Y = np.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = X[i: i + p_h, j: j + p_w].max()
    return Y


def pool2d_min(X, pool_size):
    return -pool2d_max(-X, pool_size)


def output_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def pool2d_stride(X, pool_size, stride, mode="max"):
    (p_h, p_w), (s_h, s_w) = pool_size, stride
    Y = np.zeros(((X.shape[0] - p_h) // s_h + 1, (X.shape[1] - p_w) // s_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i * s_h: i * s_h + p_h, j * s_w: j * s_w + p_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


def pool_cost(c, h, w, p_h, p_w, s_h, s_w):
    h_out, w_out = (h - p_h) // s_h + 1, (w - p_w) // s_w + 1
    return c * h_out * w_out * (p_h * p_w - 1)


def softmax_pool(X, pool_size, t):
    p_h, p_w = pool_size
    Y = np.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i: i + p_h, j: j + p_w]
            weights = np.exp(window / t)
            Y[i, j] = (weights * window).sum() / weights.sum()
    return Y


def max_pool_pad(X, k, s, p, fill=-np.inf):
    H, W = X.shape
    padded = np.full((H + 2 * p, W + 2 * p), fill)
    padded[p: p + H, p: p + W] = X
    return pool2d_stride(padded, (k, k), (s, s))


def ceil_output_size(n, k, s, p):
    out = -(-(n + 2 * p - k) // s) + 1
    if (out - 1) * s >= n + p:  # the last window would start in the right padding
        out -= 1
    return out


def pool_nchw(X, k, s):
    N, C, H, W = X.shape
    Y = np.zeros((N, C, (H - k) // s + 1, (W - k) // s + 1))
    for n in range(N):
        for c in range(C):
            Y[n, c] = pool2d_stride(X[n, c], (k, k), (s, s))
    return Y


def same_padding(n, k, s):
    out = -(-n // s)
    need = max(0, (out - 1) * s + k - n)
    return need // 2, need - need // 2


SOLUTIONS = {f.__name__: f for f in (pool2d_min, output_size, pool2d_stride, pool_cost, softmax_pool, max_pool_pad,
                                       ceil_output_size, pool_nchw, same_padding)}


# ---------------------------------------------------------------- plausible wrong solutions
def min_off_by_one(X, pool_size):
    p_h, p_w = pool_size
    Y = np.zeros((X.shape[0] - p_h, X.shape[1] - p_w))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = -(-X[i: i + p_h, j: j + p_w]).max()
    return Y


def min_int_dtype(X, pool_size):
    Y = np.zeros_like(pool2d_min(X, pool_size), dtype=int)
    Y[...] = pool2d_min(X, pool_size)
    return Y


def stride_ignored(X, pool_size, stride, mode="max"):
    return pool2d_stride(X, pool_size, (1, 1), mode)


def stride_not_moved(X, pool_size, stride, mode="max"):
    (p_h, p_w), (s_h, s_w) = pool_size, stride
    Y = np.zeros(((X.shape[0] - p_h) // s_h + 1, (X.shape[1] - p_w) // s_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i: i + p_h, j: j + p_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


def stride_sum(X, pool_size, stride, mode="max"):
    Y = pool2d_stride(X, pool_size, stride, mode)
    return Y * (pool_size[0] * pool_size[1]) if mode == "avg" else Y


def stride_no_default(X, pool_size, stride, mode):
    return pool2d_stride(X, pool_size, stride, mode)


def pad_one_side(X, k, s, p):
    H, W = X.shape
    padded = np.full((H + p, W + p), -np.inf)
    padded[p:, p:] = X
    return pool2d_stride(padded, (k, k), (s, s))


def pad_short_output(X, k, s, p):
    return max_pool_pad(X, k, s, p)[:-1, :-1]


def ceil_no_left_pad(n, k, s, p):
    out = -(-(n + 2 * p - k) // s) + 1
    return out - 1 if (out - 1) * s >= n else out


def nchw_as_nhwc(X, k, s):
    N, H, W, C = X.shape
    Y = np.zeros((N, (H - k) // s + 1, (W - k) // s + 1, C))
    for n in range(N):
        for c in range(C):
            Y[n, :, :, c] = pool2d_stride(X[n, :, :, c], (k, k), (s, s))
    return Y


def nchw_as_cnhw(X, k, s):
    return pool_nchw(X, k, s).transpose(1, 0, 2, 3)


def same_split(n, k, s, extra_first=False, clamp=True):
    out = -(-n // s)
    need = (out - 1) * s + k - n
    need = max(0, need) if clamp else need
    return (need - need // 2, need // 2) if extra_first else (need // 2, need - need // 2)


WRONG = [
    # (exercise, wrong solution, words the hint must contain)
    ("pool2d_min", pool2d_max, "largest element"),
    ("pool2d_min", lambda X, ps: -pool2d_max(X, ps), "wrong sign"),
    ("pool2d_min", lambda X, ps: pool2d_max(-X, ps), "wrong sign"),
    ("pool2d_min", min_off_by_one, "one element too short"),
    ("pool2d_min", lambda X, ps: pool2d_min(X, ps[::-1]), "wrong shape"),
    ("pool2d_min", lambda X, ps: pool2d_min(X.T, ps[::-1]), "transpose"),
    ("pool2d_min", min_int_dtype, "dtype"),
    ("pool2d_min", lambda X, ps: pool2d_min(X, ps).tolist(), "numpy array"),
    ("output_size", lambda n, k, s, p: (n + 2 * p - k) // s, "one too small"),
    ("output_size", lambda n, k, s, p: (n + p - k) // s + 1, "both sides"),
    ("output_size", lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1, "rounds up"),
    ("output_size", lambda n, k, s, p: n + 2 * p - k + 1, "ignores the stride"),
    ("output_size", lambda n, k, s, p: (n - k) // s + 1, "ignores the padding"),
    ("output_size", lambda n, k, s, p: (n + 2 * p - k) / s + 1, "integers"),
    ("pool2d_stride", stride_ignored, "stride-1"),
    ("pool2d_stride", stride_not_moved, "do not move"),
    ("pool2d_stride", lambda X, ps, st, mode="max": pool2d_stride(X, ps, st[::-1], mode), "wrong amounts"),
    ("pool2d_stride", stride_sum, "window size"),
    ("pool2d_stride", lambda X, ps, st, mode="max": pool2d_stride(X, ps, st), "other mode"),
    ("pool2d_stride", stride_no_default, "called as pool2d_stride(X, pool_size, stride"),
    ("pool_cost", lambda c, h, w, p_h, p_w, s_h, s_w: c * ((h - p_h) // s_h + 1) * ((w - p_w) // s_w + 1)
     * p_h * p_w, "largest of 2 numbers"),
    ("pool_cost", lambda c, h, w, p_h, p_w, s_h, s_w: pool_cost(1, h, w, p_h, p_w, s_h, s_w), "channels"),
    ("pool_cost", lambda c, h, w, p_h, p_w, s_h, s_w: pool_cost(c, h, w, p_h, p_w, 1, 1), "stride-1"),
    ("pool_cost", lambda c, h, w, p_h, p_w, s_h, s_w: c * h * w * (p_h * p_w - 1), "per output element"),
    ("pool_cost", lambda c, h, w, p_h, p_w, s_h, s_w: c * ((h - p_h) // s_h) * ((w - p_w) // s_w)
     * (p_h * p_w - 1), "off by one"),
    ("softmax_pool", lambda X, ps, t: softmax_pool(X, ps, 1 / t), "divide the window by the temperature"),
    ("softmax_pool", lambda X, ps, t: softmax_pool(X, ps, 1.0), "ignores the temperature"),
    ("softmax_pool", lambda X, ps, t: pool2d_max(X, ps), "plain maximum"),
    ("softmax_pool", lambda X, ps, t: softmax_pool(X, ps, t).astype(int), "dtype"),
    ("max_pool_pad", lambda X, k, s, p: max_pool_pad(X, k, s, p, fill=0.0), "padding with zeros"),
    ("max_pool_pad", lambda X, k, s, p: max_pool_pad(X, k, s, 0), "without padding"),
    ("max_pool_pad", lambda X, k, s, p: max_pool_pad(X, k, 1, p), "ignores the stride"),
    ("max_pool_pad", pad_one_side, "top and the left"),
    ("max_pool_pad", pad_short_output, "one element too short"),
    ("ceil_output_size", output_size, "floor-mode"),
    ("ceil_output_size", lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1, "start in the right padding"),
    ("ceil_output_size", ceil_no_left_pad, "shifted by the left padding"),
    ("pool_nchw", nchw_as_nhwc, "wrong axes"),
    ("pool_nchw", nchw_as_cnhw, "batch and channel axes are swapped"),
    ("pool_nchw", lambda X, k, s: pool_nchw(X, k, s).swapaxes(2, 3), "transpose"),
    ("pool_nchw", lambda X, k, s: pool_nchw(X, k, 1), "ignores the stride"),
    ("same_padding", lambda n, k, s: same_split(n, k, s, extra_first=True), "extra element"),
    ("same_padding", lambda n, k, s: same_split(n, k, s, clamp=False), "never negative"),
    ("same_padding", lambda n, k, s: (same_split(n, k, s)[0],) * 2, "add up"),
    ("same_padding", lambda n, k, s: ((k - 1) // 2, k - 1 - (k - 1) // 2), "stride 1"),
]


def agrees(got, want) -> bool:
    """The test's own oracle comparison (independent of the checker's)."""
    if isinstance(want, np.ndarray):
        return (isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind == want.dtype.kind
                and np.allclose(got, want, rtol=1e-9, atol=0))
    if isinstance(want, tuple):
        return isinstance(got, tuple) and got == want
    return isinstance(got, int) and got == want


# ---------------------------------------------------------------- the registry
def test_registry_holds_the_chapters_exercises():
    ch12 = IDS[:N_CH1] + ["relu_max_layers"] + IDS[N_CH1:] + ["padded_cost"]
    assert list_exercises()[:len(ch12)] == ch12        # later chapters register theirs after these
    assert list_exercises(chapter=1) == IDS[:N_CH1] + ["relu_max_layers"]
    assert list_exercises(chapter=2) == IDS[N_CH1:] + ["padded_cost"]
    for eid in IDS:
        ex = EXERCISES[eid]
        assert isinstance(ex, checks.Exercise)
        assert ex.id == eid and ex.name == eid and ex.title and ex.signature.startswith(eid + "(")
        cases = ex.all_cases()
        assert 20 <= ex.n_hidden <= 40 and len(cases) == len(ex.cases) + ex.n_hidden
        assert [c.number for c in cases] == list(range(1, len(cases) + 1))
        assert sum(c.visible for c in cases) == len(ex.cases)


def test_unknown_exercise_id_lists_the_valid_ones():
    with pytest.raises(ValueError, match="Did you mean 'pool2d_min'.*Valid ids: pool2d_min, output_size"):
        check("pool2d_mn", pool2d_min)
    with pytest.raises(ValueError, match="Valid ids"):
        evaluate(None, pool2d_min)


def test_register_refuses_a_duplicate_id():
    with pytest.raises(ValueError, match="already registered"):
        checks.register(EXERCISES["pool_cost"])


@pytest.mark.parametrize("eid", IDS)
def test_cases_are_ordered_by_size(eid):
    def size(args):
        arrays = sum(a.size for a in args if isinstance(a, np.ndarray))
        ints = sum(abs(v) for a in args for v in (a if isinstance(a, tuple) else (a,)) if isinstance(v, int))
        return arrays, ints

    sizes = [size(c.args) for c in get_exercise(eid).all_cases()]
    assert sizes == sorted(sizes)


# ---------------------------------------------------------------- right, stub, wrong: the tests every chapter gets
globals().update(exercise_tests(IDS, SOLUTIONS, WRONG, agrees, chapters=(1, 2)))


def test_the_chapters_exercises_are_registered_in_order():
    """The suite's test, for the function exercises: each chapter also registers a Prediction."""
    functions = [e for c in (1, 2) for e in list_exercises(chapter=c)
                 if isinstance(get_exercise(e), checks.Exercise)]
    assert functions == IDS
    for eid in IDS:
        cases = get_exercise(eid).all_cases()
        assert len(cases) == 40 and sum(c.visible for c in cases) == 4


def test_softmax_pooling_tends_to_max_and_to_average():
    X = np.arange(12.0).reshape(3, 4) % 5 - 2
    reference = get_exercise("softmax_pool").reference
    assert np.allclose(reference(X, (2, 2), 1e-3), pool2d_max(X, (2, 2)), rtol=0, atol=1e-12)
    mean = np.array([[X[i:i + 2, j:j + 2].mean() for j in range(3)] for i in range(2)])
    assert np.allclose(reference(X, (2, 2), 1e6), mean, rtol=0, atol=1e-5)
    assert np.isfinite(reference(X * 1e3, (2, 2), 1e-3)).all()      # no overflow at a small t


@pytest.mark.parametrize("eid", sorted(PREDICTIONS))
def test_predictions(eid):
    chapter, answer = PREDICTIONS[eid]
    ex = get_exercise(eid)
    assert isinstance(ex, checks.Prediction) and ex.chapter == chapter and ex.answer == answer
    assert evaluate(eid, ...).message.startswith(f"\U0001f4dd {eid}: not written yet. Replace ... in `{ex.name} = ...`")
    right = evaluate(eid, answer)
    assert right.passed and right.message.startswith(f"\u2705 {eid}: your prediction is right.")
    wrong = evaluate(eid, tuple(v + 1 for v in answer))
    assert not wrong.passed and wrong.hint == ex.hint and "Hint:" in wrong.message
    assert str(answer) not in wrong.message and all(len(line) <= 80 for line in wrong.message.splitlines())
    assert "write a tuple" in evaluate(eid, 3).message


def test_shapes_are_shown_first_when_they_differ():
    text = evaluate("pool2d_min", min_off_by_one).message
    assert text.index("Shapes differ: expected") < text.index("expected:") < text.index("got:")


def test_hints_do_not_give_the_answer_away():
    def plain(text):
        return "".join(text.split()).replace("*", "").lower()

    assert any(ex.spoilers for ex in EXERCISES.values())
    for ex in EXERCISES.values():
        if isinstance(ex, checks.Prediction):
            # the answer as a whole token: a hint may say "channel 1" when the answer is 1
            token = re.escape(plain(str(ex.answer)))
            assert not re.search(rf"(?<![\w.]){token}(?![\w.])", plain(ex.hint)), ex.id
            continue
        hints = [ex.hint] + [m.hint for m in ex.mistakes]
        if ex.returns == "array":
            hints += [checks.WRONG_DTYPE.hint, checks.WRONG_KIND.hint] + [m.hint for m in checks.ARRAY_MISTAKES]
        for hint in hints:
            for spoiler in ex.spoilers:
                assert plain(spoiler) not in plain(hint), (ex.id, hint)


# ---------------------------------------------------------------- nothing escapes
def recursive(X, pool_size):
    return recursive(X, pool_size)


@pytest.mark.parametrize("fn, words", [
    (lambda X, ps: X[X.shape[0]], "raised IndexError: index"),
    (lambda X, ps: 1 / 0, "raised ZeroDivisionError: division by zero"),
    (recursive, "raised RecursionError"),
    (lambda X: X, "raised TypeError"),
    (lambda X, ps: None, "returned None"),
    (lambda X, ps: "max", "returned the str 'max', not a numpy array"),
    (lambda X, ps: {"Y": 1}, "returned a dict, not a numpy array"),
    (lambda X, ps: np.float64(1.5), "returned the float64 1.5, not a numpy array"),
    (lambda X, ps: np.array([None] * 3), "Shapes differ"),
    (lambda X, ps: np.zeros((1, 1), dtype=object), "dtype"),
    (lambda X, ps: pool2d_min(X, ps).astype(np.float32) + 0.25, "expected:"),
])
def test_nothing_escapes(fn, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = evaluate("pool2d_min", fn)
    assert not result.passed and words in result.message
    assert "Traceback" not in result.message


def test_not_a_function():
    text = " ".join(evaluate("pool2d_min", pool2d_min(np.ones((2, 2)), (1, 1))).message.split())
    assert "needs your function itself, but got a numpy array of shape (2, 2)" in text
    assert "check('pool2d_min', pool2d_min)" in text
    assert evaluate("output_size", 3).n_passed == 0


def test_wrong_return_types_of_size_exercises():
    assert "returned the float 2.5" in evaluate("output_size", lambda n, k, s, p: 2.5).message
    assert "returned the bool True" in evaluate("output_size", lambda n, k, s, p: True).message
    assert evaluate("output_size", lambda n, k, s, p: np.int64(output_size(n, k, s, p))).passed
    assert "pair of ints" in evaluate("same_padding", lambda n, k, s: 1).message
    assert "pair of ints" in evaluate("same_padding", lambda n, k, s: (0.0, 1.0)).message
    assert evaluate("same_padding", lambda n, k, s: list(same_padding(n, k, s))).passed
    assert evaluate("same_padding", lambda n, k, s: np.array(same_padding(n, k, s))).passed


def test_prints_warnings_and_input_changes_are_contained(capsys):
    def chatty(X, pool_size):
        print("window", pool_size)
        warnings.warn("careful", stacklevel=2)
        np.mean(np.zeros(0))
        return pool2d_min(X, pool_size)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check("pool2d_min", chatty)
    assert capsys.readouterr().out.startswith("\u2705 pool2d_min: passed all 40")

    def chatty_wrong(X, pool_size):
        for i in range(8):
            print("step", i)
        return pool2d_max(X, pool_size)

    text = evaluate("pool2d_min", chatty_wrong).message
    assert "Your function printed:\n    step 0\n" in text and "(3 more lines)" in text

    def in_place(X, pool_size):
        X *= -1
        return -pool2d_max(X, pool_size)

    result = evaluate("pool2d_min", in_place)
    assert not result.passed and "changed its input X in place" in result.message
    assert "copy" in result.hint


def test_evaluate_counts():
    def square_only(X, pool_size):  # right when the window is square, else transposed windows
        return pool2d_min(X, pool_size[::-1])

    cases = get_exercise("pool2d_min").all_cases()
    result = evaluate("pool2d_min", square_only)
    right = sum(c.args[1][0] == c.args[1][1] for c in cases)
    assert 0 < right < 40
    assert (result.n_passed, result.n_cases, result.passed) == (right, 40, False)
    assert result.message.startswith(f"\u274c pool2d_min: failed {40 - right} of 40 cases.")
    assert result.failure in result.message and str(result) == result.message


# ---------------------------------------------------------------- determinism
SCRIPT = """
import numpy as np
from poolkit.course.checks import EXERCISES, evaluate
def off(ex):
    def wrong(*args):
        want = ex.reference(*args)
        if isinstance(want, np.ndarray):
            return want + 0.5
        return want + 1 if isinstance(want, int) else want[::-1]
    return wrong
for eid in IDS:
    print(evaluate(eid, off(EXERCISES[eid])).message)
"""


def test_reports_are_deterministic_across_processes():
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-c", f"IDS = {IDS!r}\n" + SCRIPT],
                             capture_output=True, text=True, env=env,
                             timeout=120)
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\u274c") == len(IDS) and "hidden case" in outputs[0]


def test_cases_are_regenerated_identically():
    ex = get_exercise("max_pool_pad")
    again = checks.Exercise(**{f.name: getattr(ex, f.name) for f in dataclasses.fields(ex)})  # no cache
    for a, b in zip(ex.all_cases(), again.all_cases()):
        assert a.number == b.number and all(np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
                                            for x, y in zip(a.args, b.args))


def test_a_function_that_uses_what_its_exercise_forbids_does_not_pass(monkeypatch):
    """In a notebook, the check reads the cells the kernel ran: poolkit's own output_size
    gives every right answer, and still does not pass an exercise that says "Do not call
    poolkit"; the learner's own formula does."""
    cells = ["import poolkit", "def output_size(n, k, s, p):\n    return poolkit.output_size(n, k, s, p)"]
    monkeypatch.setattr(checks, "_cells_run", lambda: cells)
    import poolkit

    def output_size(n, k, s, p):
        return poolkit.output_size(n, k, s, p)

    result = evaluate("output_size", output_size)
    assert not result.passed
    said = " ".join(result.message.split())
    assert "gives the right answers, but it uses import poolkit" in said and "without poolkit" in said
    cells.append("def output_size(n, k, s, p):\n    return (n + 2 * p - k) // s + 1")
    assert evaluate("output_size", lambda n, k, s, p: (n + 2 * p - k) // s + 1).passed


def test_every_exercise_that_says_do_not_call_a_package_declares_it():
    """An exercise whose statement forbids a package names it in ``without`` (so the check and the
    grader enforce it), and names only packages that are real modules."""
    import importlib.util
    for eid in list_exercises():
        for package in getattr(get_exercise(eid), "without", ()):
            assert importlib.util.find_spec(package) is not None, (eid, package)
    assert {e for e in list_exercises() if getattr(get_exercise(e), "without", ())} >= {
        "output_size", "max_pool_pad", "im2col_max_pool", "max_pool_backward", "avg_pool_backward", "masked_max"}
