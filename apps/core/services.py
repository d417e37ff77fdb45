"""Writes for operational state."""

import socket

from django.utils import timezone

from apps.core.models import WorkerHeartbeat


def worker_heartbeat_record(*, name: str = "default") -> WorkerHeartbeat:
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"at": timezone.now(), "hostname": socket.gethostname()}
    )
    return heartbeat
