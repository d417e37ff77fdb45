"""Periodic tasks that keep the site's own health visible."""

from celery import shared_task

from apps.core.services import worker_heartbeat_record


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    worker_heartbeat_record()
