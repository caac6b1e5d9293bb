#!/usr/bin/env bash
# Prints the path of a working Python 3.12 or newer, or explains what to install.
# Every candidate is run, not just looked up: a pyenv shim can exist and still fail.
set -u

works() {
    "$@" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

resolve() {
    "$@" -c 'import sys; print(sys.executable)'
}

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for name in python3.12 python3.13 python3.14 python3; do
    command -v "$name" >/dev/null 2>&1 && candidates+=("$(command -v "$name")")
done
if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root 2>/dev/null)
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9]|[2-9][0-9])(\.[0-9]+)?$' | sort -V); do
        candidates+=("$root/versions/$version/bin/python")
    done
fi
for path in /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [ -x "$path" ] && candidates+=("$path")
done

for candidate in "${candidates[@]}"; do
    if works "$candidate"; then
        resolve "$candidate"
        exit 0
    fi
done

cat >&2 <<'MSG'
No working Python 3.12 or newer was found (Django 6.1 needs it).
Tried: $PYTHON, python3.14, python3.13, python3.12, python3, pyenv's 3.12+ versions, /usr/bin/python3.1x.
Install one, for example on Debian 13 or Ubuntu 24.04: apt-get install python3 python3-venv
or with pyenv: pyenv install 3.12 ; or point PYTHON at it: make PYTHON=/path/to/python3.12 run
MSG
exit 1
