"""PDFs for people outside Safeguard: the referral as sent, and the child's whole file for a strategy meeting or
a transfer. Every page carries who produced it and when; every download is recorded."""

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from referrals.models import Child, Referral
from referrals.selectors.child_file import chronology_all
from safeguarding.accounts.models import User


def _watermark(user: User) -> str:
    when = timezone.localtime()
    return f"Produced by {user.full_name} on {when:%a %d %b %Y at %H:%M}. Confidential: safeguarding record."


def _render(template: str, context: dict) -> bytes:
    return HTML(string=render_to_string(template, context)).write_pdf()


def referral_pdf(*, referral: Referral, user: User) -> bytes:
    """The referral as it went to the agency: only the concerns that were shared, and only the parts shared."""
    concerns = list(
        referral.shared_concerns.select_related("author")
        .prefetch_related("indicators", "addenda", "decisions__outcomes")
        .order_by("observed_at")
    )
    chronology = []
    if referral.shared_chronology:
        # The relevant chronology: what happened on the shared concerns, and nothing else of the file.
        for concern in concerns:
            chronology.append(
                (concern.observed_at, f"{concern.reference}: concern recorded ({concern.get_urgency_display()})")
            )
            chronology += [(a.created_at, f"{concern.reference}: addendum, {a.reason}") for a in concern.addenda.all()]
            chronology += [
                (
                    d.decided_at,
                    f"{concern.reference}: decision, " + ", ".join(o.get_outcome_display() for o in d.outcomes.all()),
                )
                for d in concern.decisions.all()
            ]
        chronology.sort()
    context = {
        "referral": referral,
        "child": referral.child,
        "concerns": concerns,
        "chronology": chronology,
        "watermark": _watermark(user),
    }
    return _render("referrals/pdf/referral.html", context)


def child_file_pdf(*, child: Child, user: User) -> bytes:
    """The whole chronology of the child's file, oldest first."""
    context = {"child": child, "entries": chronology_all(child=child), "watermark": _watermark(user)}
    return _render("referrals/pdf/child_file.html", context)
