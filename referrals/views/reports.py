"""The safeguarding reports: the list of what the person may report on, and each report as a page, a PDF for the
governors' pack and a spreadsheet. Each report built is recorded by `report_build`."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from referrals.pdfs import report_pdf
from referrals.report_periods import PeriodRefused, period_choices, period_from
from referrals.report_xlsx import report_xlsx
from referrals.selectors.reports import (
    adults_shown_to,
    report_build,
    report_school_get,
    report_schools,
    report_trust_get,
    report_trusts,
)
from referrals.suppression import RULE
from safeguarding.core.replica import reads_from_replica

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@never_cache
@login_required
@require_GET
@reads_from_replica
def reports(request):
    """The schools (and the trust) the person may report on, each with this term's report a click away."""
    schools = report_schools(user=request.user)
    trusts = report_trusts(user=request.user, memberships=request.memberships)
    if not schools and not trusts:
        raise PermissionDenied
    context = {"schools": schools, "trusts": trusts, "choices": period_choices(timezone.localdate())}
    return render(request, "referrals/reports.html", context)


def _report(request, *, scope: str, uuid, output: str):
    if scope == "trust":
        trust = report_trust_get(user=request.user, memberships=request.memberships, uuid=uuid)
        schools, name, adults = list(trust.schools.order_by("name")), trust.name, False
    else:
        school = report_school_get(user=request.user, uuid=uuid)
        schools, name = [school], school.name
        adults = adults_shown_to(memberships=request.memberships, school=school)
    today = timezone.localdate()
    try:
        period = period_from(request.GET, today=today)
    except PeriodRefused as refusal:
        if output != "page":
            return HttpResponse(str(refusal), status=400, content_type="text/plain; charset=utf-8")
        context = {
            "scope": scope,
            "name": name,
            "uuid": uuid,
            "refusal": str(refusal),
            "choices": period_choices(today),
        }
        return render(request, "referrals/report.html", context, status=400)
    report = report_build(
        user=request.user,
        context=request.audit,
        schools=schools,
        period=period,
        scope=scope,
        name=name,
        uuid=uuid,
        output=output,
        adults_shown=adults,
    )
    stem = f"safeguarding-report-{report.period.first:%Y%m%d}-{report.period.last:%Y%m%d}"
    if output == "pdf":
        return _file(report_pdf(report=report, user=request.user), "application/pdf", f"{stem}.pdf")
    if output == "xlsx":
        return _file(report_xlsx(report=report), XLSX, f"{stem}.xlsx")
    context = {
        "scope": scope,
        "name": name,
        "uuid": uuid,
        "report": report,
        "rule": RULE,
        "choices": period_choices(today),
    }
    return render(request, "referrals/report.html", context)


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_GET
@reads_from_replica
def school_report(request, school_uuid, output: str = "page"):
    """One school's report: the page, or (`output`) its PDF or spreadsheet."""
    return _report(request, scope="school", uuid=school_uuid, output=output)


@never_cache
@login_required
@require_GET
@reads_from_replica
def trust_report(request, trust_uuid, output: str = "page"):
    """The whole trust's report: the page, or (`output`) its PDF or spreadsheet."""
    return _report(request, scope="trust", uuid=trust_uuid, output=output)
