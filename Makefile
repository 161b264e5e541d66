# JO E-Tickets — the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TOOLS_BIN := $(CURDIR)/tools/node_modules/.bin
REFLEX_ENV := REFLEX_USE_SYSTEM_BUN=1 PATH="$(TOOLS_BIN):$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: run test bench lint migrate seed migration deps deps-dev system-deps clean

## Runtime dependencies: virtualenv + pinned Python packages + bun (from npm, for the Reflex frontend build)
deps: $(VENV)/.deps-runtime tools/node_modules/.installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.deps-runtime: requirements.txt | $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.deps-dev: requirements.txt requirements-dev.txt $(VENV)/.deps-runtime
	$(PIP) install -q -r requirements-dev.txt
	touch $@

tools/node_modules/.installed: tools/package.json tools/package-lock.json
	cd tools && npm ci --no-audit --no-fund --loglevel=error
	touch $@

system-deps:
	./scripts/install-system-deps.sh

deps-dev: deps $(VENV)/.deps-dev system-deps

## Database
migrate: deps
	$(PY) -m jo_app.cli migrate

seed: migrate
	$(PY) -m jo_app.cli seed-demo

## Run the app (SQLite by default; DATABASE_URL overrides) at http://localhost:3000
run: seed
	$(REFLEX_ENV) $(VENV)/bin/reflex run --env prod --single-port --frontend-port 3000

## Whole test suite (PostgreSQL tests need the server of TEST_POSTGRES_URL; CI makes them mandatory)
test: deps-dev
	$(VENV)/bin/ruff check .
	$(REFLEX_ENV) $(VENV)/bin/pytest tests --ignore=tests/e2e -n 2 --dist loadgroup
	$(REFLEX_ENV) $(VENV)/bin/pytest tests/e2e

bench: deps-dev
	$(PY) -m benchmarks.checkout
	$(PY) -m benchmarks.gate
	$(PY) -m benchmarks.pdf
	$(PY) -m benchmarks.http
	$(PY) -m benchmarks.topology

lint: deps-dev
	$(VENV)/bin/ruff check .

## Regenerate the initial migration from the models (development only)
migration: deps
	$(PY) -m scripts.regenerate_migration

clean:
	rm -rf .web .states var/cache
