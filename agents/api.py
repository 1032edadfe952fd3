"""The caller's own availability and preferences over REST: `GET/PATCH /api/v1/me/status/`
and `/api/v1/me/preferences/`."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import preferences, services
from agents.models import AgentProfile
from agents.roles import is_admin
from agents.selectors import availability


class AgentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=AgentProfile.Status.choices,
        help_text="What the agent chose: routing gives new work only to Online agents.",
    )
    availability = serializers.ChoiceField(
        choices=[*AgentProfile.Status.choices, ("offline", "Offline")],
        read_only=True,
        help_text="What others see: offline while no inbox tab of the agent is open.",
    )
    automatic = serializers.BooleanField(
        read_only=True, help_text="Away set by auto-away; the agent's next activity undoes it."
    )


STATUS_EXAMPLE = OpenApiExample(
    "Away", value={"status": "away", "availability": "away", "automatic": False}
)


def _body(profile: AgentProfile) -> dict:
    return {
        "status": profile.status,
        "availability": availability(profile),
        "automatic": profile.status_is_automatic,
    }


class MyStatusView(APIView):
    """The signed-in agent's status: Online, Away or Busy (Offline is having no inbox
    open). Away and Busy agents get no new assignments; going Online hands them their
    teams' waiting conversations up to their capacity."""

    serializer_class = AgentStatusSerializer

    @extend_schema(responses=AgentStatusSerializer, examples=[STATUS_EXAMPLE])
    def get(self, request: Request) -> Response:
        profile, _ = AgentProfile.objects.get_or_create(user=request.user)
        return Response(_body(profile))

    @extend_schema(
        request=AgentStatusSerializer,
        responses={
            200: AgentStatusSerializer,
            400: OpenApiResponse(description="Unknown status: `error.fields.status`."),
        },
        examples=[
            OpenApiExample("Set Away", value={"status": "away"}, request_only=True),
            STATUS_EXAMPLE,
        ],
    )
    def patch(self, request: Request) -> Response:
        serializer = AgentStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.set_agent_status(
            agent=request.user, status=serializer.validated_data["status"], actor=request.user
        )
        return Response(_body(profile))


class IsDeskAdmin(permissions.BasePermission):
    """Only admins: what configures the desk itself (endpoints, webhooks)."""

    message = "Only admins may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_admin(request.user)


class PreferencesSerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=[("", "The browser's"), *settings.LANGUAGES],
        required=False,
        allow_blank=True,
        help_text="The inbox's language; empty follows the browser.",
    )
    time_zone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="IANA name (Europe/Madrid) every time is shown in; empty: the desk's.",
    )
    notify_assigned = serializers.BooleanField(required=False)
    notify_queue = serializers.BooleanField(
        required=False, help_text="New unassigned conversations in my teams' queues."
    )
    notify_mentions = serializers.BooleanField(required=False)
    notify_sound = serializers.BooleanField(required=False)

    def validate_time_zone(self, value: str) -> str:
        if value and value not in preferences.time_zone_names():
            raise serializers.ValidationError("An IANA time zone name, such as Europe/Madrid.")
        return value


PREFERENCES_EXAMPLE = OpenApiExample(
    "Spanish, Madrid time, no sound",
    value={
        "language": "es",
        "time_zone": "Europe/Madrid",
        "notify_assigned": True,
        "notify_queue": True,
        "notify_mentions": True,
        "notify_sound": False,
    },
)


class MyPreferencesView(APIView):
    """The signed-in agent's language, time zone and notifications (assigned to me, new
    in my queue, mentioned in a note; with or without a sound). PATCH changes only the
    fields given."""

    serializer_class = PreferencesSerializer

    @extend_schema(responses=PreferencesSerializer, examples=[PREFERENCES_EXAMPLE])
    def get(self, request: Request) -> Response:
        return Response(preferences.my_preferences(user=request.user).as_dict())

    @extend_schema(
        request=PreferencesSerializer,
        responses={
            200: PreferencesSerializer,
            400: OpenApiResponse(description="Unknown language or time zone: `error.fields`."),
        },
        examples=[
            OpenApiExample("Switch to German", value={"language": "de"}, request_only=True),
            PREFERENCES_EXAMPLE,
        ],
    )
    def patch(self, request: Request) -> Response:
        serializer = PreferencesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        saved = preferences.update_preferences(user=request.user, **serializer.validated_data)
        return Response(saved.as_dict())
