"""A routing rule's `hand_to_bot` action gives the bot a conversation even on an endpoint
that did not opt in."""

from __future__ import annotations

import pytest

from bot.models import BotSession
from routing.models import RoutingRule, RuleAction

pytestmark = pytest.mark.django_db


def test_hand_to_bot_rule_lets_the_bot_answer(customer, bot_endpoint):
    bot_endpoint.config = {}
    bot_endpoint.save()
    rule = RoutingRule.objects.create(name="Bot first", position=1, match="all")
    RuleAction.objects.create(rule=rule, kind=RuleAction.Kind.HAND_TO_BOT)
    customer.says("how do I send something back")
    [answer] = customer.bot_messages()
    assert "Return an item" in answer
    assert BotSession.objects.get().state == BotSession.State.ACTIVE
