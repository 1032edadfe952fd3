"""Outreach over REST: notifications and their templates (supervisors and admins), bulk
sends, and an agent's scheduled replies (through the conversation's access check)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.roles import sees_everything
from conversations import selectors as conversation_selectors
from customers.models import Customer
from omnidesk.errors import ApplicationError
from omnidesk.text_input import NulRefusingJSONParser, refuse_nul_in_query
from outreach import selectors, services
from outreach.models import Notification
from outreach.serializers import (
    BulkSendCreateSerializer,
    BulkSendSerializer,
    NotificationCreateSerializer,
    NotificationSerializer,
    NotificationTemplateSerializer,
    ScheduledReplyCreateSerializer,
    ScheduledReplySerializer,
)


class IsSupervisor(permissions.BasePermission):
    """Supervisors and admins: who speaks first to customers for the desk."""

    message = "Only supervisors and admins may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return sees_everything(request.user)


NOTIFICATION_EXAMPLE = OpenApiExample(
    "Queued on SMS",
    value={
        "id": 17,
        "customer": 42,
        "template": "order_shipped",
        "text": "Hi Dana, order 1042 has shipped.",
        "variables": {"order": "1042"},
        "channel": "Xk2v9QpA7cRt",
        "channel_kind": "sms",
        "status": "queued",
        "skip_reason": "",
        "detail": "",
        "send_at": "2026-11-30T09:00:00Z",
        "message": 981,
        "conversation": 311,
        "bulk": None,
        "created_at": "2026-11-30T09:00:00Z",
        "processed_at": "2026-11-30T09:00:00Z",
    },
    response_only=True,
)


def _customer(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise ApplicationError("No such customer.", fields={"customer": ["Unknown customer."]})
    # A merged customer's notifications go to whom they were merged into.
    while customer.merged_into_id:
        customer = customer.merged_into
    return customer


class NotificationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Notifications the desk sent (or skipped, with the reason) or will send."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated, IsSupervisor]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        refuse_nul_in_query(self.request.query_params)
        customer = self.request.query_params.get("customer", "")
        return selectors.notifications(
            customer_id=int(customer) if customer.isdigit() and len(customer) < 18 else None
        )

    @extend_schema(
        parameters=[OpenApiParameter("customer", int, description="Only this customer's.")],
        examples=[NOTIFICATION_EXAMPLE],
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(examples=[NOTIFICATION_EXAMPLE])
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request=NotificationCreateSerializer,
        responses={
            201: NotificationSerializer,
            202: OpenApiResponse(NotificationSerializer, description="Scheduled for send_at."),
            400: OpenApiResponse(description="Bad input: `error.fields` names it."),
        },
        examples=[
            OpenApiExample(
                "A template",
                value={"customer": 42, "template": "order_shipped", "variables": {"order": "1042"}},
                request_only=True,
            ),
            OpenApiExample(
                "Free text on a channel, tomorrow at nine",
                value={
                    "customer": 42,
                    "text": "We fixed the outage you reported.",
                    "channel": "Xk2v9QpA7cRt",
                    "send_at": "2026-12-01T09:00:00Z",
                },
                request_only=True,
            ),
            NOTIFICATION_EXAMPLE,
        ],
    )
    def create(self, request: Request) -> Response:
        """Send a notification now (201: its message queued, or skipped with a reason),
        or at `send_at` (202: scheduled)."""
        body = NotificationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        notification = services.create_notification(
            customer=_customer(data["customer"]),
            template_key=data["template"],
            text=data["text"],
            variables=data["variables"],
            channel=data["channel"],
            locale=data["locale"],
            send_at=data["send_at"],
            created_by=request.user,
        )
        scheduled = notification.status == Notification.Status.SCHEDULED
        return Response(
            NotificationSerializer(notification).data,
            status=status.HTTP_202_ACCEPTED if scheduled else status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=None,
        responses={
            200: NotificationSerializer,
            409: OpenApiResponse(description="It has gone out (or was skipped) already."),
        },
    )
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Cancel a scheduled notification."""
        notification = services.cancel_notification(notification_id=self.get_object().pk)
        return Response(NotificationSerializer(notification).data)


