"""Grading one submitted exercise notebook, with the checks the learner ran.

``poolkit grade alice.ipynb bob.ipynb ...`` (:mod:`poolkit.course.__main__`) grades a class
with :mod:`poolkit.course.gradebook`, which runs :func:`grade_submission` on each submission,
in parallel. One submission is graded in four steps:

1. **Read** the file (hashing it first; it is only ever read). An empty file, invalid
   JSON or something that is not a notebook gets that as its result, and zero.
2. **Run** the notebook's code cells top to bottom, in cell order whatever order the
   learner ran them in, in a fresh kernel started in a temporary folder (nbclient;
   a kernel that dies before it first answers has run nothing, and is started again).
   A cell that raises is noted and the run goes on; a cell that runs past ``timeout``
   is interrupted, noted, and the run goes on; past ``notebook_timeout`` no further
   cell is started. Cells that only call ``check`` are skipped: step 3 does their work.
   No output is kept, only the name and message of each cell's error, so a notebook
   that prints megabytes costs time, not memory.
3. **Check** every exercise of the assignment (:func:`poolkit.course.gradebook.exercises_to_grade`): the learner's
   function is whatever the exercise's name (from its signature) is bound to once the
   notebook has run, and :func:`poolkit.course.checks.evaluate_runs` grades it on the visible and
   hidden cases, giving the report the learner's own check cell prints. All the cases of
   one exercise together get ``timeout`` seconds, as a check cell would.
4. **Score**: an exercise scores the fraction of its cases passed (0 to 1), a
   submission the sum.

**Isolation and tampering.** The checks never run in the learner's kernel. The grader's
own process runs :func:`~poolkit.course.checks.evaluate_runs`, imported there from poolkit and never
exposed to the learner's code. Each case's arguments go to the kernel (:class:`RemoteFunction`),
where :mod:`poolkit.course.remote` calls the real function and sends back only data: the result,
the exception and where it was raised, what was printed, the arguments changed in place.
That reply, as a :class:`~poolkit.course.checks.Outcome`, is judged as a call in the learner's
own check cell is.
So a notebook may delete or rebind ``check`` and ``evaluate``, monkeypatch
``poolkit.course.checks`` or numpy, or replace :mod:`poolkit.course.remote` itself: its kernel never
sees an expected answer, and all it can change is the answers its functions give, which
is what is graded anyway. Each submission gets its own kernel, and
:func:`poolkit.course.gradebook.grade_all` gives each its own worker process, so a submission
that crashes, hangs or kills its kernel or its worker gets a result that says so and
cannot touch another's. With a :class:`poolkit.course.sandbox.Sandbox` (what ``poolkit grade``
uses wherever it can make one), the kernel also runs as a user of its own in namespaces
of its own, with read-only views of poolkit and the Python environment, no network and
memory and process limits: it cannot change poolkit, reach another kernel or submission,
or outlive its grading (see :mod:`poolkit.course.sandbox`). Without one (``--unsafe``), a
notebook's code can do whatever the grader's user may.

**Faults and status.** A kernel that dies or stops answering while one exercise is
checked costs that exercise: the notebook runs again in a fresh kernel for the rest
(:data:`MAX_RESTARTS` times at most). Set-up cells (before the first exercise) get
``setup_timeout``. ``status`` is ``ok`` only if nothing changed the score; otherwise it
lists what did (:meth:`SubmissionResult.flag`). A function that reaches poolkit's answer
key scores zero on its exercise (:func:`poolkit.course.keys.answer_key_uses`); with a
:class:`poolkit.course.keys.Key`, the hidden cases are the key's.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import remote
from .checks import CheckResult, Outcome, Raised, evaluate, evaluate_runs, get_exercise, judge, used_shortcut
from .student import is_check_cell, solution_cells

__all__ = ["grade_submission", "read_submission", "SubmissionResult", "ExerciseScore", "RemoteFunction",
           "TIMEOUT", "NOTEBOOK_TIMEOUT", "SETUP_TIMEOUT"]

TIMEOUT = 60             # seconds for one cell, and for all the cases of one exercise
NOTEBOOK_TIMEOUT = 600   # seconds for running all the cells of one notebook
MAX_NOTEBOOK_BYTES = 64 << 20
RECOVERY = 10            # seconds an interrupted kernel gets to become responsive again
IOPUB_GRACE = 2          # seconds for a cell's last outputs to arrive after its reply (they are dropped)
KERNEL_STARTS = 3        # tries to start a kernel that dies before it answers (see _start_kernel)
MAX_RESTARTS = 2         # fresh kernels for the exercises left after one kills or blocks its kernel
SETUP_TIMEOUT = 300      # seconds for one set-up cell (before the first exercise: imports, data)
MAX_NOTED_ERRORS = 5
MAX_PRINTED_LINES = 100_000  # lines of a function's printed output the report counts (it shows five)
WALL_FACTOR = 3            # an exercise's calls get `timeout` CPU seconds, and WALL_FACTOR times that in wall time
PRINT_CREDIT = 10          # wall time spent printing is given back, up to this many times the limit
MAX_REMEMBERED = 1000      # replies a RemoteFunction keeps, so that asking a case again costs no call
TIMED_OUT = "CellTimeout"  # the error name nbclient gives an interrupted cell
KERNEL_ENV = {           # one thread per kernel, as many kernels as cores; no log noise, no GUI
    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0", "MPLBACKEND": "Agg",
    "PYTHONHASHSEED": "0",
}


# ---------------------------------------------------------------- results
@dataclass
class ExerciseScore:
    """One exercise of one submission: :class:`~poolkit.course.checks.CheckResult` and its score."""

    exercise: str
    score: float
    passed: bool
    n_passed: int
    n_cases: int
    message: str
    failure: str | None = None
    hint: str | None = None
    cases: list[list] = field(default_factory=list)  # [number, "visible" or "hidden", passed], for the audit

    @classmethod
    def of(cls, result: CheckResult) -> ExerciseScore:
        score = result.n_passed / result.n_cases if result.n_cases else 0.0
        return cls(result.exercise, round(score, 4), result.passed, result.n_passed, result.n_cases,
                   result.message, result.failure, result.hint)

    @classmethod
    def not_graded(cls, exercise_id: str, reason: str) -> ExerciseScore:
        """Zero, because the exercise could not be checked at all (``reason`` says why)."""
        ex = get_exercise(exercise_id)
        failure = f"Not graded: {reason}"
        return cls(ex.id, 0.0, False, 0, n_cases(ex), _wrap(f"\u274c {ex.id}: {failure}"), failure)


def n_cases(ex) -> int:
    """How many cases an exercise's check runs (a prediction is one)."""
    return len(ex.all_cases()) if hasattr(ex, "all_cases") else 1


