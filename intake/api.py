"""Endpoints (admin) and the generic API channel's inbound door."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.api import IsDeskAdmin
from agents.roles import is_admin
from channels_app import selectors
from channels_app.models import ChannelEndpoint
from channels_app.serializers import EndpointSerializer, InboundSerializer
from channels_app.types import InboundMessage
from customers.identities import Proof, scoped_external_id
from intake import services
from omnidesk.errors import PermissionDeniedError
from omnidesk.request_limits import refuse_large_body


class EndpointViewSet(viewsets.ModelViewSet):
    serializer_class = EndpointSerializer
    permission_classes = [permissions.IsAuthenticated, IsDeskAdmin]
    queryset = ChannelEndpoint.objects.order_by("id")
    http_method_names = ["get", "post", "patch", "head", "options"]


class CanPostInbound(permissions.BasePermission):
    """Admins, or an integration user granted `channels_app.add_inboundevent` (which
    endpoints it may post to is `access_inbound_endpoint`)."""

    message = "This token may not post inbound messages."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (is_admin(user) or user.has_perm("channels_app.add_inboundevent"))
        )


def access_inbound_endpoint(*, user: AbstractBaseUser, key: str) -> tuple[ChannelEndpoint, bool]:
    """The API endpoint `user` may post to under `key`, and whether its messages' `from`
    identities are proven (an `EndpointGrant` trusted for identity: the integration
    attests who its senders are).

    An integration user posts only to the endpoints granted to it: any other key, known
    or not, is refused alike. Admins, who grant them, may post to any; what they send is
    still only claimed unless a grant to them says otherwise."""
    grant = selectors.endpoint_grant(user_id=user.pk, key=key, kind="api")
    if grant is not None:
        return grant.endpoint, grant.trusted_for_identity
    if not is_admin(user):
        raise PermissionDeniedError(
            "This token may not post to that endpoint.",
            fields={"endpoint": ["Not an endpoint this integration is granted."]},
        )
    return selectors.active_endpoint(key=key, kind="api"), False


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
        # A text within its cap and the fields around it; a larger body is refused unread.
        refuse_large_body(request._request, limit=settings.OMNIDESK_MAX_TEXT_BYTES * 2 + 64 * 1024)
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": ["Expected a JSON object."]})
        body = InboundSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        endpoint, trusted = access_inbound_endpoint(user=request.user, key=data["endpoint"])
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
            # The integration attests its senders only when its grant says so; otherwise
            # anyone holding the token could speak as any customer.
            proof=Proof.PROVIDER if trusted else Proof.CLAIMED,
        )
        [accepted] = services.accept_inbound(
            endpoint=endpoint, messages=[inbound], raw=request.data
        )
        answer = {
            "event": accepted.event.pk,
            "status": "accepted" if accepted.created else "duplicate",
        }
        # A bad attribute never loses the message (`accept_inbound`): it is named here.
        if rejected := accepted.event.message.get("metadata", {}).get("rejected_attributes"):
            answer["rejected_attributes"] = rejected
        return Response(
            answer, status=status.HTTP_202_ACCEPTED if accepted.created else status.HTTP_200_OK
        )
