"""Grading a class: many submissions in parallel, and the results for a gradebook.

:func:`grade_all` grades each submission with :func:`poolkit.course.grading.grade_submission`
in a worker process of its own, ``jobs`` at a time (by default as many as the machine
gives this process cores). Workers fork from a server that has imported the grader
once, so a worker starts in milliseconds, and each starts its own kernel. A worker that
dies (a notebook can kill its kernel's parent) or runs past its time limit is stopped
with its kernel, and its submission gets a result saying so; the others go on.

:func:`report` is the feedback on one submission (the learner's check reports, with the
grader's notes); :func:`score_table`, :func:`write_csv` and :func:`write_json` are the
class's scores: a table, a gradebook sheet with one row per student (the id is the
file name), and everything as JSON.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import multiprocessing.connection
import os
import signal
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .checks import list_exercises, registry
from .grading import (
    MAX_RESTARTS,
    NOTEBOOK_TIMEOUT,
    RECOVERY,
    SETUP_TIMEOUT,
    TIMEOUT,
    SubmissionResult,
    grade_submission,
    read_submission,
)
from .student import check_ids

__all__ = ["grade_all", "exercises_to_grade", "student_ids", "default_jobs", "report", "score_table",
           "write_csv", "write_json"]

STARTUP = 120  # seconds a worker gets, on top of its time limits, to start, read, start a kernel, clean up


# ---------------------------------------------------------------- what to grade
def default_jobs() -> int:
    """The CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def student_ids(paths: Sequence[Path], names: Sequence[str] | None = None) -> list[str]:
    """Each submission's student id: ``names`` if given, else its file name without ``.ipynb``.
    Ids must be unique."""
    ids = list(names) if names is not None else [Path(p).stem for p in paths]
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    if twice:
        where = "; ".join(f"{i}: {', '.join(str(p) for p, j in zip(paths, ids) if j == i)}" for i in twice[:5])
        raise ValueError(f"two submissions have the same file name, so the same student id: {where}")
    return ids


def discover(arguments: Sequence[Path]) -> list[tuple]:
    """``(path, student id)`` of every submission: files as given (id: the file name), and
    every ``*.ipynb`` under a folder, at any depth (hidden folders such as
    ``.ipynb_checkpoints`` aside). A notebook directly in the folder is its file name's
    student; one in a subfolder is the first subfolder's (``alice/01_x.ipynb`` is alice's,
    as LMS downloads lay them out)."""
    found = []
    for argument in map(Path, arguments):
        if argument.is_dir():
            for path in sorted(argument.rglob("*.ipynb")):
                rel = path.relative_to(argument)
                if any(part.startswith(".") for part in rel.parts) or not path.is_file():
                    continue
                found.append((path, rel.parts[0] if len(rel.parts) > 1 else path.stem))
        elif argument.is_file():
            found.append((argument, argument.stem))
        else:
            raise ValueError(f"{argument}: no such file or folder")
    if not found:
        raise ValueError("no submissions (*.ipynb) found")
    return found


def file_digest(path) -> str:
    import hashlib

    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def grader_version() -> str:
    """poolkit's version and a digest of its files: results of another grader are not reused."""
    from .. import __version__

    return f"{__version__}+{poolkit_digest()[:12]}"


def previous_results(json_path, exercise_ids: Sequence[str], key=None) -> dict:
    """SHA-256 -> result, from a results file this grader version wrote for the same exercises
    with the same key (``{}`` if there is none, or it is another's)."""
    try:
        data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if data.get("grader") != grader_version() or data.get("exercises") != list(exercise_ids) \
            or data.get("key") != (key.fingerprint if key else None):
        return {}
    return {s["sha256"]: SubmissionResult.from_dict(s) for s in data.get("submissions", [])
            if s.get("sha256") and s.get("status") not in INTERRUPTED}


INTERRUPTED = ("grader stopped", "grader crashed", "grader error")


def exercises_to_grade(paths: Iterable, chapters: Sequence[int] = ()) -> list[str]:
    """The exercise ids every submission is graded on.

    All exercises of ``chapters`` if given; otherwise all exercises of the chapter(s) that
    the most submissions' check cells refer to (so deleting a check cell does not drop an
    exercise, and one notebook of another chapter changes nobody else's maximum: it is
    graded on the class's chapter and flagged ``wrong chapter``).
    """
    if chapters:
        ids = [i for c in chapters for i in list_exercises(c)]
        if not ids:
            raise ValueError(f"no exercises are registered for chapter(s) {', '.join(map(str, chapters))}")
        return ids
    votes: Counter = Counter()
    for path in paths:
        raw, _, _ = read_submission(Path(path))
        if raw is not None:
            try:
                votes.update({registry()[i].chapter for i in check_ids(raw) if i in registry()})
            except Exception:  # a cell that does not parse counts for nothing
                pass
    if not votes:
        raise ValueError("no submission has a check cell of a known exercise: say which chapter to grade")
    most = max(votes.values())
    return [i for c in sorted(c for c, n in votes.items() if n == most) for i in list_exercises(c)]


