"""PDFs for people outside Safeguard: the referral as sent, and the child's whole file for a strategy meeting or
a transfer. Every page carries who produced it and when; every download is recorded."""

import base64
import io
import textwrap
from functools import lru_cache

from django.template.loader import render_to_string
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from weasyprint import HTML

from referrals.attachments import attachment_read
from referrals.models import Attachment, Child, Referral
from referrals.selectors.child_file import child_attachments, chronology_all
from referrals.suppression import RULE
from safeguarding.accounts.access import school_dsl
from safeguarding.accounts.models import User


def _watermark(user: User) -> str:
    when = timezone.localtime()
    return f"Produced by {user.full_name} on {when:%a %d %b %Y at %H:%M}. Confidential: safeguarding record."


@lru_cache(maxsize=64)
def _watermark_image(text: str) -> str:
    """The page's diagonal watermark as a picture (a data address), not as text: drawn as text it would be read
    into every line copied out of the PDF and scramble it."""
    width, height = 1240, 1754  # A4 at 150 dots an inch
    font = ImageFont.load_default(size=58)
    lines = ["CONFIDENTIAL", *textwrap.wrap(text, 36)]
    stamp = Image.new("RGBA", (1700, 90 * len(lines)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(stamp)
    for index, line in enumerate(lines):
        draw.text((850, 45 + 90 * index), line, font=font, fill=(180, 0, 0, 48), anchor="mm")
    stamp = stamp.rotate(30, expand=True)
    page = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    page.alpha_composite(stamp, ((width - stamp.width) // 2, (height - stamp.height) // 2))
    out = io.BytesIO()
    page.save(out, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _with_pictures(attachments: list[Attachment]) -> list[Attachment]:
    """`attachments`, each picture carrying its content as a data address (`inline`) for the PDF to show; a
    picture whose file is missing is listed without it. Pictures were re-encoded and checked on upload."""
    for attachment in attachments:
        attachment.inline = ""
        if attachment.is_image:
            content = attachment_read(attachment.stored_name)
            if content is not None:
                encoded = base64.b64encode(content).decode("ascii")
                attachment.inline = f"data:{attachment.content_type};base64,{encoded}"
    return attachments


def _render(template: str, context: dict) -> bytes:
    context = {**context, "watermark_image": _watermark_image(context["watermark"])}
    return HTML(string=render_to_string(template, context)).write_pdf()


def referral_pdf(*, referral: Referral, user: User) -> bytes:
    """The referral as it went to the agency: only the concerns that were shared, and only the parts shared."""
    concerns = list(
        referral.shared_concerns.select_related("author")
        .prefetch_related("indicators", "body_marks", "addenda", "decisions__outcomes")
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
    attachments = list(referral.shared_attachments.select_related("uploaded_by").order_by("created_at", "pk"))
    earlier_concerns = []
    if referral.shared_rationale:
        # Part of the reasons: the earlier concerns the DSL said they rely on, unless shared whole above.
        earlier_concerns = list(
            referral.decision.relies_on.exclude(pk__in=[c.pk for c in concerns])
            .select_related("author")
            .prefetch_related("indicators")
            .order_by("observed_at")
        )
    context = {
        "referral": referral,
        "earlier_concerns": earlier_concerns,
        "child": referral.child,
        "concerns": concerns,
        "attachments": attachments,
        "chronology": chronology,
        "dsl": school_dsl(school=referral.school),
        "watermark": _watermark(user),
    }
    return _render("referrals/pdf/referral.html", context)


def child_file_pdf(*, child: Child, user: User) -> bytes:
    """The whole chronology of the child's file, oldest first."""
    context = {
        "child": child,
        "entries": chronology_all(child=child),
        "attachments": _with_pictures(list(reversed(child_attachments(child=child)))),
        "watermark": _watermark(user),
    }
    return _render("referrals/pdf/child_file.html", context)


def access_pack_pdf(*, access_request, items, redactions, user: User) -> bytes:
    """A subject access pack: the cover letter, then the file's items with the redactions applied before the PDF is
    drawn, so that nothing withheld is in the file."""
    from referrals.access_pack import pack_context

    context = {
        **pack_context(access_request, items, redactions),
        "today": timezone.localdate(),
        "signed_by": user,
        "watermark": f"{access_request.reference}: a copy for {access_request.requester_name}, "
        f"made {timezone.localtime():%d %b %Y}. Confidential.",
    }
    return _render("referrals/pdf/access_pack.html", context)


def report_pdf(*, report, user: User) -> bytes:
    """The safeguarding report for the governors' pack: every figure and table of the page, the charts drawn on the
    server as SVG so that no browser is needed."""
    return _render("referrals/pdf/report.html", {"report": report, "rule": RULE, "watermark": _watermark(user)})
