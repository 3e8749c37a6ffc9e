"""The instructors' tools: student editions without solutions, and bulk grading.

Submissions are generated from chapter 1's notebook (or, without it, from a small
synthetic chapter with the same cell structure): the reference solutions, the student
edition's stubs, plausible wrong answers, and hostile notebooks (raising, looping,
printing megabytes, tampering with the checker, run out of order, killing their kernel
or their grader, too slow, empty, not JSON, not a notebook). Two `poolkit grade` runs,
started together, grade them: the full chapter and its student edition with generous
timeouts, everything else with short ones.
"""

from __future__ import annotations

import ast
import copy
import csv
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from poolkit.course import checks, remote
from poolkit.course.checks import evaluate, evaluate_runs, get_exercise, list_exercises
from poolkit.course.gradebook import student_ids
from poolkit.course.grading import KERNEL_STARTS, RECOVERY, RemoteFunction, _start_kernel, kernel_manager_class
from poolkit.course.student import check_ids, is_check_cell, solution_cells, student_edition
from poolkit.naive import pool2d

pytestmark = pytest.mark.xdist_group("grading")  # one worker, so the grading runs once

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "01_pooling_by_hand.ipynb"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
TIMEOUT, NOTEBOOK_TIMEOUT = 8, 30     # the short run's limits, in seconds
SETUP = 12                            # the short run's limit for a set-up cell (before the first exercise)
SLACK = 30                            # kernel start and clean-up on a loaded machine
LIGHT_IMPORTS = ("import numpy as np\nimport poolkit\nfrom poolkit.course.checks import check, get_exercise\n"
                 "from poolkit.naive import pool2d")


# ---------------------------------------------------------------- the chapter and its parts
def synthetic_chapter() -> nbformat.NotebookNode:
    """Chapter 1's exercises in the chapters' cell structure, solved by the reference."""
    cells = [new_markdown_cell("# Pooling by hand"), new_code_cell(LIGHT_IMPORTS), new_markdown_cell("## Exercises")]
    for exercise_id in list_exercises(1):
        ex = get_exercise(exercise_id)
        if isinstance(ex, checks.Prediction):   # the synthetic chapter has function exercises only
            continue
        label = f"ex-{ex.id}"
        cells += [
            new_markdown_cell(f"````{{exercise-start}} {ex.title}\n:label: {label}\n````\n\nWrite `{ex.signature}`."),
            new_code_cell(f"def {ex.signature}:\n    # your code here\n    raise NotImplementedError"),
            new_markdown_cell("````{exercise-end}\n````"),
            new_markdown_cell(f"````{{solution-start}} {label}\n:class: dropdown\n````"),
            new_code_cell(f"def {ex.signature}:\n    return get_exercise({ex.id!r}).reference({', '.join(ex.params)})"),
            new_markdown_cell("````{solution-end}\n````"),
            new_code_cell(f"check({ex.id!r}, {ex.name})"),
        ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})


def chapter() -> nbformat.NotebookNode:
    return nbformat.read(CHAPTER, as_version=4) if CHAPTER.exists() else synthetic_chapter()


def light(nb) -> nbformat.NotebookNode:
    """The title, a quick imports cell and the exercises (each from its exercise-start to its
    solution-end; an exercise may sit before the end of the narrative): kernels start in a second."""
    keep, inside = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "{exercise-start}" in cell.source:
            inside = True
        if inside:
            keep.append(copy.deepcopy(cell))
        if cell.cell_type == "markdown" and "{solution-end}" in cell.source:
            inside = False
    out = copy.deepcopy(nb)
    out.cells = [nb.cells[0], new_code_cell(LIGHT_IMPORTS)] + keep
    return out


def defined(cell):
    """The name of the (first) function a code cell defines, or of the variable a prediction's
    cell assigns (``relu_net = ...``), or None."""
    body = ast.parse(cell.source).body
    function = next((n.name for n in body if isinstance(n, ast.FunctionDef)), None)
    if function is None and len(body) == 1 and isinstance(body[0], ast.Assign) \
            and isinstance(body[0].targets[0], ast.Name):
        return body[0].targets[0].id
    return function


def is_stub(cell) -> bool:
    """The learner's part: a stub raising NotImplementedError, or a prediction left as ``...``."""
    code = "\n".join(line.split("#")[0] for line in cell.source.splitlines()).strip()
    return "NotImplementedError" in cell.source or (code.endswith("= ...") and "\n" not in code)


def solutions(nb) -> dict:
    """Function name -> the source of its solution cell."""
    return {defined(nb.cells[i]): nb.cells[i].source for i in solution_cells(nb) if nb.cells[i].cell_type == "code"}


NB = chapter()
IDS = sorted(check_ids(NB), key=list_exercises().index)   # the order poolkit grade grades them in
NAMES = {i: get_exercise(i).name for i in IDS}
REFERENCE = solutions(NB)

