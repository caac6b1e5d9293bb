from django.urls import reverse


def site(request):
    """The navigation a signed-in person may use; each later area adds its entry with its own rule."""
    items = [{"label": "Home", "url": reverse("home")}]
    for item in items:
        item["current"] = request.path == item["url"]
    return {"navigation": items}
