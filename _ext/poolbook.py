"""The book's Sphinx extension: a self-contained, light website.

- Math is typeset at build time by the pinned MathJax (npm package ``mathjax``, version in
  ``tools/mathjax/package-lock.json``, installed with ``npm ci`` on the first build) into SVG in
  the pages themselves: readers download no MathJax and no font, the book reads offline and
  behind networks that block CDNs. A TeX error is a build warning (so ``-W`` fails).
- ``_static/scripts/fontawesome.js`` (1.5 MB, every Font Awesome icon) is replaced in the output
  by the few icons the pages use, drawn the same way (inline SVG).
- The page's scripts lose what this book does not use: sphinx-thebe's (live code is off; it was
  also added twice, a JavaScript error on every page), the MathJax loader and its config.
- The theme's ".pdf" button (``window.print()``) links to the book's PDF (``make pdf``).
- "Solution to Exercise": the link text no longer starts with a space, and has curly apostrophes.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
NPM_DIR = ROOT / "tools" / "mathjax"
PDF_NAME = "book.pdf"


# ------------------------------------------------------------------ MathJax


def mathjax_package() -> Path:
    """node_modules/mathjax at the version package-lock.json pins, installed with `npm ci` if needed."""
    lock = json.loads((NPM_DIR / "package-lock.json").read_text(encoding="utf-8"))
    version = lock["packages"]["node_modules/mathjax"]["version"]
    package = NPM_DIR / "node_modules" / "mathjax"

    def installed() -> str | None:
        try:
            return json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        except (OSError, ValueError, KeyError):
            return None

    if installed() != version:
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            raise ExtensionError("the book typesets its math with MathJax from npm: install Node.js "
                                 "and npm (Debian: apt-get install nodejs npm), then build again")
        logger.info(f"poolbook: npm ci (mathjax@{version}) in {NPM_DIR}")
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NPM_DIR,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0 or installed() != version:
            raise ExtensionError(f"npm ci in {NPM_DIR} failed:\n{proc.stdout}\n{proc.stderr}")
    return package


MATH_RE = re.compile(r'<(span|div) class="math notranslate nohighlight"([^>]*)>(.*?)</\1>', re.S)
EQNO_RE = re.compile(r'^\s*(<span class="eqno">.*?</span>)', re.S)


def _split_math(tag: str, body: str) -> tuple[str, str, bool]:
    """(equation number html, TeX, display) of one Sphinx math element."""
    eqno = ""
    match = EQNO_RE.match(body)
    if match:
        eqno, body = match.group(1), body[match.end():]
    tex = html.unescape(body).strip()
    for left, right in (("\\(", "\\)"), ("\\[", "\\]")):
        if tex.startswith(left) and tex.endswith(right):
            tex = tex[len(left):-len(right)]
            break
    return eqno, tex.strip(), tag == "div"


def typeset_math(app: Sphinx, pages: list[Path]) -> None:
    found = []  # (path, text, matches)
    for path in pages:
        text = path.read_text(encoding="utf-8")
        if "MJX-SVG-global-cache" in text:  # typeset by an earlier build (Sphinx kept the page)
            continue
        matches = list(MATH_RE.finditer(text))
        if matches:
            found.append((path, text, matches))
    if not found:
        return
    package = mathjax_package()
    request = [[dict(zip(("eqno", "tex", "display"), _split_math(m.group(1), m.group(3)))) for m in matches]
               for _, _, matches in found]
    proc = subprocess.run(["node", str(Path(__file__).with_name("mathjax_render.js")), str(package)],
                          input=json.dumps(request), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise ExtensionError(f"MathJax (node) failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout)
    outdir = Path(app.outdir)
    for (path, text, matches), items, rendered in zip(found, request, result):
        pieces, last = [], 0
        for match, item, out in zip(matches, items, rendered["formulas"]):
            if out["error"]:
                logger.warning(f"TeX error ({out['error']}) in {item['tex'][:300]!r}",
                               location=str(path.relative_to(outdir)))
            svg = out["html"].replace('role="img"', f'role="img" aria-label="{html.escape(item["tex"])}"', 1)
            pieces += [text[last:match.start()],
                       f'<{match.group(1)} class="math notranslate nohighlight"{match.group(2)}>',
                       item["eqno"], svg, f"</{match.group(1)}>"]
            last = match.end()
        pieces.append(text[last:])
        text = "".join(pieces)
        text = re.sub(r"(<body[^>]*>)", lambda m, cache=rendered["cache"]: m.group(1) + cache, text, count=1)
        path.write_text(text, encoding="utf-8")


# ------------------------------------------------------------- Font Awesome

FA_BLOCKS = {"fab": 'd("fab",p)', "far": 'd("far",p)', "fas": 'd("fas",p)'}
FA_PREFIX = {"fab": "fab", "fa-brands": "fab", "far": "far", "fa-regular": "far",
             "fas": "fas", "fa-solid": "fas"}
FA_ICON_RE = re.compile(r'(?<![\w-])"?([a-z0-9-]+)"?:\[(\d+),(\d+),\[([^\]]*)\],"[^"]*","([^"]+)"\]')
FA_CLASS_RE = re.compile(r'class="([^"]*\bfa-[^"]*)"')
FA_MODIFIERS = {"fa-lg", "fa-xs", "fa-sm", "fa-fw", "fa-2x", "fa-spin"}
# Icons the theme's scripts may show that are not in any page's HTML.
FA_ALWAYS = {("fas", "sun"), ("fas", "moon"), ("fas", "circle-half-stroke"), ("fas", "xmark")}


def _fontawesome_icons(source: str) -> dict[str, dict[str, tuple[int, int, str]]]:
    icons: dict[str, dict[str, tuple[int, int, str]]] = {}
    start = 0
    for prefix, marker in sorted(FA_BLOCKS.items(), key=lambda kv: source.index(kv[1])):
        end = source.index(marker)
        block: dict[str, tuple[int, int, str]] = {}
        for m in FA_ICON_RE.finditer(source, start, end):
            name, width, height, aliases, path = m.groups()
            entry = (int(width), int(height), path)
            block.setdefault(name, entry)
            for alias in re.findall(r'"([a-z0-9-]+)"', aliases):
                block.setdefault(alias, entry)
        icons[prefix] = block
        start = end
    return icons


FA_SCRIPT = """/* A subset of Font Awesome Free 6 (https://fontawesome.com, icons CC BY 4.0): the icons this
   book's pages use, made by _ext/poolbook.py from the theme's fontawesome.js, which holds all of
   them (1.5 MB). Each <i class="fa-solid fa-bars"> gets the icon as an inline SVG. */
