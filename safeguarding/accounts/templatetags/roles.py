from django import template

from safeguarding.accounts.roles import Role

register = template.Library()


@register.filter
def role_label(value):
    """The label of a stored role, e.g. "school_admin" as "School admin"."""
    try:
        return Role(value).label
    except ValueError:
        return value
