"""Click through the built website in headless Chromium, as a reader would, on a phone
(390 px wide) and a desktop (1366 px).

Every page of _toc.yml (so chapters added later are covered without edits here) is served
from localhost with every other host blocked, and checked for: console errors, failed
requests, requests to another host, the weight of a first visit, math typeset (at build
time, by _ext/poolbook.py), stray TeX in the text, formulas and outputs wider than the
column, figure text smaller than 9 CSS px, the navigation drawer, exercise solutions that
stay folded until clicked, framework tabs that switch, sync across the book and are
remembered across pages, the search page, the chapter's notebook download, the PDF link
and the repository links (all from _config.yml's repository.url).

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`; .ci/run installs
it) and the playwright package. Without them the tests are skipped, unless the environment
variable CI is set, where they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import yaml
from conftest import ROOT, toc_entries

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the tests skip (or fail under CI) with a clear reason, below
    PlaywrightTimeout = TimeoutError

pytestmark = [pytest.mark.xdist_group("book"), pytest.mark.browser]

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PAGES = toc_entries()
CHAPTERS = [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()]
TIMEOUT_MS = 30_000
WIDTHS = {"phone": (390, 844), "desktop": (1366, 900)}
MAX_PAGE_BYTES = 1_500_000  # a first visit, uncompressed (issue 18)
MIN_FIGURE_TEXT_PX = 9.0
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
REPO_PATH = urlparse(REPO_URL).path.strip("/")
FRAMEWORK_TABS = [("PyTorch", "pytorch"), ("TensorFlow", "tensorflow"), ("poolkit", "poolkit")]


def _unavailable(reason: str):
    """Skip locally, fail in CI: CI must run the browser test."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)")
    pytest.skip(reason)


# ---------------------------------------------------------------- fixtures


class _Handler(http.server.SimpleHTTPRequestHandler):
    failures: list[str]

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def send_error(self, code, message=None, explain=None):
        self.failures.append(f"{code} {self.path}")
        super().send_error(code, message, explain)


