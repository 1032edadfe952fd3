"""A small desk for inbox tests: two teams, their channels, agents of each, a supervisor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from django.test import Client

from agents.models import AgentProfile, Team
from channels_app.models import ChannelEndpoint
from conversations.models import Message
from conversations.services import receive_message
from tests.conftest import inbound
from tests.factories import EndpointFactory, TeamFactory, make_agent

TWILIO_CREDENTIALS = {
    "account_sid": "AC0123456789abcdef0123456789abcdef",
    "auth_token": "12345678901234567890123456789012",
    "phone_number": "+14155550100",
}


@dataclass
class Desk:
    email: ChannelEndpoint
    sms: ChannelEndpoint
    whatsapp: ChannelEndpoint
    support: Team
    messaging: Team
    alice: object  # Support: email
    bob: object  # Messaging: SMS and WhatsApp
    carol: object  # Messaging
    sam: object  # supervisor

    def receive(
        self,
        endpoint: ChannelEndpoint,
        provider_id: str,
        text: str = "Hello",
        *,
        at: datetime | None = None,
        **identities: str,
    ) -> Message:
        return receive_message(
            endpoint=endpoint, inbound=inbound(provider_id, text, **identities), received_at=at
        )


def build_desk() -> Desk:
    email = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="support@desk.test")
    sms = EndpointFactory(
        kind=ChannelEndpoint.Kind.SMS, name="+1 415 555 0100", credentials=TWILIO_CREDENTIALS
    )
    whatsapp = EndpointFactory(kind=ChannelEndpoint.Kind.WHATSAPP, name="WhatsApp line")
    support = TeamFactory(name="Support", endpoints=[email])
    messaging = TeamFactory(name="Messaging", endpoints=[sms, whatsapp])
    return Desk(
        email=email,
        sms=sms,
        whatsapp=whatsapp,
        support=support,
        messaging=messaging,
        alice=make_agent(username="alice", first_name="Alice", teams=[support]),
        bob=make_agent(username="bob", first_name="Bob", teams=[messaging]),
        carol=make_agent(username="carol", first_name="Carol", teams=[messaging]),
        sam=make_agent(
            username="sam", first_name="Sam", role=AgentProfile.Role.SUPERVISOR, teams=[support]
        ),
    )


@pytest.fixture(scope="session", autouse=True)
def _end_consumer_db_sessions(django_db_setup, django_db_blocker):
    """Consumers reach the database from worker threads whose connections outlive the
    tests; end them so the test database can be dropped at the end of the session."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def htmx(client: Client, method: str, url: str, data: dict | None = None):
    call = getattr(client, method)
    return call(url, data or {}, HTTP_HX_REQUEST="true")
