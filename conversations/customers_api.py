"""Customers REST API: list/search, detail, timeline, merge, unmerge."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agents.roles import sees_everything
from conversations import selectors as conversation_selectors
from conversations import services as conversation_services
from conversations.models import CustomerMerge
from customers import services
from customers.models import Customer, Identity, MergeSuggestion
from customers.serializers import (
    AcceptSuggestionSerializer,
    CustomerDetailSerializer,
    CustomerSerializer,
    MergeRequestSerializer,
    MergeSuggestionSerializer,
)
from omnidesk.text_input import refuse_nul_in_query


class CustomerMergeSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerMerge
        fields = ["id", "source", "target", "merged_by", "merged_at", "undone_by", "undone_at"]


class UnmergeRequestSerializer(serializers.Serializer):
    merge = serializers.IntegerField(help_text="The merge to undo (one of `merges/`).")


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
        refuse_nul_in_query(self.request.query_params)
        search = self.request.query_params.get("q", "").strip()[:200]
        if search:
            # The inbox's search: message text only of conversations the caller may see.
            customers = customers.filter(
                conversation_selectors.customer_search_condition(
                    search,
                    conversations=conversation_selectors.visible_conversations(
                        user=self.request.user
                    ),
                )
            )
        return customers.order_by("-created_at", "-id")

    def get_serializer_class(self):
        return CustomerDetailSerializer if self.action != "list" else CustomerSerializer

    def _customer_or_redirect(self, pk: str, suffix: str = "") -> Customer | HttpResponseRedirect:
        customer = conversation_selectors.access_customer(user=self.request.user, customer_id=pk)
        if customer.merged_into_id:
            live = services.follow_merges(customer)
            return HttpResponseRedirect(f"/api/v1/customers/{live.pk}/{suffix}", status=301)
        return customer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description=(
                    "The inbox's search: name, email, message text, or a phone number "
                    "typed in any format ('415 555-1234', '+1 (415) 555 1234', or a run "
                    "of 4 digits or more)."
                ),
                examples=[
                    OpenApiExample("A phone number as typed", value="(415) 555-1234"),
                    OpenApiExample("Part of a number", value="555-12"),
                    OpenApiExample("An email being typed", value="dana@exa"),
                ],
            )
        ]
    )
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
        services.update_customer(
            customer=customer,
            may_edit_restricted=sees_everything(request.user),
            **serializer.validated_data,
        )
        return Response(CustomerDetailSerializer(customer).data)

    @action(detail=True, methods=["get"])
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        customer = self._customer_or_redirect(pk, "timeline/")
        if isinstance(customer, HttpResponseRedirect):
            return customer
        items = conversation_selectors.timeline(customer=customer, user=request.user)
        return Response({"customer": customer.pk, "items": [item.as_dict() for item in items]})

    @extend_schema(responses=MergeSuggestionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="merge-suggestions", pagination_class=None)
    def merge_suggestions(self, request: Request, pk: str | None = None) -> Response:
        """Open merge suggestions naming this customer, with their reasons; only those
        whose other customer you may see too."""
        customer = self._customer_or_redirect(pk, "merge-suggestions/")
        if isinstance(customer, HttpResponseRedirect):
            return customer
        items = conversation_selectors.merge_suggestions_for(customer=customer, user=request.user)
        return Response(
            MergeSuggestionSerializer([item.suggestion for item in items], many=True).data
        )

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

    @extend_schema(responses=CustomerMergeSerializer(many=True))
    @action(detail=True, methods=["get"])
    def merges(self, request: Request, pk: str | None = None) -> Response:
        """The merges this customer took part in, newest first (merged away or kept)."""
        customer = conversation_selectors.access_customer(user=request.user, customer_id=pk)
        page = self.paginate_queryset(conversation_selectors.customer_merges(customer=customer))
        return self.get_paginated_response(CustomerMergeSerializer(page, many=True).data)

    @extend_schema(
        request=UnmergeRequestSerializer,
        responses=CustomerMergeSerializer,
        examples=[OpenApiExample("Undo merge 17", value={"merge": 17}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def unmerge(self, request: Request, pk: str | None = None) -> Response:
        """Undo a merge of this customer: what it moved goes back to the customer merged
        away. 409 when it was undone already or a later merge builds on it."""
        body = UnmergeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        merge = conversation_selectors.access_customer_merge(
            user=request.user, customer_id=pk, merge_id=body.validated_data["merge"]
        )
        undone = conversation_services.unmerge_customers(merge=merge, actor=request.user)
        return Response(CustomerMergeSerializer(undone).data, status=status.HTTP_200_OK)


class MergeSuggestionViewSet(viewsets.GenericViewSet):
    """Deciding a merge suggestion: only someone who may see both customers it names."""

    serializer_class = MergeSuggestionSerializer

    def get_queryset(self):
        return MergeSuggestion.objects.none()  # each action goes through the access check

    @extend_schema(request=AcceptSuggestionSerializer, responses=CustomerDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Merge the two customers; `keep` stays (by default the older record)."""
        suggestion = conversation_selectors.access_merge_suggestion(
            user=request.user, suggestion_id=pk
        )
        body = AcceptSuggestionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        kept = conversation_services.accept_merge_suggestion(
            suggestion=suggestion, actor=request.user, keep_id=body.validated_data.get("keep")
        )
        return Response(CustomerDetailSerializer(kept).data, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses=MergeSuggestionSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        """The two customers are different people: the suggestion is closed."""
        suggestion = conversation_selectors.access_merge_suggestion(
            user=request.user, suggestion_id=pk
        )
        dismissed = conversation_services.dismiss_merge_suggestion(
            suggestion=suggestion, actor=request.user
        )
        return Response(MergeSuggestionSerializer(dismissed).data, status=status.HTTP_200_OK)
