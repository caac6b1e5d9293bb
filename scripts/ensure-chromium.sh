#!/usr/bin/env bash
# The browser journeys (tests/e2e/) drive Debian's Chromium through Playwright. Installs the `chromium` package
# when it is missing; Playwright's own browser downloads are never used.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "The browser journeys need Chromium as 'chromium' on the PATH. Install it, e.g." >&2
    echo "  sudo apt-get install chromium     (Debian)" >&2
    exit 1
fi
as_root=()
[ "$(id -u)" = 0 ] || as_root=(sudo)
echo "Chromium not found: installing Debian's chromium package" >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
