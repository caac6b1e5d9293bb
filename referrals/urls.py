from django.urls import path

from referrals.views import roster

urlpatterns = [
    path("schools/<uuid:school_uuid>/pupils/", roster.roster_list, name="roster_list"),
    path("schools/<uuid:school_uuid>/pupils/new/", roster.roster_add, name="roster_add"),
    path("schools/<uuid:school_uuid>/pupils/<uuid:child_uuid>/", roster.roster_pupil, name="roster_pupil"),
]

from referrals.views import concerns  # noqa: E402

urlpatterns += [
    path("concerns/new/", concerns.concern_new, name="concern_new"),
    path("concerns/draft/", concerns.concern_draft_save, name="concern_draft_save"),
    path("concerns/children/", concerns.concern_child_search, name="concern_child_search"),
    path("concerns/submitted/<uuid:incident_uuid>/", concerns.concern_receipt, name="concern_receipt"),
    path("concerns/mine/", concerns.concerns_mine, name="concerns_mine"),
    path("concerns/<uuid:concern_uuid>/", concerns.concern_detail, name="concern_detail"),
    path("attachments/<uuid:attachment_uuid>/", concerns.attachment_download, name="attachment_download"),
    path("guide/signs/", concerns.signs_guide, name="signs_guide"),
]

from referrals.views import notifications as notification_views  # noqa: E402

urlpatterns += [
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/read/", notification_views.notifications_read, name="notifications_read"),
    path("notifications/<uuid:notification_uuid>/", notification_views.notification_open, name="notification_open"),
]

from referrals.views import queue as queue_views  # noqa: E402

urlpatterns += [
    path("queue/", queue_views.queue, name="queue"),
    path("queue/<uuid:concern_uuid>/acknowledge/", queue_views.queue_acknowledge, name="queue_acknowledge"),
]

from referrals.views import review as review_views  # noqa: E402

urlpatterns += [path("queue/<uuid:concern_uuid>/", review_views.concern_review, name="concern_review")]

from referrals.views import child_file as child_file_views  # noqa: E402

urlpatterns += [
    path("children/<uuid:child_uuid>/", child_file_views.child_file, name="child_file"),
    path("children/<uuid:child_uuid>/flags/", child_file_views.child_flags, name="child_flags"),
    path("children/<uuid:child_uuid>/notes/", child_file_views.child_note, name="child_note"),
    path(
        "children/<uuid:child_uuid>/alerts/<uuid:alert_uuid>/acknowledge/",
        child_file_views.child_alert_acknowledge,
        name="child_alert_acknowledge",
    ),
]

from referrals.views import agency_referrals as referral_views  # noqa: E402

urlpatterns += [
    path("referrals/<uuid:referral_uuid>/", referral_views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_uuid>/pdf/", referral_views.referral_pdf_download, name="referral_pdf"),
    path("children/<uuid:child_uuid>/pdf/", referral_views.child_file_pdf_download, name="child_file_pdf"),
    path("queue/<uuid:concern_uuid>/referral/", referral_views.referral_new, name="referral_new"),
]

from referrals.views import exports as export_views  # noqa: E402

urlpatterns += [
    path("exports/", export_views.exports, name="exports"),
    path("exports/<uuid:export_uuid>/", export_views.export_status, name="export_status"),
    path("exports/<uuid:export_uuid>/download/", export_views.export_download, name="export_download"),
]

from referrals.views import who_viewed as who_viewed_views  # noqa: E402

urlpatterns += [path("children/<uuid:child_uuid>/access/", who_viewed_views.child_access, name="child_access")]
