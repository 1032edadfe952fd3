"""The bot's turn: answer a customer's message from the knowledge base, ask whether it
solved it, or hand the conversation to a person with a summary note. Every message it
writes goes through the conversations services (bot answers through the one outbound
queue, the summary as a private note) and the handoff through routing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from bot import generative, language, phrases
from bot.models import BotSession
from channels_app.models import ChannelEndpoint
from conversations import services as conversation_services
from conversations.models import Conversation, ConversationEvent, Message
from conversations.services.common import lock_conversation
from knowledge import selectors as knowledge
from knowledge import services as knowledge_services
from knowledge.models import Article, ArticleView
from knowledge.urls_public import article_url
from omnidesk.errors import ApplicationError
from routing.services.assignment import assign_from_team

logger = logging.getLogger(__name__)

BOT_NAME = "Omnidesk bot"
# Calibrated on the labelled questions: nonsense tops out near 0.22, right answers start
# near 0.27 (docs/metrics.md).
DEFAULT_THRESHOLD = 0.3
UNCONFIDENT_TURNS_BEFORE_HANDOFF = 2
# A routing rule hands a conversation to a person by tagging it (DESIGN: rules add tags).
HANDOFF_TAG = "needs-human"
HANDED_TO_BOT = "handed to the bot"
REPEAT_WINDOW = timedelta(days=7)


def bot_settings(endpoint: ChannelEndpoint) -> dict:
    bot = (endpoint.config or {}).get("bot") or {}
    return bot if isinstance(bot, dict) else {}


def bot_enabled_endpoint_ids(endpoint_ids: Sequence[int]) -> set[int]:
    return set(
        ChannelEndpoint.objects.filter(pk__in=endpoint_ids, config__bot__enabled=True).values_list(
            "pk", flat=True
        )
    )


def active_session_conversations(conversation_ids: Sequence[int]) -> set[int]:
    """Those of the conversations in which the bot is still talking."""
    if not conversation_ids:
        return set()
    return set(
        BotSession.objects.filter(
            conversation_id__in=conversation_ids, state=BotSession.State.ACTIVE
        ).values_list("conversation_id", flat=True)
    )


def handed_to_bot_by_rule(conversation_ids: Sequence[int]) -> set[int]:
    """Those of the conversations on which a routing rule's `hand_to_bot` action fired."""
    if not conversation_ids:
        return set()
    return set(
        ConversationEvent.objects.filter(
            conversation_id__in=conversation_ids,
            kind=ConversationEvent.Kind.RULE_FIRED,
            data__actions__contains=[HANDED_TO_BOT],
        ).values_list("conversation_id", flat=True)
    )


def usable_locales() -> list[str]:
    """The languages the bot can answer in: it has phrases for them and the knowledge
    base has a published article in them. Empty: the bot has nothing to say anywhere."""
    return [code for code in knowledge.help_locales() if code in phrases.LANGUAGES]


def reply_locale(*, text: str, current: str, usable: Sequence[str]) -> str:
    """The language to answer this message in: the one it is written in, among those
    the bot can use; when the message is too short or ambiguous to tell ("ok", "no",
    an order number), the conversation's current language (the endpoint's configured
    `bot.locale` until a message says otherwise)."""
    return language.detect(text, usable) or current


class _CannotSpeak(Exception):
    """The channel refused the bot's message (a closed window, an autoresponder)."""


def revoke_resolutions(*, customer_ids: Sequence[int] | QuerySet, at: datetime) -> int:
    """The customers wrote again: their bot resolutions inside the repeat window did not
    hold. Counted once per session."""
    return BotSession.objects.filter(
        customer_id__in=customer_ids,
        state=BotSession.State.RESOLVED,
        revoked_at__isnull=True,
        ended_at__gte=at - REPEAT_WINDOW,
        ended_at__lt=at,
    ).update(revoked_at=at)


