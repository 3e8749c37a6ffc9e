"""The notebook lint: the chapters pass it, and it catches each problem it claims to.

The synthetic notebooks below start from one clean chapter and break one rule each.
"""

from __future__ import annotations

import copy
import sys

import nbformat
import pytest
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

sys.path.insert(0, str(ROOT / "tools"))
import lint_notebooks  # noqa: E402
from lint_notebooks import SETUP_CELL, lint_notebook  # noqa: E402

CHAPTERS = sorted(p for p in (ROOT / "chapters").glob("*.ipynb")) if (ROOT / "chapters").is_dir() else []


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_passes_lint(path):
    problems = lint_notebook(path, str(path.relative_to(ROOT)))
    assert not problems, "\n".join(map(str, problems))


# ----------------------------------------------------------- synthetic notebooks


def executed(source, count, *outputs, tags=()):
    cell = new_code_cell(source, execution_count=count, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def stdout(text):
    return new_output("stream", name="stdout", text=text)


def stderr(text):
    return new_output("stream", name="stderr", text=text)


def result(text, count):
    return new_output("execute_result", data={"text/plain": text}, execution_count=count)


def error(ename="ValueError", evalue="padding=3 must be at most half of kernel_size=4", traceback=()):
    return new_output("error", ename=ename, evalue=evalue, traceback=list(traceback))


def clean_notebook():
    setup = new_code_cell(SETUP_CELL.rstrip("\n"), execution_count=1, outputs=[])
    setup.metadata["tags"] = ["remove-cell"]
    nb = new_notebook(cells=[
        new_markdown_cell("# Pooling by hand\n\nSome prose."),
        setup,
        executed("import numpy as np\nX = np.arange(4.0)\nX.max()", 2, result("np.float64(3.0)", 2)),
        new_markdown_cell("An expected error:"),
        executed("pool(X, padding=3)", 3, error(), tags=["raises-exception"]),
        executed("%timeit X.max()", 4, stdout("1.2 µs ± 3 ns per loop (mean ± std. dev. of 7 runs, 100,000 loops each)\n"),  # noqa: E501
                 tags=["nbval-ignore-output"]),
        executed("", None),  # an empty cell need not be executed
        executed("print(X)", 5, stdout("[0. 1. 2. 3.]\n")),
    ])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb


def rules(nb):
    return [(p.rule, p.cell) for p in lint_notebook(nb, "synthetic.ipynb")]


def test_clean_notebook_passes():
    assert rules(clean_notebook()) == []


def broken(edit):
    nb = copy.deepcopy(clean_notebook())
    edit(nb)
    return nb


def _set(nb, index, cell):
    nb.cells[index] = cell


CASES = {
    # rule: (how to break the clean notebook, the cell the problem must be reported on)
    "first-cell (code first)": (lambda nb: nb.cells.insert(0, executed("1", 1)), "first-cell", 0),
    "first-cell (no # title)": (lambda nb: _set(nb, 0, new_markdown_cell("Pooling by hand")), "first-cell", 0),
    "first-cell (## title)": (lambda nb: _set(nb, 0, new_markdown_cell("## Pooling")), "first-cell", 0),
    "setup-cell (missing)": (lambda nb: nb.cells.pop(1), "setup-cell", 1),
    "setup-cell (untagged)": (lambda nb: nb.cells[1].metadata.pop("tags"), "setup-cell", 1),
    "setup-cell (output)": (lambda nb: nb.cells[1].outputs.append(stdout("Installing...\n")), "setup-cell", 1),
    "not-executed": (lambda nb: setattr(nb.cells[7], "execution_count", None), "not-executed", 7),
    "execution-order": (lambda nb: setattr(nb.cells[7], "execution_count", 9), "execution-order", 7),
    "stored-error": (lambda nb: nb.cells[4].metadata.pop("tags"), "stored-error", 4),
    "stored-error (second output)": (lambda nb: nb.cells[7].outputs.append(error("NameError", "name 'Y' is not defined")),  # noqa: E501
                                     "stored-error", 7),
    "tf-noise (abseil)": (lambda nb: nb.cells[7].outputs.insert(0, stderr(
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1731000000.123456   4242 cpu_feature_guard.cc:210] This TensorFlow binary is optimized "
        "to use available CPU instructions\n")), "tf-noise", 7),
    "tf-noise (I tensorflow/)": (lambda nb: nb.cells[7].outputs.insert(0, stderr(
        "2024-11-01 10:00:00.000001: I tensorflow/core/util/port.cc:153] oneDNN custom operations are on.\n")),
        "tf-noise", 7),
    "tf-noise (oneDNN)": (lambda nb: nb.cells[2].outputs.insert(0, stderr(
        "oneDNN custom operations are on. You may see slightly different numerical results\n")), "tf-noise", 2),
    "tf-noise (xla)": (lambda nb: nb.cells[2].outputs.insert(0, stderr(
        "E external/local_xla/xla/stream_executor/cuda/cuda_driver.cc:152] failed call to cuInit\n")),
        "tf-noise", 2),
    "tf-noise (cuda on stderr)": (lambda nb: nb.cells[2].outputs.insert(0, stderr("No CUDA GPUs are available\n")),
                                  "tf-noise", 2),
    "tf-noise (W0000)": (lambda nb: nb.cells[2].outputs.insert(0, stderr("W0000 00:00:1731000000.1 1 op_level_cost.cc] x\n")),  # noqa: E501
                         "tf-noise", 2),
    "ignore-output (not a timing)": (lambda nb: nb.cells[7].metadata.update(tags=["nbval-ignore-output"]),
                                     "ignore-output", 7),
    "ignore-output (comment marker)": (lambda nb: setattr(nb.cells[7], "source", "# NBVAL_IGNORE_OUTPUT\nprint(X)"),
                                       "ignore-output", 7),
    "ignore-output (nbval-skip)": (lambda nb: nb.cells[7].metadata.update(tags=["nbval-skip"]), "ignore-output", 7),
    "machine-text (path in stdout)": (lambda nb: nb.cells[7].outputs.append(stdout("saved to /home/ada/figs/a.png\n")),
                                      "machine-text", 7),
    "machine-text (path in traceback)": (lambda nb: nb.cells[4].outputs[0].traceback.append(
        "\x1b[36mFile \x1b[39m\x1b[32m/work/main/poolkit/geometry.py:45\x1b[39m, in check()"), "machine-text", 4),
    "machine-text (address)": (lambda nb: _set(nb, 7, executed("print(X.max)", 5, stdout(
        "<built-in method max of numpy.ndarray object at 0x7f3a2c1b4e50>\n"))), "machine-text", 7),
    "machine-text (html)": (lambda nb: nb.cells[2].outputs[0].data.update({"text/html": "<p>/Users/ada/x.csv</p>"}),
                            "machine-text", 2),
}


