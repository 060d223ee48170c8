# Two commands do the job on a fresh Debian machine with Python 3.11:
#   make run   install, then serve the console (on the embedded sandbox unless MESSAGING_API_URL is set)
#   make test  install everything (Chromium included), then lint and run every test
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# Loopback only unless HOST is given: a console that can send to every customer stays off the network by default.
HOST   ?= 127.0.0.1
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench install install-dev chromium clean

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

run: install
	@echo "Campaign Console: http://$(HOST):$(PORT)"
	$(PY) -m streamlit run app.py --server.headless true --server.address $(HOST) --server.port $(PORT)

lint: install-dev
	$(PY) -m ruff check .

test: install-dev chromium
	$(PY) -m ruff check .
	$(PY) -m pytest -q

bench: install-dev
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data tests/artifacts .pytest_cache .ruff_cache
