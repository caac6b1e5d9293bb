"""Emails leave through a background task, so a mail server that is down never holds up a page or loses
a message: a failed send is retried with growing pauses. Emails never carry a child's details."""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import timezone

logger = logging.getLogger(__name__)

EMAIL_ATTEMPTS = 6


def email_enqueue(*, to: list[str], subject: str, body: str) -> None:
    """Queue an email. Called inside the caller's transaction, so it is sent only if the change commits."""
    recipients = sorted({address for address in to if address})
    if recipients:
        email_send.enqueue(to=recipients, subject=subject, body=body)


@task()
def email_send(*, to: list[str], subject: str, body: str, attempt: int = 1) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
    except (OSError, smtplib.SMTPException) as error:
        if attempt >= EMAIL_ATTEMPTS:
            logger.error("Email not sent after %s attempts: %s", attempt, type(error).__name__)
            raise
        pause = timedelta(seconds=settings.EMAIL_RETRY_SECONDS * 2**attempt)
        logger.warning("Email not sent (attempt %s, %s); retrying in %s", attempt, type(error).__name__, pause)
        email_send.using(run_after=timezone.now() + pause).enqueue(
            to=to, subject=subject, body=body, attempt=attempt + 1
        )
