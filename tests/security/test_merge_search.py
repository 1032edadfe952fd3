"""Merge search reads only what the agent may see (issue 14, finding L9): a customer the
agent can see is not found by the text of a conversation they cannot."""

from __future__ import annotations

import pytest

from conversations.selectors import merge_candidates
from conversations.services import receive_message
from customers.models import Customer
from tests.conftest import inbound
from tests.inbox.conftest import build_desk

pytestmark = pytest.mark.django_db


def test_text_of_another_teams_conversation_finds_nobody():
    desk = build_desk()
    # Dana writes to Support by email and, separately, to Messaging by SMS.
    receive_message(endpoint=desk.email, inbound=inbound("e1", "Order 1042?", email="d@x.io"))
    receive_message(
        endpoint=desk.sms,
        inbound=inbound("s1", "about the lawsuit", email="d@x.io", phone="+14155552671"),
    )
    asking = Customer.objects.create(name="Another customer")
    assert merge_candidates(customer=asking, user=desk.alice, q="lawsuit") == []
    assert [c.name for c in merge_candidates(customer=asking, user=desk.bob, q="lawsuit")] == [
        "Dana Scully"
    ]
