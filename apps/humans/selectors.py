"""Reads for the inbox, handoffs and the organization's view of its human loop."""

from datetime import datetime

from django.db.models import Min, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.models import Agent
from apps.humans.constants import HANDOFF_ACTIVE, ApprovalStatus
from apps.humans.models import Approval, Handoff, WebhookEndpoint, WebhookMessage
from apps.organizations.constants import Role
from apps.organizations.models import Membership, Organization, TeamMembership


def _routed_to(queryset: QuerySet, *, user: User, organization: Organization) -> QuerySet:
    """What the user may work: everything for owners, their teams' items for others."""
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is not None and Role.OWNER in membership.roles:
        return queryset
    teams = TeamMembership.objects.filter(organization=organization, user=user).values("team")
    return queryset.filter(team__in=teams)


def approvals_list(
    *, organization: Organization, user: User, status: str = "", mine: bool = False
) -> QuerySet[Approval]:
    rows = Approval.objects.filter(organization=organization)
    if mine:
        rows = _routed_to(rows, user=user, organization=organization)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("agent", "team", "decision", "decided_by").order_by("due_at", "id")


def handoffs_list(
    *, organization: Organization, user: User, status: str = "", mine: bool = False
) -> QuerySet[Handoff]:
    rows = Handoff.objects.filter(organization=organization)
    if mine:
        rows = _routed_to(rows, user=user, organization=organization)
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("agent", "team", "decision", "assignee").order_by("due_at", "id")


def human_loop_summary(*, organization: Organization, now: datetime | None = None) -> dict:
    """For the home page: is anyone working the inbox and the handoffs?"""
    now = now or timezone.now()
    pending = Approval.objects.filter(organization=organization, status=ApprovalStatus.PENDING)
    waiting = Handoff.objects.filter(organization=organization, status__in=HANDOFF_ACTIVE)
    oldest = pending.aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "approvals_pending": pending.count(),
        "approvals_due_soon": pending.filter(reminded_at__isnull=False).count(),
        "oldest_pending_since": oldest,
        "handoffs_open": waiting.count(),
        "handoffs_overdue": waiting.filter(due_at__lte=now).count(),  # claimed or not
    }


def webhook_endpoints_list(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    """All of the organization's endpoints: its own, and those its agents registered."""
    return WebhookEndpoint.objects.filter(organization=organization).select_related(
        "created_by", "agent"
    )


def agent_webhook_endpoints_list(*, agent: Agent) -> QuerySet[WebhookEndpoint]:
    """The endpoints the agent registered, and only those."""
    return WebhookEndpoint.objects.filter(
        organization_id=agent.organization_id, agent=agent
    ).order_by("created_at", "id")


def webhook_messages_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookMessage]:
    """An endpoint's deliveries, newest first."""
    return (
        WebhookMessage.objects.filter(organization_id=endpoint.organization_id, endpoint=endpoint)
        .select_related("endpoint")
        .order_by("-created_at", "-id")
    )
