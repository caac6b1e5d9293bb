import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

MARKER = re.compile(r"\[withheld: [^\]]+\]")


@register.filter
def withheld_marked(text: str) -> str:
    """The text escaped, each withheld marker shown as a highlighted mark."""
    escaped = escape(text)
    return mark_safe(MARKER.sub(lambda match: f'<mark class="withheld">{match.group(0)}</mark>', escaped))  # noqa: S308
