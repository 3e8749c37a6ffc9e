"""Re-execute chapter notebooks in place, so their stored outputs are what nbval checks.

Usage: ``python tools/run_notebooks.py [NOTEBOOK ...]`` (default: every
``chapters/*.ipynb``); ``make outputs`` runs it in the course's virtual environment.

Each notebook runs top to bottom in a fresh kernel of *this* Python (the pinned
.venv, whatever kernels Jupyter has registered elsewhere), with the chapter's
folder as working directory and TensorFlow's C++ logging silenced. A cell may
raise only if it is tagged ``raises-exception``; any other error stops the run
and leaves that notebook unchanged.

The result is deterministic, so running it twice gives no diff:

- a timing cell (tagged ``nbval-ignore-output``) keeps the output it already has,
  so the stored timings change only on purpose: pass ``--timings``
  (``make outputs TIMINGS=1``) to store fresh ones; a timing cell with no stored
  output gets its first one either way;
- execution counts are 1, 2, 3, ... in order (empty cells keep ``None``);
- no execution timestamps (``metadata.execution``, ``ExecuteTime``) are stored;
- consecutive stream outputs of the same stream are merged into one;
- absolute paths in tracebacks are shortened (the checkout's root is dropped,
  ``.../site-packages/`` becomes ``site-packages/``), so a traceback shows the
  same text on every machine;
- the notebook metadata records the kernel as ``python3`` and the Python version
  as ``3.11``, not the patch release of the machine that ran it;
- cells without an id get one derived from their position.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")       # PyTorch's AVX2 kernels on any processor,
os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")        # as the Makefile: the same bits everywhere

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError  # noqa: E402

from poolkit.course.grading import kernel_manager_class  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KERNEL_NAME = "python3"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
TIMEOUT = 900  # seconds per cell


def _path_rewriters() -> list[tuple[re.Pattern, str]]:
    rules = [
        (re.compile(r"(?:/[^\s/'\"<>:\x1b]+)+/(site-packages|dist-packages)/"), r"\1/"),
        (re.compile(r"(?:/[^\s/'\"<>:\x1b]+)+/lib/(python3\.\d+)/"), r"\1/"),
    ]
    roots = {str(ROOT), os.path.realpath(ROOT)}
    rules += [(re.compile(re.escape(r) + r"/"), "") for r in sorted(roots, key=len, reverse=True)]
    return rules


def _shorten_paths(text: str, rules) -> str:
    for pattern, repl in rules:
        text = pattern.sub(repl, text)
    return text


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Strip what differs between runs and machines; see the module docstring."""
    rules = _path_rewriters()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    info = nb.metadata.get("language_info")
    if info and "version" in info:
        info["version"] = ".".join(str(info["version"]).split(".")[:2])
    for key in ("widgets", "toc-autonumbering", "varInspector"):
        nb.metadata.pop(key, None)

    use_ids = (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    seen_ids: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if use_ids:
            cid = cell.get("id")
            if not cid or cid in seen_ids or not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", cid):
                cid = hashlib.sha1(f"{index}:{cell.source}".encode()).hexdigest()[:12]
            seen_ids.add(cid)
            cell["id"] = cid
        if cell.cell_type != "code":
            continue
        merged = []
        for out in cell.outputs:
            if (out.output_type == "stream" and merged and merged[-1].output_type == "stream"
                    and merged[-1].name == out.name):
                merged[-1].text += out.text
                continue
            if out.output_type == "error":
                out.traceback = [_shorten_paths(line, rules) for line in out.traceback]
            merged.append(out)
        cell.outputs = merged
    return nb


def _is_timing(cell) -> bool:
    return cell.cell_type == "code" and "nbval-ignore-output" in cell.metadata.get("tags", [])


def run_notebook(path: Path, timeout: int = TIMEOUT, timings: bool = False) -> nbformat.NotebookNode:
    """Execute one notebook in its own folder and return the normalized result."""
    nb = nbformat.read(path, as_version=4)
    kept = {} if timings else {i: c.outputs for i, c in enumerate(nb.cells) if _is_timing(c) and c.outputs}
    client = NotebookClient(
        nb,
        kernel_manager_class=kernel_manager_class(),
        kernel_name=KERNEL_NAME,
        # the kernel's own start-up chatter (not cell output) stays off the terminal
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        timeout=timeout,
        allow_errors=False,  # only cells tagged raises-exception may raise
        record_timing=False,
        resources={"metadata": {"path": str(path.resolve().parent)}},
    )
    client.execute()
    for i, outputs in kept.items():
        cell = nb.cells[i]
        for out in outputs:
            if "execution_count" in out:
                out.execution_count = cell.execution_count
        cell.outputs = outputs
    return normalize(nb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to execute in place (default: chapters/*.ipynb)")
    parser.add_argument("--timings", action="store_true",
                        help="also replace the stored output of timing (nbval-ignore-output) cells")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    if not paths:
        print("run_notebooks: no notebooks to run")
        return 0
    failed = []
    for path in paths:
        start = time.perf_counter()
        print(f"run_notebooks: {path} ...", flush=True)
        try:
            nb = run_notebook(path, timings=args.timings)
        except CellExecutionError as exc:
            print(f"run_notebooks: {path} FAILED, left unchanged:\n{exc}", file=sys.stderr)
            failed.append(path)
            continue
        nbformat.write(nb, path)
        print(f"run_notebooks: {path} done in {time.perf_counter() - start:.1f} s", flush=True)
    if failed:
        print(f"run_notebooks: {len(failed)} notebook(s) failed: {', '.join(map(str, failed))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
