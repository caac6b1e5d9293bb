"""The emails people get about their accounts. They name staff, never children."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from safeguarding.accounts.models import School, User
from safeguarding.core.emails import email_enqueue


def _send(*, to: list[str], template: str, context: dict) -> None:
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"accounts/email/{template}.txt", context)
    email_enqueue(to=to, subject=subject, body=body)


def password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


@task()
def password_link_send(*, user_id: int, purpose: str) -> None:
    """Made when the email is sent, not when it is queued: the link expires an hour after it is made."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    _send(
        to=[user.email],
        template=purpose,
        context={"user": user, "link": password_link(user), "school_names": _school_names(user)},
    )


def _school_names(user: User) -> str:
    memberships = user.memberships.filter(is_active=True, school__isnull=False).select_related("school")
    return ", ".join(sorted(membership.school.name for membership in memberships))


def invitation_send(*, user: User, school: School) -> None:
    password_link_send.enqueue(user_id=user.pk, purpose="invitation")


def password_reset_send(*, user: User) -> None:
    password_link_send.enqueue(user_id=user.pk, purpose="password_reset")


def added_to_school_send(*, user: User, school: School) -> None:
    _send(to=[user.email], template="added_to_school", context={"user": user, "school": school})


def grant_notify_dsl(*, school: School, actor: User, change: str, also_to: list[User] = ()) -> None:
    """Tell the school's DSL (and anyone else named) about a change of role or permission."""
    from safeguarding.accounts.access import school_dsl

    dsl = school_dsl(school=school)
    recipients = [dsl.user.email] if dsl else []
    recipients += [user.email for user in also_to]
    _send(to=recipients, template="grant", context={"school": school, "actor": actor, "change": change})


def second_factor_reset_send(*, user: User, actor: User) -> None:
    _send(to=[user.email], template="second_factor_reset", context={"user": user, "actor": actor})


def second_factor_changed_send(*, user: User, change: str) -> None:
    """Tell the person a passkey was added to or removed from their account, so that one they did not add is seen."""
    _send(to=[user.email], template="second_factor_changed", context={"user": user, "change": change})
