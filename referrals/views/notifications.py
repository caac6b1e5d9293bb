"""The bell: a person's notifications, opening one, and marking them all read.

Nothing here marks anything read on a plain visit to the list: a link from another site must not be able to clear
an unread escalation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from referrals.models import Notification
from referrals.selectors.access import access_notification
from referrals.selectors.concerns import notifications_page
from referrals.services.notifications import notifications_mark_read


@never_cache
@login_required
@require_GET
def notifications(request):
    items = notifications_page(user=request.user, context=request.audit)
    return render(request, "referrals/notifications.html", {"items": items})


def _about(notification: Notification) -> str:
    """Where a notification leads: its action, a leaver's task, its referral or concern (for the concern's author,
    their own page of it), the child's file for a pattern alert, else the list."""
    kind = Notification.Kind
    if notification.action_id:
        return reverse("action_detail", args=[notification.action.uuid])
    if notification.context_alert_id:
        return reverse("context_entity", args=[notification.context_alert.entity.uuid])
    if notification.access_request_id:
        return reverse("access_request", args=[notification.access_request.uuid])
    if notification.adult_record_id:
        return reverse("adult_case", args=[notification.adult_record.uuid])
    if notification.transfer_id:
        return reverse("transfer_detail", args=[notification.transfer.uuid])
    if notification.referral_id:
        return reverse("referral_detail", args=[notification.referral.uuid])
    if notification.concern_id and notification.kind == kind.INFORMATION_REQUEST:
        return reverse("concern_detail", args=[notification.concern.uuid])
    if notification.concern_id:
        return reverse("concern_review", args=[notification.concern.uuid])
    if notification.child_id and notification.kind == kind.PATTERN:
        return reverse("child_file", args=[notification.child.uuid])
    return reverse("notifications")


@never_cache
@login_required
@require_GET
def notification_open(request, notification_uuid):
    """Opening one of one's own notifications marks that one read and goes on to what it is about."""
    notification = access_notification(user=request.user, context=request.audit, notification_uuid=notification_uuid)
    if notification.read_at is None:
        notifications_mark_read(user=request.user, context=request.audit, notification=notification)
    return redirect(_about(notification))


@never_cache
@login_required
@require_POST
def notifications_read(request):
    """The "Mark all as read" button."""
    count = notifications_mark_read(user=request.user, context=request.audit)
    messages.success(request, f"{count} notification{'' if count == 1 else 's'} marked as read.")
    return redirect("notifications")
