# Family Bridge — `make run` serves the portal with demo data; `make test` runs every test.
# Each step is a file target, so a second run installs nothing that is already there.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi
# Python keeps compiled modules in __pycache__ (ignored by git), also where the environment says
# not to: pytest keeps its rewritten test modules there, and without them every test process
# compiled all ~200 test modules again (about 3 of the 6 seconds each one takes to start).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-fast serve bench lint format clean assets db messages requirements translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# requirements*.txt pin every package with its hashes (compiled from the .in files: `make requirements`).
$(VENV)/.stamp-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements-dev.txt $(VENV)/.stamp-runtime
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

# After editing requirements.in or requirements-dev.in: pin every transitive package, with hashes.
# Pins already in the .txt files are kept; `PIP_COMPILE_ARGS=--upgrade` moves everything forward.
# tests/test_requirements.py fails while the .txt files are out of date with the .in files.
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links $(PIP_COMPILE_ARGS)
requirements: $(VENV)/.stamp-dev
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/vendor/socket.io.min.js: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/

assets: static/vendor/socket.io.min.js

# The compiled catalogues (translations/<lang>/LC_MESSAGES/messages.mo) are not committed: each is
# a file target built from its .po, so `make run`, `make test` and `make serve` always use the
# translations in the repository, and a .po edited by hand is compiled on the next run.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
translations: $(CATALOGUES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(VENV)/.stamp-runtime
	$(BIN)/pybabel compile --statistics -i $< -o $@ -l $*

db: $(VENV)/.stamp-runtime
	$(BIN)/flask db upgrade

run: $(VENV)/.stamp-runtime assets translations db
	$(BIN)/flask seed-demo
	@echo "Family Bridge: http://127.0.0.1:$(PORT)  (demo password: $${DEMO_PASSWORD:-family-bridge-demo})"
	PORT=$(PORT) $(BIN)/python wsgi.py

# Every test on SQLite (browser tests included); then, when TEST_DATABASE_URL names a PostgreSQL
# server, every test that uses the portal's database again, on a database of its own there. Tests
# that open no database (content checks, pure functions) and the browser tests (which drive pages,
# not SQL) run once, in the first pass; so do the tests that start server processes, which always
# use PostgreSQL themselves.
SERVER_TESTS := --ignore=tests/test_multiprocess.py --ignore=tests/test_production.py
test: $(VENV)/.stamp-dev assets translations
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL: the tests that use the database =="; \
	  $(BIN)/python -m pytest -n 2 --dist loadgroup -m "not e2e" --database-tests-only $(SERVER_TESTS) $(PYTEST_ARGS); \
	fi

# The quick loop while working: no browser, no PostgreSQL, nothing marked slow; SQLite, on every
# core. Under two minutes on a 2-core machine. `make test` still runs everything before a merge.
test-fast: $(VENV)/.stamp-dev translations
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -n auto -m "not slow and not e2e and not postgres" $(PYTEST_ARGS)

# Production server (a contract: docs/architecture.md; docs/deploy.md): needs SECRET_KEY and DATABASE_URL, uses
# REDIS_URL when set. Migrations first, then gunicorn + gevent on 127.0.0.1:$(PORT).
serve: $(VENV)/.stamp-runtime assets translations
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY (32+ random characters) and DATABASE_URL" >&2; exit 2; }
	@test -n "$$DATABASE_URL" || { echo "make serve: set DATABASE_URL (postgresql://user@host:5432/db)" >&2; exit 2; }
	PORTAL_ENV=production $(BIN)/flask db upgrade
	PORTAL_ENV=production PORT=$(PORT) exec $(BIN)/gunicorn --config gunicorn.conf.py wsgi:app

# Benchmarks (docs/performance.md): one table; BENCH_ARGS=--quick for a short check run.
bench: $(VENV)/.stamp-dev assets translations
	@command -v wrk >/dev/null || echo "make bench: wrk not found (apt-get install wrk); pages are measured with a slower Python client" >&2
	$(BIN)/python -m bench $(BENCH_ARGS)

# ruff, then the import contracts in pyproject.toml (docs/architecture.md): shared modules import
# no feature, care imports neither rooms nor calendar, lessons reach care only through care.access,
# no cycles between feature packages or between the modules of one package.
lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check portal tests bench wsgi.py
	$(BIN)/ruff format --check portal tests bench wsgi.py
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.stamp-dev
	$(BIN)/ruff format portal tests bench wsgi.py

# Extract every user-facing string (Python: _ gettext ngettext, lazy _l lazy_gettext lazy_ngettext;
# templates: _ gettext ngettext, {% trans %}) into translations/messages.pot, then bring each
# language's .po up to date with it: new msgids arrive untranslated (never guessed "fuzzy"), gone
# ones are marked obsolete. Translate the new entries (docs/i18n.md); the tests refuse a catalogue
# with an untranslated or fuzzy entry, or a placeholder that differs from its msgid.
LOCALES := $(notdir $(wildcard translations/*))
messages: $(VENV)/.stamp-runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
	  --no-wrap --sort-by-file --project "Family Bridge" -o translations/messages.pot .
	for lang in $(filter-out messages.pot,$(LOCALES)); do \
	  $(BIN)/pybabel update -i translations/messages.pot -d translations -l $$lang --no-fuzzy-matching --no-wrap \
	    --ignore-obsolete || exit 1; \
	done

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
