"""Background work for organizations: invitation e-mail."""

from celery import shared_task

from apps.organizations.services import invitation_send


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation(invitation_id: int, raw_token: str) -> None:
    invitation_send(invitation_id=invitation_id, raw_token=raw_token)
