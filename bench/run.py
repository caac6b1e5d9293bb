"""`make bench`: the trust-sized benchmark, end to end, on the PostgreSQL the environment names (a throwaway
cluster with default durability, from scripts/with-postgres.sh).

1. A small trust (1,000 concerns) in a second database, half the trust in a third, and the full trust
   (`manage.py seed_scale`) in the main one.
2. Each page's SQL query count at both sizes, in-process with the test client; and at full size, how much of a
   page's time in-process goes to its SQL.
3. gunicorn with two workers on the loopback: each page timed over HTTP, the pages taken in turn round after round
   so that a busy moment of the machine falls on all of them; then the floor page and the queue under load; then
   the main pages again on half the trust, for each page's ratio between the two sizes.
4. The audit trail (recording one event, sealing, verifying) and the CSV export beside a raw COPY, in-process.

Writes bench/results.json and the table in bench/README.md. Reports only: nothing here fails on a missed goal.
Settings: ROUNDS (default 200) timed requests a page, HALF_ROUNDS (half of ROUNDS) on half the trust,
LOAD_SECONDS (20) and LOAD_CLIENTS (4) for the load test, SCALE_ARGS (none) other `seed_scale` options for the full
data set, to try the harness quickly (half the trust is then left out).
"""

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from report import report_write  # noqa: E402
from scenario import FLOOR, QUEUE, pages, submission_key, submit_form  # noqa: E402
from web import Browser, load, summary, wait_for  # noqa: E402

