"""Organisation rules in the models (check 20, on SQLite and PostgreSQL): constraints, atomic multi-row writes."""

import pytest
from django.db import IntegrityError, transaction

from assessments.models import Answer, Assessment
from assessments.writes import claim_assessments
from orgs.models import (
    Invitation,
    Membership,
    MembershipError,
    Role,
    accept_invitation,
    create_invitation,
    find_invitation,
    hash_token,
    remove_member,
    role_at_least,
)
from tests.personas import make_assessment, make_org, make_user

pytestmark = pytest.mark.django_db


def test_roles_are_ordered_viewer_editor_owner():
    assert role_at_least(Role.OWNER, Role.EDITOR) and role_at_least(Role.EDITOR, Role.EDITOR)
    assert not role_at_least(Role.VIEWER, Role.EDITOR) and not role_at_least(None, Role.VIEWER)


def test_a_user_has_one_membership_per_organisation():
    user = make_user("a@example.test")
    org = make_org("Acme", owner=[user])
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, organization=org, role=Role.VIEWER)


def test_an_invalid_role_is_refused_by_the_database_even_through_update():
    org = make_org("Acme", owner=[make_user("a@example.test")])
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(organization=org).update(role="admin")
    invitation, _ = create_invitation(organization=org, email="b@example.test", role=Role.VIEWER, invited_by=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(role="god")


def test_an_invitation_keeps_only_the_hash_and_is_found_by_its_token():
    org = make_org("Acme")
    invitation, token = create_invitation(organization=org, email="b@example.test", role=Role.EDITOR,
                                          invited_by=None)
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    assert find_invitation(token) == invitation
    assert find_invitation(token + "x") is None and find_invitation("") is None


def test_accepting_twice_fails_the_second_time():
    org = make_org("Acme")
    user = make_user("b@example.test")
    invitation, _ = create_invitation(organization=org, email=user.email, role=Role.EDITOR, invited_by=None)
    accept_invitation(invitation_id=invitation.pk, user=user)
    with pytest.raises(MembershipError) as error:
        accept_invitation(invitation_id=invitation.pk, user=make_user("c@example.test"))
    assert error.value.code == "invitation_unusable"
    assert Membership.objects.filter(organization=org).count() == 1


def test_the_last_owner_cannot_be_removed_but_one_of_two_can():
    first, second = make_user("a@example.test"), make_user("b@example.test")
    make_org("Acme", owner=[first, second])
    remove_member(membership=Membership.objects.get(user=first))
    with pytest.raises(MembershipError):
        remove_member(membership=Membership.objects.get(user=second))


def test_a_claim_that_fails_half_way_moves_nothing(monkeypatch):
    org = make_org("Acme")
    first, second = make_assessment(None, "One"), make_assessment(None, "Two")
    before = {a.pk: (a.access_id, a.organization_id) for a in (first, second)}
    real_save = Assessment.save
    calls = []

    def failing_save(self, *args, **kwargs):
        calls.append(self.pk)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Assessment, "save", failing_save)
    with pytest.raises(RuntimeError):
        claim_assessments(assessment_ids=[first.pk, second.pk], organization=org)
    monkeypatch.undo()
    after = {a.pk: (a.access_id, a.organization_id) for a in Assessment.objects.filter(pk__in=before)}
    assert after == before
    assert Answer.objects.filter(assessment__in=[first, second]).count() == 6


def test_an_organisation_with_assessments_cannot_be_deleted_by_accident():
    org = make_org("Acme")
    make_assessment(org)
    with pytest.raises(IntegrityError), transaction.atomic():
        org.delete()
