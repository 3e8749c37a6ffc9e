"""Write the setup cell (``tools/lint_notebooks.py``, :func:`setup_cell`) into every chapter.

Usage: ``python tools/sync_setup_cell.py [NOTEBOOK ...]`` (default: ``chapters/*.ipynb``).
Run it after changing ``repository.url`` in ``_config.yml`` or the version in
``pyproject.toml``; the setup cell prints nothing, so stored outputs stay valid.
"""

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lint_notebooks import ROOT, SETUP_CELL, SETUP_TAG  # noqa: E402


def sync(path: Path) -> bool:
    """Make the first code cell of ``path`` the setup cell; True when the file changed."""
    nb = nbformat.read(path, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    tags = first.metadata.get("tags", [])
    if first.source == SETUP_CELL.rstrip("\n") and SETUP_TAG in tags:
        return False
    first.source = SETUP_CELL.rstrip("\n")
    first.metadata["tags"] = sorted(set(tags) | {SETUP_TAG})
    first.outputs = []
    nbformat.write(nb, path)
    return True


def main(argv):
    paths = [Path(a) for a in argv] or sorted((ROOT / "chapters").glob("*.ipynb"))
    for path in paths:
        if sync(path):
            print(f"{path}: setup cell updated")


if __name__ == "__main__":
    main(sys.argv[1:])