# Plausible wrong answers, as a learner writes them: (source, what the report must say).
WRONG = {
    "pool2d_min": ("def pool2d_min(X, pool_size):\n    return pool2d(X, pool_size)\n",
                   "largest element, not its smallest"),
    "output_size": ("def output_size(n, k, s, p):\n    return (n + 2 * p - k) // s\n",
                    "one too small"),
    "pool2d_stride": ("def pool2d_stride(X, pool_size, stride, mode=\"max\"):\n"
                      "    (p_h, p_w), (s_h, s_w) = pool_size, stride\n"
                      "    Y = np.zeros(((X.shape[0] - p_h) // s_h + 1, (X.shape[1] - p_w) // s_w + 1))\n"
                      "    for i in range(Y.shape[0]):\n"
                      "        for j in range(Y.shape[1]):\n"
                      "            w = X[i * s_h:i * s_h + p_h, j * s_w:j * s_w + p_w]\n"
                      "            Y[i, j] = w.max() if mode == \"max\" else w.mean()\n"
                      "    X[...] = 0\n"
                      "    return Y\n",
                      "changed its input X in place"),
    "pool_cost": ("def pool_cost(c, h, w, p_h, p_w, s_h, s_w):\n"
                  "    for i in range(2000):\n"
                  "        print('step', i, '.' * 40)\n"
                  "    sizes = [c, h, w]\n"
                  "    return sizes[3] * p_h\n",
                  "in pool_cost, line 5: return sizes[3] * p_h"),
}
WRONG = {i: w for i, w in WRONG.items() if i in IDS}
OTHER_CHAPTER = list_exercises(2)[:2]  # a notebook of another chapter, handed in by mistake


def submission(nb, functions: dict = None, before=(), after=()) -> nbformat.NotebookNode:
    """The light student edition with some stubs replaced (name -> source) and cells added
    after the imports (``before``) or at the end (``after``)."""
    if functions is None:
        functions = {}
    nb = student_edition(light(nb))
    for cell in nb.cells:
        if cell.cell_type == "code" and is_stub(cell) and defined(cell) in functions:
            cell.source = functions[defined(cell)]
    nb.cells[2:2] = [new_code_cell(s) for s in before]
    nb.cells += [new_code_cell(s) for s in after]
    return nb


TAMPER = """\
import numpy, poolkit, poolkit.course.checks
numpy.array_equal = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
poolkit.course.checks.evaluate = lambda *a, **k: None
poolkit.course.checks.EXERCISES.clear()
del check
check = evaluate = lambda *a, **k: print("passed")
"""


def hostile(nb) -> dict:
    """File name -> notebook (or raw bytes) of the short run."""
    first, rest = IDS[0], IDS[1:]
    ref_rest = {NAMES[i]: REFERENCE[NAMES[i]] for i in rest}
    out_of_order = submission(nb, {**ref_rest, NAMES[first]: f"{NAMES[first]} = make()\n"},
                              after=[f"def make():\n    return {NAMES[first]}_solution\n",
                                     REFERENCE[NAMES[first]].replace(f"def {NAMES[first]}(",
                                                                     f"def {NAMES[first]}_solution(", 1)])
    for count, cell in zip([7, 1, 2, 3, 4, 5, 6] + list(range(8, 100)),
                           [c for c in out_of_order.cells if c.cell_type == "code"]):
        cell.execution_count = count
    return {
        "reference": light(nb),
        "stubs": student_edition(light(nb)),
        "wrong": submission(nb, {NAMES[i]: src for i, (src, _) in WRONG.items()}),
        "raises": submission(nb, REFERENCE, before=["1 / 0"]),
        "loop_cell": submission(nb, REFERENCE, before=["while True:\n    pass"]),
        "loop_fn": submission(nb, {**ref_rest, NAMES[first]: f"def {NAMES[first]}(*args):\n    while True:\n"
                                                             f"        pass\n"}),
        "unstoppable": submission(nb, REFERENCE, before=["import time\nwhile True:\n    try:\n"
                                                         "        time.sleep(0.1)\n    except KeyboardInterrupt:\n"
                                                         "        pass"]),
        "prints": submission(nb, REFERENCE, before=["for i in range(20):\n    print('x' * 1_000_000)"]),
        "tamper": submission(nb, {NAMES[rest[0]]: REFERENCE[NAMES[rest[0]]]}, before=[TAMPER]),
        "out_of_order": out_of_order,
        "kernel_exit": submission(nb, REFERENCE, before=["import os\nos._exit(3)"]),
        "exit_fn": submission(nb, {NAMES[first]: REFERENCE[NAMES[first]],
                                   NAMES[rest[0]]: f"def {NAMES[rest[0]]}(*args):\n    import os\n    os._exit(1)\n"}),
        "kill_grader": submission(nb, REFERENCE, before=["import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"]),
        "slow": submission(nb, REFERENCE, before=["import time\ntime.sleep(5)"] * 7),
        "exit_then_right": submission(nb, {**ref_rest, NAMES[first]: f"def {NAMES[first]}(*args):\n    import os\n"
                                                                     "    os._exit(1)\n"}),
        "slow_setup": submission(nb, REFERENCE, before=[f"import time\ntime.sleep({TIMEOUT + 2})"]),
        "print_flood": submission(nb, {**ref_rest, NAMES[first]: REFERENCE[NAMES[first]].replace(
            f"def {NAMES[first]}(", f"def {NAMES[first]}_quiet(", 1) + f"\n\ndef {NAMES[first]}(*args):\n"
            f"    for i in range(20_000):\n        print('line', i)\n    return {NAMES[first]}_quiet(*args)\n"}),
        "other_chapter": new_notebook(cells=[new_code_cell(LIGHT_IMPORTS)] + [
            new_code_cell(f"check({i!r}, {get_exercise(i).name})") for i in OTHER_CHAPTER]),
        "empty": b"",
        "invalid_json": nbformat.writes(student_edition(light(nb))).encode()[:300],
        "not_notebook": b'{"hello": "world"}',
    }


