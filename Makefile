# Two commands: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
.DEFAULT_GOAL := run
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# The first Python >= 3.12 found: pyenv's (honours .python-version), then python3.13/3.12, then python3.
PYTHON ?= $(shell for p in "$$(pyenv which python 2>/dev/null)" "$$HOME/.pyenv/versions/$$(cat .python-version 2>/dev/null)/bin/python" python3.13 python3.12 python3; do \
	[ -n "$$p" ] && command -v "$$p" >/dev/null 2>&1 && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; break; }; done)

.PHONY: run test lint bench setup setup-test db clean

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "Python >= 3.12 is required (Django 6.1). Install it or set PYTHON=/path/to/python3.12+" >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

$(VENV)/.runtime: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet .
	@touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(BIN)/pip install --quiet --group test --group dev
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required to install Bootstrap (front-end packages come from npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --silent

setup: $(VENV)/.runtime node_modules/.package-lock.json

setup-test: $(VENV)/.test node_modules/.package-lock.json

db: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py load_catalog

run: db
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: setup-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup-test
	$(BIN)/ruff check .

bench: setup-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules staticfiles
