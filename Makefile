# Omnidesk: `make run` serves the demo desk, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test bench worker lint format clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Omnidesk is starting on http://127.0.0.1:8000/  (inbox: /inbox/, admin: /admin/, API docs: /api/docs/)"
	@echo ""
	$(PY) manage.py rundesk 127.0.0.1:8000

test: $(VENV)/.installed-dev
	scripts/ensure-system-packages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pytest

bench: $(VENV)/.installed-dev
	$(PY) bench/ingest.py

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A omnidesk worker -B -Q inbound,outbound,periodic,default --loglevel=INFO

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var omnidesk.sqlite3
