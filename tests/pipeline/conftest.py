"""A real Celery worker in a subprocess, for the pipeline tests that need one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def celery_worker(
    log: Path, *, env: dict[str, str], pool: list[str], unset: tuple[str, ...] = ()
) -> Iterator[subprocess.Popen]:
    """`celery worker` in a subprocess on the test database and this process's Redis
    prefix (the queues this process sends to), with `env` on top and `unset` removed."""
    db = connection.settings_dict
    inherited = {name: value for name, value in os.environ.items() if name not in unset}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "omnidesk",
            "worker",
            "-Q",
            "inbound,outbound,default",
            *pool,
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env={
            **inherited,
            "DJANGO_SETTINGS_MODULE": "omnidesk.settings",
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                f"/{db['NAME']}"
            ),
            "REDIS_URL": settings.REDIS_URL,
            "OMNIDESK_REDIS_PREFIX": settings.REDIS_KEY_PREFIX,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            **env,
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        print(log.read_text()[-5000:])


@pytest.fixture
def celery_worker_process(tmp_path):
    """A worker with the test settings, running tasks in its main process."""
    with celery_worker(tmp_path / "worker.log", env={}, pool=["--pool", "solo"]) as worker:
        yield worker
