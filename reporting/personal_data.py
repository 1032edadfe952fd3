"""Survey answers in data subject requests: exported with the customer's conversations
(`conversations.hooks.personal_data_exporters`), their comments removed when personal
data is erased (`personal_data_erased`). Scores stay: reports count them anonymously."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conversations.hooks import PersonalDataErased
from reporting.models import CsatResponse


def csat_answers(conversation_ids: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    answers = CsatResponse.objects.filter(conversation_id__in=conversation_ids).order_by(
        "created_at", "pk"
    )
    return {
        "csat": [
            {
                "conversation": answer.conversation_id,
                "score": answer.score,
                "comment": answer.comment,
                "channel": answer.channel,
                "created_at": answer.created_at.isoformat(),
            }
            for answer in answers
        ]
    }


def erase_csat_comments(erased: PersonalDataErased) -> None:
    CsatResponse.objects.filter(conversation_id__in=erased.conversation_ids).update(comment="")
