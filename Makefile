# Pooling, from loops to kernels: build the book, run the tests.
#
#   make book      build the website into _build/html (creates .venv first)
#   make pdf       the whole book as one PDF, _build/html/book.pdf (the site's ".pdf" link)
#   make test      notebook lint, pytest on tests/, nbval on every chapter
#   make test-fast the unit tests only (pytest -m unit, few examples each): under a minute
#   make serve     build if needed, then serve _build/html on localhost
#   make lab       JupyterLab in the course's environment, MyST rendered (jupyterlab-myst)
#   make outputs   re-execute every chapter in place with the pinned versions
#   make lock      rewrite tools/requirements.lock from the current .venv
#   make student-edition   the chapters without their solutions, into _build/student
#   make plain-edition     the chapters with solutions in plain Markdown, into _build/plain
#   make colab-edition     the same into colab/ (kept in the repository: the site's Colab button)
#   make clean     remove build outputs and caches (keeps .venv)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
LOCK := tools/requirements.lock
STAMP := $(VENV)/.installed
PORT ?= 8000
# Headless Chromium prints the PDF (Debian: apt-get install chromium; the site tests use it too).
CHROMIUM ?= chromium
# Parallel pytest workers (xdist) for tests/ and chapters/. Off by default: on a
# 2-core machine PyTorch's and TensorFlow's own thread pools already use both cores,
# and two workers made `make test` slower, not faster. JOBS=2 to try it.
JOBS ?= 0
# PyTorch's CPU wheels (the lock pins torch==...+cpu) live on PyTorch's own index: `make venv`
# first installs the lock with pip's own configuration (which finds them where a local index or
# wheel folder has them, without asking another host) and, only if that fails, again with this
# index added.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
PIP_INDEX_ARGS ?= --extra-index-url $(TORCH_INDEX)

# TensorFlow's C++ logs must be silenced before it is imported, in every process
# (pytest, nbval's kernels, the executor of `make outputs`, JupyterLab's kernels).
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED := 0
# PyTorch picks its CPU kernels (its own and oneDNN's) by the processor's instruction set, and
# those for AVX-512 round differently from those for AVX2: chapter 9's trained networks came out
# a few tenths of a per cent apart on the two. Its stored outputs are AVX2's, so every process
# started here uses PyTorch's AVX2 kernels, whatever the processor has.
export ATEN_CPU_CAPABILITY := avx2
export ONEDNN_MAX_CPU_ISA := AVX2

