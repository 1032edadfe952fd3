# ruff: noqa: S608 -- SQL here is assembled from table names and constant fragments only;
# every value is a bound parameter.
"""Writes of the reporting app: CSAT surveys and their answers."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.db.models.functions import TruncHour
from django.urls import reverse
from django.utils import timezone

from channels_app.kinds import channel_kind
from conversations import hooks
from conversations import services as conversation_services
from conversations.models import Conversation, ConversationEvent, Message
from omnidesk.errors import ApplicationError
from reporting.models import (
    ConversationFact,
    CsatResponse,
    CsatSurvey,
    MessageRollup,
    RefreshState,
    ResponseWait,
)

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint, InboundEvent
    from channels_app.types import InboundMessage
    from customers.models import Customer

logger = logging.getLogger(__name__)

# The timeline event kind for an answered survey. ConversationEvent.kind is a plain
# CharField, so a new value needs no migration in conversations.
CSAT_EVENT_KIND = "csat"

MAX_COMMENT_LENGTH = 5000
_BARE_SCORE = re.compile(r"^\s*([1-5])\s*[.!]?\s*$")


def csat_enabled(endpoint: ChannelEndpoint | None) -> bool:
    """The per-endpoint switch, `config["csat_enabled"]`; on unless set to false."""
    if endpoint is None:
        return False
    return bool((endpoint.config or {}).get("csat_enabled", True))


def survey_url(survey: CsatSurvey) -> str:
    return settings.OMNIDESK_PUBLIC_URL + reverse("csat-survey", args=[survey.token])


def reply_window() -> timedelta:
    return timedelta(hours=settings.OMNIDESK_CSAT_REPLY_WINDOW_HOURS)


# --- Sending a survey -------------------------------------------------------------------


def _resolved_by_the_bot(conversation: Conversation) -> bool:
    """The latest resolution was nobody's (no actor), the bot had spoken (its messages
    carry `metadata.bot`) and no agent ever wrote: there is no agent to rate, so no
    survey. A later resolution by an agent is surveyed as usual."""
    resolution = (
        conversation.events.filter(
            kind=ConversationEvent.Kind.STATUS_CHANGED, data__to=Conversation.Status.RESOLVED
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return (
        resolution is not None
        and resolution.actor_id is None
        and conversation.messages.filter(kind=Message.Kind.BOT, metadata__bot=True).exists()
        and not conversation.messages.filter(kind=Message.Kind.AGENT).exists()
    )


def on_conversation_resolved(conversation_id: int) -> CsatSurvey | None:
    """Send the survey for the conversation's latest resolution, at most once.

    Subscribed to `conversations.hooks.conversation_resolved` (after the resolving
    transaction commits). Does nothing when the conversation was reopened in the
    meantime, when the endpoint it ended on has CSAT turned off, or when the customer
    cannot be reached on that channel.
    """
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("customer", "endpoint")
            .filter(pk=conversation_id)
            .first()
        )
        if (
            conversation is None
            or conversation.status != Conversation.Status.RESOLVED
            or conversation.resolved_at is None
        ):
            return None
        resolution_number = conversation.events.filter(
            kind=ConversationEvent.Kind.STATUS_CHANGED, data__to=Conversation.Status.RESOLVED
        ).count()
        if (
            resolution_number == 0
            or conversation.csat_surveys.filter(resolution_number=resolution_number).exists()
            or _resolved_by_the_bot(conversation)
        ):
            return None
        endpoint = conversation_services.default_reply_endpoint(conversation)
        if not csat_enabled(endpoint):
            return None
        method = (
            CsatSurvey.Method.KEYWORD
            if channel_kind(endpoint.kind).answers_surveys_by_keyword
            else CsatSurvey.Method.LINK
        )
        now = timezone.now()
        try:
            # One savepoint for the survey and its message: a survey that cannot go out
            # (channel disconnected, customer unreachable there) leaves nothing behind.
            with transaction.atomic():
                survey = CsatSurvey.objects.create(
                    conversation=conversation,
                    resolution_number=resolution_number,
                    resolved_at=conversation.resolved_at,
                    channel=endpoint.kind,
                    endpoint=endpoint,
                    method=method,
                    team_id=conversation.team_id,
                    agent_id=conversation.assignee_id,
                    sent_at=now,
                )
                survey.message = conversation_services.queue_outbound_message(
                    conversation=conversation,
                    kind=Message.Kind.BOT,
                    text=_survey_text(survey),
                    sender_name="Satisfaction survey",
                    endpoint=endpoint,
                    subject=None if conversation.subject else "How did we do?",
                    metadata={"csat_survey": survey.pk, "csat_method": method},
                    at=now,
                )
                survey.save(update_fields=["message"])
        except ApplicationError as exc:
            logger.info(
                "csat survey not sent",
                extra={
                    "conversation_id": conversation.pk,
                    "endpoint_key": endpoint.key,
                    "reason": exc.message,
                },
            )
            return None
    return survey


def _survey_text(survey: CsatSurvey) -> str:
    if survey.method == CsatSurvey.Method.KEYWORD:
        return (
            "How did we do? Reply with a number from 1 (very poor) to 5 (excellent) "
            "to rate this conversation."
        )
    return f"How did we do? Rate this conversation from 1 to 5: {survey_url(survey)}"


# --- Recording an answer ----------------------------------------------------------------


def _validate_answer(score: object, comment: str) -> tuple[int, str]:
    if isinstance(score, bool):
        score = None
    try:
        value = int(score)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = 0
    if value < 1 or value > 5 or (isinstance(score, float) and not score.is_integer()):
        raise ApplicationError(
            "The score must be a whole number from 1 to 5.",
            fields={"score": ["A whole number from 1 to 5."]},
        )
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ApplicationError(
            "The comment is too long.",
            fields={"comment": [f"At most {MAX_COMMENT_LENGTH} characters."]},
        )
    return value, comment


def record_survey_answer(
    *,
    survey: CsatSurvey,
    score: int,
    comment: str = "",
    channel: str,
    at: datetime | None = None,
) -> CsatResponse:
    """Store the one answer to `survey` and put it on the conversation's timeline.

    A second answer to the same survey is refused (409); the unique survey column backs
    that up when two answers race.
    """
    score, comment = _validate_answer(score, comment)
    now = at or timezone.now()
    try:
        with transaction.atomic():
            survey = (
                CsatSurvey.objects.select_for_update(of=("self",))
                .select_related("conversation__endpoint")
                .get(pk=survey.pk)
            )
            if CsatResponse.objects.filter(survey=survey).exists():
                raise ApplicationError("This survey was already answered.", status_code=409)
            conversation = survey.conversation
            response = CsatResponse.objects.create(
                survey=survey,
                conversation=conversation,
                customer_id=conversation.customer_id,
                score=score,
                comment=comment,
                channel=channel,
                created_at=now,
            )
            conversation_services.record_timeline_event(
                conversation=conversation,
                kind=CSAT_EVENT_KIND,
                data={
                    "survey": survey.pk,
                    "score": score,
                    "comment": comment[:500],
                    "channel": channel,
                    "resolution_number": survey.resolution_number,
                },
                at=now,
            )
            conversation_services.conversation_changed(conversation)
            hooks.notify_csat_submitted(
                hooks.CsatAnswer(
                    response_id=response.pk,
                    survey_id=survey.pk,
                    conversation=conversation,
                    score=score,
                    comment=comment,
                    channel=channel,
                    at=now,
                )
            )
    except IntegrityError as exc:
        raise ApplicationError("This survey was already answered.", status_code=409) from exc
    return response


def record_csat_response(
    *, conversation: Conversation, score: int, comment: str = "", channel: str
) -> CsatResponse:
    """Answer the survey of the conversation's latest resolution (e.g. from the widget).

    Raises ApplicationError when no survey was sent for it (CSAT off for the endpoint,
    or not resolved yet) or when it was already answered.
    """
    survey = (
        CsatSurvey.objects.filter(conversation_id=conversation.pk)
        .order_by("-resolution_number")
        .first()
    )
    if survey is None:
        raise ApplicationError(
            "There is no satisfaction survey for this conversation.", status_code=404
        )
    return record_survey_answer(survey=survey, score=score, comment=comment, channel=channel)


def record_csat_response_by_token(*, token: str, score: int, comment: str = "") -> CsatResponse:
    """The public survey page's answer: the token is the only credential."""
    survey = CsatSurvey.objects.filter(token=token).first()
    if survey is None:
        raise ApplicationError("This survey link is not valid.", status_code=404)
    return record_survey_answer(survey=survey, score=score, comment=comment, channel=survey.channel)


