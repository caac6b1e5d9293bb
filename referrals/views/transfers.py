"""A child moving school: the leavers' tasks, sending the file, accepting one, and the secure link for a school
that does not use Safeguard (REQUIREMENTS.md §7)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from referrals.forms.transfers import (
    AcceptForm,
    ChecklistForm,
    CloseForm,
    LeavingForm,
    LinkCodeForm,
    LinkReceiptForm,
    PaperReceiptForm,
    SendForm,
)
from referrals.models import Child, Transfer, TransferRoute, TransferStatus
from referrals.selectors.access import access_child, access_received, access_transfer
from referrals.selectors.queue import transfers_waiting
from referrals.services import transfers as service
from referrals.transfer_package import (
    PDF_PART,
    counted,
    key_fingerprint,
    package_document,
    package_manifest,
    package_open,
    package_read,
    public_key_pem,
)
from safeguarding.accounts.permissions import Capability, schools_where
from safeguarding.accounts.ratelimit import rate_limit_hit, rate_limit_message
from safeguarding.audit.events import EventType
from safeguarding.audit.record import record

LINK_SESSION_KEY = "transfer_links_opened"


def refusing_read_only(view):
    """A change to a transferred file is refused with the reason, back on the child's file."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except service.FileReadOnly as refusal:
            messages.error(request, str(refusal))
            child_uuid = kwargs.get("child_uuid")
            return redirect("child_file", child_uuid=child_uuid) if child_uuid else redirect("queue")

    return wrapped


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_GET
def transfers(request):
    """Every leaver's task of the person's schools, and every file sent to them, the most urgent first; with the
    tasks finished in the last term, for the record."""
    schools = list(schools_where(request.user, Capability.TRANSFER_FILE))
    if not schools:
        raise PermissionDenied
    rows = transfers_waiting(user=request.user, context=request.audit, schools=schools, record_read=False)
    since = timezone.now() - timezone.timedelta(days=120)
    finished = list(
        Transfer.objects.filter(school__in=schools, created_at__gte=since)
        .exclude(status__in=[TransferStatus.TO_SEND, TransferStatus.SENT])
        .select_related("child")
        .order_by("-created_at")[:50]
    )
    # One event for the page, also when it is empty: the tasks listed, and the children they name.
    record(
        EventType.LIST,
        user=request.user,
        context=request.audit,
        school=schools[0] if len(schools) == 1 else None,
        object_type="transfer",
        shown_ids=[row.uuid for row in [*rows, *finished]],
        row_count=len(rows) + len(finished),
        detail={"children": sorted({str(row.child.uuid) for row in [*rows, *finished]})},
    )
    context = {"rows": rows, "finished": finished, "today": timezone.localdate(), "fingerprint": key_fingerprint()}
    return render(request, "referrals/transfers.html", context)


def _matches(transfer: Transfer) -> list[Child]:
    """Pupils of the receiving school the file may be about: the same UPN, or the same names and date of birth."""
    sent = transfer.child
    same = Child.objects.filter(school=transfer.to_school)
    by_upn = list(same.filter(upn=sent.upn)) if sent.upn else []
    by_name = same.filter(
        legal_last_name__iexact=sent.legal_last_name,
        legal_first_name__iexact=sent.legal_first_name,
        date_of_birth=sent.date_of_birth,
    )
    return by_upn + [child for child in by_name if child not in by_upn]


