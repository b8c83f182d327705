# Two commands: `make run` starts the portal on embedded defaults with demo data;
# `make test` installs what the tests need and runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint audit fuzz bench bench-poison bench-ingest bench-rows bench-report bench-blocklist bench-load bench-web bench-public system-test-deps

# The C extensions are built by the editable install: it runs again when they change.
$(VENV)/.installed: pyproject.toml setup.py $(wildcard incidents/*.c)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

run: export DEBUG ?= true
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_data
	$(PY) manage.py runportal

# Debian packages the real-part tests use: a headless browser, an IMAP server
# (Dovecot; the SMTP server is aiosmtpd from PyPI), openssl to verify the block
# list's signatures, and iptables and nftables to load its rule files in a
# throwaway network namespace. Installed only when missing.
system-test-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x /usr/sbin/dovecot -a -x /usr/lib/dovecot/imap || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; }
	@command -v openssl >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null; }
	@test -x /usr/sbin/iptables-restore -a -x /usr/sbin/nft || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables nftables >/dev/null; }

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Known vulnerabilities in the installed dependencies, from PyPI's advisory data (pip-audit):
# fails when one is found. An advisory with no fixed release yet is ignored by id here, each
# with a comment saying what it is and why it is acceptable until a fix exists:
AUDIT_IGNORE :=
audit: $(VENV)/.installed
	$(VENV)/bin/pip-audit --skip-editable --progress-spinner off $(addprefix --ignore-vuln ,$(AUDIT_IGNORE))

test: $(VENV)/.installed system-test-deps lint audit
	$(PY) -m pytest $(PYTEST_ARGS)

bench: bench-ingest bench-rows bench-report bench-public bench-blocklist bench-load bench-web

bench-ingest: $(VENV)/.installed
	$(PY) bench/ingest.py

# copy_text and the rollup spill lines alone, C extension against the Python reference (no database).
bench-rows: $(VENV)/.installed
	$(PY) bench/rows.py

# What an attacker needs to get an address into each public output (accounts, networks), tried for real.
bench-poison: $(VENV)/.installed
	$(PY) bench/poison.py

# Builds a 10M-event database on first use (a few minutes, about 2 GB), then reuses it.
bench-report: $(VENV)/.installed
	$(PY) bench/report.py

# The public selectors (IP, subnet, front page) on the 10M-event database of bench-report.
bench-public: $(VENV)/.installed
	$(PY) bench/public.py

# 1,000,000 generated rollup rows (about a minute to make), then the block list build.
bench-blocklist: $(VENV)/.installed
	$(PY) bench/blocklist.py

# Many users uploading while others read reports, through gunicorn and a Celery worker on loopback.
bench-load: $(VENV)/.installed
	$(PY) bench/load.py

# The IP page and the block list under wrk on the 10M-event database of bench-report.
bench-web: $(VENV)/.installed
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/web.py

# Long fuzz runs (tests/incidents/fuzz with the "long" hypothesis profile, then atheris
# for FUZZ_SECONDS a target); prints the inputs tried per target as name: value lines.
# FUZZ_EXAMPLES (default 5000) inputs per hypothesis target; failures kept under var/hypothesis.
fuzz: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[fuzz]" || echo "atheris did not install: hypothesis only"
	$(PY) fuzz/run.py
