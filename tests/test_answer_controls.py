"""The questionnaire's control tags print exactly what Django's widget templates print for the same forms.

Each tag is checked against Django rendering the same bound field (``{{ field }}``, ``{{ choice.tag }}`` in the
loops family.html used to have), so a Django upgrade that changes a widget template fails here rather than
changing the page unnoticed.
"""

from datetime import date

import pytest
from django import forms
from django.template import Context, Template
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.forms import AnswerForm, ObjectiveAnswerForm
from assessments.models import Answer
from assessments.templatetags import answer_controls
from controls.models import Requirement

NASTY = 'a & <b>"q"</b> \'s\'\n</textarea><script>x</script>'

# The loops family.html had before the tags (whitespace between options kept as one newline).
OLD_ANSWER_CHOICES = Template(
    '{% for choice in field %}<span class="form-check form-check-inline">{{ choice.tag }} <label '
    'class="form-check-label" for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label></span>'
    "{% if not forloop.last %}\n{% endif %}{% endfor %}"
)
OLD_OBJECTIVE_CHOICES = Template(
    '{% for choice in field %}<span class="form-check form-check-inline small m-0">{{ choice.tag }} <label '
    'class="form-check-label" for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label></span>{% endfor %}'
)
OLD_FIELDS = Template(
    '{% for field in form %}{% if field.name != "status" and field.name != "version" %}<div class="{% if field.name == '
    "'justification' or field.name == 'note' %}col-md-6{% else %}col-md-4{% endif %}\">\n<label class=\"form-label "
    'small mb-0" for="{{ field.id_for_label }}">{{ field.label }}</label>\n{{ field }}\n{% if field.errors %}<div '
    'class="invalid-feedback d-block" id="{{ field.auto_id }}-error">{{ field.errors|join:" " }}</div>{% endif %}\n'
    "</div>{% if not forloop.last %}\n{% endif %}{% endif %}{% endfor %}"
)


def requirement(nist_id: str = "3.1.1", partial_points: int | None = None) -> Requirement:
    return Requirement(nist_id=nist_id, partial_points=partial_points)


def answer_forms() -> list[AnswerForm]:
    stored = Answer(status="not_met", justification=NASTY, note=NASTY, evidence=NASTY, responsible="R&D",
                    version=3)
    initial = {f: getattr(stored, f) for f in ("status", "justification", "note", "evidence", "responsible")}
    prefix = "r3-1-1-"
    bound = [
        # valid; a note over the limit and a NUL byte (400); N/A without a justification (422); a broken version
        {prefix + "status": "met", prefix + "note": NASTY, prefix + "version": "2"},
        {prefix + "status": "not_met", prefix + "note": "x" * 5001, prefix + "planned_date": "2030-01-0\x00",
         prefix + "version": "2"},
        {prefix + "status": "na", prefix + "justification": " ", prefix + "responsible": NASTY,
         prefix + "version": "2"},
        {prefix + "status": "bogus", prefix + "planned_date": "not a date", prefix + "version": "x"},
    ]
    made = [
        AnswerForm(initial={"version": 0}, requirement=requirement()),
        AnswerForm(initial=initial | {"version": 3}, requirement=requirement(), stored=stored),
        AnswerForm(initial={"version": 0}, requirement=requirement("3.5.3", 3), objective_mode=True),
        AnswerForm(initial={"version": 0}, requirement=requirement("3.12.4")),
    ]
    for data in bound:
        form = AnswerForm(data, requirement=requirement())
        form.is_valid()
        made.append(form)
    return made


@pytest.mark.parametrize("index", range(8))
def test_the_answer_controls_print_what_the_widget_templates_print(index):
    form = answer_forms()[index]
    fields = answer_controls.answer_fields(form)
    if form.requirement.nist_id == "3.12.4":
        # 3.12.4 is never not applicable: it prints no "why not applicable" box (the old loop printed one).
        form.fields.pop("justification")
    # (the old loop's last field is the skipped version: no newline to drop after it)
    assert fields == OLD_FIELDS.render(Context({"form": form})).removesuffix("\n")
    assert answer_controls.answer_choices(form["status"]) == OLD_ANSWER_CHOICES.render(
        Context({"field": form["status"]}))
    assert answer_controls.control(form["version"]) == str(form["version"])
    for field in form:
        assert answer_controls.control(field) == str(field), field.name


