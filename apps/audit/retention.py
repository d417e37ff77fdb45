"""Decision retention: an organization may keep its decision log for a number of days, after
which decisions no person worked on (no approval, handoff or outcome attached) are deleted.

Decisions are not links of the audit chain (each event hashes its own content and the hash
before it, and no event's content is a decision row), so deleting one leaves every event and
every hash as it was: the chain verifies exactly as before. Each run that deletes anything
appends one `decisions.expired` event to the chain, in the same transaction as the deletes,
with the count, the oldest and newest evaluated_at, and the SHA-256 of the deleted
decision_ids in order: the trail says what went and when, and a copy of the log held
elsewhere can be matched against it."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.audit.constants import RETENTION_SETTING
from apps.audit.services import audit_record
from apps.checks.models import Decision
from apps.core.errors import ValidationFailed
from apps.organizations.models import Organization

logger = logging.getLogger(__name__)

MAX_RETENTION_DAYS = 36_500  # a hundred years: beyond that, keep forever (null)
EXPIRY_BATCH = 1000  # rows selected and deleted per statement
# A run deletes at most this many rows, so that its transaction (and the organization's
# audit lock it takes at the end) stays short; the next run carries on.
EXPIRY_MAX_PER_RUN = 100_000
DIGEST_OF = "SHA-256 of each decision_id followed by a newline, oldest first (evaluated_at, id)"


@dataclass(frozen=True)
class Expiry:
    """What one run deleted in one organization."""

    organization: str
    count: int
    cutoff: datetime
    oldest: datetime | None = None
    newest: datetime | None = None
    digest: str = ""
    more: bool = False  # stopped at the per-run limit: older rows remain for the next run
    event_seq: int | None = None


def organization_retention_set(*, organization: Organization, by: Any, days: int | None) -> None:
    """Keep decisions `days` days (None: forever)."""
    if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
        raise ValidationFailed(
            "Retention is a number of days from 1, or none.",
            fields={"decision_retention_days": f"Use 1 to {MAX_RETENTION_DAYS}, or null."},
        )
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        before = locked.decision_retention_days
        if before == days:
            return
        locked.decision_retention_days = days
        locked.save(update_fields=["decision_retention_days"])
        audit_record(
            organization=locked,
            by=by,
            verb="organization.retention_changed",
            target=locked,
            before={"decision_retention_days": before},
            after={"decision_retention_days": days},
        )
    organization.decision_retention_days = days


def _allow_decision_deletes(on: bool) -> None:
    """On PostgreSQL the decision log refuses DELETE unless the transaction says it is the
    retention service; SET LOCAL ends with the transaction (or the savepoint rolled back)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {RETENTION_SETTING} = '{'on' if on else 'off'}'")


def _after(due: Any, cursor: tuple[datetime, int] | None) -> Any:
    """The due rows past the cursor (evaluated_at, id). The scan seeks past what this run
    already deleted: their index entries stay until the transaction ends, and a scan from
    the start would walk them all again for every batch."""
    if cursor is None:
        return due
    moment, row_id = cursor
    return due.filter(evaluated_at__gte=moment).filter(
        Q(evaluated_at__gt=moment) | Q(id__gt=row_id)
    )


def decisions_expire(
    *,
    organization: Organization,
    now: datetime | None = None,
    by: Any = None,
    batch_size: int = EXPIRY_BATCH,
    max_rows: int = EXPIRY_MAX_PER_RUN,
) -> Expiry | None:
    """Delete the organization's decisions evaluated before now minus its retention that
    have no approval, handoff or outcome, oldest first, in batches, and record the run as one
    `decisions.expired` event in the same transaction. None when the organization keeps its
    decisions forever; a count of 0 (and no event) when nothing was due."""
    days = organization.decision_retention_days
    if days is None:
        return None
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    digest = hashlib.sha256()
    count, oldest, newest = 0, None, None
    more = False
    with transaction.atomic():
        _allow_decision_deletes(True)
        candidates = Decision.objects.filter(
            organization=organization,
            evaluated_at__lt=cutoff,
            approval__isnull=True,
            handoff__isnull=True,
            outcome__isnull=True,
        ).order_by("evaluated_at", "id")
        due = candidates
        if connection.features.has_select_for_update_skip_locked:
            # Two runs at once take disjoint rows, and each records exactly what it deleted.
            due = candidates.select_for_update(skip_locked=True, of=("self",))
        cursor: tuple[datetime, int] | None = None
        while count < max_rows:
            limit = min(batch_size, max_rows - count)
            batch = list(
                _after(due, cursor).values_list("pk", "decision_id", "evaluated_at")[:limit]
            )
            if not batch:
                break
            # The ORM's delete checks the protected relations again, inside this transaction;
            # only the ids are loaded for it (the rows' JSON would cost twice the delete).
            Decision.objects.filter(pk__in=[pk for pk, _, _ in batch]).only("pk").delete()
            for _, decision_id, _ in batch:
                digest.update(decision_id.encode() + b"\n")
            oldest = oldest or batch[0][2]
            newest = batch[-1][2]
            count += len(batch)
            cursor = (batch[-1][2], batch[-1][0])
            if len(batch) < limit:
                break
        else:
            more = _after(candidates, cursor).exists()
        _allow_decision_deletes(False)
        if count == 0:
            return Expiry(organization=organization.slug, count=0, cutoff=cutoff)
        event = audit_record(
            organization=organization,
            by=by,
            verb="decisions.expired",
            object_type="checks.decision",
            object_repr=f"{count} decisions evaluated before {cutoff.isoformat()}",
            after={
                "count": count,
                "oldest_evaluated_at": oldest.isoformat() if oldest else None,
                "newest_evaluated_at": newest.isoformat() if newest else None,
                "decision_ids_sha256": digest.hexdigest(),
                "digest_of": DIGEST_OF,
                "retention_days": days,
                "cutoff": cutoff.isoformat(),
                "more_remaining": more,
            },
        )
    return Expiry(
        organization=organization.slug,
        count=count,
        cutoff=cutoff,
        oldest=oldest,
        newest=newest,
        digest=digest.hexdigest(),
        more=more,
        event_seq=event.seq,
    )


def decisions_expire_due(*, now: datetime | None = None) -> list[Expiry]:
    """One run for every organization that keeps its decisions a limited time. One
    organization's failure is logged and does not stop the others."""
    now = now or timezone.now()
    results = []
    organizations = Organization.objects.filter(decision_retention_days__isnull=False)
    for organization_id in organizations.order_by("pk").values_list("pk", flat=True):
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None:
            continue
        try:
            expiry = decisions_expire(organization=organization, now=now)
        except Exception:
            logger.exception("Decision retention failed for organization %s", organization.slug)
            continue
        if expiry is not None:
            results.append(expiry)
    return results
