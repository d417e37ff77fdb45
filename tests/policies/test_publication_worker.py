"""Scheduled publication is carried out by a real Celery worker with beat."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.policies import services
from apps.policies.constants import VersionState
from apps.policies.models import PolicyVersion
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_activates_a_scheduled_version(world, tmp_path, monkeypatch):
    monkeypatch.setenv("MANDATE_PUBLICATION_INTERVAL", "1")
    target = PolicyVersion.objects.get(policy__key="pipeline", number=3)
    services.policy_version_publish(
        version=target,
        by=world.people["reviewer"],
        effective_at=timezone.now() + timedelta(seconds=2),
    )
    with celery_worker(tmp_path) as process:
        wait_for(
            lambda: (
                process.poll() is not None
                or PolicyVersion.objects.get(pk=target.pk).state == VersionState.ACTIVE
            ),
            timeout=60,
            what="the scheduled version to become active",
        )
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
    target.refresh_from_db()
    assert target.state == VersionState.ACTIVE
    from apps.audit.models import AuditEvent

    event = AuditEvent.objects.get(verb="policy_version.activated", object_id=str(target.pk))
    assert event.actor == "task:activate_due_versions"
    assert event.via == "task:activate_due_versions"
