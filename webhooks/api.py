"""Outgoing webhooks over REST (admins only): subscriptions, their delivery log, replay."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agents.api import IsDeskAdmin
from webhooks import selectors, services
from webhooks.serializers import (
    CreatedSubscriptionSerializer,
    DeliverySerializer,
    SubscriptionCreateSerializer,
    SubscriptionSerializer,
    SubscriptionUpdateSerializer,
)


class WebhookViewSet(viewsets.ModelViewSet):
    serializer_class = SubscriptionSerializer
    permission_classes = [permissions.IsAuthenticated, IsDeskAdmin]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.subscriptions()

    @extend_schema(
        request=SubscriptionCreateSerializer, responses={201: CreatedSubscriptionSerializer}
    )
    def create(self, request: Request) -> Response:
        fields = SubscriptionCreateSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        user: AbstractBaseUser = request.user  # type: ignore[assignment]
        subscription = services.create_subscription(**fields.validated_data, created_by=user)
        return Response(
            CreatedSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=SubscriptionUpdateSerializer, responses=SubscriptionSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        fields = SubscriptionUpdateSerializer(data=request.data, partial=True)
        fields.is_valid(raise_exception=True)
        subscription = services.update_subscription(
            subscription=self.get_object(), **fields.validated_data
        )
        return Response(SubscriptionSerializer(subscription).data)

    def update(self, request: Request, *args, **kwargs) -> Response:
        return self.partial_update(request, kwargs.get("pk"))

    def perform_destroy(self, instance) -> None:
        services.delete_subscription(subscription=instance)

    @extend_schema(request=None, responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="deliveries")
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The subscription's deliveries, newest first, each with its attempts."""
        queryset = selectors.recent_deliveries(subscription=self.get_object())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/replay",
        url_name="replay-delivery",
    )
    def replay(self, request: Request, pk: str | None = None, delivery_id: str = "") -> Response:
        """Send the delivery again: same webhook-id and body, a new attempt in its log."""
        delivery = selectors.delivery_of(
            subscription=self.get_object(), delivery_id=int(delivery_id)
        )
        delivery = services.replay_delivery(delivery=delivery)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
