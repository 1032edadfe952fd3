from __future__ import annotations

import pytest

from agents.models import AgentProfile
from tests.conftest import api_client_for
from tests.factories import make_agent
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def test_create_shows_the_secret_once(receiver, admin_user):
    api = api_client_for(admin_user)
    response = api.post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "events": ["conversation.created"], "description": "CRM"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["secret"] == WebhookSubscription.objects.get(pk=body["id"]).secret
    detail = api.get(f"/api/v1/webhooks/{body['id']}/").json()
    listing = api.get("/api/v1/webhooks/").json()
    patched = api.patch(
        f"/api/v1/webhooks/{body['id']}/", {"description": "CRM sync"}, format="json"
    ).json()
    for shown in (detail, listing, patched):
        assert "secret" not in str(shown) and body["secret"] not in str(shown)
    assert patched["description"] == "CRM sync"
    assert api.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 204


def test_the_secret_is_encrypted_at_rest(receiver, admin_user):
    from django.db import connection

    body = (
        api_client_for(admin_user)
        .post(
            "/api/v1/webhooks/", {"url": receiver.url, "events": ["csat.submitted"]}, format="json"
        )
        .json()
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM webhooks_webhooksubscription")
        (stored,) = cursor.fetchone()
    assert body["secret"] not in stored and "whsec_" not in stored


def test_unknown_event_types_are_a_400_listing_the_valid_ones(receiver, admin_user):
    response = api_client_for(admin_user).post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "events": ["conversation.created", "ticket.exploded"]},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "ticket.exploded" in fields["events"][0]
    assert fields["valid_events"] == list(EVENT_TYPES)


@pytest.mark.parametrize("role", [AgentProfile.Role.AGENT, AgentProfile.Role.SUPERVISOR])
def test_only_admins_manage_webhooks(receiver, role):
    api = api_client_for(make_agent(role=role))
    assert api.get("/api/v1/webhooks/").status_code == 403
    response = api.post(
        "/api/v1/webhooks/", {"url": receiver.url, "events": ["csat.submitted"]}, format="json"
    )
    assert response.status_code == 403
    assert not WebhookSubscription.objects.exists()
