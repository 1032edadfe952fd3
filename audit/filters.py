"""The audit log's filters (django-filter), shared by the page and the API: each value
validated, a bad one is a 400 naming its field."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from audit.models import AuditEntry


class AuditEntryFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        method="filter_actor",
        max_length=150,
        help_text="A user id, a user name as recorded, or 'system'.",
    )
    actor_kind = django_filters.ChoiceFilter(choices=AuditEntry.ActorKind.choices)
    action = django_filters.CharFilter(
        method="filter_action",
        max_length=64,
        help_text="An action ('conversation.status'), or a prefix ending in '.' ('customer.').",
    )
    object_type = django_filters.CharFilter(max_length=64)
    object_id = django_filters.CharFilter(max_length=64)
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    q = django_filters.CharFilter(
        method="filter_text", max_length=200, help_text="Text in the summary or the actor's name."
    )

    class Meta:
        model = AuditEntry
        fields = [
            "actor",
            "actor_kind",
            "action",
            "object_type",
            "object_id",
            "since",
            "until",
            "q",
        ]

    def filter_actor(self, entries: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value.isdigit() and len(value) <= 18:  # a bigint
            return entries.filter(actor_id=int(value))
        return entries.filter(actor_label=value)

    def filter_action(self, entries: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value.endswith("."):
            return entries.filter(action__startswith=value)
        return entries.filter(action=value)

    def filter_text(self, entries: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return entries.filter(Q(summary__icontains=value) | Q(actor_label__icontains=value))
