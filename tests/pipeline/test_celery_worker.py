"""A real Celery worker, against the real Redis broker, processes an API message end to end."""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings

from conversations.models import Message


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
