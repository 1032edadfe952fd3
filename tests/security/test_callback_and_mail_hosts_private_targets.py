"""Configuration does not make the desk a probe of its own network (issue 14, finding
L13): an API callback URL and SMTP/IMAP hosts reach only public addresses unless their
network is listed in OMNIDESK_ALLOWED_PRIVATE_NETWORKS. The admin refuses them when they
are saved, and the desk refuses them again when it connects (a name may resolve
elsewhere by then)."""

from __future__ import annotations

import json

import pytest

from channels_app.admin import EndpointForm
from channels_app.outbound_targets import RefusedTarget
from conversations.services import deliver_message, receive_message, send_reply
from intake.services import email as email_services
from tests.channels_app.conftest import dovecot, email_endpoint  # noqa: F401 (fixtures)
from tests.conftest import CALLBACK_SECRET, inbound
from tests.factories import make_agent
from tests.security.test_api_callback_signature import receiver  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def form(kind: str, config: dict, credentials: dict) -> EndpointForm:
    return EndpointForm(
        data={
            "kind": kind,
            "name": "Endpoint",
            "config": json.dumps(config),
            "new_credentials": json.dumps(credentials),
            "is_active": "on",
        }
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
        "http://10.0.0.5:8080/admin",
        "http://[::1]:6379/",
        "https://127.0.0.1/",
    ],
)
def test_the_admin_refuses_a_callback_to_a_private_address_unless_its_network_is_listed(
    settings, url
):
    settings.OMNIDESK_ALLOWED_PRIVATE_NETWORKS = []
    refused = form("api", {"callback_url": url}, {"callback_secret": CALLBACK_SECRET})
    assert not refused.is_valid()
    assert "not a public address" in str(refused.errors["config"])

    settings.OMNIDESK_ALLOWED_PRIVATE_NETWORKS = ["10.0.0.0/8", "127.0.0.0/8", "::1/128"]
    settings.OMNIDESK_ALLOWED_PRIVATE_NETWORKS.append("169.254.169.254/32")
    allowed = form("api", {"callback_url": url}, {"callback_secret": CALLBACK_SECRET})
    assert allowed.is_valid(), allowed.errors


def test_the_admin_refuses_private_mail_hosts(settings):
    settings.OMNIDESK_ALLOWED_PRIVATE_NETWORKS = []
    refused = form(
        "email",
        {"address": "support@desk.test"},
        {"smtp_host": "127.0.0.1", "imap_host": "192.168.1.20"},
    )
    assert not refused.is_valid()
    errors = str(refused.errors["new_credentials"])
    assert "smtp_host" in errors and "imap_host" in errors


def test_a_callback_to_a_private_address_is_never_made(
    settings,
    agent,
    api_endpoint,
    receiver,  # noqa: F811
):
    settings.OMNIDESK_ALLOWED_PRIVATE_NETWORKS = []
    api_endpoint.config = {"callback_url": receiver.url}
    api_endpoint.save()
    received = receive_message(endpoint=api_endpoint, inbound=inbound("1", external="crm-7"))
    reply = send_reply(conversation=received.conversation, author=agent, text="Hi")

    assert deliver_message(message_id=reply.pk).status == "failed"
    reply.refresh_from_db()
    assert "not a public address" in reply.delivery_error
    assert receiver.requests == []


def test_mail_to_and_from_private_hosts_is_refused(
    settings,
    dovecot,  # noqa: F811
    email_endpoint,  # noqa: F811
    smtp_server,
):
    # Received while the desk's own machine was allowed.
    received = receive_message(endpoint=email_endpoint, inbound=inbound("1", email="d@x.example"))
    settings.OMNIDESK_ALLOWED_PRIVATE_NETWORKS = []
    reply = send_reply(
        conversation=received.conversation,
        author=make_agent(username="al", teams=[email_endpoint.teams.get()]),
        text="Hello",
    )

    assert deliver_message(message_id=reply.pk).status == "failed"
    reply.refresh_from_db()
    assert "not a public address" in reply.delivery_error
    assert smtp_server.received == []
    with pytest.raises(RefusedTarget):
        email_services.poll_mailbox(endpoint_id=email_endpoint.pk)
