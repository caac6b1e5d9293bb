# Safeguard: `make run` serves the site on http://127.0.0.1:8000, `make test` runs every check CI runs.
# Both work on a bare machine: they find Python 3.12+, create .venv and install what they need.

SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet

.PHONY: help run test lint bench stress scale-out scan screenshots vendor clean

help:
	@echo "make run    serve Safeguard on http://127.0.0.1:8000 with its worker and scheduler"
	@echo "make test   lint, system checks, migration check and the test suite on a throwaway PostgreSQL"
	@echo "make lint   ruff only"
	@echo "make bench  a trust-sized data set, its pages over gunicorn, audit and export figures; table in bench/README.md"
	@echo "make stress 50 teachers for a minute on gunicorn while PostgreSQL restarts and mail is refused; prints a table"
	@echo "make scale-out  two app hosts behind nginx, PgBouncer (transaction pooling) and a replica; checks; a table"
	@echo "make scan   wapiti and sqlmap against the demo site signed in as the DSL; reports under var/scan/"
	@echo "make vendor refresh static/vendor from the npm packages pinned in package.json"
	@echo "make screenshots  walk the demo in Chromium and save the guides' screenshots under docs/img/"

# The virtual environment is made once by a Python that has been run and found to be 3.12 or newer.
$(PY):
	@python=$$(scripts/find-python.sh) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)

$(VENV)/.installed-runtime: requirements.txt | $(PY)
	$(PIP) install -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PIP) install -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-runtime

run: $(VENV)/.installed-runtime
	DJANGO_ENV=development $(PY) manage.py migrate --no-input
	DJANGO_ENV=development $(PY) manage.py seed_demo
	DJANGO_ENV=development scripts/run-dev.sh $(PY)

test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	scripts/ensure-chromium.sh
	DJANGO_ENV=development scripts/with-postgres.sh scripts/test-suite.sh $(PY) $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(VENV)/.installed-dev
	PG_DURABLE=1 DJANGO_ENV=development scripts/with-postgres.sh $(PY) bench/run.py

# Not part of `make test`: about four minutes, on 127.0.0.1 only; bench/stress.py says what it does and checks.
stress: $(VENV)/.installed-dev
	PG_DURABLE=1 DJANGO_ENV=development scripts/with-postgres.sh $(PY) bench/stress.py

# Not part of `make test`: under six minutes, on 127.0.0.1 only; installs pgbouncer and nginx from Debian when
# missing. scripts/scale_out.py says what it starts and checks; `timeout` bounds it even if it hangs.
scale-out: $(VENV)/.installed-dev
	timeout --kill-after=20 390 $(PY) scripts/scale_out.py

# Not part of `make test`: it takes up to 15 minutes and installs wapiti and sqlmap from Debian when missing.
scan: $(VENV)/.installed-runtime
	scripts/scan.sh $(PY)

# Not part of `make test`: pytest collects tests/e2e/screenshots.py only when it is named.
screenshots: $(VENV)/.installed-dev
	scripts/ensure-chromium.sh
	DJANGO_ENV=development scripts/with-postgres.sh $(PY) -m pytest tests/e2e/screenshots.py -q

vendor:
	scripts/vendor-static.sh

clean:
	rm -rf $(VENV) var/*.sqlite3 var/audit-anchor.json staticfiles .pytest_cache .ruff_cache
