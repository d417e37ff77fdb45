"""A real Celery worker with beat, against the configured broker and the test database:
periodic tasks run, and /healthz sees the worker come up."""

import pytest

from apps.core.models import WorkerHeartbeat
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_runs_periodic_heartbeat_and_health_turns_green(client, tmp_path):
    assert client.get("/healthz").status_code == 503
    with celery_worker(tmp_path) as process:
        wait_for(
            lambda: process.poll() is not None or WorkerHeartbeat.objects.exists(),
            timeout=60,
            what="the worker's first heartbeat",
        )
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
        response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["worker"]["ok"] is True
