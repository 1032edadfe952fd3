"""Knowledge gaps in data subject requests: the questions the bot logged in a customer's
conversations are exported with them (`conversations.hooks.personal_data_exporters`) and
lose their words when personal data is erased (`personal_data_erased`), as do
anonymous searches (help center, widget) that typed one of the erased identities. The
rows stay: reports count the gaps. Views and helpful votes hold no person (a vote's
voter is a hash of a browser session)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from conversations.hooks import PersonalDataErased
from knowledge.models import KnowledgeGap


def knowledge_gaps(conversation_ids: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    gaps = KnowledgeGap.objects.filter(conversation_id__in=conversation_ids).order_by(
        "created_at", "pk"
    )
    return {
        "knowledge_gaps": [
            {
                "conversation": gap.conversation_id,
                "query": gap.query,
                "locale": gap.locale,
                "source": gap.source,
                "created_at": gap.created_at.isoformat(),
            }
            for gap in gaps
        ]
    }


def erase_gap_questions(erased: PersonalDataErased) -> None:
    asked = Q(conversation_id__in=erased.conversation_ids)
    for value in erased.identity_values:
        if value:
            asked |= Q(query__icontains=value)
    KnowledgeGap.objects.filter(asked).exclude(query="").update(query="")
