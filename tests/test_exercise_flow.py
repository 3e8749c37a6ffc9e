"""Every chapter's exercises as a learner meets them (issue 12): nothing passes unwritten,
and every solution passes the check the learner runs.

For each chapter, one kernel runs the student edition (poolkit/course/student.py: the solutions
removed) top to bottom, stubs untouched:

(a) no cell fails (except those tagged ``raises-exception``), no output anywhere shows a
    pass (✅), and each exercise's check, after its untouched stub, reports "not written
    yet" (📝);
(b) right after each exercise's checks, the same kernel runs the exercise's solution (the
    first code cell after its ``solution-start``) in place of the stub, then the same
    check cells again: each must pass. The namespace is then put back as it was before
    the solution (names it added are deleted, names it rebound restored), so the rest of
    the chapter runs on, as in (a), with the learner's untouched stub: a later cell that
    needs an exercise's function fails (a).

Stubs and solutions are found from the notebook's structure (:func:`poolkit.course.student.exercise_blocks`):
the stub is the first code cell after ``exercise-start`` with label L, the checks the
code cells after it up to ``exercise-end``, the solution the first code cell after
``solution-start L``.

Cost: one run of each chapter, not two. (a) and (b) share the kernel, which is sound
because the namespace is restored after each solution; timing cells (``%timeit``) run
their statement once (``-n 1 -r 1``), since their numbers are not what is tested here.
Chapters run in FLOW_JOBS kernels at once (default 2), all from this one process.
Select these tests with ``-m exercise_flow`` (or deselect with ``-m "not exercise_flow"``);
run one chapter with ``python tests/test_exercise_flow.py chapters/01_pooling_by_hand.ipynb``.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("PYTHONHASHSEED", "0")

import nbformat  # noqa: E402
import pytest  # noqa: E402
from nbformat.v4 import new_code_cell  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from poolkit.course.student import CHECK_CALL, exercise_blocks, student_edition  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
PASS, FAIL, NOT_WRITTEN = "\u2705", "\u274c", "\U0001f4dd"
CELL_TIMEOUT = 600  # seconds, as tools/run_notebooks.py allows a cell
JOBS = max(1, int(os.environ.get("FLOW_JOBS", "2")))

pytestmark = [pytest.mark.exercise_flow, pytest.mark.xdist_group("exercise_flow")]

SAVE = "__flow_saved = dict(globals())"
RESTORE = """\
def __flow_restore(saved=globals().pop("__flow_saved")):
    namespace = globals()
    for name in [name for name in namespace if name not in saved]:
        del namespace[name]
    namespace.update(saved)
__flow_restore()
"""
TIMEIT = re.compile(r"^(?P<head>.*?%%?timeit)(?P<options>(?:\s+-[a-z](?:\s*\d+(?:\.\d+)?)?)*)", re.MULTILINE)


def quick_timings(source: str) -> str:
    """``%timeit``/``%%timeit`` run their statement once: ``-n 1 -r 1`` replaces their ``-n``/``-r``."""
    def once(m):
        options = re.sub(r"\s+-[nr]\s*\d+", "", m.group("options"))
        return f"{m.group('head')} -n 1 -r 1{options}"
    return TIMEIT.sub(once, source)


@dataclass
class Flow:
    """What one chapter's run found: ``problems`` (empty when all holds) and its time."""

    path: str
    exercises: int = 0
    checks_run: int = 0
    problems: list = field(default_factory=list)
    seconds: float = 0.0


