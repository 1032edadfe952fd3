"""Sending later: agent replies and notes scheduled for a time, and the sweep that sends
whatever is due (scheduled replies and notifications).

The stored row is the schedule. The sweep claims due rows with `FOR UPDATE SKIP
LOCKED` and sends each inside the claiming transaction, so two workers never send one
row, a worker that dies mid-way leaves it scheduled for the next sweep, and a cancel
waits for a send in progress and then sees it sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.models import Conversation
from omnidesk.errors import ApplicationError
from outreach.models import Notification, ScheduledReply
from outreach.services.bulk import resume_stalled_bulk_sends
from outreach.services.notifications import ETA_HORIZON, check_send_at, process_notification

logger = logging.getLogger(__name__)

SWEEP_BATCH = 100


def schedule_reply(
    *,
    conversation: Conversation,
    author: AbstractBaseUser,
    text: str,
    send_at: datetime,
    kind: str = ScheduledReply.Kind.REPLY,
    endpoint_key: str = "",
) -> ScheduledReply:
    """Keep a reply (or a note) to send at `send_at`, which must be in the future.
    Precondition: access to the conversation has been checked."""
    conversation_services.validate_text(text)
    now = timezone.now()
    if send_at <= now:
        raise ApplicationError(
            "Pick a time in the future.", fields={"send_at": ["Must be later than now."]}
        )
    check_send_at(send_at, now=now)
    if kind not in ScheduledReply.Kind.values:
        raise ApplicationError("Unknown kind.", fields={"kind": ["reply or note"]})
    endpoint: ChannelEndpoint | None = None
    if endpoint_key and kind == ScheduledReply.Kind.REPLY:
        endpoint = next(
            (
                e
                for e in conversation_services.reply_endpoint_choices(conversation)
                if e.key == endpoint_key
            ),
            None,
        )
        if endpoint is None:
            raise ApplicationError(
                "The customer cannot be reached on that endpoint.",
                fields={"endpoint": ["Not a channel this customer has an identity for."]},
            )
    with transaction.atomic():
        scheduled = ScheduledReply.objects.create(
            conversation=conversation,
            author=author,
            kind=kind,
            text=text,
            endpoint=endpoint,
            send_at=send_at,
            created_at=now,
        )
        if send_at - now <= ETA_HORIZON:
            from outreach.tasks import send_due_outreach

            transaction.on_commit(lambda: send_due_outreach.apply_async(eta=send_at), robust=True)
    return scheduled


def cancel_scheduled_reply(*, scheduled: ScheduledReply, actor: AbstractBaseUser) -> ScheduledReply:
    """Cancel it unless it has gone out (409 then). Waits for a send in progress."""
    with transaction.atomic():
        scheduled = ScheduledReply.objects.select_for_update().get(pk=scheduled.pk)
        if scheduled.status == ScheduledReply.Status.CANCELLED:
            return scheduled
        if scheduled.status != ScheduledReply.Status.SCHEDULED:
            raise ApplicationError(
                f"It was already {scheduled.get_status_display().lower()}.",
                fields={"status": [scheduled.status]},
                status_code=409,
            )
        scheduled.status = ScheduledReply.Status.CANCELLED
        scheduled.cancelled_at = timezone.now()
        scheduled.cancelled_by = actor
        scheduled.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    return scheduled


def _send_scheduled_reply(scheduled: ScheduledReply, now: datetime) -> None:
    """Precondition: the row is locked and scheduled."""
    try:
        # The author may have lost access since scheduling: check as if they sent it now.
        conversation = conversation_selectors.access_conversation(
            user=scheduled.author, conversation_id=scheduled.conversation_id
        )
        if scheduled.kind == ScheduledReply.Kind.NOTE:
            message = conversation_services.add_note(
                conversation=conversation, author=scheduled.author, text=scheduled.text
            )
        else:
            message = conversation_services.send_reply(
                conversation=conversation,
                author=scheduled.author,
                text=scheduled.text,
                endpoint=scheduled.endpoint,
            )
    except ApplicationError as exc:
        scheduled.status = ScheduledReply.Status.FAILED
        scheduled.error = exc.message
        scheduled.save(update_fields=["status", "error"])
        logger.info("scheduled reply failed", extra={"scheduled_reply_id": scheduled.pk})
        return
    scheduled.status = ScheduledReply.Status.SENT
    scheduled.message = message
    scheduled.sent_at = now
    scheduled.save(update_fields=["status", "message", "sent_at"])


def send_due_replies(*, now: datetime | None = None, limit: int = 10_000) -> int:
    """Send every scheduled reply due by `now`; returns how many were handled."""
    handled = 0
    while handled < limit:
        moment = now or timezone.now()
        with transaction.atomic():
            batch = list(
                ScheduledReply.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("author")
                .filter(status=ScheduledReply.Status.SCHEDULED, send_at__lte=moment)
                .order_by("send_at", "pk")[: min(SWEEP_BATCH, limit - handled)]
            )
            for scheduled in batch:
                _send_scheduled_reply(scheduled, moment)
        handled += len(batch)
        if len(batch) < SWEEP_BATCH:
            break
    return handled


def send_due_notifications(*, now: datetime | None = None, limit: int = 100_000) -> int:
    """Send (or skip) every notification due by `now`; returns how many were handled."""
    handled = 0
    while handled < limit:
        moment = now or timezone.now()
        with transaction.atomic():
            batch = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("customer", "template", "requested_endpoint", "created_by")
                .filter(status=Notification.Status.SCHEDULED, send_at__lte=moment)
                .order_by("send_at", "pk")[: min(SWEEP_BATCH, limit - handled)]
            )
            for notification in batch:
                process_notification(notification=notification, now=moment)
        handled += len(batch)
        if len(batch) < SWEEP_BATCH:
            break
    return handled


def send_notification_if_due(*, notification_id: int) -> bool:
    """The ETA task's work: send this one notification if it is due and nobody else is
    sending it."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("customer", "template", "requested_endpoint", "created_by")
            .filter(
                pk=notification_id,
                status=Notification.Status.SCHEDULED,
                send_at__lte=timezone.now(),
            )
            .first()
        )
        if notification is None:
            return False
        process_notification(notification=notification)
    return True


def send_due_outreach(*, now: datetime | None = None) -> dict[str, int]:
    return {
        "replies": send_due_replies(now=now),
        "notifications": send_due_notifications(now=now),
        "stalled_bulk_sends": resume_stalled_bulk_sends(now=now),
    }
