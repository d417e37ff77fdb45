"""Recording decisions: each is written before its answer leaves; a decision that cannot be
written is not given."""

import functools
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from apps.checks.constants import DEFAULT_MASKED_CONTEXT_KEYS
from apps.checks.grants import Grant
from apps.checks.ids import new_decision_id
from apps.checks.masking import mask_request
from apps.checks.models import Decision
from apps.engine.types import CompiledPolicy
from apps.engine.types import Decision as Outcome


def _sensitive_keys() -> frozenset[str]:
    extra = getattr(settings, "MANDATE_MASKED_CONTEXT_KEYS", ())
    return frozenset(k.lower() for k in (*DEFAULT_MASKED_CONTEXT_KEYS, *extra))


def decision_row(
    *,
    grant: Grant,
    body: dict[str, Any],
    outcome: Outcome,
    policy: CompiledPolicy | None,
    version_id: int | None,
    request_id: str,
    evaluated_at: datetime,
    evaluation_us: int,
) -> Decision:
    masked, masked_paths = mask_request(body, _sensitive_keys())
    codes = [r.code for r in outcome.reasons]
    return Decision(
        decision_id=new_decision_id(),
        organization_id=grant.organization_id,
        agent_id=grant.agent_id,
        key_prefix=grant.prefix,
        policy_id=grant.policy_id if policy is not None else None,
        policy_version_id=version_id if policy is not None else None,
        action=str(body.get("action", ""))[:200],
        decision=outcome.decision,
        primary_reason=codes[0] if codes else "",
        reason_codes=codes,
        reasons=[{"code": r.code, "message": r.message} for r in outcome.reasons],
        obligations=dict(outcome.obligations),
        request=masked,
        masked_paths=masked_paths,
        request_id=request_id,
        evaluated_at=evaluated_at,
        evaluation_us=evaluation_us,
        error=outcome.error or "",
    )


def decisions_record(*, rows: list[Decision]) -> list[Decision]:
    """One INSERT (one statement for a batch), committed before any answer is sent: in
    autocommit a single row is one round trip, with no BEGIN/COMMIT around it."""
    if len(rows) == 1:
        _insert_one(rows[0])
    else:
        with transaction.atomic():
            Decision.objects.bulk_create(rows)
    return rows


_FIELDS = [f for f in Decision._meta.concrete_fields if not f.primary_key]
# _insert_one skips pre_save: a field that fills itself in would be written empty.
assert not any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in _FIELDS)


@functools.cache
def _insert_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    # Only names from the model's own metadata go into the text; values are parameters.
    return "INSERT INTO {} ({}) VALUES ({}) RETURNING {}".format(  # noqa: S608
        quote(Decision._meta.db_table),
        ", ".join(quote(f.column) for f in _FIELDS),
        ", ".join(["%s"] * len(_FIELDS)),
        quote(Decision._meta.pk.column),
    )


def _insert_one(row: Decision) -> None:
    """The ORM's INSERT, compiled once per process instead of once per check: on the hot
    path compiling it cost more than PostgreSQL takes to run it. Values are prepared by
    each field exactly as save() would."""
    params = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in _FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor), params)
        row.pk = cursor.fetchone()[0]
    row._state.adding = False