# --- Keyword replies on messaging channels ----------------------------------------------


def bare_score(text: str) -> int | None:
    """1..5 when the text is only that digit (a trailing '.' or '!' allowed), else None."""
    match = _BARE_SCORE.match(text or "")
    return int(match.group(1)) if match else None


def receive_csat_keyword_reply(
    *,
    customer: Customer,
    endpoint: ChannelEndpoint,
    inbound: InboundMessage,
    inbound_event: InboundEvent | None,
    received_at: datetime,
    sender_identities: dict[str, str] | None = None,
) -> Message | None:
    """Take a bare 1-5 reply as the answer to the customer's open keyword survey.

    Returns the stored message (put on the surveyed conversation, which stays resolved)
    or None when the message is not such an answer and follows the normal path.
    Precondition: inside receive_message's transaction with the customer row locked.
    """
    score = bare_score(inbound.text)
    if score is None or inbound.attachments:
        return None
    survey = (
        CsatSurvey.objects.select_for_update(of=("self",))
        .filter(
            conversation__customer=customer,
            conversation__status=Conversation.Status.RESOLVED,
            method=CsatSurvey.Method.KEYWORD,
            channel=endpoint.kind,
            sent_at__gte=received_at - reply_window(),
            response__isnull=True,
        )
        .select_related("conversation")
        .order_by("-sent_at", "-id")
        .first()
    )
    if survey is None:
        return None
    message = conversation_services.file_claimed_message(
        conversation=survey.conversation,
        endpoint=endpoint,
        inbound=inbound,
        sender_identities=sender_identities or {},
        inbound_event=inbound_event,
        received_at=received_at,
        metadata={"csat_survey": survey.pk},
    )
    record_survey_answer(survey=survey, score=score, channel=endpoint.kind, at=received_at)
    return message


