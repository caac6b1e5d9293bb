from django.urls import path

from referrals.views import roster

urlpatterns = [
    path("schools/<uuid:school_uuid>/pupils/", roster.roster_list, name="roster_list"),
    path("schools/<uuid:school_uuid>/pupils/new/", roster.roster_add, name="roster_add"),
    path("schools/<uuid:school_uuid>/pupils/<uuid:child_uuid>/", roster.roster_pupil, name="roster_pupil"),
]
