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

.PHONY: help install run worker test test-sqlite test-postgres test-browser lint fix bench sample clean

help:
	@echo "make run    — installe, migre, charge l'organisation et lance le site et le worker sur http://127.0.0.1:$(PORT)/"
	@echo "make test   — toute la suite : qualité, SQLite, PostgreSQL jetable, puis Chromium"
	@echo "make bench  — mesures de performance (ratios face à une vue nue) → docs/performance.md"
	@echo "make sample — télécharge le contenu public de beta.gouv.fr dans var/ (pour les tests sur données réelles)"

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

# P1–P5 on SQLite and on a throwaway PostgreSQL cluster, #19's goals met or not (≈ 25 min on 2 cores).
# `make bench BENCH_ARGS=--quick` checks the harness; `python -m bench --help` lists the options.
bench: install
	$(VENV_PY) -m bench $(BENCH_ARGS)

# The public beta.gouv.fr content tree, for the tests and `make bench` on a machine without ../shared: a shallow,
# sparse clone of the repository with only `content/` checked out (blobs fetched for that folder only).
# `make sample` again brings it up to date.
SAMPLE_REPOSITORY ?= https://github.com/betagouv/beta.gouv.fr.git
SAMPLE_DIR := var/betagouv-content

sample:
	@if [ -d $(SAMPLE_DIR)/.git ]; then \
	  git -C $(SAMPLE_DIR) fetch --quiet --depth 1 origin && git -C $(SAMPLE_DIR) reset --quiet --hard FETCH_HEAD; \
	else \
	  rm -rf $(SAMPLE_DIR) && mkdir -p var && \
	  git clone --quiet --depth 1 --filter=blob:none --sparse $(SAMPLE_REPOSITORY) $(SAMPLE_DIR) && \
	  git -C $(SAMPLE_DIR) sparse-checkout set content; \
	fi
	@echo "Contenu de beta.gouv.fr : $(SAMPLE_DIR)/content ($$(ls $(SAMPLE_DIR)/content/_startups | wc -l) produits)"

clean:
	rm -rf var/bench var/static .tools
