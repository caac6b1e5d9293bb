"""What this app adds to the site's navigation (safeguarding.core.navigation)."""

from django.urls import reverse

from referrals.models import Notification
from safeguarding.accounts.permissions import Capability, capabilities_of, membership_capabilities
from safeguarding.core.navigation import NavItem, extra_register, nav_register


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


def _unread_notifications(request, memberships) -> dict:
    if Capability.LOG_CONCERN not in capabilities_of(memberships):
        return {"unread_notifications": None}
    unread = Notification.objects.filter(recipient=request.user, read_at__isnull=True).count()
    return {"unread_notifications": unread}


def navigation_register() -> None:
    nav_register(
        NavItem("Log a concern", 10, _for(Capability.LOG_CONCERN, "concern_new")),
        NavItem("My concerns", 20, _for(Capability.READ_OWN_CONCERNS, "concerns_mine")),
        NavItem("Pupils", 30, _roster),
        NavItem("Queue", 40, _for(Capability.READ_QUEUE, "queue")),
        NavItem("Find a pupil", 45, _for(Capability.READ_CHILD_FILE, "child_search")),
        NavItem("Exports", 60, _for(Capability.EXPORT, "exports")),
        NavItem("Know the signs", 90, lambda memberships: reverse("signs_guide")),
    )
    extra_register(_unread_notifications)
