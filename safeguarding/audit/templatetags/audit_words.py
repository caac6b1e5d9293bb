from django import template

from safeguarding.audit.events import object_label as label

register = template.Library()


@register.filter
def object_label(value):
    """The plain name of an audited object type, e.g. "child_file_pdf" as "the child's file as a PDF"."""
    return label(value or "")
