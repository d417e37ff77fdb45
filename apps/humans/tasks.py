"""Background work of the human loop: expiry, reminders, overdue handoffs, webhook
deliveries and their sweeper, and e-mail to the routed teams. Tasks take ids."""

from celery import shared_task

from apps.audit.context import Origin, origin
from apps.humans import notifications, services
from apps.humans.constants import NotificationKind


@shared_task
def expire_due_approvals() -> int:
    return len(services.approvals_expire_due())


@shared_task
def remind_due_approvals() -> int:
    reminded = services.approvals_remind_due()
    for approval_id in reminded:
        send_notification.delay(NotificationKind.APPROVAL_REMINDER, approval_id)
    return len(reminded)


@shared_task
def flag_overdue_handoffs() -> int:
    flagged = services.handoffs_flag_overdue()
    for handoff_id in flagged:
        send_notification.delay(NotificationKind.HANDOFF_OVERDUE, handoff_id)
    return len(flagged)


@shared_task(ignore_result=True)
def deliver_webhook(message_id: int) -> str:
    with origin(Origin(via="task:deliver_webhook")):
        return services.webhook_message_deliver(message_id=message_id)


@shared_task(ignore_result=True)
def sweep_webhooks() -> int:
    return len(services.webhooks_sweep())


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification(kind: str, object_id: int) -> int:
    return notifications.notification_send(kind=kind, object_id=object_id)
