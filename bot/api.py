"""The self-service outcomes in the reports API (supervisors)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.roles import sees_everything
from bot import selectors


class IsSupervisor(permissions.BasePermission):
    message = "Reports are for supervisors."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return sees_everything(request.user)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)

    def validate(self, data: dict) -> dict:
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise serializers.ValidationError({"end": ["The end date is before the start."]})
        return data


class SelfServiceReportView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsSupervisor]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start", str, description="First day (YYYY-MM-DD); default 30 days ago"
            ),
            OpenApiParameter("end", str, description="Last day (YYYY-MM-DD); default today"),
        ],
        responses={200: dict},
        examples=[
            OpenApiExample(
                "Self-service outcomes",
                value={
                    "start": "2026-11-01",
                    "end": "2026-11-30",
                    "bot_conversations": 120,
                    "resolved_by_bot": 48,
                    "revoked_resolutions": 6,
                    "kept_resolutions": 42,
                    "containment_rate": 0.35,
                    "handed_off": 60,
                    "still_talking": 4,
                    "agent_took_over": 8,
                    "article_views": 900,
                    "article_views_by_source": {"help": 700, "bot": 150, "widget": 50},
                    "helpful_yes": 80,
                    "helpful_no": 12,
                    "knowledge_gaps": 30,
                    "top_gaps": [{"query": "do you sell bicycles", "locale": "en", "times": 4}],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        """Bot conversations, resolutions (and those revoked by a return within the
        repeat window), handoffs, article views, helpful votes and knowledge gaps."""
        period = PeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        found = selectors.outcomes(
            start=period.validated_data.get("start"), end=period.validated_data.get("end")
        )
        return Response(found.as_dict())
