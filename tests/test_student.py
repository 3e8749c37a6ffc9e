"""The student edition and the plain edition (poolkit/course/student.py): plain Markdown that any
Jupyter shows as intended, solutions removed (or kept under a heading), stubs and checks kept.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbformat.v4 import new_markdown_cell
from synthetic_chapter import synthetic_chapter

from poolkit.course.student import (
    Book,
    exercise_blocks,
    plain_markdown,
    solution_cells,
    student_edition,
    write_student_editions,
)

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

# What plain Jupyter would show as raw MyST: directive fences, colon fences, roles,
# directive options, label lines.
MARKERS = {
    "directive fence": re.compile(r"^\s*(`{3,}|~{3,})\s*\{", re.MULTILINE),
    "colon fence": re.compile(r":::"),
    "role": re.compile(r"\{[\w.+-]+(:[\w.+-]+)*\}`"),
    "directive option": re.compile(r"^\s*:(label|class|sync|sync-group|name|nonumber|open|width|align):",
                                   re.MULTILINE),
    "label line": re.compile(r"^\s*\([^()\s]+\)=\s*$", re.MULTILINE),
    "equation label": re.compile(r"\$\$\s*\([\w-]+\)"),
}


def markers(nb) -> list:
    """(cell index, marker, line) of every MyST marker left in a notebook's Markdown, outside
    fenced code blocks that show MyST on purpose (none in the chapters)."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for name, pattern in MARKERS.items():
            for m in pattern.finditer(cell.source):
                line = cell.source[cell.source.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0]
                found.append((index, name, line))
    return found


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    """The two editions of every chapter, as ``python -m poolkit.course student-edition`` writes them."""
    out = {}
    for flag in ("", "--with-solutions"):
        folder = tmp_path_factory.mktemp("plain" if flag else "student")
        proc = subprocess.run([sys.executable, "-m", "poolkit.course", "student-edition", folder, *CHAPTERS,
                               *([flag] if flag else [])], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert "warning" not in proc.stdout, proc.stdout  # every cross-reference resolved
        out[bool(flag)] = {p: nbformat.read(folder / p.name, as_version=4) for p in CHAPTERS}
    return out


@pytest.mark.skipif(not CHAPTERS, reason="no chapters yet")
@pytest.mark.parametrize("with_solutions", [False, True], ids=["student", "plain"])
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_edition_has_no_myst_markers(editions, path, with_solutions):
    edition = editions[with_solutions][path]
    assert not markers(edition), f"MyST syntax left in the {'plain' if with_solutions else 'student'} edition " \
                                 f"of {path.name}: {markers(edition)}"


@pytest.mark.skipif(not CHAPTERS, reason="no chapters yet")
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_editions_keep_the_code(editions, path):
    nb = nbformat.read(path, as_version=4)
    removed = set(solution_cells(nb))
    kept = [c.source for i, c in enumerate(nb.cells) if c.cell_type == "code" and i not in removed]
    assert [c.source for c in editions[False][path].cells if c.cell_type == "code"] == kept
    plain = editions[True][path]
    assert [c.source for c in plain.cells if c.cell_type == "code"] == [c.source for c in nb.cells
                                                                       if c.cell_type == "code"]
    assert [c.outputs for c in plain.cells if c.cell_type == "code"] == [c.outputs for c in nb.cells
                                                                        if c.cell_type == "code"]
    headings = [c.source.splitlines()[0] for c in plain.cells
                if c.cell_type == "markdown" and c.source.startswith("### Exercise ")]
    number = int(path.name[:2])
    assert headings == [h for h in headings if h.startswith(f"### Exercise {number}.")]
    assert len(headings) == len(exercise_blocks(nb))


# ---------------------------------------------------------------- the synthetic chapter
def cells(nb, kind=None):
    return [c for c in nb.cells if kind is None or c.cell_type == kind]


def test_student_edition_of_the_exercise_layout():
    nb = synthetic_chapter()
    edition = student_edition(nb, chapter=1)
    assert [m[2] for m in markers(edition)] == ["```{note}"]  # in the code block that shows MyST
    code = [c.source for c in cells(edition, "code")]
    assert code == [c.source for c in cells(nb, "code")[:5] + cells(nb, "code")[7:9]]
    stub, check, prediction, prediction_check = cells(edition, "code")[3:7]
    assert "raise NotImplementedError" in stub.source and check.source == 'check("pool2d_min", pool2d_min)'
    assert prediction.source.startswith("predicted_shape = ...")
    for cell in (stub, check, prediction, prediction_check):
        assert cell.outputs == [] and cell.execution_count is None
    assert cells(edition, "code")[2].outputs == cells(nb, "code")[2].outputs  # the narrative keeps its output
    text = "\n\n".join(c.source for c in cells(edition, "markdown"))
    assert "### Exercise 1.1: Min pooling from max pooling" in text
    assert "### Exercise 1.2: Predict a shape" in text
    assert "Solution" not in text and "Negating" not in text
    assert [c.metadata.get("poolkit") for c in edition.cells if "poolkit" in c.metadata] == \
        [{"exercise": "ex-ch1-min-pool"}] * 3 + [{"exercise": "ex-ch1-shape"}] * 3
    assert solution_cells(edition) == []


def test_plain_edition_keeps_solutions_under_a_heading():
    nb = synthetic_chapter()
    plain = student_edition(nb, with_solutions=True, chapter=1)
    assert [c.source for c in cells(plain, "code")] == [c.source for c in cells(nb, "code")]
    assert [c.outputs for c in cells(plain, "code")] == [c.outputs for c in cells(nb, "code")]
    text = [c.source for c in cells(plain, "markdown")]
    assert "#### Solution to Exercise 1.1" in text and "#### Solution to Exercise 1.2" in text
    solutions = solution_cells(plain)  # found by their metadata, with no directive left
    assert [plain.cells[i].source.splitlines()[0] for i in solutions] == [
        "#### Solution to Exercise 1.1", "def pool2d_min(X, pool_size):", 'check("pool2d_min", pool2d_min)',
        "Negating reverses the order, so the largest of $-x$ is minus the smallest of $x$.",
        "#### Solution to Exercise 1.2", "predicted_shape = (2, 2)", 'check("demo_shape", predicted_shape)']
    assert student_edition(plain).cells == student_edition(nb, chapter=1).cells  # same student edition


def test_plain_markdown_of_each_construct():
    nb = synthetic_chapter()
    plain = student_edition(nb, chapter=1)
    title, tabs = cells(plain, "markdown")[:2]
    assert title.source == ("# Pooling by hand\n\nPooling in one chapter; Chapter 1 is this one, and\n"
                            "Exercise 1.1 comes at the end. See the next chapter.")
    assert tabs.source.startswith("## The frameworks\n\n**PyTorch**\n\n```python\nF.max_pool2d(x, 2)\n```\n\n"
                                  "**TensorFlow**\n\n```python\n")
    assert "**poolkit**\n\n```python\npoolkit.max_pool2d(x, 2)\n```" in tabs.source
    assert "> **Note**\n>\n> Max pooling has no weights; The frameworks lists the spellings." in tabs.source
    assert "> **Why $-\\infty$?**\n>\n> Padding with $-\\infty$ never wins a maximum." in tabs.source
    assert "$$\no = \\lfloor (n - k)/s \\rfloor + 1\n$$" in tabs.source
    assert "$$\ny = \\max_{a} x_{a}\n$$\n" in tabs.source
    assert "````markdown\n```{note}\nraw\n```\n````" in tabs.source  # code blocks are kept verbatim
    assert cells(plain, "markdown")[-1].source == "## Summary\n\nMin pooling is exercise 1.1."


@pytest.mark.parametrize("source, plain", [
    ("{numref}`chapter %s <ch-vectorizing>` vectorizes", "chapter 3 vectorizes"),
    ("{numref}`Chapter %s <ch-pytorch>`", "Chapter 5"),
    ("{numref}`ch-backward`", "Chapter 4"),
    ("{ref}`ch-vectorizing`", "Vectorizing"),
    ("{ref}`the loop <ch-vectorizing>`", "the loop"),
    ("{doc}`chapters/05_pytorch`", "PyTorch"),
    ("{math}`x^2` and `{ref}` in code", "$x^2$ and `{ref}` in code"),
    ("`f(a,\nb)`. {numref}`Chapter %s <ch-pytorch>` and `x`", "`f(a,\nb)`. Chapter 5 and `x`"),
    ("`a\n\n{ref}`ch-pytorch``", "`a\n\nPyTorch`"),
    ("{numref}`Exercise %s <ex-ch3-1>` and {ref}`ex-ch3-1`", "Exercise 3.1 and Exercise 3.1"),
    ("(sec-a)=\n## A\n\nSee {ref}`sec-b`.\n\n(sec-b)=\n### B", "## A\n\nSee B.\n\n### B"),
    ("```{admonition} Careful\n:class: warning\nText\n```", "> **Careful**\n>\n> Text"),
    ("```{warning}\nA {ref}`sec-x`\n```", "> **Warning**\n>\n> A sec-x"),
    ("::::{tab-set}\n:::{tab-item} PyTorch\nA\n:::\n:::{tab-item} TensorFlow\nB\n:::\n::::",
     "**PyTorch**\n\nA\n\n**TensorFlow**\n\nB"),
    ("```{code-block} python\nx = 1\n```", "```python\nx = 1\n```"),
    ("```{figure} fig.png\n:width: 50%\nA caption\n```", "![A caption](fig.png)"),
    ("% a comment\ntext", "text"),
    ("````{exercise-start}\n:label: ex-x\n:nonumber:\n````\nText", "### Exercise\n\nText"),
    ("```{exercise} Ungated\n:label: ex-y\nDo it.\n```\n\n```{solution} ex-y\nDone.\n```",
     "### Exercise 3.1: Ungated\n\nDo it.\n\n#### Solution to Exercise 3.1\n\nDone."),
    ("Deflists and $a$ stay:\n\nTerm\n: its definition", "Deflists and $a$ stay:\n\nTerm\n: its definition"),
])
def test_plain_markdown(source, plain, tmp_path):
    book = Book.from_toc(ROOT) if (ROOT / "_toc.yml").is_file() else Book()
    book.labels["ex-ch3-1"] = ("exercise", "3.1", "Exercise 3.1")
    for slug, number, title in (("vectorizing", 3, "Vectorizing"), ("pytorch", 5, "PyTorch"),
                                ("backward", 4, "Backward")):
        book.labels.setdefault(f"ch-{slug}", ("chapter", str(number), title))
        book.labels[f"ch-{slug}"] = ("chapter", str(number), title)
    book.docs["05_pytorch"] = "PyTorch"
    assert plain_markdown(source, book, chapter=3) == plain
    if "in code" not in source:  # a role shown in inline code stays, and looks like one
        assert not markers(nbformat.v4.new_notebook(cells=[new_markdown_cell(plain)]))


def test_chapter_labels_are_numbered_by_the_toc(tmp_path):
    """``ch-<slug>`` labels take their number from _toc.yml's order; exercises from the file name."""
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                       "  - file: chapters/02_second\n  - file: chapters/01_first\n")
    (tmp_path / "chapters").mkdir()
    first, second = synthetic_chapter(), synthetic_chapter()
    second.cells[0].source = "(ch-second)=\n# Second\n\nAfter {numref}`chapter %s <ch-first>`."
    first.cells[0].source = "(ch-first)=\n# First\n\nBefore {numref}`chapter %s <ch-second>`."
    nbformat.write(first, tmp_path / "chapters" / "01_first.ipynb")
    nbformat.write(second, tmp_path / "chapters" / "02_second.ipynb")
    lines = []
    written = write_student_editions(tmp_path / "out", sorted((tmp_path / "chapters").glob("*.ipynb")),
                                     log=lines.append)
    first, second = (nbformat.read(p, as_version=4) for p in written)
    assert first.cells[0].source == "# First\n\nBefore chapter 1."
    assert second.cells[0].source == "# Second\n\nAfter chapter 2."
    assert any(c.source.startswith("### Exercise 2.1: Min pooling") for c in second.cells)
    assert not any("warning" in line for line in lines)


