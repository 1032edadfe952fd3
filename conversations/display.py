"""How conversations read on screen: channel names and icons, sanitised email HTML,
folded quotes, waiting times, priorities, event sentences.

Pure functions of plain values (a `ConversationEvent` for `describe_event`): no queries,
no selectors, no templates. The inbox template tags register these, and
`conversations.presenters` builds display rows with them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import nh3
from django.utils import timezone
from django.utils.html import escape, format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe

from channels_app.email_parsing import bounded_html, split_reply
from channels_app.kinds import channel_kind
from conversations.models import ConversationEvent


def channel_label(channel: str) -> str:
    return channel_kind(channel).label


def channel_icon(channel: str) -> str:
    return channel_kind(channel).icon


_RENDERED_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "details": {"class"}}


def render_message_body(*, text: str, html: str) -> str:
    """A message's body as the timeline shows it: its email HTML sanitised with quoted
    replies folded, or else its text escaped with the quoted tail folded.

    Computed once, by whatever writes a message's text or html, and stored as
    `Message.body_html`; rendering prints the stored value and folds nothing."""
    if html:
        return format_html('<div class="email-html">{}</div>', sanitize_html(html))
    return fold_quotes(text)


def sanitize_html(html: str) -> SafeString:
    """Email HTML (stored sanitised already) cleaned again with its quoted replies folded
    into collapsed `<details>`."""
    # Fold BEFORE sanitising: the sanitiser then parses what the replace made, so a
    # "<blockquote" that stood inside an attribute stays text in that attribute, never
    # new markup. The folded HTML is bounded again: folding adds tags.
    folded = (
        (html or "")
        .replace(
            "<blockquote", '<details class="quoted"><summary>Show quoted text</summary><blockquote'
        )
        .replace("</blockquote>", "</blockquote></details>")
    )
    cleaned = nh3.clean(
        bounded_html(folded),
        attributes=_RENDERED_ATTRIBUTES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 (nh3 output)


def fold_quotes(text: str) -> SafeString:
    """Plain text escaped, with the quoted thread and signature below the new words
    (`> ...` lines, "On ... wrote:", an Outlook header, "-- ") folded away. Linear in
    the text."""
    reply, quoted = split_reply(text or "")
    if not quoted:
        return mark_safe(linebreaks(escape(text or "")))  # noqa: S308 (escaped)
    return format_html(
        '{}<details class="quoted"><summary>Show quoted text</summary>{}</details>',
        mark_safe(linebreaks(escape(reply))),  # noqa: S308 (escaped)
        mark_safe(linebreaks(escape(quoted))),  # noqa: S308 (escaped)
    )


def waiting_for(since: datetime | None) -> str:
    """Compact waiting time: 45s, 12m, 3h, 2d."""
    if since is None:
        return ""
    seconds = max(int((timezone.now() - since).total_seconds()), 0)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def iso_time(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def short_time(value: datetime | None) -> str:
    """ "Nov 23, 14:05" in the desk's time zone; cheaper than the `date` filter, which
    matters on a timeline of hundreds of items."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local:%b} {local.day}, {local:%H:%M}"


def priority_class(priority: int) -> str:
    return {0: "low", 1: "normal", 2: "high", 3: "urgent"}.get(priority, "normal")


def priority_label(priority: int) -> str:
    return {0: "Low", 1: "Normal", 2: "High", 3: "Urgent"}.get(priority, "")


