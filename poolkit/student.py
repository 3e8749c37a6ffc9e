"""Student editions of the chapters: the notebooks without their solutions.

A chapter's exercise is a block of cells (see README, "Writing a chapter")::

    markdown  ````{exercise-start} ...        the exercise text
    code      def pool2d_min(X, pool_size):   the stub the learner fills in
                  raise NotImplementedError
    markdown  ````{exercise-end}
    markdown  ````{solution-start} <label>    the solution, folded in a dropdown
    code      def pool2d_min(X, pool_size):   on the website
                  return -pool2d(-X, pool_size)
    markdown  ````{solution-end}
    code      check("pool2d_min", pool2d_min) the check cell

:func:`student_edition` returns the notebook a learner is handed:

- every solution goes: all cells from ``solution-start`` to ``solution-end``, and any
  markdown cell holding a one-block ``{solution}`` directive;
- outputs that could show an answer are cleared: those of the stubs, of the check
  cells, and of every other code cell that uses a name a solution defined (its output
  came from the solution's code). Check cells and stubs stay, for the learner to run;
- every other cell keeps its output: the narrative, its figures and worked examples,
  exactly as the website shows them.

:func:`check_ids` lists the exercise ids a notebook's check cells grade, and
:func:`is_check_cell` tells a cell that does nothing but check (the grader skips those).
Imports nbformat only when it reads or writes files.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path
from typing import Iterable, List, Sequence

__all__ = ["student_edition", "write_student_editions", "check_ids", "is_check_cell",
           "solution_cells"]

_DIRECTIVE = r"^\s*(?:`{3,}|:{3,})\s*\{%s\}"
SOLUTION_START = re.compile(_DIRECTIVE % "solution-start", re.MULTILINE)
SOLUTION_END = re.compile(_DIRECTIVE % "solution-end", re.MULTILINE)
SOLUTION_BLOCK = re.compile(_DIRECTIVE % "solution", re.MULTILINE)  # the ungated form
EXERCISE_START = re.compile(_DIRECTIVE % "exercise-start", re.MULTILINE)
EXERCISE_END = re.compile(_DIRECTIVE % "exercise-end", re.MULTILINE)
CHECK_CALL = re.compile(r"""\bcheck\(\s*(["'])([A-Za-z_][\w-]*)\1""")


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _roles(nb) -> List[str]:
    """Each cell's role: "solution" (from solution-start to solution-end, both included,
    or a one-block solution), "exercise" (from exercise-start to exercise-end), or "".

    Raises ValueError for a solution-start without its solution-end (before the next
    exercise or solution, or the end): removing it would silently remove more.
    """
    roles, inside, start = [], "", 0
    for index, cell in enumerate(nb["cells"]):
        text = _text(cell) if cell.get("cell_type") == "markdown" else ""
        if inside == "solution" and (SOLUTION_START.search(text) or EXERCISE_START.search(text)):
            raise ValueError(f"cell {start}: solution-start has no solution-end before cell {index}")
        if inside == "solution":
            roles.append("solution")
            inside = "" if SOLUTION_END.search(text) else inside
        elif SOLUTION_START.search(text):
            roles.append("solution")
            inside = "" if SOLUTION_END.search(text) else "solution"
            start = index
        elif SOLUTION_BLOCK.search(text):
            roles.append("solution")
        elif inside == "exercise" or EXERCISE_START.search(text):
            roles.append("exercise")
            inside = "" if EXERCISE_END.search(text) else "exercise"
        else:
            roles.append("")
    if inside == "solution":
        raise ValueError(f"cell {start}: solution-start has no solution-end")
    return roles


def solution_cells(nb) -> List[int]:
    """Indices of the cells :func:`student_edition` removes."""
    return [i for i, role in enumerate(_roles(nb)) if role == "solution"]


def check_ids(nb) -> List[str]:
    """Exercise ids the notebook's code cells pass to ``check``, in order, without repeats."""
    ids = [m.group(2) for cell in nb["cells"] if cell.get("cell_type") == "code"
           for m in CHECK_CALL.finditer(_text(cell))]
    return list(dict.fromkeys(ids))


def is_check_cell(cell) -> bool:
    """A code cell whose every statement is ``check("id", name)`` or the import of ``check``."""
    if cell.get("cell_type") != "code":
        return False
    try:
        body = ast.parse(_text(cell)).body
    except SyntaxError:
        return False

    def is_check(node) -> bool:
        if isinstance(node, ast.ImportFrom):
            return node.module == "poolkit.checks" and [a.name for a in node.names] == ["check"]
        call = node.value if isinstance(node, ast.Expr) else None
        return (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "check"
                and len(call.args) == 2 and not call.keywords and isinstance(call.args[0], ast.Constant)
                and isinstance(call.args[1], ast.Name))

    return bool(body) and all(map(is_check, body))


def _defined_names(cells) -> set:
    """Names that code cells define at top level (functions, classes, assignments)."""
    names = set()
    for cell in cells:
        try:
            tree = ast.parse(_text(cell))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _uses(cell, names: set) -> bool:
    """Does the code cell use one of ``names`` as a plain name (not ``module.name``)?"""
    if not names:
        return False
    text = _text(cell)
    try:
        return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(ast.parse(text)))
    except SyntaxError:  # IPython magics: fall back to a word search, which errs on the safe side
        return any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


def student_edition(nb):
    """A copy of the notebook ``nb`` without its solutions (see the module docstring)."""
    roles = _roles(nb)
    solutions = [c for c, role in zip(nb["cells"], roles) if role == "solution" and c.get("cell_type") == "code"]
    answers = _defined_names(solutions)
    out = copy.deepcopy(nb)
    out["cells"] = []
    for cell, role in zip(nb["cells"], roles):
        if role == "solution":
            continue
        cell = copy.deepcopy(cell)
        if cell.get("cell_type") == "code" and (role == "exercise" or CHECK_CALL.search(_text(cell))
                                                or _uses(cell, answers)):
            cell["outputs"], cell["execution_count"] = [], None
        out["cells"].append(cell)
    return out


def write_student_editions(outdir, chapters: Iterable, log=print) -> List[Path]:
    """Write the student edition of each chapter notebook into ``outdir`` (same file names).

    Each result is validated against the nbformat schema. Refuses to overwrite a chapter
    with its own student edition. ``log`` gets one line per notebook.
    """
    import nbformat

    outdir = Path(outdir)
    paths: Sequence[Path] = [Path(p) for p in chapters]
    if not paths:
        raise ValueError("no chapter notebooks given")
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        target = outdir / path.name
        if target.resolve() == path.resolve():
            raise ValueError(f"{path}: the student edition would overwrite the chapter; choose another OUTDIR")
        nb = nbformat.read(path, as_version=4)
        try:
            edition = student_edition(nb)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
        nbformat.validate(edition)
        nbformat.write(edition, target)
        removed = len(nb.cells) - len(edition.cells)
        log(f"{path} -> {target}: {len(check_ids(edition))} exercises, {removed} solution cells removed")
        written.append(target)
    return written
