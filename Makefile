# mam: `make demo` runs the whole pipeline on the embedded default; `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export MAM_HOME ?= $(CURDIR)/mam-data

.PHONY: install demo test lint typecheck check services system bench clean web web-schema

## The web workspace (web/): npm ci when the lockfile changed, the build (vue-tsc, then vite) when anything
## under web/ changed; mam serve serves web/dist (MAM_WEB_DIST elsewhere).
WEB_STAMP   := web/.stamp
WEB_SOURCES := $(shell find web -path web/node_modules -prune -o -path web/dist -prune -o -name .stamp -prune -o -type f -print 2>/dev/null)

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

$(WEB_STAMP): web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build
	@touch $(WEB_STAMP)

web: $(WEB_STAMP)

## The API client's types (web/src/api/schema.d.ts) from the app's OpenAPI document, after an API change.
web-schema: $(STAMP) web/node_modules/.package-lock.json
	MAM_HOME=$$(mktemp -d) $(BIN)/python -c "import json, sys; from api.app import create_app; json.dump(create_app().openapi(), sys.stdout)" > web/openapi.json
	cd web && npx openapi-typescript openapi.json -o src/api/schema.d.ts && rm openapi.json

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) $(WEB_STAMP)

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
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=25

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
	rm -rf $(VENV) mam-data .pytest_cache .mypy_cache .ruff_cache web/node_modules web/dist $(WEB_STAMP)
