from django.urls import path

from safeguarding.trail import views

urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
]
