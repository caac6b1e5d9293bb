from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from safeguarding.audit.context import RequestContext
from safeguarding.audit.events import EventType, Outcome
from safeguarding.audit.models import AnonymousRequestTally
from safeguarding.audit.record import record
from safeguarding.audit.targets import refusal_target

UNCOUNTED_PREFIXES = ("/static/", "/healthz")


class AuditMiddleware:
    """Gives each request its audit context, counts anonymous requests, and makes sure every refusal of a
    signed-in person is recorded, whichever layer refused (a selector, a service, or the URL resolver)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.audit = RequestContext.from_request(request)
        request.audit_refusal_recorded = False
        if not request.user.is_authenticated and not request.path.startswith(UNCOUNTED_PREFIXES):
            anonymous_request_count(ip=request.audit.ip)
        response = self.get_response(request)
        if response.status_code in (403, 404) and not request.audit_refusal_recorded:
            self.record_refusal(request, "not found" if response.status_code == 404 else "forbidden")
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request.audit.refresh(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404 | PermissionDenied):
            self.record_refusal(request, "not found" if isinstance(exception, Http404) else "forbidden")

    def record_refusal(self, request, reason):
        user = request.user
        if not user.is_authenticated or request.audit_refusal_recorded:
            return
        request.audit_refusal_recorded = True
        match = request.resolver_match
        kwargs = match.kwargs if match else {}
        object_uuid = next((value for key, value in reversed(kwargs.items()) if key.endswith("uuid")), None)
        object_type = next((key[:-5] for key, value in reversed(kwargs.items()) if key.endswith("_uuid")), "page")
        # Against the school whose record was asked for, so its DSL sees the probe; the person refused sees the
        # same line in their own trail whether the UUID named a record or not.
        target = refusal_target(kwargs)
        record(
            EventType.ACCESS_REFUSED,
            context=request.audit,
            school=target.school,
            outcome=Outcome.REFUSED,
            object_type=object_type,
            object_uuid=object_uuid,
            child_uuid=target.child_uuid,
            reason=reason,
        )


def anonymous_request_count(*, ip: str | None) -> None:
    """Add one to this address's count for this minute."""
    if not ip:
        return
    minute = timezone.now().replace(second=0, microsecond=0)
    tallies = AnonymousRequestTally.objects.using(settings.AUDIT_DB_ALIAS)
    if tallies.filter(ip=ip, minute=minute).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic(using=settings.AUDIT_DB_ALIAS):
            tallies.create(ip=ip, minute=minute, count=1)
    except IntegrityError:
        tallies.filter(ip=ip, minute=minute).update(count=F("count") + 1)
