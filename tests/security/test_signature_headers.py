"""A malformed signature is refused, never a server error (issue 14, finding L4)."""

from __future__ import annotations

import json

import pytest

from channels_app.models import InboundEvent
from channels_app.webchat_identity import verify_identifier_hash
from tests.channels_app.conftest import meta_endpoint

pytestmark = pytest.mark.django_db


def test_a_non_ascii_meta_signature_is_403(client):
    endpoint = meta_endpoint("whatsapp")
    response = client.post(
        f"/hooks/meta/{endpoint.key}/",
        data=json.dumps({"object": "whatsapp_business_account", "entry": []}),
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256="sha256=é",
    )
    assert response.status_code == 403
    assert not InboundEvent.objects.exists()


def test_a_non_ascii_widget_identifier_hash_is_refused():
    assert verify_identifier_hash(secret="s3cret", user_id="42", given="é" * 64) is False
