"""A Celery worker started with production settings, and nothing said about connections,
keeps one PostgreSQL connection per child from task to task. Celery's Django fixup closed
it around every task (a new session per task, about three per inbound message), and the
web process's pool, the production default, gave each child a pool of them."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.db import connection

from conversations.models import Message
from tests.celery_worker import celery_worker

PRODUCTION = {"DJANGO_DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost"}


def sessions_opened() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def worker_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def post_and_wait(admin_api, api_endpoint, message_id: str) -> None:
    response = admin_api.post(
        "/api/v1/inbound/",
        data=json.dumps(
            {
                "endpoint": api_endpoint.key,
                "id": message_id,
                "from": {"email": f"{message_id}@example.com"},
                "text": "Hello",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 202
    processed = Message.objects.filter(provider_message_id=message_id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not processed.exists():
        time.sleep(0.1)
    assert processed.exists(), f"the worker never processed {message_id}"


@pytest.mark.django_db(transaction=True)
def test_a_production_worker_keeps_its_database_connection(tmp_path, admin_api, api_endpoint):
    from omnidesk.celery import app

    app.conf.task_always_eager = False
    try:
        with celery_worker(
            tmp_path / "worker.log",
            # The test's key: the endpoints' credentials are encrypted with it.
            env={**PRODUCTION, "SECRET_KEY": settings.SECRET_KEY},
            queues="inbound,outbound,default",
            pool=["--concurrency", "1"],
            unset=("OMNIDESK_DB_POOL_MAX",),
        ):
            post_and_wait(admin_api, api_endpoint, "first")  # the worker's child connects
            # Sessions are counted when they end, or when a backend reports its
            # statistics (at most once a second): let the first ones settle.
            time.sleep(1.5)
            before = sessions_opened()
            for n in range(6):
                post_and_wait(admin_api, api_endpoint, f"next-{n}")
            time.sleep(1.5)
            assert sessions_opened() - before <= 1
            # One connection for its one child, not a pool of them.
            assert worker_connections() == 1
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
