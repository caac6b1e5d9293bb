from django.db.models import Prefetch
from django.shortcuts import render
from django.views.decorators.http import require_GET

from safeguarding.accounts.access import schools_for_user
from safeguarding.accounts.models import Membership
from safeguarding.accounts.permissions import Capability, holding
from safeguarding.accounts.roles import HOME_ORDER, Role
from safeguarding.core.memberships import memberships_of
from safeguarding.core.navigation import home_panels, home_panels_context


@require_GET
def home(request):
    """The landing page for visitors; for a signed-in person, the home page of their main role, with the panels
    the apps show on it."""
    if not request.user.is_authenticated:
        return render(request, "core/home.html")
    memberships = sorted(
        memberships_of(request.user, request=request), key=lambda membership: HOME_ORDER.index(membership.role)
    )
    if not memberships:
        return render(request, "accounts/home/no_role.html")
    main = memberships[0]
    team = Prefetch(
        "memberships",
        queryset=Membership.objects.active()
        .filter(holding(Capability.ACT_ON_CONCERN))
        .select_related("user")
        .order_by("role", "user__full_name"),
        to_attr="team",
    )
    schools = list(schools_for_user(user=request.user, roles=set(Role)).prefetch_related(team))
    for school in schools:
        school.dsl = next((member for member in school.team if member.role == Role.DSL), None)
    panels_top, panels = home_panels(main)
    context = {
        "main": main,
        "others": memberships[1:],
        "schools": schools,
        "panels_top": panels_top,
        "panels": panels,
        **home_panels_context(request, main),
    }
    return render(request, f"accounts/home/{main.role}.html", context)
