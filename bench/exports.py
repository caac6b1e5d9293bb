"""The export's figures, on the trust `seed_scale` made: every referral of the trust (20,000) exported by the trust
lead, timed from where the export view starts (the export's record, its children and its first event written, the
rows counted to choose between streaming and the worker) to the last byte, beside a raw PostgreSQL COPY of the same
rows in the same run. Run by bench/run.py:

    python bench/exports.py measure OUT.json

  - CSV, streamed as the view streams it (the 20,000 rows are the background threshold's own default, so the view
    streams them);
  - XLSX, written as the view writes it;
  - the background path just over its threshold (EXPORT_BACKGROUND_ROWS one row fewer): begun, then built as the
    worker builds it, into the file storage;
  - the CSV export's own memory: the process's resident memory's high-water mark is reset (Linux's
    /proc/self/clear_refs) after a first export, so the figure is the growth one export causes, not what earlier
    imports left; and the Python heap's peak under tracemalloc.

Each timing is run REPEATS times (default 5) and the median kept. Goals: the CSV export at least 70% of the raw
COPY's rows a second, under 64 MB more memory. Reports only.
"""

import json
import os
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
from django.test.utils import override_settings  # noqa: E402

from referrals.demo.scale import TRUST  # noqa: E402
from referrals.selectors.exports import EXPORTS, ExportFilters, referrals_for_export  # noqa: E402
from referrals.services.exports import csv_stream, export_build, export_start, xlsx_file  # noqa: E402
from safeguarding.accounts.models import School, User  # noqa: E402
from safeguarding.audit.context import RequestContext  # noqa: E402
from safeguarding.core.files import file_open  # noqa: E402

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


def app_export(user: User, schools: list[School], file_format: str = "csv") -> tuple[float, int, int]:
    """One export as the export view makes it, from its first step to its last byte: seconds, rows and bytes."""
    filters = ExportFilters(schools=schools)
    context = RequestContext(user=user)
    started = time.perf_counter()
    export = export_start(user=user, context=context, filters=filters, purpose="Benchmark", file_format=file_format)
    if export.in_background:
        raise RuntimeError("the export went to the worker: raise EXPORT_BACKGROUND_ROWS")
    if file_format == "csv":
        size = sum(len(chunk) for chunk in csv_stream(export=export, context=context, filters=filters))
    else:
        with xlsx_file(export=export, context=context, filters=filters) as handle:
            size = sum(len(block) for block in iter(lambda: handle.read(64 * 1024), b""))
    seconds = time.perf_counter() - started
    export.refresh_from_db()
    return seconds, export.row_count, size


def background_export(user: User, schools: list[School]) -> tuple[float, int, int]:
    """An export one row over the background threshold: begun as the view begins it, built as the worker builds it
    (here, in this process), and the stored file read back as its download reads it."""
    filters = ExportFilters(schools=schools)
    context = RequestContext(user=user)
    rows = referrals_for_export(filters).count()
    with override_settings(EXPORT_BACKGROUND_ROWS=rows - 1):
        started = time.perf_counter()
        export = export_start(user=user, context=context, filters=filters, purpose="Benchmark", file_format="csv")
        if not export.in_background:
            raise RuntimeError("the export was not sent to the worker")
        export = export_build(export_id=export.pk)
        seconds = time.perf_counter() - started
    with file_open(EXPORTS, export.file_name) as handle:
        size = sum(len(block) for block in iter(lambda: handle.read(64 * 1024), b""))
    return seconds, export.row_count, size


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory(user: User, schools: list[School]) -> dict:
    """The memory one CSV export takes on top of a process that has already made one (imports, caches)."""
    app_export(user, schools)
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets the resident memory's high-water mark
        resettable = True
    except OSError:
        resettable = False
    rss_before = _status_kb("VmRSS")
    tracemalloc.start()
    app_export(user, schools)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    growth = (_status_kb("VmHWM") - rss_before) / 1024
    return {
        "python_peak_mb": round(peak / 2**20, 2),
        "max_rss_growth_mb": round(growth, 1),
        "high_water_mark_reset": resettable,
    }


def _rate(timed: list[tuple[float, int, int]]) -> dict:
    seconds = statistics.median(value for value, _, _ in timed)
    return {"seconds": round(seconds, 3), "rows_per_second": round(timed[0][1] / seconds), "bytes": timed[0][2]}


def measure() -> dict:
    user = User.objects.get(email="trustlead@scale.example")
    schools = list(School.objects.filter(trust__name=TRUST).order_by("name"))
    mem = memory(user, schools)
    exports = [app_export(user, schools) for _ in range(REPEATS)]
    copies = [raw_copy(schools) for _ in range(REPEATS)]
    spreadsheets = [app_export(user, schools, "xlsx") for _ in range(REPEATS)]
    background = [background_export(user, schools) for _ in range(REPEATS)]
    export, raw = _rate(exports), _rate(copies)
    return {
        "rows": exports[0][1],
        "export": export,
        "raw_copy": raw,
        "share_of_copy": round(export["rows_per_second"] / raw["rows_per_second"], 3),
        "xlsx": _rate(spreadsheets),
        "background": _rate(background),
        "memory": mem,
    }


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(measure(), indent=2))
