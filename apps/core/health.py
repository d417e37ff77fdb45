"""/healthz: the database, the broker and the worker, each up or down, as JSON."""

import os
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core.models import WorkerHeartbeat


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means down; say which
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def _broker() -> dict[str, Any]:
    from config.celery import app

    transport = app.conf.broker_url.split(":", 1)[0]
    if transport == "filesystem":
        folder = (app.conf.broker_transport_options or {}).get("data_folder_in", "")
        if not folder or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            return {"ok": False, "transport": transport, "error": "broker folder missing"}
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return {"ok": False, "transport": transport, "error": exc.__class__.__name__}
    return {"ok": True, "transport": transport}


def _worker() -> dict[str, Any]:
    max_age = timedelta(seconds=settings.HEALTH_WORKER_MAX_AGE_SECONDS)
    try:
        heartbeat = WorkerHeartbeat.objects.filter(name="default").first()
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    if heartbeat is None:
        return {"ok": False, "error": "no heartbeat yet"}
    age = timezone.now() - heartbeat.at
    return {
        "ok": age <= max_age,
        "last_heartbeat": heartbeat.at.isoformat(),
        "age_seconds": round(age.total_seconds(), 1),
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "broker": _broker(), "worker": _worker()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503
    )
