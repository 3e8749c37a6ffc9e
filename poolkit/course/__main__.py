"""``poolkit`` on the command line: the instructors' tools.

    poolkit student-edition OUTDIR [CHAPTER.ipynb ...] [--with-solutions]
        Write each chapter without its solutions, in plain Markdown, into OUTDIR
        (default chapters: chapters/*.ipynb); --with-solutions keeps them under a
        "Solution" heading (the notebooks for Colab and Binder). See :mod:`poolkit.course.student`.

    poolkit grade SUBMISSION... [--chapter N] [--timeout S] [--notebook-timeout S]
                  [--jobs N] [--json FILE] [--csv FILE] [--feedback DIR] [--quiet]
                  [--memory SIZE] [--processes N] [--unsafe] [--resume]
        Run each submitted notebook in a fresh kernel, in a sandbox of its own
        (:mod:`poolkit.course.sandbox`), and grade its exercises with the checks the learners
        ran. Also --setup-timeout, --assignment FILE.toml, --key FILE, --roster FILE.
        See :mod:`poolkit.course.grading` and :mod:`poolkit.course.gradebook`.

    poolkit keygen KEYFILE [--force]
        Write an instructor's key: hidden cases no student can compute (:mod:`poolkit.course.keys`).

    poolkit gradescope OUT.zip (--assignment FILE.toml | --chapter N) [--key KEYFILE]
        Build a Gradescope autograder zip (:mod:`poolkit.course.gradescope`).

Also ``python -m poolkit.course``.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
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
    from .grading import NOTEBOOK_TIMEOUT, SETUP_TIMEOUT, TIMEOUT

    grade = commands.add_parser("grade", help="grade submitted notebooks",
                                description="Run each submitted notebook in a fresh kernel, top to bottom, "
                                            "and grade every exercise of its chapter with poolkit's checks. "
                                            "Submissions are never modified.")
    grade.add_argument("submissions", nargs="+", type=Path, metavar="SUBMISSION",
                       help="notebooks, or folders of them, searched recursively (*.ipynb); the student id "
                            "is the file name, or the folder's name for DIR/<student>/<any>.ipynb")
    grade.add_argument("--chapter", type=int, action="append", default=[], metavar="N",
                       help="grade the exercises of chapter N (repeatable; default: the chapters the "
                            "submissions' check cells belong to)")
    grade.add_argument("--timeout", type=float, default=TIMEOUT, metavar="S",
                       help=f"seconds for one cell, and for all cases of one exercise (default {TIMEOUT})")
    grade.add_argument("--setup-timeout", type=float, default=SETUP_TIMEOUT, metavar="S",
                       help="seconds for one set-up cell, before the first exercise: imports, data "
                            f"(default {SETUP_TIMEOUT})")
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
    from .sandbox import MEMORY, PROCESSES

    grade.add_argument("--memory", default=f"{MEMORY >> 20}M", metavar="SIZE",
                       help="memory (heap and private mappings) of each process in the sandbox (default %(default)s)")
    grade.add_argument("--processes", type=int, default=PROCESSES, metavar="N",
                       help="processes and threads of one submission's sandbox (default %(default)s)")
    grade.add_argument("--unsafe", action="store_true",
                       help="where no sandbox can be made, run the notebooks with the grader's rights "
                            "(only for notebooks you trust)")
    grade.add_argument("--resume", action="store_true",
                       help="with --json FILE from an interrupted run: keep its results for submissions "
                            "whose SHA-256 and grader version are the same, grade the rest")

    grade.add_argument("--assignment", type=Path, metavar="FILE.toml",
                       help="the chapter, each exercise's points (CSV: points, max_points); "
                            "see poolkit/course/assignment.py")
    grade.add_argument("--roster", type=Path, metavar="FILE",
                       help="the class: a text or CSV file whose first column is the student ids; students "
                            "without a submission get a row with status 'missing'")
    grade.add_argument("--key", type=Path, metavar="FILE",
                       help="the instructor's key (poolkit keygen): hidden cases no student can compute")
    keygen = commands.add_parser("keygen", help="write an instructor's key for poolkit grade --key",
                                 description="Write a key file holding a random secret: poolkit grade --key FILE "
                                             "draws every exercise's hidden cases from it, so no student's "
                                             "poolkit can compute them. Keep it private and out of the course's "
                                             "repository; keep it for the course (a new key, new cases).")
    keygen.add_argument("keyfile", type=Path, metavar="FILE")
    keygen.add_argument("--force", action="store_true", help="replace an existing key file")
    scope = commands.add_parser("gradescope", help="build a Gradescope autograder zip",
                                description="Write the zip for Gradescope's autograder settings: setup.sh, "
                                            "run_autograder, this poolkit, the assignment and (with --key) the "
                                            "key. Keep it private: it holds the key. See poolkit/course/gradescope.py.")
    scope.add_argument("zip", type=Path, metavar="OUT.zip")
    scope.add_argument("--assignment", type=Path, metavar="FILE.toml", help="points, visibility, late penalty")
    scope.add_argument("--chapter", type=int, metavar="N", help="without --assignment: every exercise of "
                                                               "chapter N, one point each")
    scope.add_argument("--key", type=Path, metavar="FILE", help="the instructor's key (poolkit keygen)")

    args = parser.parse_args(argv)
    try:
        if args.command == "student-edition":
            return _student_edition(args)
        if args.command == "gradescope":
            return _gradescope(args)
        if args.command == "keygen":
            from .keys import keygen as make_key

            key = make_key(args.keyfile, force=args.force)
            print(f"Key {key.fingerprint} written to {args.keyfile} (readable by you only). Grade with "
                  f"poolkit grade --key {args.keyfile} ...")
            return 0
        return _grade(args, grade)
    except ValueError as err:
        print(f"poolkit {args.command}: error: {err}", file=sys.stderr)
        return 2


def _gradescope(args) -> int:
    from .assignment import Assignment, load_assignment
    from .gradescope import build_zip
    from .keys import load

    if args.assignment:
        assignment = load_assignment(args.assignment)
    elif args.chapter:
        assignment = Assignment([args.chapter])
        if not assignment.exercise_ids:
            raise ValueError(f"no exercises are registered for chapter {args.chapter}")
    else:
        raise ValueError("say what to grade: --assignment FILE.toml or --chapter N")
    if args.key:
        load(args.key)  # a key file, or a clear error
    build_zip(args.zip, assignment, args.key)
    print(f"Autograder: {args.zip} ({len(assignment.exercise_ids)} exercises, {assignment.max_points:g} points"
          + (", with the key: keep it private)" if args.key else "; no --key: the public hidden cases)"))
    return 0


def _student_edition(args) -> int:
    from .student import write_student_editions

    chapters = args.chapters or sorted(Path("chapters").glob("*.ipynb"))
    if not chapters:
        raise ValueError("no chapter notebooks given, and none in ./chapters")
    write_student_editions(args.outdir, chapters, with_solutions=args.with_solutions)
    return 0


def _grade(args, parser) -> int:
    from . import gradebook
    from .checks import registry

    for name in ("timeout", "notebook_timeout", "setup_timeout"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    from .keys import load
    from .sandbox import available, parse_size

    memory = parse_size(args.memory)
    key = load(args.key) if args.key else None
    if args.processes < 8:
        parser.error("--processes must be at least 8 (a kernel runs several threads)")
    found = gradebook.discover(args.submissions)
    paths, names = [p for p, _ in found], [n for _, n in found]
    gradebook.student_ids(paths, names)  # unique, before any work
    assignment = None
    if args.assignment:
        from .assignment import load_assignment

        assignment = load_assignment(args.assignment)
        exercise_ids = assignment.exercise_ids
    else:
        exercise_ids = gradebook.exercises_to_grade(paths, args.chapter)
    roster = gradebook.read_roster(args.roster) if args.roster else None
    if roster is not None:
        unknown = sorted(set(names) - set(roster))
        if unknown:
            print(f"Note: not on the roster: {', '.join(unknown)} (graded anyway)")
    sandboxed, why = available()
    if not sandboxed and not args.unsafe:
        raise ValueError(f"no sandbox for the notebooks' code: {why}. Without one, a notebook can change "
                         "poolkit, other submissions and other kernels. Grade as root on Linux with bubblewrap "
                         "installed, or pass --unsafe to run the notebooks with your rights anyway.")
    if not sandboxed:
        print(f"Warning: --unsafe: the notebooks run with your rights, outside any sandbox ({why}).",
              file=sys.stderr)
    chapters = sorted({registry()[i].chapter for i in exercise_ids})
    if len(chapters) > 1 and not args.chapter:
        print(f"Note: the submissions' check cells belong to chapters {', '.join(map(str, chapters))}: each "
              "submission is graded on all their exercises (--chapter N grades one chapter).")
    previous = gradebook.previous_results(args.json, exercise_ids, key) if args.resume and args.json else {}
    if key is None:
        print("Note: no --key: the hidden cases are the ones every student's poolkit draws "
              "(poolkit keygen writes a key that makes them the instructor's own).")
    kept, todo = [], []
    for path, name in found:
        old = previous.get(gradebook.file_digest(path))
        if old is not None:
            old.student, old.path = name, str(path)
            kept.append(old)
        else:
            todo.append((path, name))
    if args.resume:
        print(f"Resuming: {len(kept)} submission{'s' * (len(kept) != 1)} already graded by this grader "
              f"version in {args.json}, {len(todo)} to grade.")
    jobs = max(1, min(args.jobs, len(todo)))
    print(f"Grading {len(todo)} submission{'s' * (len(todo) != 1)} on {len(exercise_ids)} exercises "
          f"({', '.join(exercise_ids)}), {jobs} at a time; at most {args.timeout:g} s per cell or exercise, "
          f"{args.notebook_timeout:g} s per notebook; "
          + (f"each in a sandbox ({memory >> 20} MiB, {args.processes} processes)." if sandboxed
             else "NOT sandboxed (--unsafe)."), flush=True)

    width, done = len(str(len(todo))), []

    def progress(result):
        done.append(result)
        status = "" if result.status == "ok" else f"  [{result.status}]"
        print(f"[{len(done):>{width}}/{len(todo)}] {result.student}: {result.total:.2f} of "
              f"{result.max_score} in {result.seconds:.1f} s{status}", flush=True)

    def order(results):
        rank = {str(p): i for i, p in enumerate(paths)}
        return sorted(results, key=lambda r: rank.get(r.path, len(rank)))

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        gradebook.grade_all([p for p, _ in todo], exercise_ids, jobs=jobs, timeout=args.timeout,
                            notebook_timeout=args.notebook_timeout, on_result=progress,
                            students=[n for _, n in todo], setup_timeout=args.setup_timeout, key=key,
                            sandbox={"memory": memory, "processes": args.processes} if sandboxed else None)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print(f"\nInterrupted: {len(done)} of {len(todo)} submissions graded; their results are written, "
              "every worker and kernel is stopped (--resume grades the rest).", file=sys.stderr, flush=True)
        _write(args, order(kept + done), exercise_ids, sandboxed, assignment)
        return 130
    except gradebook.PoolkitChanged as err:
        print(f"poolkit grade: stopped: {err}", file=sys.stderr)
        _write(args, order(kept + done), exercise_ids, sandboxed, assignment)
        return 3
    results = order(kept + done)
    if roster is not None:
        from .grading import SubmissionResult

        graded = {r.student for r in results}
        results += [SubmissionResult.failed(s, "", exercise_ids, "missing", "no submission from this student")
                    for s in roster if s not in graded]
    return _write(args, results, exercise_ids, sandboxed, assignment)


def _write(args, results, exercise_ids, sandboxed: bool = False, assignment=None) -> int:
    from . import gradebook
    from .keys import load
    from .sandbox import parse_size

    for group in gradebook.identical(results):
        print(f"Note: identical submissions ({group['kind']}): {', '.join(group['students'])}")
        for result in results:
            if result.student in group["students"]:
                others = ", ".join(s for s in group["students"] if s != result.student)
                result.notes.append(f"Identical to {others}'s submission ({group['kind']}).")
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
        gradebook.write_csv(results, exercise_ids, args.csv, assignment)
        print(f"Gradebook: {args.csv}")
    if args.json:
        gradebook.write_json(results, exercise_ids, args.json, timeout=args.timeout, setup_timeout=args.setup_timeout,
                             notebook_timeout=args.notebook_timeout, sandbox=sandboxed,
                             key=load(args.key).fingerprint if args.key else None,
                             memory=parse_size(args.memory) if sandboxed else None,
                             processes=args.processes if sandboxed else None)
        print(f"Results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
