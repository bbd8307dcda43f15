"""Shared steps for the start / resume / questionnaire view tests (personas: owner, outsider, no link)."""

import re

import lxml.html
from django.test import Client
from django.urls import reverse

from assessments.models import Answer, Assessment
from controls.models import Requirement

KEY_RE = re.compile(r"\b[A-Z2-9]{4}(?:-[A-Z2-9]{4}){7}\b")
INTAKE = {"organization_name": "Acme", "target_level": "l2", "scope": "enterprise", "has_ssp": "yes"}


def start(client: Client, name: str = "Acme", **extra) -> Assessment:
    """Start an assessment through the form, as its owner (the posting client's session holds the grant)."""
    response = client.post(reverse("assessments:start"), INTAKE | {"organization_name": name} | extra)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Assessment.objects.get(organization_name=name)


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


def assert_private(response) -> None:
    """Assessment pages: never stored by a cache, never indexed, never sent as a referrer to another site.

    "same-origin", not "no-referrer": with no-referrer Chromium sends `Origin: null` on same-origin form posts and
    Django's CSRF check refuses every plain form (test_browser_questionnaire starts an assessment through one).
    """
    assert "no-store" in response["Cache-Control"], response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]

