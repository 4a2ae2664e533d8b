# returns_kit — `make` lists the targets.  Two commands do all set-up on a fresh machine:
#   make report   (venv, install, sample data if data/raw is empty, render the report)
#   make test
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MONTH  ?= 2026-10
SAMPLE_MONTHS ?= 2026-08,2026-09,2026-10
STAMP  := $(VENV)/.installed

.PHONY: help install sample ingest report test lab bench clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-8s %s\n", $$1, $$2}'
	@echo "  variables: MONTH=$(MONTH) PYTHON=$(PYTHON)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "returns_kit needs Python 3.11+; run make PYTHON=python3.11 …")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(STAMP) ## create .venv and install the kit with its test tools

sample: $(STAMP) ## write the sample exports into data/raw (only when it holds no export)
	@if ls data/raw/*.csv data/raw/*.xlsx data/raw/*.xls >/dev/null 2>&1; then \
		echo "data/raw already has exports: not writing sample data"; \
	else \
		$(BIN)/returns-kit sample --out data/raw --external data/external --months $(SAMPLE_MONTHS) --seed 7; \
	fi

ingest: $(STAMP) ## read data/raw into the typed Parquet cache in data/processed
	$(BIN)/returns-kit ingest --raw data/raw --processed data/processed

report: sample ## render reports/<MONTH>/index.html (default MONTH=2026-10) and print its path
	$(BIN)/returns-kit report --month $(MONTH)

test: $(STAMP) ## lint (ruff), check the layer contracts (import-linter), run the test suite
	$(BIN)/ruff check returns_kit tests benchmarks
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

lab: $(STAMP) ## open JupyterLab on notebooks/ with the kit's kernel
	$(BIN)/python -m pip install --quiet -e ".[lab]"
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP) ## scale benchmark: 1M sub-orders + 120k after-sales against polars (takes minutes)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_ingest.py

bench-report: $(STAMP) ## the whole report of the sample month, cold and warm, chapters one by one and in parallel
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/bench_report.py

clean: ## remove the venv, caches and rendered reports (never touches data/raw)
	rm -rf $(VENV) data/processed/* reports/* .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
