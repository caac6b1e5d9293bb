from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def dict_get(mapping, key):
    """Look a value up in a dict by a key that is itself a variable."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def clock(due, now):
    """ "Due in 2h 10m" or "Overdue 45m", in words a glance can take in."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        amount = f"{days}d {hours}h"
    elif hours:
        amount = f"{hours}h {minutes}m"
    else:
        amount = f"{minutes}m"
    return f"Overdue {amount}" if seconds < 0 else f"Due in {amount}"


@register.filter
def css_string(value):
    """Text made safe inside a double-quoted CSS string (PDF page margins): quotes and backslashes escaped,
    control characters and angle brackets dropped, so it can be marked safe inside the style sheet."""
    text = "".join(c for c in str(value) if c.isprintable() and c not in "<>")
    return mark_safe(text.replace("\\", "\\\\").replace('"', '\\"'))  # noqa: S308 - escaped just above


@register.filter
def problem_count(form) -> int:
    """How many answers of a form have a problem: its errors, plus any it checks outside its fields."""
    return getattr(form, "problem_count", len(form.errors))
