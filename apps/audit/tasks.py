"""Periodic work of the audit trail."""

from celery import shared_task

from apps.audit import retention, services
from apps.audit.context import Origin, origin


@shared_task
def take_checkpoints() -> int:
    """Sign every organization's chain head that moved since its last checkpoint."""
    return len(services.audit_checkpoints_take())


@shared_task
def expire_decisions() -> int:
    """Apply each organization's decision retention: one audit event per organization that
    had decisions to delete."""
    with origin(Origin(via="task:expire_decisions")):
        return sum(expiry.count for expiry in retention.decisions_expire_due())