CHAPTERS := $(sort $(wildcard chapters/*.ipynb))
BOOK_SOURCES := _config.yml _toc.yml $(wildcard *.md) $(CHAPTERS) $(wildcard chapters/*.md)
SANITIZE := tools/nbval-sanitize.cfg

ifeq ($(JOBS),0)
XDIST :=
else
XDIST := -n $(JOBS) --dist loadgroup  # the book and site tests share one build
NBVAL_XDIST := -n $(JOBS) --dist loadfile  # a notebook's cells share one kernel
endif

.PHONY: help venv book pdf test lint test-unit test-fast test-notebooks serve lab outputs lock student-edition plain-edition colab-edition clean

help:
	@sed -n '3,12p' Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------- environment

venv: $(STAMP)

# Re-installs only when the lock or pyproject.toml changed (or .venv is new).
$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$$(grep -E '^pip==' $(LOCK))"
	$(BIN)/python -m pip install -q -r $(LOCK) || $(BIN)/python -m pip install -q $(PIP_INDEX_ARGS) -r $(LOCK)
	$(BIN)/python -m pip install -q -e . --no-deps --no-build-isolation
	@touch $@

lock: $(STAMP)
	{ sed -n '/^#/p' $(LOCK); \
	  $(BIN)/python -m pip freeze --all --exclude-editable | grep -viE '^poolkit([=@ ]|$$)'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	@touch $(STAMP)

# ---------------------------------------------------------------------- book

book: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo
	@echo "The site is at _build/html/index.html  (file://$(CURDIR)/_build/html/index.html)"

_build/html/index.html: $(STAMP) $(BOOK_SOURCES)
	$(MAKE) book

# The book as one page (singlehtml), printed by Chromium: math is SVG already, solutions print open.
pdf: _build/html/index.html
	rm -rf _build/singlehtml
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --no-pdf-header-footer --virtual-time-budget=30000 \
	    --print-to-pdf=_build/html/book.pdf "file://$(CURDIR)/_build/singlehtml/$$(sed -n 's/^root: *//p' _toc.yml).html"
	@test -s _build/html/book.pdf && echo "The book's PDF is _build/html/book.pdf"

serve: _build/html/index.html
	@echo "Serving the book at http://localhost:$(PORT)/  (Ctrl-C stops)"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# --------------------------------------------------------------------- tests

# All three steps run even when one fails; the exit status says whether any did.
test: $(STAMP)
	@status=0; for step in lint test-unit test-notebooks; do \
	    start=$$SECONDS; \
	    $(MAKE) --no-print-directory $$step || { status=1; echo "make test: $$step FAILED"; }; \
	    echo "make test: $$step took $$((SECONDS - start)) s"; \
	done; exit $$status

# Ruff (pinned in the lock, configured in pyproject.toml) on the code, beside the notebook lint.
lint: $(STAMP)
	$(BIN)/python tools/lint_notebooks.py
	$(BIN)/ruff check poolkit tests tools _ext

test-unit: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) tests/ --doctest-modules $(LIBRARY_MODULES)

# The library's modules whose docstring examples run as doctests (the course tooling's are not).
LIBRARY_MODULES := $(addprefix poolkit/,plan.py geometry.py reduction.py naive.py im2col.py windows.py separable.py \
                     functional.py backward.py layers.py gradcheck.py)

test-fast: $(STAMP)
	HYPOTHESIS_PROFILE=fast $(BIN)/python -m pytest -q -m unit tests/ --doctest-modules $(LIBRARY_MODULES)

# pytest exits 5 when it collects nothing: a book with no chapter yet is not a failure here.
test-notebooks: $(STAMP)
ifeq ($(CHAPTERS),)
	@echo "No chapters/*.ipynb yet: nothing for nbval to check."
else
	$(BIN)/python -m pytest $(NBVAL_XDIST) --nbval --nbval-current-env \
	    --nbval-sanitize-with $(SANITIZE) chapters/
endif

# ---------------------------------------------------------------- authoring

# Markdown cells render MyST (exercises, tabs, cross-references) through jupyterlab-myst,
# pinned in the lock. LAB_ARGS=--no-browser (or any other JupyterLab option) is passed on.
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# TIMINGS=1 also refreshes the stored output of timing cells (kept by default, so
# that running `make outputs` twice gives no diff).
outputs: $(STAMP)
	$(BIN)/python tools/run_notebooks.py $(if $(TIMINGS),--timings) $(CHAPTERS)
	$(MAKE) --no-print-directory colab-edition

# ---------------------------------------------------------------- teaching

# The notebooks to hand out: solutions removed, stubs and checks kept (poolkit/course/student.py).
# Grading the returned notebooks: `poolkit grade`, see README, "For instructors".
student-edition: $(STAMP)
	rm -rf _build/student
	$(BIN)/python -m poolkit.course student-edition _build/student $(CHAPTERS)

# The notebooks for plain Jupyter, Colab and Binder: solutions kept under a heading, the
# MyST markup as plain Markdown (Binder's .binder/postBuild makes the same ones).
plain-edition: $(STAMP)
	rm -rf _build/plain
	$(BIN)/python -m poolkit.course student-edition --with-solutions _build/plain $(CHAPTERS)

# The same plain edition, kept in the repository (colab/): Colab opens notebooks straight from
# GitHub and renders no MyST, so the site's Colab button opens these. `make outputs` refreshes
# them; tests/test_student.py fails when they differ from the chapters.
colab-edition: $(STAMP)
	rm -rf colab
	$(BIN)/python -m poolkit.course student-edition --with-solutions colab $(CHAPTERS)

clean:
	rm -rf _build .pytest_cache .hypothesis tools/.cache
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 \
	    | xargs -0 rm -rf
