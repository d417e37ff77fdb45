"""Periodic activation of versions scheduled for publication."""

from celery import shared_task

from apps.audit.context import Origin, origin
from apps.policies.services import policy_versions_activate_due


@shared_task(ignore_result=True)
def activate_due_versions() -> int:
    with origin(Origin(via="task:activate_due_versions")):
        return len(policy_versions_activate_due())
