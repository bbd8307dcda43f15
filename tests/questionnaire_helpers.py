"""Shared steps for the start / resume / questionnaire view tests (personas: owner, outsider, no link)."""

import re
from urllib.parse import quote, urlencode

import lxml.html
from django.test import Client
from django.urls import reverse
from hypothesis import strategies as st

from assessments.models import Answer, Assessment
from controls.models import Requirement

# INTAKE and start_through_the_form are what the start view's own tests post.
from .personas import INTAKE, start_anonymous, start_through_the_form  # noqa: F401

KEY_RE = re.compile(r"\b[A-Z2-9]{4}(?:-[A-Z2-9]{4}){7}\b")


def start(client: Client, name: str = "Acme", **extra) -> Assessment:
    """A new anonymous assessment with ``client`` as its owner (its session holds the grant), made directly: see
    personas.start_anonymous. Tests of the start view itself use ``start_through_the_form``."""
    return start_anonymous(client, name, **extra)


def start_and_read_key(client: Client, name: str = "Acme", **extra) -> tuple[Assessment, str]:
    assessment = start(client, name, **extra)
    response = client.get(reverse("assessments:recovery_key", args=[assessment.public_id]))
    found = KEY_RE.findall(response.content.decode())
    assert found, "the key page shows no key"
    return assessment, found[0]


def outsider() -> Client:
    """Someone else: a browser with an assessment of its own, but not this one."""
    other = Client()
    start(other, "Other Co")
    return other


def answer_all(assessment: Assessment, status: str = "met", *, except_: tuple[str, ...] = ()) -> int:
    """Answer every requirement in scope (but ``except_``) straight in the database; returns how many rows exist."""
    requirements = Requirement.objects.exclude(nist_id__in=except_)
    if assessment.target_level == "l1":
        requirements = requirements.exclude(level1_id="")
    existing = set(Answer.objects.filter(assessment=assessment).values_list("requirement_id", flat=True))
    Answer.objects.bulk_create(
        Answer(assessment=assessment, requirement=req, status=status,
               justification="Not in our environment" if status == "na" else "")
        for req in requirements if req.pk not in existing
    )
    return Answer.objects.filter(assessment=assessment).count()


def prefix(nist_id: str) -> str:
    return "r" + nist_id.replace(".", "-")


def answer_data(nist_id: str, version: int, **fields) -> dict:
    return {f"{prefix(nist_id)}-{name}": value for name, value in ({"version": version} | fields).items()}


def post_answer(client: Client, assessment: Assessment, nist_id: str, *, version: int | None = None, htmx: bool = True,
                **fields):
    """POST one answer the way the page does (htmx unless told otherwise); version defaults to the stored one."""
    if version is None:
        stored = Answer.objects.filter(assessment=assessment, requirement__nist_id=nist_id).first()
        version = stored.version if stored else 0
    url = reverse("assessments:answer", args=[assessment.public_id, nist_id])
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(url, answer_data(nist_id, version, **fields), **extra)


def objective_prefix(objective_id: str) -> str:
    return "o" + re.sub(r"[^0-9a-z]", "-", objective_id)


def post_objective(client: Client, assessment: Assessment, objective_id: str, status: str, *, version: int = 0,
                   htmx: bool = True):
    url = reverse("assessments:objective", args=[assessment.public_id, objective_id])
    p = objective_prefix(objective_id)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(url, {f"{p}-status": status, f"{p}-version": version}, **extra)


def html(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.content.decode())


def text(node) -> str:
    return " ".join(" ".join(node.itertext()).split())


def by_testid(doc, testid: str) -> str:
    nodes = doc.xpath(f'//*[@data-testid="{testid}"]')
    assert nodes, f"nothing with data-testid={testid}"
    return " ".join(text(n) for n in nodes)


def _disabled(el) -> bool:
    """Disabled as a browser decides: its own attribute, or a disabled fieldset around it (but for that fieldset's
    first legend, which HTML leaves enabled)."""
    if el.get("disabled") is not None:
        return True
    for fieldset in el.iterancestors("fieldset"):
        if fieldset.get("disabled") is not None:
            legend = fieldset.find("legend")
            if legend is None or legend not in el.iterancestors():
                return True
    return False


def enabled_post_controls(doc) -> list:
    """What someone could use to change something from this page: every input (but hidden ones), select, textarea
    and button of a method=post form that is not disabled. The nav's sign-out form is not a change."""
    sign_out = reverse("account_logout")
    return [el for form in doc.xpath("//form[translate(@method, 'POST', 'post')='post']")
            if form.get("action") != sign_out
            for el in form.iter("input", "select", "textarea", "button")
            if not (el.tag == "input" and (el.get("type") or "").lower() == "hidden") and not _disabled(el)]


def assert_private(response) -> None:
    """Assessment pages: never stored by a cache, never indexed, never sent as a referrer to another site.

    "same-origin", not "no-referrer": with no-referrer Chromium sends `Origin: null` on same-origin form posts and
    Django's CSRF check refuses every plain form (test_browser_questionnaire starts an assessment through one).
    """
    assert "no-store" in response["Cache-Control"], response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]