# --- Pre-aggregated report data -------------------------------------------------------------

# Serialises refreshes (the periodic task and dashboard reads) across processes.
REFRESH_LOCK_KEY = 0x7265706F  # "repo"
# Messages are stamped when the provider's delivery was accepted and may commit a little
# later, after a refresh moved past their id; recounting the latest hours catches them.
RECOUNT_RECENT = timedelta(minutes=15)
# Clock skew between the app servers that stamp `updated_at`.
UPDATED_AT_SLACK = timedelta(seconds=30)
CHUNK = 20_000


@dataclass(frozen=True)
class RefreshOutcome:
    conversations: int
    hours: int
    full: bool


def refresh_report_data(*, full: bool = False, max_age: timedelta | None = None) -> RefreshOutcome:
    """Bring the stored report data (ConversationFact, ResponseWait, MessageRollup) up to
    date with conversations, messages and events.

    Incremental by default: the conversations with new messages or events since the last
    run, or saved since then, and every conversation of their customers (a new
    conversation makes the customer's earlier one a repeat contact; a merge moves
    conversations between customers). `full` recomputes everything, e.g. after business
    hours changed. With `max_age`, nothing is done when the last refresh is younger.
    """
    from reporting.selectors import (
        desk_schedules,
        live_facts_sql,
        live_waits_sql,
        schedules_param,
    )

    if max_age is not None and not full:
        last = RefreshState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
        if last is not None and timezone.now() - last < max_age:
            return RefreshOutcome(conversations=0, hours=0, full=False)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        state, _ = RefreshState.objects.select_for_update().get_or_create(pk=1)
        now = timezone.now()
        max_message_id = Message.objects.aggregate(top=Max("id"))["top"] or 0
        max_event_id = ConversationEvent.objects.aggregate(top=Max("id"))["top"] or 0
        full = full or state.refreshed_at is None
        if full:
            ConversationFact.objects.all().delete()
            ResponseWait.objects.all().delete()
            MessageRollup.objects.all().delete()
            ids = list(Conversation.objects.values_list("id", flat=True))
            hours = None
        else:
            ids = _changed_conversations(state, max_message_id, max_event_id)
            hours = _hours_to_recount(state, max_message_id, now)
        schedules = schedules_param(desk_schedules())
        columns = ", ".join(("conversation_id", *FACT_COLUMNS_FOR_INSERT))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            params = {"ids": chunk, "bh_schedules": schedules, "now": now}
            cursor.execute(
                f"DELETE FROM {ConversationFact._meta.db_table}"
                " WHERE conversation_id = ANY(%(ids)s)",
                params,
            )
            cursor.execute(
                live_facts_sql(scope="ids")
                + f" INSERT INTO {ConversationFact._meta.db_table} ({columns}, refreshed_at)"
                + f" SELECT {columns}, %(now)s FROM live_facts",
                params,
            )
            cursor.execute(
                f"DELETE FROM {ResponseWait._meta.db_table} WHERE conversation_id = ANY(%(ids)s)",
                params,
            )
            cursor.execute(
                f"INSERT INTO {ResponseWait._meta.db_table} (conversation_id, started_at,"
                " replied_at, seconds, business_seconds, channel, endpoint_id, team_id,"
                " assignee_id) SELECT * FROM (" + live_waits_sql() + ") waits",
                params,
            )
        _recount_messages(cursor, hours)
        state.last_message_id = max_message_id
        state.last_event_id = max_event_id
        state.conversations_checked_at = now
        state.refreshed_at = now
        state.save()
    return RefreshOutcome(
        conversations=len(ids), hours=-1 if hours is None else len(hours), full=full
    )