def _text(cell) -> str:
    """Everything a cell printed or returned, as text (errors included)."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(output.get("data", {}).get("text/plain", "")))
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
    return "".join(parts)


def _error(cell):
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


async def run_flow(path, nb=None) -> Flow:
    """Run (a) and (b) on one chapter notebook (see the module docstring)."""
    from nbclient import NotebookClient

    from poolkit.course.grading import kernel_manager_class

    path = Path(path)
    nb = nb if nb is not None else nbformat.read(path, as_version=4)
    flow = Flow(str(path))
    started = time.perf_counter()
    blocks = exercise_blocks(nb)
    flow.exercises = len(blocks)
    for block in blocks:
        if block.stub is None:
            flow.problems.append(f"exercise {block.label}: no stub (code cell) after exercise-start")
        elif not block.checks:
            flow.problems.append(f"exercise {block.label}: no check cell between the stub and exercise-end")
        if block.solution is None:
            flow.problems.append(f"exercise {block.label}: no solution (code cell after solution-start "
                                 f"{block.label})")
    ids = {cell.get("id"): index for index, cell in enumerate(nb.cells)}
    edition = student_edition(nb)
    for cell in edition.cells:
        if cell.cell_type == "code":
            cell.source = quick_timings(cell.source)
    # The step (b) of each exercise runs after the last of its cells present in the edition.
    after = {}
    for block in blocks:
        last = ([block.stub] if block.stub is not None else []) + block.checks
        if last and block.solution is not None:
            after[nb.cells[last[-1]].get("id")] = block

    client = NotebookClient(edition, timeout=CELL_TIMEOUT, allow_errors=True, kernel_name="python3",
                            kernel_manager_class=kernel_manager_class(),
                            resources={"metadata": {"path": str(path.parent)}})

    async def run(source, index, store_history=False):
        cell = new_code_cell(source)
        await client.async_execute_cell(cell, index, store_history=store_history)
        return cell

    async with client.async_setup_kernel():
        for index, cell in enumerate(edition.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            await client.async_execute_cell(cell, index)
            where = f"cell {ids.get(cell.get('id'), '?')}"
            text, error = _text(cell), _error(cell)
            if error and "raises-exception" not in cell.metadata.get("tags", []):
                flow.problems.append(f"(a) {where} fails with the stubs untouched: "
                                     f"{error.get('ename')}: {_short(str(error.get('evalue')))}\n"
                                     f"      {_short(cell.source, 100)}")
            if PASS in text:
                flow.problems.append(f"(a) {where} shows a pass with the stubs untouched: {_short(text)}")
            block = after.get(cell.get("id"))
            if block is None:
                continue
            checks = [c for c in edition.cells if c.get("id") in {nb.cells[i].get("id") for i in block.checks}]
            for check in checks:
                if NOT_WRITTEN not in _text(check):
                    flow.problems.append(f"(a) exercise {block.label}: the check after the untouched stub "
                                         f"does not say 'not written yet': {_short(_text(check))}")
            # (b): the solution in place of the stub, the same checks, then the namespace back.
            await run(SAVE, index)
            solved = await run(quick_timings(nb.cells[block.solution].source), index, store_history=True)
            if _error(solved):
                flow.problems.append(f"(b) exercise {block.label}: the solution fails: {_short(_text(solved))}")
            for check in checks:
                rerun = await run(check.source, index, store_history=True)
                flow.checks_run += 1
                text = _text(rerun)
                calls = len(CHECK_CALL.findall(check.source))
                if text.count(PASS) < calls or FAIL in text or NOT_WRITTEN in text or _error(rerun):
                    flow.problems.append(f"(b) exercise {block.label}: with the solution in place of the "
                                         f"stub, the check does not pass: {_short(text)}")
            restored = await run(RESTORE, index)
            if _error(restored):
                flow.problems.append(f"internal: restoring the namespace failed: {_short(_text(restored))}")
    flow.seconds = time.perf_counter() - started
    return flow


async def run_flows(paths, jobs: int = JOBS) -> dict:
    """:func:`run_flow` on each notebook, ``jobs`` kernels at a time: {path: Flow}."""
    limit = asyncio.Semaphore(jobs)

    async def one(path):
        async with limit:
            try:
                return await run_flow(path)
            except Exception as exc:  # a kernel that died, a timeout: that chapter's failure only
                return Flow(str(path), problems=[f"the run stopped: {type(exc).__name__}: {_short(str(exc))}"])

    flows = await asyncio.gather(*(one(p) for p in paths))
    return dict(zip(map(str, paths), flows))


# ---------------------------------------------------------------- the tests
@pytest.fixture(scope="session")
def flows(request):
    """The flows of every chapter this session selected, run together on first use."""
    selected = sorted({item.callspec.params["path"] for item in request.session.items
                       if getattr(item, "callspec", None) and "path" in item.callspec.params
                       and item.module.__name__ == __name__})
    started = time.perf_counter()
    results = asyncio.run(run_flows(selected or CHAPTERS))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        times = ", ".join(f"{Path(p).stem[:2]} {f.seconds:.0f} s" for p, f in results.items())
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nexercise flow: {len(results)} chapters in {time.perf_counter() - started:.0f} s "
                                f"with {JOBS} kernels at a time ({times})")
    return results


@pytest.mark.skipif(not CHAPTERS, reason="no chapters yet")
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercise_flow(flows, path, record_property):
    flow = flows[str(path)]
    record_property("seconds", round(flow.seconds, 1))
    assert flow.exercises, f"{path.name} has no exercise"
    assert not flow.problems, f"{path.name}:\n  " + "\n  ".join(flow.problems)
    assert flow.checks_run >= flow.exercises


def test_quick_timings():
    assert quick_timings("t = %timeit -c -o f(x)") == "t = %timeit -n 1 -r 1 -c -o f(x)"
    assert quick_timings("%timeit -n 100 -r7 f(x)\nprint(1)") == "%timeit -n 1 -r 1 f(x)\nprint(1)"
    assert quick_timings("%%timeit -o\nf(x)") == "%%timeit -n 1 -r 1 -o\nf(x)"
    assert quick_timings("%time f(x)") == "%time f(x)"


def test_flow_of_the_synthetic_chapter(tmp_path):
    """A chapter in the right layout passes; each way of breaking it is caught."""
    from synthetic_chapter import synthetic_chapter

    path = tmp_path / "01_synthetic.ipynb"
    good = synthetic_chapter()
    broken = synthetic_chapter()
    # The first exercise's solution moved before its check (the old layout): the check sits
    # after exercise-end, so the stub has no check; a later cell uses the exercise's function;
    # the second solution is wrong.
    cells = broken.cells
    cells.insert(9, cells.pop(8))  # check after exercise-end
    cells.append(new_code_cell("pool2d_min(X, (2, 2))"))
    next(c for c in cells if c.source == "predicted_shape = (2, 2)").source = "predicted_shape = (3, 3)"
    unwritten_pass = synthetic_chapter()
    next(c for c in unwritten_pass.cells if c.source.startswith("predicted_shape = ...")).source = \
        "predicted_shape = (2, 2)  # a stub that gives the answer away"

    async def both():
        return await asyncio.gather(run_flow(path, good), run_flow(path, broken), run_flow(path, unwritten_pass))

    good_flow, broken_flow, pass_flow = asyncio.run(both())
    assert good_flow.problems == [] and (good_flow.exercises, good_flow.checks_run) == (2, 2)
    problems = "\n".join(broken_flow.problems)
    assert "exercise ex-ch1-min-pool: no check cell between the stub and exercise-end" in problems
    assert "NotImplementedError" in problems and "fails with the stubs untouched" in problems
    assert "(b) exercise ex-ch1-shape: with the solution in place of the stub, the check does not pass" in problems
    problems = "\n".join(pass_flow.problems)
    assert "shows a pass with the stubs untouched" in problems and "does not say 'not written yet'" in problems


if __name__ == "__main__":  # python tests/test_exercise_flow.py CHAPTER.ipynb ...
    import resource

    started = time.perf_counter()
    results = asyncio.run(run_flows(sys.argv[1:] or CHAPTERS))
    for path, result in results.items():
        print(f"{path}: {result.exercises} exercises, {result.checks_run} checks re-run with the solutions, "
              f"{result.seconds:.1f} s: " + ("ok" if not result.problems else "\n  " + "\n  ".join(result.problems)))
    kernels = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{len(results)} chapters in {time.perf_counter() - started:.0f} s with {JOBS} kernels at a time; "
          f"the kernels used {kernels.ru_utime + kernels.ru_stime:.0f} CPU-seconds")
    sys.exit(any(r.problems for r in results.values()))
