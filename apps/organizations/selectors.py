"""Reads for organizations, memberships and teams."""

from django.db.models import Count, Prefetch, QuerySet

from apps.accounts.models import User
from apps.organizations.models import Membership, Organization, Team, TeamMembership


def organizations_for_user(*, user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("name")


def membership_get(*, user: User, slug: str) -> Membership | None:
    """The person's membership in the organization with this slug, or None: a missing
    organization and one they do not belong to are the same to the caller."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organization")
        .filter(user=user, organization__slug=slug)
        .first()
    )


def members_list(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "user__team_memberships",
                queryset=TeamMembership.objects.filter(organization=organization).select_related(
                    "team"
                ),
                to_attr="org_team_memberships",
            )
        )
        .order_by("user__username")
    )


def teams_list(*, organization: Organization) -> QuerySet[Team]:
    return (
        Team.objects.filter(organization=organization)
        .annotate(member_count=Count("team_memberships"))
        .prefetch_related(
            Prefetch(
                "team_memberships",
                queryset=TeamMembership.objects.select_related("user").order_by("user__username"),
            )
        )
        .order_by("name")
    )


def capabilities_of(*, user: User, organization: Organization) -> frozenset[str]:
    """Every capability codename the person holds on the organization, in one query.
    Only permissions granted to the person count: being a superuser grants nothing here."""
    from guardian.shortcuts import get_user_perms

    return frozenset(get_user_perms(user, organization))
