#!/usr/bin/env bash
# The checks `make test` runs once the throwaway database is up: system checks, the migration check, pytest.
set -euo pipefail
python=$1
shift
"$python" manage.py check --fail-level WARNING
"$python" manage.py makemigrations --check --dry-run
"$python" -m pytest "$@"
