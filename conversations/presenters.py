"""Display rows: what the inbox templates print, built once from selector values so a
template only prints; and the live inbox's rendered row and timeline item."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from conversations.display import (
    channel_icon,
    channel_label,
    describe_event,
    iso_time,
    priority_class,
    priority_label,
    short_time,
    waiting_for,
)
from conversations.models import Message
from conversations.selectors import InboxItem, InboxPage, LiveRow, TimelineItem, attachments_of


class DisplayValues:
    """Base of the display rows templates print. Django's template engine looks
    `row.name` up as `row["name"]` first and only then as an attribute, so on a plain
    object every variable printed costs a raised and caught TypeError; answering the
    key lookup makes it a hit on the first try."""

    __slots__ = ()

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)


# --- The timeline ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttachmentLink(DisplayValues):
    url: str
    filename: str
    size: int
    preview: bool  # an image we hold: shown inline


@dataclass(frozen=True, slots=True)
class TimelineEntry(DisplayValues):
    """A timeline item as the pane prints it: display values computed once here, so the
    template only prints (the pane is re-rendered on every event of the conversation)."""

    is_message: bool
    pk: int
    conversation_id: int
    conversation_url: str
    css: str  # "dir-in kind-customer" for a message, "event-assigned" for an event
    badges: SafeString  # channel and note/call badges
    sender: str
    iso_time: str
    short_time: str
    subject: str = ""
    body: SafeString | str = ""  # messages: the stored rendered body; events: description
    attachments: tuple[AttachmentLink, ...] = ()
    outbound: bool = False
    delivery_status: str = ""
    delivery_label: str = ""
    delivery_error: str = ""
    retry_url: str = ""
    # An email whose sender no trusted SPF/DKIM/DMARC verdict proves (anyone can write a
    # From header): shown as "Sender not verified".
    sender_unverified: bool = False


_KIND_BADGES = {
    Message.Kind.NOTE: SafeString('<span class="note-badge">Private note</span>'),
    Message.Kind.CALL: SafeString('<span class="call-badge">Call</span>'),
}


@functools.cache
def _channel_badge_html(channel: str) -> SafeString:
    return format_html(
        '<span class="channel-badge ch-{}">{}</span>', channel, channel_label(channel)
    )


def timeline_entries(items: list[TimelineItem], *, customer_name: str) -> list[TimelineEntry]:
    """Display values for `items`; `customer_name` signs customer messages that carry no
    sender name. Needs the authors, actors and attachments the timeline selectors load."""
    prefix = reverse("inbox:inbox")
    delivery_labels = {value: str(label) for value, label in Message.DeliveryStatus.choices}
    entries = []
    for entry in items:
        conversation_url = f"{prefix}c/{entry.conversation_id}/"
        common = {
            "pk": entry.item.pk,
            "conversation_id": entry.conversation_id,
            "conversation_url": conversation_url,
            "iso_time": iso_time(entry.at),
            "short_time": short_time(entry.at),
        }
        if entry.kind == "event":
            event = entry.item
            entries.append(
                TimelineEntry(
                    is_message=False,
                    css=f"event-{event.kind}",
                    badges=SafeString(""),
                    sender="",
                    body=describe_event(event),
                    **common,
                )
            )
            continue
        message = entry.item
        badges = _channel_badge_html(message.channel) if message.channel else SafeString("")
        if message.kind in _KIND_BADGES:
            badges = SafeString(badges + _KIND_BADGES[message.kind])
        if message.author_id:
            sender = message.author.get_full_name() or message.author.get_username()
        else:
            sender = message.sender_name or customer_name
        failed = message.delivery_status == Message.DeliveryStatus.FAILED
        entries.append(
            TimelineEntry(
                is_message=True,
                css=f"dir-{message.direction} kind-{message.kind}",
                badges=badges,
                sender=sender,
                subject=message.subject,
                # Sanitised and folded when the message was written (nh3's output or
                # escaped text); printing it here does no folding and no cleaning.
                body=SafeString(message.body_html),
                attachments=tuple(
                    AttachmentLink(
                        url=f"{prefix}attachments/{attachment.pk}/",
                        filename=attachment.filename,
                        size=attachment.size,
                        preview=bool(attachment.is_image and attachment.file),
                    )
                    for attachment in attachments_of(message)
                ),
                outbound=message.direction == Message.Direction.OUTBOUND,
                delivery_status=message.delivery_status,
                delivery_label=delivery_labels.get(
                    message.delivery_status, message.delivery_status
                ),
                delivery_error=message.delivery_error,
                retry_url=f"{conversation_url}messages/{message.pk}/retry/" if failed else "",
                sender_unverified=_sender_unverified(message),
                **common,
            )
        )
    return entries


def _sender_unverified(message: Message) -> bool:
    verdict = (message.metadata or {}).get("email_auth")
    return isinstance(verdict, dict) and not verdict.get("pass")


# --- The conversation list -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxRow(DisplayValues):
    """One line of the list as the template prints it: plain values, no model lookups
    (a page of 25 rows is rendered on every list refresh of every agent)."""

    id: int
    url: str
    customer_name: str
    subject: str
    preview: str
    channels: tuple[str, ...]  # every channel the conversation used, sorted
    channel_icons: SafeString  # their icons, markup built once per channel kind
    waiting: str  # compact waiting time ("12m"); empty when nobody waits
    priority: int
    priority_class: str
    priority_label: str
    assignee_name: str  # empty when unassigned
    unread: bool
    last_message_at: datetime
    sort_key: str  # orders rows newest first as strings: what a live page sorts by

    def markup(self, *, active: bool = False) -> SafeString:
        """The row's `<li>`, built by hand rather than by a template: the list prints 25
        of them per page and the live inbox one per changed conversation, and the
        template engine spent ten times this building the same few lines. Its words are
        English marked data-i18n*, translated in the agent's browser (static/js/i18n.js),
        because one rendering goes to every agent."""
        classes = "row" + (" unread" if self.unread else "") + (" active" if active else "")
        waiting = (
            '<span class="waiting" title="Customer waiting" data-i18n-title="Customer waiting">'
            f"{escape(self.waiting)}</span>"
            if self.waiting
            else ""
        )
        subject = f"<strong>{escape(self.subject)}</strong> · " if self.subject else ""
        priority = (
            f'<span class="priority p-{escape(self.priority_class)}" data-i18n="'
            f'{escape(self.priority_label)}">{escape(self.priority_label)}</span> '
            if self.priority != 1
            else ""
        )
        assignee = (
            f'<span class="assignee">{escape(self.assignee_name)}</span>'
            if self.assignee_name
            else '<span class="assignee" data-i18n="Unassigned">Unassigned</span>'
        )
        badge = (
            ' <span class="badge unread-badge" aria-label="unread" data-i18n-label="unread"'
            ' data-i18n="new">new</span>'
            if self.unread
            else ""
        )
        url = escape(self.url)
        return SafeString(
            f'<li class="{classes}" id="row-{self.id}" data-conversation-id="{self.id}"'
            f' data-sort="{escape(self.sort_key)}">'
            f'<a href="{url}" hx-get="{url}" hx-target="#conversation-pane" hx-push-url="true">'
            f'<span class="row-top"><span class="customer">{escape(self.customer_name)}</span>'
            f' <span class="channels">{self.channel_icons}</span> {waiting}</span>'
            f' <span class="preview">{subject}{escape(self.preview)}</span>'
            f' <span class="row-bottom">{priority}{assignee}{badge}</span>'
            "</a></li>"
        )


def inbox_rows(page: InboxPage[InboxItem]) -> InboxPage[InboxRow]:
    """The page of `selectors.inbox_page` as the list template prints it."""
    url_prefix = reverse("inbox:inbox")
    return InboxPage(
        rows=[_inbox_row(item, url_prefix) for item in page.rows], next_cursor=page.next_cursor
    )


def _inbox_row(item: InboxItem, url_prefix: str) -> InboxRow:
    return InboxRow(
        id=item.id,
        url=f"{url_prefix}c/{item.id}/",
        customer_name=item.customer_name,
        subject=item.subject,
        preview=item.preview,
        channels=item.channels,
        channel_icons=SafeString("".join(_channel_icon_html(kind) for kind in item.channels)),
        waiting=waiting_for(item.waiting_since),
        priority=item.priority,
        priority_class=priority_class(item.priority),
        priority_label=priority_label(item.priority),
        assignee_name=item.assignee_name,
        unread=item.unread,
        last_message_at=item.last_message_at,
        sort_key=sort_key(item.last_message_at, item.id),
    )


def sort_key(last_message_at: datetime, conversation_id: int) -> str:
    """The list's order, (last_message_at, id) descending, as a string that compares the
    same way: fixed-width microseconds since the epoch, then the id."""
    micros = int(last_message_at.timestamp()) * 1_000_000 + last_message_at.microsecond
    return f"{micros:017d}.{conversation_id:012d}"


def live_row(row: LiveRow) -> dict[str, Any]:
    """A changed conversation's row as the live inbox sends it: the markup (rendered once
    for every agent) and the facts a page places it by."""
    display = _inbox_row(row.item, reverse("inbox:inbox"))
    return {
        "html": display.markup(),
        "sort": display.sort_key,
        "last_message_at": row.item.last_message_at.isoformat(),
        "waiting": row.item.waiting_since is not None,
        "channels": list(row.item.channels),
        "tags": list(row.tags),
    }


def timeline_item_html(item: TimelineItem) -> str:
    """One message of an open pane's timeline, as the live inbox appends it."""
    message = item.item
    customer_name = str(message.conversation.customer)
    (entry,) = timeline_entries([item], customer_name=customer_name)
    return render_to_string(
        "conversations/_timeline_item.html",
        {"e": entry, "history": False, "other_conversation": False},
    )


@functools.cache
def _channel_icon_html(kind: str) -> SafeString:
    return format_html(
        '<span class="channel-icon ch-{}" title="{}">{}</span>',
        kind,
        channel_label(kind),
        channel_icon(kind),
    )
