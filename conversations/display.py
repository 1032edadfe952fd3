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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

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
    """The event as one sentence of the timeline, in the active language. Needs
    `event.actor` loaded (the timeline selectors load it).

    Only the conversation pane prints it, rendered per request for one agent (the live
    inbox broadcasts message items alone, under the desk's language), so it is
    translated here; each sentence has a form with its actor ("Carol assigned to Dan")
    and one without ("Assigned to Dan"), with named placeholders translators may move."""
    data: dict[str, Any] = event.data or {}
    who = event.actor.get_full_name() or event.actor.get_username() if event.actor_id else ""
    kind = event.kind
    Kind = ConversationEvent.Kind
    if kind == Kind.CREATED:
        return _("Conversation started on %(channel)s") % {
            "channel": channel_label(data.get("channel", ""))
        }
    if kind == Kind.ASSIGNED:
        name = data.get("to_name") or _("an agent")
        if who:
            return _("%(who)s assigned to %(name)s") % {"who": who, "name": name}
        return _("Assigned to %(name)s") % {"name": name}
    if kind == Kind.UNASSIGNED:
        if who:
            return _("%(who)s unassigned the conversation") % {"who": who}
        return _("Unassigned the conversation")
    if kind == Kind.TEAM_CHANGED:
        team = data.get("to_name") or pgettext("team", "none")
        if who:
            return _("%(who)s moved it to team %(team)s") % {"who": who, "team": team}
        return _("Moved it to team %(team)s") % {"team": team}
    if kind == Kind.STATUS_CHANGED:
        values = {
            "who": who,
            "from": _status(data.get("from")),
            "to": _status(data.get("to")),
            "until": str(data.get("snoozed_until") or "")[:16].replace("T", " "),
        }
        if who and values["until"]:
            text = _("%(who)s changed status %(from)s → %(to)s until %(until)s") % values
        elif who:
            text = _("%(who)s changed status %(from)s → %(to)s") % values
        elif values["until"]:
            text = _("Changed status %(from)s → %(to)s until %(until)s") % values
        else:
            text = _("Changed status %(from)s → %(to)s") % values
        return f"{text} ({data['reason']})" if data.get("reason") else text
    if kind == Kind.REOPENED:
        if who:
            return _("%(who)s reopened the conversation") % {"who": who}
        return _("Reopened the conversation")
    if kind == Kind.PRIORITY_CHANGED:
        values = {
            "who": who,
            "from": _priority(data.get("from")),
            "to": _priority(data.get("to")),
        }
        if who:
            return _("%(who)s set priority %(from)s → %(to)s") % values
        return _("Set priority %(from)s → %(to)s") % values
    if kind == Kind.TAGS_CHANGED:
        parts = []
        if data.get("added"):
            parts.append(_("added %(tags)s") % {"tags": ", ".join(data["added"])})
        if data.get("removed"):
            parts.append(_("removed %(tags)s") % {"tags": ", ".join(data["removed"])})
        changes = "; ".join(parts) or pgettext("tags", "changed")
        if who:
            return _("%(who)s tags: %(changes)s") % {"who": who, "changes": changes}
        return _("Tags: %(changes)s") % {"changes": changes}
    if kind == Kind.CHANNEL_SWITCHED:
        text = _("Customer switched from %(from)s to %(to)s") % {
            "from": channel_label(data.get("from", "")),
            "to": channel_label(data.get("to", "")),
        }
        rule = CONTINUITY_RULES.get(data.get("rule", ""))
        return f"{text} ({rule})" if rule else text
    if kind == Kind.PARTICIPANT_ADDED:
        joined = data.get("address") or _("someone")
        if data.get("name"):
            joined = f"{data['name']} <{joined}>"
        if who:
            return _("%(who)s added %(participant)s to the email thread") % {
                "who": who,
                "participant": joined,
            }
        text = _("%(participant)s joined the email thread") % {"participant": joined}
        reason = PARTICIPANT_REASONS.get(data.get("reason", ""), "")
        return f"{text} ({reason})" if reason else text
    if kind == Kind.SPLIT:
        values = {"who": who, "messages": _messages(data.get("moved", 0))}
        if data.get("to"):
            values["number"] = data["to"]
            if who:
                return _("%(who)s split %(messages)s off into #%(number)s") % values
            return _("Split %(messages)s off into #%(number)s") % values
        values["number"] = data.get("from")
        if who:
            return _("%(who)s split %(messages)s off from #%(number)s") % values
        return _("Split %(messages)s off from #%(number)s") % values
    if kind == Kind.CONVERSATIONS_MERGED:
        values = {"who": who, "messages": _messages(data.get("moved", 0))}
        if data.get("into"):
            values["number"] = data["into"]
            if who:
                return _("%(who)s merged this conversation into #%(number)s (%(messages)s)") % (
                    values
                )
            return _("Merged this conversation into #%(number)s (%(messages)s)") % values
        values["number"] = data.get("from")
        if who:
            return _("%(who)s merged #%(number)s into this conversation (%(messages)s)") % values
        return _("Merged #%(number)s into this conversation (%(messages)s)") % values
    if kind == Kind.MERGED:
        values = {"who": who, "customer": data.get("source_customer")}
        if who:
            return _("%(who)s merged customer #%(customer)s into this customer") % values
        return _("Merged customer #%(customer)s into this customer") % values
    if kind == Kind.UNMERGED:
        values = {
            "who": who,
            "source": data.get("source_customer"),
            "target": data.get("target_customer"),
        }
        if data.get("moved"):
            if who:
                return (
                    _(
                        "%(who)s undid the merge into customer #%(target)s: "
                        "this conversation is customer #%(source)s's again"
                    )
                    % values
                )
            return (
                _(
                    "Undid the merge into customer #%(target)s: "
                    "this conversation is customer #%(source)s's again"
                )
                % values
            )
        if who:
            return _("%(who)s undid the merge of customer #%(source)s into this customer") % (
                values
            )
        return _("Undid the merge of customer #%(source)s into this customer") % values
    if kind == Kind.CUSTOMER_UPDATED:
        identity = data.get("identity_added") or data.get("identity_verified")
        if identity:
            values = {"who": who, "kind": identity.get("kind"), "value": identity.get("value")}
            if data.get("identity_added"):
                if who:
                    return _("%(who)s added %(kind)s %(value)s") % values
                return _("Added %(kind)s %(value)s") % values
            if who:
                return _("%(who)s verified %(kind)s %(value)s") % values
            return _("Verified %(kind)s %(value)s") % values
        values = {"who": who, "fields": ", ".join(data.get("changed", []))}
        if who:
            return _("%(who)s updated the customer (%(fields)s)") % values
        return _("Updated the customer (%(fields)s)") % values
    if kind == Kind.DELIVERY_FAILED:
        return _("Delivery failed: %(error)s") % {"error": data.get("error", "")}
    if kind == "macro_ran":  # macros.services.MACRO_EVENT_KIND (a higher app's kind)
        values = {"who": who, "name": data.get("name", "")}
        if who:
            return _("%(who)s ran the macro “%(name)s”") % values
        return _("Ran the macro “%(name)s”") % values
    return f"{who} {event.get_kind_display()}".strip()


