"""Raw provider payloads of erased personal data (`conversations.hooks.personal_data_erased`):
intake stored them (`InboundEvent.raw` and the normalised `message`), so intake removes
them: the events that created the erased messages, and, for a customer's erasure, every
other event naming one of their identities (delivery statuses, calls, payloads that
failed to parse)."""

from __future__ import annotations

import uuid
from functools import reduce
from operator import or_

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from channels_app.models import InboundEvent
from conversations.hooks import PersonalDataErased


def erase_inbound_payloads(erased: PersonalDataErased) -> None:
    ids = set(
        InboundEvent.objects.filter(created_message__id__in=erased.message_ids).values_list(
            "pk", flat=True
        )
    )
    values = [value for value in erased.identity_values if value]
    if values:
        # A scan of the payloads as text: an erasure is rare, and what names the person
        # must go wherever it sits in a provider's format.
        naming = reduce(
            or_,
            (Q(raw_text__contains=value) | Q(message_text__contains=value) for value in values),
        )
        ids |= set(
            InboundEvent.objects.annotate(
                raw_text=Cast("raw", TextField()), message_text=Cast("message", TextField())
            )
            .filter(naming)
            .values_list("pk", flat=True)
        )
    if not ids:
        return
    InboundEvent.objects.filter(pk__in=ids).update(raw={}, message={}, error="")
    if values:
        # Provider ids may hold an identity (Telegram's start with the chat id): a random
        # id keeps the row unique per endpoint.
        naming = reduce(or_, (Q(provider_id__contains=value) for value in values))
        for pk in InboundEvent.objects.filter(naming).values_list("pk", flat=True):
            InboundEvent.objects.filter(pk=pk).update(provider_id=f"erased-{uuid.uuid4().hex}")
