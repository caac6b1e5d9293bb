#!/usr/bin/env bash
# Starts the web server, the task worker and the scheduler together; Ctrl-C (or any one of them
# exiting) stops all three.
set -uo pipefail
python=$1
host=${HOST:-127.0.0.1}
port=${PORT:-8000}

pids=()
stop() {
    trap - INT TERM EXIT
    echo
    echo "Stopping the web server, worker and scheduler..."
    kill "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
}
trap stop INT TERM EXIT

"$python" manage.py db_worker --queue-name '*' --no-reload & pids+=($!)
"$python" manage.py scheduler & pids+=($!)
"$python" manage.py runserver "$host:$port" & pids+=($!)

echo "Safeguard is starting on http://$host:$port/ (health: http://$host:$port/healthz). Ctrl-C stops it."
wait -n "${pids[@]}"
