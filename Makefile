# Omnidesk: `make run` serves the demo desk, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
ADDRPORT ?= 127.0.0.1:8000
LOG_LEVEL ?= WARNING

.PHONY: run test bench worker lint format clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@

# One process: it starts the embedded PostgreSQL (no DATABASE_URL), migrates, loads the
# demo and serves; the database stops with it. LOG_LEVEL=INFO shows the task and request logs.
# A development desk on this machine asks for DEBUG (the settings default to production).
DJANGO_DEBUG ?= 1

run: $(VENV)/.installed
	@$(PY) scripts/compile-messages
	@DJANGO_DEBUG=$(DJANGO_DEBUG) LOG_LEVEL=$(LOG_LEVEL) $(PY) manage.py rundesk --migrate --demo $(ADDRPORT)

test: $(VENV)/.installed-dev
	scripts/ensure-system-packages
	$(PY) scripts/compile-messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pytest

bench: $(VENV)/.installed-dev
	$(PY) bench/ingest.py

worker: $(VENV)/.installed
	DJANGO_DEBUG=$(DJANGO_DEBUG) $(VENV)/bin/celery -A omnidesk worker -B -Q inbound,outbound,periodic,default --loglevel=INFO

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var
