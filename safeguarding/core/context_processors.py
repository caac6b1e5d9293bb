from safeguarding.core.memberships import memberships_of
from safeguarding.core.navigation import nav_extras, nav_items


def site(request):
    """The navigation: only what exists and what the signed-in person's roles may use, as each app supplies it
    (safeguarding.core.navigation).

    Worked out from the memberships the session policy already loaded for this request, without more queries.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    memberships = memberships_of(user, request=request)
    return {"navigation": nav_items(memberships, path=request.path), **nav_extras(request, memberships)}
