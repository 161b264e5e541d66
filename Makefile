# JO E-Tickets — the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TOOLS_BIN := $(CURDIR)/tools/node_modules/.bin
REFLEX_ENV := REFLEX_USE_SYSTEM_BUN=1 PATH="$(TOOLS_BIN):$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: run worker test bench lint migrate seed migration deps deps-dev system-deps clean i18n-extract i18n-update i18n-compile

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

## Translations (docs/i18n.md): the .po files are the source, the .mo files are built (not committed)
LOCALES := jo_app/locales
MO_FILES := $(LOCALES)/fr/LC_MESSAGES/messages.mo $(LOCALES)/en/LC_MESSAGES/messages.mo
I18N_KEYWORDS := -k tr -k text -k ntext -k tr_count -k page_title -k _n -k N_

i18n-extract: deps
	$(VENV)/bin/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --no-wrap --sort-by-file -o $(LOCALES)/messages.pot .

i18n-update: i18n-extract
	$(PY) -m scripts.i18n_update

i18n-compile: $(MO_FILES)

$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po | $(VENV)/.deps-runtime
	$(VENV)/bin/pybabel compile -d $(LOCALES) -D messages -l $* --statistics

## Database
migrate: deps
	$(PY) -m jo_app.cli migrate

seed: migrate
	$(PY) -m jo_app.cli seed-demo

## Run the app (SQLite by default; DATABASE_URL overrides) at http://localhost:3000; it sends its queued mails itself
run: seed i18n-compile
	$(REFLEX_ENV) $(VENV)/bin/reflex run --env prod --single-port --frontend-port 3000

## A separate job worker (queued mails), for an app started with JOBS_IN_APP=0
worker: migrate
	$(PY) -m jo_app.cli worker

## Whole test suite (PostgreSQL tests need the server of TEST_POSTGRES_URL; CI makes them mandatory)
test: deps-dev i18n-compile
	$(VENV)/bin/ruff check .
	$(REFLEX_ENV) $(VENV)/bin/pytest tests --ignore=tests/e2e -n 2 --dist loadgroup
	$(REFLEX_ENV) $(VENV)/bin/pytest tests/e2e

bench: deps-dev
	$(PY) -m benchmarks.checkout
	$(PY) -m benchmarks.gate
	$(PY) -m benchmarks.pdf
	$(PY) -m benchmarks.http
	$(PY) -m benchmarks.topology
	$(PY) -m benchmarks.live_ui
	$(PY) -m benchmarks.waiting_room
	$(PY) -m benchmarks.waiting_room_live
	$(PY) -m benchmarks.broadcast_fanout

lint: deps-dev
	$(VENV)/bin/ruff check .

## Regenerate the initial migration from the models (development only)
migration: deps
	$(PY) -m scripts.regenerate_migration

clean:
	rm -rf .web .states var/cache $(MO_FILES)
