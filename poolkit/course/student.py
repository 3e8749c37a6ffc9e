"""Student editions of the chapters: plain notebooks, without (or with) their solutions.

A chapter's exercise is a block of cells (see README, "Exercises")::

    markdown  ````{exercise-start} Min pooling   the exercise's title, then its text
              :label: ex-ch1-min-pool
              ````
    code      def pool2d_min(X, pool_size):      the stub the learner fills in
                  raise NotImplementedError
    code      check("pool2d_min", pool2d_min)    the check: "not written yet" on the stub
    markdown  ````{exercise-end}
    markdown  ````{solution-start} ex-ch1-min-pool
              :class: dropdown
    code      def pool2d_min(X, pool_size):      the solution, folded in a dropdown
                  return -pool2d(-X, pool_size)  on the website
    code      check("pool2d_min", pool2d_min)    its own check, which passes
    markdown  ````{solution-end}

:func:`student_edition` returns the notebook a learner is handed:

- every solution goes: all cells from ``solution-start`` to ``solution-end``, and any
  markdown cell holding a one-block ``{solution}`` directive;
- outputs that could show an answer are cleared: those of the stubs, of the check
  cells, and of every other code cell that uses a name a solution defined (its output
  came from the solution's code). Check cells and stubs stay, for the learner to run;
- every other cell keeps its output: the narrative, its figures and worked examples,
  exactly as the website shows them;
- the Markdown is plain (:func:`plain_markdown`), so that plain Jupyter, Colab and
  Binder show no MyST syntax: ``### Exercise 1.2: Title`` for an exercise, tab sets
  as consecutive blocks headed **PyTorch**, **TensorFlow**, ..., admonitions and
  dropdowns as block quotes, cross-references as their text ("chapter 3",
  "Exercise 1.2"), label lines removed; math stays. A cell left empty goes.

``student_edition(nb, with_solutions=True)`` keeps the solutions, each under a
``#### Solution to Exercise N.M`` heading, with every stored output: the notebooks that
Colab and Binder open. Cells of the plain editions carry ``metadata.poolkit``
(``{"exercise": label}`` on an exercise's heading, ``{"solution": label}`` on a
solution's cells), so :func:`solution_cells` still finds solutions there.

Chapter numbers come from the chapter file's name (``03_vectorizing.ipynb`` is chapter
3, its exercises 3.1, 3.2, ...); ``ch-<slug>`` labels from the order of ``_toc.yml``
(:class:`Book`). :func:`exercise_blocks` lists each exercise's stub, checks and
solution cells (the exercise-flow test and the notebook lint use it);
:func:`check_ids` lists the exercise ids a notebook's check cells grade, and
:func:`is_check_cell` tells a cell that does nothing but check (the grader skips
those). Imports nbformat only when it reads or writes files.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["student_edition", "write_student_editions", "check_ids", "is_check_cell",
           "solution_cells", "exercise_blocks", "ExerciseBlock", "plain_markdown", "Book",
           "chapter_number"]

_DIRECTIVE = r"^\s*(?:`{3,}|:{3,})\s*\{%s\}"
SOLUTION_START = re.compile(_DIRECTIVE % "solution-start", re.MULTILINE)
SOLUTION_END = re.compile(_DIRECTIVE % "solution-end", re.MULTILINE)
SOLUTION_BLOCK = re.compile(_DIRECTIVE % "solution", re.MULTILINE)  # the ungated form
EXERCISE_START = re.compile(_DIRECTIVE % "exercise-start", re.MULTILINE)
EXERCISE_END = re.compile(_DIRECTIVE % "exercise-end", re.MULTILINE)
EXERCISE_BLOCK = re.compile(_DIRECTIVE % "exercise", re.MULTILINE)  # the ungated form
CHECK_CALL = re.compile(r"""\bcheck\(\s*(["'])([A-Za-z_][\w-]*)\1""")
META = "poolkit"  # cell metadata key of the plain editions: {"exercise": label} / {"solution": label}


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _meta(cell) -> dict:
    value = cell.get("metadata", {}).get(META, {})
    return value if isinstance(value, dict) else {}


def _roles(nb) -> list[str]:
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
        elif SOLUTION_BLOCK.search(text) or "solution" in _meta(cell):
            roles.append("solution")
        elif inside == "exercise" or EXERCISE_START.search(text):
            roles.append("exercise")
            inside = "" if EXERCISE_END.search(text) else "exercise"
        elif "exercise" in _meta(cell):  # a plain edition's exercise cell
            roles.append("exercise")
        else:
            roles.append("")
    if inside == "solution":
        raise ValueError(f"cell {start}: solution-start has no solution-end")
    return roles


def solution_cells(nb) -> list[int]:
    """Indices of the cells :func:`student_edition` removes (and, in a plain edition with
    solutions, the cells marked as a solution's)."""
    return [i for i, role in enumerate(_roles(nb)) if role == "solution"]


def check_ids(nb) -> list[str]:
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
            return node.module == "poolkit.course" and [a.name for a in node.names] == ["check"]
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


# ---------------------------------------------------------------- the exercises of a notebook
@dataclass
class ExerciseBlock:
    """One exercise's cells, as indices into ``nb.cells`` (None or [] where missing).

    ``stub`` is the first code cell after ``exercise-start``, ``checks`` the code cells
    after it up to ``exercise-end``; ``solution`` the first code cell after the
    ``solution-start`` that names this exercise's label, ``solution_checks`` the
    code cells after it up to ``solution-end``.
    """

    label: str
    number: int  # the exercise's order in the notebook, from 1
    title: str
    start: int
    end: int | None = None
    stub: int | None = None
    checks: list[int] = field(default_factory=list)
    solution_start: int | None = None
    solution_end: int | None = None
    solution: int | None = None
    solution_checks: list[int] = field(default_factory=list)


FENCE = re.compile(r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_INFO = re.compile(r"^\s*\{(?P<name>[\w:.+-]+)\}\s*(?P<arg>.*?)\s*$")
OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):\s*(?P<value>.*?)\s*$")


def _first_directive(text: str, names: Sequence[str]):
    """(name, argument, options) of the first directive in ``text`` among ``names``, or None."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        d = m and DIRECTIVE_INFO.match(m.group("info"))
        if d and d.group("name") in names:
            options = {}
            for option in lines[i + 1:]:
                o = OPTION.match(option)
                if not o:
                    break
                options[o.group("key")] = o.group("value")
            return d.group("name"), d.group("arg"), options
    return None


def exercise_blocks(nb) -> list[ExerciseBlock]:
    """Every gated exercise (``exercise-start`` ... ``exercise-end``) of ``nb``, in order,
    with its stub, checks and solution (see :class:`ExerciseBlock`)."""
    blocks: list[ExerciseBlock] = []
    by_label: dict[str, ExerciseBlock] = {}
    current: ExerciseBlock | None = None  # inside exercise-start ... exercise-end
    solution: ExerciseBlock | None = None  # inside solution-start ... solution-end
    solution_open = False
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") == "markdown":
            text = _text(cell)
            found = _first_directive(text, ("exercise-start", "solution-start"))
            if found and found[0] == "exercise-start":
                label = found[2].get("label", f"exercise-{len(blocks) + 1}")
                current = ExerciseBlock(label, len(blocks) + 1, found[1], index)
                blocks.append(current)
                by_label[label] = current
                solution_open = False
            elif found and found[0] == "solution-start":
                solution, solution_open = by_label.get(found[1]), True
                if solution is not None:
                    solution.solution_start = index
                current = None
            if current is not None and EXERCISE_END.search(text):
                current.end, current = index, None
            if solution_open and SOLUTION_END.search(text):
                if solution is not None:
                    solution.solution_end = index
                solution, solution_open = None, False
        elif cell.get("cell_type") == "code":
            if current is not None:
                if current.stub is None:
                    current.stub = index
                else:
                    current.checks.append(index)
            elif solution is not None:
                if solution.solution is None:
                    solution.solution = index
                else:
                    solution.solution_checks.append(index)
    return blocks


# ---------------------------------------------------------------- the book: numbers and labels
def chapter_number(path) -> int | None:
    """The chapter number in a chapter file's name: ``03_vectorizing.ipynb`` -> 3."""
    m = re.match(r"(\d+)[_-]", Path(str(path)).name)
    return int(m.group(1)) if m else None


LABEL_LINE = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")
HEADING = re.compile(r"^\s{0,3}(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")


class Book:
    """What cross-references need: each chapter's number (from ``_toc.yml``'s order, or
    from file names), title and labels.

    ``Book.find(paths)`` reads the ``_toc.yml`` of the book the chapters belong to (the
    nearest folder above them that has one, else the current folder); without one, the
    book is just the given chapters, numbered by their file names.
    """

    def __init__(self, chapters: Sequence[Path] = (), toc_numbers: dict[str, int] | None = None):
        self.numbers: dict[str, int] = {}  # chapter stem -> number
        self.labels: dict[str, tuple[str, str, str]] = {}  # label -> (kind, number, title)
        self.docs: dict[str, str] = {}  # chapter stem -> title
        for path in chapters:
            path = Path(path)
            number = (toc_numbers or {}).get(path.stem) or chapter_number(path)
            if number is not None:
                self.numbers[path.stem] = number
            try:
                import nbformat

                nb = nbformat.read(path, as_version=4)
            except Exception:  # a missing or broken chapter: its labels stay unknown
                continue
            self.add_notebook(nb, path.stem)

    @classmethod
    def find(cls, paths: Iterable) -> Book:
        paths = [Path(p).resolve() for p in paths]
        candidates = [parent for p in paths for parent in p.parents] + [Path.cwd()]
        root = next((c for c in candidates if (c / "_toc.yml").is_file()), None)
        if root is None:
            return cls(paths)
        return cls.from_toc(root, extra=paths)

    @classmethod
    def from_toc(cls, root, extra: Sequence[Path] = ()) -> Book:
        import yaml

        root = Path(root)
        toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")) or {}
        entries = []

        def walk(items):
            for item in items or []:
                if isinstance(item, dict):
                    if "file" in item:
                        entries.append(item["file"])
                    walk(item.get("chapters"))
                    walk(item.get("sections"))

        for part in toc.get("parts", []) or []:
            walk(part.get("chapters"))
        walk(toc.get("chapters"))
        files = []
        for entry in entries:
            path = root / entry
            path = path if path.suffix else path.with_suffix(".ipynb")
            if path.suffix == ".ipynb":
                files.append(path)
        numbers = {p.stem: i for i, p in enumerate(files, 1)}
        known = {p.stem for p in files}
        return cls(files + [Path(p) for p in extra if Path(p).stem not in known], numbers)

    def add_notebook(self, nb, stem: str) -> None:
        number = self.numbers.get(stem) or chapter_number(stem + "_")
        exercise = 0
        pending: list[str] = []
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "markdown":
                continue
            lines = _text(cell).splitlines()
            for k, line in enumerate(lines):
                label = LABEL_LINE.match(line)
                heading = HEADING.match(line)
                fence = FENCE.match(line)
                directive = fence and DIRECTIVE_INFO.match(fence.group("info"))
                if label:
                    pending.append(label.group("label"))
                elif heading:
                    title = heading.group("title")
                    if len(heading.group("hashes")) == 1:
                        self.docs.setdefault(stem, title)
                    for name in pending:
                        chapter = len(heading.group("hashes")) == 1
                        self.labels[name] = ("chapter" if chapter else "section",
                                             str(number) if chapter and number else "", title)
                    pending = []
                elif line.strip():
                    pending = []
                if directive and directive.group("name") in ("exercise-start", "exercise"):
                    exercise += 1
                    options = _first_directive("\n".join(lines[k:]), ("exercise-start", "exercise"))[2]
                    if "label" in options:
                        ex_number = f"{number}.{exercise}" if number else str(exercise)
                        self.labels[options["label"]] = ("exercise", ex_number, f"Exercise {ex_number}")


# ---------------------------------------------------------------- plain Markdown
ROLE = re.compile(r"\{(?P<role>[\w:.+-]+)\}`(?P<content>[^`]*)`")
TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>\s*$", re.DOTALL)
ADMONITIONS = {"note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important", "warning": "Warning",
               "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error",
               "seealso": "See also", "todo": "To do", "versionadded": "New", "deprecated": "Deprecated"}
QUOTED = {"admonition", "dropdown", "margin", "sidebar", "topic", "epigraph", "pull-quote", "card",
          "grid-item-card", "aside"}
CODE = {"code", "code-block", "sourcecode", "code-cell"}
DROPPED = {"exercise-end", "solution-end", "toctree", "tableofcontents", "bibliography", "glue:figure",
           "eval-rst", "raw"}


class _Context:
    """The state of one notebook's conversion: its chapter number, the exercises seen."""

    def __init__(self, book: Book | None, chapter: int | None, nb=None):
        self.book = book or Book()
        self.chapter = chapter
        self.exercises = 0
        self.exercise_numbers: dict[str, str] = {}
        self.unresolved: list[str] = []
        self.local = Book()  # this notebook's own labels, even when it is not in the book
        if nb is not None:
            if chapter:
                self.local.numbers[""] = chapter
            self.local.add_notebook(nb, "")

    def exercise_number(self) -> str:
        self.exercises += 1
        return f"{self.chapter}.{self.exercises}" if self.chapter else str(self.exercises)

    def label(self, label: str) -> tuple[str, str, str]:
        if label in self.exercise_numbers:
            number = self.exercise_numbers[label]
            return ("exercise", number, f"Exercise {number}")
        found = self.local.labels.get(label) or self.book.labels.get(label)
        if found is None:
            self.unresolved.append(label)
            return ("", "", label)
        return found


def _role(match, ctx: _Context) -> str:
    role, content = match.group("role"), match.group("content")
    explicit = TARGET.match(content)
    text, target = (explicit.group("text"), explicit.group("target")) if explicit else (None, content.strip())
    if role in ("math",):
        return f"${content}$"
    if role == "ref":
        return text if text else ctx.label(target)[2]
    if role == "numref":
        kind, number, title = ctx.label(target)
        if text is None:
            return {"chapter": f"Chapter {number}", "exercise": title}.get(kind, title)
        return text.replace("%s", number or "?").replace("{number}", number or "?").replace("{name}", title)
    if role == "doc":
        if text:
            return text
        stem = Path(target).name
        return ctx.book.docs.get(stem, stem)
    if role == "eq":
        return f"({text or target})"
    if role in ("sup", "sub"):
        return f"<{role}>{content}</{role}>"
    if role in ("code", "literal", "samp", "file", "command", "kbd"):
        return f"`{content}`"
    return text if text is not None else content  # term, abbr, download, index, ...


def _roles_to_text(line: str, ctx: _Context) -> str:
    # Roles only outside inline code spans: split on backtick runs that are not a role's.
    # A code span may run over line ends within a paragraph, never over a blank line.
    out, pos = [], 0
    for m in re.finditer(r"(?<!`)(`+)(?!`)(?:(?!\n[ \t]*\n)[\s\S])*?(?<!`)\1(?!`)|" + ROLE.pattern, line):
        out.append(line[pos:m.start()])
        out.append(_role(m, ctx) if m.group("role") else m.group(0))
        pos = m.end()
    out.append(line[pos:])
    return "".join(out)


def _parse(lines: list[str]) -> list[tuple]:
    """Split Markdown lines into ("text", line), ("code", lines) and
    ("directive", name, argument, options, body lines) items."""
    items, i = [], 0
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if not m or (m.group("fence")[0] == "`" and "`" in m.group("info")):
            items.append(("text", line))
            i += 1
            continue
        fence, info = m.group("fence"), m.group("info")
        directive = DIRECTIVE_INFO.match(info)
        if fence[0] == ":" and not directive:
            items.append(("text", line))
            i += 1
            continue
        close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
        j, inner = i + 1, None  # inner: the closing pattern of a nested plain code block
        while j < len(lines):
            if inner is not None:
                inner = None if inner.match(lines[j]) else inner
            elif close.match(lines[j]):
                break
            else:
                n = FENCE.match(lines[j])
                if n and n.group("fence")[0] != ":" and not DIRECTIVE_INFO.match(n.group("info")):
                    inner = re.compile(r"^[ \t]*" + re.escape(n.group("fence")[0]) + "{"
                                       + str(len(n.group("fence"))) + r",}[ \t]*$")
            j += 1
        body = lines[i + 1:j]
        if not directive:
            items.append(("code", lines[i:j + 1]))
        else:
            options, k = {}, 0
            if body and body[0].strip() == "---":  # options as a YAML block
                end = next((n for n in range(1, len(body)) if body[n].strip() == "---"), None)
                if end is not None:
                    for option in body[1:end]:
                        key, _, value = option.partition(":")
                        options[key.strip()] = value.strip()
                    k = end + 1
            while k < len(body) and OPTION.match(body[k]):
                o = OPTION.match(body[k])
                options[o.group("key")] = o.group("value")
                k += 1
            items.append(("directive", directive.group("name"), directive.group("arg"), options, body[k:]))
        i = j + 1
    return items


def _quote(lines: list[str], title: str | None) -> list[str]:
    body = ([f"**{title}**", ""] if title else []) + _trim(lines)
    return ["", *[("> " + line).rstrip() for line in body], ""]


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _render(lines: list[str], ctx: _Context) -> list[str]:
    out: list[str] = []
    text: list[str] = []  # the current run of text lines, converted together

    def flush():
        if text:
            out.extend(_roles_to_text("\n".join(text), ctx).split("\n"))
            text.clear()

    for item in _parse(lines):
        kind = item[0]
        if kind == "text":
            line = item[1]
            if LABEL_LINE.match(line) or re.match(r"^\s*%", line):  # label lines, MyST comments
                continue
            text.append(re.sub(r"^(\s*\$\$)\s*\([^()\s]+\)\s*$", r"\1", line))  # $$ (eq-label)
            continue
        flush()
        if kind == "code":
            out.extend(item[1])
        else:
            out.extend(_directive(*item[1:], ctx=ctx))
    flush()
    return out


def _directive(name: str, arg: str, options: dict, body: list[str], ctx: _Context) -> list[str]:
    title = _roles_to_text(arg, ctx) if arg else ""
    if name in ("exercise-start", "exercise"):
        number = ctx.exercise_number()
        if "label" in options:
            ctx.exercise_numbers[options["label"]] = number
        heading = "### Exercise" + ("" if "nonumber" in options else f" {number}") + (f": {title}" if title else "")
        return ["", heading, "", *_render(body, ctx), ""]
    if name in ("solution-start", "solution"):
        kind, number, _ = ctx.label(arg.strip()) if arg.strip() else ("", "", "")
        heading = f"#### Solution to Exercise {number}" if kind == "exercise" else "#### Solution"
        return ["", heading, "", *_render(body, ctx), ""]
    if name in DROPPED:
        return []
    if name in ("tab-set", "tab-set-code", "grid", "div", "container", "only"):
        return ["", *_render(body, ctx), ""]
    if name in ("tab-item", "grid-item"):
        return ["", f"**{title}**" if title else "", "", *_trim(_render(body, ctx)), ""]
    if name in ("math", "equation"):
        return ["", "$$", *_trim(body), "$$", ""]
    if name in CODE:
        return ["```" + (arg.split()[0] if arg else ""), *body, "```"]
    if name in ("figure", "image"):
        caption = " ".join(line.strip() for line in _render(body, ctx) if line.strip())
        return ["", f"![{caption or options.get('alt', '')}]({arg})", ""]
    if name in ADMONITIONS:
        return _quote(_render(body, ctx), title or ADMONITIONS[name])
    if name in QUOTED:
        return _quote(_render(body, ctx), title or None)
    return ["", *([f"**{title}**", ""] if title else []), *_render(body, ctx), ""]  # any other directive


def plain_markdown(text: str, book: Book | None = None, chapter: int | None = None,
                   _ctx: _Context | None = None) -> str:
    """``text`` (MyST Markdown) as plain Markdown that Jupyter, Colab and GitHub show as
    intended: no directive, role or label syntax left (see the module docstring)."""
    ctx = _ctx or _Context(book, chapter, {"cells": [{"cell_type": "markdown", "source": text}]})
    lines = _render(text.splitlines(), ctx)
    text = "\n".join(lines)
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)  # at most one blank line in a row
    return text.strip("\n")


# ---------------------------------------------------------------- the editions
def student_edition(nb, with_solutions: bool = False, *, chapter: int | None = None,
                    book: Book | None = None):
    """A copy of the notebook ``nb`` without its solutions, in plain Markdown (see the module
    docstring). ``with_solutions``: keep the solutions and every output (Colab, Binder).
    ``chapter``: the chapter number used in exercise numbers (``Exercise 3.1``)."""
    roles = _roles(nb)
    solutions = [c for c, role in zip(nb["cells"], roles) if role == "solution" and c.get("cell_type") == "code"]
    answers = _defined_names(solutions)
    labels = {block.solution_start: block.label for block in exercise_blocks(nb) if block.solution_start is not None}
    ctx = _Context(book, chapter, nb)
    out = copy.deepcopy(nb)
    out["cells"] = []
    solution_label = exercise_label = None
    for index, (cell, role) in enumerate(zip(nb["cells"], roles)):
        if role == "solution" and not with_solutions:
            continue
        cell = copy.deepcopy(cell)
        if role == "solution":
            solution_label = labels.get(index, solution_label)
        if cell.get("cell_type") == "markdown":
            text = _text(cell)
            started = _first_directive(text, ("exercise-start", "exercise"))
            if started:
                exercise_label = started[2].get("label", "")
            cell["source"] = plain_markdown(text, _ctx=ctx)
        if role == "exercise":  # marked, so that the plain edition's own student edition is the same
            cell.setdefault("metadata", {})[META] = {"exercise": _meta(cell).get("exercise", exercise_label or "")}
        elif role == "solution":
            cell.setdefault("metadata", {})[META] = {"solution": _meta(cell).get("solution", solution_label or "")}
        if cell.get("cell_type") == "markdown" and not cell["source"].strip():
            continue
        if (not with_solutions and cell.get("cell_type") == "code"
                and (role == "exercise" or CHECK_CALL.search(_text(cell)) or _uses(cell, answers))):
            cell["outputs"], cell["execution_count"] = [], None
        out["cells"].append(cell)
    return out


def write_student_editions(outdir, chapters: Iterable, log=print, with_solutions: bool = False,
                           book: Book | None = None) -> list[Path]:
    """Write the student edition of each chapter notebook into ``outdir`` (same file names).

    Each result is validated against the nbformat schema. Refuses to overwrite a chapter
    with its own student edition. ``log`` gets one line per notebook, and a warning for
    each cross-reference it could not resolve. ``with_solutions``: the plain edition with
    solutions (see :func:`student_edition`).
    """
    import nbformat

    outdir = Path(outdir)
    paths: Sequence[Path] = [Path(p) for p in chapters]
    if not paths:
        raise ValueError("no chapter notebooks given")
    book = book or Book.find(paths)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        target = outdir / path.name
        if target.resolve() == path.resolve():
            raise ValueError(f"{path}: the student edition would overwrite the chapter; choose another OUTDIR")
        nb = nbformat.read(path, as_version=4)
        number = book.numbers.get(path.stem) if chapter_number(path) is None else chapter_number(path)
        try:
            edition = student_edition(nb, with_solutions, chapter=number, book=book)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
        nbformat.validate(edition)
        nbformat.write(edition, target)
        removed = len(solution_cells(nb)) if not with_solutions else 0
        what = "solutions kept" if with_solutions else f"{removed} solution cells removed"
        log(f"{path} -> {target}: {len(check_ids(edition))} exercises, {what}")
        unresolved = _unresolved(nb, book, number)
        if unresolved:
            log(f"  warning: {path.name}: unknown cross-reference label(s) {', '.join(unresolved)}, "
                "shown as the label")
        written.append(target)
    return written


def _unresolved(nb, book: Book, chapter: int | None) -> list[str]:
    ctx = _Context(book, chapter, nb)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            plain_markdown(_text(cell), _ctx=ctx)
    return list(dict.fromkeys(ctx.unresolved))
