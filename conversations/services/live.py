"""The live inbox's one announcer: what agents' pages are told when conversations change.

Writers call `conversations_changed` / `messages_added` / `message_updated` inside their
transaction. Once it commits, every conversation it touched is announced once, however
many writes touched it:

1. In one short transaction, the conversation's `listed_*` columns (the bucket it was
   last counted in) move to its current status, inbox, team and assignee, its
   `live_version` goes up, and the `InboxCount` buckets it left and joined change by one.
   The row lock makes announcements of one conversation a chain: each covers exactly
   the move since the one before, so counts neither miss nor double a move.
2. Its list row is rendered once, for everyone, and sent as one `conversation.row` event
   to the groups that may see it; groups that saw it before and no longer do get the
   event without the row. New messages go, rendered, to the pages that have their
   conversation open.

The work per change does not depend on how many agents are connected: the fan-out is
the channel layer's. `reconcile` (a periodic task) announces what a crash between a
commit and its announcement left behind, and repairs counts that drifted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from conversations import events, presenters
from conversations.models import Conversation, InboxCount, Message
from conversations.selectors import (
    Bucket,
    TimelineItem,
    conversation_group,
    groups_for_buckets,
    live_rows,
    message_items,
)
from conversations.services import notifications
from omnidesk.realtime import publish_many_now

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    conversation_ids: set[int] = field(default_factory=set)
    state_changed_ids: set[int] = field(default_factory=set)
    created_message_ids: set[int] = field(default_factory=set)
    # Messages their writer handed over complete (`with_files_known`): rendered as they
    # were written, without reading them back.
    created_messages: dict[int, Message] = field(default_factory=dict)
    updated_message_ids: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.conversation_ids or self.updated_message_ids)


_local = threading.local()


def _pending() -> _Pending:
    if not hasattr(_local, "pending"):
        _local.pending = _Pending()
    return _local.pending


def conversations_changed(conversations: Iterable[Conversation]) -> None:
    """Their state changed (status, team, assignee, priority, tags, customer...)."""
    ids = {conversation.pk for conversation in conversations}
    pending = _pending()
    pending.conversation_ids |= ids
    pending.state_changed_ids |= ids
    transaction.on_commit(_flush)


def conversation_changed(conversation: Conversation) -> None:
    conversations_changed([conversation])


def messages_added(messages: Iterable[Message]) -> None:
    """New timeline messages (customer messages, replies, notes, calls): their
    conversations' rows changed, and open panes append them."""
    pending = _pending()
    complete = {}
    for message in messages:
        pending.conversation_ids.add(message.conversation_id)
        pending.created_message_ids.add(message.pk)
        if hasattr(message, "attachment_list"):
            complete[message.pk] = message
    if complete:
        # Handed over only once committed: a rolled-back transaction's messages, which
        # do not exist, must never be rendered from memory.
        transaction.on_commit(lambda: _flush_with(complete))
    else:
        transaction.on_commit(_flush)


def _flush_with(complete: dict[int, Message]) -> None:
    _pending().created_messages.update(complete)
    _flush()
    # Whatever an earlier flush of this commit announced already (read back) is dropped.
    _pending().created_messages.clear()


def message_updated(message: Message) -> None:
    """A message changed (delivery status, a call's recording): open panes replace it."""
    _pending().updated_message_ids.add(message.pk)
    transaction.on_commit(_flush)


def _flush() -> None:
    # Every writer registers this; the first to run after a commit takes all that the
    # transaction gathered and the others find nothing. (What a rolled-back transaction
    # gathered is announced with the next commit: an announcement states what is, so a
    # spare one is harmless.)
    pending = _pending()
    if not pending:
        return
    _local.pending = _Pending()
    try:
        # Rows and timeline items are rendered once for every agent: never in the
        # language or time zone the writing request activated for its own agent.
        with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
            _announce_pending(pending)
    except Exception:
        # The write is committed; pages catch up at the next announcement or at the
        # reconciliation. Never fail the request or task that made the write.
        logger.exception(
            "live announcement failed", extra={"conversations": len(pending.conversation_ids)}
        )


def _announce_pending(pending: _Pending) -> None:
    announce(
        pending.conversation_ids,
        state_changed_ids=pending.state_changed_ids,
        created_message_ids=pending.created_message_ids,
        created_messages=pending.created_messages,
        updated_message_ids=pending.updated_message_ids,
    )


@dataclass(frozen=True)
class Transition:
    """One conversation's move since its last announcement."""

    conversation_id: int
    version: int
    before: Bucket | None  # None: never announced (new)
    after: Bucket


