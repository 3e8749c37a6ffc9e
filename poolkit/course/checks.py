"""Exercise checks: grade a learner's function against poolkit, on the spot.

A chapter's check cell calls::

    from poolkit.course import check
    check("pool2d_min", pool2d_min)

which runs ``pool2d_min`` on the exercise's own cases and on hidden random ones,
compares every answer with poolkit's, and prints one report: a pass, or the
**smallest** failing input (cases are tried from smallest to largest) with the
expected and the actual answer and a hint that points at the mistake without
giving the answer away. Nothing the learner's function does (raise, print, warn,
return the wrong type, change its input) escapes as a traceback, and the report
is the same on every run: the hidden cases come from a fixed seed per exercise.

Instructors grade with :func:`evaluate`, which returns a :class:`CheckResult`
instead of printing, and list what can be graded with :func:`list_exercises`.

A stub that still raises NotImplementedError on every case (or ``...`` passed in
place of the function) gets a short "not written yet" report, never a pass.

Thinking exercises are :class:`Prediction` s: the learner writes a predicted value
(``predicted_shape = (1, 3, 4, 4)``) before running any code, and
``check("id", predicted_shape)`` says right or wrong with a hint, never the answer.

The exercises themselves are declared in :mod:`poolkit.course.exercises`, one module per
chapter (imported on the first lookup: :func:`registry`), each an :class:`Exercise` with a
few :class:`Mistake` s::

    register(Exercise(
        id="output_size", title="...", chapter=1, signature="output_size(n, k, s, p)",
        reference=lambda n, k, s, p: output_size(n, k, s, p),
        cases=[(25, 2, 2, 0), ...],                   # shown in the exercise
        random_case=lambda rng: (...),                 # one hidden case, from rng
        returns="int",
        mistakes=[Mistake("hint...", like=lambda n, k, s, p: ...)],
        hint="what to try when no known mistake matches"))
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import difflib
import importlib
import io
import numbers
import os
import textwrap
import traceback
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..geometry import is_int as _is_int

__all__ = ["check", "evaluate", "evaluate_runs", "judge", "Outcome", "Raised", "list_exercises", "get_exercise",
           "registry", "register", "Exercise", "Prediction", "Mistake", "Case", "CheckResult", "random_values",
           "random_window", "randint", "ONE_TOO_FEW", "ONE_TOO_MANY"]

_REGISTRY: dict = {}  # exercise id -> Exercise or Prediction; read it through registry()
_LOADED = False

RETURNS = ("array", "int", "int pair")
WIDTH = 72  # longest line of a report


# ---------------------------------------------------------------- declaring exercises
@dataclass(frozen=True)
class Mistake:
    """A common wrong answer and the hint it earns.

    Give either ``like``, a function with the exercise's signature that makes the
    mistake (the learner's answer matches if it equals what ``like`` returns on the
    same input), or ``when(args, expected, got)``, a predicate on the learner's
    answer, which already has the right type. Hints must not contain the answer.
    """

    hint: str
    like: Callable | None = None
    when: Callable | None = None


@dataclass(frozen=True)
class Case:
    """One input of an exercise: ``args`` (passed positionally), the reference's answer,
    its rank by size (1 = smallest) and whether the exercise shows it."""

    number: int
    args: tuple
    expected: Any
    visible: bool


@dataclass
class Exercise:
    """One checkable exercise.

    Attributes
    ----------
    id, title : str
        ``id`` is what ``check`` is called with; ``title`` is for listings.
    chapter : int
    signature : str
        What the learner implements, e.g. ``"pool2d_min(X, pool_size)"``; reports name
        the arguments after it.
    reference : callable
        The right answer, called like the learner's function.
    cases : sequence of tuples
        The argument tuples the exercise shows.
    random_case : callable ``rng -> tuple``
        Draws one hidden case from a ``numpy.random.Generator``; called ``n_hidden``
        times with a generator seeded from ``id``.
    returns : ``"array"``, ``"int"`` or ``"int pair"``
        The kind of answer. Arrays must be numpy arrays with the reference's shape and
        dtype kind (float/int); ints may be Python or numpy ints; pairs a tuple or list.
    rtol : float or callable ``args -> float``
        0 compares exactly (max, min, sizes); otherwise ``np.allclose`` with this
        relative tolerance (averages).
    mistakes : sequence of :class:`Mistake`
        Of those that explain the smallest failing case, the one that explains the
        most failing cases gives the hint (ties: the first declared). Array exercises
        also get :data:`WRONG_DTYPE` and :data:`WRONG_KIND` before their own and
        :data:`ARRAY_MISTAKES` after.
    hint : str
        The hint when no mistake matches.
    spoilers : sequence of str
        Answer text no hint may contain (the tests check it, ignoring spaces and ``*``).
    without : sequence of str
        Packages the statement says not to call (``("poolkit",)`` for "Do not call
        poolkit"). A function that passes but reaches an import of one of them, read
        from the notebook's code (:func:`poolkit.course.reach.shortcut_uses`), does not
        pass; the grader scores it zero.
    """

    id: str
    title: str
    chapter: int
    signature: str
    reference: Callable
    cases: Sequence[tuple]
    random_case: Callable[[np.random.Generator], tuple]
    n_hidden: int = 36
    returns: str = "array"
    rtol: float | Callable[[tuple], float] = 0.0
    mistakes: Sequence[Mistake] = ()
    hint: str = "Work this case out by hand, step by step, and compare with what your function does."
    spoilers: Sequence[str] = ()
    without: Sequence[str] = ()

    def __post_init__(self):
        if self.returns not in RETURNS:
            raise ValueError(f"Exercise {self.id!r}: returns={self.returns!r} must be one of {RETURNS}")

    @property
    def name(self) -> str:
        """The learner's function name, from the signature."""
        return self.signature.split("(", 1)[0].strip()

    @property
    def params(self) -> list[str]:
        """The argument names, from the signature."""
        inner = self.signature.split("(", 1)[1].rsplit(")", 1)[0]
        return [p.split("=")[0].strip() for p in inner.split(",") if p.strip()]

    @property
    def seed(self) -> int:
        return zlib.crc32(self.id.encode())

    def all_cases(self) -> list[Case]:
        """Visible and hidden cases with the reference's answers, smallest first."""
        return self._cases

    @cached_property
    def _cases(self) -> list[Case]:
        rng = np.random.default_rng(self.seed)
        drawn = [(tuple(a), True) for a in self.cases]
        drawn += [(tuple(self.random_case(rng)), False) for _ in range(self.n_hidden)]
        drawn.sort(key=lambda d: (_size(d[0]), not d[1]))  # stable: ties keep their order
        return [Case(i + 1, args, self.reference(*copy.deepcopy(args)), visible)
                for i, (args, visible) in enumerate(drawn)]

    # ---------------------------------------------------------------- judging one answer
    def wrong_type(self, got) -> tuple[str, str] | None:
        """``(problem, hint)`` if ``got`` is not even the right kind of answer, else None."""
        if got is None:
            return ("Your function returned None.", "Did you forget the return statement?")
        if self.returns == "array":
            if not isinstance(got, np.ndarray):
                return (f"Your function returned {_describe(got)}, not a numpy array.",
                        "Build the result as a numpy array (np.zeros, then fill it in) "
                        "or convert it with np.asarray before returning it.")
        elif self.returns == "int":
            if not _is_int(got):
                return (f"Your function returned {_describe(got)}, not an int.",
                        "A count is a whole number: keep the arithmetic in integers, or convert "
                        "with int(...) once the value is right.")
        elif not (isinstance(got, (tuple, list, np.ndarray)) and len(got) == 2 and all(map(_is_int, got))):
            return (f"Your function returned {_describe(got)}, not a pair of ints.",
                    "Return a tuple of two ints.")
        return None

    def same(self, got, expected, args) -> bool:
        """Is the (well-typed) answer ``got`` right?"""
        if self.returns == "int":
            return int(got) == expected
        if self.returns == "int pair":
            return tuple(int(v) for v in got) == tuple(expected)
        got = np.asarray(got)
        if got.shape != expected.shape or got.dtype.kind != expected.dtype.kind:
            return False
        rtol = self.tolerance(args)
        if rtol:
            return bool(np.allclose(got, expected, rtol=rtol, atol=1e-9, equal_nan=True))
        return bool(np.array_equal(got, expected, equal_nan=expected.dtype.kind == "f"))

    def tolerance(self, args) -> float:
        """The relative tolerance for the case ``args`` (0: exact)."""
        return self.rtol(args) if callable(self.rtol) else self.rtol

    def diagnose(self, wrong_answers) -> str:
        """The hint for wrong answers, given as ``(args, expected, got)`` triples, smallest case first.

        Of the mistakes that explain the first answer, the one that explains the most answers
        wins (ties: the first declared); the generic hint if none explains the first.
        """
        mistakes = list(self.mistakes)
        if self.returns == "array":
            mistakes = [WRONG_DTYPE, WRONG_KIND] + mistakes + ARRAY_MISTAKES
        best, best_score = self.hint, 0
        for m in mistakes:
            if self._makes(m, *wrong_answers[0]):
                score = sum(self._makes(m, *w) for w in wrong_answers)
                if score > best_score:
                    best, best_score = m.hint, score
        return best

    def _makes(self, mistake: Mistake, args, expected, got) -> bool:
        """Does the answer ``got`` to ``args`` look like ``mistake``?"""
        try:
            if mistake.when is not None:
                return bool(mistake.when(args, expected, got))
            with _quiet():
                wrong = mistake.like(*copy.deepcopy(args))
            return self.wrong_type(wrong) is None and self.same(got, wrong, args)
        except Exception:  # a mistake that cannot happen on this input
            return False


@dataclass
class Prediction:
    """A thinking exercise: the learner predicts a value before running any code.

    The learner writes ``name = <their prediction>`` in place of ``name = ...`` and
    runs ``check(id, name)``. The check says right or wrong (with ``hint``), never the
    answer.

    Attributes
    ----------
    id, title : str
    chapter : int
    name : str
        The variable the learner assigns, e.g. ``"predicted_shape"``.
    answer : number, tuple of numbers, bool or str
        The right prediction.
    rtol, atol : float
        Tolerances for numbers (and each number of a tuple): a prediction ``v`` of
        ``a`` is right when ``|v - a| <= atol + rtol * |a|``.
    choices : sequence of str
        For a multiple choice: the options; ``answer`` is one of them. Strings are
        compared ignoring case and spaces.
    hint : str
        What to think about after a wrong prediction.
    explanation : str
        Shown after a right prediction (optional).
    """

    id: str
    title: str
    chapter: int
    name: str
    answer: Any
    rtol: float = 0.0
    atol: float = 0.0
    choices: Sequence[str] = ()
    hint: str = "Work it out on paper, step by step, then predict again."
    explanation: str = ""

    def __post_init__(self):
        if self.choices and _normal(self.answer) not in {_normal(c) for c in self.choices}:
            raise ValueError(f"Prediction {self.id!r}: answer={self.answer!r} must be one of choices={self.choices!r}")

    @property
    def signature(self) -> str:
        """What the learner writes, for reports and graders: ``name = ...``."""
        return f"{self.name} = ..."

    def all_cases(self) -> list[Case]:
        """One case, the prediction itself (graders count cases)."""
        return [Case(1, (), self.answer, True)]

    def problem(self, value) -> str | None:
        """Why ``value`` cannot be compared with the answer (wrong kind, not one of the choices), or None."""
        if isinstance(self.answer, str):
            if not isinstance(value, str):
                return f"Your prediction is {_describe(value)}; write it as a string, in quotes."
            if self.choices and _normal(value) not in {_normal(c) for c in self.choices}:
                return (f"Your prediction {value!r} is not one of the choices: "
                        + ", ".join(repr(c) for c in self.choices) + ".")
            return None
        if isinstance(self.answer, (bool, np.bool_)):
            return None if isinstance(value, (bool, np.bool_)) else \
                f"Your prediction is {_describe(value)}; write True or False."
        if isinstance(self.answer, tuple):
            if not (isinstance(value, (tuple, list)) and all(_is_number(v) for v in value)):
                return f"Your prediction is {_describe(value)}; write a tuple of numbers, like (2, 3)."
            if len(value) != len(self.answer):
                return (f"Your prediction has {len(value)} numbers; the question asks for "
                        f"{len(self.answer)}.")
            return None
        return None if _is_number(value) else f"Your prediction is {_describe(value)}; write a number."

    def right(self, value) -> bool:
        """Is the (well-typed) prediction ``value`` right?"""
        if isinstance(self.answer, str):
            return _normal(value) == _normal(self.answer)
        if isinstance(self.answer, (bool, np.bool_)):
            return bool(value) == bool(self.answer)
        pairs = zip(value, self.answer) if isinstance(self.answer, tuple) else [(value, self.answer)]
        return all(abs(float(v) - float(a)) <= self.atol + self.rtol * abs(float(a)) for v, a in pairs)


def _normal(text) -> str:
    return "".join(str(text).split()).lower()


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def register(exercise):
    """Add ``exercise`` (an :class:`Exercise` or a :class:`Prediction`) to the registry
    (ids are unique) and return it. The modules of :mod:`poolkit.course.exercises` call it."""
    if exercise.id in _REGISTRY:
        raise ValueError(f"exercise id {exercise.id!r} is already registered")
    _REGISTRY[exercise.id] = exercise
    return exercise


def registry() -> dict:
    """The registry, exercise id -> :class:`Exercise` or :class:`Prediction`.

    The chapters' exercise modules (:mod:`poolkit.course.exercises`) are imported on the
    first call, not when this module is: they compute their visible cases, and they import
    this module for :func:`register`. Every lookup goes through here."""
    global _LOADED
    if not _LOADED:
        importlib.import_module(f"{__package__}.exercises")  # each module register()s its exercises
        _LOADED = True
    return _REGISTRY


def __getattr__(name: str):
    """``EXERCISES``: the registry, loaded as by :func:`registry`."""
    if name == "EXERCISES":
        return registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_exercise(exercise_id: str):
    """The registered exercise, or a ValueError listing the valid ids."""
    known = registry()
    try:
        return known[exercise_id]
    except (KeyError, TypeError):
        pass
    close = difflib.get_close_matches(str(exercise_id), list(known), n=1)
    maybe = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown exercise id {exercise_id!r}.{maybe} Valid ids: {', '.join(list_exercises())}")


def list_exercises(chapter: int | None = None) -> list[str]:
    """Registered exercise ids in chapter order (only ``chapter``'s if given)."""
    return [e.id for e in sorted(registry().values(), key=lambda e: e.chapter)
            if chapter is None or e.chapter == chapter]


# ---------------------------------------------------------------- helpers for declarations
def randint(rng: np.random.Generator, low: int, high: int) -> int:
    """A Python int in ``[low, high]`` (both ends included)."""
    return int(rng.integers(low, high + 1))


def random_window(rng: np.random.Generator, max_k: int, max_size: int = 6):
    """``(k, p, h, w)``: a square ``k x k`` window (``k <= max_k``), padding ``p <= k // 2``
    and an ``h x w`` plane (sides up to ``max_size``) that the padded window fits into."""
    k = randint(rng, 1, max_k)
    p = randint(rng, 0, k // 2)
    while True:
        h, w = randint(rng, 1, max_size), randint(rng, 1, max_size)
        if min(h, w) + 2 * p >= k:
            return k, p, h, w


def random_values(rng: np.random.Generator, shape, negative: bool = False) -> np.ndarray:
    """Float64 array of ``shape`` with multiples of 0.5 in [-9.5, 9.5] (in [-9.5, -0.5] if
    ``negative``): exact in any float type and short to print."""
    return rng.integers(-19, 0 if negative else 20, size=shape) / 2


def _longer_by(expected, got, d) -> bool:
    """Some axes of ``got`` are ``d`` elements longer than ``expected``'s, the others equal."""
    offsets = {g - e for g, e in zip(got.shape, expected.shape)}
    return got.ndim == expected.ndim and offsets in ({d}, {d, 0})


WRONG_DTYPE = Mistake(
    "Your result has the wrong dtype. An array of ints truncates every float stored "
    "in it: create the output with a floating-point dtype (np.zeros gives float64).",
    when=lambda args, expected, got: got.dtype.kind in "iub" and expected.dtype.kind == "f")

WRONG_KIND = Mistake(
    "Your result has the wrong kind of dtype: compare the dtype of your array with "
    "the one the exercise asks for (integer positions, floating-point values).",
    when=lambda args, expected, got: got.dtype.kind != expected.dtype.kind)

ARRAY_MISTAKES = [
    Mistake("Your result is the transpose of the expected one: rows of the output go with "
            "rows (H) of the input, columns with columns (W).",
            when=lambda a, e, g: e.ndim >= 2 and np.array_equal(g, np.swapaxes(e, -1, -2))),
    Mistake("Your result has the right number of elements but its axes are in another order "
            "(compare the shapes): check which axis is which.",
            when=lambda a, e, g: g.shape != e.shape and sorted(g.shape) == sorted(e.shape)),
    Mistake("Your output is one element too short along at least one axis (compare the "
            "shapes). Count the window positions again, the first and the last included.",
            when=lambda a, e, g: _longer_by(e, g, -1)),
    Mistake("Your output is one element too long along at least one axis (compare the "
            "shapes). A window that does not fit entirely must not be counted.",
            when=lambda a, e, g: _longer_by(e, g, 1)),
]
"""Mistakes any array exercise can make, tried after the exercise's own."""

ONE_TOO_FEW = Mistake(
    "Your answer is one too small. Count the windows on a tiny example by hand: did you "
    "count the first window?", when=lambda a, e, g: int(g) == e - 1)
ONE_TOO_MANY = Mistake(
    "Your answer is one too large. Draw the last window you count: does it fit?",
    when=lambda a, e, g: int(g) == e + 1)


# ---------------------------------------------------------------- running the learner's code
@dataclass
class CheckResult:
    """The outcome of :func:`evaluate`.

    ``failure`` describes the smallest failing case (input, expected, got or the
    exception) and ``hint`` the hint for it; both are None when ``passed``.
    ``message`` is the full report that :func:`check` prints.
    """

    exercise: str
    passed: bool
    n_passed: int
    n_cases: int
    failure: str | None
    hint: str | None
    message: str

    def __str__(self):
        return self.message


@contextlib.contextmanager
def _quiet():
    """Silence warnings and numpy floating-point complaints (they would land in stored outputs)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


@dataclass(frozen=True)
class Raised:
    """An exception the learner's function raised, as data.

    ``type``: its class's name; ``builtin``: the nearest built-in class it derives from
    (what :meth:`is_a` asks about); ``message``: ``str()`` of it; ``frames``: the frames it
    went through below the call, outermost first, as ``(file, line number, function, line
    of code)``. :meth:`of` describes an exception raised here; the grader builds one from
    the description the notebook's kernel sends (:mod:`poolkit.course.remote`)."""

    type: str
    builtin: str
    message: str
    frames: tuple[tuple[str, int, str, str], ...] = ()

    @classmethod
    def of(cls, err: BaseException) -> Raised:
        """``err``, caught in the function that made the call (its own frame is left out)."""
        builtin = next(c.__name__ for c in type(err).__mro__ if c.__module__ == "builtins")
        try:
            message = str(err)
        except Exception:  # an exception that cannot say what it is
            message = ""
        frames = tuple((f.filename, f.lineno or 1, f.name, f.line or "")
                       for f in traceback.extract_tb(err.__traceback__)[1:])
        return cls(type(err).__name__, builtin, message, frames)

    def is_a(self, kind: type) -> bool:
        """Is it an instance of the built-in exception class ``kind``?"""
        base = getattr(builtins, self.builtin, None)
        return isinstance(base, type) and issubclass(base, kind)


@dataclass(frozen=True)
class Outcome:
    """What one call of the learner's function did: what :func:`judge` judges.

    ``value``: what it returned (None when it raised); ``error``: what it raised, or None;
    ``printed``: the first lines it printed (at least five, stripped of blank lines at both
    ends) and ``n_printed`` how many lines there were; ``changed``: the positions of the
    array arguments it changed in place. :meth:`of_call` calls a function here; the grader
    builds outcomes from the replies of the notebook's kernel."""

    value: Any = None
    error: Raised | None = None
    printed: tuple[str, ...] = ()
    n_printed: int = 0
    changed: tuple[int, ...] = ()

    @classmethod
    def of_call(cls, fn, args: tuple) -> Outcome:
        """Run ``fn(*args)`` here, on copies of ``args``, warnings silenced and stdout captured."""
        mine = copy.deepcopy(args)
        printed = io.StringIO()
        try:
            with _quiet(), contextlib.redirect_stdout(printed):
                value, error = fn(*mine), None
        except Exception as err:  # anything the learner's code raises is reported, not re-raised
            value, error = None, Raised.of(err)
        changed = tuple(i for i, (a, b) in enumerate(zip(args, mine))
                        if isinstance(a, np.ndarray) and not (isinstance(b, np.ndarray) and a.shape == b.shape
                                                              and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
        lines = printed.getvalue().strip().splitlines()
        return cls(value, error, tuple(lines[:PRINTED_SHOWN]), len(lines), changed)


PRINTED_SHOWN = 5  # printed lines a report shows


def judge(ex: Exercise, case: Case, outcome: Outcome):
    """None if ``outcome`` (of a call on ``case.args``) is right, else ``(lines describing the
    failure, hint, wrong)``: ``wrong`` is the wrong answer for :meth:`Exercise.diagnose` (and
    ``hint`` None), or None."""
    got, error, wrong = outcome.value, outcome.error, None
    if error is not None:
        lines = [_wrap(f"Your function raised {error.type}: {_short(error.message, 200)}", "  ")]
        where = _where(error)
        if where:
            lines.append(f"  {where}")
        if error.is_a(NotImplementedError):
            hint = "Replace the line that raises NotImplementedError with your solution."
        elif error.is_a(TypeError) and "argument" in error.message:
            hint = f"Check your function's arguments: it is called as {ex.signature}."
        else:
            hint = ex.hint
    elif (bad := ex.wrong_type(got)) is not None:
        lines, hint = [_wrap(bad[0])], bad[1]
    elif not ex.same(got, case.expected, case.args):
        lines, hint, wrong = _mismatch(ex, case, got), None, (case.args, case.expected, got)
    elif outcome.changed:
        i = outcome.changed[0]
        name = ex.params[i] if i < len(ex.params) else f"argument {i + 1}"
        lines = [_wrap(f"Your answer is right, but your function changed its input {name} in place.")]
        hint = f"Leave {name} as it is: work on a copy, or build new arrays."
    else:
        return None
    if outcome.n_printed:
        lines += ["Your function printed:"] + [f"    {_short(s, WIDTH - 4)}" for s in outcome.printed[:PRINTED_SHOWN]]
        if outcome.n_printed > PRINTED_SHOWN:
            lines.append(f"    ... ({outcome.n_printed - PRINTED_SHOWN} more lines)")
    return lines, hint, wrong


def evaluate(exercise_id: str, fn) -> CheckResult:
    """Grade ``fn`` on every case of the exercise (a :class:`Prediction`: the predicted value
    ``fn``), without printing.

    Runs all cases (the learner's code never raises out of here), and describes the
    smallest failing one. Raises ValueError only for an unknown ``exercise_id``.
    """
    ex = get_exercise(exercise_id)
    if isinstance(ex, Prediction):
        return _evaluate_prediction(ex, fn)
    if fn is Ellipsis:
        return _not_written(ex, len(ex.all_cases()), f"Pass your function {ex.name} in place of the ....")
    if not callable(fn):
        failure = (f"check({exercise_id!r}, ...) needs your function itself, but got {_describe(fn)}. "
                   f"Pass the function without calling it: check({exercise_id!r}, {ex.name}).")
        return CheckResult(ex.id, False, 0, len(ex.all_cases()), failure, None, _wrap(f"\u274c {ex.id}: {failure}"))
    result = evaluate_runs(exercise_id, lambda args: Outcome.of_call(fn, args))
    if result.passed and ex.without:
        from .reach import shortcut_uses

        found = shortcut_uses(_cells_run(), {ex.name: ex.without})[ex.name]
        if found:
            failure = f"your {ex.name} gives the right answers, but {used_shortcut(ex, found)}"
            return CheckResult(ex.id, False, 0, result.n_cases, failure, None, _wrap(f"\u274c {ex.id}: {failure}"))
    return result


def used_shortcut(ex: Exercise, found: Sequence[str]) -> str:
    """Why a function that reaches ``found`` (imports of ``ex.without``) does not count:
    "it uses import poolkit, and the exercise asks you to write it without poolkit. ..."."""
    packages = list(ex.without)
    listed = packages[0] if len(packages) == 1 else ", ".join(packages[:-1]) + " or " + packages[-1]
    return (f"it uses {'; '.join(found)}, and the exercise asks you to write it without {listed}. "
            "Write it with numpy alone.")


def _cells_run() -> list[str]:
    """The code cells this IPython kernel has run, in order (``[]`` outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return []
    shell = get_ipython()
    return [c for c in shell.user_ns.get("In", []) if isinstance(c, str)] if shell is not None else []


def evaluate_runs(exercise_id: str, run: Callable[[tuple], Outcome]) -> CheckResult:
    """Grade the function of the exercise ``exercise_id`` (not a :class:`Prediction`) on
    every case, with ``run(args)`` returning the :class:`Outcome` of one call on ``args``.

    :func:`evaluate` runs the function here (:meth:`Outcome.of_call`); the grader runs it
    in the notebook's kernel. Both are judged and reported alike. ``run`` may be asked for
    the same case more than once; it must not raise.
    """
    ex = get_exercise(exercise_id)
    cases = ex.all_cases()
    n = len(cases)
    first, n_failed, wrong_answers = None, 0, []
    for case in cases:
        outcome = judge(ex, case, run(case.args))
        if outcome is not None:
            n_failed += 1
            first = first or (case, outcome)
            if outcome[2] is not None:
                wrong_answers.append(outcome[2])
    if n_failed == n and _all_unwritten(cases, run):
        return _not_written(ex, n, f"Replace `raise NotImplementedError` in {ex.name} with your "
                                   "code, then run this check again.")
    if first is None:
        n_visible = sum(c.visible for c in cases)
        message = (f"\u2705 {ex.id}: passed all {n} cases ({n_visible} from the exercise, "
                   f"{n - n_visible} hidden random ones).")
        return CheckResult(ex.id, True, n, n, None, None, message)
    case, (lines, hint, wrong) = first
    hint = hint or ex.diagnose(wrong_answers)  # wrong_answers[0] is ``wrong``
    where = "from the exercise" if case.visible else "a hidden case"
    failure = "\n".join([f"Smallest failing case: case {case.number} of {n} ({where}).",
                         *_show_call(ex, case.args), *lines])
    message = "\n".join([f"\u274c {ex.id}: failed {n_failed} of {n} cases.", failure,
                         _wrap("Hint: " + hint, indent="      ")])
    return CheckResult(ex.id, False, n - n_failed, n, failure, hint, message)


def _all_unwritten(cases, run) -> bool:
    """Does the function raise NotImplementedError on every case (an untouched stub)?"""
    for case in cases:
        error = run(case.args).error
        if error is None or not error.is_a(NotImplementedError):
            return False
    return True


NOT_WRITTEN = "\U0001f4dd"  # the mark of a report on an exercise not attempted yet


def _not_written(ex, n, what: str) -> CheckResult:
    failure = f"not written yet. {what}"
    message = _wrap(f"{NOT_WRITTEN} {ex.id}: {failure}", indent="   ")
    return CheckResult(ex.id, False, 0, n, failure, None, message)


def _evaluate_prediction(ex: Prediction, value) -> CheckResult:
    if value is Ellipsis or type(value).__name__ == "ellipsis":   # a grader's stand-in of ... too
        return _not_written(ex, 1, f"Replace ... in `{ex.name} = ...` with your prediction, then "
                                   "run this check again.")
    problem = ex.problem(value)
    if problem is None and ex.right(value):
        message = f"\u2705 {ex.id}: your prediction is right."
        if ex.explanation:
            message += "\n" + _wrap(ex.explanation)
        return CheckResult(ex.id, True, 1, 1, None, None, message)
    failure = problem or f"Your prediction {_value(value)} is not right."
    message = "\n".join([_wrap(f"\u274c {ex.id}: {failure}", indent="   "),
                         _wrap("Hint: " + ex.hint, indent="      ")])
    return CheckResult(ex.id, False, 0, 1, failure, ex.hint, message)


def check(exercise_id: str, answer) -> None:
    """Grade ``answer`` on the exercise ``exercise_id`` and print the report (see module docstring).

    ``answer`` is the learner's function for an :class:`Exercise`, their predicted value for a
    :class:`Prediction`; ``...`` (or a stub that raises NotImplementedError) is "not written yet".
    """
    print(evaluate(exercise_id, answer).message)


# ---------------------------------------------------------------- showing values
def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _describe(value) -> str:
    """``a list [[1.0, 2.0]]``, ``the float 2.5``: a value's type, and the value if it prints stably."""
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    kind = type(value).__name__
    article = "an" if kind[0] in "aeiouAEIOU" else "a"
    if isinstance(value, (bool, int, float, str, np.generic)):
        return f"the {kind} {_short(repr(value.item() if isinstance(value, np.generic) else value), 40)}"
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, list, tuple)) for v in value):
        return f"{article} {kind} {_short(repr(value), 60)}"
    return f"{article} {kind}"  # other reprs may hold memory addresses, which change from run to run


def _array(a) -> str:
    return np.array2string(np.asarray(a), precision=4, suppress_small=True, floatmode="maxprec",
                           sign="-", threshold=400, edgeitems=3, max_line_width=WIDTH - 4, legacy=False)


def _indent(text: str, by: str = "    ") -> list[str]:
    return [by + line if line.strip() else "" for line in text.splitlines()]


def _value(value) -> str:
    if isinstance(value, np.ndarray):
        return _array(value)
    if _is_int(value):
        return str(int(value))
    if isinstance(value, (tuple, list)):
        return repr(tuple(int(v) if _is_int(v) else v for v in value))
    return repr(value)


def _show_call(ex: Exercise, args) -> list[str]:
    names = ex.params + [f"arg{i}" for i in range(len(ex.params), len(args))]
    shown = [n if isinstance(a, np.ndarray) else f"{n}={_value(a)}" for n, a in zip(names, args)]
    lines = [f"  {ex.name}({', '.join(shown)})"]
    for n, a in zip(names, args):
        if isinstance(a, np.ndarray):
            lines += [f"  {n} (shape {a.shape}) ="] + _indent(_array(a))
    return lines


def _mismatch(ex: Exercise, case: Case, got) -> list[str]:
    """Expected and got, shapes or dtypes first when they differ, then where values differ."""
    expected = case.expected
    if ex.returns != "array":
        return [f"  expected: {_value(expected)}", f"  got:      {_value(got)}"]
    lines = []
    if got.shape != expected.shape:
        lines.append(f"  Shapes differ: expected {expected.shape}, got {got.shape}.")
    elif got.dtype.kind != expected.dtype.kind:
        lines.append(f"  Dtypes differ: expected {expected.dtype}, got {got.dtype}.")
    lines += ["  expected:"] + _indent(_array(expected)) + ["  got:"] + _indent(_array(got))
    if got.shape == expected.shape and expected.size:
        rtol = ex.tolerance(case.args)
        try:
            with _quiet():
                ok = np.isclose(got.astype(float), expected, rtol=rtol, atol=1e-9 if rtol else 0.0,
                                equal_nan=True)
        except (TypeError, ValueError):  # e.g. an object array holding None
            return lines
        wrong = np.argwhere(~ok)
        if len(wrong):
            lines.append(f"  {len(wrong)} of {expected.size} values differ, the first at index "
                         f"{tuple(int(i) for i in wrong[0])}.")
    return lines


def _where(error: Raised) -> str | None:
    """``in f, line 4: Y[i, j] = ...``: the innermost line of the learner's own code."""
    poolkit_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # poolkit/, not poolkit/course/
    libraries = (poolkit_dir, os.path.dirname(np.__file__))
    frames = [f for f in error.frames
              if not os.path.abspath(f[0]).startswith(libraries) and "site-packages" not in f[0]
              and not f[0].startswith("<frozen")]
    if not frames:
        return None
    _, lineno, name, line = frames[-1]
    code = (line or "").strip()
    return _short(f"in {name}, line {lineno}" + (f": {code}" if code else ""), WIDTH - 2)


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=WIDTH, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def _size(args) -> tuple:
    """Sort key of a case: (number of array elements, sum of the ints), both over all arguments."""
    elements = ints = 0
    for a in args:
        if isinstance(a, np.ndarray):
            elements += a.size
        elif isinstance(a, (tuple, list)):
            e, i = _size(a)
            elements, ints = elements + e, ints + i
        elif _is_int(a):
            ints += abs(int(a))
    return elements, ints