class NotificationTemplateViewSet(viewsets.ModelViewSet):
    """Notification templates per key and locale, with `{{ variable }}` placeholders."""

    serializer_class = NotificationTemplateSerializer
    permission_classes = [permissions.IsAuthenticated, IsSupervisor]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.templates()

    @extend_schema(
        examples=[
            OpenApiExample(
                "Order shipped",
                value={
                    "key": "order_shipped",
                    "locale": "en",
                    "channel_kinds": [],
                    "subject": "Order {{ order }} shipped",
                    "body": "Hi {{ customer_name }}, order {{ order }} has shipped.",
                    "whatsapp_template_name": "order_update",
                    "whatsapp_language": "en_US",
                    "whatsapp_parameters": ["order"],
                    "approved": True,
                },
                request_only=True,
            )
        ]
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer) -> None:
        self._unique(serializer)
        serializer.save()

    def perform_update(self, serializer) -> None:
        self._unique(serializer)
        serializer.save()

    def _unique(self, serializer) -> None:
        key = serializer.validated_data.get("key", getattr(serializer.instance, "key", ""))
        locale = serializer.validated_data.get(
            "locale", getattr(serializer.instance, "locale", "en")
        )
        clash = selectors.templates().filter(key=key, locale=locale)
        if serializer.instance is not None:
            clash = clash.exclude(pk=serializer.instance.pk)
        if clash.exists():
            raise ApplicationError(
                "A template with this key and locale exists.",
                fields={"key": ["Already used in this locale."]},
            )


BULK_ACCEPTED_EXAMPLE = OpenApiExample(
    "Accepted",
    value={
        "id": 3,
        "status": "queued",
        "template": "outage_fixed",
        "text": "",
        "source": "customers",
        "total": 3,
        "processed": 0,
        "scheduled": 0,
        "skipped": 0,
        "missing": 0,
        "unmatched": [],
        "created_at": "2026-11-30T09:00:00Z",
        "updated_at": "2026-11-30T09:00:00Z",
        "finished_at": None,
    },
    response_only=True,
)


class BulkNotificationView(APIView):
    """One template or text to many customers, paced per channel."""

    permission_classes = [permissions.IsAuthenticated, IsSupervisor]
    parser_classes = [NulRefusingJSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={
            "application/json": BulkSendCreateSerializer,
            "multipart/form-data": BulkSendCreateSerializer,
        },
        responses={
            202: BulkSendSerializer,
            400: OpenApiResponse(description="Bad input: `error.fields` names it."),
        },
        examples=[
            OpenApiExample(
                "Customers by id, email or phone",
                value={
                    "customers": ["42", "dana@example.com", "+14155550123"],
                    "template": "outage_fixed",
                    "variables": {"service": "payments"},
                },
                request_only=True,
            ),
            OpenApiExample(
                "A customer filter",
                value={"filter": {"tag": "beta"}, "text": "The beta ends on Friday."},
                request_only=True,
            ),
            BULK_ACCEPTED_EXAMPLE,
        ],
    )
    def post(self, request: Request) -> Response:
        """Accept a bulk send (202): its recipients are routed in batches after the
        answer, each channel's messages spaced by its rate, customers nothing can reach
        recorded as skipped. `GET .../bulk/{id}/` shows the progress."""
        body = BulkSendCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        unmatched: list[str] = []
        if data.get("file") is not None:
            if data["file"].size > 10 * 1024 * 1024:
                raise ApplicationError(
                    "The file is too large.", fields={"file": ["At most 10 MB."]}
                )
            customers, unmatched = services.customers_from_csv(data["file"].read())
            customer_ids = [customer.pk for customer in customers]
            source = "csv"
        elif data.get("customers") is not None:
            customers, unmatched = services.customers_named(data["customers"])
            customer_ids = [customer.pk for customer in customers]
            source = "customers"
        else:
            matching = services.customers_matching(data["filter"])
            customer_ids = list(matching.values_list("pk", flat=True))
            source = f"filter {data['filter']}"
        bulk = services.create_bulk_send(
            customer_ids=customer_ids,
            template_key=data["template"],
            text=data["text"],
            variables=data["variables"],
            send_at=data["send_at"],
            source=source,
            unmatched=unmatched,
            created_by=request.user,
        )
        return Response(BulkSendSerializer(bulk).data, status=status.HTTP_202_ACCEPTED)


