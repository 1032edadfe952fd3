"""The inbox templates' filters and tags: registrations of `conversations.display`, and
the list row and timeline item tags. Imports no selectors or presenters: the rows it
renders arrive already built."""

from __future__ import annotations

from typing import Any, Protocol

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from conversations.display import (
    attributes_text,
    channel_icon,
    channel_label,
    describe_event,
    iso_time,
    priority_class,
    priority_label,
    short_time,
    waiting_for,
)

register = template.Library()

register.filter(attributes_text)
register.filter(channel_icon)
register.filter(channel_label)
register.filter(describe_event)
register.filter(iso_time)
register.filter(priority_class)
register.filter(priority_label)
register.filter(short_time)
register.filter(waiting_for)


@register.simple_tag(takes_context=True)
def inbox_query(context: template.Context, **overrides: str) -> str:
    return context["filters"].as_query(**overrides)


class _ListRow(Protocol):
    @property
    def id(self) -> int: ...

    def markup(self, *, active: bool = False) -> SafeString: ...


class _TimelineEntry(Protocol):
    @property
    def conversation_id(self) -> int: ...


@register.simple_tag
def inbox_row(row: _ListRow, open_id: int | None) -> SafeString:
    """One row of the conversation list."""
    return row.markup(active=open_id == row.id)


@register.simple_tag
def timeline_item(entry: _TimelineEntry, history: bool, conversation_id: int) -> SafeString:
    """One message, note, call or event of the timeline."""
    return _render(
        "conversations/_timeline_item.html",
        e=entry,
        history=bool(history),
        other_conversation=bool(history) and entry.conversation_id != conversation_id,
    )


def _render(template_name: str, **context: Any) -> SafeString:
    return SafeString(render_to_string(template_name, context))
