"""Writing audit events. Called by every service that changes something, inside its
transaction, so that the change and its event commit or roll back together."""

import hashlib
import json
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from apps.audit.constants import GENESIS_HASH, ActorType
from apps.audit.context import current_origin
from apps.audit.models import AuditCheckpoint, AuditEvent

HASHED_FIELDS = (
    "organization_id",
    "seq",
    "at",
    "actor_type",
    "actor",
    "verb",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "ip",
    "user_agent",
    "via",
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(event: AuditEvent) -> str:
    content = {name: getattr(event, name) for name in HASHED_FIELDS}
    content["at"] = event.at.isoformat()
    payload = event.prev_hash + canonical_json(content)
    return hashlib.sha256(payload.encode()).hexdigest()


def _actor(by: Any) -> tuple[str, Any, str]:
    """(actor_type, user or None, label) for a user, an agent-like object or a system name."""
    if by is None:
        return ActorType.SYSTEM, None, current_origin().via
    if isinstance(by, str):
        return ActorType.SYSTEM, None, by
    if getattr(by, "is_agent", False):
        return ActorType.AGENT, None, by.key
    return ActorType.USER, by, by.get_username()


def audit_record(
    *,
    organization: Any,
    by: Any,
    verb: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the organization's chain. Must run inside the change's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction of the change")
    from apps.organizations.models import Organization

    # Serialise appends per organization: the row lock orders the chain.
    Organization.objects.select_for_update().filter(pk=organization.pk).values("pk").get()
    last = (
        AuditEvent.objects.filter(organization_id=organization.pk)
        .order_by("-seq")
        .values("seq", "hash")
        .first()
    )
    actor_type, actor_user, actor_label = _actor(by)
    where = current_origin()
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_repr = object_repr or str(target)
    event = AuditEvent(
        organization_id=organization.pk,
        seq=(last["seq"] + 1) if last else 1,
        at=timezone.now(),
        actor_type=actor_type,
        actor_user=actor_user,
        actor=actor_label,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        before=json.loads(canonical_json(before)) if before is not None else None,
        after=json.loads(canonical_json(after)) if after is not None else None,
        ip=where.ip,
        user_agent=where.user_agent,
        via=where.via,
        prev_hash=last["hash"] if last else GENESIS_HASH,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


def audit_checkpoints_take(*, now=None) -> list[AuditCheckpoint]:
    """Sign the chain head of every organization whose chain grew since its last
    checkpoint. Not itself an event: that would move the head it signs."""
    from apps.audit.verification import (
        checkpoint_key,
        checkpoint_key_id,
        checkpoint_signature,
        checkpoint_statement,
    )

    now = now or timezone.now()
    key = checkpoint_key()
    taken = []
    heads = (
        AuditEvent.objects.values("organization_id")
        .annotate(head=models.Max("seq"))
        .values_list("organization_id", "head")
    )
    for organization_id, head in heads:
        last = (
            AuditCheckpoint.objects.filter(organization_id=organization_id)
            .order_by("-seq")
            .values_list("seq", flat=True)
            .first()
        )
        if last is not None and last >= head:
            continue
        event = AuditEvent.objects.get(organization_id=organization_id, seq=head)
        at = now.isoformat()
        statement = checkpoint_statement(
            organization_id=organization_id, seq=head, hash=event.hash, at=at
        )
        with transaction.atomic():
            checkpoint, created = AuditCheckpoint.objects.get_or_create(
                organization_id=organization_id,
                seq=head,
                defaults={
                    "hash": event.hash,
                    "at": now,
                    "key_id": checkpoint_key_id(key),
                    "signature": checkpoint_signature(statement, key),
                },
            )
        if created:
            taken.append(checkpoint)
    return taken
