from django import template

register = template.Library()


@register.filter
def dict_get(mapping, key):
    """Look a value up in a dict by a key that is itself a variable."""
    return mapping.get(key) if mapping else None


@register.filter
def role_label(value):
    """The label of a stored role, e.g. "school_admin" as "School admin"."""
    from safeguarding.accounts.roles import Role

    try:
        return Role(value).label
    except ValueError:
        return value
