"""E-mail to the people who work an approval or a handoff: the routed team's members (the
owners when no team is named, as they are the ones who may decide then), or the assignee
of a claimed handoff that runs late. Sent by a task after the change commits; a
notification whose item has moved on meanwhile is not sent."""

from typing import Any

from django.core.mail import EmailMessage, mailers
from django.template.loader import render_to_string

from apps.humans import webhooks
from apps.humans.constants import HANDOFF_ACTIVE, ApprovalStatus, HandoffStatus, NotificationKind
from apps.humans.models import Approval, Handoff
from apps.organizations.constants import Role
from apps.organizations.models import Membership, Organization, Team, TeamMembership

_SUBJECTS = {
    NotificationKind.APPROVAL_CREATED: "Approval needed: {action} by {agent}",
    NotificationKind.APPROVAL_REMINDER: "Reminder: approval due {due}: {action} by {agent}",
    NotificationKind.HANDOFF_CREATED: "A conversation was handed to {team}: {action}",
    NotificationKind.HANDOFF_OVERDUE: "Overdue handoff: {action} was due {due}",
}


def recipients(*, organization: Organization, team: Team | None) -> list[str]:
    """The addresses of those who may work the item: its team, or the owners without one."""
    if team is not None:
        users = [
            tm.user
            for tm in TeamMembership.objects.filter(organization=organization, team=team)
            .select_related("user")
            .order_by("user__username")
        ]
    else:
        users = [
            m.user
            for m in Membership.objects.filter(organization=organization)
            .select_related("user")
            .order_by("user__username")
            if Role.OWNER in m.roles
        ]
    addresses: list[str] = []
    for user in users:
        if user.is_active and user.email and user.email not in addresses:
            addresses.append(user.email)
    return addresses


def _item(kind: str, object_id: int) -> tuple[Approval | Handoff | None, dict[str, Any]]:
    if kind in (NotificationKind.APPROVAL_CREATED, NotificationKind.APPROVAL_REMINDER):
        approval = (
            Approval.objects.select_related("organization", "agent", "team", "decision")
            .filter(pk=object_id)
            .first()
        )
        if approval is None or approval.status != ApprovalStatus.PENDING:
            return None, {}
        return approval, webhooks.approval_data(approval)["approval"]
    handoff = (
        Handoff.objects.select_related("organization", "agent", "team", "decision", "assignee")
        .filter(pk=object_id)
        .first()
    )
    if handoff is None or handoff.status not in HANDOFF_ACTIVE:
        return None, {}
    return handoff, webhooks.handoff_data(handoff)["handoff"]


def _holder(item: Approval | Handoff) -> list[str]:
    """A claimed handoff that runs late is its assignee's to finish: they are told, not the
    whole team (unless they can no longer be reached)."""
    assignee = getattr(item, "assignee", None)
    if item.status != HandoffStatus.CLAIMED or assignee is None:
        return []
    return [assignee.email] if assignee.is_active and assignee.email else []


def notification_send(*, kind: str, object_id: int) -> int:
    """Mail each person of the routed team (one message each: nobody sees the others'
    addresses), or only the assignee of a claimed handoff running late. Returns how many
    were sent."""
    if kind not in NotificationKind.values:
        raise ValueError(f"Unknown notification {kind!r}")
    item, data = _item(kind, object_id)
    if item is None:
        return 0
    holder = _holder(item) if kind == NotificationKind.HANDOFF_OVERDUE else []
    to = holder or recipients(organization=item.organization, team=item.team)
    if not to:
        return 0
    context = {
        "item": item,
        "data": data,
        "organization": item.organization,
        "agent": item.agent,
        "team": item.team,
        "reasons": item.decision.reasons,
        "summary": (item.context or {}).get("summary", ""),
        "to_assignee": bool(holder),
    }
    subject = _SUBJECTS[NotificationKind(kind)].format(
        action=item.action,
        agent=item.agent.name,
        team=item.team.name if item.team else item.organization.name,
        due=item.due_at.strftime("%b %-d, %H:%M UTC"),
    )
    body = render_to_string(f"email/humans/{kind}.txt", context)
    messages = [EmailMessage(subject=subject, body=body, to=[address]) for address in to]
    return mailers.default.send_messages(messages) or 0
