"""The credentials key can be rotated (issue 14, finding L8): with the old key as a
fallback every endpoint still loads, and `reencrypt_credentials` moves them to the new
key so the old one can go."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from channels_app.models import ChannelEndpoint
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

SECRET = {"auth_token": "twilio-secret-token"}


def stored_credentials(endpoint: ChannelEndpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials FROM channels_app_channelendpoint WHERE id = %s", [endpoint.pk]
        )
        return cursor.fetchone()[0]


def test_an_old_key_in_the_fallbacks_still_decrypts_and_reencrypting_retires_it(settings):
    settings.OMNIDESK_ENCRYPTION_KEY = "the-old-key"
    endpoint = EndpointFactory(kind="sms", credentials=SECRET)
    old_ciphertext = stored_credentials(endpoint)

    settings.OMNIDESK_ENCRYPTION_KEY = "the-new-key"
    settings.OMNIDESK_ENCRYPTION_KEY_FALLBACKS = ["the-old-key"]
    assert ChannelEndpoint.objects.get(pk=endpoint.pk).credentials == SECRET

    call_command("reencrypt_credentials", stdout=io.StringIO())
    assert stored_credentials(endpoint) != old_ciphertext
    settings.OMNIDESK_ENCRYPTION_KEY_FALLBACKS = []
    assert ChannelEndpoint.objects.get(pk=endpoint.pk).credentials == SECRET


def test_without_the_old_key_loading_fails_loudly(settings):
    settings.OMNIDESK_ENCRYPTION_KEY = "the-old-key"
    endpoint = EndpointFactory(kind="sms", credentials=SECRET)
    settings.OMNIDESK_ENCRYPTION_KEY = "the-new-key"
    settings.OMNIDESK_ENCRYPTION_KEY_FALLBACKS = []
    with pytest.raises(ValueError, match="cannot be decrypted"):
        ChannelEndpoint.objects.get(pk=endpoint.pk)
