"""Endpoints (admin) and the generic API channel's inbound door."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.roles import is_admin
from channels_app import selectors
from channels_app.models import ChannelEndpoint
from channels_app.serializers import EndpointSerializer, InboundSerializer
from channels_app.types import InboundMessage
from customers.identities import scoped_external_id
from intake import services
from omnidesk.errors import ApplicationError


class IsDeskAdmin(permissions.BasePermission):
    message = "Only admins manage endpoints."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_admin(request.user)


class EndpointViewSet(viewsets.ModelViewSet):
    serializer_class = EndpointSerializer
    permission_classes = [permissions.IsAuthenticated, IsDeskAdmin]
    queryset = ChannelEndpoint.objects.order_by("id")
    http_method_names = ["get", "post", "patch", "head", "options"]


class CanPostInbound(permissions.BasePermission):
    """Admins, or an integration user granted `channels_app.add_inboundevent`."""

    message = "This token may not post inbound messages."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (is_admin(user) or user.has_perm("channels_app.add_inboundevent"))
        )


class InboundView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanPostInbound]

    @extend_schema(
        request=InboundSerializer,
        responses={
            202: OpenApiResponse(description="Stored, processing"),
            200: OpenApiResponse(description="Already stored"),
        },
    )
    def post(self, request: Request) -> Response:
        if len(request.body) > settings.OMNIDESK_MAX_TEXT_BYTES * 2 + 64 * 1024:
            raise ApplicationError(
                "The request body is too large.", fields={"text": ["Too large."]}, status_code=413
            )
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Expected a JSON object."]})
        body = InboundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        endpoint = selectors.active_endpoint(key=data["endpoint"], kind="api")
        sender = data["from"]
        identities = {
            "email": sender.get("email", ""),
            "phone": sender.get("phone", ""),
            # The integration's own user id, scoped to this endpoint (its ids mean
            # nothing to another integration or a widget).
            "external": (
                scoped_external_id(endpoint.key, sender["external_id"])
                if sender.get("external_id")
                else ""
            ),
        }
        # Validate identities now so bad input is refused before anything is stored.
        services.validate_identities(identities, field_prefix="from.")
        inbound = InboundMessage(
            provider_id=data["id"],
            identities={kind: value for kind, value in identities.items() if value},
            text=data["text"],
            sender_name=sender.get("name", ""),
            subject=data["subject"],
            attributes=data["attributes"],
        )
        [accepted] = services.accept_inbound(
            endpoint=endpoint, messages=[inbound], raw=request.data
        )
        return Response(
            {"event": accepted.event.pk, "status": "accepted" if accepted.created else "duplicate"},
            status=status.HTTP_202_ACCEPTED if accepted.created else status.HTTP_200_OK,
        )