@pytest.mark.parametrize("name", CASES)
def test_lint_catches(name):
    edit, rule, cell = CASES[name]
    found = rules(broken(edit))
    assert (rule, cell) in found, f"expected [{rule}] on cell {cell}, got {found}"


def test_timing_cell_may_ignore_output():
    nb = clean_notebook()
    nb.cells[7].metadata["tags"] = ["nbval-ignore-output", "timing"]  # tagged timing: allowed
    nb.cells[2].source = "t0 = time.perf_counter()\nX.max()"
    nb.cells[2].metadata["tags"] = ["nbval-ignore-output"]  # times itself: allowed
    assert rules(nb) == []


def test_lint_does_not_flag_ordinary_text():
    nb = clean_notebook()
    nb.cells[7].outputs = [stdout("<Figure size 640x480 with 1 Axes>\nhex(255) = 0xff\nsee https://example.org/home/x\n"
                                  "a/b/usr/lib is relative\nCUDA is not used here\n")]
    assert rules(nb) == []


def test_invalid_notebook_reported(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{ not json", encoding="utf-8")
    assert [p.rule for p in lint_notebook(bad)] == ["invalid"]


def test_command_line_reports_file_and_cell(tmp_path, capsys):
    nb = broken(lambda nb: setattr(nb.cells[7], "execution_count", None))
    path = tmp_path / "03_broken.ipynb"
    nbformat.write(nb, path)
    assert lint_notebooks.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}: cell 7 (nbval Cell 5) [not-executed]" in out
    nbformat.write(clean_notebook(), path)
    assert lint_notebooks.main([str(path)]) == 0


# ---------------------------------------------------------------- the chapter label line
def test_first_cell_may_start_with_the_chapter_label(tmp_path):
    nb = clean_notebook()
    nb.cells[0].source = "(ch-pooling-by-hand)=\n# Pooling by hand\n\nSome prose."
    assert rules(nb) == []
    path = tmp_path / "01_pooling_by_hand.ipynb"
    nbformat.write(nb, path)
    assert lint_notebook(path) == []
    nb.cells[0].source = "(ch-vectorizing)=\n# Pooling by hand"
    nbformat.write(nb, path)
    assert [(p.rule, p.cell) for p in lint_notebook(path)] == [("first-cell", 0)]
    assert "(ch-pooling-by-hand)=" in lint_notebook(path)[0].message
    for source in ("(ch-pooling-by-hand)=\nPooling by hand", "(ch-pooling-by-hand)=\n## Pooling", "(x)=\n# A"):
        nb.cells[0].source = source
        assert ("first-cell", 0) in rules(nb), source


# ---------------------------------------------------------------- exercise-order
def exercise_rules(edit=None):
    """[(cell, message)] of the exercise-order rule on the synthetic chapter, edited."""
    from synthetic_chapter import synthetic_chapter

    nb = synthetic_chapter()
    if edit:
        edit(nb)
    return [(p.cell, p.message) for p in lint_notebook(nb, "synthetic.ipynb") if p.rule == "exercise-order"]


def _replace_output(nb, index, text):
    nb.cells[index].outputs = [stdout(text)]


def test_exercise_order_accepts_the_layout():
    assert exercise_rules() == []


EXERCISE_CASES = {
    # name: (edit of the synthetic chapter, cell reported, words of the message)
    "solution before the check (the old layout)": (
        lambda nb: nb.cells.insert(14, nb.cells.pop(8)), 7, "must be followed by a check cell"),
    "no check in the solution": (lambda nb: nb.cells.pop(12), 11, "must be followed by its check cell"),
    "solution and check in one cell": (
        lambda nb: setattr(nb.cells[11], "source", nb.cells[11].source + '\ncheck("pool2d_min", pool2d_min)'), 11,
        "must be followed by its check cell"),
    "the stub's check shows a pass": (
        lambda nb: _replace_output(nb, 8, "\u2705 pool2d_min: passed all 40 cases.\n"), 8, "shows a pass"),
    "the stub's check shows a traceback": (
        lambda nb: nb.cells[8].outputs.__setitem__(slice(None), [error("NotImplementedError", "")]), 8,
        "must show 'not written yet'"),
    "the solution's check fails": (
        lambda nb: _replace_output(nb, 12, "\u274c pool2d_min: failed 3 of 40 cases.\n"), 12, "must pass"),
    "the solution's check not run": (lambda nb: _replace_output(nb, 21, ""), 21, "must pass"),
    "no solution": (lambda nb: nb.cells.__delitem__(slice(19, 23)), 18, "no solution"),
    "a solution of another exercise": (
        lambda nb: setattr(nb.cells[19], "source", "````{solution-start} ex-nowhere\n:class: dropdown\n````"), 18,
        "no solution"),
    "a solution naming no exercise": (
        lambda nb: setattr(nb.cells[19], "source", "````{solution-start} ex-nowhere\n:class: dropdown\n````"), 19,
        "names no exercise label above it"),
    "no stub": (lambda nb: nb.cells.__delitem__(slice(16, 18)), 15, "no stub"),
    "stub and check in one cell": (
        lambda nb: setattr(nb.cells[7], "source", nb.cells[7].source + '\ncheck("pool2d_min", pool2d_min)'), 7,
        "a cell of its own"),
    "different checks": (lambda nb: setattr(nb.cells[21], "source", 'check("demo", predicted_shape)'), 21,
                         "must be the same"),
    "no exercise-end": (lambda nb: nb.cells.pop(18), 15, "no exercise-end"),
    "no label": (lambda nb: setattr(nb.cells[15], "source", "````{exercise-start} Predict\n````\n\nText."), 15,
                 "needs a ':label:'"),
}


@pytest.mark.parametrize("name", EXERCISE_CASES)
def test_exercise_order_catches(name):
    edit, cell, words = EXERCISE_CASES[name]
    found = exercise_rules(edit)
    assert any(c == cell and words in message for c, message in found), found


def test_a_solution_may_show_more_after_its_check():
    def worked_example(nb):
        nb.cells.insert(13, new_code_cell("pool2d_min(X, (2, 2))", execution_count=8,
                                          outputs=[result("array([[0., 1., 2.]])", 8)]))
    assert exercise_rules(worked_example) == []
