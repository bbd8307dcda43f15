"""Codes in words, for the templates: ``{{ result.outcome|outcome }}`` prints "No CMMC status", never "no_status"."""

from django import template

from assessments.report import outcome_words

register = template.Library()


@register.filter
def outcome(value: str) -> str:
    return outcome_words(value)
