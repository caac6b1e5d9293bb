"""The signs ticked on a concern, split by kind for the pages the safeguarding team decides on."""

from django import template

from referrals.models.indicators import HARM_KINDS

register = template.Library()


@register.filter
def signs_by_kind(items) -> dict[str, list]:
    """{"harm": signs of harm and disclosures, "risk": risk indicators and vulnerabilities}, each as ticked."""
    split = {"harm": [], "risk": []}
    for item in items:
        split["harm" if item.indicator.kind in HARM_KINDS else "risk"].append(item)
    return split
