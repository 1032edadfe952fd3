"""Agent replies: the right channel by default, delivered after commit; notes never leave."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from conversations.models import Message
from conversations.services import add_note, receive_message, retry_delivery, send_reply
from omnidesk.errors import ApplicationError
from tests.conftest import inbound
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db


class CallbackServer:
    """An integration's callback URL on loopback that records what it receives."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[dict] = []
        self.status = status
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                server.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(server.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/callback"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def callback_server():
    server = CallbackServer()
    yield server
    server.close()


def test_reply_defaults_to_the_channel_of_the_latest_inbound_message(agent, api_endpoint):
    email = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL)
    receive_message(
        endpoint=api_endpoint, inbound=inbound("1", email="d@example.com", phone="+14155552671")
    )
    latest = receive_message(endpoint=email, inbound=inbound("2", email="d@example.com"))
    reply = send_reply(conversation=latest.conversation, author=agent, text="Thanks!")
    assert reply.endpoint == email
    assert reply.metadata["to"] == "d@example.com"
    assert reply.delivery_status == "queued"


def test_reply_is_delivered_after_commit_to_the_integration_callback(
    agent, api_endpoint, callback_server, django_capture_on_commit_callbacks
):
    api_endpoint.config = {"callback_url": callback_server.url}
    api_endpoint.save()
    received = receive_message(endpoint=api_endpoint, inbound=inbound("1", external="crm-7"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = send_reply(
            conversation=received.conversation, author=agent, text="Your refund is on its way"
        )
        assert callback_server.requests == [], "nothing leaves before commit"
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    [request] = callback_server.requests
    assert request["body"]["text"] == "Your refund is on its way"
    assert request["body"]["to"] == "crm-7"
    assert request["headers"]["Idempotency-Key"] == f"omnidesk-message-{reply.pk}"
    received.conversation.refresh_from_db()
    assert received.conversation.first_response_at == reply.created_at
    assert received.conversation.waiting_since is None


def test_a_permanent_failure_is_shown_with_the_error_and_can_be_retried(
    agent, api_endpoint, callback_server, django_capture_on_commit_callbacks
):
    callback_server.status = 410
    api_endpoint.config = {"callback_url": callback_server.url}
    api_endpoint.save()
    received = receive_message(endpoint=api_endpoint, inbound=inbound("1", email="d@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = send_reply(conversation=received.conversation, author=agent, text="Hi")
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert "410" in reply.delivery_error
    assert received.conversation.events.filter(kind="delivery_failed").exists()

    callback_server.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        retry_delivery(message=reply)
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"


def test_a_temporary_failure_stays_queued_with_a_retry_time(
    agent, api_endpoint, django_capture_on_commit_callbacks
):
    api_endpoint.config = {"callback_url": "http://127.0.0.1:9/unreachable"}
    api_endpoint.save()
    received = receive_message(endpoint=api_endpoint, inbound=inbound("1", email="d@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        reply = send_reply(conversation=received.conversation, author=agent, text="Hi")
    reply.refresh_from_db()
    assert reply.delivery_status == "queued"
    assert reply.next_attempt_at is not None
    assert "unreachable" in reply.delivery_error


def test_a_private_note_is_never_delivered(
    agent, api_endpoint, callback_server, django_capture_on_commit_callbacks
):
    api_endpoint.config = {"callback_url": callback_server.url}
    api_endpoint.save()
    received = receive_message(endpoint=api_endpoint, inbound=inbound("1", email="d@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        note = add_note(conversation=received.conversation, author=agent, text="VIP, be nice")
    assert note.kind == Message.Kind.NOTE
    assert note.delivery_status == "n/a"
    assert callback_server.requests == []


def test_replying_on_a_channel_the_customer_has_no_identity_for_is_refused(agent, api_endpoint):
    sms = EndpointFactory(kind=ChannelEndpoint.Kind.SMS)
    received = receive_message(endpoint=api_endpoint, inbound=inbound("1", email="d@example.com"))
    with pytest.raises(ApplicationError, match="no phone identity"):
        send_reply(conversation=received.conversation, author=agent, text="Hi", endpoint=sms)


def test_reply_endpoint_choices_list_only_reachable_channels(agent, api_endpoint):
    from conversations.services import reply_endpoint_choices

    email = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL)
    sms = EndpointFactory(kind=ChannelEndpoint.Kind.SMS)
    receive_message(endpoint=email, inbound=inbound("1", email="d@example.com"))
    received = receive_message(
        endpoint=sms, inbound=inbound("2", phone="+14155552671", email="d@example.com")
    )
    telegram = EndpointFactory(kind=ChannelEndpoint.Kind.TELEGRAM)
    choices = reply_endpoint_choices(received.conversation)
    assert email in choices and sms in choices
    assert telegram not in choices


def test_realtime_events_go_only_to_groups_that_may_see_the_conversation(
    agent, api_endpoint, support_team, capture_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        received = receive_message(
            endpoint=api_endpoint, inbound=inbound("1", email="d@example.com")
        )
    [(event, groups)] = capture_events.of_type("conversation.row")
    assert event["conversation_id"] == received.conversation_id
    assert set(groups) == {"inbox.supervisors", f"inbox.team.{support_team.pk}"}
    # The message itself, rendered, only to the pages that have the conversation open.
    [(_message, message_groups)] = capture_events.of_type("message.created")
    assert message_groups == [f"inbox.conversation.{received.conversation_id}"]


def test_a_reply_written_for_a_past_moment_is_stamped_and_checked_at_that_moment(agent):
    """The demo writes its history through `send_reply(at=...)`: the reply, the first
    response and the channel's 24-hour window are all of that moment."""
    whatsapp = EndpointFactory(kind=ChannelEndpoint.Kind.WHATSAPP)
    wrote_at = timezone.now() - timedelta(days=30)
    received = receive_message(
        endpoint=whatsapp, inbound=inbound("wa-1", phone="+14155552671"), received_at=wrote_at
    )
    with pytest.raises(ApplicationError):
        send_reply(conversation=received.conversation, author=agent, text="Too late now")

    answered_at = wrote_at + timedelta(minutes=12)
    reply = send_reply(
        conversation=received.conversation, author=agent, text="On it!", at=answered_at
    )

    assert reply.created_at == answered_at
    conversation = reply.conversation
    conversation.refresh_from_db()
    assert conversation.first_response_at == answered_at
    assert conversation.last_message_at == answered_at
