"""Writes for approvals, handoffs and outcomes. Each state change writes its audit event in
its transaction; the first decision on an approval or handoff wins, the second is told."""

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.models import Agent
from apps.audit.services import audit_record
from apps.checks.models import Decision
from apps.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionRefused,
    ValidationFailed,
)
from apps.core.ids import new_public_id
from apps.engine.types import ESCALATE, REQUIRE_APPROVAL
from apps.humans.constants import (
    APPROVAL_ID_PREFIX,
    DEFAULT_APPROVAL_HOURS,
    DEFAULT_HANDOFF_MINUTES,
    HANDOFF_ID_PREFIX,
    ApprovalStatus,
    HandoffStatus,
    Verdict,
)
from apps.humans.models import Approval, Handoff, Outcome
from apps.organizations.constants import Role
from apps.organizations.models import Membership, Organization, Team, TeamMembership


class IdempotencyKeyReused(ApplicationError):
    status_code = 422
    code = "idempotency_key_reused"


def request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _decision_of(agent: Agent, decision_id: str, expected: str, doing: str) -> Decision:
    decision = (
        Decision.objects.select_related("policy_version")
        .filter(organization_id=agent.organization_id, agent=agent, decision_id=decision_id)
        .first()
    )
    if decision is None:
        raise NotFound(
            "No such decision for this agent.", fields={"decision_id": "Unknown to this agent."}
        )
    if decision.decision != expected:
        raise Conflict(
            f"Only a {expected} decision can be {doing}; this one was {decision.decision}.",
            code="wrong_decision",
            fields={"decision_id": f"The decision was {decision.decision}."},
        )
    return decision


def _team(organization: Organization, key: Any) -> Team | None:
    if not key:
        return None
    return Team.objects.filter(organization=organization, key=str(key)).first()


def _replay(model, agent: Agent, decision: Decision, key: str, digest: str):
    """The earlier submission this one repeats, if any; a clash otherwise."""
    if key:
        earlier = model.objects.filter(
            organization_id=agent.organization_id, agent=agent, idempotency_key=key
        ).first()
        if earlier is not None:
            if earlier.request_hash != digest:
                raise IdempotencyKeyReused(
                    "This idempotency key was used with a different request.",
                    fields={"idempotency_key": "Already used with another body."},
                )
            return earlier
    earlier = model.objects.filter(decision=decision).first()
    if earlier is not None:
        if earlier.request_hash == digest:
            return earlier
        raise Conflict(
            "This decision was already submitted.",
            code="already_submitted",
            fields={"decision_id": f"Already submitted as {earlier.public_id}."},
        )
    return None


def approval_submit(
    *,
    agent: Agent,
    decision_id: str,
    draft: dict[str, Any],
    context: dict[str, Any],
    idempotency_key: str = "",
) -> tuple[Approval, bool]:
    """The draft behind a require_approval decision, routed to the approver team. Returns
    the approval and whether it was created (False: a retry of the same submission)."""
    body = {"decision_id": decision_id, "draft": draft, "context": context}
    digest = request_hash(body)
    with transaction.atomic():
        decision = _decision_of(agent, decision_id, REQUIRE_APPROVAL, "submitted for approval")
        earlier = _replay(Approval, agent, decision, idempotency_key, digest)
        if earlier is not None:
            return earlier, False
        hours = decision.obligations.get("expires_after_hours") or DEFAULT_APPROVAL_HOURS
        try:
            with transaction.atomic():
                approval = Approval.objects.create(
                    public_id=new_public_id(APPROVAL_ID_PREFIX),
                    organization_id=agent.organization_id,
                    agent=agent,
                    decision=decision,
                    team=_team(agent.organization, decision.obligations.get("approver_team")),
                    action=decision.action,
                    draft=draft,
                    context=context,
                    due_at=timezone.now() + timedelta(hours=float(hours)),
                    idempotency_key=idempotency_key,
                    request_hash=digest,
                )
        except IntegrityError:  # the same submission, racing itself
            earlier = _replay(Approval, agent, decision, idempotency_key, digest)
            if earlier is None:
                raise
            return earlier, False
        audit_record(
            organization=agent.organization,
            by=agent,
            verb="approval.created",
            target=approval,
            object_repr=f"{approval.public_id} {approval.action}",
            after={
                "decision_id": decision.decision_id,
                "team": approval.team.key if approval.team else None,
                "due_at": approval.due_at.isoformat(),
            },
        )
    return approval, True