PYTHON = sys.executable
SMALL_DATABASE = "safeguard_small"
SMALL = ["--schools", "2", "--children", "100", "--concerns", "1000", "--referrals", "100", "--events", "10000"]
# Half the trust: the same 20 schools with half the children, concerns, referrals and audit events, to see whether a
# page's time grows with the data (its time at full size over its time here should stay near 1).
HALF_DATABASE = "safeguard_half"
HALF = os.environ.get("HALF_ARGS", "").split() or [
    *("--children", "10000", "--concerns", "100000", "--referrals", "10000", "--events", "1000000")
]
ROUNDS = int(os.environ.get("ROUNDS", "200"))
HALF_ROUNDS = int(os.environ.get("HALF_ROUNDS", str(max(ROUNDS // 2, 1))))
WARM_UP = 10
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
LOAD_CLIENTS = int(os.environ.get("LOAD_CLIENTS", "4"))
# Only to try the harness quickly: other `seed_scale` options for the full data set.
SCALE_ARGS = os.environ.get("SCALE_ARGS", "").split()
# Half the trust is left out when SCALE_ARGS makes the full one smaller, unless HALF_ARGS says what half is then.
WITH_HALF = not SCALE_ARGS or bool(os.environ.get("HALF_ARGS"))


def environment(scratch: Path, database: str | None = None) -> dict:
    """What every step runs with: development settings, files kept in the scratch folder, limits out of the way."""
    env = {
        **os.environ,
        "DJANGO_ENV": "development",
        "AUDIT_ANCHOR_PATH": str(scratch / "anchor.json"),
        "RATE_LIMIT_SEARCH": "1000000",
        "RATE_LIMIT_EXPORT": "1000000",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    if database:
        env["PGDATABASE"] = database
    return env


def run(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603 - our own scripts


def stage(script: str, name: str, env: dict, scratch: Path) -> dict:
    """Run one of the Django-side steps in its own process and read back what it wrote."""
    out = scratch / f"{Path(script).stem}-{name}-{env.get('PGDATABASE', '')}.json"
    run([PYTHON, str(BENCH / script), name, str(out)], env)
    return json.loads(out.read_text())


def database_settings() -> dict:
    with psycopg.connect(autocommit=True) as connection:
        values = {name: connection.execute(f"SHOW {name}").fetchone()[0] for name in ("fsync", "synchronous_commit")}
        values["server_version"] = connection.execute("SHOW server_version").fetchone()[0]
        connection.execute(f"CREATE DATABASE {SMALL_DATABASE}")
        connection.execute(f"CREATE DATABASE {HALF_DATABASE}")
    return values


def seed(scratch: Path) -> dict:
    """The three data sets; the full one's progress bar goes to the terminal and its time is kept."""
    small = environment(scratch, SMALL_DATABASE)
    half = environment(scratch, HALF_DATABASE)
    full = environment(scratch)
    for env in (small, half, full):
        run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env)
    run([PYTHON, "manage.py", "seed_scale", *SMALL], small, stdout=subprocess.DEVNULL)
    if WITH_HALF:
        run([PYTHON, "manage.py", "seed_scale", *HALF], half, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    run([PYTHON, "manage.py", "seed_scale", *SCALE_ARGS], full)
    return {"seconds": round(time.perf_counter() - started, 1)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    command = [PYTHON, "-m", "gunicorn", "safeguarding.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    command += ["--timeout", "120", "--error-logfile", str(log)]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603 - fixed arguments
    wait_for(port)
    return server


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def browsers(port: int, target: dict) -> dict[str, Browser]:
    result = {}
    for role, key in target["sessions"].items():
        browser = Browser(port, {"sessionid": key})
        status, _, _ = browser.get("/concerns/new/" if role == "teacher" else "/")  # and the CSRF cookie
        if status != 200:
            raise RuntimeError(f"the {role}'s session was refused ({status})")
        result[role] = browser
    return result


def _checked(reply, expect, what):
    status, body, elapsed = reply
    if status != expect:
        raise RuntimeError(f"{what} answered {status}: {body[:300]}")
    return body, elapsed


def concern_submit(browser: Browser, target: dict, child: str) -> float:
    """Open the form, choose the child, then send the concern: only the sending is timed."""
    body, _ = _checked(browser.get("/concerns/new/"), 200, "the concern form")
    key = submission_key(body)
    chosen = {"school": target["school"], "submission_key": key, "add_child": child}
    _checked(browser.post("/concerns/new/", chosen), 200, "choosing a child")
    _, elapsed = _checked(browser.post("/concerns/new/", submit_form(target, key)), 302, "the concern")
    return elapsed


def time_pages(port: int, target: dict, pages: list, rounds: int) -> dict:
    """Every page once a round, in turn, WARM_UP rounds discarded; the concern sent once a round too."""
    people = browsers(port, target)
    timings = {name: [] for name, *_ in pages}
    timings["concern submit"] = []
    children = itertools.cycle(target["fresh_children"])
    for number in range(WARM_UP + rounds):
        for name, who, method, path, form in pages:
            reply = people[who].request(method, path, form)
            _, elapsed = _checked(reply, 200, name)
            if number >= WARM_UP:
                timings[name].append(elapsed)
        elapsed = concern_submit(people["teacher"], target, next(children))
        if number >= WARM_UP:
            timings["concern submit"].append(elapsed)
    return {name: summary(values) for name, values in timings.items()}


def web(scratch: Path) -> dict:
    env = environment(scratch)
    target = stage("pages.py", "targets", env, scratch)
    port = free_port()
    server = gunicorn(env, port, scratch / "gunicorn.log")
    try:
        timed = time_pages(port, target, pages(target), ROUNDS)
        sessions = target["sessions"]
        under_load = {
            name: load(port, {"sessionid": sessions[who]}, path, clients=LOAD_CLIENTS, seconds=LOAD_SECONDS)
            for name, who, path in (("floor", "floor", FLOOR), ("queue", "dsl", QUEUE))
        }
    finally:
        stop(server)
    return {"pages": timed, "load": under_load}


def web_half(scratch: Path) -> dict:
    """The main pages again on half the trust (fewer rounds; the trust lead's pages are left out): each page's
    median there, beside the full trust's in the report."""
    env = environment(scratch, HALF_DATABASE)
    target = stage("pages.py", "targets", env, scratch)
    port = free_port()
    server = gunicorn(env, port, scratch / "gunicorn-half.log")
    try:
        chosen = [page for page in pages(target) if page[1] != "floor" or page[0] == "floor"]
        return time_pages(port, target, chosen, HALF_ROUNDS)
    finally:
        stop(server)


def main() -> None:
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="safeguard-bench-"))
    try:
        results = {"run_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
        results["postgresql"] = database_settings()
        print(f"PostgreSQL {results['postgresql']}", flush=True)
        results["seed"] = seed(scratch)
        results["queries"] = {
            "small": stage("pages.py", "queries", environment(scratch, SMALL_DATABASE), scratch),
            "full": stage("pages.py", "queries", environment(scratch), scratch),
        }
        results["split"] = stage("pages.py", "split", environment(scratch), scratch)
        results.update(web(scratch))
        if WITH_HALF:
            results["pages_half"] = web_half(scratch)
        results["audit"] = stage("audit.py", "measure", environment(scratch), scratch)
        results["export"] = stage("exports.py", "measure", environment(scratch), scratch)
        results["seconds"] = round(time.perf_counter() - started, 1)
        results["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()[:2]]
        print(report_write(results))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def machine() -> dict:
    load1, load5, _ = os.getloadavg()
    return {"cpus": os.cpu_count(), "load_average_at_start": [round(load1, 2), round(load5, 2)]}


if __name__ == "__main__":
    main()
