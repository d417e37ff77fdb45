"""A real Celery worker (with beat) in a child process, against the test database and the
configured broker (Redis when REDIS_URL is set, the filesystem transport otherwise)."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(tmp_path: Path, *, heartbeat_seconds: int = 1) -> Iterator[subprocess.Popen]:
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        shutil.rmtree(settings.CELERY_BROKER_FOLDER, ignore_errors=True)
    # The worker creates the folders itself (as it must on a fresh checkout).
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "MANDATE_HEARTBEAT_INTERVAL": str(heartbeat_seconds),
    }
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            "--purge",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--pool",
            "solo",
            "--schedule",
            str(tmp_path / "beat-schedule"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own process group: the embedded beat is a child process, and must go with it.
        start_new_session=True,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill(process)
        _signal_group(process, signal.SIGKILL)  # whatever of the group outlived the worker
        log.seek(0)
        output = log.read()
        log.close()
        if os.environ.get("MANDATE_SHOW_WORKER_LOG"):
            print(output)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with suppress(ProcessLookupError):  # the group is gone already
        os.killpg(process.pid, signum)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its beat at once, as a machine that dies would: no clean-up."""
    _signal_group(process, signal.SIGKILL)
    process.wait()


def wait_for(
    predicate: Callable[[], bool], *, timeout: float = 30, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")