@dataclass
class SubmissionResult:
    """The grading of one submitted file.

    ``status`` is ``"ok"`` or what went wrong in a few words ("invalid JSON", "kernel
    died", ...); ``notes`` explain it and everything else worth knowing (cells that
    raised or timed out, cells run out of order, solutions left in the notebook).
    """

    student: str
    path: str
    sha256: str = ""
    status: str = "ok"
    notes: list[str] = field(default_factory=list)
    exercises: list[ExerciseScore] = field(default_factory=list)
    seconds: float = 0.0
    functions_digest: str = ""  # SHA-256 of the source of the functions that scored (see grade_submission)

    @property
    def total(self) -> float:
        return round(sum(e.score for e in self.exercises), 4)

    @property
    def max_score(self) -> int:
        return len(self.exercises)

    @classmethod
    def failed(cls, student: str, path, exercise_ids: Sequence[str], status: str, why: str,
               seconds: float = 0.0) -> SubmissionResult:
        """A submission that could not be graded at all: zero on every exercise."""
        try:
            sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            sha256 = ""
        return cls(student, str(path), sha256, status, [f"Not graded: {why}."],
                   [ExerciseScore.not_graded(i, why) for i in exercise_ids], round(seconds, 2))

    def to_dict(self) -> dict:
        return {**asdict(self), "total": self.total, "max": self.max_score}

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionResult:
        """The result :meth:`to_dict` described."""
        names = {f for f in cls.__dataclass_fields__}
        scores = [ExerciseScore(**{k: v for k, v in e.items() if k in ExerciseScore.__dataclass_fields__})
                  for e in data.get("exercises", [])]
        return cls(**{**{k: v for k, v in data.items() if k in names}, "exercises": scores})

    def flag(self, what: str) -> None:
        """Add ``what`` to the status (``ok`` becomes ``what``; others are kept, comma-separated)."""
        parts = [] if self.status == "ok" else self.status.split(", ")
        if what not in parts:
            self.status = ", ".join(parts + [what])


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=72, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False)


# ---------------------------------------------------------------- reading a submission
def read_submission(path: Path):
    """``(notebook JSON or None, problem or None, sha256)``: the submission as a dict whose
    cells are tidied (a hand-edited cell may lack fields; its source is what matters).
    Never raises for a bad file."""
    return parse_submission(path.read_bytes())


