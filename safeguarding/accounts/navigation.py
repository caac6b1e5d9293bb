"""What accounts adds to the site's navigation and home pages (safeguarding.core.navigation), and how the platform
loads a person's memberships (safeguarding.core.memberships)."""

from django.urls import reverse

from safeguarding.accounts.access import memberships_for_user, schools_without_dsl
from safeguarding.accounts.permissions import Capability, capabilities_of
from safeguarding.accounts.roles import Role
from safeguarding.core.memberships import memberships_loader_register
from safeguarding.core.navigation import HomePanel, NavItem, extra_register, nav_register, panel_register

# The home pages of the people of one school name its safeguarding team; a trust's people see their schools instead.
TEAM_HOMES = frozenset({Role.STAFF, Role.DEPUTY_DSL, Role.DSL, Role.SCHOOL_ADMIN})


def _staff(memberships) -> str | None:
    return reverse("school_list") if Capability.LIST_STAFF in capabilities_of(memberships) else None


def navigation_register() -> None:
    memberships_loader_register(memberships_for_user)
    extra_register(_schools_without_dsl)
    nav_register(NavItem("Staff", 50, _staff))
    panel_register(HomePanel("accounts/home/_team.html", 10, lambda main: main.role in TEAM_HOMES))


def _schools_without_dsl(request, memberships) -> dict:
    return {"schools_without_dsl": schools_without_dsl(user=request.user, memberships=memberships)}
