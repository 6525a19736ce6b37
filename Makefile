# ghl-sales-bridge: developer and CI entry points. `make help` lists them.
#
# Two virtualenvs, both Python 3.13:
#   .venv       the project: layer dependencies (shared/requirements.txt) + the dev group
#   .tools/sam  aws-sam-cli alone (installed next to the project's pins, pip backtracks it to
#               an old release)

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
VENV_BIN  := $(VENV)/bin
VENV_PY   := $(VENV_BIN)/python
STAMP     := $(VENV)/.installed
SAM_VENV  := .tools/sam
SAM       := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM_CLI_SPEC ?= aws-sam-cli>=1.170
PG_BINDIR ?= /usr/lib/postgresql/15/bin
AWS_REGION ?= us-east-1
RUNS ?= 9
# Optional: a Python 3.13 interpreter to use instead of searching for one.
PYTHON313 ?=

# Sets $py to a working Python 3.13: $(PYTHON313), python3.13 on PATH (a pyenv shim only counts
# if it runs), the pyenv 3.13 builds, else `pyenv install 3.13` when pyenv exists.
FIND_PY313 = py=; \
	for c in $(PYTHON313) python3.13 /root/.pyenv/versions/3.13.0/bin/python \
	         "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.13*/bin/python; do \
	  if "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; then py=$$c; break; fi; \
	done; \
	if [ -z "$$py" ] && command -v pyenv >/dev/null 2>&1; then \
	  echo "Python 3.13 not found: installing it with pyenv" >&2; \
	  pyenv install -s 3.13 && py="$$(pyenv root)/versions/$$(pyenv latest 3.13)/bin/python"; \
	fi; \
	if [ -z "$$py" ]; then \
	  echo "Python 3.13 not found. Install it (e.g. pyenv install 3.13) or run: make PYTHON313=/path/to/python3.13 ..." >&2; \
	  exit 1; \
	fi

# SAM needs python3.13 on PATH for the function builds (the project venv provides it).
SAM_ENV = env SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-$(AWS_REGION)} \
	PATH="$(CURDIR)/$(VENV_BIN):$$PATH"

.PHONY: help test lint requirements check-requirements check-arch postgres-bin bench dev dev-token \
	sam-tools sam-validate sam-build clean ts-tools

help:
	@echo "make dev           the whole API on 127.0.0.1:3000 (GHL sandbox + SQLite store; PORT to change)"
	@echo "make dev-token     a dev JWT of another toolkit user, to try team access (USER_ID=, EMAIL=)"
	@echo "make test          everything CI checks: lint + pytest (PostgreSQL 15 tests included)"
	@echo "make lint          ruff, mypy (strict, layer), requirements check, cfn-lint, arch check"
	@echo "make requirements  regenerate shared/requirements.txt from pyproject.toml"
	@echo "make bench         cold import time of every handler vs a baseline (RUNS=$(RUNS))"
	@echo "make sam-validate  sam validate --lint (aws-sam-cli in .tools/sam)"
	@echo "make sam-build     sam build (layer via shared/Makefile, no Docker)"
	@echo "make sam-tools     create .tools/sam with aws-sam-cli"
	@echo "make ts-tools      npm ci in tests/typescript (the pinned TypeScript client generator and tsc)"
	@echo "make clean         remove build output and caches (keeps .venv and .tools)"

# --- project venv -------------------------------------------------------------------------
$(VENV_PY):
	@$(FIND_PY313); echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV)

$(STAMP): pyproject.toml shared/requirements.txt | $(VENV_PY)
	@$(VENV_PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' || \
	  { echo "$(VENV) is not Python 3.13: remove it (rm -rf $(VENV)) and rerun" >&2; exit 1; }
	$(VENV_PY) -m pip install --quiet --upgrade 'pip>=25.1'
	$(VENV_PY) -m pip install --quiet -r shared/requirements.txt --group dev
	@touch $@

# --- checks -------------------------------------------------------------------------------
requirements:
	@$(FIND_PY313); "$$py" scripts/layer_requirements.py && echo "wrote shared/requirements.txt"

check-requirements: $(STAMP)
	$(VENV_PY) scripts/layer_requirements.py --check

# template.yaml's architecture, shared/Makefile's LAYER_ARCH and the extension ARN must agree.
check-arch:
	@arch=$$(sed -n 's/^LAYER_ARCH ?= *//p' shared/Makefile); \
	case "$$arch" in aarch64) want=arm64 ext=yes;; x86_64) want=x86_64 ext=no;; \
	  *) echo "shared/Makefile: unknown LAYER_ARCH '$$arch'" >&2; exit 1;; esac; \
	bad=$$(grep -nE '^[^#]*Architectures?:' template.yaml | grep -v -- "$$want" || true); \
	if [ -n "$$bad" ]; then \
	  echo "template.yaml does not match shared/Makefile LAYER_ARCH=$$arch ($$want):" >&2; echo "$$bad" >&2; exit 1; fi; \
	if grep -qE 'Default: .*Parameters-and-Secrets-Lambda-Extension-Arm64:' template.yaml; then has=yes; else has=no; fi; \
	if [ "$$has" != "$$ext" ]; then \
	  echo "template.yaml: ParamsSecretsExtensionArn default is not the $$want extension layer" >&2; exit 1; fi

