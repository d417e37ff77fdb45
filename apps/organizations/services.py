"""Writes for organizations, memberships, roles and teams. Each writes its audit event in the
same transaction; side effects (e-mail) run after commit."""

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed
from apps.organizations.constants import (
    ALL_CAPABILITIES,
    INVITATION_VALID_DAYS,
    KEY_PATTERN,
    RESERVED_ORG_SLUGS,
    InvitationStatus,
    Role,
    capabilities_for,
    perm_name,
)
from apps.organizations.models import Invitation, Membership, Organization, Team, TeamMembership

_KEY_RE = re.compile(KEY_PATTERN)
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))  # keep order, drop repeats
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationFailed(
            f"Unknown role: {', '.join(map(str, unknown))}.",
            fields={"roles": f"Choose from: {', '.join(Role.values)}."},
        )
    if not roles:
        raise ValidationFailed(
            "A member needs at least one role.", fields={"roles": "Choose at least one role."}
        )
    return [r for r in Role.values if r in roles]  # canonical order


def _clean_key(value: str, *, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(
            f"The {what} is required.", fields={field: "This field is required."}
        )
    if len(value) > 50 or not _KEY_RE.match(value):
        raise ValidationFailed(
            f"The {what} {value!r} is not valid.",
            fields={field: "Use lowercase letters, digits and hyphens (at most 50 characters)."},
        )
    return value


def _clean_text(value: str, max_length: int) -> str:
    return "".join(ch for ch in (value or "") if ch >= " ").strip()[:max_length]


def _clean_name(value: str, *, field: str = "name", max_length: int = 200) -> str:
    value = (value or "").strip()
    if any(ch < " " for ch in value):
        raise ValidationFailed(
            "A name is one line of text.",
            fields={field: "Line breaks and control characters are not allowed."},
        )
    if not value:
        raise ValidationFailed("A name is required.", fields={field: "This field is required."})
    if len(value) > max_length:
        raise ValidationFailed(
            "The name is too long.", fields={field: f"At most {max_length} characters."}
        )
    return value


def membership_sync_permissions(*, membership: Membership) -> None:
    """Make the person's guardian permissions on the organization match their roles."""
    granted = capabilities_for(membership.roles)
    for capability in ALL_CAPABILITIES:
        if capability in granted:
            assign_perm(perm_name(capability), membership.user, membership.organization)
        else:
            remove_perm(perm_name(capability), membership.user, membership.organization)


def _membership_snapshot(membership: Membership) -> dict:
    return {"user": membership.user.username, "roles": list(membership.roles)}


@transaction.atomic
def organization_create(*, name: str, slug: str, by: User) -> Organization:
    name = _clean_name(name)
    slug = _clean_key(slug, field="slug", what="address")
    if slug in RESERVED_ORG_SLUGS:
        raise ValidationFailed(
            f"The address {slug!r} is reserved.",
            fields={"slug": f"The address {slug!r} is reserved; choose another."},
        )
    if Organization.objects.filter(slug=slug).exists():
        raise ValidationFailed(
            f"The address {slug!r} is taken.",
            fields={"slug": f"The address {slug!r} is taken; choose another."},
        )
    try:
        with transaction.atomic():
            organization = Organization.objects.create(name=name, slug=slug)
    except IntegrityError as exc:  # a concurrent create took the slug
        raise ValidationFailed(
            f"The address {slug!r} is taken.",
            fields={"slug": f"The address {slug!r} is taken; choose another."},
        ) from exc
    audit_record(
        organization=organization,
        by=by,
        verb="organization.created",
        target=organization,
        after={"name": name, "slug": slug},
    )
    membership = Membership.objects.create(organization=organization, user=by, roles=[Role.OWNER])
    membership_sync_permissions(membership=membership)
    audit_record(
        organization=organization,
        by=by,
        verb="membership.added",
        target=membership,
        after=_membership_snapshot(membership),
    )
    from apps.catalogs.services import catalog_install_defaults

    catalog_install_defaults(organization=organization, by=by)
    return organization


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not email:
        raise ValidationFailed(
            "An e-mail address is required.", fields={"email": "This field is required."}
        )
    if len(email) > 254 or not _EMAIL_RE.match(email):
        raise ValidationFailed(
            f"{email!r} is not an e-mail address.",
            fields={"email": "Enter a valid e-mail address."},
        )
    return email


@transaction.atomic
def membership_add(
    *, organization: Organization, by: User | str, user: User, roles: Iterable[str]
) -> Membership:
    """Make a person a member with these roles. Reached through an accepted invitation (or
    the demo data): nobody is put into an organization without their consent."""
    roles = _clean_roles(roles)
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise Conflict(f"{user.username} is already a member.", code="already_member")
    membership = Membership.objects.create(organization=organization, user=user, roles=roles)
    membership_sync_permissions(membership=membership)
    audit_record(
        organization=organization,
        by=by,
        verb="membership.added",
        target=membership,
        after=_membership_snapshot(membership),
    )
    return membership


def _invitation_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, hashlib.sha256(raw.encode()).hexdigest()


def _invitation_send_later(invitation: Invitation, raw_token: str) -> None:
    from apps.organizations.tasks import send_invitation

    invitation_id = invitation.pk
    transaction.on_commit(lambda: send_invitation.delay(invitation_id, raw_token))


@transaction.atomic
def invitation_create(
    *, organization: Organization, by: User, email: str, roles: Iterable[str]
) -> Invitation:
    """Invite someone by e-mail. The answer is the same whether or not they have an account
    here; they join only by accepting, and nothing about them is shown before that."""
    email = _clean_email(email)
    roles = _clean_roles(roles)
    Organization.objects.select_for_update().filter(pk=organization.pk).values("pk").get()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationFailed(
            f"{email} already belongs to {organization.name}.",
            fields={"email": "Already a member of this organization."},
        )
    if Invitation.objects.pending().filter(organization=organization, email=email).exists():
        raise ValidationFailed(
            f"{email} has a pending invitation.",
            fields={"email": "Already invited; resend or revoke the pending invitation."},
        )
    # An expired invitation still open for this address is closed before the new one.
    Invitation.objects.filter(
        organization=organization, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    raw, token_hash = _invitation_token()
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        roles=roles,
        token_hash=token_hash,
        invited_by=by,
        expires_at=timezone.now() + timedelta(days=INVITATION_VALID_DAYS),
    )
    audit_record(
        organization=organization,
        by=by,
        verb="invitation.created",
        target=invitation,
        after={"email": email, "roles": roles},
    )
    _invitation_send_later(invitation, raw)
    return invitation


def _lock_pending(invitation: Invitation) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update().select_related("organization").get(pk=invitation.pk)
    )
    if invitation.status != InvitationStatus.PENDING:
        raise Conflict(
            f"The invitation is {invitation.status}.",
            code="invitation_closed",
            fields={"status": invitation.status},
        )
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise Conflict(
            "Only a pending or expired invitation can be sent again.", code="invitation_closed"
        )
    raw, invitation.token_hash = _invitation_token()
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_VALID_DAYS)
    invitation.save(update_fields=["token_hash", "expires_at"])
    audit_record(
        organization=invitation.organization,
        by=by,
        verb="invitation.resent",
        target=invitation,
        after={"email": invitation.email, "expires_at": invitation.expires_at.isoformat()},
    )
    _invitation_send_later(invitation, raw)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    invitation = _lock_pending(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        organization=invitation.organization,
        by=by,
        verb="invitation.revoked",
        target=invitation,
        before={"email": invitation.email, "roles": invitation.roles},
    )
    return invitation