def _transfer_page(request, transfer, *, forms=None, shown_link=None, status=200):
    forms = forms or {}
    context = {
        "transfer": transfer,
        "today": timezone.localdate(),
        "fingerprint": key_fingerprint(),
        "shown_link": shown_link,
        "may_act": False,
    }
    if transfer.incoming:
        context["may_act"] = True
        context["manifest"] = package_manifest(transfer.package_name) if transfer.package_name else None
        context["counted"] = counted(context["manifest"]["counts"]) if context["manifest"] else []
        if transfer.status == TransferStatus.SENT:
            context["accept_form"] = forms.get("accept") or AcceptForm(matches=_matches(transfer))
        return render(request, "referrals/transfer_incoming.html", context, status=status)
    context["may_act"] = transfer.school in schools_where(request.user, Capability.TRANSFER_FILE)
    context["has_file"] = service.file_has_records(transfer.child)
    context["open_concerns"] = transfer.child.concerns.exclude(status="closed").count()
    context["open_actions"] = transfer.child.actions.filter(completed_at__isnull=True).count()
    context["missing"] = service.checklist_missing(transfer)
    context["manifest"] = package_manifest(transfer.package_name) if transfer.package_name else None
    context["counted"] = counted(context["manifest"]["counts"]) if context["manifest"] else []
    context["checklist_form"] = forms.get("checklist") or ChecklistForm(
        initial={
            "advance_sharing": transfer.advance_sharing,
            "advance_note": transfer.advance_note,
            "receiving_dsl_name": transfer.receiving_dsl_name,
            "receiving_dsl_email": transfer.receiving_dsl_email,
            "receiving_dsl_phone": transfer.receiving_dsl_phone,
        }
    )
    context["send_form"] = forms.get("send") or SendForm(
        on_safeguard=transfer.to_school_id is not None,
        initial={"route": TransferRoute.SAFEGUARD if transfer.to_school_id else TransferRoute.LINK},
    )
    context["paper_form"] = forms.get("paper") or PaperReceiptForm(initial={"received_on": timezone.localdate()})
    context["close_form"] = forms.get("close") or CloseForm()
    return render(request, "referrals/transfer_detail.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def transfer_detail(request, transfer_uuid):
    transfer = access_transfer(
        user=request.user, context=request.audit, transfer_uuid=transfer_uuid, record_read=request.method == "GET"
    )
    if request.method == "GET":
        return _transfer_page(request, transfer)
    step = request.POST.get("step", "")
    handlers = {
        "checklist": _checklist,
        "send": _send,
        "new_link": _new_link,
        "paper": _paper,
        "no_file": _close,
        "missing_done": _close,
        "cancel": _close,
        "accept": _accept,
    }
    if step not in handlers:
        messages.error(request, "Choose what to do.")
        return redirect("transfer_detail", transfer_uuid=transfer.uuid)
    try:
        return handlers[step](request, transfer)
    except service.TransferRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("transfer_detail", transfer_uuid=transfer.uuid)
    except PermissionDenied:
        raise Http404("No such transfer.") from None


def _resent(request, transfer, **forms):
    transfer = access_transfer(user=request.user, context=request.audit, transfer_uuid=transfer.uuid)
    return _transfer_page(request, transfer, forms=forms, status=400)


def _checklist(request, transfer):
    form = ChecklistForm(request.POST)
    if not form.is_valid():
        return _resent(request, transfer, checklist=form)
    service.transfer_checklist_save(actor=request.user, context=request.audit, transfer=transfer, **form.cleaned_data)
    messages.success(request, "The checklist is saved.")
    return redirect("transfer_detail", transfer_uuid=transfer.uuid)


def _send(request, transfer):
    form = SendForm(request.POST, on_safeguard=transfer.to_school_id is not None)
    if not form.is_valid():
        return _resent(request, transfer, send=form)
    transfer, shown = service.transfer_send(
        actor=request.user, context=request.audit, transfer=transfer, route=form.cleaned_data["route"]
    )
    if shown is None:
        messages.success(
            request,
            f"The file is on its way to {transfer.to_school.name}'s safeguarding team."
            if transfer.route == TransferRoute.SAFEGUARD
            else "The package is ready: download it, print the PDF, and record the hand-over.",
        )
        return redirect("transfer_detail", transfer_uuid=transfer.uuid)
    transfer = access_transfer(user=request.user, context=request.audit, transfer_uuid=transfer.uuid)
    return _transfer_page(request, transfer, shown_link=shown)


def _new_link(request, transfer):
    shown = service.transfer_new_link(actor=request.user, context=request.audit, transfer=transfer)
    transfer = access_transfer(user=request.user, context=request.audit, transfer_uuid=transfer.uuid)
    return _transfer_page(request, transfer, shown_link=shown)


def _paper(request, transfer):
    form = PaperReceiptForm(request.POST)
    if not form.is_valid():
        return _resent(request, transfer, paper=form)
    service.transfer_paper_receipt(actor=request.user, context=request.audit, transfer=transfer, **form.cleaned_data)
    messages.success(request, "The hand-over is recorded: the transfer is complete.")
    return redirect("transfer_detail", transfer_uuid=transfer.uuid)


def _close(request, transfer):
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _resent(request, transfer, close=form)
    how = {
        "no_file": TransferStatus.NO_FILE,
        "missing_done": TransferStatus.DONE,
        "cancel": TransferStatus.CANCELLED,
    }[request.POST["step"]]
    service.transfer_close(
        actor=request.user, context=request.audit, transfer=transfer, how=how, note=form.cleaned_data["note"]
    )
    messages.success(request, f"Task closed: {TransferStatus(how).label.lower()}.")
    return redirect("transfer_detail", transfer_uuid=transfer.uuid)


def _accept(request, transfer):
    if not transfer.incoming:
        raise Http404("No such transfer.")
    matches = _matches(transfer)
    form = AcceptForm(request.POST, matches=matches)
    if not form.is_valid():
        return _resent(request, transfer, accept=form)
    into = form.cleaned_data["into"]
    existing = next((child for child in matches if str(child.uuid) == into), None)
    transfer = service.transfer_accept(actor=request.user, context=request.audit, transfer=transfer, existing=existing)
    messages.success(
        request,
        f"The file is now on {transfer.received_child.display_name}'s record here. Tell the staff who need to know, "
        "such as the SENCO: it is on your actions.",
    )
    return redirect("child_file", child_uuid=transfer.received_child.uuid)


@never_cache
@login_required
@require_GET
def transfer_package(request, transfer_uuid):
    """The package as it was sent, for the sending school (to print for a hand-over, or to keep) and the receiving
    one on Safeguard; recorded before a byte of it goes."""
    transfer = access_transfer(user=request.user, context=request.audit, transfer_uuid=transfer_uuid, record_read=False)
    if not transfer.package_name:
        raise Http404("No such file.")
    record(
        EventType.DOWNLOAD,
        user=request.user,
        context=request.audit,
        school=transfer.to_school if transfer.incoming else transfer.school,
        object_type="transfer_package",
        object_uuid=transfer.uuid,
        child_uuid=transfer.child.uuid,
        detail={"sha256": transfer.package_sha256},
    )
    return FileResponse(
        package_open(transfer.package_name),
        as_attachment=True,
        filename=f"child-protection-file-{transfer.uuid}.zip",
        content_type="application/zip",
    )


@login_required
@require_POST
@refusing_read_only
def child_leaving(request, child_uuid):
    """The DSL records from the child's file that the child has left, and where to."""
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    form = LeavingForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("child_file", child_uuid=child.uuid)
    try:
        task = service.child_leaving_record(actor=request.user, context=request.audit, child=child, **form.cleaned_data)
    except PermissionDenied:
        raise Http404("No such child.") from None
    messages.success(request, "The leaving date is recorded.")
    return redirect("transfer_detail", transfer_uuid=task.uuid)


# The receiving school's copy on Safeguard ------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def received_pdf(request, child_uuid, transfer_uuid):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    transfer = access_received(user=request.user, context=request.audit, child=child, transfer_uuid=transfer_uuid)
    _record_received(request, child, transfer, part=PDF_PART)
    return _download(package_read(transfer.package_name, PDF_PART), "received-file.pdf", "application/pdf")


@never_cache
@login_required
@require_GET
def received_attachment(request, child_uuid, transfer_uuid, number):
    child = access_child(user=request.user, context=request.audit, child_uuid=child_uuid, record_read=False)
    transfer = access_received(user=request.user, context=request.audit, child=child, transfer_uuid=transfer_uuid)
    parts = package_document(transfer.package_name)["attachment_parts"]  # in the order the file page lists them
    if not 1 <= number <= len(parts):
        raise Http404("No such file.")
    part = parts[number - 1]["part"]
    document = package_document(transfer.package_name)
    attachment = next(
        (row for row in document["items"]["attachment"] if row["uuid"] == parts[number - 1]["attachment"]), {}
    )
    _record_received(request, child, transfer, part=part)
    return _download(
        package_read(transfer.package_name, part),
        part.rsplit("/", 1)[-1],
        attachment.get("content_type") or "application/octet-stream",
    )


def _record_received(request, child, transfer, *, part: str) -> None:
    record(
        EventType.DOWNLOAD,
        user=request.user,
        context=request.audit,
        school=child.school,
        object_type="received_file",
        object_uuid=transfer.uuid,
        child_uuid=child.uuid,
        detail={"part": "pdf" if part == PDF_PART else "attachment"},
    )


# The secure link, for a school that does not use Safeguard ------------------------------------------------------


def _opened(request, transfer) -> bool:
    return str(transfer.uuid) in request.session.get(LINK_SESSION_KEY, [])


@never_cache
@require_http_methods(["GET", "POST"])
def transfer_link(request, token):
    """The receiving DSL's page: the code given by phone opens it; then the package, and the confirmation of
    receipt that completes the transfer. A wrong code is counted on the link and by address."""
    transfer = service.transfer_by_link(token)
    if transfer is None:
        return render(request, "referrals/transfer_link_gone.html", status=404)
    context = {"transfer": transfer, "fingerprint": key_fingerprint(), "token": token}
    if transfer.status == TransferStatus.RECEIVED:
        return render(request, "referrals/transfer_link.html", {**context, "done": True})
    if not _opened(request, transfer):
        form = LinkCodeForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            verdict = rate_limit_hit(action="transfer_codes", who=request.audit.ip or "unknown")
            if not verdict.allowed:
                form.add_error("code", rate_limit_message(verdict))
                status = 429
            elif service.link_closed(transfer):
                form.add_error(
                    "code", "This link is closed after too many wrong codes. Ask the sending school for a new one."
                )
                status = 403
            elif service.transfer_code_check(transfer=transfer, code=form.cleaned_data["code"], context=request.audit):
                request.session.cycle_key()
                request.session[LINK_SESSION_KEY] = [*request.session.get(LINK_SESSION_KEY, []), str(transfer.uuid)]
                return redirect("transfer_link", token=token)
            else:
                request.audit_refusal_recorded = True  # recorded by the check, with the link's count
                transfer.refresh_from_db(fields=["wrong_codes"])
                form.add_error("code", "That code is not right. Check it with the sending school.")
                status = 403 if service.link_closed(transfer) else 400
        return render(request, "referrals/transfer_link.html", {**context, "code_form": form}, status=status)
    form = LinkReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service.transfer_link_confirm(transfer=transfer, context=request.audit, **form.cleaned_data)
        except service.TransferRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            return redirect("transfer_link", token=token)
    manifest = package_manifest(transfer.package_name)
    return render(
        request,
        "referrals/transfer_link.html",
        {**context, "receipt_form": form, "manifest": manifest},
        status=400 if form.errors else 200,
    )


@never_cache
@require_GET
def transfer_link_package(request, token):
    transfer = service.transfer_by_link(token)
    if transfer is None or not _opened(request, transfer):
        raise Http404("No such file.")
    service.transfer_link_downloaded(transfer=transfer, context=request.audit)
    return FileResponse(
        package_open(transfer.package_name),
        as_attachment=True,
        filename=f"child-protection-file-{transfer.uuid}.zip",
        content_type="application/zip",
    )


@require_GET
def transfer_key(request):
    """The deployment's public key, at a fixed address, to check a package's signature against."""
    response = HttpResponse(public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="safeguard-transfer-key.pem"'
    return response
