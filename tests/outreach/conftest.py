"""Outreach tests: real endpoints against the fake provider API on loopback (the same
fixtures as tests/channels_app), customers whose identities were proven."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from channels_app.models import ChannelEndpoint
from customers.identities import Proof
from customers.models import Customer, Identity
from tests.channels_app.conftest import (  # noqa: F401  (fixtures)
    TWILIO_CREDENTIALS,
    fake_provider,
    fixture_json,
    meta_endpoint,
    public_url,
    smtp_server,
    twilio_endpoint,
)
from tests.channels_app.fake_providers import FakeProvider, Reply
from tests.conftest import api_client_for
from tests.factories import CustomerFactory, EndpointFactory, TeamFactory, make_agent

DANA_PHONE = "+14155552671"  # the sender of tests/fixtures/twilio/sms_inbound.json
WHATSAPP_NUMBER_ID = "106540352242922"


def customer_with(**identities: str) -> Customer:
    """A customer whose identities a provider proved (kind=value)."""
    customer = CustomerFactory(name="Dana Scully")
    for kind, value in identities.items():
        Identity.objects.create(customer=customer, kind=kind, value=value, proof=Proof.PROVIDER)
    return customer


def answer_twilio(provider: FakeProvider, count: int = 20) -> None:
    """Twilio accepts the next `count` messages, each with its own SID."""
    created = fixture_json("twilio", "message_created.json")
    provider.on(
        "POST",
        r".*/Messages\.json",
        *(Reply(201, {**created, "sid": f"SM{n:032x}"}) for n in range(1, count + 1)),
    )


def answer_whatsapp(provider: FakeProvider, count: int = 20) -> None:
    sent = fixture_json("meta", "whatsapp_send_response.json")
    provider.on(
        "POST",
        r".*/messages",
        *(
            Reply(200, {**sent, "messages": [{"id": f"wamid.outreach{n}"}]})
            for n in range(1, count + 1)
        ),
    )


@pytest.fixture
def whatsapp_endpoint(db) -> ChannelEndpoint:
    return meta_endpoint("whatsapp", phone_number_id=WHATSAPP_NUMBER_ID)


@pytest.fixture
def email_endpoint(db, smtp_server) -> ChannelEndpoint:  # noqa: F811
    """An email inbox that sends over SMTP to a real local server."""
    endpoint = EndpointFactory(
        kind="email",
        name="Acme Support",
        config={"address": "support@desk.test"},
        credentials={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_tls": "none",
        },
    )
    TeamFactory(name="Email", endpoints=[endpoint])
    return endpoint


@pytest.fixture
def supervisor(db):
    return make_agent(role=AgentProfile.Role.SUPERVISOR, username="sam")


@pytest.fixture
def supervisor_api(supervisor):
    return api_client_for(supervisor)
