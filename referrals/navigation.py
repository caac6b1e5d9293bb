"""What this app adds to the site's navigation (safeguarding.core.navigation)."""

from django.urls import reverse
from django.utils import timezone

from referrals.models import Notification
from referrals.report_periods import term_of
from referrals.selectors.access_requests import access_request_counts
from referrals.selectors.adults import adult_cases, adult_counts, adult_submissions_mine
from referrals.selectors.concerns import actions_mine, concerns_recent_mine, drafts_unsent, police_reports_due
from referrals.selectors.context import open_alerts
from referrals.selectors.queue import QueueFilters, desk_counts, desk_total, queue_page
from referrals.selectors.reports import trust_oversight
from safeguarding.accounts.permissions import Capability, capabilities_of, membership_capabilities, schools_where
from safeguarding.accounts.roles import Role
from safeguarding.core.navigation import HomePanel, NavItem, extra_register, nav_register, panel_register

DESK_ROLES = frozenset({Role.DSL, Role.DEPUTY_DSL})
# Home pages that start with the concern form and one's own concerns.
STAFF_HOMES = frozenset({Role.STAFF, Role.SCHOOL_ADMIN, Role.HEADTEACHER, Role.HR})


def _for(capability: Capability, name: str):
    def url(memberships) -> str | None:
        return reverse(name) if capability in capabilities_of(memberships) else None

    return url


def _roster(memberships) -> str | None:
    """The roster of the one school whose pupils the person keeps; none when they keep several or none."""
    schools = [
        m.school for m in memberships if m.school is not None and Capability.MANAGE_ROSTER in membership_capabilities(m)
    ]
    return reverse("roster_list", args=[schools[0].uuid]) if len(schools) == 1 else None


# Those who are sent notifications: people who log concerns, and the case managers of concerns about adults.
NOTIFIED = frozenset(
    {
        Capability.LOG_CONCERN,
        Capability.MANAGE_ADULT_CASES,
        Capability.READ_ADULT_RECORDS,
        Capability.HANDLE_ACCESS_REQUESTS,
    }
)
ADULT_CASE_HOMES = frozenset({Role.HEADTEACHER, Role.CHAIR, Role.CHIEF_EXECUTIVE, Role.HR})


def _unread_notifications(request, memberships) -> dict:
    if not NOTIFIED & capabilities_of(memberships):
        return {"unread_notifications": None}
    unread = (
        Notification.objects.filter(recipient=request.user, read_at__isnull=True)
        .exclude(adult_record__subject_user=request.user)
        .count()
    )
    return {"unread_notifications": unread}


def _my_actions(request, main) -> dict:
    return {"my_actions": actions_mine(user=request.user, context=request.audit)}


def _desk(request, main) -> dict:
    """The DSL's and deputies' counts of what waits, and the next five things due (the queue's first five)."""
    schools = list(schools_where(request.user, Capability.READ_QUEUE))
    counts = desk_counts(schools=schools)
    next_due = queue_page(
        user=request.user, context=request.audit, filters=QueueFilters(), page_number=1, per_page=5, schools=schools
    )
    return {"desk": desk_total(counts), "next_due": next_due}


def _trust_desk(request, main) -> dict:
    """The trust lead's oversight: the schools, one row each, the school needing attention first."""
    schools = list(schools_where(request.user, Capability.READ_QUEUE))
    return {"oversight": trust_oversight(schools=schools), "term": term_of(timezone.localdate())}


def _adult_cases(memberships) -> str | None:
    held = capabilities_of(memberships)
    reads = Capability.MANAGE_ADULT_CASES in held or Capability.READ_ADULT_RECORDS in held
    return reverse("adult_cases") if reads else None


def _adult_desk(request, main) -> dict:
    """The case manager's (and HR's) counts of concerns about adults."""
    return {
        "adult_desk": adult_counts(user=request.user, request=request),
        "adult_next": adult_cases(user=request.user, context=request.audit, request=request, limit=5),
        "now": timezone.now(),
    }


def _trust_alerts(request, main) -> dict:
    """The trust lead's open alerts of one entity linked to children, every child named."""
    return {"context_alerts": open_alerts(user=request.user, context=request.audit), "show_schools": True}


def _access_desk(request, main) -> dict:
    return {"access_counts": access_request_counts(user=request.user)}


def _staff_desk(request, main) -> dict:
    return {
        "adult_submissions": adult_submissions_mine(user=request.user)[:5],
        "drafts": drafts_unsent(user=request.user),
        "recent_concerns": concerns_recent_mine(user=request.user, context=request.audit),
        "police_reports_due": police_reports_due(user=request.user, context=request.audit),
    }


def navigation_register() -> None:
    nav_register(
        NavItem("Log a concern", 10, _for(Capability.LOG_CONCERN, "concern_new")),
        NavItem("My concerns", 20, _for(Capability.READ_OWN_CONCERNS, "concerns_mine")),
        NavItem("Pupils", 30, _roster),
        NavItem("Queue", 40, _for(Capability.READ_QUEUE, "queue")),
        NavItem("Find a pupil", 45, _for(Capability.READ_CHILD_FILE, "child_search")),
        NavItem("Concerns about adults", 50, _adult_cases),
        NavItem("Exports", 60, _for(Capability.EXPORT, "exports")),
        NavItem("Retention", 65, _for(Capability.REVIEW_RETENTION, "retention_list")),
        NavItem("Access requests", 67, _for(Capability.HANDLE_ACCESS_REQUESTS, "access_requests")),
        NavItem("Reports", 68, _for(Capability.READ_REPORTS, "reports")),
        NavItem("Know the signs", 90, lambda memberships: reverse("signs_guide")),
    )
    extra_register(_unread_notifications)
    panel_register(HomePanel("referrals/home/_staff.html", -20, lambda main: main.role in STAFF_HOMES, _staff_desk))
    panel_register(HomePanel("referrals/home/_desk.html", -10, lambda main: main.role in DESK_ROLES, _desk))
    panel_register(
        HomePanel("referrals/home/_trust_desk.html", -10, lambda main: main.role == Role.TRUST_LEAD, _trust_desk)
    )
    panel_register(
        HomePanel(
            "referrals/home/_adult_desk.html",
            -25,
            lambda main: main.role in ADULT_CASE_HOMES or bool(getattr(main, "manages_adult_concerns", False)),
            _adult_desk,
        )
    )
    panel_register(
        HomePanel("referrals/home/_context_alerts.html", -12, lambda main: main.role == Role.TRUST_LEAD, _trust_alerts)
    )
    panel_register(
        HomePanel(
            "referrals/home/_access_requests.html",
            -9,
            lambda main: Capability.HANDLE_ACCESS_REQUESTS in membership_capabilities(main),
            _access_desk,
        )
    )
    panel_register(HomePanel("referrals/home/_actions.html", -15, lambda main: main.role != Role.AUDITOR, _my_actions))
