# The two commands: `make run` and `make test`. Both install what is missing on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
PORT ?= 8000
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv
# uv from PATH, or bootstrapped with pip into .tools/ when absent.
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV_PY := .venv/bin/python
MANAGE := $(VENV_PY) manage.py

.PHONY: help install run worker test test-sqlite test-postgres test-browser lint fix bench clean

help:
	@echo "make run    — installe, migre, charge l'organisation et lance le site et le worker sur http://127.0.0.1:$(PORT)/"
	@echo "make test   — toute la suite : qualité, SQLite, PostgreSQL jetable, puis Chromium"
	@echo "make bench  — mesures de performance (ratios face à une vue nue) → docs/performance.md"

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.installed

run: install
	PORT=$(PORT) scripts/run.sh

worker: install
	$(MANAGE) db_worker

test: install
	scripts/test.sh

test-sqlite: install
	scripts/test.sh sqlite

test-postgres: install
	scripts/test.sh postgres

test-browser: install
	scripts/test.sh browser

lint: install
	scripts/test.sh lint

fix: install
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench: install
	$(VENV_PY) -m bench

clean:
	rm -rf var/bench var/static .tools
