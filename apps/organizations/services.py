"""Writes for organizations, memberships, roles and teams. Each writes its audit event in the
same transaction; side effects (e-mail) run after commit."""

import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from guardian.shortcuts import assign_perm, remove_perm

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.core.errors import Conflict, NotFound, ValidationFailed
from apps.organizations.constants import (
    ALL_CAPABILITIES,
    KEY_PATTERN,
    RESERVED_ORG_SLUGS,
    Role,
    capabilities_for,
    perm_name,
)
from apps.organizations.models import Membership, Organization, Team, TeamMembership

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


def _clean_name(value: str, *, field: str = "name", max_length: int = 200) -> str:
    value = (value or "").strip()
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
    organization = Organization.objects.create(name=name, slug=slug)
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


def _unique_username(base: str) -> str:
    base = re.sub(r"[^a-z0-9_.-]", "", base.lower())[:140] or "user"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _send_invitation(*, user_id: int, organization_id: int, inviter: str) -> None:
    user = User.objects.get(pk=user_id)
    organization = Organization.objects.get(pk=organization_id)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL.rstrip("/") + reverse(
        "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    send_mail(
        subject=f"{inviter} invited you to {organization.name} on Mandate",
        message=(
            f"{inviter} added you to {organization.name} on Mandate.\n\n"
            f"Choose a password to sign in (your username is {user.username}):\n{link}\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def membership_add(
    *,
    organization: Organization,
    by: User,
    roles: Iterable[str],
    username: str = "",
    email: str = "",
) -> tuple[Membership, bool]:
    """Add an existing person (by username or e-mail) or invite a new one (by e-mail).

    Returns the membership and whether an invitation was sent.
    """
    roles = _clean_roles(roles)
    username, email = (username or "").strip(), (email or "").strip().lower()
    if not username and not email:
        raise ValidationFailed(
            "Name the person by username or e-mail.",
            fields={"email": "Give an e-mail address or an existing username."},
        )
    if email and not _EMAIL_RE.match(email):
        raise ValidationFailed(
            f"{email!r} is not an e-mail address.",
            fields={"email": "Enter a valid e-mail address."},
        )
    user = None
    if username:
        user = User.objects.filter(username=username).first()
        if user is None and not email:
            raise ValidationFailed(
                f"Nobody has the username {username!r}.",
                fields={"username": "No such user; invite them by e-mail instead."},
            )
    if user is None and email:
        user = User.objects.filter(email__iexact=email).first()
    invited = False
    if user is None:
        user = User(username=_unique_username(username or email.split("@")[0]), email=email)
        user.set_unusable_password()
        user.save()
        invited = True
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise ValidationFailed(
            f"{user.username} is already a member.",
            fields={"username" if username else "email": "Already a member of this organization."},
        )
    membership = Membership.objects.create(organization=organization, user=user, roles=roles)
    membership_sync_permissions(membership=membership)
    audit_record(
        organization=organization,
        by=by,
        verb="membership.invited" if invited else "membership.added",
        target=membership,
        after={**_membership_snapshot(membership), "email": user.email},
    )
    if invited:
        user_id, org_id, inviter = user.pk, organization.pk, by.get_username()
        transaction.on_commit(
            lambda: _send_invitation(user_id=user_id, organization_id=org_id, inviter=inviter)
        )
    return membership, invited


def _ensure_an_owner_remains(membership: Membership, new_roles: list[str]) -> None:
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
    team = Team.objects.select_for_update().get(pk=team.pk)
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


def team_get(*, organization: Organization, key: str) -> Team:
    team = Team.objects.filter(organization=organization, key=key).first()
    if team is None:
        raise NotFound(f"No team {key!r}.")
    return team
