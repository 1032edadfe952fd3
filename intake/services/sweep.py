"""The stranded-work sweep: nothing accepted is ever left behind by a lost enqueue."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from channels_app.models import InboundEvent
from conversations.services import requeue_stranded_deliveries
from intake.services.pipeline import enqueue_processing

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    inbound_events: int
    outbound_messages: int


def sweep_stranded_work(*, limit: int = 1000) -> SweepResult:
    """Re-enqueue work whose enqueue may have been lost between commit and broker.

    Inbound events pending longer than the threshold; outbound messages queued longer
    than the threshold whose retry time (if any) has passed; messages stuck in
    `sending` after a worker crash go back to queued. Processing is idempotent, so an
    event enqueued twice is still processed once.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.OMNIDESK_STRANDED_AFTER_SECONDS)
    event_ids = list(
        InboundEvent.objects.filter(status=InboundEvent.Status.PENDING, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueue_processing(event_ids)
    messages = requeue_stranded_deliveries(limit=limit)
    if event_ids or messages:
        logger.info(
            "sweep re-enqueued work", extra={"events": len(event_ids), "messages": messages}
        )
    return SweepResult(inbound_events=len(event_ids), outbound_messages=messages)
