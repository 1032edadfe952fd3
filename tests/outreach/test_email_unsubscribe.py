"""Email notifications carry a signed unsubscribe link and List-Unsubscribe headers;
the link records the opt-out, and later notifications are skipped with that reason."""

from __future__ import annotations

import re

import pytest

from conversations.models import Message
from outreach import services
from outreach.models import ChannelOptOut, Notification, NotificationTemplate
from tests.outreach.conftest import customer_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def outage_template(db) -> NotificationTemplate:
    return NotificationTemplate.objects.create(
        key="outage_fixed",
        locale="en",
        subject="{{ service }} is back",
        body="Hi {{ customer_name }}, the {{ service }} outage you reported is fixed.",
    )


def _send(customer, django_capture_on_commit_callbacks) -> Notification:
    with django_capture_on_commit_callbacks(execute=True):
        return services.create_notification(
            customer=customer, template_key="outage_fixed", variables={"service": "Payments"}
        )


def test_an_email_notification_carries_an_unsubscribe_link_that_works(
    client, email_endpoint, smtp_server, outage_template, django_capture_on_commit_callbacks
):
    customer = customer_with(email="dana@example.com")
    notification = _send(customer, django_capture_on_commit_callbacks)

    assert notification.status == Notification.Status.QUEUED
    assert notification.endpoint == email_endpoint
    [mail] = smtp_server.received
    email = mail.message
    assert mail.rcpt_tos == ["dana@example.com"]
    assert email["Subject"].startswith("Payments is back")
    body = email.get_body(("plain",)).get_content()
    assert "the Payments outage you reported is fixed" in body
    link = re.search(r"https://desk\.example\.com/outreach/unsubscribe/\S+/", body).group(0)
    assert email["List-Unsubscribe"].strip() == f"<{link}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    notification.message.refresh_from_db()
    assert notification.message.delivery_status == Message.DeliveryStatus.SENT

    path = link.removeprefix("https://desk.example.com")
    page = client.get(path)
    assert page.status_code == 200
    assert b"dana@example.com" in page.content
    # Only the confirmation (or a mail client's one-click POST) unsubscribes: link
    # scanners follow GETs.
    assert not ChannelOptOut.objects.exists()
    done = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content
    opt_out = ChannelOptOut.objects.get()
    assert (opt_out.identity.value, opt_out.channel_kind, opt_out.source) == (
        "dana@example.com",
        "email",
        "link",
    )

    skipped = _send(customer, django_capture_on_commit_callbacks)
    assert skipped.status == Notification.Status.SKIPPED
    assert skipped.skip_reason == Notification.SkipReason.OPTED_OUT
    assert "dana@example.com opted out of Email" in skipped.detail
    assert len(smtp_server.received) == 1


def test_a_tampered_unsubscribe_link_is_refused(client, email_endpoint):
    customer = customer_with(email="dana@example.com")
    identity = customer.identities.get()
    link = services.unsubscribe_url(identity=identity, channel_kind="email")
    path = link.removeprefix("https://desk.example.com")
    forged = path.replace(f'"i":{identity.pk}', "x")[:-3] + "xx/"
    assert client.post(forged).status_code == 404
    assert not ChannelOptOut.objects.exists()
