"""Customers REST API: list/search, detail, timeline, merge."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from customers import services
from customers.models import Customer, Identity
from customers.serializers import (
    CustomerDetailSerializer,
    CustomerSerializer,
    MergeRequestSerializer,
)


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CustomerSerializer

    def get_queryset(self):
        customers = conversation_selectors.visible_customers(
            user=self.request.user
        ).prefetch_related(Prefetch("identities", queryset=Identity.objects.order_by("kind", "id")))
        search = self.request.query_params.get("q", "").strip()
        if search:
            customers = customers.filter(
                Q(name__icontains=search) | Q(identities__value__icontains=search.lower())
            ).distinct()
        return customers.order_by("-created_at", "-id")

    def get_serializer_class(self):
        return CustomerDetailSerializer if self.action != "list" else CustomerSerializer

    def _customer_or_redirect(self, pk: str, suffix: str = "") -> Customer | HttpResponseRedirect:
        customer = conversation_selectors.access_customer(user=self.request.user, customer_id=pk)
        if customer.merged_into_id:
            live = services.follow_merges(customer)
            return HttpResponseRedirect(f"/api/v1/customers/{live.pk}/{suffix}", status=301)
        return customer

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Name or identity contains")])
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        customer = self._customer_or_redirect(pk)
        if isinstance(customer, HttpResponseRedirect):
            return customer
        return Response(CustomerDetailSerializer(customer).data)

    def update(self, request: Request, pk: str | None = None, partial: bool = False) -> Response:
        customer = self._customer_or_redirect(pk)
        if isinstance(customer, HttpResponseRedirect):
            return customer
        serializer = CustomerSerializer(customer, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.update_customer(customer=customer, **serializer.validated_data)
        return Response(CustomerDetailSerializer(customer).data)

    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        customer = self._customer_or_redirect(pk, "timeline/")
        if isinstance(customer, HttpResponseRedirect):
            return customer
        items = conversation_selectors.timeline(customer=customer, user=request.user)
        return Response({"customer": customer.pk, "items": [item.as_dict() for item in items]})

    @extend_schema(request=MergeRequestSerializer, responses=CustomerDetailSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: str | None = None) -> Response:
        """Merge the customer given as `source` into this one."""
        target = conversation_selectors.access_customer(user=request.user, customer_id=pk)
        body = MergeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        source = conversation_selectors.access_customer(
            user=request.user, customer_id=body.validated_data["source"]
        )
        merged = conversation_services.merge_customers(
            source=source, target=target, actor=request.user
        )
        return Response(CustomerDetailSerializer(merged).data, status=status.HTTP_200_OK)
