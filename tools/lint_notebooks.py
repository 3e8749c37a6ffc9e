"""Lint the chapter notebooks: the conventions nbval and the book rely on.

Usage: ``python tools/lint_notebooks.py [PATH ...]`` (files or folders; default
``chapters``). Prints one line per problem, ``file: cell N (nbval Cell M): ...``,
and exits 1 if there is any. ``cell N`` counts every cell from 0, as Jupyter's
JSON does; ``nbval Cell M`` counts code cells only, as nbval's test names do.

A chapter notebook must follow these rules (each is checked here):

``first-cell``
    The first cell is a markdown cell whose first line is the chapter title,
    ``# Title`` (one ``#``), or the chapter's label line ``(ch-<slug>)=`` and then
    the title (``slug``: the file name without its number, ``_`` -> ``-``; it is
    what ``{numref}`chapter %s <ch-slug>``` refers to). The book takes the page
    title from it.

``setup-cell``
    The first code cell is exactly :data:`SETUP_CELL`, tagged ``remove-cell``,
    with no stored output. On Colab it installs poolkit; everywhere else
    (locally, on Binder, under nbval) it does nothing and prints nothing, so
    nbval checks it like any other cell and needs no exemption. The book hides
    it (``remove-cell``); the downloaded notebook keeps it.

``not-executed``
    Every code cell with source has been executed (``execution_count`` is set).
    nbval does not compare a cell that has no stored output, so an unexecuted
    cell would go unchecked.

``execution-order``
    Execution counts run 1, 2, 3, ... from top to bottom: the stored outputs come
    from one clean top-to-bottom run (``make outputs`` produces exactly that).

``stored-error``
    An error output is stored only in a cell tagged ``raises-exception`` (nbval,
    nbclient and the book's executor all accept an error there and nowhere else).

``tf-noise``
    No TensorFlow/abseil log line in any output (``I tensorflow/...``,
    ``W0000 00:00:...``, "oneDNN custom operations", "This TensorFlow binary is
    optimized", CUDA/cuDNN registration messages, ...). They appear when TF is
    imported without ``TF_CPP_MIN_LOG_LEVEL=2`` and ``TF_ENABLE_ONEDNN_OPTS=0``;
    ``make outputs`` and ``make lab`` set both.

``ignore-output``
    ``nbval-ignore-output`` (the tag, or a ``# NBVAL_IGNORE_OUTPUT`` comment) is
    allowed only on a timing cell: one also tagged ``timing``, or whose source
    times something with ``%timeit``, ``%%timeit``, ``%time``, ``%%time``,
    ``timeit.`` or ``perf_counter``. Anything else must produce the same output
    on every run (seed the randomness, round floats, sanitize in
    ``tools/nbval-sanitize.cfg``). ``nbval-skip`` is never allowed.

``machine-text``
    No machine-specific text in any output, tracebacks included: absolute paths
    (``/work/``, ``/home/``, ``/root/``, ``/tmp/``, ``/Users/``, ``C:\\Users``...)
    and memory addresses (``0x7f3a...``). ``make outputs`` rewrites the paths in
    tracebacks; anything else should not print them.

``exercise-order``
    Each exercise (README, "Exercises") is, in this order: ``exercise-start`` with a
    ``:label:``, the learner's stub (the first code cell after it), a check cell
    (``check("id", name)``), ``exercise-end``; then ``solution-start <label>``, the
    solution (a code cell), the same check, maybe more cells (a worked example, why it
    works), ``solution-end``. The stored output of
    the check after the stub is its report on the untouched stub ("📝 ... not
    written yet"), never a pass (✅); the check in the solution shows a pass, and
    nothing else (no ❌, no 📝). Every exercise has its solution, and every
    solution names an exercise above it.

``invalid``
    The file is a valid nbformat 4 notebook.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's poolkit, before any installed one
from poolkit.course.student import CHECK_CALL, SOLUTION_START, _first_directive, exercise_blocks  # noqa: E402

PASS, FAIL, NOT_WRITTEN = "\u2705", "\u274c", "\U0001f4dd"


def published_location(root: Path = ROOT) -> tuple:
    """The book's repository URL (``_config.yml``, ``repository.url``: the one setting to
    change when publishing elsewhere) and poolkit's version (``pyproject.toml``)."""
    import tomllib

    import yaml

    url = yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    return url, version


