"""The life cycle of policy versions: draft → in review → approved | rejected → active →
superseded. Every transition locks the version, checks its state, and writes its audit event
in the same transaction; a transition the state does not allow is a Conflict (409), one the
person may not make is PermissionRefused (403)."""

import json
import logging
import re
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from apps.accounts.models import User
from apps.agents.models import Agent
from apps.audit.services import audit_record
from apps.catalogs.selectors import catalog_keys
from apps.core.epoch import check_state_changed
from apps.core.errors import Conflict, PermissionRefused, ValidationFailed
from apps.humans.constants import WebhookEvent
from apps.humans.services import events_emit
from apps.humans.trust import agent_trust, why_not_recommended
from apps.humans.webhooks import policy_version_data
from apps.policies import document as doc_module
from apps.policies.constants import Mode, VersionState
from apps.policies.diff import diff
from apps.policies.models import Policy, PolicyVersion

logger = logging.getLogger(__name__)

KEY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def _invalid(problems: dict[str, str], *, prefix: str = "document") -> ValidationFailed:
    fields = {
        (f"{prefix}.{path}" if path != "document" else prefix): message
        for path, message in problems.items()
    }
    first = next(iter(problems.items()))
    return ValidationFailed(
        f"The policy document is not valid: {first[0]}: {first[1]}"
        + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
        fields=fields,
    )


def policy_document_clean(*, organization, document: Any, catalogs: bool = True) -> dict[str, Any]:
    """Validate a document against the format (and the organization's catalogs) and return
    its canonical form; raise ValidationFailed naming every problem by its path."""
    keys = catalog_keys(organization=organization) if catalogs else None
    try:
        return doc_module.validate(document, keys)
    except doc_module.DocumentError as exc:
        raise _invalid(exc.problems) from exc


def policy_document_parse(*, text: str | bytes, fmt: str) -> Any:
    try:
        return doc_module.parse(text, fmt)
    except doc_module.DocumentError as exc:
        raise _invalid(exc.problems) from exc


def _version_snapshot(version: PolicyVersion) -> dict[str, Any]:
    return {"number": version.number, "state": version.state, "content_hash": version.content_hash}


def _lock(version: PolicyVersion) -> PolicyVersion:
    return (
        PolicyVersion.objects.select_for_update()
        .select_related("policy", "organization")
        .get(pk=version.pk)
    )


def _require_state(version: PolicyVersion, *allowed: str, doing: str) -> None:
    if version.state not in allowed:
        raise Conflict(
            f"Version {version.number} is {version.get_state_display().lower()}; "
            f"only {' or '.join(VersionState(s).label.lower() for s in allowed)} versions "
            f"can be {doing}.",
            code="invalid_state",
            fields={"state": version.state},
        )


@transaction.atomic
def policy_create(*, organization, by: User, key: str, name: str, description: str = "") -> Policy:
    key, name = (key or "").strip(), (name or "").strip()
    errors = {}
    if not key or len(key) > 64 or not KEY_RE.match(key):
        errors["key"] = "Use lowercase letters, digits, hyphens and underscores."
    elif Policy.objects.filter(organization=organization, key=key).exists():
        errors["key"] = f"A policy with the key {key!r} exists."
    if not name:
        errors["name"] = "This field is required."
    elif len(name) > 200:
        errors["name"] = "At most 200 characters."
    if errors:
        raise ValidationFailed("The policy is not valid.", fields=errors)
    try:
        with transaction.atomic():
            policy = Policy.objects.create(
                organization=organization,
                key=key,
                name=name,
                description=(description or "").strip(),
                created_by=by,
            )
    except IntegrityError as exc:  # a concurrent create took the key
        raise ValidationFailed(
            "The policy is not valid.", fields={"key": f"A policy with the key {key!r} exists."}
        ) from exc
    audit_record(
        organization=organization,
        by=by,
        verb="policy.created",
        target=policy,
        after={"key": key, "name": name, "description": policy.description},
    )
    return policy


