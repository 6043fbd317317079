# The two commands of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB = $(shell $(BIN)/python -c 'from panel_desk.paths import demo_database_path; print(demo_database_path())')

.PHONY: run test install lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "panel_desk needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	PYTHON=$(PYTHON) sh packaging/install-system-deps venv
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## make run: install, create the demo database if there is none, open the app on it.
run: $(STAMP)
	sh packaging/install-system-deps qt gui
	$(BIN)/panel-desk demo --if-empty --db "$(DEMO_DB)"
	$(BIN)/panel-desk --db "$(DEMO_DB)"

## make test: install what the tests need (system packages too) and run them headless.
## The store and service tests run on SQLite and on a throwaway PostgreSQL server that the
## tests start on loopback and stop (tests/pg_server.py); where PostgreSQL cannot be
## installed that leg is skipped, with the reason printed.
test: $(STAMP)
	sh packaging/install-system-deps qt
	sh packaging/install-system-deps postgresql \
		|| echo "make test: PostgreSQL could not be installed; its test leg will be skipped"
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check panel_desk tests db
	$(BIN)/ruff format --check panel_desk tests db

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
