"""{% body_map_side marks "front" %}: one side of a body map with its numbered marks, as inline SVG."""

from django import template

from referrals.body_map import body_map_svg

register = template.Library()


@register.simple_tag
def body_map_side(marks, side: str):
    return body_map_svg(list(marks), side)
