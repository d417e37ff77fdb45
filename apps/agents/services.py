"""Writes for agents, their keys and the kill switch; each audited in its transaction."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.constants import KEY_PREFIX_LENGTH, KEY_RANDOM_BYTES, AgentStatus
from apps.agents.models import Agent, AgentKey
from apps.audit.services import audit_record
from apps.core.constants import AGENT_KEY_PREFIX
from apps.core.epoch import check_state_changed
from apps.core.errors import Conflict, NotFound, ValidationFailed
from apps.organizations.models import Organization, Team
from apps.policies.models import Policy

KEY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def agent_key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    key: AgentKey
    raw: str  # shown once


def _snapshot(agent: Agent) -> dict[str, Any]:
    return {
        "key": agent.key,
        "name": agent.name,
        "description": agent.description,
        "team": agent.team.key if agent.team else None,
        "policy": agent.policy.key if agent.policy else None,
        "status": agent.status,
    }


def _resolve(organization: Organization, team: str | None, policy: str | None) -> dict[str, Any]:
    errors, found = {}, {}
    if team is not None:
        found["team"] = (
            Team.objects.filter(organization=organization, key=team).first() if team else None
        )
        if team and found["team"] is None:
            errors["team"] = f"No team {team!r} in this organization."
    if policy is not None:
        found["policy"] = (
            Policy.objects.filter(organization=organization, key=policy).first() if policy else None
        )
        if policy and found["policy"] is None:
            errors["policy"] = f"No policy {policy!r} in this organization."
    if errors:
        raise ValidationFailed("The agent is not valid.", fields=errors)
    return found


@transaction.atomic
def agent_create(
    *,
    organization: Organization,
    by: User | str,
    key: str,
    name: str,
    description: str = "",
    team: str | None = None,
    policy: str | None = None,
) -> Agent:
    key, name = (key or "").strip(), (name or "").strip()
    errors = {}
    if not key or len(key) > 64 or not KEY_RE.match(key):
        errors["key"] = "Use lowercase letters, digits, hyphens and underscores."
    elif Agent.objects.filter(organization=organization, key=key).exists():
        errors["key"] = f"An agent with the key {key!r} exists."
    if not name or len(name) > 200:
        errors["name"] = "A name of 1 to 200 characters is required."
    if errors:
        raise ValidationFailed("The agent is not valid.", fields=errors)
    agent = Agent.objects.create(
        organization=organization,
        key=key,
        name=name,
        description=(description or "").strip(),
        **_resolve(organization, team or "", policy or ""),
    )
    audit_record(
        organization=organization, by=by, verb="agent.created", target=agent, after=_snapshot(agent)
    )
    return agent


@transaction.atomic
def agent_update(
    *,
    agent: Agent,
    by: User,
    name: str | None = None,
    description: str | None = None,
    team: str | None = None,
    policy: str | None = None,
) -> Agent:
    agent = (
        Agent.objects.select_for_update(of=("self",))
        .select_related("team", "policy")
        .get(pk=agent.pk)
    )
    before = _snapshot(agent)
    if name is not None:
        if not name.strip() or len(name) > 200:
            raise ValidationFailed(
                "The agent is not valid.", fields={"name": "1 to 200 characters."}
            )
        agent.name = name.strip()
    if description is not None:
        agent.description = description.strip()
    for attr, value in _resolve(agent.organization, team, policy).items():
        setattr(agent, attr, value)
    after = _snapshot(agent)
    if after != before:
        agent.save()
        check_state_changed()
        changed = [k for k in after if after[k] != before[k]]
        audit_record(
            organization=agent.organization,
            by=by,
            verb="agent.updated",
            target=agent,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return agent


def _set_status(agent: Agent, by: User, status: str, verb: str) -> Agent:
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if agent.status == status:
        raise Conflict(
            f"{agent.name} is already {status}.", code="invalid_state", fields={"status": status}
        )
    before = agent.status
    agent.status = status
    agent.save(update_fields=["status"])
    check_state_changed()
    audit_record(
        organization=agent.organization,
        by=by,
        verb=verb,
        target=agent,
        before={"status": before},
        after={"status": status},
    )
    return agent


@transaction.atomic
def agent_suspend(*, agent: Agent, by: User) -> Agent:
    return _set_status(agent, by, AgentStatus.SUSPENDED, "agent.suspended")


@transaction.atomic
def agent_resume(*, agent: Agent, by: User) -> Agent:
    return _set_status(agent, by, AgentStatus.ACTIVE, "agent.resumed")


@transaction.atomic
def agent_key_create(
    *, agent: Agent, by: User | str, expires_at: datetime | None = None
) -> IssuedKey:
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            "The expiry must be in the future.", fields={"expires_at": "Must be in the future."}
        )
    raw = AGENT_KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)
    key = AgentKey.objects.create(
        organization=agent.organization,
        agent=agent,
        prefix=raw[:KEY_PREFIX_LENGTH],
        key_hash=agent_key_hash(raw),
        created_by=by if isinstance(by, User) else None,
        expires_at=expires_at,
    )
    audit_record(
        organization=agent.organization,
        by=by,
        verb="agent_key.created",
        target=key,
        object_repr=f"{agent.key} {key.prefix}…",
        after={
            "agent": agent.key,
            "prefix": key.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return IssuedKey(key=key, raw=raw)


def _key(agent: Agent, prefix: str) -> AgentKey:
    key = AgentKey.objects.select_for_update().filter(agent=agent, prefix=prefix).first()
    if key is None:
        raise NotFound("No such key.")
    return key


def agent_key_touch(*, key_id: int, at: datetime) -> None:
    """When the key was last used (not audited: usage is in the decision log)."""
    AgentKey.objects.filter(pk=key_id).update(last_used_at=at)


@transaction.atomic
def agent_key_revoke(*, agent: Agent, by: User, prefix: str) -> AgentKey:
    key = _key(agent, prefix)
    if key.revoked_at is not None:
        raise Conflict(
            "The key is already revoked.", code="invalid_state", fields={"state": "revoked"}
        )
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    check_state_changed()
    audit_record(
        organization=agent.organization,
        by=by,
        verb="agent_key.revoked",
        target=key,
        object_repr=f"{agent.key} {key.prefix}…",
        after={"agent": agent.key, "prefix": key.prefix},
    )
    return key


@transaction.atomic
def agent_key_rotate(
    *,
    agent: Agent,
    by: User,
    prefix: str,
    old_valid_until: datetime,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """A new key, while the old one keeps working until `old_valid_until`."""
    old = _key(agent, prefix)
    if not old.is_active:
        raise Conflict("Only an active key can be rotated.", code="invalid_state")
    if old_valid_until <= timezone.now():
        raise ValidationFailed(
            "The old key must keep working for a while.",
            fields={"old_valid_until": "Must be in the future."},
        )
    old.expires_at = min(old_valid_until, old.expires_at) if old.expires_at else old_valid_until
    old.save(update_fields=["expires_at"])
    check_state_changed()
    issued = agent_key_create(agent=agent, by=by, expires_at=expires_at)
    audit_record(
        organization=agent.organization,
        by=by,
        verb="agent_key.rotated",
        target=old,
        object_repr=f"{agent.key} {old.prefix}…",
        after={
            "old": old.prefix,
            "old_valid_until": old.expires_at.isoformat(),
            "new": issued.key.prefix,
        },
    )
    return issued


@transaction.atomic
def organization_autonomy_set(
    *, organization: Organization, by: User, paused: bool, reason: str = ""
) -> Organization:
    """The kill switch: pause (every would-be allow needs a person) or resume autonomy."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    reason = (reason or "").strip()[:500]
    if paused == (organization.autonomy_paused_at is not None):
        raise Conflict(
            f"Autonomy is already {'paused' if paused else 'on'}.",
            code="invalid_state",
            fields={"paused": paused},
        )
    if paused and not reason:
        raise ValidationFailed(
            "Say why autonomy is paused.", fields={"reason": "A reason is required."}
        )
    organization.autonomy_paused_at = timezone.now() if paused else None
    organization.autonomy_paused_reason = reason if paused else ""
    organization.save(update_fields=["autonomy_paused_at", "autonomy_paused_reason"])
    check_state_changed()
    audit_record(
        organization=organization,
        by=by,
        verb="autonomy.paused" if paused else "autonomy.resumed",
        target=organization,
        after={"paused": paused, "reason": reason},
    )
    return organization