def parse_submission(data: bytes):
    """:func:`read_submission` of the file's bytes."""
    sha256 = hashlib.sha256(data).hexdigest()
    if not data.strip():
        return None, "empty file", sha256
    if len(data) > MAX_NOTEBOOK_BYTES:
        return None, f"too large ({len(data) >> 20} MiB)", sha256
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        return None, f"invalid JSON ({_short(err)})", sha256
    if not (isinstance(raw, dict) and isinstance(raw.get("cells"), list)
            and all(isinstance(c, dict) and c.get("cell_type") in ("code", "markdown", "raw") for c in raw["cells"])):
        return None, "not a notebook (no list of cells)", sha256
    for cell in raw["cells"]:
        source = cell.get("source", "")
        cell["source"] = "".join(map(str, source)) if isinstance(source, list) else str(source)
        cell["metadata"] = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        if cell["cell_type"] == "code":
            cell["outputs"] = []  # never looked at, and possibly megabytes
            cell.setdefault("execution_count", None)
    return raw, None, sha256


def _notebook(raw: dict):
    """``(nbformat notebook, notes)``: ``raw`` as nbformat 4, and what to say about it."""
    import nbformat

    invalid: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb = nbformat.reads(json.dumps(raw), as_version=4, capture_validation_error=invalid)
    notes = []
    if invalid:
        notes.append(f"The notebook does not follow the notebook format "
                     f"({_short(invalid['ValidationError'], 100)}); graded anyway.")
    counts = [c.get("execution_count") for c in raw["cells"] if c["cell_type"] == "code" and c.get("execution_count")]
    if any(not isinstance(a, int) or not isinstance(b, int) or b <= a for a, b in zip(counts, counts[1:])):
        notes.append("The cells were last run out of order. Grading runs them top to bottom, in cell order, "
                     "so results may differ from what the saved notebook shows.")
    try:
        solutions = solution_cells(raw)
    except ValueError:
        solutions = [None]
    if solutions:
        notes.append("The notebook still has solution cells (it is not the student edition); "
                     "they run like any other cell.")
    return nb, notes


def _short(err, limit: int = 160) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ---------------------------------------------------------------- the kernel
def kernel_manager_class(sandbox=None, conndir: str | None = None):
    """A kernel manager class that starts this Python's ipykernel, whatever kernels are registered
    (the grader's, and ``tools/run_notebooks.py``'s).

    With a :class:`poolkit.course.sandbox.Sandbox`, the kernel starts inside it and talks over
    ZeroMQ's ipc transport through socket files in ``conndir`` (see :mod:`poolkit.course.sandbox`),
    where the connection file is written too, readable by the sandbox's user only.
    """
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class CurrentPythonSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            spec = ipykernel.kernelspec.get_kernel_dict()
            if sandbox is not None:
                spec = {**spec, "argv": sandbox.wrap(spec["argv"], conndir, KERNEL_ENV)}
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)

    class CurrentPythonKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if sandbox is not None:
                self.transport = "ipc"
                self.ip = os.path.join(conndir, "kernel")
                self.connection_file = os.path.join(conndir, "kernel.json")

        def _kernel_spec_manager_default(self):
            return CurrentPythonSpecs(data_dir=self.data_dir)

        def write_connection_file(self, **kwargs):
            super().write_connection_file(**kwargs)
            if sandbox is not None:
                os.chown(self.connection_file, sandbox.uid, sandbox.uid)

    return CurrentPythonKernelManager


def _sync(coroutine_function):
    """A blocking version, run on this thread's event loop (the one the notebook client uses)."""
    from jupyter_core.utils import run_sync

    return run_sync(coroutine_function)


class KernelGone(Exception):
    """The kernel died, or stopped answering even after an interrupt."""


