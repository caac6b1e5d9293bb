"""Audit trail benchmark: the cost of recording one event, and sealing and verifying speed, on PostgreSQL with
its default durability settings (fsync and synchronous commit on).

    make bench            # or: PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/audit.py

Fills the audit table with EVENTS events (default 1,000,000) dated over the last ten minutes, then measures:
  - record(): one read event written through the separate audit connection and committed, as inside a request;
  - seal(): events sealed per second, the whole table from an empty chain;
  - verify(): events verified per second over the whole chain.
Goals (issue 5): recording under 0.5 ms, sealing at least 20,000/s, verifying at least 50,000/s.
Prints a table and writes bench/results/audit.json. Reports only: nothing here asserts.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.settings")
os.environ.setdefault("DJANGO_ENV", "development")
os.environ.setdefault("AUDIT_ANCHOR_PATH", str(ROOT / "bench" / "results" / "anchor.json"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from safeguarding.audit.chain import seal, verify  # noqa: E402
from safeguarding.audit.context import RequestContext  # noqa: E402
from safeguarding.audit.events import EventType  # noqa: E402
from safeguarding.audit.record import record  # noqa: E402

EVENTS = int(os.environ.get("EVENTS", "1000000"))
RECORD_SAMPLES = int(os.environ.get("RECORD_SAMPLES", "2000"))

FILL = """
INSERT INTO audit_auditevent (occurred_at, event_type, outcome, user_uuid, role, school_uuid, ip, session_hash,
    user_agent, request_id, method, route, object_type, object_uuid, child_uuid, shown_ids, row_count, search_hash,
    reason, detail)
SELECT now() - make_interval(secs => (%(n)s - n) * 600.0 / %(n)s),
       (ARRAY['view','list','search','login','update'])[1 + n %% 5], 'allowed',
       md5('user' || n %% 400)::uuid, 'staff', md5('school' || n %% 20)::uuid, '10.0.0.1', md5(n::text) || md5('s'),
       'Mozilla/5.0 (bench)', upper(substr(md5(n::text), 1, 12)), 'GET', 'roster_pupil', 'child_roster',
       md5('child' || n %% 20000)::uuid, md5('child' || n %% 20000)::uuid,
       CASE WHEN n %% 5 = 1 THEN jsonb_build_array(md5('child' || n)::uuid::text) ELSE '[]'::jsonb END,
       CASE WHEN n %% 5 = 1 THEN 25 END, '', '', '{}'::jsonb
FROM generate_series(1, %(n)s) AS n
"""


def fill():
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FILL, {"n": EVENTS})
        cursor.execute("ANALYZE audit_auditevent")
    return time.perf_counter() - started


def measure_record():
    context = RequestContext(
        ip="127.0.0.1", session_hash="x" * 64, user_agent="bench", request_id="BENCH", method="GET"
    )
    timings = []
    for _ in range(RECORD_SAMPLES):
        started = time.perf_counter()
        record(EventType.VIEW, context=context, object_type="child_roster")
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "samples": len(timings),
        "mean_ms": round(statistics.fmean(timings), 3),
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[int(len(timings) * 0.95)], 3),
    }


def main():
    assert connection.vendor == "postgresql", "run this against PostgreSQL"
    with connection.cursor() as cursor:
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        synchronous_commit = cursor.fetchone()[0]
    call_command("migrate", verbosity=0)
    print(f"PostgreSQL fsync={fsync}, synchronous_commit={synchronous_commit}; audit alias: {settings.AUDIT_DB_ALIAS}")
    filled = fill()
    print(f"Filled {EVENTS:,} events in {filled:.1f} s")

    recording = measure_record()
    connections["audit"].close()

    started = time.perf_counter()
    sealed, _ = seal()
    seal_seconds = time.perf_counter() - started

    started = time.perf_counter()
    verdict = verify(anchor=None)
    verify_seconds = time.perf_counter() - started
    assert verdict.ok, verdict.problem

    results = {
        "events": EVENTS,
        "fsync": fsync,
        "synchronous_commit": synchronous_commit,
        "record": recording,
        "seal": {"events": sealed, "seconds": round(seal_seconds, 2), "per_second": round(sealed / seal_seconds)},
        "verify": {
            "events": verdict.checked,
            "seconds": round(verify_seconds, 2),
            "per_second": round(verdict.checked / verify_seconds),
        },
    }
    goals = [
        ("record one event (mean)", f"{recording['mean_ms']} ms", "< 0.5 ms", recording["mean_ms"] < 0.5),
        ("record one event (p95)", f"{recording['p95_ms']} ms", "", None),
        ("seal", f"{results['seal']['per_second']:,} events/s", ">= 20,000/s", results["seal"]["per_second"] >= 20000),
        (
            "verify",
            f"{results['verify']['per_second']:,} events/s",
            ">= 50,000/s",
            results["verify"]["per_second"] >= 50000,
        ),
    ]
    print(f"\n{'measure':28} {'result':>20}  goal")
    for name, value, goal, met in goals:
        mark = "" if met is None else ("met" if met else "MISSED")
        print(f"{name:28} {value:>20}  {goal} {mark}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "audit.json").write_text(json.dumps(results, indent=2))
    print(f"\nWritten to {out / 'audit.json'}")


if __name__ == "__main__":
    main()
