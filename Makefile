# Joined Up: `make run` starts the whole portal; `make test` runs every check CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test lint bench install install-test assets clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/build/.built: node_modules/.installed $(wildcard static/scss/*.scss) $(wildcard static/js/*.js)
	npm run --silent build
	touch $@

install: $(VENV)/.installed static/build/.built
install-test: $(VENV)/.installed-test static/build/.built
assets: static/build/.built

run: install
	$(BIN)/python -m portal.launcher

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install-test lint
	$(BIN)/pytest

bench: install-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules static/build var