# ---------------------------------------------------------------- grading in parallel
def grade_all(paths: Sequence, exercise_ids: Sequence[str], *, jobs: int | None = None,
              timeout: float = TIMEOUT, notebook_timeout: float = NOTEBOOK_TIMEOUT,
              on_result: Callable[[SubmissionResult], None] | None = None,
              sandbox: dict | None = None, students: Sequence[str] | None = None,
              setup_timeout: float = SETUP_TIMEOUT, key=None) -> list[SubmissionResult]:
    """Grade every submission, ``jobs`` at a time (default: the usable CPU cores), each in
    its own worker process; results in the order of ``paths``, ``on_result`` told of each as
    it finishes. A worker that dies or overruns its time gets a result that says so.

    ``sandbox``: the limits (``memory``, ``processes``) of a :class:`poolkit.course.sandbox.Sandbox`
    each kernel runs in, with a user of its own; None runs kernels with the grader's rights.
    After every submission, poolkit's own files are compared with what they were at the
    start: if they changed, that submission's status says so and :class:`PoolkitChanged`
    stops the run (what was graded after the change cannot be trusted).
    """
    import shutil
    import tempfile

    from .sandbox import Sandbox

    paths = [Path(p) for p in paths]
    before = poolkit_digest()
    scratch = tempfile.mkdtemp(prefix="poolkit-grade-")  # every worker's temporary folders, removed at the end
    names = student_ids(paths, students)
    jobs = max(1, jobs or default_jobs())
    limit = (1 + MAX_RESTARTS) * (notebook_timeout + len(exercise_ids) * (timeout + 2 * RECOVERY)) + STARTUP
    context = _process_context()
    waiting = list(range(len(paths)))
    running: dict = {}  # index -> _Worker
    results: list[SubmissionResult | None] = [None] * len(paths)
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                index = waiting.pop(0)
                box = None if sandbox is None else Sandbox.for_slot(index, **sandbox)
                running[index] = _Worker(context, paths[index], names[index], exercise_ids, timeout,
                                         notebook_timeout, box, scratch, setup_timeout, key)
            multiprocessing.connection.wait([w.receive for w in running.values()]
                                            + [w.process.sentinel for w in running.values()], timeout=1.0)
            for index, worker in list(running.items()):
                result = worker.poll(limit)
                if result is not None:
                    del running[index]
                    results[index] = result
                    changed = poolkit_digest() != before
                    if changed:
                        result.status = "tampering"
                        result.notes.insert(0, "poolkit's own files changed while this notebook was graded "
                                               "(or one graded at the same time).")
                    if on_result is not None:
                        on_result(result)
                    if changed:
                        raise PoolkitChanged(f"poolkit's files changed while {result.student} was graded "
                                             f"(with {', '.join(w.student for w in running.values()) or 'no other'})"
                                             ": reinstall poolkit and grade again, in the sandbox")
    finally:
        for worker in running.values():
            worker.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return results


class PoolkitChanged(RuntimeError):
    """poolkit's files are not what they were when grading started."""


def poolkit_digest() -> str:
    """One SHA-256 of every file of poolkit's package (names and contents; byte code aside)."""
    import hashlib

    from .sandbox import package_dir

    digest = hashlib.sha256()
    root = Path(package_dir())
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _process_context():
    """Workers fork from a server that has imported the grader once (nbformat alone takes
    seconds to import); where there is no fork server, each worker starts afresh."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["poolkit.course.gradebook", "nbformat", "nbclient", "jupyter_client.manager",
                                    "ipykernel.kernelspec"])
    return context


class _Worker:
    """A process grading one submission (:func:`_work`), watched from :func:`grade_all`."""

    def __init__(self, context, path, student, exercise_ids, timeout, notebook_timeout, sandbox=None,
                 scratch=None, setup_timeout=SETUP_TIMEOUT, key=None):
        self.path, self.student, self.exercise_ids = path, student, list(exercise_ids)
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_work, daemon=True, args=(
            path, student, self.exercise_ids, timeout, notebook_timeout, sandbox, scratch, setup_timeout, key,
            send))
        self.process.start()
        send.close()
        self.started = time.monotonic()
        self.kernel_pid: int | None = None
        self.result: SubmissionResult | None = None
        self.result_at = 0.0

    def poll(self, limit: float) -> SubmissionResult | None:
        """The result once the worker is done (or has been stopped), else None."""
        try:
            while self.receive.poll():
                kind, value = self.receive.recv()
                if kind == "kernel":
                    self.kernel_pid = value
                else:
                    self.result, self.result_at = value, time.monotonic()
        except Exception:  # closed (the worker ended), or cut off mid-message (it was killed)
            pass
        now = time.monotonic()
        if self.process.is_alive():
            if self.result is not None and now - self.result_at > RECOVERY:
                self.stop()  # done, but stuck on its way out
            elif self.result is None and now - self.started > limit:
                self.stop()
                return self._failed("grader stopped", f"its grading took longer than {limit:g} s")
            else:
                return None
        self.process.join()
        if self.result is not None:
            return self.result
        _kill_group(self.kernel_pid)
        return self._failed("grader crashed", "the process grading it ended without a result "
                                              f"(exit code {self.process.exitcode})")

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        _kill_group(self.kernel_pid)

    def _failed(self, status: str, why: str) -> SubmissionResult:
        return SubmissionResult.failed(self.student, self.path, self.exercise_ids, status, why,
                                       time.monotonic() - self.started)


def _kill_group(pid: int | None) -> None:
    """Kill a kernel left behind (it runs in its own process group), if it still runs."""
    if pid and hasattr(os, "killpg"):
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _work(path, student, exercise_ids, timeout, notebook_timeout, sandbox, scratch, setup_timeout, key,
          send) -> None:
    """In a worker process: grade one submission, send ``("kernel", pid)`` then ``("result", ...)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if scratch:
        import tempfile

        tempfile.tempdir = scratch
    start = time.monotonic()
    try:
        result = grade_submission(path, exercise_ids, student=student, timeout=timeout,
                                  notebook_timeout=notebook_timeout, sandbox=sandbox, setup_timeout=setup_timeout,
                                  key=key,
                                  on_kernel=lambda pid: send.send(("kernel", pid)))
    except Exception as err:  # a bug of the grader's, or a kernel that would not start
        result = SubmissionResult.failed(student, path, exercise_ids, "grader error",
                                         f"the grader failed: {type(err).__name__}: {err}",
                                         time.monotonic() - start)
    send.send(("result", result))


