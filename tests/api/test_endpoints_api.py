"""Admins create endpoints with provider credentials; secrets are encrypted and never returned."""

from __future__ import annotations

import pytest
from django.db import connection

from channels_app.models import ChannelEndpoint

pytestmark = pytest.mark.django_db


def test_admin_creates_an_endpoint_and_gets_its_key_without_the_secrets(admin_api):
    response = admin_api.post(
        "/api/v1/endpoints/",
        {
            "kind": "sms",
            "name": "Main number",
            "config": {"phone_number": "+14155550100"},
            "credentials": {"account_sid": "AC123", "auth_token": "super-secret-token"},
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["key"]
    assert "credentials" not in body
    assert body["credential_names"] == ["account_sid", "auth_token"]
    assert body["webhook_url"].endswith(f"/hooks/twilio/{body['key']}/sms")
    assert "super-secret-token" not in response.content.decode()

    endpoint = ChannelEndpoint.objects.get(key=body["key"])
    assert endpoint.credentials["auth_token"] == "super-secret-token"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials FROM channels_app_channelendpoint WHERE id = %s", [endpoint.pk]
        )
        [stored] = cursor.fetchone()
    assert "super-secret-token" not in stored
    assert "AC123" not in stored


def test_listing_endpoints_never_shows_credentials(admin_api):
    ChannelEndpoint.objects.create(
        kind="telegram", name="Bot", credentials={"bot_token": "123:ABC"}
    )
    response = admin_api.get("/api/v1/endpoints/")
    assert "123:ABC" not in response.content.decode()


def test_an_unknown_kind_is_a_clear_error(admin_api):
    response = admin_api.post("/api/v1/endpoints/", {"kind": "fax", "name": "x"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()["error"]["fields"]
