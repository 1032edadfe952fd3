"""An agent's own preferences: the UI language, the time zone times are shown in, and
which notifications (assigned to me, new in my queue, mentioned in a note) they want,
with or without a sound. Read by `AgentPreferencesMiddleware` on every request and by
the notifier (`conversations/notifications.py`) before it tells an agent anything."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agents.models import AgentProfile
from omnidesk.errors import ApplicationError

NOTIFICATION_KINDS = ("assigned", "queue", "mention")
_FLAG_OF_KIND = {
    "assigned": "notify_assigned",
    "queue": "notify_queue",
    "mention": "notify_mentions",
}


@dataclass(frozen=True)
class Preferences:
    language: str  # "" : the browser's
    time_zone: str  # "" : the desk's TIME_ZONE
    notify_assigned: bool
    notify_queue: bool
    notify_mentions: bool
    notify_sound: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# --- Reads --------------------------------------------------------------------------------


def preferences_of(profile: AgentProfile) -> Preferences:
    return Preferences(
        language=profile.language,
        time_zone=profile.time_zone,
        notify_assigned=profile.notify_assigned,
        notify_queue=profile.notify_queue,
        notify_mentions=profile.notify_mentions,
        notify_sound=profile.notify_sound,
    )


def my_preferences(*, user: AbstractBaseUser) -> Preferences:
    profile = getattr(user, "agent_profile", None)
    if profile is None:
        profile = AgentProfile.objects.filter(user_id=user.pk).first() or AgentProfile(user=user)
    return preferences_of(profile)


def effective_time_zone(preferences: Preferences) -> str:
    return preferences.time_zone or settings.TIME_ZONE


def wants_notification(*, user_ids: Iterable[int], kind: str) -> set[int]:
    """Of `user_ids`, those who want notifications of `kind` (one query). Agents without a
    profile have the defaults: all on."""
    ids = set(user_ids)
    if not ids:
        return set()
    flag = _FLAG_OF_KIND[kind]
    refusing = set(
        AgentProfile.objects.filter(user_id__in=ids, **{flag: False}).values_list(
            "user_id", flat=True
        )
    )
    return ids - refusing


# --- Writes -------------------------------------------------------------------------------


def update_preferences(*, user: AbstractBaseUser, **changes: Any) -> Preferences:
    """Change some of the agent's preferences (keyword names as in `Preferences`);
    an unknown language or time zone is an ApplicationError naming its field."""
    errors: dict[str, list[str]] = {}
    if "language" in changes and changes["language"] not in ("", *language_codes()):
        errors["language"] = [_("One of: %s.") % ", ".join(language_codes())]
    if "time_zone" in changes and changes["time_zone"] not in ("", *time_zone_names()):
        errors["time_zone"] = [_("An IANA time zone name, such as Europe/Madrid.")]
    unknown = set(changes) - set(Preferences.__dataclass_fields__)
    for name in unknown:
        errors[name] = [_("Unknown preference.")]
    if errors:
        raise ApplicationError(_("Those preferences cannot be saved."), fields=errors)
    with transaction.atomic():
        profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=user)
        for name, value in changes.items():
            setattr(profile, name, value)
        profile.save(update_fields=[*changes] or None)
    if getattr(user, "agent_profile", None) is not None:
        for name, value in changes.items():
            setattr(user.agent_profile, name, value)
    return preferences_of(profile)


# --- Per request --------------------------------------------------------------------------


class AgentPreferencesMiddleware:
    """Activates the signed-in agent's language (else the browser's, as LocaleMiddleware
    would) and time zone for the request; the response says which language it is in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        preferences = None
        if user is not None and user.is_authenticated:
            preferences = my_preferences(user=user)
        language = (preferences and preferences.language) or translation.get_language_from_request(
            request
        )
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        zone = effective_time_zone(preferences) if preferences else settings.TIME_ZONE
        timezone.activate(zoneinfo.ZoneInfo(zone))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
