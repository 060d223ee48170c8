# Two commands do the job on a fresh Debian machine with Python 3.11:
#   make run   install, then serve the console: sandbox (unless MESSAGING_API_URL is set), worker and app
#   make test  install everything (Chromium and PostgreSQL included), then lint and run every test
#              (two pytest-xdist workers; `make test TEST_WORKERS=` runs them in one process: see README)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# Loopback only unless HOST is given: a console that can send to every customer stays off the network by default.
HOST   ?= 127.0.0.1
CHROMIUM := /usr/bin/chromium
# A number: that many pytest-xdist workers (tests/conftest.py groups what must not overlap). Empty: one process.
TEST_WORKERS ?= 2

.PHONY: run test lint bench install install-dev chromium postgresql migrate clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamp files make a second `make run` skip the install unless the requirements changed.
$(VENV)/.installed-run: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(VENV)/.installed-run $@

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is missing and could not be installed"; exit 1; }

# The tests start their own throwaway PostgreSQL server (initdb into a temp dir, tests/pg.py): only
# the binaries are needed, no system service. CI runs as root.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing Debian's postgresql for the store tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "PostgreSQL's initdb is missing and could not be installed"; exit 1; }

# Create or upgrade the history database (DATABASE_URL, else data/console.db or data/sandbox/console.db).
migrate: install
	$(PY) -m lib migrate

# The sandbox (unless a platform is configured), the worker and the app, as separate processes that
# Ctrl-C stops together; the database is migrated first.
run: install
	$(PY) -m lib run --host $(HOST) --port $(PORT)

lint: install-dev
	$(PY) -m ruff check .

test: install-dev chromium postgresql
	$(PY) -m ruff check .
	CI=$${CI:-1} $(PY) -m pytest -q --durations=25 $(if $(TEST_WORKERS),-n $(TEST_WORKERS) --dist loadgroup)

bench: install-dev
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data tests/artifacts .pytest_cache .ruff_cache