@transaction.atomic
def policy_version_create(
    *,
    policy: Policy,
    by: User,
    document: Any = None,
    based_on: PolicyVersion | None = None,
) -> PolicyVersion:
    """A new draft: from a document, from an older version (rollback), or from the active
    version (or an empty envelope when there is none)."""
    Policy.objects.select_for_update().filter(pk=policy.pk).values("pk").get()
    copied = document is None
    if copied:
        source = based_on or policy.versions.filter(state=VersionState.ACTIVE).first()
        document = (
            source.document
            if source
            else doc_module.empty_document(policy.name, policy.description)
        )
        based_on = source
    # A copy may name what the catalogs no longer hold: it is fixed in the editor, and
    # submitting checks the catalogs again.
    canonical = policy_document_clean(
        organization=policy.organization, document=document, catalogs=not copied
    )
    number = (policy.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = PolicyVersion.objects.create(
        organization=policy.organization,
        policy=policy,
        number=number,
        document_text=json.dumps(canonical, ensure_ascii=False),
        content_hash=doc_module.content_hash(canonical),
        based_on=based_on,
        author=by,
    )
    version.contributors.add(by)
    if based_on is not None:
        # Whoever wrote the source wrote this too: they may not approve the copy.
        version.contributors.add(*based_on.contributors.all())
    audit_record(
        organization=policy.organization,
        by=by,
        verb="policy_version.created",
        target=version,
        after={
            **_version_snapshot(version),
            "based_on": based_on.number if based_on else None,
        },
    )
    return version


@transaction.atomic
def policy_version_create_autonomous(
    *, policy: Policy, by: User, action: str, evidence: dict[str, Any]
) -> PolicyVersion:
    """A draft that makes one action of the active version autonomous, every other rule as
    it is, for the normal review: trust figures propose the change, a reviewer decides it."""
    Policy.objects.select_for_update().filter(pk=policy.pk).values("pk").get()
    active = policy.versions.filter(state=VersionState.ACTIVE).first()
    if active is None:
        raise Conflict(
            f"{policy.name} has no active version to change.",
            code="no_active_version",
            fields={"policy": "No active version."},
        )
    document = active.document
    spec = (document.get("actions") or {}).get(action)
    mode = spec.get("mode") if isinstance(spec, dict) else None
    if mode != Mode.APPROVAL:
        raise Conflict(
            f"{action} is not on approval in version {active.number}"
            + (f" (it is {mode})" if mode else " (it is not in the envelope)")
            + ": there is nothing to make autonomous.",
            code="not_on_approval",
            fields={"action": f"Mode in version {active.number}: {mode or 'none'}."},
        )
    spec["mode"] = Mode.AUTONOMOUS.value
    version = policy_version_create(policy=policy, by=by, document=document, based_on=active)
    audit_record(
        organization=policy.organization,
        by=by,
        verb="policy_version.autonomy_proposed",
        target=version,
        before={"action": action, "mode": Mode.APPROVAL.value, "version": active.number},
        after={"action": action, "mode": Mode.AUTONOMOUS.value, "evidence": evidence},
    )
    return version


@transaction.atomic
def policy_version_propose_autonomous(
    *, agent: Agent, action: str, days: int, by: User
) -> PolicyVersion:
    """A trust recommendation made a draft version of the agent's policy. The record is read
    again with the agent and its policy locked: a stale page or a forged request proposes
    nothing the evidence does not support, nothing twice while an open version already
    proposes it, and nothing on a policy the agent has left meanwhile."""
    # No-key locks: the agent's checks go on inserting decisions that point at both rows.
    agent = Agent.objects.select_for_update(no_key=True).get(pk=agent.pk)
    if agent.policy_id is not None:
        Policy.objects.select_for_update(no_key=True).filter(pk=agent.policy_id).values("pk").get()
    record = agent_trust(agent=agent, days=days)
    recommendation = record.recommendation_for(action)
    if recommendation is None:
        why = why_not_recommended(record=record, action=action)
        raise Conflict(
            f"The record of the last {days} days does not support making "
            f"{action or 'that action'} autonomous ({why}); nothing was proposed.",
            code="not_recommended",
            fields={"action": f"Not recommended: {why}."},
        )
    if recommendation.proposed_in is not None:
        number = recommendation.proposed_in.number
        raise Conflict(
            f"Version {number} already makes {action} autonomous; nothing was proposed.",
            code="already_proposed",
            fields={"action": f"Proposed in version {number}."},
        )
    return policy_version_create_autonomous(
        policy=recommendation.active_version.policy,
        by=by,
        action=action,
        evidence=recommendation.evidence,
    )


@transaction.atomic
def policy_version_import(
    *, policy: Policy, by: User, text: str | bytes, fmt: str = "yaml"
) -> PolicyVersion:
    if fmt not in ("yaml", "json"):
        raise ValidationFailed("Unknown format.", fields={"format": "Use yaml or json."})
    return policy_version_create(
        policy=policy, by=by, document=policy_document_parse(text=text, fmt=fmt)
    )


@transaction.atomic
def policy_version_edit(
    *, version: PolicyVersion, by: User, document: Any, submit: bool = False
) -> PolicyVersion:
    """Change a draft's document (and, with submit, send it for review in the same
    transaction)."""
    version = _lock(version)
    _require_state(version, VersionState.DRAFT, doing="edited")
    canonical = policy_document_clean(organization=version.organization, document=document)
    new_text = json.dumps(canonical, ensure_ascii=False)
    if new_text != version.document_text:
        changes = diff(version.document, canonical)
        before_hash = version.content_hash
        version.document_text = new_text
        version.content_hash = doc_module.content_hash(canonical)
        version.save(update_fields=["document_text", "content_hash", "updated_at"])
        version.contributors.add(by)
        audit_record(
            organization=version.organization,
            by=by,
            verb="policy_version.edited",
            target=version,
            before={"content_hash": before_hash},
            after={
                "content_hash": version.content_hash,
                "changes": [change.text for change in changes],
            },
        )
    if submit:
        return policy_version_submit(version=version, by=by)
    return version


@transaction.atomic
def policy_version_submit(*, version: PolicyVersion, by: User) -> PolicyVersion:
    version = _lock(version)
    _require_state(version, VersionState.DRAFT, doing="submitted")
    # The catalogs may have changed since the draft was written.
    document = policy_document_clean(organization=version.organization, document=version.document)
    version.state = VersionState.IN_REVIEW
    version.submitted_at = timezone.now()
    version.submitted_by = by
    # The reviewer approves the templates as they are now: later edits of a template do not
    # reach agents through this version.
    version.template_pins = template_pins(organization=version.organization, document=document)
    version.save(
        update_fields=["state", "submitted_at", "submitted_by", "template_pins", "updated_at"]
    )
    audit_record(
        organization=version.organization,
        by=by,
        verb="policy_version.submitted",
        target=version,
        before={"state": VersionState.DRAFT},
        after={
            "state": version.state,
            "content_hash": version.content_hash,
            "template_pins": version.template_pins,
        },
    )
    return version


def _review(version: PolicyVersion, by: User, comment: str, seen_hash: str | None) -> PolicyVersion:
    version = _lock(version)
    _require_state(version, VersionState.IN_REVIEW, doing="reviewed")
    if version.author_id == by.pk or version.contributors.filter(pk=by.pk).exists():
        raise PermissionRefused(
            "Nobody reviews a version they wrote: another reviewer must decide.",
            code="own_version",
        )
    if seen_hash and seen_hash != version.content_hash:
        raise Conflict(
            "This version changed since you looked at it; review it again.",
            code="stale_review",
            fields={"content_hash": version.content_hash},
        )
    if len(comment) > 5000:
        raise ValidationFailed(
            "The comment is too long.", fields={"comment": "At most 5000 characters."}
        )
    return version


@transaction.atomic
def policy_version_approve(
    *, version: PolicyVersion, by: User, comment: str = "", seen_hash: str | None = None
) -> PolicyVersion:
    comment = (comment or "").strip()
    version = _review(version, by, comment, seen_hash)
    version.state = VersionState.APPROVED
    version.reviewed_at = timezone.now()
    version.reviewed_by = by
    version.review_comment = comment
    version.approved_hash = version.content_hash
    version.save(
        update_fields=[
            "state",
            "reviewed_at",
            "reviewed_by",
            "review_comment",
            "approved_hash",
            "updated_at",
        ]
    )
    audit_record(
        organization=version.organization,
        by=by,
        verb="policy_version.approved",
        target=version,
        before={"state": VersionState.IN_REVIEW},
        after={"state": version.state, "approved_hash": version.approved_hash, "comment": comment},
    )
    return version


@transaction.atomic
def policy_version_reject(
    *, version: PolicyVersion, by: User, comment: str, seen_hash: str | None = None
) -> PolicyVersion:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(
            "Say why the version is rejected.", fields={"comment": "A rejection needs a comment."}
        )
    version = _review(version, by, comment, seen_hash)
    version.state = VersionState.REJECTED
    version.reviewed_at = timezone.now()
    version.reviewed_by = by
    version.review_comment = comment
    version.save(
        update_fields=["state", "reviewed_at", "reviewed_by", "review_comment", "updated_at"]
    )
    audit_record(
        organization=version.organization,
        by=by,
        verb="policy_version.rejected",
        target=version,
        before={"state": VersionState.IN_REVIEW},
        after={"state": version.state, "comment": comment},
    )
    return version


def _activate(version: PolicyVersion, by: User | str) -> PolicyVersion:
    """Make a locked, approved version active and supersede the previous one, atomically.
    The caller holds the policy's lock, then the version's."""
    if version.approved_hash != version.content_hash:
        raise Conflict("The approved content and the version differ.", code="hash_mismatch")
    now = timezone.now()
    previous = (
        PolicyVersion.objects.select_for_update()
        .filter(policy_id=version.policy_id, state=VersionState.ACTIVE)
        .first()
    )
    if previous is not None:
        previous.state = VersionState.SUPERSEDED
        previous.superseded_at = now
        previous.save(update_fields=["state", "superseded_at", "updated_at"])
        audit_record(
            organization=version.organization,
            by=by,
            verb="policy_version.superseded",
            target=previous,
            before={"state": VersionState.ACTIVE},
            after={"state": VersionState.SUPERSEDED, "superseded_by": version.number},
        )
    version.state = VersionState.ACTIVE
    version.activated_at = now
    check_state_changed()
    version.save(
        update_fields=["state", "activated_at", "publish_at", "published_by", "updated_at"]
    )
    # Older approved versions still waiting for their time would undo this one: cancel them.
    stale = PolicyVersion.objects.select_for_update().filter(
        policy_id=version.policy_id,
        state=VersionState.APPROVED,
        publish_at__isnull=False,
        number__lt=version.number,
    )
    for older in stale:
        older.publish_at = None
        older.save(update_fields=["publish_at", "updated_at"])
        audit_record(
            organization=version.organization,
            by=by,
            verb="policy_version.schedule_cancelled",
            target=older,
            after={"reason": f"version {version.number} became active"},
        )
    audit_record(
        organization=version.organization,
        by=by,
        verb="policy_version.activated",
        target=version,
        before={"state": VersionState.APPROVED},
        after={
            "state": VersionState.ACTIVE,
            "content_hash": version.content_hash,
            "superseded": previous.number if previous else None,
        },
    )
    events_emit(
        organization=version.organization,
        event=WebhookEvent.POLICY_VERSION_PUBLISHED,
        payload=policy_version_data(version),
    )
    return version


@transaction.atomic
def policy_version_publish(
    *, version: PolicyVersion, by: User, effective_at: datetime | None = None
) -> PolicyVersion:
    """Activate an approved version now, or schedule it (a periodic task activates it)."""
    # Lock order everywhere: the policy, then its versions.
    Policy.objects.select_for_update().filter(pk=version.policy_id).values("pk").get()
    version = _lock(version)
    _require_state(version, VersionState.APPROVED, doing="published")
    active = PolicyVersion.objects.filter(
        policy_id=version.policy_id, state=VersionState.ACTIVE
    ).first()
    if active is not None and active.number > version.number:
        raise Conflict(
            f"Version {active.number} is active and newer; to go back to version "
            f"{version.number}, restore it as a new draft.",
            code="older_than_active",
            fields={"active": active.number},
        )
    # Teams or templates may have left the catalogs since the review.
    policy_document_clean(organization=version.organization, document=version.document)
    version.published_by = by
    if effective_at is not None and effective_at > timezone.now():
        version.publish_at = effective_at
        version.save(update_fields=["publish_at", "published_by", "updated_at"])
        audit_record(
            organization=version.organization,
            by=by,
            verb="policy_version.scheduled",
            target=version,
            after={"publish_at": effective_at.isoformat()},
        )
        return version
    if effective_at is not None:
        raise ValidationFailed(
            "The publication time is in the past.",
            fields={"effective_at": "Must be in the future (or leave it out to publish now)."},
        )
    version.publish_at = None
    try:
        with transaction.atomic():
            return _activate(version, by)
    except IntegrityError as exc:  # another activation won: the database allows one active
        raise Conflict(
            "Another version became active at the same moment.", code="conflict"
        ) from exc


def policy_versions_activate_due(*, now: datetime | None = None) -> list[int]:
    """Activate every approved version whose publication time has come; returns their ids.
    Each runs in its own transaction; one that fails is logged and left for the next run."""
    now = now or timezone.now()
    activated = []
    due = PolicyVersion.objects.filter(
        state=VersionState.APPROVED, publish_at__isnull=False, publish_at__lte=now
    ).order_by("publish_at", "number")
    for version_id, policy_id in due.values_list("pk", "policy_id"):
        try:
            with transaction.atomic():
                if _activate_if_due(version_id, policy_id, now):
                    activated.append(version_id)
        except Exception:
            logger.exception("Scheduled publication of policy version %s failed", version_id)
    return activated


def _activate_if_due(version_id: int, policy_id: int, now: datetime) -> bool:
    Policy.objects.select_for_update().filter(pk=policy_id).values("pk").get()
    version = (
        PolicyVersion.objects.select_for_update()
        .select_related("policy", "organization")
        .filter(pk=version_id, state=VersionState.APPROVED, publish_at__lte=now)
        .first()
    )
    if version is None:  # published or cancelled meanwhile
        return False
    actor = "task:activate_due_versions"
    active = PolicyVersion.objects.filter(policy_id=policy_id, state=VersionState.ACTIVE).first()
    reason = None
    if active is not None and active.number > version.number:
        reason = f"version {active.number} is newer and active"
    else:
        try:
            policy_document_clean(organization=version.organization, document=version.document)
        except ValidationFailed as exc:
            reason = f"no longer valid: {exc.message}"
    if reason is not None:
        version.publish_at = None
        version.save(update_fields=["publish_at", "updated_at"])
        audit_record(
            organization=version.organization,
            by=actor,
            verb="policy_version.schedule_cancelled",
            target=version,
            after={"reason": reason},
        )
        return False
    _activate(version, actor)
    return True


def template_pins(*, organization, document: dict[str, Any]) -> dict[str, int]:
    """The current version of every template the document names."""
    from apps.catalogs.models import Template

    named = {
        key
        for spec in (document.get("actions") or {}).values()
        for key in spec.get("templates", [])
    }
    return dict(
        Template.objects.filter(organization=organization, key__in=named)
        .order_by("key")
        .values_list("key", "current_version")
    )
