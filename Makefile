# Mutualis — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: demo test install install-dev lint run worker

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## demo: install, build a realistic demo (SQLite, no broker) and serve it on http://127.0.0.1:8000
demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo

## test: install, lint, run the suite on SQLite and, when it answers, on PostgreSQL
test: install-dev
	VENV=$(VENV) bash scripts/run_tests.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py runserver

worker: install
	$(VENV)/bin/celery -A procurement worker --loglevel=info
