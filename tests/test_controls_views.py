import re

import pytest
from django.urls import reverse

from controls.models import Family, Requirement

pytestmark = pytest.mark.django_db


def test_catalog_page_lists_all_110_requirements_with_points_and_level1_badges(client, django_assert_num_queries):
    # 1: the catalog revision (the families, the requirements and their rendered rows are in memory per revision:
    # controls/snapshot.py; the filters apply to them there).
    with django_assert_num_queries(1):
        response = client.get(reverse("controls:catalog"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "110 requirements shown" in body
    assert body.count('title="CMMC Level 1 practice') == 17
    assert "Authorized Access Control" in body


@pytest.mark.parametrize(
    "params, count",
    [({"family": "PS"}, 2), ({"points": "5"}, 44), ({"points": "3"}, 14), ({"level1": "1"}, 17),
     ({"q": "multifactor"}, None), ({"family": "NOPE"}, 0), ({"points": "7"}, 110)],
)
def test_catalog_filters_narrow_the_list(client, params, count):
    response = client.get(reverse("controls:catalog"), params)
    assert response.status_code == 200
    if count is not None:
        assert len(response.context["requirements"]) == count
    else:
        assert "3.5.3" in [r.nist_id for r in response.context["requirements"]]


def test_catalog_query_count_is_constant_whatever_the_filter(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(reverse("controls:catalog"), {"family": "AC", "level1": "1", "q": "access"})


def test_requirement_page_explains_points_partial_credit_and_poam(client, django_assert_num_queries):
    # 1: requirement with family; 2: its objectives.
    with django_assert_num_queries(2):
        response = client.get(reverse("controls:detail", args=["3.13.11"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Employ FIPS-validated cryptography" in body
    assert "subtract 3 instead of 5" in body.lower()
    assert "only in its partial state" in body
    assert "3.13.11[a]" not in body and "[a]" in body


def test_each_objective_reads_as_a_sentence_of_its_own(client):
    # SP 800-171A writes "authorized users are identified" after "Determine if:"; listed alone, it starts a sentence.
    body = client.get(reverse("controls:detail", args=["3.1.1"])).content.decode()
    assert "<strong>[a]</strong> Authorized users are identified</li>" in body
    assert "</strong> authorized" not in body


def test_never_poam_requirement_says_so(client):
    body = client.get(reverse("controls:detail", args=["3.1.20"])).content.decode()
    assert "May never be on a POA&amp;M" in body


def test_ssp_requirement_is_unscored_but_blocks_any_score(client):
    body = client.get(reverse("controls:detail", args=["3.12.4"])).content.decode()
    assert "Not scored" in body and "no SPRS score can be produced" in body


def test_unknown_requirement_is_404(client):
    assert client.get("/controls/3.99.99/").status_code == 404
    assert client.get("/controls/not-an-id/").status_code == 404


def test_pages_carry_a_strict_csp_and_no_external_resources(client):
    response = client.get(reverse("controls:catalog"))
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    body = response.content.decode()
    assert "http://" not in body.replace("http://www.w3.org", "") and "https://" not in body
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "not legal advice" in body


def test_the_catalog_lists_each_family_once_in_catalog_order(client):
    # Grouped by family in the order of the catalog (on PostgreSQL an aggregate query once listed them in any order,
    # so a family could appear in several pieces).
    body = client.get(reverse("controls:catalog")).content.decode()
    headings = re.findall(r'<h2 class="h5 mt-4" id="family-([A-Z]{2})"', body)
    assert headings == list(Family.objects.order_by("position").values_list("code", flat=True))
    listed = re.findall(r'<a href="/controls/(3\.\d+\.\d+)/">', body)
    assert listed == list(Requirement.objects.order_by("position").values_list("nist_id", flat=True))


def test_each_selection_shows_its_own_rows_whichever_was_shown_before(client):
    # The table of a filter is kept per catalog revision, a search's is not: in any order, each page lists exactly
    # the requirements it selects.
    requirements = list(Requirement.objects.select_related("family").order_by("position"))
    selections = [
        ({}, requirements),
        ({"family": "PS"}, [r for r in requirements if r.family.code == "PS"]),
        ({"q": "password"}, [r for r in requirements if "password" in (r.text + r.cmmc_title).lower()]),
        ({"q": "multifactor"}, [r for r in requirements if "multifactor" in (r.text + r.cmmc_title).lower()]),
        ({"level1": "1", "points": "5"}, [r for r in requirements if r.level1_id and r.points == 5]),
    ]
    for _ in range(2):
        for params, expected in selections:
            body = client.get(reverse("controls:catalog"), params).content.decode()
            shown = re.findall(r'<td class="text-nowrap"><a href="/controls/([0-9.]+)/">', body)
            assert shown == [r.nist_id for r in expected], params
            assert expected, params
