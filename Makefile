# Tablewright: `make run` serves the app with a demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: install install-test js-deps run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# dbdiagram.io's own DBML parser for tests/test_dbml_dbdiagram.py; `make test` installs it only where node is.
JS_DEPS := $(if $(shell command -v npm 2>/dev/null),tests/js/node_modules/.installed,)

tests/js/node_modules/.installed: tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

js-deps: tests/js/node_modules/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG-1} $(BIN)/python manage.py load_demo --if-empty
	@if [ "$${DEBUG-1}" = "1" ]; then \
		echo "Tablewright on http://$(HOST):$(PORT)/  —  log in as demo / demo (or alice / alice, bob / bob)"; \
	else echo "Tablewright on http://$(HOST):$(PORT)/"; fi
	DEBUG=$${DEBUG-1} $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application

test: install-test $(JS_DEPS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY=$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(40))')} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-test
	@for script in bench/*.py; do echo "== $$script"; DEBUG=0 SECRET_KEY=bench $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var/*.sqlite3 .pytest_cache .ruff_cache
