"""Writes for approvals, handoffs and outcomes, and for the webhooks and e-mail that tell
people and systems about them. Each state change writes its audit event in its transaction,
and its webhook events into the outbox in the same transaction; the first decision on an
approval or handoff wins, the second is told."""

import hashlib
import json
import random
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
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
from apps.humans import webhooks
from apps.humans.constants import (
    AGENT_WEBHOOK_EVENTS,
    APPROVAL_ID_PREFIX,
    DEFAULT_APPROVAL_HOURS,
    DEFAULT_HANDOFF_MINUTES,
    HANDOFF_ACTIVE,
    HANDOFF_ID_PREFIX,
    MAX_AGENT_WEBHOOK_ENDPOINTS,
    MAX_WEBHOOK_ENDPOINTS,
    MAX_WEBHOOK_URL,
    WEBHOOK_BACKOFF_CAP_SECONDS,
    WEBHOOK_ENDPOINT_ID_PREFIX,
    WEBHOOK_MESSAGE_ID_PREFIX,
    WEBHOOK_SECRET_OVERLAP_HOURS,
    WEBHOOK_SWEEP_BATCH,
    ApprovalStatus,
    HandoffStatus,
    NotificationKind,
    Verdict,
    WebhookEvent,
    WebhookFormat,
    WebhookStatus,
)
from apps.humans.models import (
    Approval,
    Handoff,
    Outcome,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookMessage,
)
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


def _create_once(model, *, agent: Agent, decision: Decision, key: str, digest: str, **fields):
    """The item, created once: a submission racing an identical one gets the earlier one
    (created False); anything else that breaks a constraint is raised."""
    try:
        with transaction.atomic():
            item = model.objects.create(
                organization_id=agent.organization_id,
                agent=agent,
                decision=decision,
                action=decision.action,
                idempotency_key=key,
                request_hash=digest,
                **fields,
            )
    except IntegrityError:
        earlier = _replay(model, agent, decision, key, digest)
        if earlier is None:
            raise
        return earlier, False
    return item, True