(function () {
  "use strict";
  var ICONS = %s;
  var PREFIX = {"fab": "fab", "fa-brands": "fab", "far": "far", "fa-regular": "far", "fas": "fas", "fa-solid": "fas"};
  var style = document.createElement("style");
  /* The theme's CSS would also draw the icon with the Font Awesome web font (::before): not here. */
  style.textContent = ".svg-inline--fa{display:inline-block;height:1em;overflow:visible;vertical-align:-.125em;"
    + "fill:currentColor}.fa-svg-drawn::before{content:none!important}";
  document.head.appendChild(style);
  function draw(root) {
    root.querySelectorAll("[class*='fa-']").forEach(function (el) {
      if (el.querySelector(":scope > svg.svg-inline--fa")) return;
      var prefix = "fas", icon = null;
      el.classList.forEach(function (c) { if (PREFIX[c]) prefix = PREFIX[c]; });
      el.classList.forEach(function (c) {
        if (!icon && c.indexOf("fa-") === 0) icon = ICONS[prefix + ":" + c.slice(3)];
      });
      if (!icon) return;
      el.classList.add("fa-svg-drawn");
      el.insertAdjacentHTML("afterbegin", '<svg class="svg-inline--fa" aria-hidden="true" focusable="false" '
        + 'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + icon[0] + " " + icon[1] + '">'
        + '<path d="' + icon[2] + '"/></svg>');
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { draw(document); });
  else draw(document);
})();
"""


def subset_fontawesome(app: Sphinx, pages: list[Path]) -> None:
    import pydata_sphinx_theme

    original = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
                / "scripts" / "fontawesome.js")
    target = Path(app.outdir) / "_static" / "scripts" / "fontawesome.js"
    if not target.exists():
        return
    icons = _fontawesome_icons(original.read_text(encoding="utf-8"))
    wanted = set(FA_ALWAYS)
    for path in pages:
        for classes in FA_CLASS_RE.findall(path.read_text(encoding="utf-8")):
            names = classes.split()
            prefix = next((FA_PREFIX[c] for c in names if c in FA_PREFIX), "fas")
            for c in names:
                if c.startswith("fa-") and c not in FA_PREFIX and c not in FA_MODIFIERS:
                    wanted.add((prefix, c[3:]))
    subset, missing = {}, []
    for prefix, name in sorted(wanted):
        icon = icons.get(prefix, {}).get(name)
        if icon is None:
            missing.append(f"{prefix} fa-{name}")
        else:
            subset[f"{prefix}:{name}"] = list(icon)
    if missing:
        logger.warning(f"Font Awesome icons not found in the theme's fontawesome.js: {missing}")
    target.write_text(FA_SCRIPT % json.dumps(subset, separators=(",", ":")), encoding="utf-8")
    for extra in (target.with_name("fontawesome.js.map"), target.with_name("fontawesome.js.LICENSE.txt")):
        extra.unlink(missing_ok=True)


# --------------------------------------------------------------- the pages


def prune_assets(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Drop the scripts and styles this book does not use, and duplicates."""
    def unwanted(asset) -> bool:
        name = str(getattr(asset, "filename", asset) or "")
        body = getattr(asset, "attributes", {}).get("body", "") or ""
        return ("thebe" in name or "THEBE_JS_URL" in body or name.endswith(app.config.mathjax_path)
                or body.startswith("window.MathJax"))

    for key in ("script_files", "css_files"):
        if key in context:
            seen, kept = set(), []
            for asset in context[key]:
                ident = (str(getattr(asset, "filename", asset) or ""),
                         getattr(asset, "attributes", {}).get("body"))
                if unwanted(asset) or ident in seen:
                    continue
                seen.add(ident)
                kept.append(asset)
            context[key] = kept


def pdf_button(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """The ".pdf" download is the book's PDF (``make pdf``), not window.print()."""
    pathto = context.get("pathto")
    for group in context.get("header_buttons", []):
        for i, button in enumerate(group.get("buttons", [])):
            if button.get("label") == "download-pdf-button":
                group["buttons"][i] = {
                    "type": "link", "url": pathto(PDF_NAME, 1), "text": ".pdf",
                    "tooltip": "Download the whole book as a PDF", "icon": "fas fa-file-pdf",
                    "label": "download-pdf-button",
                }


COLAB_EDITION = "colab"
"""The folder of the chapters' plain edition (``make colab-edition``): Colab renders no MyST."""


def colab_plain_edition(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """The Colab button opens the chapter's plain edition (``colab/NN_x.ipynb``: exercises as
    headings, no directive syntax), since Colab shows MyST markup as text."""
    if not pagename.startswith("chapters/"):
        return
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if button.get("text") == "Colab" and f"/{pagename}.ipynb" in button.get("url", ""):
                button["url"] = button["url"].replace(f"/{pagename}.ipynb",
                                                      f"/{COLAB_EDITION}/{pagename.split('/', 1)[1]}.ipynb")


SOLUTION_LINK_RE = re.compile(r'(Solution to)(<a class="reference internal" href="[^"]*">)\s*([^<]*)(</a>)')


def _solution_link(match: re.Match) -> str:
    """'Solution to <a>Exercise 2.4 (TensorFlow’s ...)</a>': a space before the link, not
    inside it, and the typographic apostrophe the exercise's own title has."""
    title = re.sub(r"(?<=\w)'(?=\w)", "’", match.group(3))
    return f"{match.group(1)} {match.group(2)}{title}{match.group(4)}"


def build_finished(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    pages = [p for p in outdir.rglob("*.html") if not p.relative_to(outdir).parts[0].startswith(("_", "."))]
    for path in pages:
        text = path.read_text(encoding="utf-8")
        fixed = SOLUTION_LINK_RE.sub(_solution_link, text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
    typeset_math(app, pages)
    subset_fontawesome(app, pages)


def no_mathjax_loader(app: Sphinx, config) -> None:
    """sphinx.ext.mathjax still writes the math as \\( \\) for typeset_math; its loader is dropped."""
    config.mathjax_path = "typeset-at-build-time-by-poolbook"
    config.mathjax3_config = None


def singlehtml_knows_html_nodes(app: Sphinx) -> None:
    """`make pdf` prints the singlehtml build. Some extension registers node handlers for
    'singlehtml' by name, so Sphinx no longer falls back to the 'html' ones there and
    sphinx-design's tabs or sphinx-jupyterbook-latex's hidden cells are unknown nodes (an
    error): give singlehtml every html handler it lacks."""
    handlers = app.registry.translation_handlers
    if app.builder.name == "singlehtml" and "singlehtml" in handlers:
        for name, pair in handlers.get("html", {}).items():
            handlers["singlehtml"].setdefault(name, pair)


def setup(app: Sphinx):
    app.connect("builder-inited", singlehtml_knows_html_nodes)
    app.connect("config-inited", no_mathjax_loader, priority=900)
    app.connect("html-page-context", prune_assets, priority=900)
    app.connect("html-page-context", pdf_button, priority=900)
    app.connect("html-page-context", colab_plain_edition, priority=900)
    app.connect("build-finished", build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
