"""Reads for the check path and the decision log."""

from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery

from apps.agents.models import Agent, AgentKey
from apps.checks.models import Decision
from apps.policies.constants import VersionState
from apps.policies.models import PolicyVersion


def agent_key_for_check(*, key_hash: str) -> AgentKey | None:
    """The key with its agent, organization and the agent's active version: one query."""
    active = PolicyVersion.objects.filter(
        policy_id=OuterRef("agent__policy_id"), state=VersionState.ACTIVE
    )
    return (
        AgentKey.objects.select_related("agent", "agent__team", "organization")
        .annotate(
            active_version_id=Subquery(active.values("pk")[:1]),
            active_version_hash=Subquery(active.values("content_hash")[:1]),
        )
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
    before: tuple[datetime, int] | None = None,
) -> QuerySet[Decision]:
    """The organization's decisions, newest first (evaluated_at, then id), each filter served
    by an index that ends in that order; `before` is a keyset cursor (evaluated_at, id)."""
    rows = Decision.objects.filter(organization=organization)
    if agent:
        # The agent's id, looked up first. Filtered through a join on agents.key, PostgreSQL
        # reads the organization's whole time index and keeps the agent's rows (most of the log,
        # for a quiet agent); given the id, it reads the (organization, agent, time) index, and
        # weighs the agent's own share of the log against a second filter's.
        agent_id = (
            Agent.objects.filter(organization=organization, key=agent)
            .values_list("pk", flat=True)
            .first()
        )
        rows = rows.filter(agent_id=agent_id) if agent_id is not None else rows.none()
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
    if before:
        moment, row_id = before
        # The rows after the cursor in the log's order (older, or as old with a smaller id),
        # written so that `evaluated_at <= moment` is an index condition and the scan seeks to
        # the cursor. The OR of the two cases alone is only a filter: the page N deep would
        # read the N pages above it first.
        rows = rows.filter(evaluated_at__lte=moment).filter(
            Q(evaluated_at__lt=moment) | Q(id__lt=row_id)
        )
    # policy too: the API's rows name their policy, one query per row otherwise.
    return rows.select_related("agent", "policy", "policy_version").order_by("-evaluated_at", "-id")
