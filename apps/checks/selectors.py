"""Reads for the check path and the decision log."""

from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from apps.agents.models import AgentKey
from apps.checks.models import Decision
from apps.policies.constants import VersionState
from apps.policies.models import PolicyVersion


def agent_key_for_check(*, key_hash: str) -> AgentKey | None:
    """The key with its agent, organization and the agent's active version id: one query."""
    active = PolicyVersion.objects.filter(
        policy_id=OuterRef("agent__policy_id"), state=VersionState.ACTIVE
    ).values("pk")[:1]
    return (
        AgentKey.objects.select_related("agent", "organization", "agent__policy")
        .annotate(active_version_id=Subquery(active))
        .filter(key_hash=key_hash)
        .first()
    )


def decisions_list(
    *,
    organization,
    agent: str = "",
    action: str = "",
    decision: str = "",
    reason: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Decision]:
    rows = Decision.objects.filter(organization=organization)
    if agent:
        rows = rows.filter(agent__key=agent)
    if action:
        rows = rows.filter(action=action)
    if decision:
        rows = rows.filter(decision=decision)
    if reason:
        rows = rows.filter(primary_reason=reason)
    if since:
        rows = rows.filter(evaluated_at__gte=since)
    if until:
        rows = rows.filter(evaluated_at__lt=until)
    return rows.select_related("agent", "policy_version").order_by("-evaluated_at", "-id")
