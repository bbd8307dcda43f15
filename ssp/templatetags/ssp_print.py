"""Filters for the SSP print template (templates/ssp/print.html)."""

from django import template

from ssp.blocks import soften

register = template.Library()


@register.filter
def soft(value: object) -> str:
    """User text with break opportunities in very long words. Not marked safe: autoescape still applies."""
    return soften("" if value is None else str(value))
