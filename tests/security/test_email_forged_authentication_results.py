"""Anyone can write an Authentication-Results header (issue 14, finding M3): only those of
the receiving server an email endpoint names (`config["trusted_authserv_id"]`) count, and
a mailbox that names none proves no sender at all; mail polled over IMAP is read that way."""

from __future__ import annotations

import pytest

from channels_app.email_auth import authentication_results, evaluate
from conversations.models import Message
from conversations.services import receive_message
from customers.identities import Proof
from customers.models import Identity
from intake.services import email as email_services
from tests.channels_app.conftest import dovecot, email_endpoint  # noqa: F401 (fixtures)
from tests.conftest import inbound
from tests.conversations.mail import RECEIVING_SERVER, raw_email

FORGED = (
    "attacker.example; dkim=pass header.d=example.com;"
    " spf=pass smtp.mailfrom=dana@example.com; dmarc=pass header.from=example.com"
)


def test_only_the_trusted_servers_results_are_read():
    trusted_fail = (
        f"{RECEIVING_SERVER.upper()} 1; spf=softfail (not permitted) smtp.mailfrom=x@spoofer.test;"
        ' dkim=none; dmarc=fail (p="none") header.from=example.com'
    )
    results = authentication_results([FORGED, trusted_fail], trusted=[RECEIVING_SERVER])
    assert [(r.method, r.result) for r in results] == [
        ("spf", "softfail"),
        ("dkim", "none"),
        ("dmarc", "fail"),
    ]
    assert not evaluate(from_address="dana@example.com", results=results, source="t").passed
    assert authentication_results([FORGED], trusted=[]) == []
    assert authentication_results([FORGED], trusted=[RECEIVING_SERVER]) == []


def poll(endpoint, capture) -> Message:
    with capture(execute=True):
        email_services.poll_mailbox(endpoint_id=endpoint.pk)
    return Message.objects.filter(direction=Message.Direction.INBOUND).latest("id")


def forged_reply() -> bytes:
    raw = raw_email(
        sender="Dana Scully <dana@example.com>",
        message_id="<r1@mailer.attacker.example>",
        subject="Re: Refund",
        in_reply_to="<d1@example.com>",
        authenticated=False,
    )
    return f"Authentication-Results: {FORGED}\r\n".encode() + raw


@pytest.mark.django_db
def test_forged_results_from_another_server_do_not_join_a_customers_thread(
    dovecot,  # noqa: F811
    email_endpoint,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    first = receive_message(
        endpoint=email_endpoint, inbound=inbound("first", "Refund?", email="dana@example.com")
    )
    Message.objects.filter(pk=first.pk).update(email_message_id="<d1@example.com>")
    user = email_endpoint.credentials["imap_user"]

    dovecot.append(user, forged_reply(), authenticated=False)
    forged = poll(email_endpoint, django_capture_on_commit_callbacks)
    assert forged.metadata["email_auth"]["pass"] is False
    assert forged.conversation_id != first.conversation_id

    # The same reply as the trusted receiving server stamps it joins the thread.
    dovecot.append(user, forged_reply().replace(b"<r1@", b"<r2@"))
    stamped = poll(email_endpoint, django_capture_on_commit_callbacks)
    assert stamped.metadata["email_auth"]["pass"] is True
    assert stamped.conversation_id == first.conversation_id


@pytest.mark.django_db
def test_a_mailbox_that_trusts_no_server_proves_no_sender(
    dovecot,  # noqa: F811
    email_endpoint,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    email_endpoint.config = {
        key: value for key, value in email_endpoint.config.items() if key != "trusted_authserv_id"
    }
    email_endpoint.save()
    # Stamped as the receiving server would, but nobody said to believe it.
    dovecot.append(
        email_endpoint.credentials["imap_user"],
        raw_email(sender="walter@example.net", message_id="<w1@example.net>"),
    )
    message = poll(email_endpoint, django_capture_on_commit_callbacks)
    assert message.metadata["email_auth"] == {
        "pass": False,
        "reason": "no verdict",
        "spf": "none",
        "dkim": "none",
        "dmarc": "none",
        "source": "imap",
    }
    assert Identity.objects.get(value="walter@example.net").proof == Proof.CLAIMED
