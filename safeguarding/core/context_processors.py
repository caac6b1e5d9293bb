from django.urls import reverse


def site(request):
    """The navigation: only what exists and what the signed-in person's roles may use.

    Worked out from the memberships the session policy already loaded for this request, without more queries.
    """
    from referrals.models import Notification
    from referrals.selectors import LOG_ROLES
    from safeguarding.accounts.access import ROSTER_ROLES, STAFF_LIST_ROLES, memberships_for_user
    from safeguarding.accounts.roles import Role
    from safeguarding.audit.selectors import AUDIT_ROLES

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    memberships = getattr(request, "memberships", None)
    if memberships is None:
        memberships = list(memberships_for_user(user))
    roles = {membership.role for membership in memberships}
    items = [{"label": "Home", "url": reverse("home")}]
    if roles & set(LOG_ROLES):
        items.append({"label": "Log a concern", "url": reverse("concern_new")})
        items.append({"label": "My concerns", "url": reverse("concerns_mine")})
    roster_schools = [m.school for m in memberships if m.role in ROSTER_ROLES and m.school is not None]
    if len(roster_schools) == 1:
        items.append({"label": "Pupils", "url": reverse("roster_list", args=[roster_schools[0].uuid])})
    if roles & {Role.DSL, Role.DEPUTY_DSL, Role.TRUST_LEAD}:
        items.append({"label": "Queue", "url": reverse("queue")})
    if roles & set(STAFF_LIST_ROLES):
        items.append({"label": "Staff", "url": reverse("school_list")})
    if any(
        m.role in (Role.DSL, Role.TRUST_LEAD) or (m.role == Role.SCHOOL_ADMIN and m.can_export) for m in memberships
    ):
        items.append({"label": "Exports", "url": reverse("exports")})
    if roles & set(AUDIT_ROLES):
        items.append({"label": "Audit trail", "url": reverse("audit_log")})
    items.append({"label": "Know the signs", "url": reverse("signs_guide")})
    for item in items:
        item["current"] = request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))
    unread = None
    if roles & set(LOG_ROLES):
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"navigation": items, "unread_notifications": unread}
