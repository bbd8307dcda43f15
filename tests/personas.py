"""People for the account, organisation and security tests.

``signed_in(user)`` is a client whose session passed password + TOTP, written the way allauth records it (a
shortcut so that tests of other things need not replay a login; the login itself is tested through the real
views in test_accounts_mfa.py). ``totp_now(user)`` computes the current code from the secret stored in the
database with RFC 6238 written out here, independently of allauth's implementation.
"""

import base64
import hashlib
import hmac
import struct
import time

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from assessments.access import SESSION_KEY
from assessments.forms import IntakeForm
from assessments.models import Answer, AnswerStatus, Assessment, ObjectiveAnswer, SspState
from assessments.scoring import SSP_REQUIREMENT
from assessments.views import PENDING_KEY_SESSION
from assessments.writes import save_answer
from controls.models import Objective, Requirement
from orgs.models import Membership, Organization, Role

PASSWORD = "a long passphrase nobody guesses 7"
AUTH_RECORDS_KEY = "account_authentication_methods"
AUTH_RECORDS_USER_KEY = "account_authentication_methods_user"


def make_user(email: str, *, totp: bool = True, password: str = PASSWORD):
    user = get_user_model().objects.create_user(username=email, email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if totp:
        TOTP.activate(user, generate_totp_secret())
    return user


def stored_secret(user) -> str:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    return decrypt(authenticator.data["secret"])


def totp_code(secret: str, at: float | None = None, period: int = 30, digits: int = 6) -> str:
    counter = int((time.time() if at is None else at) // period)
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_now(user) -> str:
    return totp_code(stored_secret(user))


def signed_in(user, client: Client | None = None, *, mfa: bool = True) -> Client:
    client = client or Client()
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    session = client.session
    now = time.time()
    records = [{"method": "password", "at": now, "email": user.email}]
    if mfa:
        records.append({"method": "mfa", "at": now, "id": 0, "type": "totp"})
    session[AUTH_RECORDS_KEY] = records
    session[AUTH_RECORDS_USER_KEY] = str(user.pk)
    session.save()
    return client


def make_org(name: str, **people: list) -> Organization:
    """make_org("Acme", owner=[u1], editor=[u2], viewer=[u3])"""
    org = Organization.objects.create(name=name)
    for role, users in people.items():
        for user in users:
            Membership.objects.create(user=user, organization=org, role=Role(role))
    return org


def make_assessment(org: Organization | None, name: str = "Acme", *, objective_mode: bool = False,
                    answers: dict[str, str] | None = None) -> Assessment:
    assessment = Assessment.objects.create(organization_name=name, organization=org, objective_mode=objective_mode)
    for nist_id, status in (answers or {"3.12.4": "met", "3.1.1": "met", "3.1.2": "not_met"}).items():
        Answer.objects.create(assessment=assessment, requirement=Requirement.objects.get(nist_id=nist_id),
                              status=status, note=f"note for {nist_id}")
    if objective_mode:
        for objective in Objective.objects.filter(requirement__nist_id="3.1.1"):
            ObjectiveAnswer.objects.create(assessment=assessment, objective=objective, status="met")
    return assessment


INTAKE = {"organization_name": "Acme", "target_level": "l2", "scope": "enterprise", "has_ssp": "yes"}


def start_anonymous(client: Client, name: str = "Acme", **intake) -> Assessment:
    """The anonymous front door without the request: what the start view leaves behind, made directly.

    The intake form validates and normalises ``intake`` as on the page; the assessment and its 3.12.4 answer are
    written, and ``client``'s session holds the grant with the recovery key due, as after the view's redirect.
    Most tests are about what comes after the start; tests/test_start_view.py posts the form itself
    (``start_through_the_form``), with its rate limit and session rotation.
    """
    form = IntakeForm(INTAKE | {"organization_name": name} | intake)
    assert form.is_valid(), form.errors.get_json_data()
    assessment = form.save()
    has_ssp = form.cleaned_data["has_ssp"] == SspState.YES
    save_answer(assessment=assessment, requirement=Requirement.objects.get(nist_id=SSP_REQUIREMENT),
                values={"status": AnswerStatus.MET if has_ssp else AnswerStatus.NOT_MET}, expected_version=0)
    hold(client, assessment, key_due=True)
    return assessment


def hold(client: Client, assessment: Assessment, *, key_due: bool = False) -> None:
    """Let ``client``'s browser session open ``assessment``, as the start and resume views grant it."""
    session = client.session
    session[SESSION_KEY] = [*session.get(SESSION_KEY, []), str(assessment.access_id)][-50:]
    if key_due:
        session[PENDING_KEY_SESSION] = [*session.get(PENDING_KEY_SESSION, []), assessment.public_id][-20:]
    session.save()


def start_through_the_form(client: Client, name: str = "Acme", **intake) -> Assessment:
    """The anonymous front door as a browser uses it: the posting client's session holds the grant."""
    response = client.post(reverse("assessments:start"), INTAKE | {"organization_name": name} | intake)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Assessment.objects.get(organization_name=name)