# ---------------------------------------------------------------- reports and exports
def identical(results: Sequence[SubmissionResult]) -> list[dict]:
    """Groups of two or more students whose submissions are the same file (SHA-256), or
    define the same source for every exercise's function (comments and blank lines aside)."""
    groups = []
    for kind, key in (("same file", lambda r: r.sha256),
                      ("same functions", lambda r: r.functions_digest)):
        by: dict = {}
        for r in results:
            if key(r):
                by.setdefault(key(r), []).append(r.student)
        groups += [{"kind": kind, "students": sorted(s)} for s in by.values() if len(s) > 1]
    return groups


def report(result: SubmissionResult) -> str:
    """The feedback on one submission: notes, then each exercise's score and check report."""
    lines = [f"== {result.student} ({result.path}): {result.total:.2f} of {result.max_score} =="]
    lines += [textwrap.fill(f"Note: {note}", width=72, subsequent_indent="  ", break_long_words=False)
              for note in result.notes]
    for score in result.exercises:
        lines.append(f"-- {score.exercise}: {score.score:.2f} ({score.n_passed} of {score.n_cases} cases)")
        lines += ["   " + line if line else "" for line in score.message.splitlines()]
    return "\n".join(lines)


def score_table(results: Sequence[SubmissionResult], exercise_ids: Sequence[str]) -> str:
    """One row per submission: the score of each exercise, the total and the status."""
    header = ["student", *exercise_ids, "total", "status"]
    rows = [[r.student, *(f"{_score(r, i):.2f}" for i in exercise_ids), f"{r.total:.2f}", r.status]
            for r in results]
    widths = [max(len(str(row[k])) for row in [header] + rows) for k in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip()
                     for row in [header] + rows)


def _score(result: SubmissionResult, exercise_id: str) -> float:
    return next((e.score for e in result.exercises if e.exercise == exercise_id), 0.0)


def write_csv(results: Sequence[SubmissionResult], exercise_ids: Sequence[str], path, assignment=None) -> None:
    """A gradebook sheet: ``student``, one column per exercise (0 to 1), ``total``, ``max``, ``status``;
    with an :class:`~poolkit.course.assignment.Assignment`, also ``points`` and ``max_points`` (import
    ``points`` into Canvas or Moodle, matching ``student`` to the LMS's login or id column)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        extra = ["points", "max_points"] if assignment is not None else []
        writer.writerow(["student", *exercise_ids, "total", "max", "status", *extra])
        for r in results:
            row = [r.student, *(_score(r, i) for i in exercise_ids), r.total, len(exercise_ids), r.status]
            if assignment is not None:
                row += [round(sum(_score(r, i) * assignment.points_of(i) for i in exercise_ids), 4),
                        assignment.max_points]
            writer.writerow(row)


def read_roster(path) -> list[str]:
    """Student ids: the first column of a text or CSV file (a header named id, student, login,
    username or email is skipped), without blanks or repeats."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        ids = [row[0].strip() for row in csv.reader(f) if row and row[0].strip()]
    if ids and ids[0].lower() in ("id", "student", "students", "login", "username", "email", "sis user id"):
        ids = ids[1:]
    return list(dict.fromkeys(ids))


def write_json(results: Sequence[SubmissionResult], exercise_ids: Sequence[str], path, **settings) -> None:
    """Everything: the grader's version, when, the settings, the exercises, each submission's
    result with its reports, and the groups of identical submissions (same file, or the same
    source for every graded function)."""
    import datetime

    data = {"grader": grader_version(),
            "graded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "exercises": list(exercise_ids), **settings, "identical": identical(results),
            "submissions": [r.to_dict() for r in results]}
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