class _Kernel:
    """The kernel a notebook ran in, as the grader talks to it: by user expressions.

    Each request executes no code and evaluates one expression, ``poolkit.course.remote.<fn>(...)``,
    whose value (a JSON string) comes back in the reply. Requests are synchronous: they
    run the client's event loop until the reply arrives or ``timeout`` passes; then the
    kernel is interrupted and gets :data:`RECOVERY` seconds to answer again.
    """

    def __init__(self, km, kc):
        self.km, self.kc = km, kc  # the kernel manager and client (jupyter_client's) nbclient started
        self.gone: str | None = None    # why it cannot be used any more
        self.status = "ok"                 # or "kernel died", "kernel unresponsive"
        self._request = _sync(self._async_request)

    def lookup(self, name: str, timeout: float) -> dict:
        return self.request(f"lookup({name!r})", timeout, f"looking up {name}")

    def call(self, name: str, args: tuple, timeout: float) -> dict:
        payload = json.dumps([remote.encode(a) for a in args])
        return self.request(f"call({name!r}, {payload!r})", timeout, f"running {name}")

    def request(self, expression: str, timeout: float, doing: str) -> dict:
        """The JSON value of ``poolkit.course.remote.<expression>`` in the kernel.

        Raises TimeoutError (the kernel was interrupted and answers again), KernelGone, or
        ValueError for a reply that is not what :mod:`poolkit.course.remote` sends.
        """
        if self.gone:
            raise KernelGone(self.gone)
        reply = self._request(f"__import__('poolkit.course.remote').course.remote.{expression}", timeout, doing)
        if reply is None:
            raise TimeoutError(f"no answer within {timeout:.3g} s")
        value = reply.get("user_expressions", {}).get("r", {})
        if value.get("status") != "ok":
            raise ValueError(f"the kernel could not answer: {value.get('ename')}: {_short(value.get('evalue'))}")
        try:
            return json.loads(ast.literal_eval(value["data"]["text/plain"]))
        except (KeyError, TypeError, ValueError, SyntaxError, MemoryError, RecursionError):
            raise ValueError("the kernel's answer is not readable") from None

    def responsive(self) -> bool:
        """Does the kernel answer again after an interrupted cell? It gets :data:`RECOVERY`
        seconds, then a second interrupt (the first may have come at a bad moment) and as long."""
        try:
            for interrupt_again in (True, False):
                if self._request("__name__", RECOVERY, "answering", interrupt=False) is not None:
                    return True
                if interrupt_again:
                    _sync(self.km.interrupt_kernel)()
        except KernelGone:
            pass
        return False

    def mark_gone(self, why: str, died: bool = False) -> None:
        """Record that the kernel cannot be used any more, and why (the first reason stays)."""
        if not self.gone:
            self.gone, self.status = why, "kernel died" if died else "kernel unresponsive"

    async def _async_request(self, expression: str, timeout: float, doing: str, interrupt: bool = True):
        """The reply's content, or None after ``timeout`` (having interrupted the kernel)."""
        msg_id = self.kc.execute("", silent=True, store_history=False, user_expressions={"r": expression},
                                 allow_stdin=False, stop_on_error=False)
        reply = await self._async_reply(msg_id, timeout, doing)
        if reply is not None or not interrupt:
            return reply
        await self.km.interrupt_kernel()
        if await self._async_reply(msg_id, RECOVERY, doing) is None:
            self.mark_gone(f"it did not stop when interrupted while {doing}")
        return None

    async def _async_reply(self, msg_id: str, timeout: float, doing: str):
        from queue import Empty

        deadline = time.monotonic() + timeout
        while self.gone is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=min(remaining, 1.0))
            except Empty:
                if not await self.km.is_alive():
                    self.mark_gone(f"it died while {doing}", died=True)
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]
        raise KernelGone(self.gone)


class RemoteFunction:
    """The learner's function ``name``, which lives in the kernel, as the grader runs it.

    :meth:`outcome` runs it on one case's arguments in the kernel and returns what came
    back, as a :class:`~poolkit.course.checks.Outcome`: the value, or the exception with the
    frames it went through in the kernel (so the report points at the learner's line), the
    lines it printed and the arguments it changed in place.
    :func:`~poolkit.course.checks.evaluate_runs` judges it as it judges a call made in the
    learner's own notebook. All calls together get ``timeout`` seconds of the function's own
    CPU time, printing aside, as the kernel measures it (so a loaded machine, the transport
    and printing do not change a score), and at most :data:`WALL_FACTOR` times that in
    wall time, printing aside (a function that sleeps or starts threads); once either is spent, the call
    running is stopped and every further call is a TimeoutError at once.
    """

    def __init__(self, kernel: _Kernel, name: str, timeout: float):
        self.kernel, self.name, self.timeout = kernel, name, timeout
        self.deadline = time.monotonic() + timeout * WALL_FACTOR
        self.cpu = 0.0  # the function's CPU seconds so far, printing aside
        self.credit = 0.0  # wall seconds spent printing, given back (up to PRINT_CREDIT times the limit)
        self.replies: dict = {}  # encoded arguments -> the kernel's reply (each case runs once)
        self.timed_out = False

    def outcome(self, args: tuple) -> Outcome:
        """What the function does on ``args`` in the kernel; never raises."""
        try:
            return self._outcome(args)
        except Exception as err:  # a reply the grader cannot read: reported like an exception of the function
            return Outcome(error=Raised.of(err))

    def _outcome(self, args: tuple) -> Outcome:
        try:
            payload = json.dumps([remote.encode(a) for a in args])
        except (TypeError, ValueError):
            payload = None
        if payload in self.replies:  # asked again (is every case unwritten? the audit): the answer is known
            return _read_reply(args, self.replies[payload])
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or self.cpu >= self.timeout:
            return _stopped(TimeoutError, f"not run: the {self.timeout:g} s all the cases of this exercise may "
                                          "take together were spent")
        try:
            reply = self.kernel.call(self.name, args, remaining)
        except TimeoutError:
            self.timed_out = True
            return _stopped(TimeoutError, f"it ran past the {self.timeout:g} s all the cases of this exercise may "
                                          f"take together, and was stopped")
        except KernelGone as err:
            return _stopped(RuntimeError, f"the notebook's kernel cannot run your function: {err}")
        if payload is not None and len(self.replies) < MAX_REMEMBERED:
            self.replies[payload] = reply
        try:
            self.cpu += max(float(reply.get("cpu_seconds", 0.0)), 0.0)
            printing = min(max(float(reply.get("print_seconds", 0.0)), 0.0), self.timeout * PRINT_CREDIT - self.credit)
        except (TypeError, ValueError):
            printing = 0.0
        self.credit += printing  # the wall-time limit does not count printing either
        self.deadline += printing
        if self.cpu > self.timeout:
            self.timed_out = True
            self.replies.pop(payload, None)
            return _stopped(TimeoutError, f"it ran past the {self.timeout:g} s all the cases of this exercise may "
                                          f"take together, and was stopped")
        return _read_reply(args, reply)