FACT_COLUMNS_FOR_INSERT = (
    "customer_id",
    "created_at",
    "team_id",
    "assignee_id",
    "endpoint_id",
    "start_channel",
    "status",
    "resolved_at",
    "first_response_at",
    "first_response_due_at",
    "resolution_due_at",
    "ever_resolved",
    "reopened",
    "switched",
    "handoffs",
    "next_contact_at",
    "frt",
    "frt_business",
    "resolution",
    "resolution_business",
    "handling",
    "handling_business",
)


def _changed_conversations(
    state: RefreshState, max_message_id: int, max_event_id: int
) -> list[int]:
    changed = set(
        Message.objects.filter(id__gt=state.last_message_id, id__lte=max_message_id)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    changed |= set(
        ConversationEvent.objects.filter(id__gt=state.last_event_id, id__lte=max_event_id)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    if state.conversations_checked_at is not None:
        changed |= set(
            Conversation.objects.filter(
                updated_at__gte=state.conversations_checked_at - UPDATED_AT_SLACK
            ).values_list("id", flat=True)
        )
    if not changed:
        return []
    customers = Conversation.objects.filter(id__in=changed).values("customer_id")
    changed |= set(
        Conversation.objects.filter(customer_id__in=customers).values_list("id", flat=True)
    )
    # Facts of conversations deleted since go with them (ON DELETE CASCADE).
    return sorted(changed)


def _hours_to_recount(state: RefreshState, max_message_id: int, now: datetime) -> list[datetime]:
    hours = {
        hour
        for hour in Message.objects.filter(id__gt=state.last_message_id, id__lte=max_message_id)
        .annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .values_list("hour", flat=True)
        .distinct()
    }
    hour = (now - RECOUNT_RECENT).replace(minute=0, second=0, microsecond=0)
    while hour <= now:
        hours.add(hour)
        hour += timedelta(hours=1)
    return sorted(hours)


def _recount_messages(cursor, hours: list[datetime] | None) -> None:
    """Recount customer messages of `hours` (None: all) into the hourly rollup."""
    rollup = MessageRollup._meta.db_table
    messages = Message._meta.db_table
    conversations = Conversation._meta.db_table
    if hours is not None:
        if not hours:
            return
        cursor.execute(f"DELETE FROM {rollup} WHERE hour = ANY(%(hours)s)", {"hours": hours})
        scope = (
            "JOIN unnest(%(hours)s::timestamptz[]) AS h(hour)"
            " ON m.created_at >= h.hour AND m.created_at < h.hour + interval '1 hour'"
        )
    else:
        scope = ""
    cursor.execute(
        f"""
        INSERT INTO {rollup} (hour, channel, endpoint_id, team_id, count)
        SELECT date_trunc('hour', m.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
               m.channel, coalesce(m.endpoint_id, 0), coalesce(c.team_id, 0), count(*)
        FROM {messages} m {scope}
        JOIN {conversations} c ON c.id = m.conversation_id
        WHERE m.direction = 'in' AND m.kind IN ('customer', 'call')
        GROUP BY 1, 2, 3, 4
        """,
        {"hours": hours or []},
    )
