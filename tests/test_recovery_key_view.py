import hashlib
import math

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from assessments.models import RECOVERY_ALPHABET, Assessment, hash_key

from .questionnaire_helpers import (
    INTAKE,
    KEY_RE,
    assert_private,
    html,
    outsider,
    post_answer,
    start,
    start_and_read_key,
    text,
)

pytestmark = pytest.mark.django_db


def key_url(assessment: Assessment) -> str:
    return reverse("assessments:recovery_key", args=[assessment.public_id])


def forms_of(key: str) -> list[str]:
    """The ways a key could leak: as shown, without dashes, lower case."""
    bare = key.replace("-", "")
    return [key, bare, key.lower(), bare.lower()]


def leaks(key: str, blob: str) -> bool:
    return any(form in blob for form in forms_of(key))


def test_the_key_is_shown_once_in_groups_with_copy_download_and_what_it_means(client):
    assessment = start(client)
    response = client.get(key_url(assessment))
    assert response.status_code == 200
    doc = html(response)
    shown = text(doc.xpath("//*[@id='recovery-key']")[0])
    assert KEY_RE.fullmatch(shown), shown  # 8 groups of 4
    assert doc.xpath("//button[@data-copy-target='recovery-key']")
    download = doc.xpath("//a[@download]/@href")[0]
    assert download.startswith("data:text/plain") and shown in download
    assert "Anyone holding this key can open this assessment" in text(doc.xpath("//main")[0])
    assert_private(response)
    # The second look shows no key: only its hash exists now.
    again = client.get(key_url(assessment))
    assert again.status_code == 200
    assert not KEY_RE.search(again.content.decode())
    assert "cannot be shown again" in again.content.decode()


def test_the_key_has_at_least_128_random_bits(client):
    _, first = start_and_read_key(client, "First")
    _, second = start_and_read_key(client, "Second")
    symbols = first.replace("-", "")
    assert set(symbols) <= set(RECOVERY_ALPHABET)
    assert len(symbols) * math.log2(len(RECOVERY_ALPHABET)) >= 128
    assert first != second


def test_the_database_holds_only_a_hash_of_the_key(client):
    assessment = start(client)
    # Before the key page is shown, no key exists anywhere, not even in the session table.
    assert Assessment.objects.get().recovery_key_hash == ""
    response = client.get(key_url(assessment))
    key = KEY_RE.search(response.content.decode()).group()
    stored = Assessment.objects.get()
    assert stored.recovery_key_hash == hashlib.sha256(key.replace("-", "").encode()).hexdigest()
    # No table (sessions and cache included) holds the key in any form.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                assert not leaks(key, repr(row)), table


def test_the_key_is_in_exactly_one_response_and_never_in_a_location_header(client):
    seen: list[tuple[str, str]] = []

    def visit(method: str, url: str, data: dict | None = None, **extra):
        response = getattr(client, method)(url, data or {}, **extra)
        headers = "\n".join(f"{k}: {v}" for k, v in response.items())
        seen.append((f"{method.upper()} {url}", headers + "\n" + response.content.decode()))
        return response

    response = visit("post", reverse("assessments:start"), INTAKE)
    assessment = Assessment.objects.get()
    pid = assessment.public_id
    visit("get", response["Location"])
    for url in (
        reverse("home"), reverse("assessments:overview", args=[pid]), key_url(assessment),
        reverse("assessments:edit", args=[pid]), reverse("assessments:family", args=[pid, "AC"]),
        reverse("assessments:results", args=[pid]), reverse("assessments:answer_history", args=[pid, "3.12.4"]),
        reverse("assessments:resume"),
    ):
        visit("get", url)
    visit("post", reverse("assessments:answer", args=[pid, "3.1.1"]),
          {"r3-1-1-status": "met", "r3-1-1-version": "0"}, HTTP_HX_REQUEST="true")
    key = KEY_RE.search(seen[1][1]).group()
    carrying = [name for name, blob in seen if leaks(key, blob)]
    assert carrying == [f"GET {key_url(assessment)}"]


def test_making_a_new_key_revokes_the_old_one_at_once(client):
    assessment, old = start_and_read_key(client)
    response = client.post(key_url(assessment))
    # Post/redirect/get: the POST's answer carries no key, the page it leads to shows the new one once.
    assert response.status_code == 302 and response["Location"] == key_url(assessment)
    assert not leaks(old, response.content.decode())
    assert Assessment.objects.get().recovery_key_hash == ""  # the old key already stopped working
    page = client.get(key_url(assessment))
    new = KEY_RE.search(page.content.decode()).group()
    assert new != old
    assert "The old recovery key no longer works" in page.content.decode()
    assert Assessment.objects.get().recovery_key_hash == hash_key(new)
    assert Client().post(reverse("assessments:resume"), {"recovery_key": old}).status_code == 400
    assert Client().post(reverse("assessments:resume"), {"recovery_key": new}).status_code == 302


def test_reloading_the_key_page_after_a_new_key_does_not_make_another(client):
    assessment, _ = start_and_read_key(client)
    client.post(key_url(assessment))
    client.get(key_url(assessment))
    hashed = Assessment.objects.get().recovery_key_hash
    assert not KEY_RE.search(client.get(key_url(assessment)).content.decode())
    assert Assessment.objects.get().recovery_key_hash == hashed


def test_a_key_not_shown_yet_is_shown_when_the_owner_opens_the_page_later(client):
    # The owner skipped the key page (closed the tab); the key is made when the page is finally opened.
    assessment = start(client)
    post_answer(client, assessment, "3.1.1", status="met")
    response = client.get(key_url(assessment))
    assert KEY_RE.search(response.content.decode())


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_an_outsider_and_no_link_get_404_and_change_nothing(client, method):
    assessment, key = start_and_read_key(client)
    for stranger in (outsider(), Client()):
        response = getattr(stranger, method)(key_url(assessment))
        assert response.status_code == 404
        assert not KEY_RE.search(response.content.decode())
    assert Assessment.objects.get(pk=assessment.pk).recovery_key_hash == hash_key(key)


def test_the_owner_gets_405_for_other_methods(client):
    assessment = start(client)
    assert client.put(key_url(assessment)).status_code == 405


def test_the_key_page_leads_straight_to_the_first_family_with_a_question_left(client):
    from .questionnaire_helpers import answer_all

    assessment = start(client)
    family = reverse("assessments:family", args=[assessment.public_id, "AC"])
    link = html(client.get(key_url(assessment))).xpath("//a[@data-testid='continue-answering']")[0]
    assert (link.get("href"), text(link)) == (family, "Continue to the questions: Access Control")
    answer_all(assessment, except_=("3.2.1",))
    link = html(client.get(key_url(assessment))).xpath("//a[@data-testid='continue-answering']")[0]
    assert text(link) == "Continue to the questions: Awareness and Training"
    answer_all(assessment)
    doc = html(client.get(key_url(assessment)))
    assert not doc.xpath("//a[@data-testid='continue-answering']")
    assert doc.xpath(f"//a[@href='{reverse('assessments:overview', args=[assessment.public_id])}']")
