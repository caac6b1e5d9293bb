"""The audit trail's figures, on the trust `seed_scale` made (2,000,000 sealed events), with PostgreSQL's default
durability (fsync and synchronous commit on). Run by bench/run.py:

    python bench/audit.py measure OUT.json

  - record(): one read event as a page writes it (a user with their role, a school, a child, the ids of 25 rows
    shown), through the separate audit connection and committed; beside it, the same INSERT sent straight to the
    database (no Python around it), the floor of a durable write on this machine;
  - seal(): events sealed per second, SEAL_EVENTS new events (default 300,000, dated over the last minute) and
    whatever the pages measured before left unsealed, on top of the sealed chain;
  - verify(): events verified per second over the whole chain, in one job and in two (verify_audit --jobs 2).
Goals: recording at most 0.5 ms mean, sealing at least 80,000/s, verifying at least 50,000/s. Reports only.
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

from referrals.models import Child  # noqa: E402
from safeguarding.accounts.models import User  # noqa: E402
from safeguarding.audit.chain import anchor_read, seal, verify  # noqa: E402
from safeguarding.audit.context import RequestContext  # noqa: E402
from safeguarding.audit.events import EventType  # noqa: E402
from safeguarding.audit.record import _COLUMNS, _insert_sql, record  # noqa: E402

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


def _summary(timings: list[float]) -> dict:
    timings = sorted(timings)
    return {
        "samples": len(timings),
        "mean_ms": round(statistics.fmean(timings), 3),
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[int(len(timings) * 0.95)], 3),
    }


def measure_record() -> dict:
    """A DSL viewing a child's file, as the page records it; then the bare INSERT of the same row."""
    user = User.objects.get(email="dsl@school01.scale.example")
    child = Child.objects.filter(school__memberships__user=user).order_by("pk").first()
    shown = list(Child.objects.filter(school=child.school).order_by("pk").values_list("uuid", flat=True)[:25])
    context = RequestContext(
        ip="127.0.0.1",
        session_hash="x" * 64,
        user_agent="Mozilla/5.0 (bench)",
        request_id="BENCH",
        method="GET",
        route="child_file",
        user=user,
    )
    context.role_at(child.school)  # the memberships, loaded once a request by the session policy
    timings = []
    for _ in range(RECORD_SAMPLES):
        started = time.perf_counter()
        event = record(
            EventType.VIEW,
            context=context,
            school=child.school,
            object_type="child_file",
            object_uuid=child.uuid,
            child_uuid=child.uuid,
            shown_ids=shown,
            row_count=len(shown),
        )
        timings.append((time.perf_counter() - started) * 1000)
    audit = connections[event._state.db]
    params = [field.get_db_prep_save(getattr(event, field.attname), audit) for field in _COLUMNS]
    sql = _insert_sql(audit.vendor)
    raw = []
    with audit.cursor() as cursor:
        for _ in range(RECORD_SAMPLES):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchone()
            raw.append((time.perf_counter() - started) * 1000)
    return {**_summary(timings), "event": {"shown_ids": len(shown)}, "bare_insert": _summary(raw)}


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
