"""Production settings: refuse to start without a real secret key, pass the deploy checks,
log one JSON object per line."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = manage("check", DJANGO_SECRET_KEY="short")
    assert result.returncode != 0


def test_production_passes_deploy_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="mandate.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_logs_are_json_lines():
    code = "import logging; logging.getLogger('mandate').warning('hello %s', 'world')"
    result = manage("shell", "-c", code, DJANGO_SECRET_KEY=secrets.token_urlsafe(64))
    line = next(line for line in result.stderr.splitlines() if "hello" in line)
    record = json.loads(line)
    assert record["message"] == "hello world"
    assert record["level"] == "WARNING"
    assert record["logger"] == "mandate"
