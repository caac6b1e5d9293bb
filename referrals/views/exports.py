"""Exporting referral records: a purpose, a fresh second-factor code, then the file streamed and recorded."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from referrals.forms.exports import ExportForm
from referrals.models import ExportRecord
from referrals.selectors.exports import access_export, access_export_file, export_schools, exports_recent
from referrals.services.exports import csv_stream, export_start, xlsx_file
from safeguarding.accounts.ratelimit import rate_limited
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.record import record


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
    if request.method == "POST":
        if limited := rate_limited(request, "export"):
            return limited
        form = ExportForm(request.POST, schools=schools)
        if form.is_valid() and not _fresh_code_ok(request, form.cleaned_data["code"]):
            form.add_error("code", "Enter the current code from your authenticator app: each export needs a fresh one.")
        if form.is_valid():
            return _export_response(request, form)
    else:
        form = ExportForm(schools=schools)
    history = exports_recent(user=request.user, context=request.audit, schools=schools)
    context = {"form": form, "history": history}
    return render(request, "referrals/exports.html", context, status=400 if form.errors else 200)


def _export_response(request, form: ExportForm):
    """Begin the export and send it: streamed (CSV), as a file (XLSX), or, when large, built in the background."""
    filters = form.filters()
    export = export_start(
        user=request.user,
        context=request.audit,
        filters=filters,
        purpose=form.cleaned_data["purpose"],
        file_format=form.cleaned_data["format"],
        shared_with=form.cleaned_data["shared_with"],
        lawful_basis=form.cleaned_data["lawful_basis"],
    )
    if export.in_background:
        return redirect("export_status", export_uuid=export.uuid)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if export.format == ExportRecord.Format.CSV:
        response = StreamingHttpResponse(
            csv_stream(export=export, context=request.audit, filters=filters), content_type="text/csv; charset=utf-8"
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
    record(
        EventType.DOWNLOAD, context=request.audit, school=export.school, object_type="export", object_uuid=export.uuid
    )
    return response


@never_cache
@login_required
def export_status(request, export_uuid):
    """Progress of a large export; the page asks again by itself until the file is ready."""
    export = access_export(user=request.user, export_uuid=export_uuid)
    template = (
        "referrals/partials/export_progress.html"
        if request.headers.get("HX-Request")
        else "referrals/export_status.html"
    )
    return render(request, template, {"export": export})


@never_cache
@login_required
def export_download(request, export_uuid):
    export, stored = access_export_file(user=request.user, context=request.audit, export_uuid=export_uuid)
    extension = "csv" if export.format == ExportRecord.Format.CSV else "xlsx"
    response = FileResponse(
        stored,  # read a chunk at a time; FileResponse closes it
        as_attachment=True,
        filename=f"referrals-{timezone.localtime(export.started_at):%Y%m%d-%H%M}.{extension}",
    )
    response["Cache-Control"] = "no-store"
    return response
