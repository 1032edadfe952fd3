"""Webhook payloads of erased personal data (`conversations.hooks.personal_data_erased`):
the deliveries kept to show and replay what was sent lose their `data` when it was about
an erased conversation, message or customer, and their attempts the receivers' answers
(which may echo it)."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from conversations.hooks import PersonalDataErased
from webhooks.models import WebhookAttempt, WebhookDelivery

ERASED_DATA = {"erased": True}


def erase_delivery_payloads(erased: PersonalDataErased) -> None:
    conversations, messages, customers = (
        list(erased.conversation_ids),
        list(erased.message_ids),
        list(erased.customer_ids),
    )
    about = (
        Q(payload__data__conversation_id__in=conversations)
        | Q(event_type__startswith="conversation.", payload__data__id__in=conversations)
        | Q(event_type__startswith="message.", payload__data__id__in=messages)
    )
    if customers:
        about |= (
            Q(payload__data__customer_id__in=customers)
            | Q(event_type__startswith="customer.", payload__data__id__in=customers)
            | Q(payload__data__customer__id__in=customers)
            | Q(payload__data__source_customer_id__in=customers)
        )
    values = [value for value in erased.identity_values if value]
    if values:
        about |= reduce(or_, (Q(payload_text__contains=value) for value in values))
    deliveries = list(
        WebhookDelivery.objects.annotate(payload_text=Cast("payload", TextField()))
        .filter(about)
        .exclude(payload__data=ERASED_DATA)
        .only("pk", "payload")
    )
    for delivery in deliveries:
        delivery.payload = {**delivery.payload, "data": ERASED_DATA}
    WebhookDelivery.objects.bulk_update(deliveries, ["payload"], batch_size=500)
    WebhookAttempt.objects.filter(delivery__in=[d.pk for d in deliveries]).update(
        response_excerpt=""
    )
