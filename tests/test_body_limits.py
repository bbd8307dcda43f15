"""cmmc_site/body_limits.py: bodies over a route's limit are refused (413) before anything reads them, and uploads
are rate limited (429 with Retry-After)."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from assessments.assessment_file import MAX_FILE_BYTES
from cmmc_site import body_limits
from ssp.images import MAX_UPLOAD_BYTES
from tests.personas import make_assessment, make_org, make_user, signed_in

pytestmark = pytest.mark.django_db

IMPORT = reverse("assessments:import")
MULTIPART = "multipart/form-data; boundary=xyz"


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test the moment anything reads it."""

    def __init__(self) -> None:
        self.read_from = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.read_from = True
        raise AssertionError("the request body was read")


def post_declaring(client: Client, path: str, length: int, **extra) -> tuple[object, UnreadableBody]:
    body = UnreadableBody()
    environ = {"CONTENT_TYPE": MULTIPART, "CONTENT_LENGTH": str(length), "wsgi.input": body} | extra
    response = client.generic("POST", path, b"", **environ)
    return response, body


def test_a_gigabyte_declared_to_the_import_by_an_anonymous_client_gets_413_unread():
    response, body = post_declaring(Client(), IMPORT, 2**30)
    assert response.status_code == 413 and not body.read_from
    assert f"larger than {MAX_FILE_BYTES // 2**20} MB" in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_a_512_mb_body_to_a_route_that_does_not_exist_gets_413_unread():
    response, body = post_declaring(Client(), "/no/such/page/", 512 * 2**20)
    assert response.status_code == 413 and not body.read_from
    assert "larger than this page accepts" in response.content.decode()


def test_an_ordinary_form_takes_at_most_the_default_limit():
    resume = reverse("assessments:resume")
    response, body = post_declaring(Client(), resume, settings.MAX_REQUEST_BODY + 1)
    assert response.status_code == 413 and not body.read_from
    # At the limit the body is the view's to read (here: a form just over Django's own field limit, 400).
    response = Client().post(resume, {"recovery_key": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert response.status_code == 400


def test_the_diagram_upload_takes_a_little_more_than_its_5_mb_and_no_more(org_people):
    from ssp.models import create_ssp

    assessment = make_assessment(org_people["acme"], "Acme")
    create_ssp(assessment=assessment)
    path = reverse("ssp:diagram_upload", args=[assessment.public_id])
    editor = org_people["clients"]["editor"]
    response, body = post_declaring(editor, path, MAX_UPLOAD_BYTES + body_limits.UPLOAD_SLACK + 1)
    assert response.status_code == 413 and not body.read_from
    assert "larger than 5 MB" in response.content.decode()
    # A stranger is refused the same way: the size is checked before anything else, so it costs nothing.
    response, body = post_declaring(org_people["clients"]["other_org"], path, 2**30)
    assert response.status_code == 413 and not body.read_from


def test_a_file_a_little_over_the_import_limit_is_still_read_so_its_form_can_say_so():
    assert body_limits.body_limit("assessments:import") == MAX_FILE_BYTES + body_limits.UPLOAD_SLACK
    upload = io.BytesIO(b'{"pad": "' + b"x" * MAX_FILE_BYTES + b'"}')
    upload.name = "assessment.json"
    response = Client().post(IMPORT, {"file": upload})
    assert response.status_code == 400
    assert response.context["form"].errors.as_data()["file"][0].code == "file_too_large"


def test_a_chunked_body_without_a_length_gets_411_unread():
    body = UnreadableBody()
    response = Client().generic("POST", IMPORT, b"", **{"CONTENT_TYPE": MULTIPART, "HTTP_TRANSFER_ENCODING": "chunked",
                                                        "wsgi.input": body})
    assert response.status_code == 411 and not body.read_from


def test_a_content_length_that_is_not_a_number_gets_400_unread():
    response, body = post_declaring(Client(), "/no/such/page/", 0, CONTENT_LENGTH="12, 13")
    assert response.status_code == 400 and not body.read_from


def test_the_refusal_carries_the_security_headers_and_the_request_id():
    response, _ = post_declaring(Client(), IMPORT, 2**30)
    assert response.status_code == 413
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def named(content: bytes, name: str = "assessment.json") -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def test_the_eleventh_import_upload_in_a_minute_gets_429_with_retry_after(rate_clock):
    assert settings.UPLOAD_RATE_LIMIT == (10, 60)
    client = Client()
    for _ in range(10):
        assert client.post(IMPORT, {"file": named(b"not json")}).status_code == 400  # counted, valid or not
    response = client.post(IMPORT, {"file": named(b"not json")})
    assert response.status_code == 429
    assert response["Retry-After"] == "30"  # the clock is 30 s into its minute
    assert client.get(IMPORT).status_code == 200  # the page itself is not limited
    assert Client(REMOTE_ADDR="203.0.113.9").post(IMPORT, {"file": named(b"x")}).status_code == 400
    rate_clock.now += 30
    assert client.post(IMPORT, {"file": named(b"not json")}).status_code == 400


def test_diagram_uploads_are_rate_limited_too(rate_clock):
    owner = make_user("owner@acme.test")
    assessment = make_assessment(make_org("Acme", owner=[owner]), "Acme")
    from ssp.models import create_ssp

    create_ssp(assessment=assessment)
    path = reverse("ssp:diagram_upload", args=[assessment.public_id])
    client = signed_in(owner)
    statuses = [client.post(path, {"image": named(b"GIF89a", "net.png")}).status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]


def test_the_environment_page_takes_a_diagram_and_only_its_saves_with_a_file_count_as_uploads(rate_clock):
    from ssp.models import create_ssp

    owner = make_user("owner@acme.test")
    assessment = make_assessment(make_org("Acme", owner=[owner]), "Acme")
    create_ssp(assessment=assessment)
    path = reverse("ssp:environment", args=[assessment.public_id])
    client = signed_in(owner)
    response, body = post_declaring(client, path, MAX_UPLOAD_BYTES + body_limits.UPLOAD_SLACK + 1)
    assert response.status_code == 413 and not body.read_from
    assert "larger than 5 MB" in response.content.decode()
    # Saving the page (its fields only: no file chosen) is not an upload, however often.
    for _ in range(11):
        assert client.post(path, {"boundary": "One office."}).status_code == 400  # the tables' management data
    statuses = [client.post(path, {"image": named(b"GIF89a", "net.png")}).status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]


def test_the_proxy_limit_in_the_readme_lets_the_largest_route_through():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", readme).group(1))
    assert megabytes * 2**20 >= body_limits.largest_body_limit() == MAX_FILE_BYTES + body_limits.UPLOAD_SLACK
