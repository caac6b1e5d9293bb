from django.urls import include, path

from safeguarding.accounts.admin import site as admin_site
from safeguarding.accounts.views.home import home
from safeguarding.core import views as core_views

urlpatterns = [
    path("", home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("safeguarding.accounts.urls")),
    path("", include("referrals.urls")),
    path("", include("safeguarding.trail.urls")),
    path("admin/", admin_site.urls),
]

handler400 = "safeguarding.core.views.bad_request"
handler403 = "safeguarding.core.views.permission_denied"
handler404 = "safeguarding.core.views.page_not_found"
handler500 = "safeguarding.core.views.server_error"