def _stopped(kind: type[Exception], message: str) -> Outcome:
    """The outcome of a call the grader stopped, or did not make."""
    return Outcome(error=Raised(kind.__name__, kind.__name__, message))


def _read_reply(args: tuple, reply: dict) -> Outcome:
    """The :class:`~poolkit.course.checks.Outcome` the kernel's ``reply`` to a call on ``args`` describes
    (see :func:`poolkit.course.remote.call`)."""
    import numpy as np

    printed = reply.get("printed") or {}
    lines = tuple(str(line) for line in printed.get("lines", []))
    n_printed = len(lines) + min(max(int(printed.get("count", 0)) - len(lines), 0), MAX_PRINTED_LINES) if lines else 0
    changed = tuple(sorted(i for i in map(int, reply.get("changed", {}))
                           if 0 <= i < len(args) and isinstance(args[i], np.ndarray)))
    if "error" in reply:
        error = reply["error"]
        frames = tuple((str(file), max(int(lineno), 1), str(name), str(line))
                       for file, lineno, name, line in error.get("frames", []))
        raised = Raised(str(error.get("type", "Exception")), str(error.get("builtin", "Exception")),
                        str(error.get("message", "")), frames)
        return Outcome(None, raised, lines, n_printed, changed)
    return Outcome(remote.decode(reply["result"]), None, lines, n_printed, changed)


# ---------------------------------------------------------------- one submission
def grade_submission(path, exercise_ids: Sequence[str], *, student: str | None = None,
                     timeout: float = TIMEOUT, notebook_timeout: float = NOTEBOOK_TIMEOUT,
                     on_kernel: Callable[[int], None] | None = None, sandbox=None,
                     setup_timeout: float = SETUP_TIMEOUT, key=None) -> SubmissionResult:
    """Grade one submitted notebook on ``exercise_ids`` (see the module docstring).

    Never modifies ``path``, and reads it once: what is graded is that copy of its bytes.
    ``on_kernel(pid)`` is told the kernel's process id when it starts (:func:`grade_all`
    uses it to clean up after a worker that dies). With a :class:`poolkit.course.sandbox.Sandbox`,
    the kernel runs in it; without, with the grader's rights. With a :class:`poolkit.course.keys.Key`,
    the hidden cases are the key's.
    """
    from .keys import installed

    with installed(key):
        return _grade_submission(path, exercise_ids, student, timeout, notebook_timeout, on_kernel, sandbox,
                                 setup_timeout)


def _grade_submission(path, exercise_ids, student, timeout, notebook_timeout, on_kernel, sandbox,
                      setup_timeout) -> SubmissionResult:
    path = Path(path)
    start = time.monotonic()
    result = SubmissionResult(student or path.stem, str(path))
    try:
        data = path.read_bytes()
    except OSError as err:
        return SubmissionResult.failed(result.student, path, exercise_ids, "unreadable", f"unreadable ({err})")
    raw, problem, result.sha256 = parse_submission(data)
    if raw is not None:
        try:
            nb, notes = _notebook(raw)
            result.notes += notes
        except Exception as err:
            problem = f"not a notebook ({_short(err)})"
    if any(note.startswith("The notebook still has solution cells") for note in result.notes):
        result.flag("solutions left in")
    if raw is not None and not problem:
        _check_chapter(raw, exercise_ids, result)
    if problem:
        return SubmissionResult.failed(result.student, path, exercise_ids, problem.split(" (")[0], problem,
                                       time.monotonic() - start)
    workdir = Path(tempfile.mkdtemp(prefix="poolkit-grade-"))
    try:
        (workdir / "submission.ipynb").write_bytes(data)  # the copy the kernel works next to (unsandboxed)
        _run_and_check(nb, exercise_ids, result, workdir, timeout, notebook_timeout, on_kernel, sandbox,
                       setup_timeout)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.seconds = round(time.monotonic() - start, 2)
    return result


