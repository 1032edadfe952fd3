"""The bot's sessions in data subject requests: exported with the customer's
conversations (`conversations.hooks.personal_data_exporters`: what they asked, what the
bot said, the articles it offered, how it ended); when personal data is erased
(`personal_data_erased`) each turn loses its words. The sessions, their states and turn
counts stay: the bot's outcomes (docs/metrics.md) are counted from them. Handoff reasons
are the bot's own fixed phrases, not the customer's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from bot.models import BotSession
from conversations.hooks import PersonalDataErased


def bot_sessions(conversation_ids: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    sessions = BotSession.objects.filter(conversation_id__in=conversation_ids).order_by(
        "started_at", "pk"
    )
    return {
        "bot_sessions": [
            {
                "conversation": session.conversation_id,
                "channel": session.channel,
                "locale": session.locale,
                "state": session.state,
                "handoff_reason": session.handoff_reason,
                "transcript": [
                    {
                        "customer": turn.get("customer", ""),
                        "bot": turn.get("bot", ""),
                        "articles": [
                            {"title": a.get("title", ""), "url": a.get("url", "")}
                            for a in turn.get("articles", [])
                        ],
                    }
                    for turn in session.transcript
                ],
                "started_at": session.started_at.isoformat(),
                "ended_at": session.ended_at.isoformat() if session.ended_at else None,
            }
            for session in sessions
        ]
    }


def erase_bot_transcripts(erased: PersonalDataErased) -> None:
    sessions = BotSession.objects.filter(
        Q(conversation_id__in=erased.conversation_ids) | Q(customer_id__in=erased.customer_ids)
    )
    for session in sessions.only("pk", "transcript"):
        # Message ids (the bot's idempotency) and the articles offered are not personal.
        words = [{**turn, "customer": "", "bot": ""} for turn in session.transcript]
        BotSession.objects.filter(pk=session.pk).update(transcript=words)
