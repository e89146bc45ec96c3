# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Both create or reuse .venv, install the package with its extras, and install
# Graphviz's `dot` program and Chromium (for the explorer's browser tests) from the
# system's packages when they are missing, and PyTorch's pinned CPU build from PyPI (a
# test oracle: the library itself never needs it).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest docs bench graphviz chromium clean

demo: $(INSTALLED) graphviz
	$(BIN)/autograd-mini demo --out out

test: lint typecheck pytest docs

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy --strict over the files that pyproject.toml's [tool.mypy] names: the package, the
# tests, the benchmarks and the examples.
typecheck: $(INSTALLED)
	$(BIN)/mypy

pytest: $(INSTALLED) graphviz chromium
	$(BIN)/pytest

# The documentation site, built strictly (any warning fails) into site/; nothing is fetched.
docs: $(INSTALLED) graphviz
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: $(INSTALLED) graphviz
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m pip install --quiet torch==2.13.0 || echo "PyTorch not installed: its column is skipped"
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "error: could not create $(VENV); on Debian/Ubuntu install python3-venv" >&2; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet torch==2.13.0
	touch $@

# Graphviz's `dot` comes from the system's packages, not from PyPI.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    echo "installing Graphviz (the 'dot' program) with apt-get"; \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "error: Graphviz's 'dot' program is missing; install Graphviz (https://graphviz.org/download/," \
	         "e.g. 'brew install graphviz' or 'dnf install graphviz') and run make again" >&2; \
	    exit 1; \
	  fi; }
	@command -v dot >/dev/null 2>&1 || { echo "error: 'dot' is still not on PATH after installing Graphviz" >&2; exit 1; }

# Chromium drives the explorer's browser tests (Playwright launches this binary; no
# browser is downloaded).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1; then \
	    if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    echo "installing Chromium (for the browser tests) with apt-get"; \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "error: the 'chromium' program is missing; install Chromium" \
	         "(e.g. 'dnf install chromium') and run make again" >&2; \
	    exit 1; \
	  fi; }
	@command -v chromium >/dev/null 2>&1 || { echo "error: 'chromium' is still not on PATH after installing Chromium" >&2; exit 1; }

clean:
	rm -rf $(VENV) out site .pytest_cache .mypy_cache .ruff_cache .hypothesis
