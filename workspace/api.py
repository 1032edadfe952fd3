"""REST: custom attribute definitions (supervisors write, agents read) and saved views
(each agent's own and those shared with their teams)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.roles import sees_everything
from customers import attributes
from customers.models import AttributeDefinition
from omnidesk.errors import NotFoundError, error_body
from workspace import selectors, services
from workspace.models import SavedView
from workspace.serializers import (
    AttributeDefinitionCreateSerializer,
    AttributeDefinitionSerializer,
    AttributeDefinitionUpdateSerializer,
    SavedViewSerializer,
    SavedViewUpdateSerializer,
    SavedViewWriteSerializer,
)

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input: `error.fields` names each field."),
    404: OpenApiResponse(description="Not found, or not one the caller may see."),
}


class SupervisorsWrite(permissions.BasePermission):
    """Every agent reads; supervisors and admins write."""

    message = "Only supervisors may change attribute definitions."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in permissions.SAFE_METHODS or sees_everything(request.user)


def _definition(pk: Any) -> AttributeDefinition:
    try:
        definition_id = int(pk)
    except (TypeError, ValueError):
        definition_id = 0
    definition = None
    if 0 < definition_id < 2**63:
        definition = AttributeDefinition.objects.filter(pk=definition_id).first()
    if definition is None:
        raise NotFoundError("Attribute definition not found.")
    return definition


class AttributeDefinitionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = AttributeDefinitionSerializer
    permission_classes = [permissions.IsAuthenticated, SupervisorsWrite]
    pagination_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return AttributeDefinition.objects.order_by("applies_to", "position", "id")

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(AttributeDefinitionSerializer(_definition(pk)).data)

    @extend_schema(
        request=AttributeDefinitionCreateSerializer,
        responses={201: AttributeDefinitionSerializer, 400: ERROR_RESPONSES[400]},
        examples=[
            OpenApiExample(
                "A customer's plan (choice)",
                value={
                    "key": "plan",
                    "label": "Plan",
                    "type": "choice",
                    "applies_to": "customer",
                    "choices": ["free", "pro", "enterprise"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "A conversation's refund amount (number, supervisors only)",
                value={
                    "key": "refund_amount",
                    "label": "Refund amount",
                    "type": "number",
                    "applies_to": "conversation",
                    "editable_by": "supervisors",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Renewal date (required)",
                value={
                    "key": "renewal_date",
                    "label": "Renewal date",
                    "type": "date",
                    "applies_to": "customer",
                    "required": True,
                },
                request_only=True,
            ),
            OpenApiExample(
                "A refused definition",
                value=error_body(
                    "The attribute definition is not valid.",
                    {"choices": ["A choice attribute lists its values (non-empty strings)."]},
                ),
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        """Define an attribute (supervisors): its key, label, type (text, number, date,
        choice, boolean, link), the record it applies to, and who may edit it."""
        body = AttributeDefinitionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        definition = attributes.create_definition(**body.validated_data)
        return Response(
            AttributeDefinitionSerializer(definition).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=AttributeDefinitionUpdateSerializer,
        responses={200: AttributeDefinitionSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Add a choice", value={"choices": ["free", "pro", "team"]}, request_only=True
            ),
            OpenApiExample(
                "Only supervisors edit it", value={"editable_by": "supervisors"}, request_only=True
            ),
        ],
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change the label, choices, required, who may edit it or its position (the key,
        type and record kind stay: stored values were checked against them)."""
        definition = _definition(pk)
        body = AttributeDefinitionUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        definition = attributes.update_definition(definition=definition, **body.validated_data)
        return Response(AttributeDefinitionSerializer(definition).data)

    @extend_schema(responses={204: None, 404: ERROR_RESPONSES[404]})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Forget a definition; stored values stay, untyped."""
        attributes.delete_definition(definition_id=_definition(pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


SAVED_VIEW_EXAMPLES = [
    OpenApiExample(
        "Urgent, overdue, enterprise customers: shared with team 3",
        value={
            "name": "Enterprise fires",
            "team": 3,
            "filters": {
                "status": "open",
                "priority": 3,
                "sla": "overdue",
                "customer_attributes": {"plan": "enterprise"},
            },
        },
        request_only=True,
    ),
    OpenApiExample(
        "My unassigned email due within the hour (private)",
        value={
            "name": "Email due soon",
            "filters": {"channel": "email", "assignee": "none", "sla": 60},
        },
        request_only=True,
    ),
    OpenApiExample(
        "A refused filter",
        value=error_body(
            "The view's filters are not valid.",
            {"filters.customer_attributes.plan": ["Expected one of: free, pro, enterprise."]},
        ),
        response_only=True,
        status_codes=["400"],
    ),
]


class SavedViewViewSet(viewsets.GenericViewSet):
    serializer_class = SavedViewSerializer
    pagination_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return SavedView.objects.none()  # each action goes through the access selectors

    def _shown(self, views: list[SavedView]) -> dict[str, Any]:
        counts, urls = {}, {}
        for view in views:
            counts[view.pk] = selectors.saved_view_count(view=view, viewer=self.request.user)
            query = selectors.saved_view_tab_query(view=view, viewer=self.request.user)
            urls[view.pk] = f"{reverse('inbox:inbox')}?{query}"
        return {"counts": counts, "urls": urls}

    @extend_schema(responses=SavedViewSerializer(many=True))
    def list(self, request: Request) -> Response:
        """The caller's own views and those shared with their teams, with their counts."""
        views = list(selectors.visible_saved_views(user=request.user))
        return Response(SavedViewSerializer(views, many=True, context=self._shown(views)).data)

    @extend_schema(responses={200: SavedViewSerializer, 404: ERROR_RESPONSES[404]})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        view = selectors.access_saved_view(user=request.user, view_id=pk)
        return Response(SavedViewSerializer(view, context=self._shown([view])).data)

    @extend_schema(
        request=SavedViewWriteSerializer,
        responses={201: SavedViewSerializer, 400: ERROR_RESPONSES[400]},
        examples=SAVED_VIEW_EXAMPLES,
    )
    def create(self, request: Request) -> Response:
        """Save filters as a view: private, or shared with one of the caller's teams."""
        body = SavedViewWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        view = services.create_saved_view(
            owner=request.user,
            name=data["name"],
            filters=data["filters"],
            team_id=data.get("team"),
            position=data.get("position", 100),
        )
        return Response(
            SavedViewSerializer(view, context=self._shown([view])).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=SavedViewUpdateSerializer,
        responses={200: SavedViewSerializer, **ERROR_RESPONSES},
        examples=SAVED_VIEW_EXAMPLES[:1],
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Rename, re-filter, share or unshare (`team`: null) a view you own."""
        view = selectors.access_saved_view(user=request.user, view_id=pk, write=True)
        body = SavedViewUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        if "team" in changes:
            changes["team_id"] = changes.pop("team")
        view = services.update_saved_view(view=view, **changes)
        return Response(SavedViewSerializer(view, context=self._shown([view])).data)

    @extend_schema(responses={204: None, **ERROR_RESPONSES})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        view = selectors.access_saved_view(user=request.user, view_id=pk, write=True)
        services.delete_saved_view(view=view)
        return Response(status=status.HTTP_204_NO_CONTENT)
