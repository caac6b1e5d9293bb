from django.urls import reverse


def site(request):
    """The navigation: only what exists and what the signed-in person's roles may use."""
    from safeguarding.accounts.access import STAFF_LIST_ROLES, schools_for_user

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    items = [{"label": "Home", "url": reverse("home")}]
    if schools_for_user(user=user, roles=STAFF_LIST_ROLES).exists():
        items.append({"label": "Staff", "url": reverse("school_list")})
    for item in items:
        item["current"] = request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))
    return {"navigation": items}
