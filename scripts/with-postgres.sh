#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster and always stops the cluster afterwards.
#   scripts/with-postgres.sh pytest -x
# The cluster lives in a temporary directory, listens only on a Unix socket there, runs with fsync off
# (unless PG_DURABLE=1, for benchmarks that must pay PostgreSQL's default durability costs),
# and is removed on exit, whether the command passed, failed or was interrupted.
# PostgreSQL refuses to run as root: as root the server runs as the `postgres` user.
set -euo pipefail

find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir)
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    fi
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

bindir=$(find_bindir || true)
if [ -z "$bindir" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "PostgreSQL server not found: installing Debian's postgresql package" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bindir=$(find_bindir)
    else
        echo "The tests need a PostgreSQL 15+ server (initdb, pg_ctl). Install it, e.g." >&2
        echo "  sudo apt-get install postgresql     (Debian/Ubuntu)" >&2
        exit 1
    fi
fi

as_owner=()
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres
    as_owner=(runuser -u postgres --)
fi

datadir=$(mktemp -d "${TMPDIR:-/tmp}/safeguard-pg.XXXXXX")
chmod 755 "$datadir"
[ "$(id -u)" = 0 ] && chown postgres: "$datadir"
port=$(( 20000 + RANDOM % 20000 ))

stop() {
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$datadir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$datadir"
}
trap stop EXIT
trap 'exit 130' INT TERM

"${as_owner[@]}" "$bindir/initdb" -D "$datadir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
options="-c listen_addresses='' -c unix_socket_directories='$datadir' -c port=$port -c max_connections=200"
if [ "${PG_DURABLE:-0}" != 1 ]; then
    options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
"${as_owner[@]}" "$bindir/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w -t 60 -o "$options" start >/dev/null \
    || { cat "$datadir/server.log" >&2; exit 1; }

unset DATABASE_URL
export PGHOST="$datadir" PGPORT="$port" PGUSER=postgres PGDATABASE=safeguard
# For commands that act on the server itself (the stress test restarts it, the backup test runs pg_dump).
export PGDATA="$datadir/data" PG_BINDIR="$bindir"
"${as_owner[@]}" "$bindir/createdb" -h "$datadir" -p "$port" -U postgres safeguard
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') running on $datadir (port $port)" >&2

"$@"