# How each continuity rule (conversations.services.continuity.Rule) reads on a channel
# switch: why the message joined this conversation.
CONTINUITY_RULES = {
    "thread": gettext_lazy("a reply in this email thread"),
    "subject_token": gettext_lazy("the conversation number in the subject"),
    "window": gettext_lazy("continued within the continuity window"),
    "email_window": gettext_lazy("an email right after this conversation"),
}
PARTICIPANT_REASONS = {
    "copied": gettext_lazy("copied on the thread"),
    "organisation": gettext_lazy("same organisation as the customer"),
    "agent": gettext_lazy("added by an agent"),
}


def _status(value: str | None) -> str:
    """A status as event sentences name it, lower case ("open")."""
    names = {
        "open": pgettext_lazy("conversation status", "open"),
        "pending": pgettext_lazy("conversation status", "pending"),
        "snoozed": pgettext_lazy("conversation status", "snoozed"),
        "resolved": pgettext_lazy("conversation status", "resolved"),
    }
    return str(names.get(value or "", value or "?"))


def _priority(value: int | None) -> str:
    """A priority as event sentences name it, lower case ("high")."""
    names = {
        0: pgettext_lazy("priority", "low"),
        1: pgettext_lazy("priority", "normal"),
        2: pgettext_lazy("priority", "high"),
        3: pgettext_lazy("priority", "urgent"),
    }
    return str(names.get(value, "?"))  # type: ignore[arg-type]


def _messages(count: int) -> str:
    return ngettext("%(count)d message", "%(count)d messages", count) % {"count": count}


def attributes_text(attributes: dict | None) -> str:
    return "\n".join(f"{key}: {value}" for key, value in (attributes or {}).items())