def test_the_user_text_comes_out_escaped_in_the_control():
    form = answer_forms()[1]
    note = str(answer_controls.control(form["note"]))
    assert "<script>" not in note and "&lt;/textarea&gt;&lt;script&gt;" in note
    evidence = str(answer_controls.control(form["evidence"]))
    assert 'value="a &amp; &lt;b&gt;&quot;q&quot;&lt;/b&gt; &#x27;s&#x27;' in evidence


def test_a_field_with_errors_names_its_message_and_is_marked_invalid():
    form = answer_forms()[6]  # N/A without a justification
    markup = str(answer_controls.answer_fields(form))
    assert 'aria-describedby="id_r3-1-1-justification-error"' in markup
    assert 'aria-invalid="true"' in markup
    assert '<div class="invalid-feedback d-block" id="id_r3-1-1-justification-error">Not applicable needs' in markup


@pytest.mark.parametrize("status", ["", "met", "not_met", "na"])
def test_the_objective_choices_print_what_the_widget_templates_print(status):
    for data in (None, {"o3-1-1-a--status": status, "o3-1-1-a--version": "1"}):
        form = ObjectiveAnswerForm(data, initial={"status": status, "version": 1}, objective_id="3.1.1[a]")
        form.is_valid()
        assert answer_controls.objective_choices(form["status"]) == OLD_OBJECTIVE_CHOICES.render(
            Context({"field": form["status"]}))
        assert answer_controls.control(form["version"]) == str(form["version"])


def test_the_memo_tells_true_from_one_and_other_widgets_fall_back_to_django():
    def text_form(flag: object) -> forms.Form:
        class Flagged(forms.Form):
            x = forms.CharField(widget=forms.TextInput(attrs={"data-x": flag}))
            kind = forms.ChoiceField(choices=[("1", "One"), ("2", "Two")], widget=forms.Select)
            pick = forms.ChoiceField(choices=[("1", "One")], widget=forms.RadioSelect(attrs={"data-y": ["a", "b"]}))

        return Flagged({"x": "v", "kind": "2", "pick": "1"})

    with_true, with_one = text_form(True), text_form(1)
    assert answer_controls.control(with_true["x"]) == str(with_true["x"])
    assert ' data-x required id="id_x"' in str(answer_controls.control(with_true["x"]))
    assert answer_controls.control(with_one["x"]) == str(with_one["x"])  # not the memo of True
    assert ' data-x="1" required id="id_x"' in str(answer_controls.control(with_one["x"]))
    assert answer_controls.control(with_true["kind"]) == str(with_true["kind"])  # a <select>: Django's rendering
    assert answer_controls.answer_choices(with_true["pick"]) == OLD_ANSWER_CHOICES.render(
        Context({"field": with_true["pick"]}))  # a list in the attributes: not memoised, still the same markup


# What a stored answer can hold: any text (markup, quotes, newlines, unicode), nothing, or a date.
STORED_TEXT = st.one_of(st.none(), st.just(""), st.just(NASTY), st.text(max_size=40))


@given(note=STORED_TEXT, evidence=STORED_TEXT, responsible=STORED_TEXT,
       planned=st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))),
       version=st.integers(min_value=0, max_value=10**6), status=st.sampled_from(["", "met", "not_met", "na"]),
       nist_id=st.sampled_from(["3.1.1", "3.5.3", "3.12.4"]))
@settings(max_examples=150)
def test_a_form_as_stored_prints_what_django_prints_whatever_it_holds(note, evidence, responsible, planned,
                                                                      version, status, nist_id):
    # The page as stored goes through the split markup of each field (``_unbound``); each value, printed after any
    # other, must come out exactly as Django's widget templates print it.
    partial = 3 if nist_id == "3.5.3" else None
    initial = {"status": status, "justification": note, "note": note, "evidence": evidence,
               "responsible": responsible, "planned_date": planned, "version": version}
    form = AnswerForm(initial=initial, requirement=requirement(nist_id, partial))
    fields = answer_controls.answer_fields(form)
    choices = answer_controls.answer_choices(form["status"])
    versions = answer_controls.control(form["version"])
    if nist_id == "3.12.4":
        form.fields.pop("justification")
    assert fields == OLD_FIELDS.render(Context({"form": form})).removesuffix("\n")
    assert choices == OLD_ANSWER_CHOICES.render(Context({"field": form["status"]}))
    assert versions == str(form["version"])
    for field in form:
        assert answer_controls.control(field) == str(field), field.name
