# Two commands: `make run` starts the portal on embedded defaults with demo data;
# `make test` installs what the tests need and runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench bench-ingest bench-report system-test-deps fuzz

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

run: export DEBUG ?= true
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data
	$(PY) manage.py runportal

# Debian packages the real-part tests use: a headless browser and an IMAP server
# (Dovecot; the SMTP server is aiosmtpd from PyPI). Installed only when missing.
system-test-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x /usr/sbin/dovecot -a -x /usr/lib/dovecot/imap || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; }

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(VENV)/.installed system-test-deps lint
	$(PY) -m pytest $(PYTEST_ARGS)

bench: bench-ingest bench-report

bench-ingest: $(VENV)/.installed
	$(PY) bench/ingest.py

# Builds a 10M-event database on first use (a few minutes, about 2 GB), then reuses it.
bench-report: $(VENV)/.installed
	$(PY) bench/report.py

# Long fuzz runs (tests/incidents/fuzz with the "long" hypothesis profile, then atheris
# for FUZZ_SECONDS a target); prints the inputs tried per target as name: value lines.
# FUZZ_EXAMPLES (default 5000) inputs per hypothesis target; failures kept under var/hypothesis.
fuzz: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[fuzz]" || echo "atheris did not install: hypothesis only"
	$(PY) fuzz/run.py
