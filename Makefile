# Maille — two commands do everything: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest selects the PostgreSQL-only tests (concurrency races) when DATABASE_URL points to PostgreSQL.
PYTEST_ARGS ?=

.PHONY: install run demo serve test pytest quality bench clean chromium

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/maille demo

run: install
	$(BIN)/maille demo --no-logins
	$(BIN)/maille serve --host $(HOST) --port $(PORT)

quality: install
	$(BIN)/ruff format --check maille tests benchmarks tools
	$(BIN)/ruff check maille tests benchmarks tools
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy maille/planning maille/core maille/diagnosis

chromium:
	@tools/ensure_chromium.sh

pytest: install chromium
	$(BIN)/python tests/run.py $(PYTEST_ARGS)

# Chromium first: a machine without it stops at once, before the gate and the suite run.
test: chromium quality pytest

bench: install
	tools/with_postgres.sh $(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var/
