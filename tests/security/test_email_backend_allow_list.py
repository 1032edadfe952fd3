"""An endpoint's `config.email_backend` names only an allowed backend (issue 14, finding
L13): any other dotted path is never imported, the reply fails with the reason, and the
admin refuses to save it."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from channels_app.admin import EndpointForm
from conversations.services import deliver_message, receive_message, send_reply
from tests.conftest import inbound
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db

OUTSIDE_THE_LIST = f"{__name__}.RecordingBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class RecordingBackend(BaseEmailBackend):
    """Stands for any importable class an admin could name: it records being built."""

    built: list[RecordingBackend] = []

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        RecordingBackend.built.append(self)

    def send_messages(self, messages) -> int:
        return len(messages)


def reply_through(backend: str):
    endpoint = EndpointFactory(
        kind="email", config={"address": "support@desk.test", "email_backend": backend}
    )
    team = TeamFactory(endpoints=[endpoint])
    received = receive_message(endpoint=endpoint, inbound=inbound("1", email="dana@example.com"))
    reply = send_reply(
        conversation=received.conversation,
        author=make_agent(username="alice", teams=[team]),
        text="Hello Dana",
    )
    deliver_message(message_id=reply.pk)
    reply.refresh_from_db()
    return reply


def test_a_backend_outside_the_allow_list_is_never_built_and_a_listed_one_sends(settings):
    settings.OMNIDESK_EMAIL_BACKENDS = ["django.core.mail.backends.smtp.EmailBackend", LOCMEM]
    RecordingBackend.built.clear()

    refused = reply_through(OUTSIDE_THE_LIST)

    assert RecordingBackend.built == []
    assert refused.delivery_status == "failed"
    assert "OMNIDESK_EMAIL_BACKENDS" in refused.delivery_error
    assert reply_through(LOCMEM).delivery_status == "sent"
    assert [message.to for message in mail.outbox] == [["dana@example.com"]]


def test_the_admin_refuses_a_backend_outside_the_list(settings):
    settings.OMNIDESK_EMAIL_BACKENDS = ["django.core.mail.backends.smtp.EmailBackend"]
    form = EndpointForm(
        data={
            "kind": "email",
            "name": "Support mail",
            "config": json.dumps({"address": "support@desk.test", "email_backend": LOCMEM}),
            "is_active": "on",
        }
    )
    assert not form.is_valid()
    assert "OMNIDESK_EMAIL_BACKENDS" in str(form.errors["config"])
