"""Browser notifications for agents: a conversation assigned to me, a new one in my
team's queue, an @mention in a private note.

The server decides who hears of what, with the visibility rule (`visible_conversations`,
`agents_who_see`, the team group of the queue), and only after the change commits. It
sends facts (`events.notification_event`); the page words them in the agent's language
and shows them as the agent's preferences say. Per-agent notifications also respect
those preferences here, so an agent who turned one off is not sent it at all."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agents.preferences import wants_notification
from agents.selectors import agent_group, team_group
from conversations import events
from conversations.models import Conversation, Message
from conversations.selectors.access import Bucket, visible_conversations
from conversations.selectors.mentions import agents_who_see
from conversations.services.common import preview_text
from omnidesk.errors import ApplicationError
from omnidesk.realtime import publish_on_commit

# "@ann" or "@ann.lee" at a word start (not inside an email address such as a@b.com).
MENTION_PATTERN = re.compile(r"(?<![\w@.+-])@([\w.+-]*\w)")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")


def _url(conversation_id: int) -> str:
    return reverse("inbox:conversation", args=[conversation_id])


# --- Mentions -------------------------------------------------------------------------------


def find_mentions(*, conversation: Conversation, text: str) -> list[AbstractBaseUser]:
    """The agents `text` @mentions by username (an unknown name is just text). Mentioning
    an agent who may not see the conversation is an ApplicationError: they would be told
    of a conversation they cannot open."""
    names = {name.lower() for name in MENTION_PATTERN.findall(text)}
    if len(names) > 20:
        raise ApplicationError(
            _("Mention at most 20 agents in one note."), fields={"text": [_("Too many mentions.")]}
        )
    if not names:
        return []
    named = list(get_user_model().objects.filter(is_active=True, username__iregex=_any_of(names)))
    seeing = set(
        agents_who_see(conversation=conversation)
        .filter(pk__in=[user.pk for user in named])
        .values_list("pk", flat=True)
    )
    refused = sorted(user.username for user in named if user.pk not in seeing)
    if refused:
        raise ApplicationError(
            ngettext(
                "@%(names)s cannot see this conversation: mention someone of its teams.",
                "@%(names)s cannot see this conversation: mention someone of its teams.",
                len(refused),
            )
            % {"names": ", @".join(refused)},
            fields={"text": [_("Only agents who see the conversation can be mentioned.")]},
        )
    return sorted(named, key=lambda user: user.username)


def _any_of(names: Iterable[str]) -> str:
    return "^(" + "|".join(re.escape(name) for name in sorted(names)) + ")$"


def highlight_mentions(body_html: str, agents: Iterable[AbstractBaseUser]) -> SafeString:
    """The stored body with each mention of `agents` wrapped in `<span class="mention">`,
    in text only (never inside a tag or a link)."""
    usernames = {agent.username.lower() for agent in agents}
    if not usernames:
        return mark_safe(body_html)  # noqa: S308 (already the rendered, escaped body)

    def wrap(match: re.Match[str]) -> str:
        if match.group(1).lower() not in usernames:
            return match.group(0)
        return f'<span class="mention">@{escape(match.group(1))}</span>'

    parts = _TAG_OR_TEXT.split(str(body_html))
    in_link = False
    for index, part in enumerate(parts):
        if part.startswith("<"):
            lowered = part.lower()
            if lowered.startswith("<a ") or lowered == "<a>":
                in_link = True
            elif lowered.startswith("</a"):
                in_link = False
        elif not in_link:
            parts[index] = MENTION_PATTERN.sub(wrap, part)
    return mark_safe("".join(parts))  # noqa: S308 (only our span added to escaped text)


def mention_metadata(agents: Iterable[AbstractBaseUser]) -> list[dict[str, Any]]:
    return [{"id": agent.pk, "username": agent.username} for agent in agents]


def notify_mentioned(*, message: Message, agents: Iterable[AbstractBaseUser]) -> None:
    """Tell each mentioned agent (not the author, and only who wants it), after commit.
    Precondition: `find_mentions` checked that each may see the conversation."""
    wanted = wants_notification(
        user_ids=[agent.pk for agent in agents if agent.pk != message.author_id], kind="mention"
    )
    if not wanted:
        return
    event = events.notification_event(
        kind="mention",
        conversation_id=message.conversation_id,
        url=_url(message.conversation_id),
        excerpt=preview_text(message.text),
        author_name=message.sender_name,
        message_id=message.pk,
    )
    publish_on_commit(event, [agent_group(user_id) for user_id in sorted(wanted)])


# --- Assigned to me ------------------------------------------------------------------------


def notify_assigned(
    conversation: Conversation, previous_assignee_id: int | None, actor: AbstractBaseUser | None
) -> None:
    """`hooks.conversation_assigned` subscriber: tell the new assignee, unless they took it
    themselves or turned this off. Inside the assigning transaction; sent after commit."""
    assignee_id = conversation.assignee_id
    if assignee_id is None or (actor is not None and actor.pk == assignee_id):
        return
    if not wants_notification(user_ids=[assignee_id], kind="assigned"):
        return
    assignee = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None:
        return
    if not visible_conversations(user=assignee).filter(pk=conversation.pk).exists():
        return
    event = events.notification_event(
        kind="assigned",
        conversation_id=conversation.pk,
        url=_url(conversation.pk),
        excerpt=conversation.last_message_preview,
        customer_name=str(conversation.customer) if conversation.customer_id else "",
    )
    publish_on_commit(event, [agent_group(assignee_id)])


# --- New in my queue -----------------------------------------------------------------------


def queue_notifications(
    moves: Iterable[tuple[int, Bucket | None, Bucket]], rows: dict[int, Any]
) -> list[tuple[dict[str, Any], list[str]]]:
    """For the live announcer: a conversation that arrived unassigned and open in a team's
    queue (new, or moved to that team) is told to that team's group (its members see
    their team's queue). One event per conversation, whatever the team's size; each page
    shows it only if its agent wants queue notifications."""
    notices = []
    for conversation_id, before, after in moves:
        if after.assignee_id or not after.team_id or after.status != Conversation.Status.OPEN:
            continue
        if before is not None and before.team_id == after.team_id:
            continue
        row = rows.get(conversation_id)
        if row is None:
            continue
        event = events.notification_event(
            kind="queue",
            conversation_id=conversation_id,
            url=_url(conversation_id),
            excerpt=row.item.preview,
            customer_name=row.item.customer_name,
            team_id=after.team_id,
        )
        notices.append((event, [team_group(after.team_id)]))
    return notices
