"""Template helpers of the inbox: how long is left, how old a request is, how urgent it
looks, and the sidebar's count of what waits for the person."""

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.db.models import Count, Q
from django.utils import timezone

from apps.humans.constants import HANDOFF_ACTIVE, REMINDER_WHEN_LEFT, ApprovalStatus, HandoffStatus
from apps.humans.models import Approval, Handoff
from apps.humans.selectors import approvals_list, handoffs_list

register = template.Library()

# A handoff turns red with this share of its response window left.
HANDOFF_SOON_SHARE = 1 / 3


def span(delta: timedelta) -> str:
    """A duration as a person says it at a glance: "45 min", "3 h 5 min", "2 d 4 h"."""
    minutes = round(abs(delta).total_seconds() / 60)
    if minutes < 1:
        return "under a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@register.filter
def span_of(delta: timedelta | None) -> str:
    return span(delta) if delta is not None else ""


@register.filter
def time_left(due_at: datetime | None) -> str:
    if due_at is None:
        return ""
    left = due_at - timezone.now()
    return f"{span(left)} left" if left.total_seconds() > 0 else f"{span(left)} overdue"


@register.filter
def age(since: datetime | None) -> str:
    return span(timezone.now() - since) if since else ""


def urgency_of(item: Approval | Handoff, now: datetime) -> str:
    """Late past the due time, soon when close to it, nothing otherwise or once closed."""
    if isinstance(item, Approval):
        if item.status != ApprovalStatus.PENDING:
            return ""
        if item.due_at <= now:
            return "late"
        # Red from when the team is reminded: the same share of the window, even before
        # the reminder task has run.
        window = item.due_at - item.created_at
        close = item.due_at - now <= window * REMINDER_WHEN_LEFT
        return "soon" if item.reminded_at or close else ""
    if item.status not in HANDOFF_ACTIVE:
        return ""
    if item.due_at <= now:
        return "late"
    window = item.due_at - item.created_at
    return "soon" if item.due_at - now <= window * HANDOFF_SOON_SHARE else ""


@register.filter
def urgency(item: Approval | Handoff) -> str:
    return urgency_of(item, timezone.now())


@register.simple_tag
def inbox_counts(organization: Any, user: Any) -> dict[str, int]:
    """What waits for this person: pending approvals and open handoffs routed to their
    teams (everything, for owners), and how many of those are late or nearly so."""
    now = timezone.now()
    approvals = approvals_list(
        organization=organization, user=user, status=ApprovalStatus.PENDING, mine=True
    ).aggregate(n=Count("pk"), late=Count("pk", filter=Q(reminded_at__isnull=False)))
    handoffs = handoffs_list(
        organization=organization, user=user, status=HandoffStatus.OPEN, mine=True
    ).aggregate(n=Count("pk"), late=Count("pk", filter=Q(due_at__lte=now)))
    return {
        "approvals": approvals["n"],
        "handoffs": handoffs["n"],
        "total": approvals["n"] + handoffs["n"],
        "late": approvals["late"] + handoffs["late"],
    }