# --- Big forms and hostile bodies (security check 18) -----------------------------------------------------------

def browser_submission(form, *, fill=None, choose=None, tick=None, click: tuple[str, str] | None = None
                       ) -> list[tuple[str, str]]:
    """What a browser sends for ``form`` (an lxml <form>): every enabled named control, in document order.

    Text inputs and textareas send ``fill(element)`` (None: what the page holds); a radio group or a select sends
    ``choose(name, values)`` (None: the option the page marks); a checkbox is sent when ``tick(element)`` (default:
    as the page has it); of the buttons only ``click`` (name, value). File inputs send nothing.
    """
    pairs: list[tuple[str, str]] = []
    radio_groups: set[str] = set()
    for el in form.iter("input", "textarea", "select", "button"):
        name = el.get("name")
        if not name or el.get("disabled") is not None:
            continue
        kind = (el.get("type") or ("submit" if el.tag == "button" else "text")).lower()
        if el.tag == "button" or kind in ("submit", "image", "reset"):
            if click == (name, el.get("value", "")):
                pairs.append(click)
        elif kind == "file":
            continue
        elif kind == "checkbox":
            if (tick or (lambda e: e.get("checked") is not None))(el):
                pairs.append((name, el.get("value", "on")))
        elif kind == "radio":  # one entry per group, at its first radio
            if name not in radio_groups:
                radio_groups.add(name)
                group = form.xpath(".//input[@type='radio'][@name=$n]", n=name)
                values = [e.get("value", "on") for e in group]
                marked = [e.get("value", "on") for e in group if e.get("checked") is not None]
                chosen = choose(name, values) if choose else None
                chosen = chosen if chosen is not None else (marked[0] if marked else None)
                if chosen is not None:
                    pairs.append((name, chosen))
        elif el.tag == "select":
            values = [o.get("value", o.text or "") for o in el.iter("option")]
            marked = [o.get("value", o.text or "") for o in el.iter("option") if o.get("selected") is not None]
            chosen = choose(name, values) if choose else None
            pairs.append((name, chosen if chosen is not None else (marked or values or [""])[0]))
        else:
            current = el.get("value", "") if el.tag == "input" else (el.text or "").removeprefix("\n")
            value = fill(el) if fill and kind != "hidden" else None
            pairs.append((name, current if value is None else value))
    return pairs


def hostile_body(fields: dict[str, str]) -> bytes:
    """A form body as a hostile client may send it: URL-encoded UTF-8, in which a lone surrogate stays the
    invalid three-byte sequence a careless encoder writes (the test client would refuse to encode it)."""
    def enc(value: str) -> str:
        return quote(value.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in fields.items()).encode("ascii")


def as_received(value: str) -> str:
    """What the server reads from ``hostile_body``: Django's QueryDict decodes with errors="replace", so invalid
    UTF-8 becomes U+FFFD."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def post_hostile(client: Client, url: str, fields: dict[str, str], *, htmx: bool = True):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.generic("POST", url, hostile_body(fields), content_type="application/x-www-form-urlencoded",
                          **extra)


# Any text, with NUL bytes, lone surrogates and the usual troublemakers mixed in.
HOSTILE_CHARS = st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from("\x00\r\n\t \u202e\ufeff"))
HOSTILE_TEXT = st.text(HOSTILE_CHARS, max_size=40)


def hostile_value(limit: int) -> st.SearchStrategy[str]:
    """Short hostile text, or hostile text repeated to one character over ``limit``."""
    long = HOSTILE_TEXT.filter(str.strip).map(lambda s: (s * (limit // len(s) + 2))[:limit + 1])
    return st.one_of(HOSTILE_TEXT, long)


def hostile_version(current: int) -> st.SearchStrategy[str]:
    """A version other than the stored one the page sends: a deliberately stale or a tampered one."""
    return st.one_of(HOSTILE_TEXT, st.integers().map(str)).filter(lambda v: v != str(current))


# Plain text as a user types it (no control characters, no lone surrogates).
BENIGN_TEXT = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=40)


def fuzz_fields(data, benign: dict[str, st.SearchStrategy], hostile: dict[str, st.SearchStrategy]) -> dict[str, str]:
    """A form's fields as a hostile client sends them: one or two get a hostile value, the rest what a page could
    send, and sometimes one is left out of the body altogether."""
    bad = data.draw(st.sets(st.sampled_from(sorted(hostile)), min_size=1, max_size=2), label="hostile fields")
    left_out = data.draw(st.sets(st.sampled_from(sorted(benign)), max_size=1), label="left out")
    return {name: data.draw(hostile[name] if name in bad else benign[name], label=name)
            for name in benign if name not in left_out}


def post_submission(client: Client, url: str, pairs: list[tuple[str, str]], **extra):
    """POST ``pairs`` as a browser posts a form without an enctype: URL-encoded, in order."""
    return client.post(url, urlencode(pairs), content_type="application/x-www-form-urlencoded", **extra)
