"""Periodic work of the human loop: expiry, reminders, overdue handoffs."""

from celery import shared_task

from apps.humans import services


@shared_task
def expire_due_approvals() -> int:
    return len(services.approvals_expire_due())


@shared_task
def remind_due_approvals() -> int:
    return len(services.approvals_remind_due())


@shared_task
def flag_overdue_handoffs() -> int:
    return len(services.handoffs_flag_overdue())
