"""``poolkit`` on the command line: the instructors' tools.

    poolkit student-edition OUTDIR [CHAPTER.ipynb ...] [--with-solutions]
        Write each chapter without its solutions, in plain Markdown, into OUTDIR
        (default chapters: chapters/*.ipynb); --with-solutions keeps them under a
        "Solution" heading (the notebooks for Colab and Binder). See :mod:`poolkit.student`.

    poolkit grade SUBMISSION... [--chapter N] [--timeout S] [--notebook-timeout S]
                  [--jobs N] [--json FILE] [--csv FILE] [--feedback DIR] [--quiet]
        Run each submitted notebook in a fresh kernel and grade its exercises with the
        checks the learners ran. See :mod:`poolkit.grading` and :mod:`poolkit.gradebook`.

Also ``python -m poolkit``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="poolkit", description="Instructors' tools for the course's exercises.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    edition = commands.add_parser("student-edition", help="write the chapters without their solutions",
                                  description="Write each chapter notebook without its solutions: stubs, "
                                              "check cells and the narrative stay, outputs that could show "
                                              "an answer are cleared, and the MyST Markdown becomes plain "
                                              "Markdown that any Jupyter shows as intended.")
    edition.add_argument("outdir", type=Path, metavar="OUTDIR")
    edition.add_argument("chapters", nargs="*", type=Path, metavar="CHAPTER",
                         help="chapter notebooks (default: chapters/*.ipynb)")
    edition.add_argument("--with-solutions", action="store_true",
                         help="keep the solutions, under a 'Solution to Exercise N.M' heading, and every "
                              "stored output (the plain notebooks for Colab and Binder)")

    from .gradebook import default_jobs
    from .grading import NOTEBOOK_TIMEOUT, TIMEOUT

    grade = commands.add_parser("grade", help="grade submitted notebooks",
                                description="Run each submitted notebook in a fresh kernel, top to bottom, "
                                            "and grade every exercise of its chapter with poolkit's checks. "
                                            "Submissions are never modified.")
    grade.add_argument("submissions", nargs="+", type=Path, metavar="SUBMISSION",
                       help="notebooks, or folders of them (*.ipynb); the student id is the file name")
    grade.add_argument("--chapter", type=int, action="append", default=[], metavar="N",
                       help="grade the exercises of chapter N (repeatable; default: the chapters the "
                            "submissions' check cells belong to)")
    grade.add_argument("--timeout", type=float, default=TIMEOUT, metavar="S",
                       help=f"seconds for one cell, and for all cases of one exercise (default {TIMEOUT})")
    grade.add_argument("--notebook-timeout", type=float, default=NOTEBOOK_TIMEOUT, metavar="S",
                       help=f"seconds for running all cells of one notebook (default {NOTEBOOK_TIMEOUT})")
    grade.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                       help="submissions graded at once (default: the CPU cores, here %(default)s)")
    grade.add_argument("--json", type=Path, metavar="FILE", help="write every result and report as JSON")
    grade.add_argument("--csv", type=Path, metavar="FILE",
                       help="write a gradebook: one row per student, one column per exercise, the total")
    grade.add_argument("--feedback", type=Path, metavar="DIR",
                       help="write each student's report to DIR/<student>.txt")
    grade.add_argument("--quiet", action="store_true",
                       help="print progress and the score table, not every report")

    args = parser.parse_args(argv)
    try:
        if args.command == "student-edition":
            return _student_edition(args)
        return _grade(args, grade)
    except ValueError as err:
        print(f"poolkit {args.command}: error: {err}", file=sys.stderr)
        return 2


def _student_edition(args) -> int:
    from .student import write_student_editions

    chapters = args.chapters or sorted(Path("chapters").glob("*.ipynb"))
    if not chapters:
        raise ValueError("no chapter notebooks given, and none in ./chapters")
    write_student_editions(args.outdir, chapters, with_solutions=args.with_solutions)
    return 0


def _grade(args, parser) -> int:
    from . import gradebook
    from .checks import EXERCISES

    for name in ("timeout", "notebook_timeout"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    paths = []
    for path in args.submissions:
        if path.is_dir():
            paths += sorted(path.glob("*.ipynb"))
        elif path.is_file():
            paths.append(path)
        else:
            raise ValueError(f"{path}: no such file or folder")
    if not paths:
        raise ValueError("no submissions (*.ipynb) found")
    gradebook.student_ids(paths)  # unique, before any work
    exercise_ids = gradebook.exercises_to_grade(paths, args.chapter)
    jobs = min(args.jobs, len(paths))
    chapters = sorted({EXERCISES[i].chapter for i in exercise_ids})
    if len(chapters) > 1 and not args.chapter:
        print(f"Note: the submissions' check cells belong to chapters {', '.join(map(str, chapters))}: each "
              "submission is graded on all their exercises (--chapter N grades one chapter).")
    print(f"Grading {len(paths)} submission{'s' * (len(paths) != 1)} on {len(exercise_ids)} exercises "
          f"({', '.join(exercise_ids)}), {jobs} at a time; at most {args.timeout:g} s per cell or exercise, "
          f"{args.notebook_timeout:g} s per notebook.", flush=True)

    width, done = len(str(len(paths))), []

    def progress(result):
        done.append(result)
        status = "" if result.status == "ok" else f"  [{result.status}]"
        print(f"[{len(done):>{width}}/{len(paths)}] {result.student}: {result.total:.2f} of "
              f"{result.max_score} in {result.seconds:.1f} s{status}", flush=True)

    results = gradebook.grade_all(paths, exercise_ids, jobs=jobs, timeout=args.timeout,
                                  notebook_timeout=args.notebook_timeout, on_result=progress)
    if not args.quiet:
        for result in results:
            print("\n" + gradebook.report(result))
    print("\n" + gradebook.score_table(results, exercise_ids))
    if args.feedback:
        args.feedback.mkdir(parents=True, exist_ok=True)
        for result in results:
            (args.feedback / f"{result.student}.txt").write_text(gradebook.report(result) + "\n", encoding="utf-8")
        print(f"Reports: {args.feedback}/<student>.txt")
    if args.csv:
        gradebook.write_csv(results, exercise_ids, args.csv)
        print(f"Gradebook: {args.csv}")
    if args.json:
        gradebook.write_json(results, exercise_ids, args.json, timeout=args.timeout,
                             notebook_timeout=args.notebook_timeout)
        print(f"Results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
