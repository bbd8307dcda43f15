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

.PHONY: run test lint bench setup setup-test setup-prod db prepare serve worker clean audit

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "Python >= 3.12 is required (Django 6.1). Install it or set PYTHON=/path/to/python3.12+" >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

$(VENV)/.runtime: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet .
	@touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(BIN)/pip install --quiet --group test --group dev --group prod
	@touch $@

$(VENV)/.prod: $(VENV)/.runtime
	$(BIN)/pip install --quiet --group prod
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required to install Bootstrap (front-end packages come from npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --silent

setup: $(VENV)/.runtime node_modules/.package-lock.json

setup-test: $(VENV)/.test node_modules/.package-lock.json

setup-prod: $(VENV)/.prod node_modules/.package-lock.json

db: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py load_catalog
	$(BIN)/python manage.py load_example_narratives
	$(BIN)/python manage.py load_iso_mapping

run: db
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production (README, Deploying): settings come from the environment (SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS, ...).
# `prepare` is the once-per-release step (deploy/prepare.sh + collectstatic); with several app servers run it once,
# then `serve` on each.
prepare: export STATICFILES_BACKEND ?= whitenoise.storage.CompressedManifestStaticFilesStorage
prepare: setup-prod
	PYTHON=$(BIN)/python deploy/prepare.sh
	$(BIN)/python manage.py collectstatic --noinput

serve: export STATICFILES_BACKEND ?= whitenoise.storage.CompressedManifestStaticFilesStorage
serve: prepare
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c cmmc_site/gunicorn.conf.py cmmc_site.wsgi

# The whole suite on every CPU and one worker more (pytest-xdist), each worker with its own test database and, once
# it reaches a browser test, its own Chromium (tests/conftest.py): a browser test spends much of its time waiting for
# Chromium, and the extra worker fills it (on two cores, 7 min 26 s with two workers, 6 min 56 s with three).
# TEST_WORKERS=0: one process, no xdist.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
# The background worker, beside the app servers (README, Deploying: reminders): enqueue today's deadline reminders
# (idempotent; a daily timer enqueues them again), then run django-tasks-db's worker on the database queue.
worker: export TASKS_BACKEND ?= database
worker: setup
	$(BIN)/python manage.py send_deadline_reminders
	$(BIN)/python manage.py db_worker

test: setup-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r accounts orgs assessments cmmc_site controls ssp iso27001 guidance timeline -x '*/migrations/*,tests,.venv'
	$(BIN)/semgrep --metrics=off --disable-version-check --no-git-ignore --error --quiet --config .semgrep/ accounts orgs assessments cmmc_site controls ssp iso27001 guidance timeline templates static/js

bench: setup-test
	$(BIN)/python bench/run.py

# Smoke DAST (wapiti, loopback only) and the SBOM (cyclonedx); the tools live in their own virtualenv so their
# dependencies never touch the app's (pyproject.toml, dependency group "audit").
.venv-audit/.audit: pyproject.toml
	$(PYTHON) -m venv .venv-audit
	.venv-audit/bin/python -m pip install --quiet --upgrade "pip>=25.1"
	.venv-audit/bin/pip install --quiet --group audit
	@touch $@

# Then the patch check (audit/check_patches.py: a newer patch of Django, WeasyPrint, allauth, lxml, Pillow,
# cryptography or psycopg fails, and so does an unreachable index); both always run, either failing fails the target.
audit: setup-test .venv-audit/.audit
	status=0; $(BIN)/python audit/run.py || status=1; $(BIN)/python audit/check_patches.py || status=1; exit $$status

clean:
	rm -rf $(VENV) node_modules staticfiles