def respond(*, message_id: int) -> str:
    """The bot's turn for one customer message; returns what it did (for logs and tests).
    Idempotent per message: a message it already answered is skipped."""
    with transaction.atomic():
        message = Message.objects.select_related("endpoint").get(pk=message_id)
        conversation = lock_conversation(message.conversation_id, "customer", "endpoint")
        settings = bot_settings(message.endpoint) if message.endpoint else {}
        enabled = settings.get("enabled") is True or bool(handed_to_bot_by_rule([conversation.pk]))
        usable = usable_locales()
        started = BotSession.objects.filter(conversation_id=conversation.pk).exists()
        if not started and not (enabled and usable):
            # Turned off, or nothing to answer from in any language: the bot stays out
            # of it, and holds nothing (bot.holds), so routing has assigned it as usual.
            return "silent"
        session = _session(conversation, message)
        if session.state != BotSession.State.ACTIVE:
            return "silent"
        if any(turn.get("message_id") == message_id for turn in session.transcript):
            return "already answered"
        if Message.objects.filter(conversation=conversation, kind=Message.Kind.AGENT).exists():
            # An agent took over: the bot never speaks again in this conversation.
            _end(session, BotSession.State.SILENCED)
            return "silent"
        text = message.text.strip()
        turn: dict = {"message_id": message_id, "customer": text}
        session.transcript.append(turn)
        if not enabled:
            # The bot was turned off since the conversation started: let go of it.
            return _hand_off(session, conversation, reason="the bot was turned off", announce=False)
        if not usable:
            return _hand_off(
                session,
                conversation,
                reason="the knowledge base has no published article the bot could use",
                announce=False,
            )
        session.locale = reply_locale(text=text, current=session.locale, usable=usable)
        turn["locale"] = session.locale
        try:
            return _turn(session, conversation, settings=settings, text=text, usable=usable)
        except _CannotSpeak:
            # It could never answer here: a person takes it from the summary, now (which
            # must not list an article the customer never received).
            session.transcript[-1].pop("articles", None)
            session.awaiting_feedback = False
            return _hand_off(
                session,
                conversation,
                reason="the channel cannot carry the bot's messages",
                announce=False,
            )


def _turn(
    session: BotSession,
    conversation: Conversation,
    *,
    settings: dict,
    text: str,
    usable: Sequence[str],
) -> str:
    threshold = float(settings.get("threshold", DEFAULT_THRESHOLD))
    if conversation.tags.filter(name=HANDOFF_TAG).exists():
        return _hand_off(session, conversation, reason="a routing rule asked for a person")
    if phrases.asks_for_person(text):
        return _hand_off(session, conversation, reason="the customer asked for a person")
    answer = phrases.feedback(text) if session.awaiting_feedback else None
    if answer is True:
        return _resolve(session, conversation)
    if answer is False:
        return _hand_off(session, conversation, reason="the article offered did not help")

    # Articles in the customer's language first, then the endpoint's, then the rest.
    configured = settings.get("locale", "en")
    order = [session.locale, configured, *usable]
    hits: list[knowledge.SearchHit] = []
    for locale in dict.fromkeys(code for code in order if code in usable):
        found = knowledge.search(question=text, locale=locale, limit=3)
        if found and (not hits or found[0].score > hits[0].score):
            hits = found
        if hits and hits[0].score >= threshold:
            break
    best = hits[0] if hits else None
    if best is not None and best.score >= threshold:
        return _answer(session, conversation, question=text, hits=hits)
    knowledge_services.record_gap(
        query=text,
        locale=session.locale,
        source=ArticleView.Source.BOT,
        best_score=best.score if best else 0.0,
        conversation_id=conversation.pk,
        client=f"customer:{conversation.customer_id}",
    )
    session.unconfident_turns += 1
    session.awaiting_feedback = False
    if session.unconfident_turns >= UNCONFIDENT_TURNS_BEFORE_HANDOFF:
        return _hand_off(session, conversation, reason="it could not find a good answer twice")
    _say(session, conversation, phrases.say(session.locale, "rephrase"))
    return "asked to rephrase"


def _session(conversation: Conversation, message: Message) -> BotSession:
    endpoint = message.endpoint
    session, _ = BotSession.objects.select_for_update().get_or_create(
        conversation_id=conversation.pk,
        defaults={
            "customer_id": conversation.customer_id,
            "endpoint_id": endpoint.pk if endpoint else 0,
            "channel": message.channel,
            "locale": bot_settings(endpoint).get("locale", "en") if endpoint else "en",
        },
    )
    return session