def test_unknown_labels_are_reported(tmp_path):
    nb = synthetic_chapter()
    nb.cells[0].source += "\nSee {ref}`nowhere`."
    path = tmp_path / "07_x.ipynb"
    nbformat.write(nb, path)
    lines = []
    written = write_student_editions(tmp_path / "out", [path], log=lines.append, book=Book())
    assert "unknown cross-reference label(s) nowhere" in lines[-1]
    assert nbformat.read(written[0], as_version=4).cells[0].source.endswith("See nowhere.")


def test_command_line_with_solutions(tmp_path):
    path = tmp_path / "01_synthetic.ipynb"
    nbformat.write(synthetic_chapter(), path)
    proc = subprocess.run([sys.executable, "-m", "poolkit.course", "student-edition", "--with-solutions",
                           tmp_path / "out", path], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "2 exercises, solutions kept" in proc.stdout
    plain = nbformat.read(tmp_path / "out" / path.name, as_version=4)
    assert "#### Solution to Exercise 1.2" in [c.source for c in plain.cells]


def test_exercise_blocks():
    nb = synthetic_chapter()
    first, second = exercise_blocks(nb)
    assert (first.label, first.number, first.title) == ("ex-ch1-min-pool", 1, "Min pooling from max pooling")
    assert nb.cells[first.stub].source.startswith("def pool2d_min")
    assert [nb.cells[i].source for i in first.checks] == ['check("pool2d_min", pool2d_min)']
    assert nb.cells[first.solution].source.startswith("def pool2d_min(X, pool_size):\n    return")
    assert [nb.cells[i].source for i in first.solution_checks] == ['check("pool2d_min", pool2d_min)']
    assert (first.start, first.end, first.solution_start, first.solution_end) == (6, 9, 10, 14)
    assert second.label == "ex-ch1-shape" and nb.cells[second.solution].source == "predicted_shape = (2, 2)"


# ---------------------------------------------------------------- JupyterLab renders MyST
def test_jupyterlab_myst_is_pinned_and_works_with_the_pinned_jupyterlab():
    import tomllib

    lock = (ROOT / "tools" / "requirements.lock").read_text(encoding="utf-8")
    pinned = re.search(r"^jupyterlab[_-]myst==(\S+)$", lock, re.MULTILINE)
    assert pinned, "jupyterlab-myst is not in tools/requirements.lock"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert f"jupyterlab-myst=={pinned.group(1)}" in extras["teaching"]
    assert any("teaching" in extra for extra in extras["dev"])
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip("JupyterLab is not installed here")
    proc = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True, timeout=120)
    listing = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert re.search(rf"jupyterlab-myst v{re.escape(pinned.group(1))} enabled OK", listing), listing
    assert "not compatible" not in listing, listing


# ---------------------------------------------------------------- the Colab edition in the repository
def test_the_colab_edition_is_the_chapters_plain_edition(tmp_path):
    """colab/ (what the site's Colab button opens) holds exactly `make colab-edition`'s
    notebooks for the chapters as they are: a chapter changed without refreshing it fails here."""
    from poolkit.course.student import write_student_editions

    fresh = write_student_editions(tmp_path, CHAPTERS, log=lambda *_: None, with_solutions=True)
    stored = sorted((ROOT / "colab").glob("*.ipynb"))
    assert [p.name for p in stored] == [p.name for p in fresh], "colab/ lists other notebooks: make colab-edition"
    for mine, theirs in zip(stored, fresh):
        assert mine.read_text(encoding="utf-8") == theirs.read_text(encoding="utf-8"), \
            f"colab/{mine.name} is out of date: make colab-edition"
