"""A conversation the bot resolved (the customer said its article solved it) sends no
satisfaction survey: there was no agent to rate. When an agent later works and resolves
the same conversation, that resolution is surveyed as usual."""

from __future__ import annotations

import pytest

from bot.models import BotSession
from conversations.models import Conversation, Message
from conversations.services import change_status, send_reply
from reporting.models import CsatSurvey
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


def surveys_sent(conversation: Conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, sender_name="Satisfaction survey")
        .order_by("id")
        .values_list("text", flat=True)
    )


def test_a_bot_resolution_sends_no_survey(customer):
    customer.says("I can't log in, forgot my credentials")
    customer.says("yes, thanks")

    conversation = customer.conversation()
    assert conversation.status == Conversation.Status.RESOLVED
    assert BotSession.objects.get().state == BotSession.State.RESOLVED
    assert not CsatSurvey.objects.exists()
    assert surveys_sent(conversation) == []


def test_an_agent_resolution_after_the_bot_is_surveyed(
    customer, support_team, django_capture_on_commit_callbacks
):
    agent = make_agent(username="ann", teams=[support_team])
    customer.says("I can't log in, forgot my credentials")
    customer.says("yes, thanks")
    conversation = customer.conversation()

    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=conversation, status=Conversation.Status.OPEN, actor=agent)
        send_reply(conversation=conversation, author=agent, text="Anything else I can do?")
        change_status(conversation=conversation, status=Conversation.Status.RESOLVED, actor=agent)

    survey = CsatSurvey.objects.get()
    assert survey.conversation_id == conversation.pk
    assert len(surveys_sent(conversation)) == 1
