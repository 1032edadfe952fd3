"""Reporting's reactions to the conversation domain (`conversations.hooks`), registered
in `ReportingConfig.ready()`: a resolved conversation gets its satisfaction survey, and
a bare "1".."5" answering one is taken as its answer."""

from __future__ import annotations

from channels_app.types import InboundMessage
from conversations.hooks import InboundClaim
from conversations.models import Message
from reporting import services


def send_survey(conversation_id: int) -> None:
    services.on_conversation_resolved(conversation_id)


class SurveyAnswerClaimer:
    """Offered every inbound message before it joins a conversation (`hooks.InboundClaimer`)."""

    def might_claim(self, inbound: InboundMessage) -> bool:
        return services.bare_score(inbound.text) is not None

    def claim(self, claim: InboundClaim) -> Message | None:
        return services.receive_csat_keyword_reply(
            customer=claim.customer,
            endpoint=claim.endpoint,
            inbound=claim.inbound,
            inbound_event=claim.inbound_event,
            received_at=claim.received_at,
            sender_identities=claim.sender_identities,
        )
