from django.urls import reverse


def site(request):
    """The navigation: only what exists and what the signed-in person's roles may use."""
    from safeguarding.accounts.access import ROSTER_ROLES, STAFF_LIST_ROLES, schools_for_user

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    items = [{"label": "Home", "url": reverse("home")}]
    roster_schools = list(schools_for_user(user=user, roles=ROSTER_ROLES)[:2])
    if len(roster_schools) == 1:
        items.append({"label": "Pupils", "url": reverse("roster_list", args=[roster_schools[0].uuid])})
    if schools_for_user(user=user, roles=STAFF_LIST_ROLES).exists():
        items.append({"label": "Staff", "url": reverse("school_list")})
    for item in items:
        item["current"] = request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))
    return {"navigation": items}
