# Two commands: `make run` starts the product, `make test` checks it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export DEBUG ?= true
export SITE_URL ?= http://localhost:$(PORT)
METRICS_DIR := $(CURDIR)/var/prometheus

.PHONY: run test lint format install install-dev bootstrap clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when a requirements file changes.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## Prepare the database and demo data (each step is idempotent).
# .env (DEBUG=true, a SECRET_KEY) lets manage.py commands typed by hand run as these do.
bootstrap: install
	$(BIN)/python -m config.dotenv .env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py setup_periodic_tasks
	$(BIN)/python manage.py seed_demo

## Start web, worker and beat (Ctrl-C stops all three).
run: bootstrap
	@echo
	@echo "  Admin:       http://localhost:$(PORT)/admin/"
	@echo "  API:         http://localhost:$(PORT)/api/"
	@echo "  API docs:    http://localhost:$(PORT)/api/docs/"
	@echo "  Readiness:   http://localhost:$(PORT)/readyz"
	@echo "  Metrics:     http://localhost:$(PORT)/metrics"
	@echo
	@# Each process writes its metrics here and /metrics adds them up; a fresh
	@# start must not add up the dead processes of the last one.
	rm -rf $(METRICS_DIR) && mkdir -p $(METRICS_DIR)
	PATH="$(CURDIR)/$(BIN):$$PATH" PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR) \
		$(BIN)/honcho start --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	DEBUG=false $(BIN)/pytest

## The benchmarks' long forms, by hand (not part of `make test`; see bench/README.md).
# bench/load.py on PostgreSQL and Redis (with DATABASE_URL and REDIS_URL set) and on the
# embedded default, then every other script; analytics.py and slo.py need PostgreSQL.
# Each failing script is named at the end, and the target fails.
BENCH_SCRIPTS := ingest api dashboard admin_pages oncall reports anomaly_quality forecast_backtest
BENCH_POSTGRES_SCRIPTS := analytics slo

bench: install-dev
	@failed=""; \
	run() { echo; echo "=== bench/$$*"; $(BIN)/python bench/$$* || failed="$$failed; $$*"; }; \
	if [[ "$$DATABASE_URL" == postgres* && -n "$$REDIS_URL" ]]; then \
		run load.py --seconds 60; \
	else \
		echo "bench/load.py on PostgreSQL and Redis: skipped (set DATABASE_URL and REDIS_URL)"; \
	fi; \
	run load.py --embedded --seconds 60; \
	for script in $(BENCH_SCRIPTS); do run $$script.py; done; \
	if [[ "$$DATABASE_URL" == postgres* ]]; then \
		for script in $(BENCH_POSTGRES_SCRIPTS); do run $$script.py; done; \
	else \
		echo "bench/analytics.py, bench/slo.py: skipped (they need a PostgreSQL DATABASE_URL)"; \
	fi; \
	if [[ -n "$$failed" ]]; then echo; echo "failed$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) var

## The fault tests with production timings: a 5-minute SMTP outage, the outbox's 2-minute
## sweep grace and 5-minute lease waited out (about 15 minutes; `make test` runs them short).
.PHONY: faults-long
faults-long: install-dev
	FAULTS_LONG=1 DEBUG=false $(BIN)/pytest -p no:cacheprovider tests/faults
