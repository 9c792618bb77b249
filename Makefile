# mam: `make demo` runs the whole pipeline on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export MAM_HOME ?= $(CURDIR)/mam-data

.PHONY: install demo test lint typecheck check services system bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

## Generate sample footage, ingest it and render it in-process; leaves everything in $(MAM_HOME).
demo: install
	$(BIN)/mam samples "$(MAM_HOME)/samples"
	$(BIN)/mam ingest "$(MAM_HOME)/samples" --wait --tag demo
	@echo
	@echo "To browse it: $(BIN)/mam serve, open http://127.0.0.1:8000/ and sign in as user 'admin' with the"
	@echo "password mam serve prints at its first start (once). Your own sign-in, if that is gone:"
	@echo "  $(BIN)/mam users create NAME --tenant default --role admin"
	@echo "A key for tools (Authorization: Bearer <key>): $(BIN)/mam keys create --tenant default --role editor"

## Start the servers the tests talk to (PostgreSQL, Redis) if they are installed but not running.
services:
	@bash .ci/services

## Debian packages the suite needs (chromium, fonts-noto-cjk), installed when missing and running as root.
system:
	@bash .ci/system

test: install system services
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

## Side-by-side measurements (installs the [bench] extra: PySceneDetect for benchmarks/shots.py).
bench: install
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/transcode.py
	$(BIN)/python benchmarks/shots.py

clean:
	rm -rf $(VENV) mam-data .pytest_cache .mypy_cache .ruff_cache