def _run_and_check(nb, exercise_ids, result, workdir, timeout, notebook_timeout, on_kernel, sandbox=None,
                   setup_timeout: float = 0.0) -> None:
    setup_timeout = setup_timeout or timeout
    all_ids = list(exercise_ids)
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    class Client(NotebookClient):
        def output(self, outs, msg, display_id, cell_index):
            return None  # outputs are not kept: see the module docstring

    errors: list[str] = []
    timed_out: list[int] = []
    out_of_memory: list[int] = []
    denied: list[int] = []
    too_many: list[int] = []

    def on_cell_executed(cell, cell_index, execute_reply):
        nonlocal errors, timed_out, out_of_memory, denied, too_many
        content = (execute_reply or {}).get("content", {})
        if content.get("status") != "error":
            return
        if "MemoryError" in str(content.get("ename")):
            out_of_memory.append(cell_index)
        if content.get("ename") == "PermissionError" or any(
                what in str(content.get("evalue")) for what in ("Read-only file system", "Permission denied",
                                                                 "Operation not permitted")):
            denied.append(cell_index)
        evalue = str(content.get("evalue"))
        if content.get("ename") == "BlockingIOError" or "Resource temporarily unavailable" in evalue:
            too_many.append(cell_index)
        if content.get("ename") == TIMED_OUT:
            timed_out.append(cell_index)
            errors.append(f"{_cell_name(nb, cell_index)} ran past its time limit and was interrupted")
        else:
            errors.append(f"{_cell_name(nb, cell_index)} raised {content.get('ename')}: "
                          f"{_short(content.get('evalue', ''), 120)}")

    quiet = logging.getLogger("poolkit.course.grading.kernel")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    setup = _setup_cells(nb)
    scores: dict = {}
    for exercise_id, found in _answer_key_uses(nb, exercise_ids).items():
        name = get_exercise(exercise_id).name
        scores[exercise_id] = ExerciseScore.not_graded(
            exercise_id, f"{name} uses poolkit's answer key ({', '.join(found)}), directly or through what it "
                         "calls: only your own code is graded.")
        result.flag("answer key")
    for exercise_id, found in _shortcut_uses(nb, [i for i in exercise_ids if i not in scores]).items():
        ex = get_exercise(exercise_id)
        why = f"{ex.name} was not run: {used_shortcut(ex, found)}"
        scores[exercise_id] = ExerciseScore.not_graded(exercise_id, why)
        result.flag("shortcut")
    exercise_ids = [i for i in exercise_ids if i not in scores]
    remaining = list(exercise_ids)
    for run in range(1 + MAX_RESTARTS):
        if run:  # a fresh kernel for the exercises left: the notebook runs again, its errors are known
            errors, timed_out, out_of_memory, denied, too_many = [], [], [], [], []
        deadline = time.monotonic() + notebook_timeout

        def cell_timeout(cell, deadline=deadline):
            limit = setup_timeout if id(cell) in setup else timeout
            return max(1.0, min(limit, deadline - time.monotonic()))

        conndir = workdir / f"conn{run}"
        conndir.mkdir(mode=0o700)
        if sandbox is not None:
            os.chown(conndir, sandbox.uid, sandbox.uid)
        client = Client(nb, kernel_manager_class=kernel_manager_class(sandbox, str(conndir)), kernel_name="python3",
                        log=quiet, allow_errors=True, interrupt_on_timeout=True, record_timing=False,
                        error_on_timeout={"ename": TIMED_OUT, "evalue": "", "traceback": []},
                        timeout_func=cell_timeout, iopub_timeout=IOPUB_GRACE, shutdown_kernel="immediate",
                        on_cell_executed=on_cell_executed, extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
                        resources={"metadata": {"path": str(workdir)}})
        km, kc = _start_kernel(client, env={**os.environ, **KERNEL_ENV}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        if sandbox is not None:  # its sockets are made: from now on, the kernel cannot write there
            os.chown(conndir, 0, 0)
            os.chmod(conndir, 0o755)
        with client.setup_kernel():  # the kernel has started: this shuts it down at the end
            if on_kernel is not None:
                # No public API gives the kernel's process id: the local provisioner's pid is it.
                on_kernel(km.provisioner.pid)
            kernel, out_of_time = _Kernel(km, kc), ""
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip() or is_check_cell(cell):
                    continue
                if time.monotonic() >= deadline:
                    out_of_time = (f"The notebook's {notebook_timeout:g} s ran out: cells from "
                                   f"{_cell_name(nb, index)} on were not run.")
                    break
                try:
                    client.execute_cell(cell, index)
                except DeadKernelError:
                    kernel.mark_gone(f"it died while running {_cell_name(nb, index)}", died=True)
                    break
                if timed_out and timed_out[-1] == index and not kernel.responsive():
                    kernel.mark_gone(f"it did not stop when {_cell_name(nb, index)} was interrupted")
                    break
            if run == 0:
                _note_run(result, nb, sandbox, errors, timed_out, out_of_memory, denied, too_many, out_of_time)
            if kernel.gone:  # the notebook itself kills or blocks its kernel: no exercise can be graded
                for exercise_id in remaining:
                    scores[exercise_id] = _check(kernel, exercise_id, timeout, result.notes)
                result.flag(kernel.status)
                result.notes.append(f"The notebook's kernel could not be used any more: {kernel.gone}.")
                break
            while remaining:
                exercise_id = remaining.pop(0)
                scores[exercise_id] = _check(kernel, exercise_id, timeout, result.notes)
                if kernel.gone:
                    result.flag(kernel.status)
                    result.notes.append(
                        f"The notebook's kernel could not be used any more: {kernel.gone}. {exercise_id} "
                        "scores what it earned until then"
                        + (f"; the notebook ran again in a fresh kernel for {', '.join(remaining)}." if remaining
                           and run < MAX_RESTARTS else "."))
                    break
        if not remaining:
            break
    for exercise_id in remaining:  # only after MAX_RESTARTS faults
        scores[exercise_id] = ExerciseScore.not_graded(exercise_id, "the notebook's kernel failed "
                                                                    f"{MAX_RESTARTS + 1} times.")
    result.exercises = [scores[i] for i in all_ids]
    result.functions_digest = _functions_digest(nb, [s for s in result.exercises if s.score > 0])


def _functions_digest(nb, scored) -> str:
    """SHA-256 of the code (as parsed: comments and spacing aside) of the last definition of
    each exercise's name that scored; "" if none did."""
    if not scored:
        return ""
    last: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError):
            continue
        for stmt in tree.body:
            names = [stmt.name] if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) else \
                [t.id for t in getattr(stmt, "targets", []) if isinstance(t, ast.Name)]
            for name in names:
                last[name] = ast.dump(stmt)
    parts = [f"{s.exercise}:{last.get(get_exercise(s.exercise).name, '')}" for s in scored]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _shortcut_uses(nb, exercise_ids) -> dict:
    """Exercise id -> the imports of what its statement says not to call that its function
    reaches, for those that do."""
    from .reach import shortcut_uses

    asked = [get_exercise(i) for i in exercise_ids if getattr(get_exercise(i), "without", ())]
    found = shortcut_uses(_code_cells(nb), {ex.name: ex.without for ex in asked})
    return {ex.id: found[ex.name] for ex in asked if found[ex.name]}


