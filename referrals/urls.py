"""The domain's pages, by area: the roll, concerns, notifications, the queue and review, the child's file,
referrals, exports and who viewed a child's records."""

from django.urls import path

from referrals.views import (
    agency_referrals,
    child_file,
    concerns,
    exports,
    notifications,
    queue,
    review,
    roster,
    who_viewed,
)

urlpatterns = [
    path("schools/<uuid:school_uuid>/pupils/", roster.roster_list, name="roster_list"),
    path("schools/<uuid:school_uuid>/pupils/new/", roster.roster_add, name="roster_add"),
    path("schools/<uuid:school_uuid>/pupils/<uuid:child_uuid>/", roster.roster_pupil, name="roster_pupil"),
    path("concerns/new/", concerns.concern_new, name="concern_new"),
    path("concerns/draft/", concerns.concern_draft_save, name="concern_draft_save"),
    path("concerns/children/", concerns.concern_child_search, name="concern_child_search"),
    path("concerns/submitted/<uuid:incident_uuid>/", concerns.concern_receipt, name="concern_receipt"),
    path("concerns/mine/", concerns.concerns_mine, name="concerns_mine"),
    path("concerns/<uuid:concern_uuid>/", concerns.concern_detail, name="concern_detail"),
    path("attachments/<uuid:attachment_uuid>/", concerns.attachment_download, name="attachment_download"),
    path("guide/signs/", concerns.signs_guide, name="signs_guide"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("notifications/<uuid:notification_uuid>/", notifications.notification_open, name="notification_open"),
    path("queue/", queue.queue, name="queue"),
    path("queue/<uuid:concern_uuid>/acknowledge/", queue.queue_acknowledge, name="queue_acknowledge"),
    path("queue/<uuid:concern_uuid>/", review.concern_review, name="concern_review"),
    path("children/", child_file.child_search, name="child_search"),
    path("children/<uuid:child_uuid>/", child_file.child_file, name="child_file"),
    path("children/<uuid:child_uuid>/flags/", child_file.child_flags, name="child_flags"),
    path("children/<uuid:child_uuid>/notes/", child_file.child_note, name="child_note"),
    path(
        "children/<uuid:child_uuid>/alerts/<uuid:alert_uuid>/acknowledge/",
        child_file.child_alert_acknowledge,
        name="child_alert_acknowledge",
    ),
    path("referrals/<uuid:referral_uuid>/", agency_referrals.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_uuid>/pdf/", agency_referrals.referral_pdf_download, name="referral_pdf"),
    path("children/<uuid:child_uuid>/pdf/", agency_referrals.child_file_pdf_download, name="child_file_pdf"),
    path("queue/<uuid:concern_uuid>/referral/", agency_referrals.referral_new, name="referral_new"),
    path("exports/", exports.exports, name="exports"),
    path("exports/<uuid:export_uuid>/", exports.export_status, name="export_status"),
    path("exports/<uuid:export_uuid>/download/", exports.export_download, name="export_download"),
    path("children/<uuid:child_uuid>/access/", who_viewed.child_access, name="child_access"),
]
