"""A real Celery worker, against the real Redis broker, processes an API message end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conversations.models import Message

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_process(tmp_path):
    """`celery worker` in a subprocess on the test database and a private Redis prefix."""
    db = connection.settings_dict
    prefix = settings.REDIS_KEY_PREFIX  # the same queues this test process sends to
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "omnidesk.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "OMNIDESK_REDIS_PREFIX": prefix,
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
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
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "worker.log").open("w"),
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
        print((tmp_path / "worker.log").read_text()[-5000:])


@pytest.mark.django_db(transaction=True)
def test_api_message_is_processed_by_a_real_worker(celery_worker_process, admin_api, api_endpoint):
    # This process enqueues to the same Redis broker and key prefix the worker reads.
    from omnidesk.celery import app

    app.conf.task_always_eager = False
    try:
        _post_and_wait(admin_api, api_endpoint)
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def _post_and_wait(admin_api, api_endpoint) -> None:
    response = admin_api.post(
        "/api/v1/inbound/",
        data=json.dumps(
            {
                "endpoint": api_endpoint.key,
                "id": "w-1",
                "from": {"email": "w@example.com"},
                "text": "via worker",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 202
    deadline = time.monotonic() + 60
    while (
        time.monotonic() < deadline
        and not Message.objects.filter(provider_message_id="w-1").exists()
    ):
        time.sleep(0.2)
    assert Message.objects.filter(provider_message_id="w-1", text="via worker").count() == 1