def _serve(book):
    """The built book served on 127.0.0.1 (a free port), with a log of failed requests."""
    if book.returncode != 0 or not (book.html / "index.html").exists():
        pytest.fail("the book did not build; see tests/test_book.py")
    failures: list[str] = []
    handler = functools.partial(type("Handler", (_Handler,), {"failures": failures}),
                                directory=str(book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_address[1]}", "failures": failures, "html": book.html}
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site(book):
    yield from _serve(book)


@pytest.fixture(scope="session")
def minisite(minibook):
    yield from _serve(minibook)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """A browser context (one reader, one screen size) and what its pages did."""

    def __init__(self, browser, site, width: str = "desktop"):
        w, h = WIDTHS[width]
        phone = width == "phone"
        self.site = site
        self.context = browser.new_context(viewport={"width": w, "height": h}, has_touch=phone,
                                           is_mobile=phone, device_scale_factor=2 if phone else 1)
        self.problems: list[str] = []
        self.bytes: dict[str, int] = {}
        self.context.route("**/*", self._route)

    def _route(self, route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost"):
            return route.continue_()
        self.problems.append(f"request to another host: {route.request.url}")
        return route.abort()

    def open(self, docname: str, query: str = ""):
        page = self.context.new_page()
        page.set_default_timeout(TIMEOUT_MS)

        def on_response(response):
            if urlparse(response.url).hostname != "127.0.0.1":
                return
            if response.status >= 400:
                self.problems.append(f"HTTP {response.status} for {response.url}")
            try:
                self.bytes[response.url] = len(response.body())
            except Exception:  # a response without a body (redirect, aborted)
                pass

        page.on("response", on_response)
        page.on("requestfailed", lambda r: self.problems.append(f"request failed ({r.failure}) for {r.url}"))
        page.on("pageerror", lambda exc: self.problems.append(f"JavaScript error: {exc}"))
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console error: {m.text}"))
        page.goto(f"{self.site['url']}/{docname}.html{query}", wait_until="load")
        return page

    def close(self):
        self.context.close()


@pytest.fixture()
def visit(browser, site):
    """visit(width="desktop") -> a Visit; closed at the end of the test."""
    opened = []

    def make(width: str = "desktop") -> Visit:
        v = Visit(browser, site, width)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()


@pytest.fixture()
def open_page(visit):
    """open_page(docname) -> (page, problems), on a desktop screen."""
    v = visit("desktop")
    return v.open, v.problems


# ------------------------------------------------------------ page checks


# Text that is TeX nobody typeset: delimiters, dollars, escaped underscores, \texttt.
# Code, outputs and typeset math are left out (a `$` in code is code).
STRAY_TEX_JS = r"""
() => {
  const article = document.querySelector('article.bd-article') || document.body;
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest(
        'pre, code, kbd, samp, mjx-container, script, style, .highlight, .cell_output')) continue;
    const text = node.textContent;
    const m = text.match(/\\\(|\\\[|\$|\\_|\\texttt|\\infty|\\times/);
    if (m) found.push(text.slice(Math.max(0, m.index - 40), m.index + 40).trim());
  }
  // a backslash drawn as text inside typeset math: \_ or \texttt{a\_b} in the source
  document.querySelectorAll('mjx-container').forEach(c => {
    if (c.querySelector('[data-mml-node="mtext"] use[data-c="5C"], [data-mml-node="merror"]')) {
      found.push('in math: ' + (c.querySelector('svg').getAttribute('aria-label') || '').slice(0, 80));
    }
  });
  return found;
}
"""

# Display math, outputs and figures that do not fit their column.
TOO_WIDE_JS = r"""
() => {
  const wide = [];
  const describe = (el) => (el.innerText || el.getAttribute('aria-label') || el.src || '').trim().slice(0, 60);
  document.querySelectorAll('div.math').forEach(div => {
    const svg = div.querySelector('mjx-container > svg');
    const column = div.parentElement.clientWidth;
    if (svg && svg.getBoundingClientRect().width > column + 1) {
      wide.push(`formula ${Math.round(svg.getBoundingClientRect().width)} px in a ${column} px column: `
                + (svg.getAttribute('aria-label') || '').slice(0, 60));
    }
  });
  document.querySelectorAll('.cell_output').forEach(out => {
    const column = out.closest('.cell').clientWidth;
    out.querySelectorAll('pre, table, img, svg, .output').forEach(el => {
      const width = Math.max(el.getBoundingClientRect().width, el.scrollWidth || 0);
      if (width > column + 1) wide.push(`output ${Math.round(width)} px in a ${column} px column: ${describe(el)}`);
    });
  });
  return wide;
}
"""

# The smallest text of each figure in CSS px as shown: SVG figures (what poolkit.viz draws)
# are read for their font sizes; a raster figure's text cannot be measured, so it is reported.
FIGURE_TEXT_JS = r"""
async () => {
  const report = [];
  for (const img of document.querySelectorAll('.cell_output img')) {
    img.loading = 'eager';
    if (!img.complete) await new Promise(done => { img.onload = img.onerror = done; setTimeout(done, 10000); });
    const src = img.currentSrc || img.src;
    if (!/\.svg($|\?)/.test(src) && !src.startsWith('data:image/svg')) {
      report.push({src, error: 'a raster figure (PNG): its text size cannot be checked; poolkit.viz draws SVG'});
      continue;
    }
    const text = await (await fetch(src)).text();
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const svg = doc.documentElement;
    const box = (svg.getAttribute('viewBox') || '').split(/[ ,]+/).map(Number);
    const units = box.length === 4 ? box[2] : parseFloat(svg.getAttribute('width'));
    const sizes = [...text.matchAll(/font(?:-size)?:\s*(?:[a-z]+\s+)*([\d.]+)px/g)].map(m => parseFloat(m[1]));
    if (!sizes.length) {
      report.push({src, error: 'no text found in the SVG (draw text as text: svg.fonttype none)'});
      continue;
    }
    report.push({src, px: Math.min(...sizes) * img.getBoundingClientRect().width / units});
  }
  return report;
}
"""

BROKEN_IMAGES_JS = """
async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done); img.addEventListener('error', done);
    setTimeout(done, 10000);
  })));
  return imgs.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.currentSrc || img.src);
}
"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("docname", PAGES)
def test_page(visit, docname, width):
    """One first visit: quiet, self-contained, light, math typeset, no stray TeX, all of it fits."""
    v = visit(width)
    page = v.open(docname)
    page.wait_for_load_state("networkidle")
    failures = []
    broken = page.evaluate(BROKEN_IMAGES_JS)
    if broken:
        failures.append(f"images that did not load: {broken}")
    page.wait_for_load_state("networkidle")
    total = sum(v.bytes.values())
    if total > MAX_PAGE_BYTES:
        heaviest = sorted(v.bytes.items(), key=lambda kv: -kv[1])[:5]
        failures.append(f"a first visit downloads {total:,} bytes (at most {MAX_PAGE_BYTES:,}); heaviest: "
                        + ", ".join(f"{urlparse(u).path.rsplit('/', 1)[-1]} {n:,}" for u, n in heaviest))
    math = page.locator(".math").count()
    typeset = page.locator(".math mjx-container > svg").count()
    if typeset < math:
        failures.append(f"{math} math element(s) but {typeset} typeset")
    stray = page.evaluate(STRAY_TEX_JS)
    if stray:
        failures.append(f"{len(stray)} piece(s) of stray TeX in the text, e.g. {stray[:4]}")
    wide = page.evaluate(TOO_WIDE_JS)
    if wide:
        failures.append(f"{len(wide)} formula(s)/output(s) wider than the column, e.g. {wide[:4]}")
    for fig in page.evaluate(FIGURE_TEXT_JS):
        name = fig["src"].rsplit("/", 1)[-1][:16]
        if "error" in fig:
            failures.append(f"figure {name}: {fig['error']}")
        elif fig["px"] < MIN_FIGURE_TEXT_PX:
            failures.append(f"figure {name}: text {fig['px']:.1f} CSS px (at least {MIN_FIGURE_TEXT_PX})")
    failures += v.problems
    assert not failures, f"{docname} at {WIDTHS[width][0]} px:\n  " + "\n  ".join(failures)


@pytest.mark.parametrize("docname", PAGES)
def test_solutions_fold_and_unfold(open_page, docname):
    open_, problems = open_page
    page = open_(docname)
    solutions = page.locator(".solution.dropdown")
    n = solutions.count()
    if n == 0:
        pytest.skip(f"{docname} has no solution dropdowns")
    for i in range(n):
        solution = solutions.nth(i)
        solution.scroll_into_view_if_needed()
        body = solution.locator(":scope > :not(.admonition-title):not(button)").first
        # sphinx-togglebutton's "Click to show" button (the title itself holds a link to the exercise)
        button = solution.locator("button.toggle-button").first
        try:  # the button is added, and the body folded, by sphinx-togglebutton's script
            button.wait_for(state="visible", timeout=TIMEOUT_MS)
        except PlaywrightTimeout:
            pytest.fail(f"{docname}: solution {i + 1} has no visible button to open it")
        assert not body.is_visible(), f"{docname}: solution {i + 1} is open before it is clicked"
        button.click()
        body.wait_for(state="visible", timeout=5000)
        assert button.get_attribute("aria-expanded") == "true", f"{docname}: solution {i + 1} not marked open"
    assert not problems, f"{docname}: " + "; ".join(problems)


@pytest.mark.parametrize("docname", PAGES)
def test_tabs_switch(open_page, docname):
    open_, problems = open_page
    page = open_(docname)
    tab_sets = page.locator(".sd-tab-set")
    n = tab_sets.count()
    if n == 0:
        pytest.skip(f"{docname} has no tabs")
    for i in range(n):
        tabs = tab_sets.nth(i)
        labels = tabs.locator(":scope > label.sd-tab-label")
        contents = tabs.locator(":scope > .sd-tab-content")
        k = labels.count()
        assert k >= 2 and contents.count() == k, f"{docname}: tab set {i + 1} has {k} tab(s)"
        for j in [*range(1, k), 0]:  # every other tab, then back to the first
            labels.nth(j).scroll_into_view_if_needed()
            labels.nth(j).click()
            contents.nth(j).wait_for(state="visible", timeout=5000)
            hidden = [m for m in range(k) if m != j and contents.nth(m).is_visible()]
            assert not hidden, f"{docname}: tab set {i + 1}: tab {j + 1} clicked but tab(s) {hidden} still shown"
    assert not problems, f"{docname}: " + "; ".join(problems)


# ------------------------------------------------------------- navigation

DRAWER_STATE_JS = """
() => {
  const shown = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
                       && el.getBoundingClientRect().right > 0 && el.getBoundingClientRect().width > 50;
  const primary = document.getElementById('pst-primary-sidebar-modal');
  const secondary = document.getElementById('pst-secondary-sidebar-modal');
  return {
    primaryDrawer: !!primary && primary.open && shown(primary.querySelector('nav.bd-docs-nav')),
    secondaryDrawer: !!secondary && secondary.open && shown(secondary.querySelector('nav, .bd-toc-nav, .page-toc')),
    sidebar: shown(document.querySelector('#pst-primary-sidebar nav.bd-docs-nav')),
    toc: shown(document.querySelector('#pst-secondary-sidebar nav, #pst-secondary-sidebar .page-toc')),
  };
}
"""


@pytest.mark.parametrize("width", WIDTHS)
def test_navigation_buttons_open_the_drawer(visit, width):
    """Every visible contents button does something a reader sees: on a phone it opens the
    drawer with the book's (or the page's) contents, on a desktop it hides or shows the sidebar."""
    docname = CHAPTERS[0] if CHAPTERS else PAGES[0]
    v = visit(width)
    page = v.open(docname)
    page.wait_for_load_state("networkidle")
    tapped = 0
    for selector in (".primary-toggle", ".secondary-toggle"):
        buttons = page.locator(selector)
        for i in range(buttons.count()):
            button = buttons.nth(i)
            if not button.is_visible():
                continue
            tapped += 1
            before = page.evaluate(DRAWER_STATE_JS)
            button.tap() if width == "phone" else button.click()
            page.wait_for_timeout(400)  # the sidebar's transition
            after = page.evaluate(DRAWER_STATE_JS)
            what = f"{selector} #{i + 1} at {WIDTHS[width][0]} px"
            if selector == ".primary-toggle" and width == "phone":
                assert after["primaryDrawer"], f"{what}: the navigation drawer did not open ({after})"
            elif selector == ".secondary-toggle" and width == "phone":
                assert after["secondaryDrawer"], f"{what}: the contents drawer did not open ({after})"
            else:  # desktop: the sidebar collapses (or comes back)
                key = "sidebar" if selector == ".primary-toggle" else "toc"
                assert after[key] != before[key] or after["primaryDrawer"] or after["secondaryDrawer"], (
                    f"{what}: nothing happened ({before} -> {after})")
            page.keyboard.press("Escape")  # closes a drawer
            page.wait_for_timeout(300)
            if width == "desktop" and page.evaluate(DRAWER_STATE_JS) != before:
                button.click()  # show the sidebar again
                page.wait_for_timeout(400)
    assert tapped >= (2 if width == "phone" else 1), f"only {tapped} navigation button(s) visible"
    assert not v.problems, "; ".join(v.problems)


def test_one_search_box(visit):
    for width in WIDTHS:
        v = visit(width)
        page = v.open(PAGES[0])
        boxes = page.evaluate("""() => [...document.querySelectorAll(
            '.search-button, .search-button-field, form.bd-search')]
            .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden').length""")
        assert boxes == 1, f"{boxes} search boxes visible at {WIDTHS[width][0]} px (one is enough)"


# ------------------------------------------------------------------- tabs

TAB_SETS_JS = """
() => [...document.querySelectorAll('.sd-tab-set')].map(set => {
  const labels = [...set.querySelectorAll(':scope > label.sd-tab-label')];
  const inputs = [...set.querySelectorAll(':scope > input')];
  return {
    labels: labels.map(l => l.innerText.trim()),
    sync: labels.map(l => l.getAttribute('data-sync-id')),
    group: labels.map(l => l.getAttribute('data-sync-group')),
    checked: inputs.findIndex(i => i.checked),
    wrapped: labels.some(l => l.getClientRects().length > 1
        || l.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(l).lineHeight || 20)),
  };
})
"""


def _framework_tab_sets(tab_sets):
    return [t for t in tab_sets if {"pytorch", "tensorflow", "poolkit"} & {x.lower() for x in t["labels"]}
            or any(t["sync"])]


@pytest.mark.parametrize("docname", CHAPTERS)
def test_framework_tabs_in_one_order_with_sync_keys(visit, docname):
    v = visit("phone")
    page = v.open(docname)
    problems = []
    for n, tabs in enumerate(_framework_tab_sets(page.evaluate(TAB_SETS_JS)), 1):
        order = [(label, sync) for label, sync in zip(tabs["labels"], tabs["sync"])]
        expected = [t for t in FRAMEWORK_TABS if t[0] in tabs["labels"]]
        if order != expected or set(tabs["group"]) != {"framework"}:
            problems.append(f"tab set {n}: {order} in group {set(tabs['group'])}; expected {expected} "
                            "in sync-group 'framework' (COMMON.md, Tabs)")
        if tabs["wrapped"]:
            problems.append(f"tab set {n}: a label wraps on a phone: {tabs['labels']}")
    assert not problems, f"{docname}:\n  " + "\n  ".join(problems)


def test_tabs_sync_and_are_remembered_in_the_minibook(browser, minisite):
    """The mechanism, on tests/minibook: a choice in one tab set shows in the next page's."""
    v = Visit(browser, minisite, "phone")
    try:
        page = v.open("first")
        page.locator("label.sd-tab-label[data-sync-id='tensorflow']").first.tap()
        page.wait_for_timeout(200)
        other = v.open("second")
        shown = other.evaluate("""() => [...document.querySelectorAll('.sd-tab-set > input')]
            .filter(i => i.checked).map(i => i.nextElementSibling.getAttribute('data-sync-id'))""")
        assert shown == ["tensorflow"], f"the next page shows {shown}, not the reader's choice"
        assert not v.problems, "; ".join(v.problems)
    finally:
        v.close()


def test_framework_tabs_sync_and_are_remembered(visit, site):
    """Choosing TensorFlow in one tab set shows TensorFlow in every framework tab set of the page,
    and on the next page the reader opens (sphinx-design keeps the choice in localStorage)."""
    with_tabs = [d for d in CHAPTERS if 'data-sync-group="framework"'
                 in (site["html"] / f"{d}.html").read_text(encoding="utf-8")]
    if len(with_tabs) < 2:
        pytest.fail(f"at most one chapter has framework tabs with sync keys ({with_tabs}); "
                    "the chapters' tab sets need `:sync-group: framework` (COMMON.md)")
    v = visit("desktop")
    first, second = with_tabs[0], with_tabs[1]
    page = v.open(first)
    label = page.locator("label.sd-tab-label[data-sync-id='tensorflow']").first
    label.scroll_into_view_if_needed()
    label.click()
    page.wait_for_timeout(200)

    def chosen(p):
        return p.evaluate("""() => [...document.querySelectorAll('.sd-tab-set')]
            .filter(s => s.querySelector(':scope > label[data-sync-group="framework"]'))
            .map(s => { const i = [...s.querySelectorAll(':scope > input')].findIndex(x => x.checked);
                        return s.querySelectorAll(':scope > label')[i].getAttribute('data-sync-id'); })""")

    here = chosen(page)
    assert here and all(c == "tensorflow" for c in here if c), f"{first}: tabs not synced: {here}"
    other = v.open(second)
    there = chosen(other)
    assert there and all(c == "tensorflow" for c in there if c), f"{second}: the choice was not remembered: {there}"
    assert not v.problems, "; ".join(v.problems)


# ------------------------------------------------------------ links and PDF

def test_links_come_from_the_repository_setting(site):
    """Every launch, edit, issue and repository link is built from _config.yml's repository.url:
    the header's buttons, any Colab or Binder link, any GitHub link to an issue, an edit or a file."""
    bad, seen = set(), 0
    for path in site["html"].rglob("*.html"):
        if path.relative_to(site["html"]).parts[0].startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        buttons = re.findall(r'<a href="([^"]+)"[^>]*\n?\s*class="btn', text)
        for href in set(re.findall(r'href="([^"]+)"', text)):
            url = urlparse(href)
            launch = url.hostname in ("colab.research.google.com", "mybinder.org")
            repo_link = url.hostname == "github.com" and re.search(r"/(issues|edit|blob|tree)(/|$)", url.path)
            if launch or repo_link or (href in buttons and url.hostname):
                seen += 1
                expected = REPO_URL if url.hostname == "github.com" else REPO_PATH
                if expected not in href:
                    bad.add(f"{path.name}: {href}")
    assert seen, "no launch, edit or issue link found"
    assert not bad, f"links not built from repository.url ({REPO_URL}): {sorted(bad)[:10]}"


@pytest.mark.parametrize("docname", CHAPTERS[:1])
def test_pdf_link_is_the_book(visit, site, docname):
    v = visit("desktop")
    page = v.open(docname)
    link = page.locator("a.btn-download-pdf-button").first
    assert link.count(), "no .pdf link in the download menu"
    href = link.evaluate("a => a.href")
    assert href.endswith(".pdf"), f"the .pdf button goes to {href}, not a PDF"
    pdf = site["html"] / urlparse(href).path.lstrip("/")
    if not pdf.exists():
        pytest.skip(f"{pdf.name} is made by `make pdf` (not part of this build)")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def _search_word(html_path: Path) -> str:
    """A distinctive word of the page title (its longest word of letters)."""
    title = re.search(r"<h1[^>]*>(.*?)</h1>", html_path.read_text(encoding="utf-8"), re.S).group(1)
    title = re.sub(r"<[^>]+>|&\w+;|#", " ", title)
    words = sorted(re.findall(r"[A-Za-z]{4,}", title), key=len, reverse=True)
    assert words, f"no searchable word in the title of {html_path.name}"
    return words[0].lower()


@pytest.mark.parametrize("docname", CHAPTERS)
def test_search_finds_chapter(open_page, site, docname):
    open_, problems = open_page
    word = _search_word(site["html"] / f"{docname}.html")
    page = open_("search", f"?q={word}")
    results = page.locator("#search-results ul.search li a")
    try:  # results arrive one page at a time: wait for this chapter's, or for the search to finish
        page.wait_for_function(
            """name => [...document.querySelectorAll('#search-results ul.search li a')].some(
                   a => (a.getAttribute('href') || '').split('#')[0].split('?')[0].endsWith(name))
               || /Search finished/.test(document.querySelector('#search-results')?.innerText || '')""",
            arg=f"{docname}.html", timeout=TIMEOUT_MS)
    except PlaywrightTimeout:
        pass  # reported below with what was found
    hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    assert any(h.split("#")[0].split("?")[0].endswith(f"{docname}.html") for h in hrefs), (
        f"searching for {word!r} did not find {docname}: {hrefs[:10]}")
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("docname", CHAPTERS)
def test_download_gives_valid_notebook(open_page, site, docname):
    open_, problems = open_page
    page = open_(docname)
    link = page.locator("a.btn-download-source-button[href$='.ipynb']").first
    assert link.count(), f"{docname}: no .ipynb download link"
    # The link sits in the download dropdown of the header: open it, as a reader would.
    page.locator(".dropdown-download-buttons > button").first.click()
    link.wait_for(state="visible", timeout=5000)
    href = link.evaluate("a => a.href")
    response = page.request.get(href)
    assert response.ok, f"{docname}: download link {href} answered {response.status}"
    nb = nbformat.reads(response.text(), as_version=4)
    nbformat.validate(nb)
    assert nb.cells and nb.cells[0].cell_type == "markdown"
    assert not problems, "; ".join(problems)


def test_no_request_to_the_site_failed(site):
    """The server's own record: anything that asked for a missing file during the test."""
    assert not site["failures"], f"requests the site could not answer: {sorted(set(site['failures']))}"


# --------------------------------------------------------- whole-book checks


def _count(html: Path, pattern: str) -> int:
    return sum(len(re.findall(pattern, p.read_text(encoding="utf-8"))) for p in html.rglob("*.html"))


def test_book_has_exercises_with_solutions_and_tabs(site):
    if not CHAPTERS:
        pytest.skip("no chapter yet")
    solutions = _count(site["html"], r'class="solution dropdown')
    tabs = _count(site["html"], r'class="sd-tab-set')
    assert solutions > 0, "the book has no exercise solution in a dropdown (every chapter has exercises)"
    assert tabs > 0, "the book has no sphinx-design tabs (framework comparisons belong in tabs)"


@pytest.mark.parametrize("docname", CHAPTERS)
def test_every_chapter_has_an_exercise(site, docname):
    html = (site["html"] / f"{docname}.html").read_text(encoding="utf-8")
    assert re.search(r'class="[^"]*\bexercise\b', html), f"{docname} has no {{exercise}} block"


def test_make_pdf_prints_the_whole_book(tmp_path):
    """What `make pdf` does: the singlehtml build, printed by headless Chromium."""
    import subprocess
    import sys

    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    jb = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run([str(jb), "build", str(ROOT), "--builder", "singlehtml", "--path-output", str(tmp_path),
                           "-W", "-n", "--keep-going"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    single = tmp_path / "_build" / "singlehtml" / f"{PAGES[0]}.html"
    text = single.read_text(encoding="utf-8")
    missing = [n for n in range(1, len(CHAPTERS) + 1) if f'<span class="section-number">{n}. </span>' not in text]
    assert not missing, f"chapters missing from the one-page book: {missing}"
    pdf = tmp_path / "book.pdf"
    subprocess.run([str(CHROMIUM), *CHROMIUM_ARGS, "--no-pdf-header-footer", "--virtual-time-budget=30000",
                    f"--print-to-pdf={pdf}", single.as_uri()], capture_output=True, timeout=600)
    data = pdf.read_bytes() if pdf.exists() else b""
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert data[:5] == b"%PDF-" and pages >= 2 * len(CHAPTERS), f"the PDF has {pages} pages"
