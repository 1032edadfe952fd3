"""Conversations REST API: list with validated filters and keyset pages, detail, every
inbox action (PATCH: status, snooze, assignee, team, priority, tags; bulk), messages
(reply or note), split and merge. Each action goes through the inbox's own services."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from conversations import hooks, selectors, services
from conversations.filters import ConversationFilter
from conversations.models import Conversation, Message
from conversations.selectors.bulk import undo_state
from conversations.serializers import (
    BULK_LIMIT,
    BulkRequestSerializer,
    BulkResultSerializer,
    ConversationChangeSerializer,
    ConversationSerializer,
    MergeConversationSerializer,
    MessageSerializer,
    PostMessageSerializer,
    SplitConversationSerializer,
)
from omnidesk.errors import ApplicationError, error_body
from omnidesk.pagination import KeysetCursorPagination
from omnidesk.text_input import refuse_nul_in_query

# The list's order: newest activity first (the inbox's (status, last_message_at, id) index).
CONVERSATION_ORDER = ("-last_message_at", "-id")


class ConversationPagination(KeysetCursorPagination):
    ordering = CONVERSATION_ORDER


class MessagePagination(KeysetCursorPagination):
    ordering = ("created_at", "id")


class ConversationFilterBackend(DjangoFilterBackend):
    """django-filter with the caller (for `assignee=me`); a bad value is a 400 naming
    its field."""

    def get_filterset_kwargs(self, request: Request, queryset: QuerySet, view: Any) -> dict:
        return super().get_filterset_kwargs(request, queryset, view) | {"user": request.user}


ERROR_EXAMPLE = OpenApiExample(
    "A refused change",
    value=error_body(
        "That agent cannot work on this conversation.",
        {"assignee": ["Not an agent of the teams that see it."]},
    ),
    response_only=True,
    status_codes=["400"],
)
NOT_FOUND_EXAMPLE = OpenApiExample(
    "Not found (or another team's)",
    value=error_body("Conversation not found."),
    response_only=True,
    status_codes=["404"],
)
ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input: `error.fields` names each field."),
    404: OpenApiResponse(description="No such conversation, or one the caller may not see."),
}


class ConversationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ConversationSerializer
    pagination_class = ConversationPagination
    filter_backends = [ConversationFilterBackend]
    filterset_class = ConversationFilter

    def get_queryset(self):
        refuse_nul_in_query(self.request.query_params)
        return _shown(selectors.visible_conversations(user=self.request.user))

    def list(self, request: Request, *args, **kwargs) -> Response:
        """Conversations the caller may see, newest activity first, a page at a time
        (`next` is a cursor: rows arriving meanwhile are not skipped or repeated)."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        conversation = selectors.access_conversation(user=request.user, conversation_id=pk)
        hooks.notify_conversation_read(conversation_id=conversation.pk, reader=request.user)
        return Response(ConversationSerializer(conversation).data)

    @extend_schema(
        request=ConversationChangeSerializer,
        responses={200: ConversationSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("Resolve", value={"status": "resolved"}, request_only=True),
            OpenApiExample("Reopen", value={"status": "open"}, request_only=True),
            OpenApiExample(
                "Snooze until a time",
                value={"status": "snoozed", "snoozed_until": "2026-12-01T09:00:00Z"},
                request_only=True,
            ),
            OpenApiExample("Assign to me", value={"assignee": "me"}, request_only=True),
            OpenApiExample("Assign to an agent", value={"assignee": 42}, request_only=True),
            OpenApiExample("Unassign", value={"assignee": None}, request_only=True),
            OpenApiExample(
                "Move to another team and its agent",
                value={"team": 3, "assignee": 57},
                request_only=True,
            ),
            OpenApiExample(
                "Re-prioritise and tag",
                value={"priority": 2, "tags": ["billing", "vip"]},
                request_only=True,
            ),
            OpenApiExample(
                "Set custom attributes (null clears one)",
                value={"attributes": {"order_id": "A-1042", "refund_amount": 49.5, "vip": None}},
                request_only=True,
            ),
            ERROR_EXAMPLE,
            NOT_FOUND_EXAMPLE,
        ],
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change the status (with `snoozed_until` to snooze), assignee, team, priority,
        tags and custom attributes, each optional, all in one transaction: the inbox's own
        actions, with their timeline events and live updates. An error changes nothing."""
        conversation = selectors.access_conversation(
            user=request.user, conversation_id=pk, related=("endpoint",)
        )
        body = ConversationChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.change_conversation(
            conversation=conversation, actor=request.user, **_changes(body.validated_data, request)
        )
        shown = _shown(Conversation.objects.all()).get(pk=conversation.pk)
        return Response(ConversationSerializer(shown).data)

    @extend_schema(
        request=BulkRequestSerializer,
        responses={200: BulkResultSerializer, 400: ERROR_RESPONSES[400]},
        examples=[
            OpenApiExample(
                "Resolve chosen conversations",
                value={"ids": [101, 102, 103], "action": {"status": "resolved"}},
                request_only=True,
            ),
            OpenApiExample(
                "Assign every open conversation tagged refund to me",
                value={"filter": {"status": "open", "tag": "refund"}, "action": {"assignee": "me"}},
                request_only=True,
            ),
            OpenApiExample(
                "Tag and untag",
                value={"ids": [101], "action": {"tags_add": ["vip"], "tags_remove": ["spam"]}},
                request_only=True,
            ),
            OpenApiExample(
                "Per-item results",
                value={
                    "results": [
                        {"id": 101, "ok": True, "error": None},
                        {
                            "id": 999,
                            "ok": False,
                            "error": {"message": "Conversation not found.", "fields": {}},
                        },
                    ]
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def bulk(self, request: Request) -> Response:
        """One action on many conversations (`ids`, or a `filter` as the list takes; at
        most BULK_LIMIT, 500): each conversation in its own transaction, through the same
        services as PATCH. The answer lists each id with `ok` and, when refused, the
        error; an id the caller may not see is "not found" and left alone. A changed one
        also carries `previous`: its state before, as a PATCH body that undoes the action
        (the inbox's Undo sends it)."""
        body = BulkRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "ids" in data:
            ids = list(dict.fromkeys(data["ids"]))
        else:
            ids = _ids_matching(request, data["filter"])
        changes = _changes(data["action"], request)
        results = []
        for conversation_id in ids:
            try:
                conversation = selectors.access_conversation(
                    user=request.user, conversation_id=conversation_id, related=("endpoint",)
                )
                previous = undo_state(conversation=conversation)
                services.change_conversation(
                    conversation=conversation, actor=request.user, **changes
                )
            except ApplicationError as exc:
                error = error_body(exc.message, exc.fields)["error"]
                results.append({"id": conversation_id, "ok": False, "error": error})
            else:
                results.append(
                    {"id": conversation_id, "ok": True, "error": None, "previous": previous}
                )
        return Response({"results": results})

    @extend_schema(
        request=SplitConversationSerializer,
        responses={201: ConversationSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("Split from a message on", value={"message": 5012}, request_only=True),
            NOT_FOUND_EXAMPLE,
        ],
    )
    @action(detail=True, methods=["post"])
    def split(self, request: Request, pk: str | None = None) -> Response:
        """Move a message and every later one into a new conversation (201: the new one)."""
        conversation = selectors.access_conversation(user=request.user, conversation_id=pk)
        body = SplitConversationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        split = services.split_conversation(
            conversation=conversation,
            message_id=body.validated_data["message"],
            actor=request.user,
        )
        shown = _shown(Conversation.objects.all()).get(pk=split.pk)
        return Response(ConversationSerializer(shown).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MergeConversationSerializer,
        responses={200: ConversationSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Merge into another conversation", value={"into": 1234}, request_only=True
            ),
            NOT_FOUND_EXAMPLE,
        ],
    )
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        """Move this conversation's messages into `into`, which goes on (200: that one)."""
        conversation = selectors.access_conversation(user=request.user, conversation_id=pk)
        body = MergeConversationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = selectors.access_conversation(
            user=request.user, conversation_id=body.validated_data["into"]
        )
        merged = services.merge_conversations(
            source=conversation, target=target, actor=request.user
        )
        shown = _shown(Conversation.objects.all()).get(pk=merged.pk)
        return Response(ConversationSerializer(shown).data)


def _changes(data: dict[str, Any], request: Request) -> dict[str, Any]:
    """`services.change_conversation` arguments from a validated change."""
    changes: dict[str, Any] = {}
    if "status" in data:
        changes["status"] = data["status"]
        changes["snoozed_until"] = data.get("snoozed_until")
    if "assignee" in data:
        assignee = data["assignee"]
        changes["assignee_id"] = request.user.pk if assignee == "me" else assignee
    if "team" in data:
        changes["team_id"] = data["team"]
    if "priority" in data:
        changes["priority"] = data["priority"]
    for field in ("tags", "tags_add", "tags_remove", "attributes"):
        if field in data:
            changes[field] = data[field]
    return changes


def _ids_matching(request: Request, filters: dict[str, Any]) -> list[int]:
    """The ids of the conversations the caller may see matching the list's `filters`,
    newest first; a 400 when a filter is invalid or more than BULK_LIMIT match."""
    filterset = ConversationFilter(
        data={key: str(value) for key, value in filters.items()},
        queryset=selectors.visible_conversations(user=request.user),
        user=request.user,
    )
    if not filterset.is_valid():
        raise ValidationError({"filter": filterset.errors})
    ids = list(
        filterset.qs.order_by(*CONVERSATION_ORDER).values_list("pk", flat=True)[: BULK_LIMIT + 1]
    )
    if len(ids) > BULK_LIMIT:
        raise ApplicationError(
            f"More than {BULK_LIMIT} conversations match: narrow the filter.",
            fields={"filter": [f"At most {BULK_LIMIT} conversations at a time."]},
        )
    return ids


def _shown(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """With the relations `ConversationSerializer` shows."""
    return conversations.select_related("customer", "endpoint", "assignee").prefetch_related(
        "tags", "participants"
    )


class ConversationMessagesView(generics.ListAPIView):
    """GET: the conversation's messages and notes, oldest first. POST: a reply or a private note."""

    serializer_class = MessageSerializer
    pagination_class = MessagePagination

    def get_queryset(self):
        conversation = selectors.access_conversation(
            user=self.request.user, conversation_id=self.kwargs["pk"]
        )
        hooks.notify_conversation_read(conversation_id=conversation.pk, reader=self.request.user)
        return (
            Message.objects.filter(conversation=conversation)
            .select_related("author", "endpoint")
            .prefetch_related("attachments")
        )

    @extend_schema(
        request={
            "application/json": PostMessageSerializer,
            "multipart/form-data": PostMessageSerializer,
        },
        responses={201: MessageSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample("A reply", value={"text": "Your refund is on its way."}),
            OpenApiExample(
                "A private note", value={"text": "Checked with billing.", "private": True}
            ),
            OpenApiExample(
                "A file the channel cannot carry",
                value=error_body(
                    "This SMS number cannot send MMS, so it carries no files: send a link, "
                    "or reply on another channel.",
                    {"files": ["This SMS number cannot send MMS, so it carries no files."]},
                ),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request: Request, pk: str) -> Response:
        """A reply (JSON, or multipart/form-data with `files` parts) or a private note."""
        conversation = selectors.access_conversation(user=request.user, conversation_id=pk)
        body = PostMessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["private"]:
            message = services.add_note(
                conversation=conversation, author=request.user, text=data["text"]
            )
        else:
            endpoint = None
            if data.get("endpoint"):
                endpoint = next(
                    (
                        e
                        for e in services.reply_endpoint_choices(conversation)
                        if e.key == data["endpoint"]
                    ),
                    None,
                )
                if endpoint is None:
                    raise ApplicationError(
                        "The customer cannot be reached on that endpoint.",
                        fields={"endpoint": ["Not a channel this customer has an identity for."]},
                    )
            message = services.send_reply(
                conversation=conversation,
                author=request.user,
                text=data["text"],
                endpoint=endpoint,
                subject=data.get("subject", ""),
                template=data.get("template"),
                attachments=data.get("files", ()),
            )
        message.refresh_from_db()
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
