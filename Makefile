# The two set-up commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/hpoweb
REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=
# `make run ADDR=127.0.0.1:8080 WORKERS=4`: where the web listens and how many trials run at once
# (another host name or address must also be in ALLOWED_HOSTS, see .env.example).
ADDR ?= 127.0.0.1:8000
WORKERS ?= 2

.PHONY: run test test-embedded test-services lint bench install

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

## Install, migrate, create the first admin, run the web server with workers and the reaper.
run: install
	$(PY) manage.py serve --addr $(ADDR) --workers $(WORKERS)

## Install and run the whole test suite: SQLite + filesystem broker beside PostgreSQL + Redis.
## The two suites share nothing (each its own data folder, database and broker), so they run at once;
## each one's output is printed whole when it ends.
test: install
	scripts/ensure-test-services.sh
	$(MAKE) -k -j3 --output-sync=target lint test-embedded test-services

test-embedded: install
	$(VENV)/bin/pytest -m "not services" $(PYTEST_ARGS)

test-services: install
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) $(VENV)/bin/pytest -m "services or e2e" -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