def _answer_key_uses(nb, exercise_ids) -> dict:
    """Exercise id -> what of poolkit's answer key its function reaches, for those that do."""
    from .keys import answer_key_uses

    names = {get_exercise(i).name: i for i in exercise_ids}
    return {names[n]: found for n, found in answer_key_uses(_code_cells(nb), list(names)).items() if found}


def _code_cells(nb) -> list[str]:
    """The notebook's code, check cells aside: what the static rules read."""
    return [c.source for c in nb.cells if c.cell_type == "code" and not is_check_cell(c)]


def _note_run(result, nb, sandbox, errors, timed_out, out_of_memory, denied, too_many, out_of_time) -> None:
    """The notes and status flags of the notebook's first run."""
    _note_errors(result, errors)
    if timed_out:
        result.flag("time limit")
    if too_many and sandbox is not None:
        result.flag("process limit")
        result.notes.append(f"{_upper(_cell_name(nb, too_many[0]))} reached the process limit "
                            f"({sandbox.processes} processes and threads).")
    if denied and sandbox is not None:
        result.flag("sandbox denied")
        result.notes.append(f"{_upper(_cell_name(nb, denied[0]))} tried something the sandbox does not "
                            "allow (writing outside its own folders, another process, the network, ...).")
    if out_of_memory:
        result.flag("memory limit")
        result.notes.append(f"{_upper(_cell_name(nb, out_of_memory[0]))} ran out of memory"
                            + (f" (the limit is {sandbox.memory >> 20} MiB)." if sandbox else "."))
    if out_of_time:
        result.flag("time limit")
        result.notes.append(out_of_time)


EXERCISE_HEADING = re.compile(r"(?im)^#{1,6}\s+exercises?\b|\{exercise(-start)?\}")


