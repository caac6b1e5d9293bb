#!/usr/bin/env bash
# `make scan`: wapiti and sqlmap against the demo site, signed in as the demo DSL.
#   scripts/scan.sh .venv/bin/python
# The site runs under gunicorn on 127.0.0.1 (a free port), DEBUG off, on a throwaway PostgreSQL with the demo
# data; the scanners use a session made by `manage.py scan_session` (its rate limits raised), so they reach the
# pages behind the password and the code. Everything the scan writes goes under var/scan/, which is emptied
# first, apart from the throwaway database.
#
# The whole scan ends within SCAN_MINUTES (15) on a 2-core machine: wapiti crawls for WAPITI_CRAWL_SECONDS, keeps
# one request per route, runs its quick modules to the end and its slow ones (exec, file) for
# WAPITI_SLOW_MODULE_SECONDS each; two sqlmap processes share the time that is left.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$1
scan_dir=$PWD/var/scan
email=${SCAN_EMAIL:-dsl@northfield.example}
scan_minutes=${SCAN_MINUTES:-15}
wapiti_crawl_seconds=${WAPITI_CRAWL_SECONDS:-75}
wapiti_slow_module_seconds=${WAPITI_SLOW_MODULE_SECONDS:-60}
# Neither scanner may sign out (the session would end) or hand the DSL role over (the rest of the scan would run
# as a deputy): wapiti's crawl leaves them out (-x in run_wapiti), and so does sqlmap's scope.
sqlmap_scope='^(?!.*(/accounts/logout/|/hand-over/))'