def invitation_find(*, raw_token: str) -> Invitation | None:
    digest = hashlib.sha256((raw_token or "").encode()).hexdigest()
    return (
        Invitation.objects.select_related("organization", "invited_by")
        .filter(token_hash=digest)
        .first()
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    invitation = _lock_pending(invitation)
    membership = membership_add(
        organization=invitation.organization, by=user, user=user, roles=invitation.roles
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        organization=invitation.organization,
        by=user,
        verb="invitation.accepted",
        target=invitation,
        after={"email": invitation.email, "username": user.username, "roles": invitation.roles},
    )
    return membership


@transaction.atomic
def invitation_accept_as_new_user(
    *,
    invitation: Invitation,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Create an account for the invited address and join with it."""
    username = (username or "").strip()
    errors = {}
    if not username or len(username) > 150 or not re.match(r"^[\w.@+-]+$", username):
        errors["username"] = "Use letters, digits and @ . + - _ (at most 150 characters)."
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = "This username is taken."
    user = User(
        username=username,
        email=invitation.email,
        first_name=_clean_text(first_name, 150),
        last_name=_clean_text(last_name, 150),
    )
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        errors["password"] = " ".join(exc.messages)
    if errors:
        raise ValidationFailed("The account is not valid.", fields=errors)
    user.set_password(password)
    user.save()
    return invitation_accept(invitation=invitation, user=user)


def invitation_send(*, invitation_id: int, raw_token: str) -> None:
    """Send the invitation e-mail (called by a task after the invitation is committed)."""
    invitation = Invitation.objects.select_related("organization", "invited_by").get(
        pk=invitation_id
    )
    if invitation.status != InvitationStatus.PENDING:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("invitation", kwargs={"token": raw_token})
    inviter = invitation.invited_by.get_full_name() or invitation.invited_by.username
    send_mail(
        subject=f"{inviter} invited you to {invitation.organization.name} on Mandate",
        message=(
            f"{inviter} invited you to join {invitation.organization.name} on Mandate as "
            f"{', '.join(invitation.roles)}.\n\nAccept the invitation (valid for "
            f"{INVITATION_VALID_DAYS} days):\n{link}\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
    )


def _ensure_an_owner_remains(membership: Membership, new_roles: list[str]) -> None:
    # Callers lock the organization row first, so two owners demoting each other
    # serialise instead of deadlocking.
    if Role.OWNER in membership.roles and Role.OWNER not in new_roles:
        others = (
            Membership.objects.select_for_update()
            .filter(organization=membership.organization)
            .exclude(pk=membership.pk)
        )
        if not any(Role.OWNER in m.roles for m in others):
            raise Conflict(
                "An organization needs at least one owner; make someone else owner first.",
                fields={"roles": "The last owner cannot stop being owner."},
            )


@transaction.atomic
def membership_set_roles(*, membership: Membership, by: User, roles: Iterable[str]) -> Membership:
    roles = _clean_roles(roles)
    Organization.objects.select_for_update().filter(pk=membership.organization_id).values(
        "pk"
    ).get()
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if roles == membership.roles:
        return membership
    _ensure_an_owner_remains(membership, roles)
    before = _membership_snapshot(membership)
    membership.roles = roles
    membership.save(update_fields=["roles"])
    membership_sync_permissions(membership=membership)
    audit_record(
        organization=membership.organization,
        by=by,
        verb="membership.roles_changed",
        target=membership,
        before={"roles": before["roles"]},
        after={"roles": roles},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    Organization.objects.select_for_update().filter(pk=membership.organization_id).values(
        "pk"
    ).get()
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    _ensure_an_owner_remains(membership, [])
    before = _membership_snapshot(membership)
    teams = list(
        TeamMembership.objects.filter(
            organization=membership.organization, user=membership.user
        ).values_list("team__key", flat=True)
    )
    TeamMembership.objects.filter(
        organization=membership.organization, user=membership.user
    ).delete()
    membership.roles = []
    membership_sync_permissions(membership=membership)
    audit_record(
        organization=membership.organization,
        by=by,
        verb="membership.removed",
        target=membership,
        before={**before, "teams": teams},
    )
    membership.delete()


def _team_snapshot(team: Team) -> dict:
    return {"key": team.key, "name": team.name, "description": team.description}


@transaction.atomic
def team_create(
    *,
    organization: Organization,
    by: User,
    key: str,
    name: str,
    description: str = "",
    members: Iterable[str] = (),
) -> Team:
    key = _clean_key(key, field="key", what="team key")
    name = _clean_name(name)
    if Team.objects.filter(organization=organization, key=key).exists():
        raise ValidationFailed(
            f"A team with the key {key!r} exists.", fields={"key": "Already used by another team."}
        )
    try:
        with transaction.atomic():
            team = Team.objects.create(
                organization=organization, key=key, name=name, description=description.strip()
            )
    except IntegrityError as exc:  # a concurrent create won the race
        raise ValidationFailed(
            f"A team with the key {key!r} exists.", fields={"key": "Already used by another team."}
        ) from exc
    audit_record(
        organization=organization,
        by=by,
        verb="team.created",
        target=team,
        after=_team_snapshot(team),
    )
    if members:
        _team_set_members(team=team, by=by, usernames=members)
    return team


@transaction.atomic
def team_edit(
    *,
    team: Team,
    by: User,
    name: str | None = None,
    description: str | None = None,
    members: Iterable[str] | None = None,
) -> Team:
    """Change a team's name, description and/or members (None leaves a part as it is)."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = _team_snapshot(team)
    if name is not None:
        team.name = _clean_name(name)
    if description is not None:
        team.description = description.strip()
    after = _team_snapshot(team)
    if after != before:
        team.save(update_fields=["name", "description"])
        changed = {k: v for k, v in before.items() if after[k] != v}
        audit_record(
            organization=team.organization,
            by=by,
            verb="team.updated",
            target=team,
            before=changed,
            after={k: after[k] for k in changed},
        )
    if members is not None:
        _team_set_members(team=team, by=by, usernames=members)
    return team


@transaction.atomic
def team_delete(*, team: Team, by: User) -> None:
    from apps.policies.selectors import policy_versions_naming_team

    team = Team.objects.select_for_update().get(pk=team.pk)
    naming = policy_versions_naming_team(organization=team.organization, team_key=team.key)
    if naming:
        named = ", ".join(f"{v.policy.name} v{v.number}" for v in naming[:5])
        raise Conflict(
            f"Policies route work to {team.key}: {named}. Change them first.",
            code="team_in_use",
            fields={"versions": named},
        )
    agents = list(team.agents.values_list("key", flat=True)[:5])
    if agents:
        raise Conflict(
            f"Agents belong to {team.key}: {', '.join(agents)}. Move them to another team first.",
            code="team_in_use",
            fields={"agents": ", ".join(agents)},
        )
    if team.approvals.exists() or team.handoffs.exists():
        raise Conflict(
            f"Approvals and handoffs were routed to {team.key}; the team keeps their history. "
            "Rename it, or remove its members, instead.",
            code="team_in_use",
            fields={"team": team.key},
        )
    members = list(team.team_memberships.values_list("user__username", flat=True))
    audit_record(
        organization=team.organization,
        by=by,
        verb="team.deleted",
        target=team,
        before={**_team_snapshot(team), "members": members},
    )
    team.delete()


def _team_set_members(*, team: Team, by: User, usernames: Iterable[str]) -> None:
    """Make the team's members exactly these people, who must belong to the organization."""
    wanted = list(dict.fromkeys(u.strip() for u in usernames if u and u.strip()))
    members = {
        m.user.username: m.user
        for m in Membership.objects.filter(
            organization=team.organization, user__username__in=wanted
        ).select_related("user")
    }
    strangers = [u for u in wanted if u not in members]
    if strangers:
        raise ValidationFailed(
            f"Not members of this organization: {', '.join(strangers)}.",
            fields={"members": f"Not members of this organization: {', '.join(strangers)}."},
        )
    current = set(team.team_memberships.values_list("user__username", flat=True))
    added = [u for u in wanted if u not in current]
    removed = sorted(current - set(wanted))
    if not added and not removed:
        return
    TeamMembership.objects.filter(team=team, user__username__in=removed).delete()
    TeamMembership.objects.bulk_create(
        [TeamMembership(organization=team.organization, team=team, user=members[u]) for u in added]
    )
    audit_record(
        organization=team.organization,
        by=by,
        verb="team.members_changed",
        target=team,
        before={"members": sorted(current)},
        after={"members": sorted(set(wanted))},
    )