def _setup_cells(nb) -> set:
    """``id()`` of the code cells before the first exercise (imports, set-up): they get
    ``setup_timeout``. None if no exercise is marked (every cell is then an exercise cell)."""
    for index, cell in enumerate(nb.cells):
        if (cell.cell_type == "markdown" and EXERCISE_HEADING.search(cell.source)) or \
                (cell.cell_type == "code" and is_check_cell(cell)):
            return {id(c) for c in nb.cells[:index] if c.cell_type == "code"}
    return set()


def _check_chapter(raw, exercise_ids, result) -> None:
    """Flag a notebook whose check cells are all another chapter's than the graded one."""
    from .checks import registry
    from .student import check_ids

    known = registry()
    graded = {known[i].chapter for i in exercise_ids if i in known}
    try:
        own = {known[i].chapter for i in check_ids(raw) if i in known}
    except Exception:  # a cell that does not parse: nothing to say
        return
    if own and not own & graded:
        result.flag("wrong chapter")
        result.notes.append(f"This notebook's check cells belong to chapter {', '.join(map(str, sorted(own)))}; "
                            f"this batch grades chapter {', '.join(map(str, sorted(graded)))}: was the right "
                            "notebook handed in?")


def _start_kernel(client, **kwargs) -> tuple:
    """Start ``client``'s kernel (``kwargs`` go to its launch), wait until it answers, and
    return its kernel manager and kernel client (nbclient's, as its public methods give them).

    A kernel that dies before it answers has run none of the notebook, and the cause is
    rarely the notebook's: on a busy machine, another kernel starting at the same moment
    can take one of the ports it was given. So it is started again, :data:`KERNEL_STARTS`
    times in all; any other failure, and the last one, is raised.
    """
    for attempt in range(1, KERNEL_STARTS + 1):
        km = client.create_kernel_manager()
        client.start_new_kernel(**kwargs)
        try:
            kc = client.start_new_kernel_client()  # on failure, it has shut the kernel down
            return km, kc
        except RuntimeError as err:
            if "died" not in str(err) or attempt == KERNEL_STARTS:
                raise


def _check(kernel: _Kernel, exercise_id: str, timeout: float, notes: list[str]) -> ExerciseScore:
    """Grade the learner's function for one exercise, as it is in the kernel now."""
    ex = get_exercise(exercise_id)
    if kernel.gone:
        return ExerciseScore.not_graded(ex.id, f"the notebook's kernel could not be used any more ({kernel.gone}).")
    try:
        found = kernel.lookup(ex.name, max(timeout, RECOVERY))
    except (KernelGone, TimeoutError, ValueError) as err:
        return ExerciseScore.not_graded(ex.id, f"{ex.name} could not be looked up in the notebook ({_short(err)}).")
    if found.get("missing"):
        asks = (f"asks for {ex.signature}" if hasattr(ex, "signature")
                else f"asks you to assign your prediction to {ex.name}")
        return ExerciseScore.not_graded(ex.id, f"the notebook defines no {ex.name} once it has run. The exercise "
                                               f"{asks}: keep that name.")
    if not found.get("function"):
        score = ExerciseScore.of(evaluate(ex.id, remote.decode(found["value"])))
        score.cases = [[1, "visible", score.passed]]      # a prediction: one value, one visible case
        return score
    fn = RemoteFunction(kernel, ex.name, timeout)
    score = ExerciseScore.of(evaluate_runs(ex.id, fn.outcome))
    score.cases = _case_results(ex, fn)
    if fn.timed_out:
        notes.append(f"{ex.name} was stopped after {timeout:g} s (all cases of {ex.id} together): "
                     "look for a loop that never ends.")
    return score


def _case_results(ex, fn: RemoteFunction) -> list:
    """``[number, "visible" or "hidden", passed]`` for each case, judged again from the replies
    ``fn`` remembers (no call to the kernel, except for a case it never answered)."""
    out = []
    for case in ex.all_cases():
        try:
            passed = judge(ex, case, fn.outcome(case.args)) is None
        except Exception:
            passed = False
        out.append([case.number, "visible" if case.visible else "hidden", passed])
    return out


def _cell_name(nb, index: int) -> str:
    first = next((line.strip() for line in nb.cells[index].source.splitlines() if line.strip()), "")
    first = first if len(first) <= 40 else first[:37] + "..."
    return f"cell {index + 1} ({first!r})" if first else f"cell {index + 1}"


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _note_errors(result: SubmissionResult, errors: list[str]) -> None:
    result.notes += [e[:1].upper() + e[1:] + "." for e in errors[:MAX_NOTED_ERRORS]]
    if len(errors) > MAX_NOTED_ERRORS:
        result.notes.append(f"... and {len(errors) - MAX_NOTED_ERRORS} more cells raised.")
