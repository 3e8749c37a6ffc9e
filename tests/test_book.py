"""The book builds from a clean folder with warnings as errors, and every page in
_toc.yml is produced with what a reader needs on it."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT, toc_entries

pytestmark = [pytest.mark.xdist_group("book"), pytest.mark.book]

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
REPO_PATH = REPO_URL.split("github.com/", 1)[1]
BRANCH = CONFIG["repository"]["branch"]
PAGES = toc_entries()
NOTEBOOKS = [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()]


def test_toc_sources_exist():
    missing = [p for p in PAGES if not ((ROOT / f"{p}.ipynb").exists() or (ROOT / f"{p}.md").exists())]
    assert not missing, f"_toc.yml lists pages with no .ipynb/.md source: {missing}"


def test_every_chapter_is_in_the_toc():
    chapters = sorted(str(p.relative_to(ROOT).with_suffix("")) for p in (ROOT / "chapters").glob("*.ipynb"))
    missing = [c for c in chapters if c not in PAGES]
    assert not missing, f"chapters not listed in _toc.yml (so not on the website): {missing}"


def test_build_succeeds_without_warnings(book):
    warnings = book.warnings()
    assert book.returncode == 0 and not warnings, (
        f"jupyter-book build -W -n --keep-going exited {book.returncode} with "
        f"{len(warnings)} warning/error line(s):\n" + "\n".join(warnings[:40])
        + ("" if warnings else "\n--- log tail ---\n" + book.log[-3000:]))


@pytest.mark.parametrize("docname", PAGES)
def test_page_built(book, docname):
    page = book.html / f"{docname}.html"
    assert page.exists(), f"{docname} is in _toc.yml but {page.name} was not built"
    html = page.read_text(encoding="utf-8")
    assert re.search(r"<h1[^>]*>", html), f"{docname}.html has no <h1> title"


def test_only_toc_pages_built(book):
    built = {str(p.relative_to(book.html).with_suffix("")) for p in book.html.rglob("*.html")
             if not p.relative_to(book.html).parts[0].startswith(("_", "."))}
    extra = built - set(PAGES) - {"genindex", "search", "index"}  # index redirects to the root
    assert not extra, f"pages built that are not in _toc.yml: {sorted(extra)}"


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_chapter_download_and_launch_links(book, docname):
    html = (book.html / f"{docname}.html").read_text(encoding="utf-8")
    source = book.html / "_sources" / f"{docname}.ipynb"
    assert source.exists(), f"the download button's notebook {source.name} is missing"
    nbformat.validate(nbformat.read(source, as_version=4))
    assert f"_sources/{docname}.ipynb" in html, "no .ipynb download link on the page"
    plain = ROOT / "colab" / f"{Path(docname).name}.ipynb"     # Colab renders no MyST: the plain edition
    colab = f"colab.research.google.com/github/{REPO_PATH}/blob/{BRANCH}/colab/{plain.name}"
    assert colab in html, f"no Colab launch link to {colab}"
    assert plain.exists(), f"the Colab button's notebook {plain.relative_to(ROOT)} is missing (make colab-edition)"
    assert "mybinder.org/v2/gh/" + REPO_PATH in html, "no Binder launch link"


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_setup_cell_not_shown(book, docname):
    html = (book.html / f"{docname}.html").read_text(encoding="utf-8")
    assert "google.colab" not in html, "the Colab setup cell should be hidden (tag it remove-cell)"


# ------------------------------------------------- numbering (tests/minibook)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_minibook_builds(minibook):
    warnings = minibook.warnings()
    assert minibook.returncode == 0 and not warnings, "\n".join(warnings[:20]) or minibook.log[-3000:]


def test_chapters_and_exercises_are_numbered_per_chapter(minibook):
    first = _text((minibook.html / "first.html").read_text(encoding="utf-8"))
    second = _text((minibook.html / "second.html").read_text(encoding="utf-8"))
    assert "1. First" in first and "1.1. A section" in first, "chapters and sections are not numbered"
    assert "Exercise 1.1" in first and "Exercise 1.2" in first, "exercises are not numbered per chapter"
    assert "Exercise 2.1" in second, "the second chapter's exercises do not start at 2.1"


def test_chapter_references_by_number(minibook):
    second = _text((minibook.html / "second.html").read_text(encoding="utf-8"))
    assert "As chapter 1 showed" in second, "{numref}`chapter %s <ch-first>` did not give 'chapter 1'"
    assert "Chapter 2 repeats" in second


@pytest.mark.parametrize("docname", [p for p in NOTEBOOKS])
def test_book_chapters_numbered(book, docname):
    html = (book.html / f"{docname}.html").read_text(encoding="utf-8")
    number = PAGES.index(docname)  # the root page is not numbered
    titles = [_text(h).strip() for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)]
    assert any(t.startswith(f"{number}. ") for t in titles), f"{docname}: title {titles} is not numbered {number}"
    exercises = re.findall(r"Exercise (\d+)\.(\d+)", _text(html))
    wrong = sorted({f"{a}.{b}" for a, b in exercises if int(a) != number})
    assert not wrong, f"{docname}: exercises numbered {wrong} in chapter {number}"
    unnumbered = re.findall(r"Exercise (\d+) \(", _text(html))
    assert not unnumbered, f"{docname}: exercises numbered across the book: {unnumbered[:5]}"


# ------------------------------------------------------ the published location

# GitHub repositories the text may name besides the book's own.
THIRD_PARTY_REPOS = {"computationalmodelling/nbval"}


def test_published_location_is_one_setting():
    """_config.yml's repository.url is the setting; the places that cannot be built from it
    name exactly it (README says what to change when publishing)."""
    import tomllib

    problems = []
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    problems += [f"pyproject.toml [project.urls] {k} = {v}" for k, v in urls.items()
                 if v.rstrip("/") != REPO_URL]
    for name in ("README.md", "intro.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        for owner_repo in re.findall(r"github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?(?=[\s\"'<>)@/#]|$)", text):
            if owner_repo not in THIRD_PARTY_REPOS and owner_repo != REPO_PATH:
                problems.append(f"{name} names github.com/{owner_repo}")
        for folder in re.findall(r"^\s*cd ([\w.-]+)\s*$", text, re.M):
            if folder != REPO_PATH.split("/")[-1]:
                problems.append(f"{name}: `cd {folder}` after the clone (the repository is {REPO_PATH})")
    assert "repository.url" in (ROOT / "README.md").read_text(encoding="utf-8"), (
        "README does not say what to set when publishing")
    assert not problems, f"not the published location {REPO_URL}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("docname", NOTEBOOKS)
def test_solution_links_read_well(book, docname):
    html = (book.html / f"{docname}.html").read_text(encoding="utf-8")
    links = re.findall(r'Solution to\s*<a class="reference internal" href="[^"]*">([^<]*)</a>', html)
    bad = [t for t in links if t[:1].isspace() or re.search(r"\w'\w", t)]
    assert not bad, f"{docname}: solution links starting with a space or with a straight apostrophe: {bad}"
