"""Under ASGI (how the desk is served), the request's token, address and request id reach
the entry a service writes: the context variable crosses into the sync view."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import AsyncClient
from rest_framework.authtoken.models import Token

from audit.models import AuditEntry
from conversations.services import receive_message
from tests.conftest import inbound

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_status_change_over_asgi_records_token_and_request_id(api_endpoint, agent):
    message = await sync_to_async(receive_message)(
        endpoint=api_endpoint, inbound=inbound("m-1", "Hello", email="d@x.test")
    )
    token = await sync_to_async(lambda: Token.objects.get_or_create(user=agent)[0].key)()
    client = AsyncClient()
    response = await client.patch(
        f"/api/v1/conversations/{message.conversation_id}/",
        {"status": "pending"},
        content_type="application/json",
        headers={"Authorization": f"Token {token}", "X-Request-ID": "asgi-1"},
    )
    assert response.status_code == 200, response.content
    assert response.headers["X-Request-ID"] == "asgi-1"
    entry = await AuditEntry.objects.aget(action="conversation.status")
    assert (entry.actor_kind, entry.actor_label, entry.request_id) == ("token", "alice", "asgi-1")
    assert entry.ip == "127.0.0.1"
