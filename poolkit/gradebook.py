"""Grading a class: many submissions in parallel, and the results for a gradebook.

:func:`grade_all` grades each submission with :func:`poolkit.grading.grade_submission`
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
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Sequence

from .checks import EXERCISES, list_exercises
from .grading import (NOTEBOOK_TIMEOUT, RECOVERY, TIMEOUT, SubmissionResult, grade_submission,
                      read_submission)
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


def student_ids(paths: Sequence[Path]) -> List[str]:
    """Each submission's student id: its file name without ``.ipynb``. Ids must be unique."""
    ids = [Path(p).stem for p in paths]
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    if twice:
        raise ValueError(f"two submissions have the same file name, so the same student id: {', '.join(twice)}")
    return ids


def exercises_to_grade(paths: Iterable, chapters: Sequence[int] = ()) -> List[str]:
    """The exercise ids every submission is graded on.

    All exercises of ``chapters`` if given; otherwise all exercises of every chapter some
    submission's check cells refer to (so deleting a check cell does not drop an exercise).
    """
    if chapters:
        ids = [i for c in chapters for i in list_exercises(c)]
        if not ids:
            raise ValueError(f"no exercises are registered for chapter(s) {', '.join(map(str, chapters))}")
        return ids
    found = set()
    for path in paths:
        raw, _, _ = read_submission(Path(path))
        if raw is not None:
            found |= {EXERCISES[i].chapter for i in check_ids(raw) if i in EXERCISES}
    if not found:
        raise ValueError("no submission has a check cell of a known exercise: say which chapter to grade")
    return [i for c in sorted(found) for i in list_exercises(c)]


# ---------------------------------------------------------------- grading in parallel
def grade_all(paths: Sequence, exercise_ids: Sequence[str], *, jobs: Optional[int] = None,
              timeout: float = TIMEOUT, notebook_timeout: float = NOTEBOOK_TIMEOUT,
              on_result: Optional[Callable[[SubmissionResult], None]] = None) -> List[SubmissionResult]:
    """Grade every submission, ``jobs`` at a time (default: the usable CPU cores), each in
    its own worker process; results in the order of ``paths``, ``on_result`` told of each as
    it finishes. A worker that dies or overruns its time gets a result that says so."""
    paths = [Path(p) for p in paths]
    names = student_ids(paths)
    jobs = max(1, jobs or default_jobs())
    limit = notebook_timeout + len(exercise_ids) * (timeout + 2 * RECOVERY) + STARTUP
    context = _process_context()
    waiting = list(range(len(paths)))
    running: dict = {}  # index -> _Worker
    results: List[Optional[SubmissionResult]] = [None] * len(paths)
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                index = waiting.pop(0)
                running[index] = _Worker(context, paths[index], names[index], exercise_ids, timeout,
                                         notebook_timeout)
            multiprocessing.connection.wait([w.receive for w in running.values()]
                                            + [w.process.sentinel for w in running.values()], timeout=1.0)
            for index, worker in list(running.items()):
                result = worker.poll(limit)
                if result is not None:
                    del running[index]
                    results[index] = result
                    if on_result is not None:
                        on_result(result)
    finally:
        for worker in running.values():
            worker.stop()
    return results


def _process_context():
    """Workers fork from a server that has imported the grader once (nbformat alone takes
    seconds to import); where there is no fork server, each worker starts afresh."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["poolkit.gradebook", "nbformat", "nbclient", "jupyter_client.manager",
                                    "ipykernel.kernelspec"])
    return context


class _Worker:
    """A process grading one submission (:func:`_work`), watched from :func:`grade_all`."""

    def __init__(self, context, path, student, exercise_ids, timeout, notebook_timeout):
        self.path, self.student, self.exercise_ids = path, student, list(exercise_ids)
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=_work, daemon=True, args=(
            path, student, self.exercise_ids, timeout, notebook_timeout, send))
        self.process.start()
        send.close()
        self.started = time.monotonic()
        self.kernel_pid: Optional[int] = None
        self.result: Optional[SubmissionResult] = None
        self.result_at = 0.0

    def poll(self, limit: float) -> Optional[SubmissionResult]:
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


def _kill_group(pid: Optional[int]) -> None:
    """Kill a kernel left behind (it runs in its own process group), if it still runs."""
    if pid and hasattr(os, "killpg"):
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _work(path, student, exercise_ids, timeout, notebook_timeout, send) -> None:
    """In a worker process: grade one submission, send ``("kernel", pid)`` then ``("result", ...)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    start = time.monotonic()
    try:
        result = grade_submission(path, exercise_ids, student=student, timeout=timeout,
                                  notebook_timeout=notebook_timeout, on_kernel=lambda pid: send.send(("kernel", pid)))
    except Exception as err:  # a bug of the grader's, or a kernel that would not start
        result = SubmissionResult.failed(student, path, exercise_ids, "grader error",
                                         f"the grader failed: {type(err).__name__}: {err}",
                                         time.monotonic() - start)
    send.send(("result", result))


# ---------------------------------------------------------------- reports and exports
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


def write_csv(results: Sequence[SubmissionResult], exercise_ids: Sequence[str], path) -> None:
    """A gradebook sheet: ``student``, one column per exercise (0 to 1), ``total``, ``max``, ``status``."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *exercise_ids, "total", "max", "status"])
        for r in results:
            writer.writerow([r.student, *(_score(r, i) for i in exercise_ids), r.total, len(exercise_ids), r.status])


def write_json(results: Sequence[SubmissionResult], exercise_ids: Sequence[str], path, **settings) -> None:
    """Everything: the settings, the exercises, and each submission's result with its reports."""
    data = {"exercises": list(exercise_ids), **settings, "submissions": [r.to_dict() for r in results]}
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
