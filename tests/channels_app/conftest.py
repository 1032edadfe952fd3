from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.channels_app.fake_providers import FakeProvider

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_text(provider: str, name: str) -> str:
    return (FIXTURES / provider / name).read_text()


def fixture_json(provider: str, name: str) -> dict:
    return json.loads(fixture_text(provider, name))


@pytest.fixture
def fake_provider(settings) -> Iterator[FakeProvider]:
    provider = FakeProvider().start()
    settings.OMNIDESK_PROVIDER_URLS = {
        "twilio": provider.url,
        "meta": f"{provider.url}/v21.0",
        "telegram": provider.url,
    }
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(autouse=True)
def public_url(settings) -> str:
    settings.OMNIDESK_PUBLIC_URL = "https://desk.example.com"
    # Tests never reach a real provider; the media tests turn fetching back on.
    settings.OMNIDESK_FETCH_INBOUND_MEDIA = False
    return settings.OMNIDESK_PUBLIC_URL


TWILIO_CREDENTIALS = {
    "account_sid": "AC0123456789abcdef0123456789abcdef",
    "auth_token": "12345678901234567890123456789012",
    "phone_number": "+14155550100",
}


@pytest.fixture
def twilio_endpoint(db):
    from channels_app.models import ChannelEndpoint
    from tests.factories import EndpointFactory, TeamFactory

    endpoint = EndpointFactory(
        kind=ChannelEndpoint.Kind.SMS, name="Support line", credentials=dict(TWILIO_CREDENTIALS)
    )
    TeamFactory(name="Phone", endpoints=[endpoint])
    return endpoint


def post_twilio(client, endpoint, route: str, params: dict, *, auth_token: str | None = None):
    """POST form fields as Twilio does, signed with Twilio's RequestValidator."""
    from urllib.parse import urlencode

    from django.conf import settings
    from twilio.request_validator import RequestValidator

    path = f"/hooks/twilio/{endpoint.key}/{route}"
    token = auth_token or endpoint.credentials["auth_token"]
    signature = RequestValidator(token).compute_signature(
        settings.OMNIDESK_PUBLIC_URL + path, params
    )
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


META_CREDENTIALS = {
    "app_secret": "3f0c1e5a9b7d4c2e8f6a1b3c5d7e9f01",
    "verify_token": "omnidesk-verify-7c1d",
    "access_token": "EAAGm0PX4ZCpsBAtestTOKEN",
}


def meta_endpoint(kind: str, **credentials: str):
    from tests.factories import EndpointFactory, TeamFactory

    endpoint = EndpointFactory(
        kind=kind, name=f"{kind} inbox", credentials={**META_CREDENTIALS, **credentials}
    )
    TeamFactory(endpoints=[endpoint])
    return endpoint


def post_meta(client, endpoint, body: dict | bytes, *, app_secret: str | None = None):
    """POST a Graph webhook body signed with X-Hub-Signature-256 as Meta does."""
    import hashlib
    import hmac

    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    secret = app_secret or endpoint.credentials["app_secret"]
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        f"/hooks/meta/{endpoint.key}/",
        data=raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}",
    )


@pytest.fixture(scope="session")
def dovecot():
    from tests.channels_app.mail_servers import Dovecot

    server = Dovecot.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server():
    from tests.channels_app.mail_servers import SmtpServer

    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


def email_fixture(name: str) -> bytes:
    return (FIXTURES / "email" / name).read_bytes()


@pytest.fixture
def email_endpoint(db, dovecot, smtp_server):
    """An email inbox polled over IMAP (a fresh Dovecot user) that replies over SMTP."""
    from tests.factories import EndpointFactory, TeamFactory

    user, password = dovecot.add_user()
    endpoint = EndpointFactory(
        kind="email",
        name="Acme Support",
        config={
            "address": "support@desk.test",
            "inbound_provider": "mailgun",
            # The server that stamps what `dovecot.append` delivers.
            "trusted_authserv_id": "mx.desk.test",
        },
        credentials={
            "imap_host": "127.0.0.1",
            "imap_port": dovecot.port,
            "imap_user": user,
            "imap_password": password,
            "imap_tls": "none",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_tls": "none",
            "webhook_signing_key": "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
        },
    )
    TeamFactory(name="Email", endpoints=[endpoint])
    return endpoint