def announce(
    conversation_ids: Iterable[int],
    *,
    state_changed_ids: Iterable[int] = (),
    created_message_ids: Iterable[int] = (),
    created_messages: dict[int, Message] | None = None,
    updated_message_ids: Iterable[int] = (),
) -> list[Transition]:
    """Count and tell. Run after the changes committed (not inside their transaction:
    its lock on the counts would serialise every writer until it commits)."""
    transitions = _advance_and_count(sorted(set(conversation_ids)))
    state_changed = set(state_changed_ids)
    rows = live_rows([t.conversation_id for t in transitions])
    buckets = {t.after for t in transitions} | {t.before for t in transitions if t.before}
    groups = groups_for_buckets(buckets)
    published: list[tuple[dict[str, Any], list[str]]] = []
    for transition in transitions:
        row = rows.get(transition.conversation_id)
        if row is None:
            continue  # deleted since
        # Not the conversation's own group: whoever has it open may see it, so hears it
        # through these already; the visitor's widget there has no use for agents' rows.
        seeing = groups[transition.after]
        event = {
            "conversation_id": transition.conversation_id,
            "version": transition.version,
            "before": transition.before.as_facts() if transition.before else None,
            "after": transition.after.as_facts(),
            "state_changed": transition.conversation_id in state_changed,
        }
        published.append(
            (events.conversation_row_event(**event, row=presenters.live_row(row)), seeing)
        )
        if transition.before is not None:
            # Ids and buckets only: those who lost sight of it learn nothing of its content.
            lost = sorted(set(groups[transition.before]) - set(seeing))
            if lost:
                published.append((events.conversation_row_event(**event, row=None), lost))
    published += notifications.queue_notifications(
        ((t.conversation_id, t.before, t.after) for t in transitions), rows
    )
    published += _message_events(
        set(created_message_ids), events.message_created_event, known=created_messages or {}
    )
    published += _message_events(set(updated_message_ids), events.message_updated_event)
    publish_many_now(published)
    return transitions


def _message_events(
    message_ids: set[int],
    build: Callable[..., dict[str, Any]],
    *,
    known: dict[int, Message] | None = None,
) -> list[tuple[dict[str, Any], list[str]]]:
    if not message_ids:
        return []
    known = {pk: message for pk, message in (known or {}).items() if pk in message_ids}
    items = [
        TimelineItem(message.created_at, "message", message.conversation_id, message)
        for message in known.values()
    ]
    unknown = sorted(message_ids - set(known))
    if unknown:
        items += message_items(unknown)
    items.sort(key=lambda item: (item.at, item.item.pk))
    return [
        (
            build(item.item, html=presenters.timeline_item_html(item)),
            [conversation_group(item.conversation_id)],
        )
        for item in items
    ]


# One statement moves each conversation's announced bucket to its current one (locking
# its row, in id order) and applies the moves to the kept counts (in bucket order, so two
# announcers lock shared buckets in one order): atomic on its own, one round trip.
_ADVANCE_AND_COUNT_SQL = """
    WITH previous AS (
        SELECT id, listed_status, listed_endpoint_id, listed_team_id, listed_assignee_id
        FROM conversations_conversation
        WHERE id = ANY(%s)
        ORDER BY id
        FOR UPDATE
    ),
    moved AS (
        UPDATE conversations_conversation AS c
        SET listed_status = c.status,
            listed_endpoint_id = c.endpoint_id,
            listed_team_id = COALESCE(c.team_id, 0),
            listed_assignee_id = COALESCE(c.assignee_id, 0),
            live_version = c.live_version + 1
        FROM previous
        WHERE c.id = previous.id
        RETURNING c.id, c.live_version,
            previous.listed_status AS before_status,
            previous.listed_endpoint_id AS before_endpoint_id,
            previous.listed_team_id AS before_team_id,
            previous.listed_assignee_id AS before_assignee_id,
            c.listed_status, c.listed_endpoint_id, c.listed_team_id, c.listed_assignee_id
    ),
    deltas AS (
        SELECT status, endpoint_id, team_id, assignee_id, SUM(delta)::int AS delta
        FROM (
            SELECT listed_status, listed_endpoint_id, listed_team_id, listed_assignee_id, 1
            FROM moved
            WHERE (before_status, before_endpoint_id, before_team_id, before_assignee_id)
                IS DISTINCT FROM (listed_status, listed_endpoint_id, listed_team_id,
                                  listed_assignee_id)
            UNION ALL
            SELECT before_status, before_endpoint_id, before_team_id, before_assignee_id, -1
            FROM moved
            WHERE before_status <> ''
              AND (before_status, before_endpoint_id, before_team_id, before_assignee_id)
                IS DISTINCT FROM (listed_status, listed_endpoint_id, listed_team_id,
                                  listed_assignee_id)
        ) AS move (status, endpoint_id, team_id, assignee_id, delta)
        GROUP BY status, endpoint_id, team_id, assignee_id
        HAVING SUM(delta) <> 0
    ),
    counted AS (
        INSERT INTO conversations_inboxcount AS kept
            (status, endpoint_id, team_id, assignee_id, count)
        SELECT status, endpoint_id, team_id, assignee_id, delta FROM deltas
        ORDER BY status, endpoint_id, team_id, assignee_id
        ON CONFLICT (status, endpoint_id, team_id, assignee_id)
        DO UPDATE SET count = kept.count + EXCLUDED.count
    )
    SELECT id, live_version,
        before_status, before_endpoint_id, before_team_id, before_assignee_id,
        listed_status, listed_endpoint_id, listed_team_id, listed_assignee_id
    FROM moved
"""


