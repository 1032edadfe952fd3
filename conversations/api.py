"""Conversations REST API: list with filters, detail, messages (reply or note), split
and merge."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from conversations import selectors, services
from conversations.models import Conversation, Message
from conversations.serializers import (
    ConversationSerializer,
    MergeConversationSerializer,
    MessageSerializer,
    PostMessageSerializer,
    SplitConversationSerializer,
)
from omnidesk.errors import ApplicationError
from omnidesk.text_input import refuse_nul_in_query

CONVERSATION_FILTERS = [
    OpenApiParameter("status", str, enum=["open", "pending", "snoozed", "resolved"]),
    OpenApiParameter("assignee", str, description="User id, 'me' or 'none'"),
    OpenApiParameter("team", int),
    OpenApiParameter("channel", str, description="Conversations with a message on this channel"),
    OpenApiParameter("q", str, description="Search subject, customer name and identities"),
]


class ConversationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ConversationSerializer

    def get_queryset(self):
        params = self.request.query_params
        refuse_nul_in_query(params)
        conversations = selectors.visible_conversations(user=self.request.user)
        conversations = selectors.filter_conversations(
            conversations,
            status=params.get("status"),
            assignee=params.get("assignee"),
            team=params.get("team"),
            channel=params.get("channel"),
            q=params.get("q", "").strip(),
            current_user=self.request.user,
        )
        return _shown(conversations).order_by("-last_message_at", "-id")

    @extend_schema(parameters=CONVERSATION_FILTERS)
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        conversation = selectors.access_conversation(user=request.user, conversation_id=pk)
        return Response(ConversationSerializer(conversation).data)

    @extend_schema(request=SplitConversationSerializer, responses={201: ConversationSerializer})
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

    @extend_schema(request=MergeConversationSerializer, responses={200: ConversationSerializer})
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


def _shown(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """With the relations `ConversationSerializer` shows."""
    return conversations.select_related("customer", "endpoint", "assignee").prefetch_related(
        "tags", "participants"
    )


class ConversationMessagesView(generics.ListAPIView):
    """GET: the conversation's messages and notes, oldest first. POST: a reply or a private note."""

    serializer_class = MessageSerializer

    def get_queryset(self):
        conversation = selectors.access_conversation(
            user=self.request.user, conversation_id=self.kwargs["pk"]
        )
        return (
            Message.objects.filter(conversation=conversation)
            .select_related("author", "endpoint")
            .prefetch_related("attachments")
            .order_by("created_at", "id")
        )

    @extend_schema(request=PostMessageSerializer, responses={201: MessageSerializer})
    def post(self, request: Request, pk: str) -> Response:
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
            )
        message.refresh_from_db()
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
