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

A form that is not bound (the page showing what is stored, the block after a save) has no errors, and a field's
markup then differs from the same field's in another form of the same class and prefix only by its value. So each
such field is printed once, by the path above, with a stand-in value, and kept split around it; then a form costs,
per field, Django's own ``format_value`` of its value and one escape (``_unbound_parts``).
"""

import copy
from collections.abc import Callable, Iterable
from functools import lru_cache

from django import forms, template
from django.forms.boundfield import BoundField, BoundWidget
from django.template.defaultfilters import join
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

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
    if not field.form.is_bound:
        printed = _unbound(field.form, field.name, _control)
        if printed is not None:
            return printed
    return _control(field)


def _control(field: BoundField) -> SafeString | str:
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


# (form class, prefix, auto_id, field name, choices, checked value, span class, separator) -> the options' markup.
_unbound_options: dict[tuple, SafeString] = {}


def _status_choices(field: BoundField, span_class: str, separator: str) -> SafeString:
    """``_choices``; for a form that is not bound and a value among the choices, kept per form class, prefix, choices
    and value (which option is checked), without building the options."""
    form = field.form
    if form.is_bound or type(field.field.widget) is not forms.RadioSelect:
        return _choices(field, span_class, separator)
    value = form.get_initial_for_field(field.field, field.name)
    choices = tuple(field.field.widget.choices)
    if type(value) is not str or value not in {v for v, _ in choices}:
        return _choices(field, span_class, separator)
    key = (type(form), form.prefix, form.auto_id, field.name, choices, value, span_class, separator)
    try:
        printed = _unbound_options.get(key)
    except TypeError:  # choices that cannot be a key (option groups)
        return _choices(field, span_class, separator)
    if printed is None:
        if len(_unbound_options) >= UNBOUND_MAX:
            _unbound_options.clear()
        printed = _unbound_options[key] = _choices(field, span_class, separator)
    return printed


@register.simple_tag
def answer_choices(field: BoundField) -> SafeString:
    """The answer's status options, each an inline radio button with its label."""
    return _status_choices(field, "form-check form-check-inline", "\n")


@register.simple_tag
def objective_choices(field: BoundField) -> SafeString:
    """An objective's status options: smaller, closer together."""
    return _status_choices(field, "form-check form-check-inline small m-0", "")


@register.simple_tag
def field_errors(field: BoundField) -> SafeString | str:
    """The field's messages, which its control names in its aria-describedby (forms.MarkedBoundField)."""
    if not field.form.is_bound or not field.errors:
        return ""
    return format_html('<div class="invalid-feedback d-block" id="{}-error">{}</div>', field.auto_id,
                       join(field.errors, " "))


def _field_column(field: BoundField) -> SafeString:
    """One field of ``answer_fields``: its label, control and messages in a column."""
    return format_html(
        '<div class="{}">\n<label class="form-label small mb-0" for="{}">{}</label>\n{}\n{}\n</div>',
        "col-md-6" if field.name in WIDE_FIELDS else "col-md-4", field.id_for_label, field.label, _control(field),
        field_errors(field))


@register.simple_tag
def answer_fields(form: forms.Form) -> SafeString:
    """Every field of the answer form but the status and the version: label, control and messages, a column each.
    3.12.4 has no "why not applicable" box: it is never not applicable."""
    skipped = SKIPPED_FIELDS | ({"justification"} if form.requirement.nist_id == scoring.SSP_REQUIREMENT else set())
    if not form.is_bound:
        columns = [_unbound(form, name, _field_column) for name in form.fields if name not in skipped]
        if None not in columns:
            return format_html_join("\n", "{}", ((column,) for column in columns))
    return format_html_join("\n", "{}", ((_field_column(field),) for field in form if field.name not in skipped))


# --- Forms that are not bound: each field's markup kept split around its value ----------------------------------

# The stand-in value: a NUL byte never reaches a page (the forms refuse it), so it marks the one place of the value.
STAND_IN = "\x00value\x00"
# The widgets whose markup depends on the value only where it is printed (not a checkbox: its value decides an
# attribute; not a choice widget: its options).
VALUE_ONLY_WIDGETS = frozenset({forms.TextInput, forms.Textarea, forms.DateInput, forms.HiddenInput,
                                forms.NumberInput, forms.EmailInput, forms.URLInput})
UNBOUND_MAX = 8192
# (form class, prefix, auto_id, field name, printer) -> (markup without a value, markup before it, after it), or
# None: the stand-in is not printed exactly once, so that field always goes through Django.
_unbound_markup: dict[tuple, tuple[SafeString | str, str, str] | None] = {}


def _unbound_parts(form: forms.Form, name: str, printer: Callable[[BoundField], SafeString | str]
                   ) -> tuple[SafeString | str, str, str] | None:
    key = (type(form), form.prefix, form.auto_id, name, printer)
    try:
        return _unbound_markup[key]
    except KeyError:
        pass

    def printed(value: object) -> SafeString | str:
        stand_in = copy.copy(form)  # the same fields and widgets, another initial value, its own bound fields
        stand_in.initial = {**form.initial, name: value}
        stand_in._bound_fields_cache = {}
        return printer(stand_in[name])

    empty, marked = printed(None), printed(STAND_IN)
    pieces = str(marked).split(STAND_IN)
    parts = (empty, pieces[0], pieces[1]) if len(pieces) == 2 and isinstance(marked, SafeString) else None
    if len(_unbound_markup) >= UNBOUND_MAX:
        _unbound_markup.clear()
    _unbound_markup[key] = parts
    return parts


def _unbound(form: forms.Form, name: str, printer: Callable[[BoundField], SafeString | str]
             ) -> SafeString | str | None:
    """What ``printer`` prints for the field ``name`` of the unbound ``form``; None: ask Django (``printer``)."""
    field = form.fields[name]
    if type(field.widget) not in VALUE_ONLY_WIDGETS or field.show_hidden_initial or field.localize or field.disabled:
        return None
    parts = _unbound_parts(form, name, printer)
    if parts is None:
        return None
    value = field.widget.format_value(field.prepare_value(form.get_initial_for_field(field, name)))
    if value is None:
        return parts[0]
    # The markup Django printed around the stand-in, with the value escaped as its printer escapes it.
    return mark_safe(parts[1] + conditional_escape(value) + parts[2])  # nosec B308 B703 - value escaped here