def write(folder: Path, notebooks: dict) -> list:
    folder.mkdir()
    for name, nb in notebooks.items():
        data = nb if isinstance(nb, bytes) else nbformat.writes(nb).encode()
        (folder / f"{name}.ipynb").write_bytes(data)
    return sorted(folder.iterdir())


def digests(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def poolkit_cli(*args, env_extra=None, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "poolkit.course", *map(str, args)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


# ---------------------------------------------------------------- the two grading runs
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Both runs' stdout, results (JSON by student), CSV rows, and the folders' hashes."""
    tmp = tmp_path_factory.mktemp("grading")
    full = write(tmp / "full", {"chapter": NB, "chapter_student": student_edition(NB)})
    write(tmp / "short", hostile(NB))
    before = {"full": digests(tmp / "full"), "short": digests(tmp / "short")}
    runs = {
        "full": poolkit_cli("grade", *full, "--timeout", 180, "--jobs", 2, "--unsafe",
                            "--json", tmp / "full.json", "--csv", tmp / "full.csv"),
        "short": poolkit_cli("grade", tmp / "short", "--unsafe", "--timeout", TIMEOUT, "--setup-timeout", SETUP,
                             "--notebook-timeout", NOTEBOOK_TIMEOUT,
                             "--jobs", 4, "--json", tmp / "short.json", "--csv", tmp / "short.csv",
                             "--feedback", tmp / "feedback"),
    }
    out = {}
    for name, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"poolkit grade ({name}) failed:\n{stdout}\n{stderr}"
        data = json.loads((tmp / f"{name}.json").read_text())
        with open(tmp / f"{name}.csv", newline="") as f:
            rows = list(csv.reader(f))
        out[name] = {"stdout": stdout, "stderr": stderr, "json": data, "csv": rows,
                     "results": {s["student"]: s for s in data["submissions"]}}
    out["before"], out["after"] = before, {"full": digests(tmp / "full"), "short": digests(tmp / "short")}
    out["feedback"] = tmp / "feedback"
    return out


def own_notes(result) -> list:
    """The notes on the notebook itself (not those that compare it with the others)."""
    return [n for n in result["notes"] if not n.startswith("Identical to")]


def show(result) -> str:
    """A result, for an assertion message."""
    return json.dumps({k: result[k] for k in ("student", "status", "total", "seconds", "notes")}, indent=1)


def scores(result) -> dict:
    return {e["exercise"]: e["score"] for e in result["exercises"]}


def exercise(result, exercise_id) -> dict:
    return next(e for e in result["exercises"] if e["exercise"] == exercise_id)


# ---------------------------------------------------------------- student edition
@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """``poolkit student-edition`` on a copy of every chapter: {chapter path: (the copy it
    read, the edition's raw JSON)}."""
    tmp = tmp_path_factory.mktemp("student")
    (tmp / "chapters").mkdir()
    copies = [tmp / "chapters" / path.name for path in CHAPTERS]
    for path, copied in zip(CHAPTERS, copies):
        copied.write_bytes(path.read_bytes())
    proc = subprocess.run([sys.executable, "-m", "poolkit.course", "student-edition", tmp / "out", *copies],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {path: (copied, json.loads((tmp / "out" / path.name).read_text(encoding="utf-8")))
            for path, copied in zip(CHAPTERS, copies)}


def strings(value) -> list:
    """Every string in a JSON document (sources, outputs, metadata)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@pytest.mark.skipif(not CHAPTERS, reason="no chapters yet")
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_contains_no_solution_code(editions, path):
    copied, edition = editions[path]
    nb = nbformat.read(copied, as_version=4)
    removed = set(solution_cells(nb))
    if not removed:
        pytest.skip(f"{path.name} has no solutions")
    elsewhere = "\n".join(s for i, c in enumerate(nb.cells) if i not in removed for s in strings(c))
    answer_lines = {line.strip() for i in removed if nb.cells[i].cell_type == "code"
                    for line in nb.cells[i].source.splitlines()
                    if line.strip() and line.strip() not in elsewhere}
    assert answer_lines, "solutions with no line of their own"
    text = "\n".join(strings(edition))
    leaked = sorted(line for line in answer_lines if line in text)
    assert not leaked, f"solution code in the student edition of {path.name}: {leaked}"
    assert not re.search(r"\{solution(-start|-end)?\}", text)


@pytest.mark.skipif(not CHAPTERS, reason="no chapters yet")
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_edition_keeps_stubs_checks_and_narrative(editions, path):
    copied, edition = editions[path]
    nb = nbformat.read(copied, as_version=4)
    edition = nbformat.reads(json.dumps(edition), as_version=4)
    nbformat.validate(edition)
    removed = set(solution_cells(nb))
    # Code cells stay as they are; the Markdown becomes plain (tests/test_student.py).
    kept = [c for i, c in enumerate(nb.cells) if i not in removed and c.cell_type == "code"]
    edition.cells = [c for c in edition.cells if c.cell_type == "code"]
    assert [c.source for c in edition.cells] == [c.source for c in kept]
    assert check_ids(edition) == check_ids(nb)
    answers = {n.id if isinstance(n, ast.Name) else n.name for i in removed if nb.cells[i].cell_type == "code"
               for n in ast.parse(nb.cells[i].source).body for n in ast.walk(n)
               if isinstance(n, ast.FunctionDef) or isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for original, cell in zip(kept, edition.cells):
        if cell.cell_type != "code":
            continue
        cleared = cell.outputs == [] and cell.execution_count is None
        if re.search(r"\bcheck\(\s*['\"]", cell.source) or "NotImplementedError" in cell.source:
            assert cleared, cell.source
        elif not cleared:  # the narrative keeps what the website shows
            assert (cell.outputs, cell.execution_count) == (original.get("outputs"), original.get("execution_count"))
        elif original.get("outputs"):  # cleared because its output came from a solution
            assert any(re.search(rf"(?<![\w.]){name}\b", cell.source) for name in answers), cell.source
    stubs = [c for c in edition.cells if c.cell_type == "code" and is_stub(c)]
    assert len(stubs) == len(check_ids(nb))


def test_student_edition_rejects_a_solution_without_its_end(tmp_path):
    nb = synthetic_chapter()
    del nb.cells[next(i for i, c in enumerate(nb.cells) if "{solution-end}" in c.source)]
    with pytest.raises(ValueError, match="solution-start has no solution-end before cell"):
        student_edition(nb)
    nb = synthetic_chapter()
    del nb.cells[next(i for i, c in enumerate(nb.cells) if "{solution-start}" in c.source) + 2:]
    with pytest.raises(ValueError, match="solution-start has no solution-end$"):
        student_edition(nb)
    path = tmp_path / "ch.ipynb"
    nbformat.write(synthetic_chapter(), path)
    proc = subprocess.run([sys.executable, "-m", "poolkit.course", "student-edition", tmp_path, path],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "would overwrite the chapter" in proc.stderr


def test_check_cells_are_recognised():
    assert is_check_cell(new_code_cell('check("pool2d_min", pool2d_min)'))
    assert is_check_cell(new_code_cell('from poolkit.course import check\ncheck("a", f)\ncheck("b", g)'))
    assert not is_check_cell(new_code_cell('def f(x):\n    return x\ncheck("a", f)'))
    assert not is_check_cell(new_code_cell("%timeit check('a', f)"))
    assert check_ids(new_notebook(cells=[new_code_cell("check('a', f)\ncheck(\"b\", g)\ncheck('a', f)")])) == ["a", "b"]


# ---------------------------------------------------------------- the kernel's half, in process
@pytest.mark.parametrize("value", [
    None, True, 3, -(2 ** 80), 2.5, float("nan"), float("inf"), "text", np.float64(2.5), np.float32(1.5),
    np.int64(7), np.str_("s"),
    np.bool_(True), np.arange(6.0).reshape(2, 3), np.array([[1, 2]], dtype=np.int8), np.zeros((0, 3)),
    np.array(["a", "bc"]), [1, 2.5, (3, 4)], (np.ones(2), 5), np.array([None, 1.5], dtype=object),
], ids=repr)
def test_values_cross_to_the_grader_unchanged(value):
    back = remote.decode(json.loads(json.dumps(remote.encode(value))))
    assert type(back) is type(value)
    assert checks._describe(back) == checks._describe(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert np.array_equal(back, value, equal_nan=value.dtype.kind == "f")


def test_other_values_cross_as_their_type():
    assert checks._describe(remote.decode(remote.encode({"a": 1}))) == "a dict"
    assert checks._describe(remote.decode(remote.encode(lambda: 0))) == "a function"
    huge = remote.decode(remote.encode(np.zeros((3000, 1500))))  # past MAX_ARRAY_BYTES: the shape only
    assert huge.shape == (3000, 1500) and huge.dtype == np.float64


class InProcessKernel:
    """The kernel's half of a call (:func:`poolkit.course.remote.call` and the JSON both ways),
    run in this process on the functions of ``namespace``."""

    def __init__(self, namespace, monkeypatch):
        monkeypatch.setattr(remote, "_namespace", lambda: namespace)

    def call(self, name, args, timeout):
        return json.loads(remote.call(name, json.dumps([remote.encode(a) for a in args])))


def _through_kernel_and_here(tmp_path, monkeypatch, source: str, exercise_id="pool2d_min"):
    """The report on the notebook's function defined by ``source``: graded through the
    kernel's reply, and checked in the notebook."""
    path = tmp_path / "cell.py"
    path.write_text(source)
    namespace = {}
    exec(compile(source, str(path), "exec"), namespace)
    name = get_exercise(exercise_id).name
    there = evaluate_runs(exercise_id, RemoteFunction(InProcessKernel(namespace, monkeypatch), name, 30).outcome)
    return there, namespace[name]


def test_exceptions_cross_with_the_learners_line(tmp_path, monkeypatch):
    """What the kernel's function raised reaches the report as from a call in the notebook:
    its type, its message and the learner's line."""
    there, fn = _through_kernel_and_here(tmp_path, monkeypatch,
                                         "def pool2d_min(X, pool_size):\n    Y = X[5, 5]\n    return Y\n")
    assert there.message == evaluate("pool2d_min", fn).message
    assert "Your function raised IndexError: index 5 is out of bounds" in there.message
    assert "in pool2d_min, line 2: Y = X[5, 5]" in there.message

    args = (np.zeros((2, 2)), (1, 1))
    kernel = InProcessKernel({"pool2d_min": fn}, monkeypatch)
    assert RemoteFunction(kernel, "pool2d_min", 30).outcome(args) == checks.Outcome.of_call(fn, args)


def test_a_stub_and_a_system_exit_through_the_kernel(tmp_path, monkeypatch):
    stub, fn = _through_kernel_and_here(tmp_path, monkeypatch,
                                        "def pool2d_min(X, pool_size):\n    raise NotImplementedError\n")
    assert stub.message == evaluate("pool2d_min", fn).message and "not written yet" in stub.message
    # never a real SystemExit or KeyboardInterrupt in the grader: reported like any exception
    leaving, _ = _through_kernel_and_here(tmp_path, monkeypatch,
                                          "def pool2d_min(X, pool_size):\n    raise SystemExit(3)\n")
    assert "Your function raised SystemExit: 3" in leaving.message and leaving.n_passed == 0


def test_printing_and_changed_inputs_through_the_kernel(tmp_path, monkeypatch):
    """Printed lines (five shown, the rest counted) and an input changed in place reach the
    report as from a call in the notebook."""
    printing, fn = _through_kernel_and_here(tmp_path, monkeypatch,
                                            "def pool2d_min(X, pool_size):\n    for i in range(8):\n"
                                            "        print('line', i)\n")
    assert printing.message == evaluate("pool2d_min", fn).message
    assert "Your function printed:" in printing.message and "... (3 more lines)" in printing.message
    changing, fn = _through_kernel_and_here(tmp_path, monkeypatch,
                                            "from poolkit.naive import pool2d\n"
                                            "def pool2d_min(X, pool_size):\n    Y = -pool2d(-X, pool_size)\n"
                                            "    X[...] = 100\n    return Y\n")
    assert changing.message == evaluate("pool2d_min", fn).message
    assert "changed its input X in place" in changing.message


def test_poolkit_imports_only_numpy():
    code = ("import sys, poolkit, poolkit.course.student, poolkit.course.remote; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'nbclient', 'nbformat', 'jupyter_client', "
            "'IPython', 'zmq'}))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["poolkit"] == "poolkit.course.__main__:main"


def test_student_ids_are_file_names_and_unique(tmp_path):
    assert student_ids([Path("a/alice.ipynb"), Path("b/bob.ipynb")]) == ["alice", "bob"]
    with pytest.raises(ValueError, match="same student id: alice"):
        student_ids([Path("a/alice.ipynb"), Path("b/alice.ipynb")])
    proc = subprocess.run([sys.executable, "-m", "poolkit.course", "grade", tmp_path / "missing.ipynb"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no such file" in proc.stderr


# ---------------------------------------------------------------- grading: results
def test_a_kernel_whose_port_was_taken_is_started_again():
    """Kernels starting together can be given the same free port: the one that binds it second
    dies before it answers, having run nothing. The grader starts another."""
    from nbclient import NotebookClient

    taken, starts = [], []

    class PortTaken(kernel_manager_class()):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if not taken:  # the first kernel's shell port: another process holds it
                taken.append(socket.create_server((self.ip, self.shell_port)))
            starts.append(self.shell_port)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    nb = new_notebook(cells=[new_code_cell("print(6 * 7)")])
    client = NotebookClient(nb, kernel_manager_class=PortTaken, kernel_name="python3")
    try:
        _start_kernel(client, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with client.setup_kernel():
            client.execute_cell(nb.cells[0], 0)
    finally:
        taken[0].close()
    assert len(starts) == 2 and starts[1] != starts[0]
    assert nb.cells[0].outputs[0]["text"] == "42\n"


class FlakyStarts:
    """A notebook client whose kernels fail to answer, as scripted: each failure is the
    message wait_for_ready raises (after which nbclient has shut that kernel down)."""

    def __init__(self, failures):
        self.failures, self.started, self.km = list(failures), 0, None

    def create_kernel_manager(self):
        return object()

    def start_new_kernel(self, **kwargs):
        self.started += 1

    def start_new_kernel_client(self):
        if self.failures:
            raise RuntimeError(self.failures.pop(0))


def test_kernel_starts_are_tried_a_few_times_and_only_for_a_death():
    client = FlakyStarts(["Kernel died before replying to kernel_info"] * KERNEL_STARTS)
    with pytest.raises(RuntimeError, match="died"):  # every try: the last failure is raised
        _start_kernel(client)
    assert client.started == KERNEL_STARTS

    client = FlakyStarts(["Kernel didn't respond in 60 seconds"])  # alive but silent: not tried again
    with pytest.raises(RuntimeError, match="respond"):
        _start_kernel(client)
    assert client.started == 1


def test_reference_solutions_get_full_marks(graded):
    for run, student in [("full", "chapter"), ("short", "reference")]:
        result = graded[run]["results"][student]
        assert result["status"] == "solutions left in", show(result)  # the chapter itself, not a student's
        assert scores(result) == {i: 1.0 for i in list_exercises(1)}, show(result)
        assert result["total"] == result["max"] == len(list_exercises(1)), show(result)
        assert any("solution cells" in n for n in result["notes"]), show(result)


def test_stubs_get_zero_with_the_stub_hint(graded):
    for run, student in [("full", "chapter_student"), ("short", "stubs")]:
        result = graded[run]["results"][student]
        assert result["status"] == "ok" and result["total"] == 0, show(result)
        assert own_notes(result) == [], show(result)  # the student edition runs without errors
        for e in result["exercises"]:
            stub = "`raise NotImplementedError`" if isinstance(get_exercise(e["exercise"]), checks.Exercise) else "..."
            assert f"not written yet. Replace {stub}" in e["message"]


def test_wrong_answers_get_partial_marks_and_the_learners_feedback(graded, tmp_path):
    """Each report is exactly what the learner's own check cell prints for the same code."""
    result = graded["short"]["results"]["wrong"]
    assert result["status"] == "ok" and 0 < result["total"] < result["max"], show(result)
    assert any(0 < e["score"] < 1 for e in result["exercises"]), show(result)
    for exercise_id, (source, says) in WRONG.items():
        path = tmp_path / f"{exercise_id}.py"  # a file, so that tracebacks show the line as in a cell
        path.write_text(source)
        namespace = {"np": np, "pool2d": pool2d}
        exec(compile(source, str(path), "exec"), namespace)
        expected = evaluate(exercise_id, namespace[NAMES[exercise_id]]).message
        got = exercise(result, exercise_id)["message"]
        assert got == expected
        assert says in got


def test_a_cell_that_raises_is_noted_and_the_run_goes_on(graded):
    result = graded["short"]["results"]["raises"]
    assert result["total"] == result["max"] and result["status"] == "ok", show(result)
    assert any("raised ZeroDivisionError: division by zero" in n for n in result["notes"]), show(result)


def test_endless_loops_are_stopped(graded):
    cell = graded["short"]["results"]["loop_cell"]
    assert cell["total"] == cell["max"], show(cell)
    assert any("ran past its time limit and was interrupted" in n for n in cell["notes"]), show(cell)
    assert cell["seconds"] < TIMEOUT + SLACK, show(cell)

    fn = graded["short"]["results"]["loop_fn"]
    first = exercise(fn, IDS[0])
    assert first["score"] == 0 and "raised TimeoutError" in first["message"]
    assert any("look for a loop that never ends" in n for n in fn["notes"]), show(fn)
    assert fn["total"] == fn["max"] - 1, show(fn)
    assert fn["seconds"] < 2 * TIMEOUT + SLACK, show(fn)


def test_a_kernel_that_ignores_interrupts_is_given_up(graded):
    result = graded["short"]["results"]["unstoppable"]
    assert "kernel unresponsive" in result["status"] and result["total"] == 0, show(result)
    assert all("Not graded" in e["message"] for e in result["exercises"]), show(result)
    assert result["seconds"] < TIMEOUT + 2 * RECOVERY + SLACK, show(result)


def test_megabytes_of_output_cost_nothing(graded):
    result = graded["short"]["results"]["prints"]
    assert result["total"] == result["max"] and own_notes(result) == [], show(result)
    assert len(json.dumps(result)) < 20_000


def test_tampering_with_the_checker_changes_nothing(graded):
    result = graded["short"]["results"]["tamper"]
    assert scores(result) == {i: 1.0 if i == IDS[1] else 0.0 for i in list_exercises(1)}, show(result)
    assert own_notes(result) == [], show(result)


def test_cells_run_in_cell_order(graded):
    result = graded["short"]["results"]["out_of_order"]
    assert any("out of order" in n for n in result["notes"]), show(result)
    assert any("raised NameError: name 'make' is not defined" in n for n in result["notes"]), show(result)
    first = exercise(result, IDS[0])
    assert first["score"] == 0 and f"defines no {NAMES[IDS[0]]}" in first["message"]
    assert result["total"] == result["max"] - 1, show(result)


def test_a_dead_kernel_is_reported(graded):
    result = graded["short"]["results"]["kernel_exit"]
    assert result["status"] == "kernel died" and result["total"] == 0, show(result)
    assert any("died while running cell 3" in n for n in result["notes"]), show(result)

    result = graded["short"]["results"]["exit_fn"]  # killed while checking the second exercise
    assert result["status"] == "kernel died", show(result)
    assert any("ran again in a fresh kernel for" in n for n in result["notes"]), show(result)
    assert scores(result)[IDS[0]] == 1.0 and result["total"] == 1.0, show(result)
    assert "kernel cannot run your function" in " ".join(exercise(result, IDS[1])["message"].split())
    assert any(f"died while running {NAMES[IDS[1]]}" in n for n in result["notes"]), show(result)


def test_a_fault_costs_one_exercise(graded):
    """The first exercise's function kills its kernel: the others are graded in a fresh one."""
    result = graded["short"]["results"]["exit_then_right"]
    assert scores(result) == {i: 0.0 if i == IDS[0] else 1.0 for i in list_exercises(1)}, show(result)
    assert result["status"] == "kernel died", show(result)
    assert any(f"ran again in a fresh kernel for {', '.join(IDS[1:])}" in n for n in result["notes"]), show(result)


def test_set_up_cells_have_their_own_time_limit(graded):
    result = graded["short"]["results"]["slow_setup"]  # its import cell takes longer than --timeout
    assert result["total"] == result["max"] and result["status"] == "ok" and own_notes(result) == [], show(result)


def test_printing_costs_no_grading_time(graded):
    """20,000 lines a call, 40 calls: the time limit counts the function's own CPU time, printing
    aside (not the printing, the transport or a loaded machine), and the report stays short."""
    result = graded["short"]["results"]["print_flood"]
    assert result["total"] == result["max"] and result["status"] == "ok", show(result)
    assert len(json.dumps(result)) < 20_000


def test_a_notebook_of_another_chapter_changes_nobody_elses_maximum(graded):
    results = graded["short"]["results"]
    other = results["other_chapter"]
    assert other["status"] == "wrong chapter" and other["total"] == 0, show(other)
    assert any("belong to chapter 2; this batch grades chapter 1" in " ".join(n.split()) for n in other["notes"])
    assert {r["max"] for r in results.values()} == {len(list_exercises(1))}


def test_status_is_ok_only_when_nothing_changed_the_score(graded):
    results = graded["short"]["results"]
    for name in ("loop_cell", "slow"):
        assert "time limit" in results[name]["status"], show(results[name])
    assert graded["full"]["results"]["chapter"]["status"] == "solutions left in"
    assert graded["full"]["results"]["chapter_student"]["status"] == "ok"


def test_a_killed_grader_costs_only_its_own_submission(graded):
    results = graded["short"]["results"]
    if graded["short"]["json"]["sandbox"]:  # the grader is out of the kernel's sight: it kills nothing
        assert results["kill_grader"]["status"] == "sandbox denied", show(results["kill_grader"])
        assert results["kill_grader"]["total"] == len(IDS), show(results["kill_grader"])
    else:
        assert results["kill_grader"]["status"] == "grader crashed" and results["kill_grader"]["total"] == 0
    assert len(results) == len(hostile(NB))  # every other one graded


def test_the_notebook_time_limit_stops_the_run(graded):
    result = graded["short"]["results"]["slow"]
    assert result["status"] == "time limit" and result["total"] == 0, show(result)
    assert any("ran out: cells from" in n for n in result["notes"]), show(result)
    assert result["seconds"] < NOTEBOOK_TIMEOUT + SLACK, show(result)


@pytest.mark.parametrize("student, status", [("empty", "empty file"), ("invalid_json", "invalid JSON"),
                                             ("not_notebook", "not a notebook")])
def test_unreadable_files_get_a_clear_result(graded, student, status):
    result = graded["short"]["results"][student]
    assert result["status"] == status and result["total"] == 0, show(result)
    assert all(e["message"].startswith(f"\u274c {e['exercise']}: Not graded: {status}")
               for e in result["exercises"]), show(result)


def test_submissions_are_never_modified(graded):
    assert graded["before"] == graded["after"]
    for run in ("full", "short"):
        for name, digest in graded["before"][run].items():
            assert graded[run]["results"][Path(name).stem]["sha256"] == digest


# ---------------------------------------------------------------- grading: what it prints and writes
def test_progress_lines_and_table(graded):
    stdout = graded["short"]["stdout"]
    n = len(graded["short"]["results"])
    progress = re.findall(rf"^\[\s*(\d+)/{n}\] (\w+): ([\d.]+) of (\d+) in [\d.]+ s", stdout, re.MULTILINE)
    assert [int(k) for k, *_ in progress] == list(range(1, n + 1))
    assert sorted(name for _, name, *_ in progress) == sorted(graded["short"]["results"])
    assert re.search(r"^student\s+" + r"\s+".join(list_exercises(1)) + r"\s+total\s+status$", stdout, re.MULTILINE)
    assert "== wrong (" in stdout and "Hint:" in stdout  # every report, unless --quiet
    assert graded["short"]["stderr"] == "" and graded["full"]["stderr"] == ""


def test_csv_has_one_row_per_student(graded):
    rows = graded["short"]["csv"]
    ids = list_exercises(1)
    assert rows[0] == ["student", *ids, "total", "max", "status"]
    results = graded["short"]["results"]
    assert sorted(r[0] for r in rows[1:]) == sorted(results)
    for row in rows[1:]:
        result = results[row[0]]
        assert [float(v) for v in row[1:1 + len(ids)]] == [scores(result)[i] for i in ids]
        assert float(row[-3]) == result["total"] and row[-2] == str(len(ids)) and row[-1] == result["status"]


def test_json_and_feedback_files(graded):
    data = graded["short"]["json"]
    assert data["exercises"] == list_exercises(1)
    assert data["timeout"] == TIMEOUT and data["notebook_timeout"] == NOTEBOOK_TIMEOUT
    for result in data["submissions"]:
        assert [e["exercise"] for e in result["exercises"]] == list_exercises(1)
        feedback = (graded["feedback"] / f"{result['student']}.txt").read_text()
        assert feedback.startswith(f"== {result['student']} (")
        assert all(e["message"].splitlines()[0] in feedback for e in result["exercises"])


# ---------------------------------------------------------------- interrupts and resume
def test_an_interrupt_writes_what_was_graded_and_resume_grades_the_rest(tmp_path):
    """SIGINT (then SIGTERM) while two slow notebooks run: the finished one is written to CSV and
    JSON, nothing is left behind (kernels, temporary folders); --resume grades only the rest."""
    import signal
    import tempfile
    import time

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "quick.ipynb").write_text(nbformat.writes(submission(NB, REFERENCE)), encoding="utf-8")
    for name in ("slow_a", "slow_b"):
        nb = submission(NB, REFERENCE, before=["import time\ntime.sleep(600)"])
        (subs / f"{name}.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    scratch = Path(tempfile.mkdtemp(prefix="pk"))  # short: sockets' paths are limited to 107 bytes
    out = {"csv": tmp_path / "grades.csv", "json": tmp_path / "results.json"}
    for signum in (signal.SIGINT, signal.SIGTERM):
        proc = poolkit_cli("grade", subs, "--unsafe", "--jobs", 3, "--quiet", "--csv", out["csv"], "--json",
                           out["json"], env_extra={"TMPDIR": str(scratch)})
        lines = []
        while not any("quick: 4.00" in line or "quick:" in line for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        time.sleep(1)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert "Interrupted: 1 of 3 submissions graded" in stderr and "Traceback" not in stderr, stderr
        rows = list(csv.reader(out["csv"].open()))
        assert [r[0] for r in rows[1:]] == ["quick"] and float(rows[1][-3]) == len(IDS)
        assert [s["student"] for s in json.loads(out["json"].read_text())["submissions"]] == ["quick"]
        assert list(scratch.iterdir()) == [], "temporary folders left behind"
        time.sleep(1)
        assert not [p for p in Path("/proc").glob("[0-9]*/cmdline") if _mentions(p, str(scratch))], \
            "kernels left running"
    proc = poolkit_cli("grade", subs, "--unsafe", "--jobs", 2, "--quiet", "--setup-timeout", 2, "--resume",
                       "--csv", out["csv"], "--json", out["json"], env_extra={"TMPDIR": str(scratch)})
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert "Resuming: 1 submission already graded" in stdout and "2 to grade" in stdout, stdout
    assert "quick:" not in stdout.split("Resuming")[1].split("student ")[0], stdout  # not graded again
    rows = {r[0]: r for r in csv.reader(out["csv"].open())}
    assert set(rows) == {"student", "quick", "slow_a", "slow_b"}
    assert rows["slow_a"][-1] == "time limit" and float(rows["quick"][-3]) == len(IDS)
    scratch.rmdir()


def _mentions(cmdline: Path, text: str) -> bool:
    try:
        return text.encode() in cmdline.read_bytes()
    except OSError:
        return False


def test_the_audit_records_each_case(graded):
    """The JSON records the grader's version, when, and each case's result."""
    data = graded["short"]["json"]
    assert data["grader"].startswith("0.") and data["graded_at"] and "identical" in data
    for student in ("reference", "wrong"):
        for e in graded["short"]["results"][student]["exercises"]:
            assert len(e["cases"]) == e["n_cases"], (student, e["exercise"])
            assert sum(passed for _, _, passed in e["cases"]) == e["n_passed"], (student, e["exercise"])
            prediction = isinstance(get_exercise(e["exercise"]), checks.Prediction)
            assert {kind for _, kind, _ in e["cases"]} == ({"visible"} if prediction else {"visible", "hidden"})