def setup_cell(root: Path = ROOT) -> str:
    """The first code cell of every chapter, built from :func:`published_location`."""
    url, version = published_location(root)
    return f"""\
# Set-up, hidden on the website: keep TensorFlow's start-up logs out of the
# outputs and, on Colab only, fetch this book at its version (poolkit and the
# chapters' data files), install poolkit and run from the chapters' folder.
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
if "google.colab" in sys.modules:
    if not os.path.isdir("/content/book"):
        !git clone -q --depth 1 --branch v{version} {url} /content/book
    %pip install -q "/content/book[viz,kernels]"
    os.chdir("/content/book/chapters")
"""


SETUP_CELL = setup_cell()
SETUP_TAG = "remove-cell"

TF_NOISE = [
    re.compile(p, re.MULTILINE)
    for p in (
        r"^[IWEF]\d{4} \d\d:\d\d:\d\d",  # abseil: I0000 00:00:1700000000.1 ...
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] ",  # 2024-01-01 12:00:00.1: I ...
        r"\b[IWEF] (?:tensorflow|external|third_party)/",  # I tensorflow/core/...
        r"oneDNN custom operations",
        r"This TensorFlow binary is optimized",
        r"rebuild TensorFlow with the appropriate compiler flags",
        r"All log messages before absl::InitializeLog",
        r"TF-TRT Warning",
        r"Unable to register cu(?:DNN|FFT|BLAS) factory",
        r"Could not find cuda drivers",
        r"failed call to cuInit",
    )
]
# Text on stderr mentioning CUDA is a library's log line too (torch and TF both print them).
STDERR_NOISE = [re.compile(r"(?i)\bcuda")]

MACHINE_TEXT = [
    (re.compile(r"(?<![\w.~])/(?:work|home|root|tmp|Users|private|var/folders|opt|usr|srv|mnt)/"),
     "an absolute path"),
    (re.compile(r"\b[A-Za-z]:\\\\?(?:Users|Documents and Settings)\\"), "a Windows path"),
    (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "a memory address"),
]

TIMING_SOURCE = re.compile(r"%%?timeit\b|%%?time\b|\btimeit\.|perf_counter")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")


@dataclass(frozen=True)
class Problem:
    path: str
    cell: int | None  # index among all cells, from 0
    code_cell: int | None  # index among code cells, from 0 (nbval's "Cell M")
    rule: str
    message: str

    def __str__(self) -> str:
        where = "" if self.cell is None else f" cell {self.cell}"
        if self.code_cell is not None:
            where += f" (nbval Cell {self.code_cell})"
        return f"{self.path}:{where} [{self.rule}] {self.message}"


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _output_texts(output) -> list[tuple[str, str]]:
    """(kind, text) pairs of everything human-readable in one output."""
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        return [(f"stream:{output.get('name', 'stdout')}", "".join(text) if isinstance(text, list) else text)]
    if kind in ("execute_result", "display_data"):
        texts = []
        for mime, value in output.get("data", {}).items():
            if mime in TEXT_MIMES or mime.startswith("text/"):
                texts.append((mime, "".join(value) if isinstance(value, list) else str(value)))
        return texts
    if kind == "error":
        tb = "\n".join(output.get("traceback", []))
        return [("error", f"{output.get('ename', '')}: {output.get('evalue', '')}\n{tb}")]
    return []


