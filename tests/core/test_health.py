"""/healthz reports the database, the broker and the worker; 503 when one is down."""

from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.utils import timezone

from apps.core.models import WorkerHeartbeat
from apps.core.services import worker_heartbeat_record

pytestmark = pytest.mark.django_db


def test_all_up(client):
    worker_heartbeat_record()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "worker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_worker_without_heartbeat_is_down(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "error": "no heartbeat yet"}


def test_worker_with_stale_heartbeat_is_down(client, settings):
    worker_heartbeat_record()
    WorkerHeartbeat.objects.update(at=timezone.now() - timedelta(minutes=10))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_broker_down(client, settings):
    from config.celery import app

    worker_heartbeat_record()
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False
    assert broker["transport"] == "redis"


def test_database_down(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise DatabaseError("database is gone")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": False, "error": "DatabaseError"}
    assert checks["worker"]["ok"] is False


def test_filesystem_broker_without_its_folder_is_down(client, settings, tmp_path):
    from config.celery import app

    worker_heartbeat_record()
    original_url, original_options = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = "filesystem://"
    app.conf.broker_transport_options = {"data_folder_in": str(tmp_path / "missing")}
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url, app.conf.broker_transport_options = original_url, original_options
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["error"] == "broker folder missing"
