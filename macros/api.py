"""Macros over REST: list, create, read, change, delete; preview and run one on a
conversation. Running goes through the same service as the inbox's macro picker."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from agents.models import Team
from conversations import selectors as conversation_selectors
from macros import selectors, services
from macros.models import Macro
from macros.serializers import (
    MacroPreviewSerializer,
    MacroRunResultSerializer,
    MacroRunSerializer,
    MacroSerializer,
    MacroWriteSerializer,
)
from omnidesk.errors import ApplicationError, error_body

MACRO_EXAMPLE = {
    "name": "Refund sent",
    "visibility": "team",
    "team": 3,
    "actions": [
        {
            "type": "reply",
            "text": "Hi {{customer.first_name}}, your refund is on its way. {{agent.first_name}}",
        },
        {"type": "note", "text": "Refund issued for conversation #{{conversation.id}}."},
        {"type": "add_tags", "tags": ["refund"]},
        {"type": "assign", "assignee": "me"},
        {"type": "priority", "priority": 1},
        {"type": "status", "status": "resolved"},
    ],
}
ERRORS = {
    400: OpenApiResponse(description="Invalid input: `error.fields` names each field."),
    403: OpenApiResponse(description="The caller may run but not change this macro."),
    404: OpenApiResponse(description="No such macro (or conversation) the caller may see."),
}
RUN_EXAMPLES = [
    OpenApiExample("On a conversation", value={"conversation": 1234}, request_only=True),
    OpenApiExample(
        "A refused run (nothing changed)",
        value=error_body(
            "The reply uses variables nobody knows: {{customer.nickname}}. Fix the macro "
            "first; nothing was sent.",
            {"actions": ["Unknown variables: {{customer.nickname}}."]},
        ),
        response_only=True,
        status_codes=["400"],
    ),
]


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ApplicationError("Unknown team.", fields={"team": ["No such team."]})
    return team


class MacroViewSet(viewsets.GenericViewSet):
    serializer_class = MacroSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, not a caller
            return Macro.objects.none()
        return selectors.macros_for(user=self.request.user).select_related("owner")

    def list(self, request: Request) -> Response:
        """The macros the caller may run: their own, their teams' and everyone's."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MacroSerializer(page, many=True).data)

    @extend_schema(
        request=MacroWriteSerializer,
        responses={201: MacroSerializer, 400: ERRORS[400]},
        examples=[OpenApiExample("A team macro", value=MACRO_EXAMPLE, request_only=True)],
    )
    def create(self, request: Request) -> Response:
        body = MacroWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        macro = services.create_macro(
            owner=request.user,
            name=data["name"],
            actions=data["actions"],
            visibility=data["visibility"],
            team=_team(data.get("team")),
        )
        return Response(MacroSerializer(macro).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: MacroSerializer, 404: ERRORS[404]})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        macro = selectors.access_macro(user=request.user, macro_id=pk)
        return Response(MacroSerializer(macro).data)

    @extend_schema(
        request=MacroWriteSerializer(partial=True),
        responses={200: MacroSerializer, **ERRORS},
        examples=[
            OpenApiExample("Rename", value={"name": "Refund issued"}, request_only=True),
            OpenApiExample(
                "Replace the actions",
                value={"actions": [{"type": "status", "status": "resolved"}]},
                request_only=True,
            ),
        ],
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        macro = selectors.access_macro(user=request.user, macro_id=pk, change=True)
        body = MacroWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(body.validated_data)
        macro = services.update_macro(
            macro=macro,
            actor=request.user,
            name=data.get("name"),
            actions=data.get("actions"),
            visibility=data.get("visibility") if "visibility" in request.data else None,
            team=_team(data.get("team")),
            team_given="team" in data,
        )
        return Response(MacroSerializer(macro).data)

    @extend_schema(responses={204: None, 403: ERRORS[403], 404: ERRORS[404]})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        macro = selectors.access_macro(user=request.user, macro_id=pk, change=True)
        services.delete_macro(macro=macro)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=MacroRunSerializer,
        responses={200: MacroPreviewSerializer, 404: ERRORS[404]},
        examples=[
            RUN_EXAMPLES[0],
            OpenApiExample(
                "Steps with an unknown variable flagged",
                value={
                    "macro": 7,
                    "conversation": 1234,
                    "steps": [
                        {
                            "type": "reply",
                            "description": "Send a reply",
                            "text": "Hi Dana, {{customer.nickname}}",
                            "unknown_variables": ["customer.nickname"],
                            "empty_variables": [],
                        },
                        {
                            "type": "status",
                            "description": "Set status: Resolved",
                            "text": "",
                            "unknown_variables": [],
                            "empty_variables": [],
                        },
                    ],
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def preview(self, request: Request, pk: str | None = None) -> Response:
        """What running the macro on `conversation` would do (writes nothing)."""
        macro, conversation = self._macro_and_conversation(request, pk)
        steps = services.preview_macro(macro=macro, conversation=conversation, actor=request.user)
        return Response(
            {
                "macro": macro.pk,
                "conversation": conversation.pk,
                "steps": [
                    {
                        "type": step.type,
                        "description": step.description,
                        "text": step.text,
                        "unknown_variables": list(step.unknown_variables),
                        "empty_variables": list(step.empty_variables),
                    }
                    for step in steps
                ],
            }
        )

    @extend_schema(
        request=MacroRunSerializer,
        responses={200: MacroRunResultSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        examples=RUN_EXAMPLES,
    )
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def run(self, request: Request, pk: str | None = None) -> Response:
        """Run the macro on `conversation`: every action or none (a refused one leaves
        the conversation as it was)."""
        macro, conversation = self._macro_and_conversation(request, pk)
        result = services.run_macro(macro=macro, conversation=conversation, actor=request.user)
        after = result.conversation
        return Response(
            {
                "macro": macro.pk,
                "conversation": after.pk,
                "messages": [message.pk for message in result.messages],
                "status": after.status,
                "priority": after.priority,
                "assignee": after.assignee_id,
                "team": after.team_id,
                "tags": sorted(after.tags.values_list("name", flat=True)),
            }
        )

    def _macro_and_conversation(self, request: Request, pk: str | None) -> tuple[Macro, Any]:
        macro = selectors.access_macro(user=request.user, macro_id=pk)
        body = MacroRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        conversation = conversation_selectors.access_conversation(
            user=request.user, conversation_id=body.validated_data["conversation"]
        )
        return macro, conversation
