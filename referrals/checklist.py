"""The concern form's signs checklist, rendered.

Every KCSIE category and exploitation sign, each with its basis radios, is the heaviest part of the form to render,
and a teacher opening the form meets it untouched: nothing ticked, no basis chosen, no error. That untouched
checklist is built from the taxonomy alone (the same for every person and every school), so it is kept rendered in
the cache under a digest of everything it shows. A checklist with anything ticked or chosen, from a draft or from a
form sent back, is rendered afresh for its person and never kept. The checklist names no child and no person, so
no read of safeguarding data is served from the cache.
"""

import hashlib

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from referrals.forms.concerns import ConcernForm, indicator_sources

TEMPLATE = "referrals/partials/sign_checklist.html"
KEPT_SECONDS = 3600


def untouched_key(form: ConcernForm) -> str | None:
    """The cache key of `form`'s checklist when it is untouched (unbound, nothing ticked, no basis, no error), from
    everything the checklist shows; None when it is not, and must be rendered for its person."""
    if form.is_bound or form.ticked_codes():
        return None
    digest = hashlib.sha256()
    digest.update(f"{form.prefix}|{form.auto_id}".encode())
    for category in form.categories:
        digest.update(repr((category.pk, category.label, category.guidance)).encode())
        for indicator in category.current_indicators:
            shown = (indicator.code, indicator.label, indicator.guidance, indicator.kind, indicator_sources(indicator))
            digest.update(repr(shown).encode())
    return f"sign-checklist:{digest.hexdigest()}"


def sign_checklist(form: ConcernForm) -> str:
    """The checklist's HTML: kept for the untouched list, rendered afresh for any other."""
    key = untouched_key(form)
    if key is None:
        return render_to_string(TEMPLATE, {"form": form})
    html = cache.get(key)
    if html is None:
        html = str(render_to_string(TEMPLATE, {"form": form}))
        cache.set(key, html, KEPT_SECONDS)
    return mark_safe(html)  # noqa: S308 - our own template's output, escaped when it was rendered
