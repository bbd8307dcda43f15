"""Organisations own assessments; people belong to organisations with a role. Each person has their own login."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone


def new_public_id() -> str:
    # 128 random bits: names the organisation in URLs; membership, not the id, grants access.
    return secrets.token_urlsafe(16)


class Role(models.TextChoices):
    OWNER = "owner", "Owner (members, delete)"
    EDITOR = "editor", "Editor (answer, generate documents)"
    VIEWER = "viewer", "Viewer (read and download)"


ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


def role_at_least(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(needed)]


class Organization(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id, editable=False)
    name = models.CharField("organisation name", max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=6, choices=Role)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_user_and_org"),
            models.CheckConstraint(condition=models.Q(role__in=["owner", "editor", "viewer"]),
                                   name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


INVITATION_LIFETIME = timedelta(days=7)


def hash_token(token: str) -> str:
    # Invitation tokens carry 256 random bits, so a fast hash is enough.
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=6, choices=Role)
    # Only the hash is stored; the token itself is in the emailed link and nowhere else.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=["owner", "editor", "viewer"]),
                                   name="invitation_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.role})"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class MembershipError(Exception):
    """A membership change that would break a rule; ``code`` names the rule."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@transaction.atomic
def create_organization(*, name: str, owner) -> Organization:
    org = Organization.objects.create(name=name)
    Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
    return org


def create_invitation(*, organization: Organization, email: str, role: str, invited_by) -> tuple[Invitation, str]:
    """A new invitation and its token (returned once, for the email; only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization, email=email.strip(), role=role, token_hash=hash_token(token),
        invited_by=invited_by, expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return Invitation.objects.select_related("organization", "invited_by").filter(
        token_hash=hash_token(token)).first()


@transaction.atomic
def accept_invitation(*, invitation_id: int, user) -> Membership:
    """Spend the invitation (once) and make the user a member; an existing membership keeps the higher role."""
    invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_usable:
        raise MembershipError("This invitation has expired or was already used.", code="invitation_unusable")
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user, organization_id=invitation.organization_id, defaults={"role": invitation.role})
    if not created and ROLE_RANK[Role(invitation.role)] > ROLE_RANK[Role(membership.role)]:
        membership.role = invitation.role
        membership.save(update_fields=["role"])
    return membership


def _owner_count(organization_id: int) -> int:
    # Lock the owner rows so two concurrent removals cannot both pass the "another owner remains" check.
    return len(Membership.objects.select_for_update().filter(organization_id=organization_id, role=Role.OWNER)
               .values_list("pk", flat=True))


@transaction.atomic
def change_role(*, membership: Membership, role: str) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(membership.organization_id) <= 1:
        raise MembershipError("An organisation needs at least one owner.", code="last_owner")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.OWNER and _owner_count(membership.organization_id) <= 1:
        raise MembershipError("An organisation needs at least one owner.", code="last_owner")
    membership.delete()
