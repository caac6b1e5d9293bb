from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from referrals.selectors.who_viewed import child_access_page, exports_covering
from safeguarding.trail.selectors import people_by_uuid


@never_cache
@login_required
def child_access(request, child_uuid):
    """Who opened a child's records, and the exports that included the child."""
    child, page = child_access_page(
        user=request.user, context=request.audit, child_uuid=child_uuid, page_number=request.GET.get("page")
    )
    context = {
        "child": child,
        "page": page,
        "people": people_by_uuid([event.user_uuid for event in page]),
        "exports": exports_covering(child=child),
    }
    return render(request, "referrals/who_viewed.html", context)
