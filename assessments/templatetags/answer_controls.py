"""The questionnaire's form controls (templates/assessments/family.html), printed without Django's widget templates.

``{{ field }}`` renders each widget through three or four small templates (text.html -> input.html -> attrs.html),
and a template loop over fields and choices costs about as much again: with about 250 controls on the Access
Control page (several hundred in objective mode) that was most of the page's time. These tags print the same
markup in one Python pass per group of controls. Django's own ``build_widget_attrs``, ``get_context`` and
``subwidgets`` still decide attributes, ids, values and which option is checked; only the markup of
django/forms/widgets/input.html, textarea.html and attrs.html is written out here, with format_html, so every
value is escaped exactly as the templates escape it. A widget rendered by any other template falls back to Django.

Escaping is then most of what is left, so the markup that holds no answer text (attribute lists, and whole groups
of radio buttons: ids, names, choice values and labels come from the code and the catalog) is memoised per
process: a pure function of its key, bounded in size. Text the user typed is never a cache key.
"""

from collections.abc import Iterable
from functools import lru_cache

from django import forms, template
from django.forms.boundfield import BoundField, BoundWidget
from django.template.defaultfilters import join
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from assessments import scoring

register = template.Library()

# Django's templates that print exactly django/forms/widgets/input.html (each only includes it; options are
# printed without their label: BoundWidget.tag(wrap_label=False)).
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "date", "hidden", "number", "email", "url", "password", "time", "datetime",
                 "search", "tel", "color", "radio_option", "input_option", "checkbox_option")
)
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"
# Values that can be part of a memo key as they are (the type is part of the key too: True == 1 in a tuple).
PLAIN_TYPES = frozenset({str, int, bool})
# The answer's free-text fields take half a row on wide screens; the short ones a third.
WIDE_FIELDS = frozenset({"justification", "note"})
SKIPPED_FIELDS = frozenset({"status", "version"})  # printed on their own by the template


def _items(attrs: dict) -> tuple[tuple[str, type, object], ...]:
    return tuple((name, type(value), value) for name, value in attrs.items())


def _plain(items: tuple[tuple[str, type, object], ...]) -> bool:
    """Whether ``_items`` can be a memo key: every value a plain str, int or bool."""
    return all(kind in PLAIN_TYPES for _, kind, _ in items)


def _attrs_markup(items: tuple[tuple[str, type, object], ...]) -> SafeString:
    """django/forms/widgets/attrs.html: False leaves the attribute out, True prints its bare name."""
    return format_html_join(
        "", "{}", ((format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
                   for name, _, value in items if value is not False)
    )


_attrs_memo = lru_cache(maxsize=8192)(_attrs_markup)


def _attrs(attrs: dict) -> SafeString:
    items = _items(attrs)
    return _attrs_memo(items) if _plain(items) else _attrs_markup(items)


def _input(widget: dict) -> SafeString:
    """django/forms/widgets/input.html for a widget (or option) context."""
    if widget["value"] is None:
        return format_html('<input type="{}" name="{}"{}>', widget["type"], widget["name"], _attrs(widget["attrs"]))
    return format_html('<input type="{}" name="{}" value="{}"{}>', widget["type"], widget["name"], widget["value"],
                       _attrs(widget["attrs"]))


def _textarea(widget: dict) -> SafeString:
    """django/forms/widgets/textarea.html (the newline after the start tag is part of it: HTML drops it)."""
    return format_html('<textarea name="{}"{}>\n{}</textarea>', widget["name"], _attrs(widget["attrs"]),
                       widget["value"] or "")


@register.simple_tag
def control(field: BoundField) -> SafeString | str:
    """What ``{{ field }}`` prints (BoundField.as_widget with no extra attributes)."""
    widget = field.field.widget
    if field.field.show_hidden_initial or field.field.localize:
        return str(field)
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    if context["template_name"] == TEXTAREA_TEMPLATE:
        return _textarea(context)
    if context["template_name"] in INPUT_TEMPLATES and "type" in context:
        return _input(context)
    return str(field)


def _tag(choice: BoundWidget) -> SafeString:
    """What ``{{ choice.tag }}`` prints: one option's radio button, without its label."""
    return _input(choice.data) if choice.template_name in INPUT_TEMPLATES else choice.tag()


def _choices_markup(span_class: str, separator: str, options: Iterable[tuple]) -> SafeString:
    """Each option (its radio button, a space, its label) in a span; ``options`` yields (button, id, label)."""
    return format_html_join(
        separator, '<span class="{}">{} <label class="form-check-label" for="{}">{}</label></span>',
        ((span_class, *option) for option in options),
    )


@lru_cache(maxsize=8192)
def _choices_memo(span_class: str, separator: str, key: tuple) -> SafeString:
    """The options of ``_choices``, rebuilt from their memo key (what it reads of each BoundWidget)."""
    return _choices_markup(span_class, separator, (
        (_input({"type": kind, "name": name, "value": value, "attrs": {n: v for n, _, v in attrs}}),
         next((v for n, _, v in attrs if n == "id"), None), label)
        for kind, name, _, value, attrs, _, label in key
    ))


def _choices(field: BoundField, span_class: str, separator: str) -> SafeString:
    """What the template loop ``{% for choice in field %}<span ...>{{ choice.tag }} <label ...>...`` printed."""
    options: list[BoundWidget] = list(field)
    key = []
    for choice in options:
        data = choice.data
        attrs = _items(data["attrs"])
        if (not _plain(attrs) or choice.template_name not in INPUT_TEMPLATES
                or type(data["value"]) not in PLAIN_TYPES or type(data["label"]) not in PLAIN_TYPES):
            return _choices_markup(span_class, separator,
                                   ((_tag(c), c.id_for_label, c.choice_label) for c in options))
        key.append((data["type"], data["name"], type(data["value"]), data["value"], attrs, type(data["label"]),
                    data["label"]))
    return _choices_memo(span_class, separator, tuple(key))


@register.simple_tag
def answer_choices(field: BoundField) -> SafeString:
    """The answer's status options, each an inline radio button with its label."""
    return _choices(field, "form-check form-check-inline", "\n")


@register.simple_tag
def objective_choices(field: BoundField) -> SafeString:
    """An objective's status options: smaller, closer together."""
    return _choices(field, "form-check form-check-inline small m-0", "")


@register.simple_tag
def field_errors(field: BoundField) -> SafeString | str:
    """The field's messages, which its control names in its aria-describedby (forms.MarkedBoundField)."""
    if not field.errors:
        return ""
    return format_html('<div class="invalid-feedback d-block" id="{}-error">{}</div>', field.auto_id,
                       join(field.errors, " "))


@register.simple_tag
def answer_fields(form: forms.Form) -> SafeString:
    """Every field of the answer form but the status and the version: label, control and messages, a column each.
    3.12.4 has no "why not applicable" box: it is never not applicable."""
    skipped = SKIPPED_FIELDS | ({"justification"} if form.requirement.nist_id == scoring.SSP_REQUIREMENT else set())
    return format_html_join(
        "\n", '<div class="{}">\n<label class="form-label small mb-0" for="{}">{}</label>\n{}\n{}\n</div>',
        (("col-md-6" if field.name in WIDE_FIELDS else "col-md-4", field.id_for_label, field.label, control(field),
          field_errors(field)) for field in form if field.name not in skipped),
    )