install_scanners() {
    local missing=()
    command -v wapiti >/dev/null 2>&1 || missing+=(wapiti)
    command -v sqlmap >/dev/null 2>&1 || missing+=(sqlmap)
    [ ${#missing[@]} = 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "The scan needs ${missing[*]}. Install them, e.g.  sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "Installing ${missing[*]} from Debian" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# The seconds a step may take: what it asks for, or what is left before the deadline if that is less.
budget() {
    local left=$((deadline - $(date +%s)))
    [ "$left" -lt 1 ] && left=1
    echo $(($1 < left ? $1 : left))
}

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Exits non-zero unless the scan session still opens the DSL's queue.
signed_in() {
    "$python" - "$base/queue/" "$scan_dir/cookies.txt" <<'EOF'
import sys
import urllib.error
import urllib.request

url, cookie_file = sys.argv[1:]
lines = [line.split("\t") for line in open(cookie_file).read().splitlines() if line and not line.startswith("#")]
request = urllib.request.Request(url, headers={"Cookie": "; ".join(f"{name}={value}" for *_, name, value in lines)})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


try:
    status = urllib.request.build_opener(NoRedirect).open(request, timeout=30).status
except urllib.error.HTTPError as error:
    status = error.code
sys.exit(0 if status == 200 else 1)
EOF
}

wait_for_site() {
    local status
    for _ in $(seq 120); do
        status=$("$python" -c 'import sys, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except Exception:
    print(0)' "$base/accounts/login/")
        [ "$status" = 200 ] && return 0
        kill -0 "$gunicorn_pid" 2>/dev/null || break
        sleep 0.5
    done
    echo "The site did not start; see var/scan/site.log and var/scan/gunicorn.log" >&2
    exit 1
}

start_site() {
    echo "Preparing the demo site (log: var/scan/setup.log)" >&2
    "$python" manage.py migrate --no-input >"$scan_dir/setup.log" 2>&1
    "$python" manage.py seed_demo >>"$scan_dir/setup.log" 2>&1
    base=http://127.0.0.1:$(free_port)
    "$(dirname "$python")/gunicorn" safeguarding.wsgi --bind "${base#http://}" --workers 3 --timeout 60 \
        --worker-tmp-dir "$scan_dir/tmp" --no-control-socket \
        --access-logfile "$scan_dir/gunicorn-access.log" --error-logfile "$scan_dir/gunicorn.log" \
        >"$scan_dir/site.log" 2>&1 &
    gunicorn_pid=$!
    trap 'kill "$gunicorn_pid" 2>/dev/null; wait "$gunicorn_pid" 2>/dev/null || true' EXIT
    wait_for_site
    echo "Site up on $base; signing in $email for the scanners" >&2
    "$python" manage.py scan_session "$email" --dir "$scan_dir" --host 127.0.0.1 >>"$scan_dir/setup.log" 2>&1
    signed_in || { echo "The scan session does not open $base/queue/" >&2; exit 1; }
}

wapiti_run() {
    local seconds=$1
    shift
    HOME=$scan_dir/home timeout --kill-after=10 "$seconds" /usr/bin/python3 scripts/scan_wapiti.py \
        -u "$base/" --scope folder -c "$scan_dir/cookies.json" --store-session "$scan_dir/wapiti-state" \
        --store-config "$scan_dir/wapiti-state" --no-bugreport -t 20 -v 1 "$@" </dev/null >>"$scan_dir/wapiti.log" 2>&1
}

# Crawl, keep one request per route, attack, then write the findings of both attacks as JSON and HTML.
# The common modules run without ssrf, which needs wapiti's own server on the internet, and with csrf, crlf and
# methods. The quick ones run to the end; exec and file would take ten minutes, so each has a budget. blindsql is
# left to sqlmap, whose boolean and time-based tests go through every parameter.
run_wapiti() {
    local quick=xss,permanentxss,sql,redirect,crlf,csp,http_headers,cookieflags,csrf,methods
    local slow=exec,file
    echo "wapiti: crawling for ${wapiti_crawl_seconds}s, then attacking one request per route" >&2
    wapiti_run "$(budget $((wapiti_crawl_seconds + 30)))" --module=-all --max-scan-time "$wapiti_crawl_seconds" \
        -x "$base/accounts/logout/*" -x "$base/schools/*/hand-over/*" --max-links-per-page 15 \
        -f json -o "$scan_dir/tmp/crawl.json" \
        || echo "wapiti's crawl stopped with status $? (see var/scan/wapiti.log)" >&2
    /usr/bin/python3 scripts/scan_wapiti.py trim "$scan_dir/wapiti-state" "$scan_dir/pages.txt" \
        "$scan_dir/multipart-forms.txt" >>"$scan_dir/wapiti.log"
    wapiti_run "$(budget 240)" --skip-crawl -m "$quick" -f json -o "$scan_dir/tmp/quick.json" \
        || echo "wapiti's quick modules stopped with status $? (see var/scan/wapiti.log)" >&2
    wapiti_run "$(budget $((2 * wapiti_slow_module_seconds + 60)))" --skip-crawl -m "$slow" \
        --max-attack-time "$wapiti_slow_module_seconds" -f json -o "$scan_dir/tmp/slow.json" \
        || echo "wapiti's slow modules were stopped at their time limit (status $?)" >&2
    # The reports, of every finding of both attacks, are written by runs that attack nothing.
    wapiti_run 60 --skip-crawl --module=-all -f json -o "$scan_dir/wapiti/report.json" \
        || echo "wapiti's JSON report failed (see var/scan/wapiti.log)" >&2
    wapiti_run 60 --skip-crawl --module=-all -f html -o "$scan_dir/wapiti/" \
        || echo "wapiti's HTML report failed (see var/scan/wapiti.log)" >&2
}

# sqlmap_run NAME SECONDS ARGS...: one sqlmap run, its output under var/scan/sqlmap/NAME and its log beside it.
# sqlmap sends the cookies of the file with every request and ignores those the site sets (its cookie jar loses
# the session cookie between targets), and takes a fresh CSRF token from a light page for every request.
# The techniques leave out error-based and inline queries: both need the database's own output in the page,
# which the site never shows (DEBUG is off, errors get the plain 500 page).
sqlmap_run() {
    local name=$1 seconds=$2
    shift 2
    HOME=$scan_dir/home timeout --kill-after=10 "$seconds" sqlmap --batch --live-cookies="$scan_dir/cookies.header" \
        --drop-set-cookie --csrf-token=csrfmiddlewaretoken --csrf-url="$base/notifications/" --dbms=PostgreSQL \
        --technique=BUST --output-dir="$scan_dir/sqlmap/$name" --disable-coloring -v 1 "$@" \
        </dev/null >>"$scan_dir/sqlmap/$name.log" 2>&1 \
        || echo "sqlmap ($name) stopped with status $? (124: its time was up; see var/scan/sqlmap/$name.log)" >&2
}

# The type-ahead search for a child (an htmx POST no crawler finds) and the multipart forms sent urlencoded (see
# scripts/scan_wapiti.py), while a second sqlmap tests every form on the pages wapiti kept. The concern form's 80
# tick boxes for the signs of harm are left out: one boolean field 80 times.
run_sqlmap() {
    local school url data search_pid
    school=$("$python" manage.py shell -v 0 -c \
        "from safeguarding.accounts.models import School; print(School.objects.get(name='Northfield Academy').uuid)")
    echo "sqlmap: the child search and $(wc -l <"$scan_dir/multipart-forms.txt") multipart form(s), and beside them" \
        "the forms of $(wc -l <"$scan_dir/pages.txt") pages, until the time is up" >&2
    {
        sqlmap_run search "$(budget 60)" -u "$base/concerns/children/" \
            --data="school=$school&child_search=Ab&csrfmiddlewaretoken=x"
        while IFS=$'\t' read -r url data; do
            sqlmap_run multipart "$(budget 300)" -u "$url" --data="$data"
        done <"$scan_dir/multipart-forms.txt"
    } &
    search_pid=$!
    sqlmap_run forms "$(budget 900)" -m "$scan_dir/pages.txt" --forms --scope="$sqlmap_scope" --param-exclude='^ind_'
    wait "$search_pid"
}

inside() {
    # The database cluster is up in its own temporary folder; every other temporary file goes under var/scan.
    export DJANGO_ENV=development DEBUG=false PYTHONDONTWRITEBYTECODE=1 TMPDIR=$scan_dir/tmp
    # Uploads, exports and the audit anchor of the scanned site stay under var/scan too.
    export ATTACHMENT_ROOT=$scan_dir/attachments EXPORT_ROOT=$scan_dir/exports
    export AUDIT_ANCHOR_PATH=$scan_dir/audit-anchor.json
    # Leave half a minute to stop the site and the database and print the summary.
    deadline=$((SCAN_STARTED + scan_minutes * 60 - 30))
    start_site
    run_wapiti
    local after_wapiti=yes after_sqlmap=yes
    signed_in || after_wapiti=no
    run_sqlmap
    signed_in || after_sqlmap=no
    "$python" scripts/scan_summary.py "$scan_dir" --started "$SCAN_STARTED" \
        --signed-in-after-wapiti "$after_wapiti" --signed-in-after-sqlmap "$after_sqlmap"
}

if [ "${2:-}" = --inside ]; then
    inside
    exit 0
fi

started=$(date +%s)
install_scanners
rm -rf "$scan_dir"
mkdir -p -m 700 "$scan_dir" "$scan_dir/home" "$scan_dir/tmp" "$scan_dir/wapiti" "$scan_dir/sqlmap"
SCAN_STARTED=$started DJANGO_ENV=development scripts/with-postgres.sh "$0" "$python" --inside
