"""Filters for the SSP print template (templates/ssp/print.html)."""

from datetime import date

from django import template

from ssp import blocks

register = template.Library()


@register.filter
def soft(value: object) -> str:
    """User text with break opportunities in very long words. Not marked safe: autoescape still applies."""
    return blocks.soften("" if value is None else str(value))


@register.filter
def cells(row: blocks.TableRow) -> tuple[str, ...]:
    """A table row's cells as text (blocks.cells), as the DOCX prints them."""
    return blocks.cells(row)


@register.filter
def long_date(value: date | None) -> str:
    """"March 5, 2026", as the DOCX writes dates (blocks.long_date); empty for no date."""
    return blocks.long_date(value)
