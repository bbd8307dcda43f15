from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import security
from assessments.access import SESSION_KEY, get_assessment_for_user, granted_ids, private
from assessments.activity import activity as assessment_activity
from assessments.models import Assessment
from assessments.panels import dashboard_panels
from assessments.records import score_assessments
from assessments.writes import claim_assessments, delete_assessment, duplicate_assessment
from cmmc_site import ratelimit
from cmmc_site.links import absolute_url

from .access import get_organization_for_user, mfa_verified, organizations_for
from .forms import NEW_ORGANIZATION, ClaimForm, ConfirmDeleteForm, InvitationForm, MemberForm, OrganizationForm
from .models import (
    Invitation,
    Membership,
    MembershipError,
    Role,
    accept_invitation,
    change_role,
    create_invitation,
    create_organization,
    find_invitation,
    remove_member,
)

INVITE_LIMIT = (20, 3600)  # invitations sent per hour per owner


def _claimable(request: HttpRequest) -> list[Assessment]:
    grants = granted_ids(request)
    if not grants:
        return []
    # An expired one is no longer offered: it answers 410 and is about to be deleted (README, Security).
    return list(Assessment.objects.filter(access_id__in=grants, organization=None).unexpired(timezone.now())
                .order_by("-updated_at"))


@require_GET
@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Where sign-in lands: the claim offer while this browser holds anonymous assessments, else the dashboard."""
    if _claimable(request):
        return redirect("orgs:claim")
    return redirect("orgs:dashboard")


@private
@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    memberships = organizations_for(request)
    org_ids = [org.pk for org, _ in memberships]
    assessments = list(Assessment.objects.filter(organization_id__in=org_ids).order_by("-updated_at"))
    results = score_assessments(assessments) if assessments else {}
    by_org: dict[int, list[dict]] = {pk: [] for pk in org_ids}
    for assessment in assessments:
        by_org[assessment.organization_id].append({"assessment": assessment, "result": results[assessment.pk]})
    panels = dashboard_panels(assessments, results) if assessments else []
    organizations = [{"organization": org, "role": role, "rows": by_org[org.pk],
                      "panels": [{"template": p.template, "items": p.items.get(org.pk, [])} for p in panels]}
                     for org, role in memberships]
    return render(request, "orgs/dashboard.html", {
        "organizations": organizations, "claimable": _claimable(request), "nav": "dashboard",
    })


@private
@require_http_methods(["GET", "POST"])
@login_required
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        org = create_organization(name=form.cleaned_data["name"], owner=request.user)
        security.event(request, "organization_create", "success", org=org.public_id)
        messages.success(request, f"Created {org.name}. You are its owner.")
        return redirect("orgs:dashboard")
    return render(request, "orgs/organization_form.html", {"form": form, "nav": "dashboard"},
                  status=400 if form.is_bound else 200)


def _members_page(request: HttpRequest, org, *, invite_form: InvitationForm | None = None,
                  member_errors: dict | None = None, status: int = 200) -> HttpResponse:
    members = list(Membership.objects.filter(organization=org).select_related("user").order_by("user__email"))
    invitations = []
    if org.access_role == Role.OWNER:
        invitations = list(Invitation.objects.filter(organization=org, accepted_at=None).order_by("-created_at"))
    return render(request, "orgs/members.html", {
        "organization": org, "members": members, "invitations": invitations, "roles": Role.choices,
        "invite_form": invite_form or InvitationForm(initial={"role": Role.EDITOR}),
        "member_errors": member_errors or {}, "nav": "dashboard",
    }, status=status)


@private
@require_GET
def members(request: HttpRequest, org_id: str) -> HttpResponse:
    org = get_organization_for_user(request, org_id)
    return _members_page(request, org)


@private
@require_POST
def invite(request: HttpRequest, org_id: str) -> HttpResponse:
    org = get_organization_for_user(request, org_id, role=Role.OWNER)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _members_page(request, org, invite_form=form, status=400)
    if not ratelimit.hit("invite", f"user:{request.user.pk}", limit=INVITE_LIMIT[0], window=INVITE_LIMIT[1]):
        form.add_error(None, "Too many invitations in the last hour. Try again later.")
        return ratelimit.too_many(_members_page(request, org, invite_form=form), INVITE_LIMIT[1])
    try:
        # No invitation without its email: if sending fails the row is rolled back, so nothing is left pending.
        with transaction.atomic():
            invitation, token = create_invitation(organization=org, email=form.cleaned_data["email"],
                                                  role=form.cleaned_data["role"], invited_by=request.user)
            _send_invitation(request, invitation, token)
    except InvitationNotSent as exc:
        security.event(request, "invitation_create", "send_failed", org=org.public_id, error=str(exc))
        form.add_error(None, ValidationError(
            "The invitation email could not be sent, so no invitation was made. Try again in a few minutes.",
            code="invitation_not_sent"))
        return _members_page(request, org, invite_form=form, status=503)
    security.event(request, "invitation_create", "success", org=org.public_id, role=invitation.role)
    messages.success(request, f"Invitation sent to {invitation.email}.")
    return redirect("orgs:members", org_id=org.public_id)


class InvitationNotSent(Exception):
    """The mail server refused or could not be reached; the message is the error's type, never its text."""


