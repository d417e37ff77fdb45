"""Expiry, reminders and overdue handoffs are carried out by a real Celery worker with beat."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.humans.models import Approval, Handoff
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_expires_reminds_and_flags(world, tmp_path, monkeypatch):
    monkeypatch.setenv("MANDATE_HUMAN_LOOP_INTERVAL", "1")
    now = timezone.now()
    lapsed = Approval.objects.get(organization=world.org)
    Approval.objects.filter(pk=lapsed.pk).update(
        created_at=now - timedelta(hours=49), due_at=now - timedelta(minutes=1)
    )
    closing = Approval.objects.get(organization=world.other)
    Approval.objects.filter(pk=closing.pk).update(
        created_at=now - timedelta(hours=40), due_at=now + timedelta(hours=8)
    )
    late = Handoff.objects.get(organization=world.org)
    Handoff.objects.filter(pk=late.pk).update(due_at=now - timedelta(minutes=5))

    def done() -> bool:
        return (
            Approval.objects.get(pk=lapsed.pk).status == "expired"
            and Approval.objects.get(pk=closing.pk).reminded_at is not None
            and Handoff.objects.get(pk=late.pk).overdue_notified_at is not None
        )

    with celery_worker(tmp_path) as process:
        wait_for(
            lambda: process.poll() is not None or done(),
            timeout=60,
            what="expiry, a reminder and an overdue flag",
        )
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
    assert Approval.objects.get(pk=closing.pk).status == "pending"
    from apps.audit.models import AuditEvent

    assert AuditEvent.objects.filter(verb="approval.expired", object_id=str(lapsed.pk)).exists()
    assert AuditEvent.objects.filter(verb="handoff.overdue", object_id=str(late.pk)).exists()