def _normalize(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _snippet(text: str, match: re.Match) -> str:
    line_start = text.rfind("\n", 0, match.start()) + 1
    line_end = text.find("\n", match.end())
    line = text[line_start: line_end if line_end != -1 else len(text)].strip()
    return line if len(line) <= 100 else line[:97] + "..."


def lint_notebook(nb, path: str = "<notebook>") -> list[Problem]:
    """Every problem in one notebook (a path, or an already-read NotebookNode)."""
    problems: list[Problem] = []
    if not isinstance(nb, nbformat.NotebookNode):
        path = str(nb) if path == "<notebook>" else path
        try:
            nb = nbformat.read(str(nb), as_version=4)
        except Exception as exc:  # unreadable JSON, wrong version...
            return [Problem(path, None, None, "invalid", f"not a readable notebook: {exc}")]
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        problems.append(Problem(path, None, None, "invalid", f"not a valid nbformat 4 notebook: {exc.message}"))

    cells = nb.get("cells", [])

    def add(i, code_i, rule, message):
        problems.append(Problem(path, i, code_i, rule, message))

    # first-cell
    first = cells[0] if cells else None
    text = _source(first).lstrip() if first is not None else ""
    label = re.match(r"\((?P<label>[^()\s]*)\)=[ \t]*\n\s*", text)
    title = text[label.end() if label else 0:]
    if first is None or first.get("cell_type") != "markdown" or not re.match(r"# \S", title):
        add(0 if cells else None, None, "first-cell",
            "the first cell must be a markdown cell starting with the chapter title, '# Title' "
            "(after the chapter's label line '(ch-<slug>)=')")
    elif label:
        slug = re.match(r"\d+_(?P<slug>\w+)\.ipynb$", Path(path).name)
        want = f"ch-{slug.group('slug').replace('_', '-')}" if slug else None
        if not label.group("label").startswith("ch-") or want and label.group("label") != want:
            add(0, None, "first-cell", f"the chapter's label line is ({label.group('label')})=; it must be "
                                       f"({want or 'ch-<slug>'})=, from the file name")

    problems += [Problem(path, i, _code_index(cells, i), "exercise-order", message)
                 for i, message in exercise_order(nb)]

    code_index = -1
    expected_count = 1
    seen_setup = False
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        code_index += 1
        source = _source(cell)
        tags = _tags(cell)
        outputs = cell.get("outputs", [])

        # setup-cell
        if not seen_setup:
            seen_setup = True
            if _normalize(source) != _normalize(SETUP_CELL):
                add(i, code_index, "setup-cell",
                    "the first code cell must be exactly the setup cell (see tools/lint_notebooks.py):\n"
                    + "\n".join("        " + line for line in SETUP_CELL.rstrip().splitlines()))
            else:
                if SETUP_TAG not in tags:
                    add(i, code_index, "setup-cell", f"the setup cell must be tagged '{SETUP_TAG}'")
                if outputs:
                    add(i, code_index, "setup-cell", "the setup cell must have no stored output")

        # not-executed / execution-order
        if source.strip():
            count = cell.get("execution_count")
            if count is None:
                add(i, code_index, "not-executed",
                    "code cell was never executed: nbval would not check it (run `make outputs`)")
            else:
                if count != expected_count:
                    add(i, code_index, "execution-order",
                        f"execution_count is {count}, expected {expected_count}: store the outputs of one "
                        "top-to-bottom run (`make outputs`)")
                expected_count = count + 1

        # stored-error
        for output in outputs:
            if output.get("output_type") == "error" and "raises-exception" not in tags:
                add(i, code_index, "stored-error",
                    f"stored error {output.get('ename', '?')}: {output.get('evalue', '')!s:.80} "
                    "(tag the cell 'raises-exception' if the error is the point)")

        # ignore-output
        comment_ignore = re.search(r"^\s*#\s*NBVAL_IGNORE_OUTPUT\b", source, re.MULTILINE)
        if "nbval-ignore-output" in tags or comment_ignore:
            if "timing" not in tags and not TIMING_SOURCE.search(source):
                add(i, code_index, "ignore-output",
                    "nbval-ignore-output is only for timing cells (tag 'timing', or %timeit/%time/"
                    "timeit./perf_counter in the source); make the output deterministic instead")
        if "nbval-skip" in tags or re.search(r"^\s*#\s*NBVAL_SKIP\b", source, re.MULTILINE):
            add(i, code_index, "ignore-output", "nbval-skip is not allowed: every cell is re-run")

        # tf-noise / machine-text
        for output in outputs:
            for kind, text in _output_texts(output):
                text = ANSI.sub("", text)
                patterns = TF_NOISE + (STDERR_NOISE if kind == "stream:stderr" else [])
                for pattern in patterns:
                    m = pattern.search(text)
                    if m:
                        add(i, code_index, "tf-noise",
                            f"library log line in the output ({kind}): {_snippet(text, m)!r}; set "
                            "TF_CPP_MIN_LOG_LEVEL=2 and TF_ENABLE_ONEDNN_OPTS=0 (`make outputs` does)")
                        break
                for pattern, what in MACHINE_TEXT:
                    m = pattern.search(text)
                    if m:
                        add(i, code_index, "machine-text",
                            f"{what} in the output ({kind}): {_snippet(text, m)!r}")
    return problems


def _code_index(cells, index: int) -> int | None:
    if index is None or index >= len(cells) or cells[index].get("cell_type") != "code":
        return None
    return sum(c.get("cell_type") == "code" for c in cells[:index])


def _printed(cell) -> str:
    return "".join(text for output in cell.get("outputs", []) for _, text in _output_texts(output))


def exercise_order(nb) -> list[tuple[int, str]]:
    """(cell index, message) for each breach of the ``exercise-order`` rule."""
    cells = nb.get("cells", [])
    found = []
    blocks = exercise_blocks(nb)
    labels = {block.label for block in blocks}
    for block in blocks:
        name = f"exercise {block.label}"
        if not _first_directive(_source(cells[block.start]), ("exercise-start",))[2].get("label"):
            found.append((block.start, "exercise-start needs a ':label:' (the solution-start names it)"))
        if block.end is None:
            found.append((block.start, f"{name}: no exercise-end after its exercise-start"))
            continue
        if block.stub is None:
            found.append((block.start, f"{name}: no stub (the reader's code cell) before exercise-end"))
            continue
        if CHECK_CALL.search(_source(cells[block.stub])):
            found.append((block.stub, f"{name}: the stub must be a cell of its own, the check comes after it"))
        checks = [i for i in block.checks if CHECK_CALL.search(_source(cells[i]))]
        if not checks:
            found.append((block.stub, f"{name}: the stub must be followed by a check cell, check(\"id\", name), "
                                      "before exercise-end"))
        for i in checks:
            printed = _printed(cells[i])
            if PASS in printed:
                found.append((i, f"{name}: the check after the stub shows a pass; its stored output must be "
                                 "the report on the untouched stub ('not written yet')"))
            elif NOT_WRITTEN not in printed:
                found.append((i, f"{name}: the check after the stub must show 'not written yet' ({NOT_WRITTEN}) "
                                 f"for the untouched stub; it shows {printed.strip()[:60]!r}"))
        if block.solution_start is None:
            found.append((block.end, f"{name}: no solution: add solution-start {block.label} ... solution-end "
                                     "after exercise-end"))
            continue
        if block.solution_end is None:
            found.append((block.solution_start, f"{name}: solution-start has no solution-end"))
            continue
        last = next((i for i in block.solution_checks if CHECK_CALL.search(_source(cells[i]))), None)
        if block.solution is None or CHECK_CALL.search(_source(cells[block.solution])) or last is None:
            found.append((block.solution if block.solution is not None else block.solution_start,
                          f"{name}: the solution (a code cell of its own) must be followed by its check cell, "
                          "the same check as after the stub, before solution-end"))
            continue
        printed = _printed(cells[last])
        if PASS not in printed or FAIL in printed or NOT_WRITTEN in printed:
            found.append((last, f"{name}: the check in the solution must pass (✅); it shows "
                                f"{printed.strip()[:60]!r}"))
        stub_ids = [m.group(2) for i in checks for m in CHECK_CALL.finditer(_source(cells[i]))]
        solution_ids = [m.group(2) for m in CHECK_CALL.finditer(_source(cells[last]))]
        if checks and stub_ids != solution_ids:
            found.append((last, f"{name}: the solution's check grades {solution_ids}, the check after the stub "
                                f"{stub_ids}: they must be the same"))
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "markdown" and SOLUTION_START.search(_source(cell)):
            directive = _first_directive(_source(cell), ("solution-start",))
            if directive and directive[1] not in labels:
                found.append((index, f"solution-start {directive[1]!r} names no exercise label above it"))
    return sorted(found)


def notebook_paths(args: list[str]) -> list[Path]:
    paths: list[Path] = []
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            paths += sorted(q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
        elif p.exists():
            paths.append(p)
        else:
            raise SystemExit(f"lint_notebooks: no such file or folder: {arg}")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: chapters, if it exists)")
    args = parser.parse_args(argv)
    if not args.paths:
        args.paths = ["chapters"] if Path("chapters").is_dir() else []
    paths = notebook_paths(args.paths)
    problems = [p for path in paths for p in lint_notebook(path, str(path))]
    for problem in problems:
        print(problem)
    n = len(paths)
    if problems:
        print(f"lint_notebooks: {len(problems)} problem(s) in {n} notebook(s)")
        return 1
    print(f"lint_notebooks: {n} notebook(s), no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