def _send_invitation(request: HttpRequest, invitation: Invitation, token: str) -> None:
    org = invitation.organization
    # The link is on SITE_URL, never on the Host this request came with (ALLOWED_HOSTS ignores ports).
    link = absolute_url(reverse("orgs:invitation", args=[token]))
    try:
        send_mail(
            # One line whatever the stored name holds (names are refused with control characters since).
            f"[CMMC Ready] You are invited to {' '.join(org.name.split())}",
            f"{request.user.email} invited you to join {org.name} on CMMC Ready as "
            f"{invitation.get_role_display()}.\n\n"
            f"Open this link to accept (it works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n{link}\n\n"
            "Sign in, or create an account, with this email address to accept. If you did not expect this, ignore it.",
            None, [invitation.email],
        )
    except (OSError, ValueError) as exc:  # smtplib's errors are OSErrors; a header it refuses is a ValueError
        raise InvitationNotSent(type(exc).__name__) from exc


@private
@require_POST
def member_update(request: HttpRequest, org_id: str, membership_id: int) -> HttpResponse:
    org = get_organization_for_user(request, org_id, role=Role.OWNER)
    membership = Membership.objects.filter(pk=membership_id, organization=org).select_related("user").first()
    if membership is None:
        raise Http404("No such member")
    form = MemberForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return _members_page(request, org, member_errors={membership.pk: errors}, status=400)
    try:
        if form.cleaned_data["action"] == "remove":
            remove_member(membership=membership)
            security.event(request, "member_remove", "success", org=org.public_id)
            messages.success(request, f"Removed {membership.user.email}. They lost access immediately.")
        else:
            change_role(membership=membership, role=form.cleaned_data["role"])
            security.event(request, "member_role", "success", org=org.public_id, role=form.cleaned_data["role"])
            messages.success(request, f"{membership.user.email} is now {form.cleaned_data['role']}.")
    except MembershipError as error:
        return _members_page(request, org, member_errors={membership.pk: [str(error)]}, status=400)
    if membership.user_id == request.user.pk and form.cleaned_data["action"] == "remove":
        return redirect("orgs:dashboard")
    return redirect("orgs:members", org_id=org.public_id)


@private
@require_POST
def invitation_revoke(request: HttpRequest, org_id: str, invitation_id: int) -> HttpResponse:
    org = get_organization_for_user(request, org_id, role=Role.OWNER)
    deleted, _ = Invitation.objects.filter(pk=invitation_id, organization=org, accepted_at=None).delete()
    if not deleted:
        raise Http404("No such invitation")
    security.event(request, "invitation_revoke", "success", org=org.public_id)
    messages.success(request, "Invitation withdrawn; its link no longer works.")
    return redirect("orgs:members", org_id=org.public_id)


