"""The REST API's conversation filters (django-filter): each value validated, a bad one
is a 400 naming its field. Used by the list and by bulk actions selecting by filter."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet

from agents.selectors import my_teams_q
from channels_app.kinds import KINDS
from conversations.models import Conversation, Message
from conversations.selectors.search import has_search_words, search_condition

NONE = "none"
ME = "me"
MINE = "mine"


class _IdOrWordField(forms.CharField):
    """A positive id, or one of `words`."""

    def __init__(self, *, words: tuple[str, ...], **kwargs) -> None:
        super().__init__(**kwargs)
        self.words = words

    def clean(self, value: str | None) -> str:
        value = (super().clean(value) or "").strip()
        if not value or value in self.words or (value.isdigit() and int(value) > 0):
            return value
        raise forms.ValidationError(f"Expected an id or one of: {', '.join(self.words)}.")


class IdOrWordFilter(django_filters.CharFilter):
    field_class = _IdOrWordField


class ConversationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Conversation.Status.choices)
    priority = django_filters.TypedChoiceFilter(choices=Conversation.Priority.choices, coerce=int)
    assignee = IdOrWordFilter(
        method="filter_assignee", words=(ME, NONE), help_text="A user id, 'me' or 'none'."
    )
    team = IdOrWordFilter(
        method="filter_team",
        words=(NONE, MINE),
        help_text="A team id, 'none', or 'mine' (the caller's teams' inboxes and queues).",
    )
    channel = django_filters.ChoiceFilter(
        choices=[(kind, kind) for kind in sorted(KINDS)],
        method="filter_channel",
        help_text="Conversations with a message on this channel.",
    )
    tag = django_filters.CharFilter(method="filter_tag", max_length=64)
    q = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text=(
            "Search message text, customer names, emails and phone numbers (typed in any "
            "format: '415 555-1234', '+1 (415) 555 1234', or a run of 4 digits or more)."
        ),
    )

    class Meta:
        model = Conversation
        fields = ["status", "priority", "assignee", "team", "channel", "tag", "q"]

    def __init__(self, *args, user: AbstractBaseUser | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def filter_assignee(self, conversations: QuerySet, name: str, value: str) -> QuerySet:
        if value == ME:
            return conversations.filter(assignee_id=self.user.pk if self.user else 0)
        if value == NONE:
            return conversations.filter(assignee__isnull=True)
        return conversations.filter(assignee_id=int(value))

    def filter_team(self, conversations: QuerySet, name: str, value: str) -> QuerySet:
        if value == NONE:
            return conversations.filter(team__isnull=True)
        if value == MINE:
            return conversations.filter(my_teams_q(self.user.pk if self.user else 0))
        return conversations.filter(team_id=int(value))

    def filter_channel(self, conversations: QuerySet, name: str, value: str) -> QuerySet:
        # A plain EXISTS lets PostgreSQL probe message_conv_channel_idx per row.
        return conversations.filter(
            Exists(Message.objects.filter(conversation_id=OuterRef("pk"), channel=value))
        )

    def filter_tag(self, conversations: QuerySet, name: str, value: str) -> QuerySet:
        return conversations.filter(
            Exists(
                Conversation.tags.through.objects.filter(
                    conversation_id=OuterRef("pk"), tag__name=value.strip().lower()
                )
            )
        )

    def filter_search(self, conversations: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return conversations
        if not has_search_words(value):
            return conversations.none()
        return conversations.filter(search_condition(value))
