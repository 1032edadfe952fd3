"""The bot on the API channel: answers a paraphrased question with the right article,
asks whether it solved it, and hands off with a summary note when asked for a person."""

from __future__ import annotations

import pytest

from bot.models import BotSession
from conversations.models import Conversation, Message
from conversations.services import send_reply
from knowledge.models import KnowledgeGap
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


def test_confident_answer_links_the_article_and_asks_if_it_solved_it(customer):
    customer.says("I can't log in, forgot my credentials")
    [answer] = customer.bot_messages()
    assert "Reset your password" in answer
    assert "/help/en/reset-password/" in answer
    assert "Did that solve it?" in answer
    message = Message.objects.get(kind=Message.Kind.BOT)
    assert message.direction == Message.Direction.OUTBOUND
    assert message.sender_name == "Omnidesk bot"


def test_asking_for_a_person_hands_off_with_a_summary_note(customer):
    customer.says("the box was crushed and the stove inside is broken")
    customer.says("no, I want to talk to a human")
    conversation = customer.conversation()
    note = Message.objects.get(conversation=conversation, kind=Message.Kind.NOTE)
    assert note.direction == Message.Direction.INTERNAL
    assert "the customer asked for a person" in note.text
    assert "the box was crushed and the stove inside is broken" in note.text
    assert "A parcel is missing or arrived damaged" in note.text
    assert "/help/en/missing-or-damaged-parcel/" in note.text
    assert "passing you to a person" in customer.bot_messages()[-1]
    session = BotSession.objects.get(conversation_id=conversation.pk)
    assert session.state == BotSession.State.HANDED_OFF
    assert conversation.team is not None  # in the team's queue, routed as usual

    customer.says("hello? anyone there")
    assert len(customer.bot_messages()) == 2  # the bot stays silent after a handoff


def test_an_at_name_the_customer_wrote_is_quoted_not_mentioned_in_the_summary(customer):
    make_agent(username="zed")  # an agent of no team: may not see this conversation
    customer.says("my parcel never came, @zed said it would")
    customer.says("let me talk to a human")

    note = Message.objects.get(conversation=customer.conversation(), kind=Message.Kind.NOTE)
    assert "@zed said it would" in note.text
    assert "mentions" not in note.metadata


@pytest.mark.parametrize(
    "words", ["quiero hablar con un agente", "Ich möchte einen Mitarbeiter", "un conseiller svp"]
)
def test_asking_for_a_person_works_in_other_languages(customer, words):
    customer.says(words)
    assert BotSession.objects.get().state == BotSession.State.HANDED_OFF


def test_two_unconfident_turns_hand_off_and_log_knowledge_gaps(customer):
    customer.says("qwzx frobnicate the vvrrt")
    assert "say it in other words" in customer.bot_messages()[0]
    customer.says("zzyzx plumbus grommet")
    session = BotSession.objects.get()
    assert session.state == BotSession.State.HANDED_OFF
    assert "could not find a good answer twice" in session.handoff_reason
    assert KnowledgeGap.objects.filter(source="bot").count() == 2


def test_yes_resolves_the_conversation_and_a_return_revokes_it(customer):
    customer.says("how do I send something back")
    customer.says("yes, thanks")
    session = BotSession.objects.get()
    assert session.state == BotSession.State.RESOLVED
    assert customer.conversation().status == Conversation.Status.RESOLVED
    assert session.revoked_at is None
    customer.says("actually the label does not print")
    session.refresh_from_db()
    assert session.revoked_at is not None


def test_the_bot_never_speaks_once_an_agent_replied(customer, agent):
    customer.says("where is my package right now")
    send_reply(conversation=customer.conversation(), author=agent, text="Hi, Alice here.")
    customer.says("my card keeps getting rejected at checkout")
    assert len(customer.bot_messages()) == 1
    assert BotSession.objects.get().state == BotSession.State.SILENCED


def test_endpoints_without_the_bot_get_no_bot_answer(customer, bot_endpoint):
    bot_endpoint.config = {"bot": {"enabled": False}}
    bot_endpoint.save()
    customer.says("how do I send something back")
    assert customer.bot_messages() == []
    assert not BotSession.objects.exists()


def test_a_routing_rule_tag_hands_off_at_once(customer):
    from conversations.models import Tag

    customer.says("hello")
    conversation = customer.conversation()
    conversation.tags.add(Tag.objects.create(name="needs-human"))
    customer.says("how do I send something back")
    assert BotSession.objects.get().handoff_reason == "a routing rule asked for a person"
