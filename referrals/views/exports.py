"""Exporting referral records: a purpose, a fresh second-factor code, then the file streamed and recorded."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals.exports import ExportFilters, csv_stream, export_begin, export_schools, xlsx_file
from referrals.models import Agency, ExportRecord
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.record import record


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _fresh_code_ok(request, code: str) -> bool:
    """A code from the person's authenticator, entered now: a stolen session alone cannot export."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    code = code.replace(" ", "")
    allowed = device is not None and device.verify_is_allowed()[0]
    ok = allowed and code.isdigit() and device.verify_token(code)
    event = EventType.SECOND_FACTOR_VERIFIED if ok else EventType.SECOND_FACTOR_FAILED
    record(event, context=request.audit, outcome=Outcome.ALLOWED if ok else Outcome.FAILED, reason="export")
    return bool(ok)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def exports(request):
    schools = export_schools(user=request.user)
    errors = []
    if request.method == "POST":
        purpose = request.POST.get("purpose", "").replace("\x00", "").strip()[:300]
        file_format = request.POST.get("format", "csv")
        chosen = [s for s in schools if str(s.uuid) == request.POST.get("school")] or schools
        agency = request.POST.get("agency", "")
        filters = ExportFilters(
            schools=chosen,
            date_from=_date(request.POST.get("date_from")),
            date_to=_date(request.POST.get("date_to")),
            agency=agency if agency in Agency.values else "",
            status=request.POST.get("status", "") if request.POST.get("status") in ("awaiting", "acknowledged") else "",
        )
        if len(purpose) < 5:
            errors.append("Say what the export is for: it is recorded with the export.")
        if file_format not in ExportRecord.Format.values:
            errors.append("Choose CSV or Excel.")
        if not errors and not _fresh_code_ok(request, request.POST.get("code", "")):
            errors.append("Enter the current code from your authenticator app: each export needs a fresh one.")
        if not errors:
            export = export_begin(
                user=request.user, context=request.audit, filters=filters, purpose=purpose, file_format=file_format
            )
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            if file_format == ExportRecord.Format.CSV:
                response = StreamingHttpResponse(
                    csv_stream(export=export, context=request.audit, filters=filters), content_type="text/csv"
                )
                response["Content-Disposition"] = f'attachment; filename="referrals-{stamp}.csv"'
            else:
                handle = xlsx_file(export=export, context=request.audit, filters=filters)
                response = FileResponse(
                    handle,
                    as_attachment=True,
                    filename=f"referrals-{stamp}.xlsx",
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
            response["Cache-Control"] = "no-store"
            return response
    history = ExportRecord.objects.filter(user=request.user)[:20]
    record(
        EventType.LIST,
        context=request.audit,
        school=schools[0] if len(schools) == 1 else None,
        object_type="export",
        shown_ids=[export.uuid for export in history],
        row_count=len(history),
    )
    context = {"schools": schools, "agencies": Agency.choices, "errors": errors, "history": history}
    return render(request, "referrals/exports.html", context, status=400 if errors else 200)
