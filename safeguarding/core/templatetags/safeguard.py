from django import template

register = template.Library()


@register.filter
def dict_get(mapping, key):
    """Look a value up in a dict by a key that is itself a variable."""
    return mapping.get(key) if mapping else None
