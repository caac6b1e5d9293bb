"""The audit trail's figures, on the trust `seed_scale` made (2,000,000 sealed events), with PostgreSQL's default
durability (fsync and synchronous commit on). Run by bench/run.py:

    python bench/audit.py measure OUT.json

  - record(): one read event written through the separate audit connection and committed, as inside a request;
  - seal(): events sealed per second, SEAL_EVENTS new events (default 300,000, dated over the last minute) and
    whatever the pages measured before left unsealed, on top of the sealed chain;
  - verify(): events verified per second over the whole chain, in one job and in two (verify_audit --jobs 2).
Goals: recording under 0.5 ms, sealing at least 20,000/s, verifying at least 50,000/s. Reports only.
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

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402

from safeguarding.audit.chain import anchor_read, seal, verify  # noqa: E402
from safeguarding.audit.context import RequestContext  # noqa: E402
from safeguarding.audit.events import EventType  # noqa: E402
from safeguarding.audit.record import record  # noqa: E402

SEAL_EVENTS = int(os.environ.get("SEAL_EVENTS", "300000"))
RECORD_SAMPLES = int(os.environ.get("RECORD_SAMPLES", "2000"))

FILL = """
INSERT INTO audit_auditevent (occurred_at, event_type, outcome, user_uuid, role, school_uuid, ip, session_hash,
    user_agent, request_id, method, route, object_type, object_uuid, child_uuid, shown_ids, row_count, search_hash,
    reason, detail)
SELECT now() - make_interval(secs => (%(n)s - n) * 60.0 / %(n)s),
       (ARRAY['view','list','search','login','update'])[1 + n %% 5], 'allowed',
       md5('user' || n %% 400)::uuid, 'staff', md5('school' || n %% 20)::uuid, '10.0.0.1', md5(n::text) || md5('s'),
       'Mozilla/5.0 (bench)', upper(substr(md5(n::text), 1, 12)), 'GET', 'roster_pupil', 'child_roster',
       md5('child' || n %% 20000)::uuid, md5('child' || n %% 20000)::uuid,
       CASE WHEN n %% 5 = 1 THEN jsonb_build_array(md5('child' || n)::uuid::text) ELSE '[]'::jsonb END,
       CASE WHEN n %% 5 = 1 THEN 25 END, '', '', '{}'::jsonb
FROM generate_series(1, %(n)s) AS n
"""


def measure_record() -> dict:
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


def measure() -> dict:
    recording = measure_record()
    connections["audit"].close()
    with connection.cursor() as cursor:
        cursor.execute(FILL, {"n": SEAL_EVENTS})
    started = time.perf_counter()
    sealed, _ = seal()
    seal_seconds = time.perf_counter() - started
    return {
        "record": recording,
        "seal": {"events": sealed, "seconds": round(seal_seconds, 2), "per_second": round(sealed / seal_seconds)},
        "verify": measure_verify(jobs=1),
        "verify_two_jobs": measure_verify(jobs=2),
    }


def measure_verify(*, jobs: int) -> dict:
    """The whole chain verified in `jobs` processes, each a contiguous part of it."""
    started = time.perf_counter()
    verdict = verify(anchor=anchor_read(), jobs=jobs)
    seconds = time.perf_counter() - started
    if not verdict.ok:
        raise RuntimeError(verdict.problem)
    return {
        "jobs": jobs,
        "events": verdict.checked,
        "seconds": round(seconds, 2),
        "per_second": round(verdict.checked / seconds),
    }


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(measure(), indent=2))
