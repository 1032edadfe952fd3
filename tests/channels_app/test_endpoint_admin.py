"""The admin shows every webhook URL to paste into the provider's console, never secrets."""

from __future__ import annotations

import pytest

from channels_app.models import InboundEvent
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@desk.test", "pw")
    client.force_login(user)
    return client


def test_twilio_endpoint_page_lists_sms_voice_and_status_urls_and_masks_the_token(
    superuser_client, settings
):
    settings.OMNIDESK_PUBLIC_URL = "https://desk.example.com"
    endpoint = EndpointFactory(
        kind="sms",
        credentials={"account_sid": "AC0123456789abcdef", "auth_token": "s3cr3t-auth-token-99"},
    )
    page = superuser_client.get(f"/admin/channels_app/channelendpoint/{endpoint.pk}/change/")
    html = page.content.decode()
    base = f"https://desk.example.com/hooks/twilio/{endpoint.key}"
    for path in ("sms", "voice", "call-status", "status"):
        assert f"<code>{base}/{path}</code>" in html
    assert "s3cr3t-auth-token-99" not in html
    assert "auth_token: ••••99" in html


def test_failed_events_are_listed_for_admins_with_their_error(superuser_client):
    endpoint = EndpointFactory(kind="telegram")
    InboundEvent.objects.create(
        endpoint=endpoint,
        provider_id="unparseable:abc",
        kind="webhook",
        status=InboundEvent.Status.FAILED,
        error="Unparseable payload: KeyError: 'chat'",
    )
    page = superuser_client.get("/admin/channels_app/inboundevent/?status__exact=failed")
    assert page.status_code == 200
    assert "unparseable:abc" in page.content.decode()