@private
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows what the invitation is (mail scanners and link previews must not spend it); POST accepts."""
    found = find_invitation(token)
    if found is None:
        security.event(request, "invitation", "unknown_token")
        raise Http404("No such invitation")
    context = {"invitation": found, "token": token}
    if not found.is_usable:
        return render(request, "orgs/invitation.html", context | {"unusable": True}, status=410)
    signed_in = mfa_verified(request)
    email_matches = signed_in and request.user.emailaddress_set.filter(
        email__iexact=found.email, verified=True).exists()
    context |= {"signed_in": signed_in, "email_matches": email_matches}
    if request.method == "POST":
        if not email_matches:
            security.event(request, "invitation_accept", "denied_email")
            return render(request, "orgs/invitation.html", context, status=403)
        try:
            accept_invitation(invitation_id=found.pk, user=request.user)
        except MembershipError:
            return render(request, "orgs/invitation.html", context | {"unusable": True}, status=410)
        security.event(request, "invitation_accept", "success", org=found.organization.public_id)
        messages.success(request, f"You joined {found.organization.name}.")
        return redirect("orgs:dashboard")
    return render(request, "orgs/invitation.html", context)


@private
@require_http_methods(["GET", "POST"])
@login_required
def claim(request: HttpRequest) -> HttpResponse:
    claimable = _claimable(request)
    if not claimable:
        messages.info(request, "This browser holds no assessment to move into an organisation.")
        return redirect("orgs:dashboard")
    organizations = organizations_for(request, at_least=Role.EDITOR)
    by_public_id = {org.public_id: org for org, _ in organizations}
    form = ClaimForm(
        request.POST if request.method == "POST" else None,
        assessments=[(a.public_id, f"{a.organization_name} ({a.get_target_level_display()})") for a in claimable],
        organizations=[(org.public_id, org.name) for org, _ in organizations],
    )
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["assessments"])
        ids = [a.pk for a in claimable if a.public_id in chosen]
        with transaction.atomic():
            if form.cleaned_data["organization"] == NEW_ORGANIZATION:
                org = create_organization(name=form.cleaned_data["new_name"].strip(), owner=request.user)
            else:
                org = by_public_id[form.cleaned_data["organization"]]
            moved = claim_assessments(assessment_ids=ids, organization=org)
        # The rotated secrets make these grants dead; drop them so the session stays small.
        live = {str(a.access_id) for a in claimable if a.pk not in ids}
        request.session[SESSION_KEY] = [g for g in granted_ids(request) if g in live]
        security.event(request, "claim", "success", org=org.public_id, count=moved)
        messages.success(request, f"Moved {moved} assessment{'s' if moved != 1 else ''} into {org.name}. "
                                  "They are no longer reachable with a recovery key.")
        return redirect("orgs:dashboard")
    return render(request, "orgs/claim.html", {"form": form, "claimable": claimable, "nav": "dashboard"},
                  status=400 if form.is_bound else 200)


@private
@require_POST
def duplicate(request: HttpRequest, public_id: str) -> HttpResponse:
    source = get_assessment_for_user(request, public_id)  # POST: editor
    if source.organization_id is None:
        # Duplicating is an account feature (next year's re-assessment of an organisation).
        raise Http404("Only an organisation's assessment can be duplicated")
    copy = duplicate_assessment(source=source, by=request.user)
    security.event(request, "assessment_duplicate", "success")
    messages.success(request, "Copied with every answer. Rename it in its settings.")
    return redirect("assessments:overview", public_id=copy.public_id)


@private
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id, role=Role.OWNER)
    form = ConfirmDeleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        name = assessment.organization_name
        delete_assessment(assessment=assessment)
        security.event(request, "assessment_delete", "success")
        messages.success(request, f"Deleted the assessment of {name}.")
        return redirect("orgs:dashboard" if request.user.is_authenticated else "home")
    return render(request, "orgs/delete.html", {"assessment": assessment, "form": form},
                  status=400 if form.is_bound else 200)


@private
@require_GET
def activity(request: HttpRequest, public_id: str) -> HttpResponse:
    assessment = get_assessment_for_user(request, public_id, role=Role.EDITOR)
    return render(request, "orgs/activity.html", {"assessment": assessment, "entries": assessment_activity(assessment)})
