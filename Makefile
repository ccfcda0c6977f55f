# The developer interface: `make run`, `make test`. Everything installs from these files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format install install-dev browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Debian's headless Chromium for the browser tests (apt-get, as root; a no-op once present).
browser:
	scripts/install-browser

# Development: with no provider configured (in the environment or .env) messages are printed.
PROVIDER_KEYS := TWILIO_ACCOUNT_SID|SMSGATE_API_URL|WHATSAPP_CLOUD_ACCESS_TOKEN
PROVIDER_SET := $(or $(TWILIO_ACCOUNT_SID),$(SMSGATE_API_URL),$(WHATSAPP_CLOUD_ACCESS_TOKEN),$(shell grep -sE '^($(PROVIDER_KEYS))=.' .env))
run: export SIGAP_PROVIDER ?= $(if $(PROVIDER_SET),twilio,console)
run: $(VENV)/.runtime
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed demo
	exec scripts/run

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The suite runs on SQLite, then again on PostgreSQL when TEST_POSTGRES_URL names one
# (.ci/run does); CI without PostgreSQL is a failure, not a silent pass.
test: $(VENV)/.dev browser lint
	$(BIN)/python -m pytest
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
	  echo "== the suite again on PostgreSQL"; \
	  TEST_DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/python -m pytest; \
	elif [ "$$CI" = "true" ]; then \
	  echo "CI=true but TEST_POSTGRES_URL is not set: PostgreSQL was not tested"; exit 1; \
	else \
	  echo "== PostgreSQL skipped: set TEST_POSTGRES_URL (as .ci/run does) to run the suite on it"; \
	fi

# Every benchmark in bench/, then docs/PERFORMANCE.md from their figures (about ten minutes).
# The RapidSMS peer installs itself into bench/peer/.venv on the first run.
.PHONY: bench
bench: $(VENV)/.runtime
	$(BIN)/python bench/run.py

# Triage measured on every labelled set (the blind rounds and the corpora): precision and
# recall per category and priority, confusion matrices, places; writes docs/TRIAGE.md.
.PHONY: eval
eval: $(VENV)/.runtime
	$(BIN)/python bench/triage_eval.py

# Fault and load scenarios on 127.0.0.1 (three runs each), then docs/RELIABILITY.md from
# their counts (about fourteen minutes). With CHAOS_POSTGRES_URL set (a PostgreSQL role that
# may create databases) the database outage is also run on PostgreSQL. CHAOS_BURST=1000
# sends smaller bursts. One scenario: $(BIN)/python chaos/run.py --scenario kill
CHAOS_BURST ?= 5000
.PHONY: chaos
chaos: $(VENV)/.runtime
	$(BIN)/python chaos/run.py --runs 3 --burst-messages $(CHAOS_BURST)
