"""The bot's hold on routing (`routing.hooks.assignment_holds`, registered in
`BotConfig.ready()`): while the bot is talking to a customer, routing sets the team and
the SLA as usual but gives the conversation to no agent, or the bot could never deflect
anything. The hold ends when the bot's session ends (it handed off, the customer said
it was solved, an agent replied) or an agent wrote in the conversation.

A bot that can never speak holds nothing: with no published article in a language it
speaks, it would only make the customer wait (the same query checks it). When the
channel refuses its message or it is turned off mid-conversation, its session ends
(`bot.services.respond`) and with it the hold."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Exists, OuterRef, Q

from bot import phrases
from bot.models import BotSession
from bot.services import HANDED_TO_BOT, bot_settings
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, ConversationEvent, Message
from knowledge.models import Article
from routing import selectors as routing_selectors


def held_by_the_bot(conversations: Sequence[Conversation]) -> set[int]:
    """Those of the conversations the bot is handling: on an endpoint with the bot on
    (read from the endpoint row the conversation already carries), or handed to it by
    a routing rule, and not yet let go. One query for the whole batch, none when no
    endpoint of the batch has the bot on and no rule hands to it."""
    endpoints = _endpoints(conversations)
    enabled, others = [], []
    for conversation in conversations:
        endpoint = endpoints.get(conversation.endpoint_id)
        if endpoint is not None and bot_settings(endpoint).get("enabled") is True:
            enabled.append(conversation.pk)
        else:
            others.append(conversation.pk)
    if not enabled and not (others and routing_selectors.some_rule_hands_to_bot()):
        return set()  # no bot anywhere in this batch: routing's hot path pays no query
    handled = Q(pk__in=enabled)
    if others and routing_selectors.some_rule_hands_to_bot():
        handed_by_rule = ConversationEvent.objects.filter(
            conversation_id=OuterRef("pk"),
            kind=ConversationEvent.Kind.RULE_FIRED,
            data__actions__contains=[HANDED_TO_BOT],
        )
        handled |= Q(pk__in=others) & Q(Exists(handed_by_rule))
    let_go = BotSession.objects.filter(conversation_id=OuterRef("pk")).exclude(
        state=BotSession.State.ACTIVE
    )
    agent_wrote = Message.objects.filter(conversation_id=OuterRef("pk"), kind=Message.Kind.AGENT)
    something_to_say = Article.objects.filter(
        status=Article.Status.PUBLISHED, locale__in=phrases.LANGUAGES
    )
    return set(
        Conversation.objects.filter(handled)
        .filter(Exists(something_to_say))
        .exclude(Exists(let_go))
        .exclude(Exists(agent_wrote))
        .values_list("pk", flat=True)
    )


def _endpoints(conversations: Sequence[Conversation]) -> dict[int, ChannelEndpoint]:
    """The conversations' endpoints, as loaded with them; the missing ones in one query."""
    loaded: dict[int, ChannelEndpoint] = {}
    missing = set()
    for conversation in conversations:
        if conversation.endpoint_id is None:
            continue
        if Conversation.endpoint.is_cached(conversation):
            loaded[conversation.endpoint_id] = conversation.endpoint
        else:
            missing.add(conversation.endpoint_id)
    if missing - loaded.keys():
        loaded.update(ChannelEndpoint.objects.in_bulk(list(missing - loaded.keys())))
    return loaded
