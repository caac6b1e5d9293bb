"""Export benchmark: CSV export of 200,000 referral rows through the application's own streaming code, beside a
raw PostgreSQL COPY of the same rows in the same run, with the peak memory of the export.

    make bench     # or: PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/exports.py

Goal (issue 8): at least 100,000 rows per second with under 64 MB more memory than at rest. Reports only.
"""

import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.settings")
os.environ.setdefault("DJANGO_ENV", "development")
os.environ.setdefault("AUDIT_ANCHOR_PATH", str(ROOT / "bench" / "results" / "anchor.json"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

ROWS = int(os.environ.get("ROWS", "200000"))


def fill() -> None:
    """One school of the demo, 20,000 generated children, and ROWS referrals spread across them."""
    from io import StringIO

    from referrals.models import Concern, Decision
    from referrals.services.reviews import concern_acknowledge, decision_record
    from safeguarding.accounts.models import School, User
    from tests.concerns import concern_by

    call_command("seed_demo", stdout=StringIO())
    school = School.objects.get(urn="148203")
    dsl = User.objects.get(email="dsl@northfield.example")
    child = school.children.first()
    concern = concern_by(User.objects.get(email="teacher@northfield.example"), child, with_file=False)
    concern_acknowledge(actor=dsl, context=None, concern=concern)
    decision = decision_record(
        actor=dsl, context=None, concern=concern, outcomes=["social_care"], rationale="Bench", threshold="child_in_need"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO referrals_child (uuid, school_id, legal_first_name, legal_last_name, preferred_name,
                date_of_birth, upn, year_group, sex, gender, send, roll_status, destination, looked_after, cp_plan,
                created_at, updated_at)
            SELECT md5('bench-child' || n)::uuid, %(school)s, 'Child' || n, 'Bench', '', DATE '2012-01-01', '', '9',
                'U', '', 'none', 'on_roll', '', false, false, now(), now()
            FROM generate_series(1, 20000) AS n
            """,
            {"school": school.pk},
        )
        cursor.execute(
            """
            INSERT INTO referrals_referral (uuid, school_id, child_id, decision_id, agency, made_at, made_by_id,
                agency_reference, agency_contact, shared_child_words, shared_chronology, shared_rationale, purpose,
                parents_informed, parents_not_informed_reason, acknowledged_by_name, agency_decision, escalation_reason,
                escalation_outcome)
            SELECT md5('bench-referral' || n)::uuid, %(school)s, c.id, %(decision)s,
                (ARRAY['social_care','police','early_help'])[1 + n %% 3], now() - make_interval(days => n %% 700),
                %(dsl)s, CASE WHEN n %% 50 = 0 THEN '=HYPERLINK("x")' ELSE 'REF-' || n END, '', true, true, true,
                'Bench', true, '', '', '', '', ''
            FROM generate_series(1, %(rows)s) AS n
            JOIN referrals_child c ON c.uuid = md5('bench-child' || (1 + n %% 20000))::uuid
            """,
            {"school": school.pk, "decision": decision.pk, "dsl": dsl.pk, "rows": ROWS},
        )
        cursor.execute("ANALYZE referrals_referral")
    assert Concern.objects.exists() and Decision.objects.exists()


def raw_copy(school_id: int) -> tuple[float, int]:
    query = (
        "COPY (SELECT s.name, c.legal_first_name || ' ' || c.legal_last_name, c.upn, c.year_group, r.agency, "
        "to_char(r.made_at, 'DD/MM/YYYY HH24:MI'), u.full_name, r.agency_reference, r.acknowledged_at, "
        "r.agency_decision, r.parents_informed, r.escalated_at FROM referrals_referral r "
        "JOIN referrals_child c ON c.id = r.child_id JOIN accounts_school s ON s.id = r.school_id "
        f"JOIN accounts_user u ON u.id = r.made_by_id WHERE r.school_id = {int(school_id)} "
        "ORDER BY r.made_at, r.id) TO STDOUT WITH CSV"
    )
    started = time.perf_counter()
    size = 0
    with connection.cursor() as cursor, cursor.cursor.copy(query) as copy:
        for block in copy:
            size += len(block)
    return time.perf_counter() - started, size


def app_export(school) -> tuple[float, int, int, float]:
    from referrals.exports import ExportFilters, csv_stream, export_begin
    from safeguarding.accounts.models import User
    from safeguarding.audit.context import RequestContext

    user = User.objects.get(email="dsl@northfield.example")
    filters = ExportFilters(schools=[school])
    context = RequestContext(user=user)
    export = export_begin(user=user, context=context, filters=filters, purpose="Benchmark", file_format="csv")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    size = 0
    for chunk in csv_stream(export=export, context=context, filters=filters):
        size += len(chunk)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    export.refresh_from_db()
    return seconds, export.row_count, size, peak / 2**20, rss_growth


def main():
    from safeguarding.accounts.models import School

    assert connection.vendor == "postgresql", "run this against PostgreSQL"
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    fill()
    print(f"Filled {ROWS:,} referrals in {time.perf_counter() - started:.1f} s")
    school = School.objects.get(urn="148203")
    copy_seconds, copy_bytes = raw_copy(school.pk)
    seconds, rows, size, peak_mb, rss_growth_mb = app_export(school)
    results = {
        "rows": rows,
        "export_seconds": round(seconds, 2),
        "export_rows_per_second": round(rows / seconds),
        "export_bytes": size,
        "python_peak_mb": round(peak_mb, 2),
        "max_rss_growth_mb": round(rss_growth_mb, 1),
        "raw_copy_seconds": round(copy_seconds, 2),
        "raw_copy_rows_per_second": round(rows / copy_seconds),
        "raw_copy_bytes": copy_bytes,
    }
    print(f"\n{'measure':32} {'result':>22}  goal")
    print(f"{'CSV export':32} {results['export_rows_per_second']:>15,} rows/s  >= 100,000/s")
    print(f"{'raw COPY, same rows':32} {results['raw_copy_rows_per_second']:>15,} rows/s")
    print(f"{'export / COPY':32} {rows / seconds / (rows / copy_seconds):>21.0%}")
    print(f"{'Python peak during export':32} {results['python_peak_mb']:>19} MB  < 64 MB more than at rest")
    print(f"{'max RSS growth during export':32} {results['max_rss_growth_mb']:>19} MB")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "exports.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