def _say(
    session: BotSession, conversation: Conversation, text: str, *, must_arrive: bool = True
) -> Message | None:
    """Send the bot's message through the one outbound path. When the channel refuses
    it, raise `_CannotSpeak` if the bot's turn depends on it (`must_arrive`)."""
    try:
        # A savepoint: a refused message leaves nothing half-written behind.
        with transaction.atomic():
            sent = conversation_services.queue_outbound_message(
                conversation=conversation,
                kind=Message.Kind.BOT,
                text=text,
                sender_name=BOT_NAME,
                metadata={"bot": True},
            )
    except ApplicationError as exc:
        logger.info("bot message not sent in conversation %s: %s", conversation.pk, exc.message)
        if must_arrive:
            raise _CannotSpeak from exc
        session.save()
        return None
    session.transcript[-1]["bot"] = text
    session.save()
    return sent


def _answer(
    session: BotSession,
    conversation: Conversation,
    *,
    question: str,
    hits: list[knowledge.SearchHit],
) -> str:
    offered = [
        {"id": h.article_id, "title": h.title, "url": article_url(h), "score": h.score}
        for h in hits[:1]
    ]
    best = hits[0]
    sources = [
        {"title": h.title, "url": article_url(h), "text": h.excerpt}
        for h in hits
        if h.score >= best.score - 0.1
    ]
    text = generative.written_answer(question=question, sources=sources)
    mode = "generative" if text else "extractive"
    if text:
        text += (
            "\n\n"
            + phrases.say(session.locale, "answer", title="", excerpt="", url="").split("\n\n")[-1]
        )
    else:
        text = phrases.say(
            session.locale, "answer", title=best.title, excerpt=best.excerpt, url=article_url(best)
        )
    session.transcript[-1]["articles"] = offered
    session.transcript[-1]["mode"] = mode
    session.awaiting_feedback = True
    session.unconfident_turns = 0
    article = Article.objects.filter(pk=best.article_id).first()
    if article is not None:
        knowledge_services.record_view(
            article=article,
            source=ArticleView.Source.BOT,
            visitor=f"customer:{conversation.customer_id}",
        )
    _say(session, conversation, text)
    return f"answered ({mode})"


def _resolve(session: BotSession, conversation: Conversation) -> str:
    _say(session, conversation, phrases.say(session.locale, "thanks"), must_arrive=False)
    _end(session, BotSession.State.RESOLVED)
    conversation_services.change_status(
        conversation=conversation, status=Conversation.Status.RESOLVED, actor=None
    )
    return "resolved"


def _hand_off(
    session: BotSession, conversation: Conversation, *, reason: str, announce: bool = True
) -> str:
    """End the bot's session, leave the agent the summary note and let routing assign
    the conversation. `announce`: tell the customer first (not when the bot cannot, or
    never spoke)."""
    if announce:
        _say(session, conversation, phrases.say(session.locale, "handoff"), must_arrive=False)
    session.handoff_reason = reason
    _end(session, BotSession.State.HANDED_OFF)
    conversation_services.add_note(
        conversation=conversation,
        author=None,
        sender_name=BOT_NAME,
        text=handoff_summary(session),
    )
    if conversation.assignee_id is None and conversation.team_id is not None:
        assign_from_team(conversation=conversation, team_id=conversation.team_id)
    return "handed off"


def _end(session: BotSession, state: str) -> None:
    session.state = state
    session.awaiting_feedback = False
    session.ended_at = timezone.now()
    session.save()


def handoff_summary(session: BotSession) -> str:
    """The private note an agent reads instead of asking the customer again."""
    asked = [turn["customer"] for turn in session.transcript if turn.get("customer")]
    offered = [a for turn in session.transcript for a in turn.get("articles", [])]
    said = [turn["bot"] for turn in session.transcript if turn.get("bot")]
    lines = [f"Bot handoff: {session.handoff_reason}.", "", "The customer asked:"]
    lines += [f"- {text}" for text in asked]
    lines += ["", "Articles offered:"]
    lines += [f"- {a['title']} ({a['url']})" for a in offered] or ["- none"]
    lines += ["", "The bot said:"]
    lines += [f"- {text.splitlines()[0]}" for text in said]
    return "\n".join(lines)