def may_decide(*, user: User, organization: Organization, team: Team | None) -> bool:
    """Decision rights: members of the routed team decide; owners always may."""
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None:
        return False
    if Role.OWNER in membership.roles:
        return True
    return team is not None and TeamMembership.objects.filter(team=team, user=user).exists()


def _lock(model, instance):
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of a join (team).
    return (
        model.objects.select_for_update(of=("self",))
        .select_related("team", "organization")
        .get(pk=instance.pk)
    )


def approval_decide(
    *,
    approval: Approval,
    by: User,
    verdict: str,
    comment: str = "",
    final_draft: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Approval:
    now = now or timezone.now()
    comment = (comment or "").strip()
    if verdict not in Verdict.values:
        raise ValidationFailed(
            "Choose approve, edit or reject.",
            fields={"verdict": f"One of {', '.join(Verdict.values)}."},
        )
    with transaction.atomic():
        approval = _lock(Approval, approval)
        if not may_decide(user=by, organization=approval.organization, team=approval.team):
            raise PermissionRefused(
                "Only members of the routed team (or owners) decide this approval."
            )
        if approval.status == ApprovalStatus.PENDING and approval.due_at <= now:
            _expire(approval, now)
            too_late = True
        else:
            too_late = False
    if too_late:  # the expiry stands: refused after its transaction commits
        raise Conflict(
            "The approval window has closed; the agent must not act.",
            code="already_decided",
            fields={"status": ApprovalStatus.EXPIRED},
        )
    with transaction.atomic():
        approval = _lock(Approval, approval)
        if approval.status != ApprovalStatus.PENDING:
            who = approval.decided_by.username if approval.decided_by else "nobody in time"
            raise Conflict(
                f"Already {approval.get_status_display().lower()} ({who}).",
                code="already_decided",
                fields={"status": approval.status},
            )
        if verdict == Verdict.REJECT and not comment:
            raise ValidationFailed(
                "Say why it is rejected.", fields={"comment": "A comment is required to reject."}
            )
        if verdict == Verdict.EDIT:
            if not isinstance(final_draft, dict) or not final_draft:
                raise ValidationFailed(
                    "An edit needs the draft as approved.",
                    fields={"final_draft": "The edited draft is required."},
                )
            if final_draft == approval.draft:
                raise ValidationFailed(
                    "The edited draft is the same as the agent's: approve it instead.",
                    fields={"final_draft": "Nothing was changed."},
                )
            approval.final_draft = final_draft
        approval.status = {
            Verdict.APPROVE: ApprovalStatus.APPROVED,
            Verdict.EDIT: ApprovalStatus.EDITED,
            Verdict.REJECT: ApprovalStatus.REJECTED,
        }[Verdict(verdict)]
        approval.comment = comment
        approval.decided_by = by
        approval.decided_at = now
        approval.save(
            update_fields=["status", "final_draft", "comment", "decided_by", "decided_at"]
        )
        audit_record(
            organization=approval.organization,
            by=by,
            verb=f"approval.{approval.status}",
            target=approval,
            object_repr=f"{approval.public_id} {approval.action}",
            before={"status": ApprovalStatus.PENDING},
            after={"status": approval.status, "comment": comment},
        )
    return approval


def _expire(approval: Approval, now: datetime) -> None:
    approval.status = ApprovalStatus.EXPIRED
    approval.decided_at = now
    approval.save(update_fields=["status", "decided_at"])
    audit_record(
        organization=approval.organization,
        by="system",
        verb="approval.expired",
        target=approval,
        object_repr=f"{approval.public_id} {approval.action}",
        before={"status": ApprovalStatus.PENDING},
        after={"status": ApprovalStatus.EXPIRED, "due_at": approval.due_at.isoformat()},
    )


def approvals_expire_due(*, now: datetime | None = None) -> list[int]:
    """Expire every pending approval whose window has closed; the agent must not act."""
    now = now or timezone.now()
    expired = []
    due = Approval.objects.filter(status=ApprovalStatus.PENDING, due_at__lte=now)
    for approval_id in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            approval = (
                Approval.objects.select_for_update(skip_locked=True)
                .select_related("organization")
                .filter(pk=approval_id, status=ApprovalStatus.PENDING)
                .first()
            )
            if approval is not None:
                _expire(approval, now)
                expired.append(approval.pk)
    return expired


def handoff_create(
    *,
    agent: Agent,
    decision_id: str,
    context: dict[str, Any],
    idempotency_key: str = "",
) -> tuple[Handoff, bool]:
    """Hand the conversation behind an escalate decision to the trigger's team."""
    body = {"decision_id": decision_id, "context": context}
    digest = request_hash(body)
    with transaction.atomic():
        decision = _decision_of(agent, decision_id, ESCALATE, "handed off")
        earlier = _replay(Handoff, agent, decision, idempotency_key, digest)
        if earlier is not None:
            return earlier, False
        minutes = decision.obligations.get("respond_within_minutes") or DEFAULT_HANDOFF_MINUTES
        try:
            with transaction.atomic():
                handoff = Handoff.objects.create(
                    public_id=new_public_id(HANDOFF_ID_PREFIX),
                    organization_id=agent.organization_id,
                    agent=agent,
                    decision=decision,
                    team=_team(agent.organization, decision.obligations.get("route_to_team")),
                    action=decision.action,
                    reason=decision.primary_reason,
                    context=context,
                    due_at=timezone.now() + timedelta(minutes=float(minutes)),
                    idempotency_key=idempotency_key,
                    request_hash=digest,
                )
        except IntegrityError:
            earlier = _replay(Handoff, agent, decision, idempotency_key, digest)
            if earlier is None:
                raise
            return earlier, False
        audit_record(
            organization=agent.organization,
            by=agent,
            verb="handoff.created",
            target=handoff,
            object_repr=f"{handoff.public_id} {handoff.action}",
            after={
                "decision_id": decision.decision_id,
                "team": handoff.team.key if handoff.team else None,
                "due_at": handoff.due_at.isoformat(),
            },
        )
    return handoff, True


def _handoff_change(handoff: Handoff, by: User, verb: str, allowed: tuple[str, ...]) -> Handoff:
    handoff = _lock(Handoff, handoff)
    if not may_decide(user=by, organization=handoff.organization, team=handoff.team):
        raise PermissionRefused("Only members of the routed team (or owners) work this handoff.")
    if handoff.status not in allowed:
        who = handoff.closed_by or handoff.assignee
        raise Conflict(
            f"The handoff is already {handoff.get_status_display().lower()}"
            + (f" ({who.username})." if who else "."),
            code="invalid_state",
            fields={"status": handoff.status},
        )
    return handoff


def handoff_claim(*, handoff: Handoff, by: User) -> Handoff:
    with transaction.atomic():
        handoff = _handoff_change(handoff, by, "claim", (HandoffStatus.OPEN,))
        handoff.status = HandoffStatus.CLAIMED
        handoff.assignee = by
        handoff.claimed_at = timezone.now()
        handoff.save(update_fields=["status", "assignee", "claimed_at"])
        audit_record(
            organization=handoff.organization,
            by=by,
            verb="handoff.claimed",
            target=handoff,
            object_repr=f"{handoff.public_id} {handoff.action}",
            after={"assignee": by.username},
        )
    return handoff


def handoff_close(
    *, handoff: Handoff, by: User, resolution: str = "", follow_up: str = ""
) -> Handoff:
    """Resolve it, or (with a follow-up) hand the next step back to the agent."""
    resolution, follow_up = (resolution or "").strip(), (follow_up or "").strip()
    if not resolution and not follow_up:
        raise ValidationFailed(
            "Say how it ended, or what the agent should do next.",
            fields={"resolution": "A resolution or a follow-up for the agent is required."},
        )
    with transaction.atomic():
        handoff = _handoff_change(handoff, by, "close", (HandoffStatus.OPEN, HandoffStatus.CLAIMED))
        now = timezone.now()
        if handoff.assignee is None:
            handoff.assignee, handoff.claimed_at = by, now
        handoff.status = HandoffStatus.RETURNED if follow_up else HandoffStatus.RESOLVED
        handoff.resolution, handoff.follow_up = resolution, follow_up
        handoff.closed_at, handoff.closed_by = now, by
        handoff.save()
        audit_record(
            organization=handoff.organization,
            by=by,
            verb=f"handoff.{handoff.status}",
            target=handoff,
            object_repr=f"{handoff.public_id} {handoff.action}",
            after={"status": handoff.status, "resolution": resolution, "follow_up": follow_up},
        )
    return handoff


def handoffs_flag_overdue(*, now: datetime | None = None) -> list[int]:
    """Mark open handoffs past their due time as notified, once; the caller notifies."""
    now = now or timezone.now()
    flagged = []
    due = Handoff.objects.filter(
        status=HandoffStatus.OPEN, due_at__lte=now, overdue_notified_at__isnull=True
    )
    for handoff_id in due.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            handoff = (
                Handoff.objects.select_for_update(skip_locked=True)
                .select_related("organization")
                .filter(pk=handoff_id, overdue_notified_at__isnull=True)
                .first()
            )
            if handoff is None:
                continue
            handoff.overdue_notified_at = now
            handoff.save(update_fields=["overdue_notified_at"])
            audit_record(
                organization=handoff.organization,
                by="system",
                verb="handoff.overdue",
                target=handoff,
                object_repr=f"{handoff.public_id} {handoff.action}",
                after={"due_at": handoff.due_at.isoformat()},
            )
            flagged.append(handoff.pk)
    return flagged


def approvals_remind_due(*, now: datetime | None = None) -> list[int]:
    """Pending approvals with little of their window left, not yet reminded: marked, once."""
    from apps.humans.constants import REMINDER_WHEN_LEFT

    now = now or timezone.now()
    reminded = []
    pending = Approval.objects.filter(
        status=ApprovalStatus.PENDING, reminded_at__isnull=True, due_at__gt=now
    ).values_list("pk", "created_at", "due_at")
    for approval_id, created_at, due_at in pending[:2000]:
        if (due_at - now) > (due_at - created_at) * REMINDER_WHEN_LEFT:
            continue
        updated = Approval.objects.filter(pk=approval_id, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if updated:
            reminded.append(approval_id)
    return reminded


def decision_outcome_report(
    *, agent: Agent, decision_id: str, executed: bool, detail: str = ""
) -> tuple[Outcome, bool]:
    decision = Decision.objects.filter(
        organization_id=agent.organization_id, agent=agent, decision_id=decision_id
    ).first()
    if decision is None:
        raise NotFound("No such decision for this agent.")
    with transaction.atomic():
        earlier = Outcome.objects.filter(decision=decision).first()
        if earlier is not None:
            if (earlier.executed, earlier.detail) == (executed, detail):
                return earlier, False
            raise Conflict(
                "An outcome was already reported for this decision.",
                code="already_reported",
                fields={"executed": str(earlier.executed).lower()},
            )
        outcome = Outcome.objects.create(
            organization_id=agent.organization_id,
            agent=agent,
            decision=decision,
            executed=executed,
            detail=detail,
        )
        audit_record(
            organization=agent.organization,
            by=agent,
            verb="decision.outcome_reported",
            target=decision,
            object_repr=f"{decision.decision_id} {decision.action}",
            after={"executed": executed, "detail": detail},
        )
    return outcome, True