def _advance_and_count(conversation_ids: list[int]) -> list[Transition]:
    """Move each conversation's announced bucket to its current one and count the moves,
    returning them."""
    if not conversation_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_ADVANCE_AND_COUNT_SQL, [conversation_ids])
        returned = cursor.fetchall()
    transitions = []
    for pk, version, *previous, status, endpoint_id, team_id, assignee_id in returned:
        before = Bucket(*previous) if previous[0] else None
        after = Bucket(status, endpoint_id, team_id, assignee_id)
        transitions.append(Transition(pk, version, before, after))
    return sorted(transitions, key=lambda t: t.conversation_id)


# --- Reconciliation ----------------------------------------------------------------------

RECONCILE_BATCH = 1000


@dataclass(frozen=True)
class Reconciliation:
    announced: int  # conversations whose change had not been announced
    drifted_buckets: int  # buckets whose kept count was wrong
    drift: int  # the sum of the absolute errors


def reconcile() -> Reconciliation:
    """Announce conversations whose state moved without an announcement (a crash between
    a commit and its announcement, an edit outside the services), then recount the buckets
    from the announced columns and repair any count that drifted. Drift is logged as a
    warning: it should only ever come from a bug or a hand-made SQL change."""
    unannounced = _unannounced_ids()
    for start in range(0, len(unannounced), 100):
        announce(unannounced[start : start + 100], state_changed_ids=unannounced)
    drifted, drift = _repair_counts()
    if drifted:
        logger.warning(
            "inbox counts drifted and were repaired",
            extra={"buckets": drifted, "drift": drift},
        )
    return Reconciliation(announced=len(unannounced), drifted_buckets=drifted, drift=drift)


def _unannounced_ids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id FROM conversations_conversation
            WHERE (listed_status, listed_endpoint_id, listed_team_id, listed_assignee_id)
                IS DISTINCT FROM (status, endpoint_id, COALESCE(team_id, 0),
                                  COALESCE(assignee_id, 0))
            ORDER BY id LIMIT %s
            """,
            [RECONCILE_BATCH],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _repair_counts() -> tuple[int, int]:
    with transaction.atomic(), connection.cursor() as cursor:
        # Announcers wait while we recount: the counts and the announced columns are then
        # read and written at one consistent point.
        cursor.execute(f"LOCK TABLE {InboxCount._meta.db_table} IN EXCLUSIVE MODE")
        cursor.execute(
            """
            WITH actual AS (
                SELECT listed_status AS status, listed_endpoint_id AS endpoint_id,
                       listed_team_id AS team_id, listed_assignee_id AS assignee_id,
                       COUNT(*)::int AS count
                FROM conversations_conversation
                WHERE listed_status <> ''
                GROUP BY 1, 2, 3, 4
            ),
            compared AS (
                SELECT COALESCE(a.status, k.status) AS status,
                       COALESCE(a.endpoint_id, k.endpoint_id) AS endpoint_id,
                       COALESCE(a.team_id, k.team_id) AS team_id,
                       COALESCE(a.assignee_id, k.assignee_id) AS assignee_id,
                       COALESCE(a.count, 0) AS count,
                       COALESCE(k.count, 0) AS kept
                FROM actual a
                FULL JOIN conversations_inboxcount k
                  ON (a.status, a.endpoint_id, a.team_id, a.assignee_id)
                   = (k.status, k.endpoint_id, k.team_id, k.assignee_id)
            )
            SELECT status, endpoint_id, team_id, assignee_id, count, kept
            FROM compared WHERE count <> kept
            """
        )
        wrong = cursor.fetchall()
        for status, endpoint_id, team_id, assignee_id, count, _kept in wrong:
            InboxCount.objects.update_or_create(
                status=status,
                endpoint_id=endpoint_id,
                team_id=team_id,
                assignee_id=assignee_id,
                defaults={"count": count},
            )
    return len(wrong), sum(abs(count - kept) for *_, count, kept in wrong)
