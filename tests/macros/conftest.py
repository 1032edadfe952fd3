"""Two teams, each with its inbox and agent; a conversation with Dana on Support's."""

from __future__ import annotations

import pytest

from channels_app.types import InboundMessage
from conversations.services import receive_message
from tests.conftest import api_client_for
from tests.factories import EndpointFactory, TeamFactory, make_agent


class Desk:
    def __init__(self) -> None:
        self.support_inbox = EndpointFactory(kind="api", name="Shop")
        self.sales_inbox = EndpointFactory(kind="api", name="Sales")
        self.support = TeamFactory(name="Support", endpoints=[self.support_inbox])
        self.sales = TeamFactory(name="Sales", endpoints=[self.sales_inbox])
        self.alice = make_agent(
            username="alice", first_name="Alice", last_name="Liddell", teams=[self.support]
        )
        self.bob = make_agent(username="bob", first_name="Bob", teams=[self.sales])
        self.carol = make_agent(username="carol", first_name="Carol", teams=[self.support])
        self.conversation = receive_message(
            endpoint=self.support_inbox,
            inbound=InboundMessage(
                provider_id="dana-1",
                identities={"email": "dana@example.com"},
                text="Where is my refund?",
                sender_name="Dana Scully",
            ),
        ).conversation

    def api(self, user):
        return api_client_for(user)


@pytest.fixture
def desk(db) -> Desk:
    return Desk()


REFUND_MACRO = {
    "name": "Refund sent",
    "visibility": "team",
    "actions": [
        {
            "type": "reply",
            "text": "Hi {{customer.first_name}}, your refund for #{{conversation.id}} is on "
            "its way.\n{{agent.first_name}}",
        },
        {"type": "note", "text": "Refund issued by {{agent.name}}."},
        {"type": "add_tags", "tags": ["Refund"]},
        {"type": "assign", "assignee": "me"},
        {"type": "priority", "priority": 2},
        {"type": "status", "status": "resolved"},
    ],
}