def describe_event(event: ConversationEvent) -> str:
    """The event as one sentence of the timeline. Needs `event.actor` loaded (the
    timeline selectors load it)."""
    data: dict[str, Any] = event.data or {}
    actor = event.actor.get_full_name() or event.actor.get_username() if event.actor_id else ""
    who = f"{actor} " if actor else ""
    kind = event.kind
    Kind = ConversationEvent.Kind
    if kind == Kind.CREATED:
        return f"Conversation started on {channel_label(data.get('channel', ''))}"
    if kind == Kind.ASSIGNED:
        return f"{who}assigned to {data.get('to_name') or 'an agent'}".strip().capitalize()
    if kind == Kind.UNASSIGNED:
        return f"{who}unassigned the conversation".strip().capitalize()
    if kind == Kind.TEAM_CHANGED:
        return f"{who}moved it to team {data.get('to_name') or 'none'}".strip().capitalize()
    if kind == Kind.STATUS_CHANGED:
        text = f"{who}changed status {data.get('from', '?')} → {data.get('to', '?')}"
        if data.get("snoozed_until"):
            text += f" until {data['snoozed_until'][:16].replace('T', ' ')}"
        if data.get("reason"):
            text += f" ({data['reason']})"
        return text.strip().capitalize() if not who else text
    if kind == Kind.REOPENED:
        return f"{who}reopened the conversation".strip().capitalize()
    if kind == Kind.PRIORITY_CHANGED:
        labels = {0: "low", 1: "normal", 2: "high", 3: "urgent"}
        return (
            f"{who}set priority {labels.get(data.get('from'), '?')} → "
            f"{labels.get(data.get('to'), '?')}"
        ).strip()
    if kind == Kind.TAGS_CHANGED:
        parts = []
        if data.get("added"):
            parts.append("added " + ", ".join(data["added"]))
        if data.get("removed"):
            parts.append("removed " + ", ".join(data["removed"]))
        return f"{who}tags: {'; '.join(parts) or 'changed'}".strip()
    if kind == Kind.CHANNEL_SWITCHED:
        text = (
            f"Customer switched from {channel_label(data.get('from', ''))} "
            f"to {channel_label(data.get('to', ''))}"
        )
        rule = CONTINUITY_RULES.get(data.get("rule", ""))
        return f"{text} ({rule})" if rule else text
    if kind == Kind.PARTICIPANT_ADDED:
        joined = data.get("address", "someone")
        if data.get("name"):
            joined = f"{data['name']} <{joined}>"
        if who:
            return f"{who}added {joined} to the email thread"
        reason = PARTICIPANT_REASONS.get(data.get("reason", ""), "")
        text = f"{joined} joined the email thread"
        return f"{text} ({reason})" if reason else text
    if kind == Kind.SPLIT:
        moved = _messages(data.get("moved", 0))
        if data.get("to"):
            return _sentence(who, f"split {moved} off into #{data['to']}")
        return _sentence(who, f"split {moved} off from #{data.get('from')}")
    if kind == Kind.CONVERSATIONS_MERGED:
        moved = _messages(data.get("moved", 0))
        if data.get("into"):
            return _sentence(who, f"merged this conversation into #{data['into']} ({moved})")
        return _sentence(who, f"merged #{data.get('from')} into this conversation ({moved})")
    if kind == Kind.MERGED:
        return f"{who}merged customer #{data.get('source_customer')} into this customer".strip()
    if kind == Kind.UNMERGED:
        if data.get("moved"):
            return _sentence(
                who,
                f"undid the merge into customer #{data.get('target_customer')}: "
                f"this conversation is customer #{data.get('source_customer')}'s again",
            )
        return _sentence(
            who, f"undid the merge of customer #{data.get('source_customer')} into this customer"
        )
    if kind == Kind.CUSTOMER_UPDATED:
        if data.get("identity_added"):
            added = data["identity_added"]
            return f"{who}added {added.get('kind')} {added.get('value')}".strip()
        if data.get("identity_verified"):
            verified = data["identity_verified"]
            return f"{who}verified {verified.get('kind')} {verified.get('value')}".strip()
        return f"{who}updated the customer ({', '.join(data.get('changed', []))})".strip()
    if kind == Kind.DELIVERY_FAILED:
        return f"Delivery failed: {data.get('error', '')}"
    if kind == "macro_ran":  # macros.services.MACRO_EVENT_KIND (a higher app's kind)
        return _sentence(who, f"ran the macro “{data.get('name', '')}”")
    return f"{who}{event.get_kind_display()}".strip()


# How each continuity rule (conversations.services.continuity.Rule) reads on a channel
# switch: why the message joined this conversation.
CONTINUITY_RULES = {
    "thread": "a reply in this email thread",
    "subject_token": "the conversation number in the subject",
    "window": "continued within the continuity window",
    "email_window": "an email right after this conversation",
}
PARTICIPANT_REASONS = {
    "copied": "copied on the thread",
    "organisation": "same organisation as the customer",
    "agent": "added by an agent",
}


def _sentence(who: str, text: str) -> str:
    """`who` (an actor's name and a space, or "") doing `text`, capitalised."""
    return f"{who}{text}" if who else text[:1].upper() + text[1:]


def _messages(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"


def attributes_text(attributes: dict | None) -> str:
    return "\n".join(f"{key}: {value}" for key, value in (attributes or {}).items())
