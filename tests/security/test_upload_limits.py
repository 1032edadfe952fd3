"""An upload over the limit is refused from its declared length, before its body is read
(issue 14, finding L1)."""

from __future__ import annotations

import pytest

from channels_app.models import ChannelEndpoint
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://shop.example"


def test_a_declared_length_over_the_limit_is_413_without_reading_the_body(client):
    endpoint = EndpointFactory(
        kind=ChannelEndpoint.Kind.WEBCHAT,
        config={"allowed_origins": [ORIGIN], "max_upload_bytes": 1024},
    )
    response = client.generic(
        "POST",
        f"/widget/{endpoint.key}/upload",
        # A body that is not even multipart: reading it would fail differently.
        data=b"x",
        content_type="multipart/form-data; boundary=zzz",
        HTTP_ORIGIN=ORIGIN,
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json()["error"]["fields"]["code"] == ["file_too_big"]
