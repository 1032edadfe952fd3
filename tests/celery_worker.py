"""A real Celery worker in a subprocess, on the test database and this process's Redis
prefix (the queues this process sends to), for the tests that need one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def start_celery_worker(
    log: Path,
    *,
    queues: str,
    pool: Sequence[str] = ("--pool", "solo"),
    env: Mapping[str, str] | None = None,
    unset: Sequence[str] = (),
) -> subprocess.Popen:
    """`celery worker` on `queues`, with `env` on top of this process's and `unset`
    removed from it, logging to `log`."""
    db = connection.settings_dict
    inherited = {name: value for name, value in os.environ.items() if name not in unset}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "omnidesk",
            "worker",
            "-Q",
            queues,
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
            **(env or {}),
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def stop_celery_worker(process: subprocess.Popen, log: Path) -> None:
    """Stop it warmly (killed after 20 s) and print the end of its log."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    print(log.read_text()[-5000:])


@contextmanager
def celery_worker(log: Path, **options) -> Iterator[subprocess.Popen]:
    """`start_celery_worker` for the duration of the block."""
    process = start_celery_worker(log, **options)
    try:
        yield process
    finally:
        stop_celery_worker(process, log)
