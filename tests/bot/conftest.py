from __future__ import annotations

import json

import pytest

from channels_app.models import EndpointGrant
from conversations.models import Conversation, Message
from knowledge import services as knowledge_services


@pytest.fixture
def demo_kb(db, django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return knowledge_services.load_demo_articles()


@pytest.fixture
def bot_endpoint(api_endpoint, support_team, admin_user):
    api_endpoint.config = {**(api_endpoint.config or {}), "bot": {"enabled": True}}
    api_endpoint.save()
    EndpointGrant.objects.create(endpoint=api_endpoint, user=admin_user, trusted_for_identity=True)
    return api_endpoint


class Customer:
    """A customer writing through the API channel, as an integration would post it."""

    def __init__(self, client, endpoint, capture, external_id: str = "cust-1") -> None:
        self.client, self.endpoint, self.capture = client, endpoint, capture
        self.external_id, self.sent = external_id, 0

    def says(self, text: str) -> None:
        self.sent += 1
        with self.capture(execute=True):
            response = self.client.post(
                "/api/v1/inbound/",
                data=json.dumps(
                    {
                        "endpoint": self.endpoint.key,
                        "id": f"{self.external_id}-{self.sent}",
                        "from": {"name": "Dana", "external_id": self.external_id},
                        "text": text,
                    }
                ),
                content_type="application/json",
            )
        assert response.status_code == 202, response.content

    def conversation(self) -> Conversation:
        return Conversation.objects.get(customer__identities__value__contains=self.external_id)

    def bot_messages(self) -> list[str]:
        return list(
            Message.objects.filter(kind=Message.Kind.BOT, conversation=self.conversation())
            .order_by("created_at", "id")
            .values_list("text", flat=True)
        )


@pytest.fixture
def customer(admin_api, bot_endpoint, demo_kb, django_capture_on_commit_callbacks):
    return Customer(admin_api, bot_endpoint, django_capture_on_commit_callbacks)
