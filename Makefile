# The suite's commands. `make run` and `make test` set themselves up on a fresh
# machine that has Python 3.11 or 3.12 (spyne does not run on 3.13).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python 3.11 or 3.12 found, unless PYTHON is given.
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 13)))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Passed to pytest, e.g. `make test ARGS="-k digest -x"`.
ARGS ?=

.PHONY: help setup run demo test test-postgres lint check-package generate check-generated migration messages bench clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or 3.12 is needed (spyne 2.14 does not run on 3.13); set PYTHON=/path/to/python3.11" >&2; exit 1; }
	@echo "setting up $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

setup: $(STAMP)  ## create .venv and install the suite with its development tools

run: setup  ## start the whole suite on SQLite with demo data (Ctrl-C stops it)
	$(BIN)/ncms up --demo

demo: setup  ## start the suite with its sandbox, act as a hospital's HIS step by step, stop
	$(BIN)/ncms demo --start

test: setup  ## run the test suite (SQLite; DB=postgresql for PostgreSQL)
	$(BIN)/python protos/generate.py --check
	$(BIN)/pytest $(if $(DB),--db=$(DB)) $(ARGS)

test-postgres: setup  ## run the test suite against PostgreSQL (127.0.0.1:5432, user postgres)
	$(MAKE) test DB=postgresql

lint: setup  ## static checks: ruff, and the walls between the packages (import-linter)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

check-package: setup  ## install the suite into a fresh environment as the images do, and migrate
	@rm -rf .check-package && $(PYTHON) -m venv .check-package/venv
	.check-package/venv/bin/python -m pip install --quiet -c constraints.txt .
	cd .check-package && NCMS_DATA_DIR=$$PWD/data venv/bin/ncms migrate && NCMS_DATA_DIR=$$PWD/data venv/bin/ncms-hospital migrate
	@rm -rf .check-package build

generate: setup  ## regenerate the Python code of protos/ after editing a .proto
	$(BIN)/python protos/generate.py

check-generated: setup  ## fail if the generated code does not match the protos
	$(BIN)/python protos/generate.py --check

# The ncms command's and the console's messages: English in the code, translated in
# cli/locale and console/locale (gettext, built with Babel). After changing a text:
# `make messages`, translate what it reports as untranslated in the .po files
# (cli/locale/zh_CN/LC_MESSAGES/ncms.po, console/locale/zh_CN/LC_MESSAGES/console.po),
# `make messages` again.
LOCALE := cli/locale
messages: setup  ## update the message catalogues (ncms command, console) from the code and compile them
	$(BIN)/pybabel --quiet extract --omit-header --no-location --sort-output -k N_ -k N_plural:1,2 -o $(LOCALE)/ncms.pot cli
	$(BIN)/pybabel --quiet update -D ncms -i $(LOCALE)/ncms.pot -d $(LOCALE) --no-fuzzy-matching --ignore-obsolete -w 100
	$(BIN)/pybabel compile -D ncms -d $(LOCALE) --statistics
	@rm -f $(LOCALE)/ncms.pot
	$(BIN)/pybabel --quiet extract --omit-header --no-location --sort-output -k N_ -F console/babel.cfg -o console/locale/console.pot .
	$(BIN)/pybabel --quiet update -D console -i console/locale/console.pot -d console/locale --no-fuzzy-matching --ignore-obsolete -w 100
	$(BIN)/pybabel compile -D console -d console/locale --statistics
	@rm -f console/locale/console.pot

migration: setup  ## new migration from model changes: make migration SERVICE=identity MESSAGE="..."
	@test -n "$(SERVICE)" -a -n "$(MESSAGE)" || { echo 'usage: make migration SERVICE=identity MESSAGE="what changed"' >&2; exit 1; }
	$(BIN)/ncms migrate --new-revision "$(MESSAGE)" $(SERVICE)

bench: setup  ## run the benchmarks (prints numbers and ratios)
	$(BIN)/python -m benchmarks $(ARGS)

clean:  ## remove the virtual environment and local data
	rm -rf $(VENV) var .pytest_cache
