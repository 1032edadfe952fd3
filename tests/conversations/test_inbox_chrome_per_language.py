"""The inbox page's static parts, rendered once per language and process in production
(the "chrome" cache), are never another language's: an agent who reads Spanish after one
who reads English gets the Spanish shortcuts panel and bulk bar."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from agents.models import AgentProfile
from tests.inbox.conftest import build_desk, client_for

pytestmark = pytest.mark.django_db

PRODUCTION_CHROME = {
    **settings.CACHES,
    "chrome": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "test-inbox-chrome",
    },
}


@override_settings(CACHES=PRODUCTION_CHROME)
def test_each_language_gets_its_own_static_parts():
    desk = build_desk()
    english = client_for(desk.bob).get("/inbox/").content.decode()
    assert "Keyboard shortcuts" in english
    assert "Select all matching this filter" in english

    AgentProfile.objects.filter(user=desk.sam).update(language="es")
    spanish = client_for(desk.sam).get("/inbox/").content.decode()
    assert "Atajos de teclado" in spanish
    assert "Keyboard shortcuts" not in spanish
    assert "Select all matching this filter" not in spanish

    again = client_for(desk.bob).get("/inbox/").content.decode()
    assert "Keyboard shortcuts" in again
