"""The CSV export's figures, on the trust `seed_scale` made: every referral of the trust (20,000) exported by the
trust lead through the application's own streaming code, beside a raw PostgreSQL COPY of the same rows in the same
run, and the export's extra memory. Run by bench/run.py:

    python bench/exports.py measure OUT.json

Each is run REPEATS times (default 5) and the median kept; the memory is read in one more run, under tracemalloc.
Goal: at least 100,000 rows a second with under 64 MB more memory than at rest. Reports only.
"""

import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from referrals.demo.scale import TRUST  # noqa: E402
from referrals.selectors.exports import ExportFilters  # noqa: E402
from referrals.services.exports import csv_stream, export_begin  # noqa: E402
from safeguarding.accounts.models import School, User  # noqa: E402
from safeguarding.audit.context import RequestContext  # noqa: E402

REPEATS = int(os.environ.get("REPEATS", "5"))


def raw_copy(schools: list[School]) -> tuple[float, int, int]:
    """The same rows, joined and ordered the same way, straight out of COPY: seconds, rows and bytes."""
    ids = ",".join(str(int(school.pk)) for school in schools)
    query = (
        "COPY (SELECT s.name, c.legal_first_name || ' ' || c.legal_last_name, c.upn, c.year_group, r.agency, "
        "to_char(r.made_at, 'DD/MM/YYYY HH24:MI'), u.full_name, r.agency_reference, r.acknowledged_at, "
        "r.agency_decision, r.parents_informed, "
        "EXISTS (SELECT 1 FROM referrals_referralescalation e WHERE e.referral_id = r.id) FROM referrals_referral r "
        "JOIN referrals_child c ON c.id = r.child_id JOIN accounts_school s ON s.id = r.school_id "
        f"JOIN accounts_user u ON u.id = r.made_by_id WHERE r.school_id IN ({ids}) "
        "ORDER BY r.made_at, r.id) TO STDOUT WITH CSV"
    )
    started = time.perf_counter()
    size = 0
    with connection.cursor() as cursor, cursor.cursor.copy(query) as copy:
        for block in copy:
            size += len(block)
        rows = cursor.cursor.rowcount
    return time.perf_counter() - started, rows, size


def app_export(user: User, schools: list[School]) -> tuple[float, int, int]:
    """One CSV export as the export view streams it: seconds, rows and bytes."""
    filters = ExportFilters(schools=schools)
    context = RequestContext(user=user)
    export = export_begin(user=user, context=context, filters=filters, purpose="Benchmark", file_format="csv")
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in csv_stream(export=export, context=context, filters=filters))
    seconds = time.perf_counter() - started
    export.refresh_from_db()
    return seconds, export.row_count, size


def memory(user: User, schools: list[School]) -> dict:
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    app_export(user, schools)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    return {"python_peak_mb": round(peak / 2**20, 2), "max_rss_growth_mb": round(rss_growth, 1)}


def measure() -> dict:
    user = User.objects.get(email="trustlead@scale.example")
    schools = list(School.objects.filter(trust__name=TRUST).order_by("name"))
    mem = memory(user, schools)
    exports = [app_export(user, schools) for _ in range(REPEATS)]
    copies = [raw_copy(schools) for _ in range(REPEATS)]
    rows = exports[0][1]
    export_seconds = statistics.median(seconds for seconds, _, _ in exports)
    copy_seconds = statistics.median(seconds for seconds, _, _ in copies)
    return {
        "rows": rows,
        "export": {
            "seconds": round(export_seconds, 3),
            "rows_per_second": round(rows / export_seconds),
            "bytes": exports[0][2],
        },
        "raw_copy": {
            "seconds": round(copy_seconds, 3),
            "rows_per_second": round(copies[0][1] / copy_seconds),
            "bytes": copies[0][2],
        },
        "memory": mem,
    }


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(measure(), indent=2))
