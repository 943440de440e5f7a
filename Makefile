# RefactorTrack: `make dev` runs the whole system, `make test` passes the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := $(HOME)/.cache/refactortrack/tools
UV ?= $(shell command -v uv 2>/dev/null || echo "$(TOOLS)/bin/uv")
RUN := $(UV) run --frozen
STACK := bash deploy/local/stack.sh
DEMO_TENANT ?= demo-agency
DEMO_USER ?= demo
DEMO_PASSWORD ?= demo-password
PYTEST_ARGS ?=
DASHBOARD_LIB := gateway/dashboard/node_modules/.package-lock.json

.PHONY: help install stack-up stack-down stack-status migrate dev demo-data test test-unit lint format bench faults clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# uv in a venv of its own, outside the checkout, when the machine has none.
$(UV):
	python3 -m venv "$(TOOLS)"
	"$(TOOLS)/bin/pip" install --quiet "uv>=0.5,<1"

install: $(UV) $(DASHBOARD_LIB) ## create .venv with the locked dependencies (and the dashboard's)
	$(UV) sync --frozen

# The dashboard's charting library, pinned by its package-lock.json; npm writes
# node_modules/.package-lock.json on every install, so this runs again when the lock changes.
$(DASHBOARD_LIB): gateway/dashboard/package.json gateway/dashboard/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the dashboard's charting library: install Node.js (>= 18)" >&2; exit 1; }
	npm ci --prefix gateway/dashboard --ignore-scripts --no-audit --no-fund

stack-up: ## install (first time), start and health-check every server
	$(STACK) up

stack-down: ## stop every server
	$(STACK) down

stack-status: ## which servers are up, and where
	$(STACK) status

migrate: install stack-up ## migrate Postgres, create topics and indexes
	$(RUN) refactortrack migrate

dev: migrate ## run the whole system: stack, gateway and workers, with a demo login
	@$(RUN) refactortrack users create --tenant $(DEMO_TENANT) --username $(DEMO_USER) \
		--password $(DEMO_PASSWORD) --role admin >/dev/null
	@echo ""
	@echo "  RefactorTrack API  http://$${HOST:-127.0.0.1}:$${PORT:-8000}/api/docs"
	@echo "  live dashboard     http://$${HOST:-127.0.0.1}:$${PORT:-8000}/dashboard"
	@echo "  demo login         $(DEMO_USER) / $(DEMO_PASSWORD)  (agency $(DEMO_TENANT))"
	@echo "  stop               Ctrl-C (servers keep running: make stack-down)"
	@echo ""
	@DEMO_TENANT=$(DEMO_TENANT) bash deploy/local/run-dev.sh

test: install stack-up ## start the stack if needed and run the whole suite
	$(RUN) pytest -q $(PYTEST_ARGS)

test-unit: install ## the unit tests only (no servers)
	$(RUN) pytest -q tests/unit $(PYTEST_ARGS)

lint: install ## ruff, mypy and the dependency rule (import-linter)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports

format: install ## apply ruff's formatting and fixes
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

demo-data: install ## fill the demo agency (needs `make dev` running)
	$(RUN) refactortrack demo-data --tenant $(DEMO_TENANT)

bench: migrate ## benchmarks against the real stack (figures and baselines)
	$(RUN) python -m bench

faults: install ## fault scenarios under load on a private stack; a table, and JSON in tests/faults/results/
	$(RUN) python -m tests.faults $(FAULTS_ARGS)

clean: ## remove caches (not the stack's data: see deploy/local/README.md)
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache .import_linter_cache .worker-data gateway/dashboard/node_modules