class BulkSendView(APIView):
    """A bulk send's progress: recipients processed, notifications scheduled, skipped."""

    permission_classes = [permissions.IsAuthenticated, IsSupervisor]

    @extend_schema(
        responses={200: BulkSendSerializer, 404: OpenApiResponse(description="No such bulk.")},
        examples=[BULK_ACCEPTED_EXAMPLE],
    )
    def get(self, request: Request, pk: int) -> Response:
        bulk = selectors.bulk_send(bulk_id=pk)
        return Response(BulkSendSerializer(bulk).data)


class ScheduledRepliesView(APIView):
    """An agent's replies and notes scheduled for later in a conversation they can see."""

    @extend_schema(responses=ScheduledReplySerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        conversation = conversation_selectors.access_conversation(
            user=request.user, conversation_id=pk, related=()
        )
        replies = selectors.scheduled_replies(conversation=conversation)
        return Response(ScheduledReplySerializer(replies, many=True).data)

    @extend_schema(
        request=ScheduledReplyCreateSerializer,
        responses={
            201: ScheduledReplySerializer,
            400: OpenApiResponse(description="Bad input: `error.fields` names it."),
        },
        examples=[
            OpenApiExample(
                "Send tomorrow at nine",
                value={"text": "Good morning! Any news?", "send_at": "2026-12-01T09:00:00Z"},
                request_only=True,
            ),
            OpenApiExample(
                "A note for the morning shift",
                value={
                    "text": "Call back before noon",
                    "send_at": "2026-12-01T08:00:00Z",
                    "kind": "note",
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = conversation_selectors.access_conversation(
            user=request.user, conversation_id=pk, related=("customer", "endpoint")
        )
        body = ScheduledReplyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        scheduled = services.schedule_reply(
            conversation=conversation,
            author=request.user,
            text=data["text"],
            send_at=data["send_at"],
            kind=data["kind"],
            endpoint_key=data["endpoint"],
        )
        return Response(ScheduledReplySerializer(scheduled).data, status=status.HTTP_201_CREATED)


class ScheduledReplyView(APIView):
    @extend_schema(responses=ScheduledReplySerializer)
    def get(self, request: Request, pk: int, reply_id: int) -> Response:
        conversation = conversation_selectors.access_conversation(
            user=request.user, conversation_id=pk, related=()
        )
        scheduled = selectors.scheduled_reply_of(conversation=conversation, reply_id=reply_id)
        return Response(ScheduledReplySerializer(scheduled).data)

    @extend_schema(
        request=None,
        responses={
            200: ScheduledReplySerializer,
            409: OpenApiResponse(description="Already sent (or failed): nothing to cancel."),
        },
    )
    def delete(self, request: Request, pk: int, reply_id: int) -> Response:
        """Cancel it, unless it has gone out."""
        conversation = conversation_selectors.access_conversation(
            user=request.user, conversation_id=pk, related=()
        )
        scheduled = selectors.scheduled_reply_of(conversation=conversation, reply_id=reply_id)
        scheduled = services.cancel_scheduled_reply(scheduled=scheduled, actor=request.user)
        return Response(ScheduledReplySerializer(scheduled).data)