def _record_created(item, *, verb: str, event: str, payload: dict, notify: str) -> None:
    """The audit event, the webhook outbox rows and the e-mail of a new approval or handoff,
    in the creating transaction."""
    audit_record(
        organization=item.agent.organization,
        by=item.agent,
        verb=verb,
        target=item,
        object_repr=f"{item.public_id} {item.action}",
        after={
            "decision_id": item.decision.decision_id,
            "team": item.team.key if item.team else None,
            "due_at": item.due_at.isoformat(),
        },
    )
    events_emit(
        organization=item.agent.organization, event=event, payload=payload, agent=item.agent
    )
    _notify_later(notify, item.pk)


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
        approval, created = _create_once(
            Approval,
            agent=agent,
            decision=decision,
            key=idempotency_key,
            digest=digest,
            public_id=new_public_id(APPROVAL_ID_PREFIX),
            team=_team(agent.organization, decision.obligations.get("approver_team")),
            draft=draft,
            context=context,
            due_at=timezone.now() + timedelta(hours=float(hours)),
        )
        if created:
            _record_created(
                approval,
                verb="approval.created",
                event=WebhookEvent.APPROVAL_CREATED,
                payload=webhooks.approval_data(approval),
                notify=NotificationKind.APPROVAL_CREATED,
            )
    return approval, created


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
        events_emit(
            organization=approval.organization,
            event=WebhookEvent.APPROVAL_RESOLVED,
            payload=webhooks.approval_data(approval),
            agent=approval.agent,
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
    events_emit(
        organization=approval.organization,
        event=WebhookEvent.APPROVAL_RESOLVED,
        payload=webhooks.approval_data(approval),
        agent=approval.agent,
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
        handoff, created = _create_once(
            Handoff,
            agent=agent,
            decision=decision,
            key=idempotency_key,
            digest=digest,
            public_id=new_public_id(HANDOFF_ID_PREFIX),
            team=_team(agent.organization, decision.obligations.get("route_to_team")),
            reason=decision.primary_reason,
            context=context,
            due_at=timezone.now() + timedelta(minutes=float(minutes)),
        )
        if created:
            _record_created(
                handoff,
                verb="handoff.created",
                event=WebhookEvent.HANDOFF_CREATED,
                payload=webhooks.handoff_data(handoff),
                notify=NotificationKind.HANDOFF_CREATED,
            )
    return handoff, created


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
        handoff = _handoff_change(handoff, by, "close", HANDOFF_ACTIVE)
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
        events_emit(
            organization=handoff.organization,
            event=WebhookEvent.HANDOFF_RESOLVED,
            payload=webhooks.handoff_data(handoff),
            agent=handoff.agent,
        )
    return handoff


def handoffs_flag_overdue(*, now: datetime | None = None) -> list[int]:
    """Announce every handoff past its due time and not closed (nobody took it, or whoever
    did has not resolved it): when it falls due, then again each
    MANDATE_HANDOFF_RENOTIFY_MINUTES until someone closes it. overdue_notified_at holds the
    last announcement and overdue_notices their number; the caller sends the e-mail."""
    now = now or timezone.now()
    every = settings.MANDATE_HANDOFF_RENOTIFY_MINUTES
    unannounced = Q(overdue_notified_at__isnull=True)
    if every > 0:
        unannounced |= Q(overdue_notified_at__lte=now - timedelta(minutes=every))
    due = Q(status__in=HANDOFF_ACTIVE, due_at__lte=now) & unannounced
    flagged = []
    for handoff_id in Handoff.objects.filter(due).values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            handoff = (
                Handoff.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("organization", "agent", "team", "decision", "assignee")
                .filter(due, pk=handoff_id)
                .first()
            )
            if handoff is None:
                continue
            # Counted under the row's lock, so two sweeps never give the same number.
            handoff.overdue_notices += 1
            notice = handoff.overdue_notices
            handoff.overdue_notified_at = now
            handoff.save(update_fields=["overdue_notified_at", "overdue_notices"])
            audit_record(
                organization=handoff.organization,
                by="system",
                verb="handoff.overdue",
                target=handoff,
                object_repr=f"{handoff.public_id} {handoff.action}",
                after={
                    "due_at": handoff.due_at.isoformat(),
                    "status": handoff.status,
                    "assignee": handoff.assignee.username if handoff.assignee else None,
                    "notice": notice,
                },
            )
            events_emit(
                organization=handoff.organization,
                event=WebhookEvent.HANDOFF_OVERDUE,
                payload=webhooks.handoff_overdue_data(handoff, notice=notice, at=now),
                agent=handoff.agent,
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


# ---- outbound webhooks -------------------------------------------------------------------


def _deliver_later(message_id: int) -> None:
    from apps.humans.tasks import deliver_webhook

    # robust: the message is in the outbox whatever happens to the broker; the sweeper
    # queues it again if this does not reach a worker.
    transaction.on_commit(lambda: deliver_webhook.delay(message_id), robust=True)


def events_emit(
    *, organization: Organization, event: str, payload: dict[str, Any], agent: Agent | None = None
) -> list[WebhookMessage]:
    """Put the event in the outbox of every active endpoint subscribed to it, inside the
    caller's transaction (so a change that rolls back tells nobody), and queue each delivery
    for when it commits. `agent` is the agent the event is about: the endpoints it registered
    are told too; those of other agents never are, nor of an event about no agent."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events_emit must be called inside the transaction of the change")
    now = timezone.now()
    audience = Q(agent__isnull=True)
    if agent is not None:
        audience |= Q(agent=agent)
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            audience, organization=organization, active=True
        ).order_by("id")
        if event in endpoint.events
    ]
    messages = []
    for endpoint in endpoints:
        message = WebhookMessage.objects.create(
            public_id=new_public_id(WEBHOOK_MESSAGE_ID_PREFIX),
            organization=organization,
            endpoint=endpoint,
            event_type=event,
            payload=webhooks.envelope(event, payload, now),
            next_attempt_at=now,
        )
        _deliver_later(message.pk)
        messages.append(message)
    return messages


def _webhook_values(
    *,
    url: str,
    events: list[str],
    fmt: str,
    description: str,
    allowed: tuple[str, ...] = tuple(WebhookEvent.values),
    check_url: bool = True,
) -> dict[str, Any]:
    problems = {}
    url = (url or "").strip()
    if check_url:
        refusal = webhooks.url_refusal(url) if url else "A URL is required."
        if refusal:
            problems["url"] = refusal
    if len(url) > MAX_WEBHOOK_URL:
        problems["url"] = f"At most {MAX_WEBHOOK_URL} characters."
    unknown = [e for e in events if e not in allowed]
    if unknown or not events:
        problems["events"] = (
            f"Unknown: {', '.join(map(str, unknown))}." if unknown else "Choose at least one event."
        )
    if fmt not in WebhookFormat.values:
        problems["format"] = f"One of {', '.join(WebhookFormat.values)}."
    if problems:
        raise ValidationFailed("The webhook cannot be saved.", fields=problems)
    ordered = [e for e in WebhookEvent.values if e in events]
    return {"url": url, "events": ordered, "format": fmt, "description": description.strip()}


def _webhook_snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    snapshot = {
        "url": webhooks.url_for_audit(endpoint.url),
        "events": endpoint.events,
        "format": endpoint.format,
        "active": endpoint.active,
        "description": endpoint.description,
    }
    if endpoint.agent_id is not None:
        snapshot["agent"] = endpoint.agent.key
    return snapshot


def _webhook_endpoint_insert(
    *,
    organization: Organization,
    by: User | Agent,
    values: dict[str, Any],
) -> WebhookEndpoint:
    """Store a checked endpoint with a new secret and record its creation, by a person for
    the organization or by an agent for itself; inside the caller's transaction, which
    holds the lock its cap was counted under."""
    endpoint = WebhookEndpoint.objects.create(
        public_id=new_public_id(WEBHOOK_ENDPOINT_ID_PREFIX),
        organization=organization,
        agent=by if isinstance(by, Agent) else None,
        secret=webhooks.new_secret(),
        created_by=by if isinstance(by, User) else None,
        **values,
    )
    audit_record(
        organization=organization,
        by=by,
        verb="webhook_endpoint.created",
        target=endpoint,
        object_repr=f"{endpoint.public_id} {webhooks.url_for_audit(endpoint.url)}",
        after=_webhook_snapshot(endpoint),
    )
    return endpoint


def webhook_endpoint_create(
    *,
    organization: Organization,
    by: User,
    url: str,
    events: list[str],
    format: str = WebhookFormat.STANDARD,
    description: str = "",
) -> WebhookEndpoint:
    """Register a URL for the events chosen; its secret is in the returned object, the only
    time it is shown."""
    values = _webhook_values(url=url, events=list(events), fmt=format, description=description)
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).values("pk").get()
        # An organization's own endpoints; its agents' have their own cap.
        if WebhookEndpoint.objects.filter(
            organization=organization, agent__isnull=True
        ).count() >= (MAX_WEBHOOK_ENDPOINTS):
            raise Conflict(
                f"An organization has at most {MAX_WEBHOOK_ENDPOINTS} webhooks.",
                code="too_many_webhooks",
            )
        return _webhook_endpoint_insert(organization=organization, by=by, values=values)


def agent_webhook_endpoint_create(*, agent: Agent, url: str, events: list[str]) -> WebhookEndpoint:
    """An endpoint the agent registers to be told of its own approvals and handoffs instead
    of polling; refused, signed and delivered like every other (Standard Webhooks). Its
    secret is in the returned object, the only time it is shown. The agent is the audit
    event's actor."""
    values = _webhook_values(
        url=url,
        events=list(events),
        fmt=WebhookFormat.STANDARD,
        description="",
        allowed=AGENT_WEBHOOK_EVENTS,
    )
    organization = agent.organization
    with transaction.atomic():
        Agent.objects.select_for_update().filter(pk=agent.pk).values("pk").get()
        if WebhookEndpoint.objects.filter(agent=agent).count() >= MAX_AGENT_WEBHOOK_ENDPOINTS:
            raise Conflict(
                f"An agent has at most {MAX_AGENT_WEBHOOK_ENDPOINTS} webhooks; "
                "delete one it no longer uses first.",
                code="too_many_webhooks",
            )
        return _webhook_endpoint_insert(organization=organization, by=agent, values=values)


def _lock_endpoint(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return (
        WebhookEndpoint.objects.select_for_update(of=("self",))
        .select_related("organization", "agent")
        .get(pk=endpoint.pk)
    )


def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, by: User, **changes: Any
) -> WebhookEndpoint:
    """Change the URL, events, format, description or whether it is active."""
    allowed = {"url", "events", "format", "description", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed("Unknown fields.", fields=dict.fromkeys(sorted(unknown), "Unknown."))
    with transaction.atomic():
        endpoint = _lock_endpoint(endpoint)
        if endpoint.agent_id is not None and set(changes) - {"active"}:
            # The agent chose where and what it is told; people may switch it off and on.
            raise Conflict(
                "This webhook belongs to an agent: here it can only be enabled or disabled.",
                code="agent_webhook",
                fields=dict.fromkeys(sorted(set(changes) - {"active"}), "Set by the agent."),
            )
        before = _webhook_snapshot(endpoint)
        values = _webhook_values(
            url=changes.get("url", endpoint.url),
            events=list(changes.get("events", endpoint.events)),
            fmt=changes.get("format", endpoint.format),
            description=changes.get("description", endpoint.description),
            # An unchanged URL is not checked again here (each delivery checks where it goes).
            check_url="url" in changes,
        )
        if "url" not in changes:
            values["url"] = endpoint.url
        for name, value in values.items():
            setattr(endpoint, name, value)
        if "active" in changes:
            endpoint.active = bool(changes["active"])
        after = _webhook_snapshot(endpoint)
        if after == before:
            return endpoint
        endpoint.save()
        audit_record(
            organization=endpoint.organization,
            by=by,
            verb="webhook_endpoint.updated",
            target=endpoint,
            object_repr=f"{endpoint.public_id} {webhooks.url_for_audit(endpoint.url)}",
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, by: User | Agent) -> None:
    """Remove the endpoint with its outbox and history; nothing more is sent to it. People
    may remove any of the organization's; an agent only its own (its API looks it up so)."""
    with transaction.atomic():
        endpoint = _lock_endpoint(endpoint)
        audit_record(
            organization=endpoint.organization,
            by=by,
            verb="webhook_endpoint.deleted",
            target=endpoint,
            object_repr=f"{endpoint.public_id} {webhooks.url_for_audit(endpoint.url)}",
            before=_webhook_snapshot(endpoint),
        )
        endpoint.delete()


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, by: User) -> WebhookEndpoint:
    """A new secret, returned once; the old one also signs for WEBHOOK_SECRET_OVERLAP_HOURS
    so that the receiver can switch without rejecting a message."""
    with transaction.atomic():
        endpoint = _lock_endpoint(endpoint)
        if endpoint.agent_id is not None:
            # Only the agent could use a new secret, and nothing would hand it over.
            raise Conflict(
                "This webhook belongs to an agent, which alone holds its secret: "
                "disable or delete it instead.",
                code="agent_webhook",
            )
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = timezone.now() + timedelta(
            hours=WEBHOOK_SECRET_OVERLAP_HOURS
        )
        endpoint.secret = webhooks.new_secret()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        audit_record(
            organization=endpoint.organization,
            by=by,
            verb="webhook_endpoint.secret_rotated",
            target=endpoint,
            object_repr=f"{endpoint.public_id} {webhooks.url_for_audit(endpoint.url)}",
            after={"previous_secret_until": endpoint.previous_secret_until.isoformat()},
        )
    return endpoint


def _lease() -> timedelta:
    """How long an attempt may take before the sweeper treats its worker as gone."""
    return timedelta(seconds=2 * settings.MANDATE_WEBHOOK_TIMEOUT_SECONDS + 5)


def webhook_message_redeliver(*, message: WebhookMessage, by: User) -> WebhookMessage:
    """Send the message again (with the same webhook-id), now, with a fresh round of
    attempts, whatever became of it before."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            WebhookMessage.objects.select_for_update(of=("self",))
            .select_related("endpoint", "organization")
            .get(pk=message.pk)
        )
        if not message.endpoint.active:
            raise Conflict(
                "The webhook is disabled: enable it first.",
                code="webhook_disabled",
                fields={"active": "false"},
            )
        running = message.tries.filter(
            finished_at__isnull=True, started_at__gt=now - _lease()
        ).exists()
        if message.status == WebhookStatus.PENDING and running:
            raise Conflict(
                "An attempt is being made right now; wait for its result.",
                code="delivery_in_progress",
                fields={"status": message.status},
            )
        before = {"status": message.status, "attempts": message.attempts}
        message.status = WebhookStatus.PENDING
        message.round_starts_after = message.attempts
        message.next_attempt_at = now
        message.save(update_fields=["status", "round_starts_after", "next_attempt_at"])
        audit_record(
            organization=message.organization,
            by=by,
            verb="webhook_message.redelivered",
            target=message,
            object_repr=(
                f"{message.public_id} {message.event_type}"
                f" to {webhooks.url_for_audit(message.endpoint.url)}"
            ),
            before=before,
            after={"status": WebhookStatus.PENDING},
        )
        _deliver_later(message.pk)
    return message


def _backoff(round_attempts: int) -> timedelta:
    """base * 2^(n-1) seconds after the n-th failed attempt of a round, capped, plus up to 20%."""
    base = float(settings.MANDATE_WEBHOOK_BACKOFF_SECONDS)
    delay = min(WEBHOOK_BACKOFF_CAP_SECONDS, base * 2 ** (round_attempts - 1))
    return timedelta(seconds=delay * (1 + random.random() * 0.2))  # noqa: S311 - jitter


def _claim(message_id: int, now: datetime) -> tuple[WebhookMessage, WebhookAttempt] | None:
    """Take a due message for one attempt: the row lock keeps two workers from taking it at
    once, and the lease (next_attempt_at moved past the attempt's longest run) keeps the
    sweeper from queueing it again unless this worker dies."""
    with transaction.atomic():
        message = (
            WebhookMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "organization")
            .filter(pk=message_id, status=WebhookStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if message is None:
            return None
        if not message.endpoint.active:
            message.status = WebhookStatus.FAILED
            message.next_attempt_at = None
            message.last_error = "The webhook was disabled before this message was sent."
            message.save(update_fields=["status", "next_attempt_at", "last_error"])
            return None
        message.attempts += 1
        message.next_attempt_at = now + _lease()
        message.save(update_fields=["attempts", "next_attempt_at"])
        attempt = WebhookAttempt.objects.create(
            organization_id=message.organization_id,
            message=message,
            number=message.attempts,
            url=message.endpoint.url,
            started_at=now,
        )
    return message, attempt


def webhook_message_deliver(*, message_id: int) -> str:
    """One attempt at a due message, recorded: delivered on a 2xx, otherwise retried after
    a backoff until MANDATE_WEBHOOK_MAX_ATTEMPTS, then failed. Returns the outcome."""
    claimed = _claim(message_id, timezone.now())
    if claimed is None:
        return "skipped"
    message, attempt = claimed
    endpoint = message.endpoint
    timestamp = int(time.time())
    body = webhooks.body_for(endpoint.format, message.payload)
    secrets = [endpoint.secret]
    if endpoint.previous_secret and (
        endpoint.previous_secret_until and endpoint.previous_secret_until > timezone.now()
    ):
        secrets.append(endpoint.previous_secret)
    result = webhooks.post(
        endpoint.url,
        body=body,
        headers=webhooks.signed_headers(
            secrets, msg_id=message.public_id, timestamp=timestamp, body=body
        ),
        timeout=float(settings.MANDATE_WEBHOOK_TIMEOUT_SECONDS),
    )
    finished = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.filter(pk=attempt.pk).update(
            finished_at=finished,
            status_code=result.status_code,
            error=result.error,
            response_excerpt=result.excerpt,
            duration_ms=result.duration_ms,
        )
        current = (
            WebhookMessage.objects.select_for_update(of=("self",))
            .filter(pk=message.pk, status=WebhookStatus.PENDING, attempts=attempt.number)
            .first()
        )
        if current is None:  # deleted, or redelivered and tried again meanwhile
            return "superseded"
        current.last_status_code = result.status_code
        current.last_error = result.error
        if result.ok:
            current.status = WebhookStatus.DELIVERED
            current.delivered_at = finished
            current.next_attempt_at = None
        elif current.attempts - current.round_starts_after >= (
            settings.MANDATE_WEBHOOK_MAX_ATTEMPTS
        ):
            current.status = WebhookStatus.FAILED
            current.next_attempt_at = None
        else:
            current.next_attempt_at = finished + _backoff(
                current.attempts - current.round_starts_after
            )
        current.save(
            update_fields=[
                "status",
                "delivered_at",
                "next_attempt_at",
                "last_status_code",
                "last_error",
            ]
        )
    return current.status


def webhooks_sweep(*, now: datetime | None = None) -> list[int]:
    """Queue every pending message that is due: retries after their backoff, and anything a
    lost task or a dead worker left behind. A message queued twice is attempted once."""
    from apps.humans.tasks import deliver_webhook

    now = now or timezone.now()
    due = list(
        WebhookMessage.objects.filter(status=WebhookStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:WEBHOOK_SWEEP_BATCH]
    )
    for message_id in due:
        deliver_webhook.delay(message_id)
    return due


# ---- e-mail notifications ------------------------------------------------------------------


def _notify_later(kind: str, object_id: int) -> None:
    from apps.humans.tasks import send_notification

    transaction.on_commit(lambda: send_notification.delay(kind, object_id), robust=True)
