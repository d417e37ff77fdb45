"""Reads of policies and versions."""

from django.db.models import Count, Q, QuerySet

from apps.policies.constants import VersionState
from apps.policies.diff import Change, diff
from apps.policies.models import Policy, PolicyVersion


def policies_list(*, organization) -> QuerySet[Policy]:
    return (
        Policy.objects.filter(organization=organization)
        .annotate(
            version_count=Count("versions"),
            open_reviews=Count("versions", filter=Q(versions__state=VersionState.IN_REVIEW)),
            drafts=Count("versions", filter=Q(versions__state=VersionState.DRAFT)),
        )
        .order_by("name")
    )


def policy_versions(*, policy: Policy) -> QuerySet[PolicyVersion]:
    return (
        PolicyVersion.objects.filter(policy=policy)
        .select_related("author", "reviewed_by", "submitted_by", "published_by", "based_on")
        .order_by("-number")
    )


def policy_active_version(*, policy: Policy) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(policy=policy, state=VersionState.ACTIVE).first()


def policy_version_diff(*, version: PolicyVersion, against: PolicyVersion | None) -> list[Change]:
    return diff(against.document if against else None, version.document)


LIVE_STATES = (
    VersionState.DRAFT,
    VersionState.IN_REVIEW,
    VersionState.APPROVED,
    VersionState.ACTIVE,
)


def policy_versions_naming_team(*, organization, team_key: str) -> list[PolicyVersion]:
    """Live versions whose document routes anything to the team or gives it rights."""
    found = []
    versions = PolicyVersion.objects.filter(organization=organization, state__in=LIVE_STATES)
    for version in versions.select_related("policy"):
        doc = version.document
        teams = {
            spec.get(name)
            for spec in (doc.get("actions") or {}).values()
            for name in ("approver_team", "route_to_team")
        }
        teams |= {spec.get("route_to_team") for spec in (doc.get("triggers") or {}).values()}
        teams |= set(doc.get("decision_rights") or {})
        if team_key in teams:
            found.append(version)
    return found