lint: $(STAMP) check-arch check-requirements
	$(VENV_BIN)/ruff check .
	$(VENV_BIN)/mypy
	$(VENV_BIN)/cfn-lint template.yaml

# PostgreSQL 15 server programs for the `postgres` tests (they start their own server),
# unless TEST_DATABASE_URL points at an existing database.
postgres-bin:
	@if [ -n "$${TEST_DATABASE_URL:-}" ] || [ -x "$(PG_BINDIR)/initdb" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing PostgreSQL 15 server programs (apt-get install postgresql-15)"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15; \
	else \
	  echo "PostgreSQL 15 server programs are missing ($(PG_BINDIR)/initdb)." >&2; \
	  echo "Install them (Debian/Ubuntu: sudo apt-get install postgresql-15), pass PG_BINDIR=..., or set" >&2; \
	  echo "TEST_DATABASE_URL to an existing PostgreSQL 15 database." >&2; \
	  exit 1; \
	fi

# The TypeScript client check (tests/project/test_typescript_client.py): openapi-typescript,
# openapi-fetch and typescript, pinned by tests/typescript/package-lock.json.
TS_DIR   := tests/typescript
TS_STAMP := $(TS_DIR)/node_modules/.installed
$(TS_STAMP): $(TS_DIR)/package.json $(TS_DIR)/package-lock.json
	cd $(TS_DIR) && npm ci --no-audit --no-fund
	@touch $@

ts-tools: $(TS_STAMP)

test: lint postgres-bin ts-tools
	PATH="$(PG_BINDIR):$$PATH" $(VENV_BIN)/pytest

bench: $(STAMP)
	$(VENV_PY) bench/cold_import.py --runs $(RUNS); cold=$$?; \
	PYTHONPATH=shared $(VENV_PY) bench/warm_request.py; warm=$$?; \
	PYTHONPATH=shared $(VENV_PY) bench/locations_list.py; locations=$$?; \
	PYTHONPATH=shared:local $(VENV_PY) bench/refresh_run.py; refresh=$$?; \
	PYTHONPATH=shared:local $(VENV_PY) bench/research_context.py; research=$$?; \
	exit $$((cold || warm || locations || refresh || research))

dev: $(STAMP)
	PYTHONPATH=shared:local $(VENV_PY) -m devstack

# A dev JWT for another toolkit user (team access under `make dev`): make dev-token [USER_ID=uuid] [EMAIL=a@b.c]
dev-token: $(STAMP)
	@PYTHONPATH=shared:local $(VENV_PY) -m devstack.token $(if $(USER_ID),--user-id $(USER_ID)) $(if $(EMAIL),--email $(EMAIL))

# --- SAM (own venv) -----------------------------------------------------------------------
$(SAM_STAMP):
	@$(FIND_PY313); rm -rf $(SAM_VENV); echo "creating $(SAM_VENV) with $$py"; \
	"$$py" -m venv $(SAM_VENV) && \
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip && \
	for attempt in 1 2 3; do \
	  $(SAM_VENV)/bin/python -m pip install --quiet '$(SAM_CLI_SPEC)' && break; \
	  if [ $$attempt = 3 ]; then \
	    echo "ERROR: could not install $(SAM_CLI_SPEC) into $(SAM_VENV) (PyPI unreachable?)." >&2; \
	    echo "sam-validate and sam-build need it; retry with: make sam-tools" >&2; \
	    rm -rf $(SAM_VENV); exit 1; \
	  fi; \
	  echo "pip install $(SAM_CLI_SPEC) failed (attempt $$attempt); retrying" >&2; sleep 5; \
	done && \
	$(SAM) --version && touch $@

sam-tools: $(SAM_STAMP)

sam-validate: $(SAM_STAMP)
	$(SAM_ENV) $(SAM) validate --lint --template template.yaml

sam-build: $(SAM_STAMP) $(STAMP) check-requirements check-arch
	$(SAM_ENV) $(SAM) build --template template.yaml

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .pgtest $(TS_DIR)/build
	find . \( -path ./.venv -o -path ./.tools -o -path ./.git \) -prune -o \
	  -name __pycache__ -type d -prune -exec rm -rf {} +
