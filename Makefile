# presswash: every target sets up its own virtual environment first (.venv, from pyproject.toml).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP = $(VENV)/.installed-$(EXTRAS)
EXTRAS ?= dev

.PHONY: install test lint format crawl demo bench bench-quality bench-clutter bench-throughput bench-versus bench-crawl bench-scaleout schema

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools<81" wheel
	$(BIN)/pip install --quiet -e ".[$(EXTRAS)]"
	# an editable install leaves our modules uncompiled; where PYTHONDONTWRITEBYTECODE is set, every start
	# would compile them again (~0.15 s a process)
	$(BIN)/python -m compileall -q cleaners crawler bench presswash
	touch $(STAMP)

install: $(STAMP)

## Lint, then the whole test suite.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## The main job: crawl every site of config/sites.yaml into output/<site>/<date>.jsonl.
crawl: $(STAMP)
	$(BIN)/presswash crawl

## Offline demo: serve the fixture news site on 127.0.0.1, crawl it, show the output.
demo: $(STAMP)
	$(BIN)/python -m crawler.demo

schema: $(STAMP)
	$(BIN)/python -m cleaners.article

## Benchmarks (BENCHMARKS.md): each prints its figures and says how it measured them.
bench: bench-clutter bench-quality bench-throughput bench-versus bench-crawl

bench-clutter: $(STAMP)
	$(BIN)/python -m bench.clutter

bench-quality:
	$(MAKE) EXTRAS=dev,bench install
	$(VENV)/bin/python -m bench.quality

bench-throughput: $(STAMP)
	$(BIN)/python -m bench.throughput

## presswash clean --workers 2 against the trafilatura command line on two processes, alternated.
bench-versus: $(STAMP)
	$(BIN)/python -m bench.versus_cli

bench-crawl: $(STAMP)
	$(BIN)/python bench/crawl_throughput.py --articles 2000 --modes fetch,pool,clean

bench-scaleout: $(STAMP)
	$(BIN)/python -m bench.scaleout
