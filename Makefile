# The intermediary services marketplace — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000
export FLASK_APP := market

.DEFAULT_GOAL := help
.PHONY: help install run test lint fmt typecheck db-upgrade db-check demo translations \
        translations-update clean proof bench bench-quick system

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# axe-core (npm), injected into every page the browser tests open; pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $@; \
	else echo "npm is missing: the browser tests will be skipped (apt-get install npm)" >&2; fi

install: $(VENV)/.installed node_modules/.installed translations ## create .venv and node_modules (axe-core) with the test tools

translations: $(VENV)/.installed ## compile the message catalogues (.po -> .mo)
	$(VENV)/bin/pybabel compile -d market/translations

translations-update: $(VENV)/.installed ## extract strings, update the catalogue from tools/translations/*.py
	$(VENV)/bin/pybabel extract --no-location -F babel.cfg -k _l -k N_ -o market/translations/messages.pot . 2>/dev/null
	$(VENV)/bin/pybabel update --no-fuzzy-matching --ignore-obsolete -i market/translations/messages.pot -d market/translations
	$(VENV)/bin/python tools/fill_translations.py
	$(VENV)/bin/pybabel compile -d market/translations

db-upgrade: install ## upgrade the database to the newest migration
	$(VENV)/bin/flask db upgrade

db-check: install ## check that the models and the migrations agree
	$(VENV)/bin/flask db check

demo: db-upgrade ## load the demo city if the database is empty
	$(VENV)/bin/flask demo load

# The demo's published logins work without an authenticator app: no role must have a second
# factor (anyone may still turn one on from their account page).
run: demo ## set up everything and serve on http://127.0.0.1:$(PORT)
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl-C stops)"
	MARKET_SECOND_FACTOR_ROLES=none $(VENV)/bin/flask run --host 127.0.0.1 --port $(PORT)

lint: install ## ruff
	$(VENV)/bin/ruff check .

fmt: install ## format and fix imports
	$(VENV)/bin/ruff check --fix --select I .
	$(VENV)/bin/ruff format market lottery billing devdata tests bench

typecheck: install ## mypy (strict on lottery/ and market/domain/)
	$(VENV)/bin/mypy lottery market billing devdata

system: ## install the system parts the suite drives (as root on Debian), or say what will be skipped
	@tools/system-deps

# The suite runs on every core (pytest-xdist), at most TEST_WORKERS processes: each worker has
# its own throwaway PostgreSQL cluster, chromium and session snapshots (tests/conftest.py).  A
# file's tests stay together on one worker, so a module's shared city is built once; the
# workers take the longest files first (tests/durations.json).
TEST_WORKERS ?= 4

#
# Where Python is told not to write bytecode (PYTHONDONTWRITEBYTECODE, set on some machines and
# CI), each process the suite starts (the workers, flask, gunicorn, `python -m lottery`)
# compiles the product from source, and pytest rewrites every test module again.  The suite
# writes it instead, into the gitignored __pycache__ folders: the product compiled once here,
# before the workers start, and the test modules cached by pytest from the first run on.
test: system install lint typecheck ## install what the suite drives, lint, type-check and run the whole suite
	$(PY) -m compileall -q -j 2 market lottery billing devdata tests/support
	PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -q -n auto --maxprocesses $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

proof: install ## run tests/proof + tests/backup and write docs/reliability.md from what they measured (fails if a test fails)
	@evidence=$$(mktemp "$${TMPDIR:-/tmp}/market-proof.XXXXXX.jsonl"); \
	MARKET_PROOF_REPORT=$$evidence $(VENV)/bin/pytest -q -p no:cacheprovider tests/proof tests/backup; \
	status=$$?; \
	if $(PY) tools/proof_report.py "$$evidence" -o docs/reliability.md --command "make proof"; \
	then rm -f "$$evidence"; else status=1; echo "make proof: evidence kept in $$evidence" >&2; fi; \
	if [ $$status -ne 0 ]; then echo "make proof: tests failed (status $$status); see docs/reliability.md" >&2; fi; \
	exit $$status

bench: install ## run every benchmark at default sizes (~30 min on 2 cores; case events at 20,000) and rewrite the tables of docs/performance.md
	@out=$$(mktemp -d "$${TMPDIR:-/tmp}/market-bench.XXXXXX"); start=$$SECONDS; \
	$(PY) bench/lottery_bench.py --out $$out/lottery.md \
	&& $(PY) bench/clocks_bench.py --out $$out/clocks.md \
	&& $(PY) bench/selection_bench.py --growth 10 --out $$out/selection.md \
	&& $(PY) bench/directory_bench.py --out $$out/directory-sqlite.md \
	&& $(PY) bench/directory_bench.py --postgres --out $$out/directory-postgresql.md \
	&& $(PY) bench/load_bench.py --out $$out/load.md \
	&& $(PY) bench/integration_bench.py --cases 2000 --out $$out/integration.md; \
	status=$$?; \
	$(PY) tools/perf_report.py $$out && rm -rf $$out; \
	echo "make bench: $$(( (SECONDS - start) / 60 )) min"; exit $$status

bench-quick: install ## smoke-run every benchmark at small sizes (~3 min); prints the tables, leaves docs/ alone
	@out=$$(mktemp -d "$${TMPDIR:-/tmp}/market-bench.XXXXXX"); \
	$(PY) bench/lottery_bench.py --out $$out/lottery.md \
	&& $(PY) bench/clocks_bench.py --quick --out $$out/clocks.md \
	&& $(PY) bench/selection_bench.py --agencies 300 --runs 1 --growth 10 --out $$out/selection.md \
	&& $(PY) bench/directory_bench.py --quick --runs 1 --out $$out/directory-sqlite.md \
	&& $(PY) bench/load_bench.py --quick --out $$out/load.md \
	&& $(PY) bench/integration_bench.py --quick --out $$out/integration.md; \
	status=$$?; mkdir $$out/doc && cp docs/performance.md $$out/doc/; \
	$(PY) tools/perf_report.py $$out --doc $$out/doc/performance.md; rm -rf $$out; exit $$status

clean: ## remove the virtualenv and caches (keeps instance/)
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
